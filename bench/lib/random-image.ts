import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Transform, TransformCallback } from 'stream';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import * as tar from 'tar-stream';

/**
 * Writes a deterministic multi-layer image as an OCI image layout, for benchmarks. Layer bodies are a keystream
 * (AES-256-CTR over zeros, keyed by seed and layer: fast and the same bytes every run) mixed with repetitive text,
 * so gzip has real work to do but cannot shrink much: like the binaries and images a cluster image carries.
 */
export interface RandomImageOptions {
  dir: string;
  /** The org.opencontainers.image.ref.name annotation in index.json. */
  refName: string;
  layers: number;
  /** Uncompressed bytes across all layers (file contents only). */
  totalBytes: number;
  /** Fraction of each file that is compressible text, 0..1. */
  textFraction?: number;
  seed?: string;
  /** Layers written in parallel; zlib runs in libuv's pool so this uses more cores. */
  concurrency?: number;
}

export interface RandomImage {
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; size: number; diffId: string }[];
  compressedBytes: number;
}

const EPOCH = new Date('2024-01-01T00:00:00Z');
const FILE_BYTES = 8 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const TEXT_LINE = 'I1128 22:40:00.000000  1 controller.go:42] synced kube-system/coredns in 1.2ms\n';

/** Counts bytes and sha256 while passing them through. */
class Digester extends Transform {
  readonly hash = crypto.createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return 'sha256:' + this.hash.digest('hex');
  }
}

function keystream(seed: string, layer: number): crypto.Cipher {
  const key = crypto.createHash('sha256').update(`${seed}/${layer}`).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

async function writeFileEntry(
  pack: tar.Pack,
  name: string,
  size: number,
  ks: crypto.Cipher,
  textFraction: number,
) {
  const textBytes = Math.floor(size * textFraction);
  const text = Buffer.from(TEXT_LINE.repeat(Math.ceil(CHUNK / TEXT_LINE.length))).subarray(0, CHUNK);
  const zeros = Buffer.alloc(CHUNK);
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name, size, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0, type: 'file' }, (err) =>
      err ? reject(err) : resolve(),
    );
    let written = 0;
    const pump = () => {
      while (written < size) {
        // Text first, then keystream, split exactly at textBytes.
        const n = Math.min(CHUNK, size - written, written < textBytes ? textBytes - written : Infinity);
        const body = written < textBytes ? text.subarray(0, n) : ks.update(zeros.subarray(0, n));
        written += n;
        if (!sink.write(body)) {
          sink.once('drain', pump);
          return;
        }
      }
      sink.end(null); // streamx's typings require an argument; null writes nothing
    };
    pump();
  });
}

/** One generated layer blob: keystream (and text) files under `opt/layer<index>/`, gzip or plain tar. */
export interface LayerSpec {
  /** Keystream seed; with `index` it fixes the layer's bytes. */
  seed: string;
  index: number;
  /** File content bytes in the layer (split into 8 MiB files). */
  bytes: number;
  textFraction: number;
  /** 'none' writes an uncompressed tar (application/vnd.oci.image.layer.v1.tar): no gzip cost for huge layers. */
  compression?: 'gzip' | 'none';
}

export interface WrittenLayer {
  digest: string;
  size: number;
  diffId: string;
  mediaType: string;
}

export const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** Writes one layer blob into `blobDir` (streamed: constant memory for any size). */
export async function writeLayerBlob(blobDir: string, spec: LayerSpec): Promise<WrittenLayer> {
  const gzip = (spec.compression ?? 'gzip') === 'gzip';
  const pack = tar.pack();
  const raw = new Digester();
  // Uncompressed: the blob is the tar itself, so its digest is the diff ID (one sha256 pass, not two).
  const out = gzip ? new Digester() : raw;
  const tmp = path.join(blobDir, `.layer-${spec.seed.replace(/[^\w.-]/g, '_')}-${spec.index}.tmp`);
  const done = gzip
    ? pipeline(pack, raw, zlib.createGzip({ level: 6 }), out, fs.createWriteStream(tmp))
    : pipeline(pack, raw, fs.createWriteStream(tmp));
  const ks = keystream(spec.seed, spec.index);
  for (let off = 0, f = 0; off < spec.bytes; off += FILE_BYTES, f++) {
    await writeFileEntry(
      pack,
      `opt/layer${spec.index}/file${f}.bin`,
      Math.min(FILE_BYTES, spec.bytes - off),
      ks,
      spec.textFraction,
    );
  }
  pack.finalize();
  await done;
  const diffId = raw.digest();
  const digest = gzip ? out.digest() : diffId;
  fs.renameSync(tmp, path.join(blobDir, digest.slice('sha256:'.length)));
  return { digest, size: out.bytes, diffId, mediaType: gzip ? LAYER_GZIP : LAYER_TAR };
}

