import { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { parseManifest } from '../../manifest/parse';
import { DockerDaemonSource, type DaemonOptions } from '../../transport/docker-daemon';
import { readBlob } from '../../transport/read-blob';
import type { LayerSink, StoredLayer } from './layer-sink';
import { normalizeLayer } from './normalize-layer';

/** Two zero blocks: the tar of a RUN that changed nothing, when the daemon recorded no layer for it. */
const EMPTY_TAR = Buffer.alloc(1024);

/**
 * The filesystem change of a committed RUN container as a stored layer. `POST /commit` adds exactly one layer
 * on top of the image the container ran (moby daemon/commit.go: the container's read-write layer diffed
 * against its parent), so the change is the last layer of the committed image beyond the `baseLayers` it
 * started from. The image is exported (`GET /images/get`, docker-daemon source) and that layer, an
 * uncompressed tar verified against its diff ID, is normalized while it streams into `sink`.
 */
export async function exportDiff(
  imageId: string,
  baseLayers: number,
  mtime: Date,
  sink: LayerSink,
  daemon: DaemonOptions,
  signal?: AbortSignal,
): Promise<StoredLayer> {
  const io = signal ? { signal } : {};
  const source = await DockerDaemonSource.open(daemon);
  try {
    const root = await source.resolve(imageId, io);
    const parsed = parseManifest(await readBlob(source, root, MAX_MANIFEST_BYTES, io), root.mediaType);
    if (parsed.kind !== 'manifest') throw unexpected(`an index for ${imageId}`);
    const { layers } = parsed.manifest;
    const last = layers[layers.length - 1];
    let tar: Readable;
    if (layers.length === baseLayers + 1 && last) tar = await source.fetch(last, io);
    else if (layers.length === baseLayers) tar = Readable.from([EMPTY_TAR]);
    else throw unexpected(`${layers.length} layers on a base of ${baseLayers}`);
    return await sink(normalizeLayer(tar, mtime), io);
  } finally {
    await source.close();
  }
}

function unexpected(what: string): KimgError {
  return new KimgError(
    'DAEMON_ERROR',
    `the Docker daemon committed the RUN container as ${what}, expected one new layer`,
    'is DOCKER_HOST a Docker Engine with a graphdriver image store? (the containerd image store is untested)',
  );
}
