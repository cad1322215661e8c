import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { open, readFile, readdir, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { TarIndex } from '../../src/layer';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import { kimg, kimgOk, makeTempDir, removeTempDirs, runOk, treeHash } from '../harness';

/**
 * Bundles for the air gap (issue 11): `kimg save --compression --split` and `kimg load` of what it wrote, with
 * real images (random layers), skopeo reading the plain bundle, and every way a carried bundle goes wrong:
 * a flipped byte, a missing or truncated part, a wrong flag. "Store unchanged" is a tree hash of the store.
 */
const MiB = 1024 * 1024;
const NAMES = ['example.com/site/rootfs:v1', 'example.com/site/app:2.0'];
let work: string;
let root: string;
const images: FixtureImage[] = [];

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  for (const [i, name] of NAMES.entries()) {
    const layout = join(work, `layout-${i}`);
    // Layers of ~1.2 MB each: several 1 MiB parts, blobs that span part boundaries.
    images.push(
      await writeRandomImage(layout, {
        ref: 'x',
        layers: 2,
        filesPerLayer: 4,
        fileSize: 300_000,
        seed: 40 + i,
      }),
    );
    await kimgOk(['copy', `oci:${layout}:x`, name], { root });
  }
}, 120_000);

afterAll(removeTempDirs);

interface Loaded {
  images: { digest: string; names: string[] }[];
  added: { images: number; blobs: number; bytes: number };
  compression: string;
  files: string[];
}

async function digests(store: string): Promise<Record<string, string>> {
  const rows = JSON.parse((await kimgOk(['images', '--format', 'json'], { root: store })).stdout) as {
    name?: string;
    digest: string;
  }[];
  return Object.fromEntries(rows.map((row) => [row.name ?? '', row.digest]));
}

async function load(file: string, store: string): Promise<Loaded> {
  return JSON.parse(
    (await kimgOk(['load', '-i', file, '--format', 'json'], { root: store })).stdout,
  ) as Loaded;
}

