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

async function writeLayer(blobDir: string, index: number, bytes: number, o: Required<RandomImageOptions>) {
  const pack = tar.pack();
  const raw = new Digester();
  const gz = new Digester();
  const tmp = path.join(blobDir, `.layer-${index}.tmp`);
  const done = pipeline(pack, raw, zlib.createGzip({ level: 6 }), gz, fs.createWriteStream(tmp));
  const ks = keystream(o.seed, index);
  for (let off = 0, f = 0; off < bytes; off += FILE_BYTES, f++) {
    await writeFileEntry(
      pack,
      `opt/layer${index}/file${f}.bin`,
      Math.min(FILE_BYTES, bytes - off),
      ks,
      o.textFraction,
    );
  }
  pack.finalize();
  await done;
  const digest = gz.digest();
  fs.renameSync(tmp, path.join(blobDir, digest.slice('sha256:'.length)));
  return { digest, size: gz.bytes, diffId: raw.digest() };
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
