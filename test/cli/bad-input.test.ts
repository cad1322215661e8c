import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { kimg, kimgOk, makeTempDir, removeTempDirs, runOk, treeHash } from '../harness';

/**
 * Every bad input gets one clear error line and changes nothing: each case hashes the whole store before and
 * after the failing command.
 */
let work: string;
let root: string;
let fresh: FixtureImage;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  await writeRandomImage(join(work, 'good'), { ref: 'example.com/good:1', layers: 2, seed: 5 });
  await runOk('tar', ['-C', join(work, 'good'), '-cf', join(work, 'good.tar'), '.']);
  // A store with content, so "unchanged" means something.
  await kimgOk(['load', '-i', join(work, 'good.tar')], { root });
  // Broken archives start from an image the store does not have (one it has would be skipped, never read).
  fresh = await writeRandomImage(join(work, 'fresh'), { ref: 'example.com/fresh:1', layers: 2, seed: 6 });
});

afterAll(removeTempDirs);

/** Copies the good layout, lets `mutate` break it, and tars it as an oci-archive. */
async function brokenArchive(name: string, mutate: (layout: string) => Promise<void>): Promise<string> {
  const layout = join(work, name);
  await cp(join(work, 'fresh'), layout, { recursive: true });
  await mutate(layout);
  const file = join(work, `${name}.tar`);
  await runOk('tar', ['-C', layout, '-cf', file, '.']);
  return file;
}

const blob = (layout: string, digest: string) =>
  join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));

async function expectRefusedAndUnchanged(args: string[], message: RegExp): Promise<string> {
  const before = await treeHash(root);
  const result = await kimg(args, { root });
  // A refused input exits 1; 2 is only for a wrong command line (README "Exit status").
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  // One error line plus at most one hint line, no stack without --debug.
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(await treeHash(root)).toBe(before);
  return result.stderr;
}

describe('bad input is refused with a clear message and the store is byte-for-byte unchanged', () => {
  it('truncated tar', async () => {
    const file = join(work, 'truncated.tar');
    await runOk('tar', ['-C', join(work, 'fresh'), '-cf', file, '.']);
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
    await truncate(file, Math.floor(size / 2));
    await expectRefusedAndUnchanged(
      ['load', '-i', file],
      /truncated\.tar: .*(cut short|extends past the end|truncated)/,
    );
  });

  it('corrupt gzip layer', async () => {
    const file = await brokenArchive('corrupt-gzip', async (layout) => {
      const path = blob(layout, fresh.layers[0]!.digest);
      const bytes = await readFile(path);
      const middle = Math.floor(bytes.length / 2);
      bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
      await writeFile(path, bytes);
    });
    await expectRefusedAndUnchanged(
      ['load', '-i', file],
      new RegExp(`digest mismatch.*${fresh.layers[0]!.digest}`),
    );
  });

  it('digest mismatch: a blob replaced by other content', async () => {
    const file = await brokenArchive('mismatch', async (layout) => {
      const path = blob(layout, fresh.configDigest);
      const bytes = await readFile(path);
      await writeFile(path, Buffer.from(bytes.toString().replace('"seed":"6"', '"seed":"7"')));
    });
    await expectRefusedAndUnchanged(['load', '-i', file], /digest mismatch/);
  });

  it('manifest naming a missing blob', async () => {
    const file = await brokenArchive('missing', async (layout) => rm(blob(layout, fresh.layers[1]!.digest)));
    await expectRefusedAndUnchanged(['load', '-i', file], new RegExp(fresh.layers[1]!.digest.slice(7, 19)));
  });

  it('invalid index.json in an archive', async () => {
    const file = await brokenArchive('bad-index', async (layout) =>
      writeFile(join(layout, 'index.json'), '{"schemaVersion": 2, "manifests": [{"digest": 3}]}'),
    );
    await expectRefusedAndUnchanged(['load', '-i', file], /index\.json/);
  });

  it('invalid index.json in the store', async () => {
    const store = join(work, 'broken-store');
    await cp(root, store, { recursive: true });
    await writeFile(join(store, 'index.json'), '{ not json');
    const before = await treeHash(store);
    for (const args of [['images'], ['load', '-i', join(work, 'good.tar')], ['prune']]) {
      const result = await kimg(args, { root: store });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/index\.json/);
    }
    expect(await treeHash(store)).toBe(before);
  });

  it('invalid reference', async () => {
    const stderr = await expectRefusedAndUnchanged(
      ['tag', 'example.com/good:1', 'Example.com/BAD:1'],
      /invalid reference "Example\.com\/BAD:1"/,
    );
    expect(stderr).toContain('hint');
    await expectRefusedAndUnchanged(['inspect', 'bad::name'], /invalid reference/);
  });

  it('unknown archive format', async () => {
    const file = join(work, 'not-an-archive.bin');
    await writeFile(file, Buffer.alloc(4096, 7));
    await expectRefusedAndUnchanged(
      ['load', '-i', file],
      /not-an-archive\.bin is not an oci-archive or docker-archive/,
    );
  });

  it('missing input file', async () => {
    await expectRefusedAndUnchanged(['load', '-i', join(work, 'nope.tar')], /nope\.tar/);
  });

  it('usage errors exit 2 and name the way out', async () => {
    const result = await kimg(['load'], { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/input/);
    expect((await kimg(['frobnicate'], { root })).code).toBe(2);
    expect((await kimg(['load', '--bogus', '-i', 'x.tar'], { root })).code).toBe(2);
    // A flag value refused by a library helper (manifest/platform.ts) is still a usage error.
    const platform = await kimg(['copy', '--platform', 'linux/', 'oci:/nowhere:x', 'oci:/nowhere2:x'], {
      root,
    });
    expect(platform.code).toBe(2);
    expect(platform.stderr).toMatch(/kimg: error: invalid platform "linux\/"/);
    const ratio = await kimg(['load', '--max-inflate-ratio', '0.5', '-i', 'x.tar'], { root });
    expect(ratio.code).toBe(2);
    expect(ratio.stderr).toContain('--max-inflate-ratio: expected a number ≥ 1, got 0.5');
  });
});
