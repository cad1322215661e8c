import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILD_CACHE_DIR, STAT_INDEX_DIR } from '../../../src/build/cache';
import { makeTempDir, removeTempDirs } from '../../harness';
import { writeTree } from '../../cli/build-helpers';
import { buildBeside } from '../build-beside';

/**
 * Issue 13: the stat index (cached rebuilds that do not read the context), the one-pass first build (each file
 * read once, by the layer writer, the step keyed on its diff ID), the tar hash when a cached step may exist, and
 * layers reused by their own key after a config-only change above them.
 */
let work: string;
const OLD = new Date('2024-01-02T03:04:05Z');

beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(removeTempDirs);

/** A context (`<name>/ctx`) and its Kubefile beside it (`<name>/Kubefile`, not part of the context). */
async function context(name: string, kubefile: string): Promise<string> {
  const dir = join(work, name, 'ctx');
  await writeTree(dir, { 'big.bin': 'x'.repeat(300_000), 'etc/a.yaml': 'a: 1\n' });
  await writeFile(join(dir, '..', 'Kubefile'), kubefile);
  // mtimes old enough not to be "racy" (stat-index.ts RACY_MARGIN_MS): remembered by the first build.
  for (const file of ['big.bin', 'etc/a.yaml']) await utimes(join(dir, file), OLD, OLD);
  return dir;
}

const run = buildBeside;

/** The stat index's COPY records: identity → [stamps digest, diff ID]. */
async function indexFile(root: string): Promise<Record<string, [string, string]>> {
  const dir = join(root, BUILD_CACHE_DIR, STAT_INDEX_DIR);
  const [name] = await readdir(dir);
  return (
    JSON.parse(await readFile(join(dir, name as string), 'utf8')) as {
      copies: Record<string, [string, string]>;
    }
  ).copies;
}

/** Every file of the build cache with its mtime: what a no-op rebuild must leave alone. */
async function cacheFiles(root: string): Promise<Record<string, number>> {
  const dir = join(root, BUILD_CACHE_DIR);
  const out: Record<string, number> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    out[name] = (await stat(join(dir, name))).mtimeMs;
  }
  return out;
}

