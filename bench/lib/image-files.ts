// What an image pushed to a (plain-HTTP, local) registry holds: its manifest (read by skopeo), the sum of its
// layer sizes, its config's runtime fields, and its file list — every layer streamed from the registry,
// decompressed (gzip by zlib, zstd by the `zstd` CLI) and read as tar, whiteouts applied, each regular file's
// contents hashed. Used by the build benchmark to check that kimg's and buildah's images hold the same files.
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import { Duplex, PassThrough, Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import * as tar from 'tar-stream';
import { capture } from './measure';

export interface FileEntry {
  type: string;
  mode: string;
  size: number;
  /** sha256 of a regular file's contents, or a symlink's target. */
  content: string;
}

export interface PushedImage {
  manifestDigest: string;
  mediaTypes: string[];
  layers: number;
  /** Sum of the layer blob sizes in the manifest (the compressed size of the image). */
  layerBytes: number;
  config: {
    env: string[];
    cmd: string[];
    entrypoint: string[];
    workdir: string;
    labels: Record<string, string>;
  };
  files: Map<string, FileEntry>;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

const sha256 = (b: Buffer | string) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

/** A path as it is in the image: no leading `./` or `/`, no trailing `/`. */
const clean = (name: string) =>
  name
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .replace(/\/+$/, '');

function decompressor(mediaType: string): { stream: NodeJS.ReadWriteStream; done: Promise<void> } {
  if (mediaType.endsWith('+gzip') || mediaType.endsWith('.gzip')) {
    return { stream: zlib.createGunzip(), done: Promise.resolve() };
  }
  if (mediaType.endsWith('+zstd')) {
    const child = spawn('zstd', ['-dc', '-q'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd -dc exited ${code}`))));
    });
    return { stream: Duplex.from({ writable: child.stdin, readable: child.stdout }), done };
  }
  if (mediaType.endsWith('.tar') || mediaType.endsWith('.tar.diff')) {
    return { stream: new PassThrough(), done: Promise.resolve() };
  }
  throw new Error(`unsupported layer media type ${mediaType}`);
}

/** Applies one layer's tar stream to `files`. */
async function applyLayer(body: Readable, mediaType: string, files: Map<string, FileEntry>): Promise<void> {
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = clean(header.name);
    const base = name.split('/').pop() ?? '';
    const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    const drop = (prefix: string, self: boolean) => {
      for (const k of [...files.keys()]) {
        if ((self && k === prefix) || k.startsWith(prefix === '' ? '' : prefix + '/')) files.delete(k);
      }
    };
    if (base === '.wh..wh..opq') {
      drop(dir, false);
      stream.resume();
      stream.on('end', next);
      return;
    }
    if (base.startsWith('.wh.')) {
      drop((dir ? dir + '/' : '') + base.slice(4), true);
      stream.resume();
      stream.on('end', next);
      return;
    }
    const hash = crypto.createHash('sha256');
    stream.on('data', (c: unknown) => hash.update(c as Buffer));
    stream.on('end', () => {
      if (name !== '') {
        const type = header.type ?? 'file';
        files.set(name, {
          type,
          mode: ((header.mode ?? 0) & 0o7777).toString(8),
          size: type === 'file' ? (header.size ?? 0) : 0,
          content:
            type === 'file'
              ? 'sha256:' + hash.digest('hex')
              : type === 'symlink' || type === 'link'
                ? `-> ${header.linkname ?? ''}`
                : '',
        });
      }
      next();
    });
  });
  const d = decompressor(mediaType);
  await Promise.all([pipeline(body, d.stream, extract as unknown as Writable), d.done]);
}

/** Reads everything about `registryUrl/repo:tag` (untimed). `skopeo` reads the manifest and config. */
export async function readPushedImage(
  skopeo: string,
  registryUrl: string,
  host: string,
  repoTag: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PushedImage> {
  const ref = `docker://${host}/${repoTag}`;
  const raw = await capture(skopeo, ['inspect', '--raw', '--tls-verify=false', ref], env);
  const manifest = JSON.parse(raw) as { layers: Descriptor[]; mediaType?: string };
  const cfgRaw = await capture(skopeo, ['inspect', '--config', '--raw', '--tls-verify=false', ref], env);
  const cfg = (JSON.parse(cfgRaw) as { config?: Record<string, unknown> }).config ?? {};
  const repo = repoTag.replace(/:[^/:]+$/, '');
  const files = new Map<string, FileEntry>();
  for (const layer of manifest.layers) {
    const res = await fetch(`${registryUrl}/v2/${repo}/blobs/${layer.digest}`);
    if (!res.ok || !res.body) throw new Error(`GET blob ${layer.digest}: HTTP ${res.status}`);
    await applyLayer(
      Readable.fromWeb(res.body as import('stream/web').ReadableStream),
      layer.mediaType,
      files,
    );
  }
  return {
    manifestDigest: sha256(raw),
    mediaTypes: [...new Set(manifest.layers.map((l) => l.mediaType))],
    layers: manifest.layers.length,
    layerBytes: manifest.layers.reduce((n, l) => n + l.size, 0),
    config: {
      env: (cfg.Env as string[] | undefined) ?? [],
      cmd: (cfg.Cmd as string[] | undefined) ?? [],
      entrypoint: (cfg.Entrypoint as string[] | undefined) ?? [],
      workdir: (cfg.WorkingDir as string | undefined) ?? '',
      labels: (cfg.Labels as Record<string, string> | undefined) ?? {},
    },
    files,
  };
}

/** Counts of an image's entries by type, e.g. `2810 files, 120 dirs, 310 symlinks`. */
export function describeFiles(files: Map<string, FileEntry>): string {
  const by: Record<string, number> = {};
  for (const f of files.values()) by[f.type] = (by[f.type] ?? 0) + 1;
  const names: Record<string, string> = {
    file: 'files',
    directory: 'dirs',
    symlink: 'symlinks',
    link: 'hardlinks',
  };
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${n} ${names[t] ?? t}`)
    .join(', ');
}

/**
 * Compares two file lists: paths, types, modes, sizes, contents and link targets. Directory modes are compared
 * too. Returns null when they are the same, else a short description of the first differences.
 */
export function diffFiles(
  a: Map<string, FileEntry>,
  b: Map<string, FileEntry>,
  aName: string,
  bName: string,
) {
  const onlyA = [...a.keys()].filter((k) => !b.has(k)).sort();
  const onlyB = [...b.keys()].filter((k) => !a.has(k)).sort();
  const differ = [...a.keys()]
    .filter((k) => b.has(k))
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .sort();
  if (!onlyA.length && !onlyB.length && !differ.length) return null;
  const parts: string[] = [];
  if (onlyA.length) parts.push(`${onlyA.length} only in ${aName} (${onlyA.slice(0, 3).join(', ')})`);
  if (onlyB.length) parts.push(`${onlyB.length} only in ${bName} (${onlyB.slice(0, 3).join(', ')})`);
  if (differ.length) {
    const k = differ[0] as string;
    parts.push(`${differ.length} differ (${k}: ${JSON.stringify(a.get(k))} vs ${JSON.stringify(b.get(k))})`);
  }
  return parts.join('; ');
}