describe('kimg save bundles, kimg load them', () => {
  it.each([
    ['none', [] as string[], 'site.tar'],
    ['zstd', [] as string[], 'site.tar.zst'],
    ['gzip', ['--compression', 'gzip'], 'site-gz.bundle'],
    ['none', ['--split', '1M'], 'split.tar'],
    ['zstd', ['--split', '1M', '--compression', 'zstd'], 'split.tar.zst'],
    ['gzip', ['--split', '1MiB'], 'split.tgz'],
  ])(
    '%s %j: two images into a fresh store with their digests; a second load adds nothing',
    async (kind, flags, name) => {
      const file = join(work, name);
      const saved = await kimgOk(['save', '-o', file, ...flags, ...NAMES], { root });
      const split = flags.includes('--split');
      const written = (await readdir(work)).filter((f) => f.startsWith(`${name}.part`)).sort();
      if (split) {
        expect(saved.stdout).toContain(`to ${file}.part000 … ${file}.part00`);
        expect(written[0]).toBe(`${name}.part000`);
        expect(written.length).toBeGreaterThan(3);
        for (const part of written.slice(1, -1)) expect((await stat(join(work, part))).size).toBe(MiB);
        expect(existsSync(file)).toBe(false);
      } else {
        expect(saved.stdout).toContain(`to ${file} (oci-archive${kind === 'none' ? '' : `, ${kind}`}, `);
        expect(written).toEqual([]);
      }
      // The temp files are gone: only the bundle's own files are left beside it.
      expect((await readdir(work)).filter((f) => f.includes('kimg-tmp'))).toEqual([]);

      const fresh = join(work, `fresh-${name}`);
      // A split bundle is loaded by its header, a middle part or its bare name alike.
      const input = split ? `${file}.part002` : file;
      const first = await load(input, fresh);
      expect(first.compression).toBe(kind);
      expect(first.added.images).toBe(2);
      expect(first.added.blobs).toBe(8); // 2 × (manifest + config + 2 layers)
      expect(await digests(fresh)).toEqual(await digests(root));

      const before = await treeHash(fresh);
      const again = await kimgOk(['load', '-i', split ? file : input], { root: fresh });
      expect(again.stdout).toContain('Nothing added: the store already had all 2 image(s)');
      expect(await treeHash(fresh)).toBe(before);
    },
  );

  it('the plain bundle is an oci-archive skopeo reads, manifest digest unchanged', async () => {
    const file = join(work, 'site.tar');
    const raw = await runOk('skopeo', ['inspect', '--raw', `oci-archive:${file}:${NAMES[1]}`]);
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`).toBe(images[1]?.manifestDigest);
  });

  it("the split parts are the plain archive's bytes, and the header records their sha256 as Zarf's does", async () => {
    const header = JSON.parse(await readFile(join(work, 'split.tar.part000'), 'utf8')) as {
      count: number;
      bytes: number;
      sha256sum: string;
    };
    const parts = await Promise.all(
      Array.from({ length: header.count }, (_, i) =>
        readFile(join(work, `split.tar.part${String(i + 1).padStart(3, '0')}`)),
      ),
    );
    const whole = Buffer.concat(parts);
    expect(whole.length).toBe(header.bytes);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(whole).digest('hex')).toBe(header.sha256sum);
    // cat of the parts is an oci-archive skopeo reads.
    const joined = join(work, 'joined.tar');
    await writeFile(joined, whole);
    await runOk('skopeo', ['inspect', '--raw', `oci-archive:${joined}:${NAMES[0]}`]);
  });

  it('a zstd bundle is also an oci-archive: source for kimg copy (inflated once into the scratch)', async () => {
    const out = join(work, 'copied-from-zst');
    await kimgOk(['copy', `oci-archive:${join(work, 'site.tar.zst')}:${NAMES[0]}`, `oci:${out}:x`], { root });
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    expect(index.manifests[0]?.digest).toBe(images[0]?.manifestDigest);
    expect(await readdir(join(root, '.kimg', 'scratch'))).toEqual([]);
  });

  it('loads a gzipped and a zstd-compressed docker-archive written by skopeo (legacy layer names)', async () => {
    const plain = join(work, 'skopeo.docker.tar');
    await runOk('skopeo', [
      'copy',
      `oci:${join(work, 'layout-0')}:x`,
      `docker-archive:${plain}:legacy/app:1`,
    ]);
    const bytes = await readFile(plain);
    await writeFile(`${plain}.gz`, gzipSync(bytes));
    await writeFile(`${plain}.zst`, zstdCompress(bytes));
    for (const file of [`${plain}.gz`, `${plain}.zst`]) {
      const store = join(work, `legacy-${basename(file)}`);
      const loaded = await load(file, store);
      expect(loaded.images[0]?.names).toEqual(['docker.io/legacy/app:1']);
      expect(loaded.added.images).toBe(1);
    }
  });
});

describe('a damaged bundle is refused and the store is unchanged', () => {
  let target: string;
  let hash: string;

  beforeAll(async () => {
    // A store that holds something already: a refused load must leave it byte for byte.
    target = join(work, 'target-store');
    await kimgOk(['load', '-i', join(work, 'site.tar')], { root: target });
    await kimgOk(['rmi', NAMES[1] as string], { root: target });
    await kimgOk(['prune'], { root: target }); // so the second image's blobs must come from the bundle
    hash = await treeHash(target);
  }, 60_000);

  /** A copy of the bundle files `prefix*` into a new folder. */
  async function copyOf(prefix: string): Promise<string> {
    const dir = await makeTempDir();
    for (const name of await readdir(work)) {
      if (name.startsWith(prefix)) await writeFile(join(dir, name), await readFile(join(work, name)));
    }
    return dir;
  }

  async function flipByte(file: string, offset: number): Promise<void> {
    const handle = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await handle.write(byte, 0, 1, offset);
    } finally {
      await handle.close();
    }
  }

  /** The largest layer of the second image: where it sits in the plain archive. */
  async function layerAt(file: string): Promise<{ digest: string; offset: number; size: number }> {
    const tar = await TarIndex.open(file);
    const layer = [...(images[1]?.layers ?? [])].sort((a, b) => b.size - a.size)[0];
    const entry = tar.get(`blobs/sha256/${layer?.digest.slice('sha256:'.length)}`);
    await tar.close();
    return { digest: layer?.digest ?? '', offset: entry?.offset ?? 0, size: entry?.size ?? 0 };
  }

  async function refused(file: string, pattern: RegExp, exitCode = 1): Promise<string> {
    const result = await kimg(['load', '-i', file], { root: target });
    expect(result.code).toBe(exitCode);
    expect(result.stderr).toMatch(pattern);
    expect(await treeHash(target)).toBe(hash);
    return result.stderr;
  }

  it('one flipped byte in a layer of a plain bundle: refused naming the blob', async () => {
    const dir = await copyOf('site.tar');
    const layer = await layerAt(join(work, 'site.tar'));
    await flipByte(join(dir, 'site.tar'), layer.offset + Math.floor(layer.size / 2));
    await refused(join(dir, 'site.tar'), new RegExp(`digest mismatch for .*${layer.digest.slice(7)}`));
  });

  it('one flipped byte in a split bundle: refused naming the blob and the part it is in', async () => {
    const dir = await copyOf('split.tar.part');
    // Where the layer sits in the parts joined (a save's member order follows its pushes, so each file has its own).
    const joined = join(dir, 'joined.tar');
    const count = (await readdir(dir)).length - 1;
    const parts = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        readFile(join(dir, `split.tar.part${String(i + 1).padStart(3, '0')}`)),
      ),
    );
    await writeFile(joined, Buffer.concat(parts));
    const layer = await layerAt(joined);
    const at = layer.offset + Math.floor(layer.size / 2);
    const part = `split.tar.part${String(Math.floor(at / MiB) + 1).padStart(3, '0')}`;
    await flipByte(join(dir, part), at % MiB);
    const stderr = await refused(join(dir, 'split.tar.part000'), new RegExp(layer.digest.slice(7)));
    expect(stderr).toContain(`${part} does not match the sha256`);
  });

  it('one flipped byte in a zstd bundle: refused', async () => {
    const dir = await copyOf('site.tar.zst');
    const file = join(dir, 'site.tar.zst');
    const size = (await readFile(file)).length;
    await flipByte(file, Math.floor(size / 2));
    await refused(file, /digest mismatch|corrupt|zstd|Data corruption/i);
  });

  it('a missing part: refused naming it, before anything is read', async () => {
    const dir = await copyOf('split.tar.zst.part');
    await rename(join(dir, 'split.tar.zst.part003'), join(dir, 'elsewhere'));
    await refused(
      join(dir, 'split.tar.zst.part000'),
      /split\.tar\.zst\.part003 is missing \(split\.tar\.zst\.part000 lists \d+ parts\)/,
    );
  });

  it('a missing header: refused naming it', async () => {
    const dir = await copyOf('split.tar.part');
    await rename(join(dir, 'split.tar.part000'), join(dir, 'elsewhere'));
    await refused(join(dir, 'split.tar.part001'), /split\.tar\.part000 is missing: it lists the parts/);
  });

  it('a truncated part: refused naming it and its size', async () => {
    const dir = await copyOf('split.tar.part');
    await truncate(join(dir, 'split.tar.part002'), 1000);
    await refused(
      join(dir, 'split.tar'),
      /split\.tar\.part002 is 1000 bytes; split\.tar\.part000 says 1048576/,
    );
  });
});

describe('bad save flags are usage errors (exit 2) and write nothing', () => {
  it.each([
    [['--split', '10K'], /--split: 10K is smaller than the smallest part/],
    [['--split', 'lots'], /--split: "lots" is not a size/],
    [['--compression', 'xz'], /unknown compression "xz"/],
    [
      ['--compression', 'gzip', '-o', 'x.tar.zst'],
      /--compression gzip contradicts the name .*x\.tar\.zst, which says zstd/,
    ],
  ])('%j', async (flags, message) => {
    const dir = await makeTempDir();
    const output = flags.includes('-o') ? [] : ['-o', join(dir, 'x.tar')];
    const args = [
      'save',
      ...output,
      ...flags.map((f) => (f === 'x.tar.zst' ? join(dir, f) : f)),
      NAMES[0] as string,
    ];
    const result = await kimg(args, { root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await readdir(dir)).toEqual([]);
  });
});
