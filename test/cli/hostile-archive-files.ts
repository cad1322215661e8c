import { createHash } from 'node:crypto';
import { open, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Generators of hostile archives (issue 9, classes 9 and 11), made by code so CI runs them: a gzip bomb written
 * in a few MB, an archive whose names carry terminal escapes, and an image with one large layer for catching
 * `save` mid-write.
 */

const MiB = 1024 * 1024;

/** One ustar header block (POSIX.1-1988): enough for tar readers to take what follows as a member's content. */
export function tarHeader(name: string, size: number, type: '0' | '5' = '0'): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('00000000000\0', 136);
  block.write('        ', 148); // checksum field counts as spaces while summing
  block.write(type, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** The bytes of a plain tar holding `members` (each padded to 512, two zero blocks at the end). */
export function tarBytes(members: { name: string; content: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { name, content } of members) {
    parts.push(tarHeader(name, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * A `.tar.gz` that inflates to about `inflatedBytes`: one gzip member with the header of a huge tar member,
 * then the same 16 MiB-of-zeros gzip member repeated (gzip files may hold several members, RFC 1952 §2.2, and
 * gunzip inflates them one after the other). Deflate shrinks zeros ~1000×: 1 GiB costs ~1 MB on disk and no
 * time to write.
 */
export async function writeGzipBomb(file: string, inflatedBytes: number): Promise<number> {
  const zeros = gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  const handle = await open(file, 'w');
  try {
    await handle.write(gzipSync(tarHeader('blobs/sha256/bomb', 0o77777777777)));
    for (let written = 0; written < inflatedBytes; written += 16 * MiB) await handle.write(zeros);
  } finally {
    await handle.close();
  }
  return (await import('node:fs/promises').then((fs) => fs.stat(file))).size;
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** The image config of a one-layer linux/amd64 image (uncompressed layer: its diff ID is its digest). */
function imageConfig(layer: Buffer, labels: Record<string, string> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
      config: { Labels: labels },
    }),
  );
}

/**
 * A docker-archive (`docker save` layout: manifest.json with Config, Layers and RepoTags) of one tiny image,
 * with `repoTags` and config `labels` as given; `missingLayer` is listed in Layers but not in the tar, so
 * readers must name it in an error. Hostile names go in as they are.
 */
export function dockerArchive(options: {
  repoTags: string[];
  missingLayer?: string;
  labels?: Record<string, string>;
}): Buffer {
  const layer = tarBytes([{ name: 'hello.txt', content: Buffer.from('hello\n') }]);
  const config = imageConfig(layer, options.labels);
  const configName = `${sha256(config).slice('sha256:'.length)}.json`;
  const layerName = `${sha256(layer).slice('sha256:'.length)}/layer.tar`;
  const layers = options.missingLayer === undefined ? [layerName] : [options.missingLayer];
  const manifest = Buffer.from(
    JSON.stringify([{ Config: configName, RepoTags: options.repoTags, Layers: layers }]),
  );
  return tarBytes([
    { name: 'manifest.json', content: manifest },
    { name: configName, content: config },
    { name: layerName, content: layer },
  ]);
}

/**
 * An OCI layout (not yet tarred) of one image named `ref` whose single layer is a tar holding `layerBytes`
 * zeros: large enough that `kimg save` is still writing when a test signals it, cheap to make.
 */
export async function writeLargeLayerImage(dir: string, ref: string, layerBytes: number): Promise<void> {
  const layer = Buffer.concat([tarHeader('zeros', layerBytes), Buffer.alloc(layerBytes), Buffer.alloc(1024)]);
  const config = imageConfig(layer);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length },
      ],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        annotations: { 'org.opencontainers.image.ref.name': ref },
      },
    ],
  };
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const blob of [layer, config, manifest])
    await writeFile(join(blobs, sha256(blob).slice('sha256:'.length)), blob);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
}
