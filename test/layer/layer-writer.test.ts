import { afterAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isKimgError } from '../../src/errors';
import {
  hashLayer,
  TarIndex,
  writeLayer,
  writeLayerFile,
  type LayerEntry,
  type WriteLayerOptions,
} from '../../src/layer';
import { makeTempDir, removeTempDirs, runOk } from '../harness';
import { fileEntry, memorySink, patternBytes } from './helpers';

afterAll(removeTempDirs);

const LONG = `${'d'.repeat(80)}/${'e'.repeat(80)}/${'f'.repeat(120)}.txt`; // > 256: needs a pax path
const SPLIT = `${'d'.repeat(80)}/${'s'.repeat(90)}.txt`; // > 100 but fits ustar's prefix + name split

/** A small tree with every member kind; `mtime` differs per call, as it would between two checkouts. */
function tree(mtime: number): LayerEntry[] {
  return [
    fileEntry('etc/kubernetes/admin.yaml', 'kind: Config\n', { mtime, mode: 0o600 }),
    fileEntry('bin/kubeadm', patternBytes('kubeadm', 300_000), { mtime, mode: 0o755, linkKey: '1:42' }),
    fileEntry('bin/kubeadm-copy', patternBytes('kubeadm', 300_000), { mtime, mode: 0o755, linkKey: '1:42' }),
    { path: 'bin/kubectl', type: 'symlink', mode: 0o777, linkTarget: 'kubeadm', mtime },
    { path: 'charts', type: 'directory', mode: 0o750, mtime },
    fileEntry(LONG, 'long name\n', { mtime }),
    fileEntry(SPLIT, 'split name\n', { mtime }),
    fileEntry('ünïcødé.txt', 'utf-8 name\n', { mtime }),
    fileEntry('a-b', 'sorts after a/\n', { mtime }),
    fileEntry('a/z', 'child of a\n', { mtime }),
  ];
}

async function layerBytes(entries: LayerEntry[], options: WriteLayerOptions = {}) {
  const { sink, bytes } = memorySink();
  const written = await writeLayer(entries, sink, options);
  return { written, bytes: bytes() };
}

async function tarListing(file: string, flags: string): Promise<string[]> {
  const { stdout } = await runOk('tar', [flags, '--numeric-owner', '--full-time', '-f', file], {
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' },
  });
  return stdout.trim().split('\n');
}