async function writeLayer(blobDir: string, index: number, bytes: number, o: Required<RandomImageOptions>) {
  const { digest, size, diffId } = await writeLayerBlob(blobDir, {
    seed: o.seed,
    index,
    bytes,
    textFraction: o.textFraction,
  });
  return { digest, size, diffId };
}

function putJson(blobDir: string, value: unknown): { digest: string; size: number } {
  const body = Buffer.from(JSON.stringify(value));
  const digest = 'sha256:' + crypto.createHash('sha256').update(body).digest('hex');
  fs.writeFileSync(path.join(blobDir, digest.slice('sha256:'.length)), body);
  return { digest, size: body.length };
}

export async function writeRandomImage(opts: RandomImageOptions): Promise<RandomImage> {
  const o: Required<RandomImageOptions> = { textFraction: 0.25, seed: 'kimg-bench', concurrency: 2, ...opts };
  const blobDir = path.join(o.dir, 'blobs', 'sha256');
  fs.mkdirSync(blobDir, { recursive: true });
  const perLayer = Math.ceil(o.totalBytes / o.layers);

  const layers: RandomImage['layers'] = new Array(o.layers);
  let next = 0;
  const worker = async () => {
    while (next < o.layers) {
      const i = next++;
      layers[i] = await writeLayer(blobDir, i, perLayer, o);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.layers) }, worker));

  const config = putJson(blobDir, {
    created: EPOCH.toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'sealos.io.type': 'rootfs', 'kimg.bench': 'load-save' } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  });
  const manifest = putJson(blobDir, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: l.digest,
      size: l.size,
    })),
  });
  fs.writeFileSync(path.join(o.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(o.dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': o.refName },
        },
      ],
    }),
  );
  return {
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layers,
    compressedBytes: layers.reduce((n, l) => n + l.size, 0),
  };
}

/** A manifest for writeLayout: layers already written into the layout's blob folder by writeLayerBlob. */
export interface LayoutImage {
  /** The org.opencontainers.image.ref.name annotation in index.json. */
  ref: string;
  layers: WrittenLayer[];
  /** Goes into the config's `kimg.bench` label, so images with the same layers still differ. */
  label: string;
}

export interface LayoutEntry {
  ref: string;
  manifestDigest: string;
  configDigest: string;
  /** Sum of the layer blob sizes. */
  layerBytes: number;
}

/** Writes configs, manifests, oci-layout and index.json for images whose layer blobs are in `dir`. */
export function writeLayout(dir: string, images: LayoutImage[]): LayoutEntry[] {
  const blobDir = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobDir, { recursive: true });
  const entries: LayoutEntry[] = [];
  const manifests: unknown[] = [];
  for (const img of images) {
    const config = putJson(blobDir, {
      created: EPOCH.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'sealos.io.type': 'rootfs', 'kimg.bench': img.label } },
      rootfs: { type: 'layers', diff_ids: img.layers.map((l) => l.diffId) },
    });
    const manifest = putJson(blobDir, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: img.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    });
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      annotations: { 'org.opencontainers.image.ref.name': img.ref },
    });
    entries.push({
      ref: img.ref,
      manifestDigest: manifest.digest,
      configDigest: config.digest,
      layerBytes: img.layers.reduce((n, l) => n + l.size, 0),
    });
  }
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  return entries;
}