describe('build: stat index, one pass, layer reuse', () => {
  it('reads nothing for an unchanged context; finds content changed with size and mtime kept', async () => {
    const dir = await context('same-size', 'FROM scratch\nCOPY . /app/\n');
    const root = join(work, 'same-size-store');
    const first = await run(dir, root);
    // A fresh store: nothing could hit, so the files were read once, by the layer writer, not hashed first.
    expect(first.steps[0]).toMatchObject({ cached: false, hashedBytes: 0 });
    // One record for the one COPY, holding its layer's diff ID.
    expect(Object.values(await indexFile(root)).map(([, key]) => key)).toEqual([
      first.steps[0]?.layer?.diffId,
    ]);

    const written = await cacheFiles(root);
    const second = await run(dir, root);
    expect(second.steps[0]).toMatchObject({ cached: true, hashedBytes: 0 });
    expect(second.digest).toBe(first.digest);
    expect(await cacheFiles(root)).toEqual(written); // nothing rewritten: no step, no index

    // Same size, same mtime, other bytes: ctime moved (no user call can set it), so the COPY is read again:
    // its tar is hashed (both files, 300 005 bytes) before the cache is looked up.
    await writeFile(join(dir, 'big.bin'), 'y'.repeat(300_000));
    await utimes(join(dir, 'big.bin'), OLD, OLD);
    expect((await stat(join(dir, 'big.bin'))).mtime).toEqual(OLD);
    const third = await run(dir, root);
    expect(third.steps[0]).toMatchObject({ cached: false, hashedBytes: 300_005 });
    expect(third.digest).not.toBe(first.digest);

    const fourth = await run(dir, root);
    expect(fourth.steps[0]).toMatchObject({ cached: true, hashedBytes: 0 });
    expect(fourth.digest).toBe(third.digest);
  });

  it('does not remember a COPY of a racy file (changed within 2 s of the walk): it is read next time', async () => {
    const dir = await context('racy', 'FROM scratch\nCOPY etc /etc/\nCOPY big.bin /big.bin\n');
    await writeFile(join(dir, 'etc/a.yaml'), 'a: 2\n'); // mtime and ctime: now
    const root = join(work, 'racy-store');
    const first = await run(dir, root);
    // Only the COPY of big.bin is remembered.
    expect(Object.values(await indexFile(root)).map(([, key]) => key)).toEqual([
      first.steps[1]?.layer?.diffId,
    ]);
    const second = await run(dir, root);
    expect(second.steps[0]).toMatchObject({ cached: true, hashedBytes: 5 }); // the racy file, hashed to key it
    expect(second.steps[1]).toMatchObject({ cached: true, hashedBytes: 0 });
  });

  it('keys a COPY by its tar, not by mtimes or where the context is: another checkout hits the cache', async () => {
    const a = await context('checkout-a', 'FROM scratch\nCOPY . /app/\n');
    const b = await context('checkout-b', 'FROM scratch\nCOPY . /app/\n');
    await utimes(join(b, 'big.bin'), new Date('2023-05-06T00:00:00Z'), new Date('2023-05-06T00:00:00Z'));
    const root = join(work, 'checkout-store');
    const first = await run(a, root);
    const other = await run(b, root); // no stat index for b yet: its tar is hashed, the step is found
    expect(other.steps[0]).toMatchObject({ cached: true, hashedBytes: 300_005, key: first.steps[0]?.key });
    expect(other.digest).toBe(first.digest);
    await chmod(join(b, 'etc/a.yaml'), 0o600);
    const moded = await run(b, root);
    expect(moded.steps[0]).toMatchObject({ cached: false });
    expect(moded.steps[0]?.key).not.toBe(first.steps[0]?.key);
  });

  it('--no-cache trusts no index: a lying index is bypassed and rewritten', async () => {
    const dir = await context('lying', 'FROM scratch\nCOPY . /app/\n');
    const root = join(work, 'lying-store');
    const honest = await run(dir, root);
    // Make the index lie about big.bin (as a file system whose stat data cannot be trusted would).
    const indexDir = join(root, BUILD_CACHE_DIR, STAT_INDEX_DIR);
    const [name] = await readdir(indexDir);
    const file = join(indexDir, name as string);
    const index = JSON.parse(await readFile(file, 'utf8')) as { copies: Record<string, [string, string]> };
    const [identity, [, real]] = Object.entries(index.copies)[0] as [string, [string, string]];
    // Content changed behind the index's back, with its stamps recorded as they are now.
    await writeFile(join(dir, 'big.bin'), 'z'.repeat(300_000));
    await utimes(join(dir, 'big.bin'), OLD, OLD);
    const lying = await run(dir, join(work, 'lying-probe')); // another store: learns the new stamps' digest
    const stamps = (await indexFile(join(work, 'lying-probe')))[identity]?.[0] as string;
    index.copies[identity] = [stamps, real];
    await writeFile(file, JSON.stringify(index));
    const fresh = await run(dir, root, { noCache: true });
    expect(fresh.steps[0]).toMatchObject({ cached: false });
    expect(fresh.digest).not.toBe(honest.digest);
    expect(fresh.digest).toBe(lying.digest);
    expect((await indexFile(root))[identity]?.[1]).toBe(fresh.steps[0]?.layer?.diffId);
    expect((await indexFile(root))[identity]?.[1]).not.toBe(real);
  });

  it('reuses a layer by its own key after a config-only change above it (no recompression)', async () => {
    const dir = await context('relabel', 'FROM scratch\nLABEL v=1\nCOPY . /app/\nCMD ["a"]\n');
    const root = join(work, 'relabel-store');
    const first = await run(dir, root);
    await writeFile(join(dir, '..', 'Kubefile'), 'FROM scratch\nLABEL v=2\nCOPY . /app/\nCMD ["b"]\n');
    const second = await run(dir, root, { labels: { extra: 'x' } });
    const copy = second.steps[1];
    expect(copy).toMatchObject({ cached: false, layerReused: true });
    expect(copy?.layer).toEqual(first.steps[1]?.layer);
    expect(second.digest).not.toBe(first.digest);
  });

  it('gives the same image digest run to run, gzip and zstd, cached or not', async () => {
    for (const compression of ['gzip', 'zstd'] as const) {
      const dir = await context(`repro-${compression}`, 'FROM scratch\nCOPY . /app/\n');
      const a = await run(dir, join(work, `repro-${compression}-a`), { compression });
      const b = await run(dir, join(work, `repro-${compression}-b`), { compression, noCache: true });
      const c = await run(dir, join(work, `repro-${compression}-a`), { compression });
      expect(b.digest).toBe(a.digest);
      expect(c.digest).toBe(a.digest);
    }
  });
});
