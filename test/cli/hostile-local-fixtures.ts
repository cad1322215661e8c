import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaType } from '../../src/manifest/media-types';
import { REPO_ROOT, run, type RunOptions, type RunResult } from '../harness';
import { seededBytes, tarOf } from '../fixtures/random-image';

/** Generators of lying local inputs (issue 9, classes 6–8, 10, 12) and a CLI runner that measures the child. */

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export function blobPath(layout: string, digest: string): string {
  return join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function writeBlob(layout: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(blobPath(layout, digest), data);
  return digest;
}

export interface HandmadeImage {
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
}

/**
 * An OCI layout of one image with one uncompressed layer of `layer` bytes (whatever they are: a tar, or the
 * bytes of /etc/passwd, which a blob symlink will then stand for). `manifestExtra` is merged into the manifest
 * (a deeply nested field for the depth test).
 */
export async function writeImageLayout(
  layout: string,
  layer: Buffer,
  manifestExtra: string = '',
): Promise<HandmadeImage> {
  const layerDigest = await writeBlob(layout, layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }),
  );
  const configDigest = await writeBlob(layout, config);
  const head = JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
    layers: [{ mediaType: MediaType.OciLayer, digest: layerDigest, size: layer.length }],
  });
  const manifest = Buffer.from(manifestExtra === '' ? head : `${head.slice(0, -1)},${manifestExtra}}`);
  const manifestDigest = await writeBlob(layout, manifest);
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciManifest, digest: manifestDigest, size: manifest.length }],
    }),
  );
  return { manifestDigest, configDigest, layerDigest };
}

/** `"deep":[[[…]]]`, nested `levels` deep, without recursion. */
export function deeplyNested(levels: number): string {
  return `"deep":${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/** A small real layer tar, so images made with it are valid. */
export function smallLayer(seed: number): Promise<Buffer> {
  return tarOf([{ name: `file-${seed}.bin`, content: seededBytes(seed, 512) }]);
}

/** A docker-archive (Docker ≥ 25 member names) of one image with `count` RepoTags. */
export async function dockerArchiveWithTags(dir: string, count: number): Promise<void> {
  const layer = await smallLayer(7);
  const image = await writeImageLayout(dir, layer);
  const member = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  const repoTags = Array.from({ length: count }, (_, i) => `example.com/many/image-${i}:v${i}`);
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify([
      { Config: member(image.configDigest), RepoTags: repoTags, Layers: [member(image.layerDigest)] },
    ]),
  );
}

/** A tar of `count` empty files named `f<i>`. */
export function manyEntriesTar(count: number): Promise<Buffer> {
  return tarOf(Array.from({ length: count }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(0) })));
}

export interface MeasuredRun extends RunResult {
  ms: number;
  /** Peak RSS of the kimg process, from /usr/bin/time (getrusage of the waited-for children). */
  maxRssMb: number;
}

/** A hang must fail the test, not the suite: the child is killed after this long. */
export const CHILD_KILL_AFTER_S = 60;

/**
 * Runs bin/kimg under `/usr/bin/time -f %M` and `timeout -s KILL`, returning the exit code, the output (the
 * measurement line removed), the wall time and the peak RSS.
 */
export async function kimgMeasured(
  args: readonly string[],
  root: string,
  options: RunOptions = {},
): Promise<MeasuredRun> {
  const marker = 'kimg-test-maxrss-kb=';
  const start = Date.now();
  const result = await run(
    '/usr/bin/time',
    [
      '-f',
      `${marker}%M`,
      'timeout',
      '-s',
      'KILL',
      String(CHILD_KILL_AFTER_S),
      process.execPath,
      join(REPO_ROOT, 'bin', 'kimg'),
      ...args,
    ],
    { ...options, env: { ...process.env, ...options.env, KIMG_ROOT: root } },
  );
  const ms = Date.now() - start;
  const lines = result.stderr.split('\n');
  const at = lines.findIndex((line) => line.startsWith(marker));
  const kb = at === -1 ? NaN : Number(lines[at]?.slice(marker.length));
  if (at !== -1) lines.splice(at, 1);
  // time(1) reports a killed child as "Command terminated by signal 9" on its own line.
  const stderr = lines.filter((line) => !line.startsWith('Command ')).join('\n');
  return { ...result, stderr, ms, maxRssMb: kb / 1024 };
}

/**
 * A ustar archive of `count` empty members `f<i>`, written header by header (tar-stream would take seconds for
 * 100,000): POSIX ustar fields, checksum over the header with the checksum field read as spaces.
 */
export function emptyMembersTar(count: number): Buffer {
  const out = Buffer.alloc((count + 2) * 512);
  const template = Buffer.alloc(512);
  template.write('0000644\0', 100, 'latin1');
  template.write('0000000\0', 108, 'latin1');
  template.write('0000000\0', 116, 'latin1');
  template.write('00000000000\0', 124, 'latin1');
  template.write('00000000000\0', 136, 'latin1');
  template.write('0', 156, 'latin1');
  template.write('ustar\u000000', 257, 'latin1');
  for (let i = 0; i < count; i++) {
    const header = out.subarray(i * 512, (i + 1) * 512);
    template.copy(header);
    header.write(`f${i}`, 0, 'latin1');
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  }
  return out;
}