describe('writeLayer', () => {
  it('writes the same bytes whatever the files’ mtimes (digest and diff ID)', async () => {
    const first = await layerBytes(tree(1_600_000_000));
    const second = await layerBytes(tree(1_700_000_000));
    expect(second.written).toEqual(first.written);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(first.written.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(first.written.size).toBe(first.bytes.length);
    expect(gunzipSync(first.bytes).length).toBe(first.written.uncompressedSize);
  });

  it('hashLayer gives the diff ID and tar size writeLayer writes, for any owner and timestamp', async () => {
    for (const options of [{}, { owner: { uid: 1000, gid: 2000 }, timestamp: 1_700_000_000 }]) {
      const { written } = await layerBytes(tree(1_600_000_000), options);
      const hashed = await hashLayer(tree(1_600_000_000), options);
      expect(hashed).toEqual({ diffId: written.diffId, size: written.uncompressedSize });
    }
    const other = await hashLayer(tree(1_600_000_000), { owner: { uid: 1, gid: 1 } });
    expect(other.diffId).not.toBe((await layerBytes(tree(1_600_000_000))).written.diffId);
  });

  it('gives identical gzip bytes with 1 and 4 workers', async () => {
    const big = [
      fileEntry('data', Buffer.concat([patternBytes('w', 2_500_000), Buffer.alloc(2_000_000, 7)])),
    ];
    const one = await layerBytes(big, { workers: 1 });
    const four = await layerBytes(big, { workers: 4 });
    expect(four.bytes.equals(one.bytes)).toBe(true);
    expect(four.written).toEqual(one.written);
  });

  it('is listed by GNU tar with uid/gid 0, the timestamp, sorted parents-first names; gzip -t accepts it', async () => {
    const dir = await makeTempDir('kimg-layer-');
    const file = join(dir, 'layer.tar.gz');
    await writeLayerFile(tree(1_600_000_000), file, { timestamp: 1_234_567_890 });
    await runOk('gzip', ['-t', file]);
    const lines = await tarListing(file, '-tvz');
    for (const line of lines) expect(line).toMatch(/^\S+ 0\/0 .* 2009-02-13 23:31:30 /);
    const names = lines.map((line) => line.replace(/^.* 2009-02-13 23:31:30 /, ''));
    expect(names).toEqual([
      'a/',
      'a/z',
      'a-b',
      'bin/',
      'bin/kubeadm',
      'bin/kubeadm-copy link to bin/kubeadm',
      'bin/kubectl -> kubeadm',
      'charts/',
      'd'.repeat(80) + '/',
      `${'d'.repeat(80)}/${'e'.repeat(80)}/`,
      LONG,
      SPLIT,
      'etc/',
      'etc/kubernetes/',
      'etc/kubernetes/admin.yaml',
      'ünïcødé.txt',
    ]);
    expect(lines[0]).toMatch(/^drwxr-xr-x /); // implicit parent: 0755
    expect(lines.find((line) => line.endsWith('charts/'))).toMatch(/^drwxr-x--- /);
    expect(lines.find((line) => line.endsWith('admin.yaml'))).toMatch(/^-rw------- /);
  });

  it('uses pax only for names ustar cannot hold, and never for times', async () => {
    const { bytes } = await layerBytes(tree(5), { compression: 'none' });
    const text = bytes.toString('utf8');
    expect(/mtime=|atime=|ctime=/.test(text)).toBe(false);
    expect(text.includes('path=ünïcødé.txt\n')).toBe(true);
    expect(text.includes(`path=${LONG}\n`)).toBe(true);
    expect(text.includes(`path=${SPLIT}`)).toBe(false);
    expect(text.match(/\d+ path=/g)).toHaveLength(2);
  });

  it('reads back through our own tar index (ustar prefix, pax path, hardlink, symlink)', async () => {
    const dir = await makeTempDir('kimg-layer-');
    const file = join(dir, 'layer.tar');
    const written = await writeLayerFile(tree(0), file, { compression: 'none' });
    expect(written.digest).toBe(written.diffId);
    expect(written.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    const index = await TarIndex.open(file);
    try {
      const names = index.entries().map((entry) => entry.name);
      expect(names).toEqual(expect.arrayContaining([LONG, SPLIT, 'ünïcødé.txt', 'bin/kubectl']));
    } finally {
      await index.close();
    }
  });

  it('applies --chown to listed entries, preserveMtime and SOURCE_DATE_EPOCH-style timestamps', async () => {
    const dir = await makeTempDir('kimg-layer-');
    const file = join(dir, 'layer.tar');
    await writeLayerFile([fileEntry('opt/app/x', 'x', { mtime: 1_000_000_000 })], file, {
      compression: 'none',
      owner: { uid: 1000, gid: 2000 },
      preserveMtime: true,
    });
    const lines = await tarListing(file, '-tv');
    expect(lines[0]).toMatch(/^drwxr-xr-x 0\/0 /);
    expect(lines[2]).toMatch(/^-rw-r--r-- 1000\/2000 .* 2001-09-09 01:46:40 opt\/app\/x$/);
  });

  it('writes zstd that `zstd -t` accepts and that decompresses to the diff ID', async () => {
    const dir = await makeTempDir('kimg-layer-');
    const file = join(dir, 'layer.tar.zst');
    const written = await writeLayerFile(tree(0), file, { compression: 'zstd' });
    expect(written.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    await runOk('zstd', ['-q', '-t', file]);
    await runOk('zstd', ['-q', '-d', file, '-o', join(dir, 'layer.tar')]);
    const { digestOf } = await import('../../src/digest');
    expect(digestOf(await readFile(join(dir, 'layer.tar')))).toBe(written.diffId);
    const again = await layerBytes(tree(99), { compression: 'zstd' });
    expect(again.written).toEqual(written);
  });

  it('fails when a file changes size while it is read, and removes the partial file', async () => {
    const dir = await makeTempDir('kimg-layer-');
    const file = join(dir, 'layer.tar.gz');
    const liar = fileEntry('grew', 'more bytes than promised');
    const err = await writeLayerFile([{ ...liar, size: 4 }], file).catch((e: unknown) => e);
    expect(isKimgError(err, 'IO_ERROR')).toBe(true);
    expect((err as Error).message).toContain('grew changed while its layer was written');
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it('refuses paths that climb out and entries below a file', async () => {
    await expect(layerBytes([fileEntry('../etc/passwd', 'x')])).rejects.toThrow(/not a path inside/);
    await expect(layerBytes([fileEntry('a', 'x'), fileEntry('a/b', 'y')])).rejects.toThrow(/which is a file/);
  });
});
