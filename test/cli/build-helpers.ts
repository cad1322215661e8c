import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { decompress } from 'zstd-napi';
import { tarMembers } from '../build/run/helpers';

/** A file tree for a build context: path → content (string) or { content, mode }. */
export async function writeTree(
  dir: string,
  files: Record<string, string | { content: string; mode: number }>,
) {
  for (const [path, value] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    const { content, mode } = typeof value === 'string' ? { content: value, mode: 0o644 } : value;
    await writeFile(file, content, { mode });
  }
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}

export interface ImageFiles {
  manifest: { layers: Descriptor[]; config: Descriptor };
  config: {
    created: string;
    architecture: string;
    config: Record<string, unknown>;
    history: { created_by?: string; empty_layer?: boolean }[];
    rootfs: { diff_ids: string[] };
  };
  /** Every member of every layer, in order: later layers after earlier ones. */
  members: {
    name: string;
    type: string;
    mode: number;
    uid: number;
    gid: number;
    content: string;
    linkname?: string;
  }[];
}

export async function readBlob(layout: string, digest: string): Promise<Buffer> {
  return readFile(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
}

/** The root descriptor named `name` (normalized store name or oci: ref) in an OCI layout's index.json. */
export async function rootOf(layout: string, name: string): Promise<Descriptor> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === name);
  if (!found) throw new Error(`${name} not in ${layout}: ${JSON.stringify(index.manifests)}`);
  return found;
}

export async function readJson<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse((await readBlob(layout, digest)).toString('utf8')) as T;
}

/** One image manifest of a layout, read straight from the files (independent of kimg's readers). */
export async function imageFiles(layout: string, manifestDigest: string): Promise<ImageFiles> {
  const manifest = await readJson<ImageFiles['manifest']>(layout, manifestDigest);
  const config = await readJson<ImageFiles['config']>(layout, manifest.config.digest);
  const members: ImageFiles['members'] = [];
  for (const layer of manifest.layers) {
    const bytes = await readBlob(layout, layer.digest);
    const tar = layer.mediaType.endsWith('+gzip')
      ? gunzipSync(bytes)
      : layer.mediaType.endsWith('+zstd')
        ? decompress(bytes)
        : bytes;
    for (const { header, content } of await tarMembers(Readable.from([tar]))) {
      members.push({
        name: header.name,
        type: header.type ?? 'file',
        mode: header.mode ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        content: content.toString('utf8'),
        ...(header.linkname ? { linkname: header.linkname } : {}),
      });
    }
  }
  return { manifest, config, members };
}

/** The image a store name points to (a single-platform manifest). */
export async function storeImageFiles(root: string, name: string): Promise<ImageFiles> {
  return imageFiles(root, (await rootOf(root, name)).digest);
}
