import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, runOk, skopeo, treeHash } from '../harness';
import {
  blobPath,
  deeplyNested,
  dockerArchiveWithTags,
  emptyMembersTar,
  kimgMeasured,
  manyEntriesTar,
  smallLayer,
  writeImageLayout,
  type HandmadeImage,
  type MeasuredRun,
} from './hostile-local-fixtures';

/**
 * Issue 9, "local sources that lie": oci: layouts, registry-dir: folders, the store and archives whose files are
 * symlinks out, devices, FIFOs, loops, absurdly nested JSON or thousands of names. Each case runs the built CLI
 * and asserts the exit code, the one error line, the time, the peak RSS and that the store (and the other
 * folders involved) did not change.
 */
jest.setTimeout(120_000);

/** Every refusal here is immediate; seconds leave room for a loaded CI machine. */
const REFUSED_WITHIN_MS = 10_000;
/** kimg starts at ~70 MB; /dev/zero read whole as index.json took 6 GB before. */
const MAX_RSS_MB = 250;

let work: string;
let root: string;
let fresh: string;
let freshImage: HandmadeImage;

beforeAll(async () => {
  work = await makeTempDir('kimg-hostile-');
  root = join(work, 'store');
  // A store with content, so "unchanged" means something.
  await writeImageLayout(join(work, 'base'), await smallLayer(1));
  await kimgOk(['copy', '-q', `oci:${join(work, 'base')}`, 'example.com/base:1'], { root });
  fresh = join(work, 'fresh');
  freshImage = await writeImageLayout(fresh, await smallLayer(2));
});

afterAll(removeTempDirs);

let counter = 0;
/** A copy of the fresh layout for one case to break. */
async function freshCopy(): Promise<string> {
  const dir = join(work, `case-${++counter}`);
  await cp(fresh, dir, { recursive: true });
  return dir;
}

async function mkfifo(path: string): Promise<void> {
  await rm(path, { force: true });
  await runOk('mkfifo', [path]);
}

async function replaceWithSymlink(path: string, target: string): Promise<void> {
  await rm(path, { force: true });
  await symlink(target, path);
}

/** Runs `args`, expecting a refusal: exit 1, `message`, one error line (+ hint), fast, small, nothing changed. */
async function expectRefused(
  args: string[],
  message: RegExp,
  options: { unchanged?: string[]; env?: NodeJS.ProcessEnv; storeRoot?: string } = {},
): Promise<MeasuredRun> {
  const storeRoot = options.storeRoot ?? root;
  const watched = [storeRoot, ...(options.unchanged ?? [])];
  const before = await Promise.all(watched.map(treeHash));
  const result = await kimgMeasured(args, storeRoot, { env: options.env });
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(result.ms).toBeLessThan(REFUSED_WITHIN_MS);
  expect(result.maxRssMb).toBeLessThan(MAX_RSS_MB);
  expect(await Promise.all(watched.map(treeHash))).toEqual(before);
  return result;
}

describe('class 6: a blob that is a symlink out of its layout is refused, never copied', () => {
  it('oci: a layer blob linked to /etc/passwd (digest matching) does not leak into the store', async () => {
    const layout = join(work, 'passwd-leak');
    const image = await writeImageLayout(layout, await readFile('/etc/passwd'));
    await replaceWithSymlink(blobPath(layout, image.layerDigest), '/etc/passwd');
    await expectRefused(
      ['copy', '-q', `oci:${layout}`, 'example.com/leak:1'],
      /kimg: error: blob sha256:[0-9a-f]{64} in oci:.*passwd-leak.*: .* leads to \/etc\/passwd, outside .*passwd-leak/,
      { unchanged: [layout] },
    );
  });

  it('oci: a blob symlinked to another file inside the layout is followed (as skopeo does)', async () => {
    const layout = await freshCopy();
    const layer = blobPath(layout, freshImage.layerDigest);
    await mkdir(join(layout, 'shared'));
    await cp(layer, join(layout, 'shared', 'layer'));
    await replaceWithSymlink(layer, '../../shared/layer');
    const store = join(work, 'inside-link-store');
    await kimgOk(['copy', '-q', `oci:${layout}`, 'example.com/inside:1'], { root: store });
    const stored = await readFile(blobPath(store, freshImage.layerDigest));
    expect(stored.equals(await readFile(join(layout, 'shared', 'layer')))).toBe(true);
  });

  it('registry-dir: a data file linked to an identical file outside the dir is refused', async () => {
    const dir = join(work, 'rd-leak');
    await kimgOk(['copy', '-q', `oci:${fresh}`, `registry-dir:${dir}:app:1`], { root });
    const hex = freshImage.layerDigest.slice('sha256:'.length);
    const data = join(dir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const outside = join(work, 'outside-layer');
    await cp(data, outside);
    await replaceWithSymlink(data, outside);
    await expectRefused(
      ['copy', '-q', `registry-dir:${dir}:app:1`, 'example.com/rd-leak:1'],
      /leads to .*outside-layer, outside .*rd-leak/,
      { unchanged: [dir] },
    );
  });
});

describe('class 7: devices, FIFOs and loops are refused at once with bounded memory', () => {
  it('oci: index.json linked to /dev/zero', async () => {
    const layout = await freshCopy();
    await replaceWithSymlink(join(layout, 'index.json'), '/dev/zero');
    await expectRefused(
      ['copy', '-q', `oci:${layout}`, 'example.com/zero:1'],
      /index\.json.* leads to \/dev\/zero/,
      {
        unchanged: [layout],
      },
    );
  });

  it('oci: index.json is a FIFO', async () => {
    const layout = await freshCopy();
    await mkfifo(join(layout, 'index.json'));
    await expectRefused(
      ['copy', '-q', `oci:${layout}`, 'example.com/fifo:1'],
      /index\.json: .*index\.json is a FIFO \(named pipe\), not a regular file/,
      { unchanged: [layout] },
    );
  });

  it('oci: oci-layout is a FIFO', async () => {
    const layout = await freshCopy();
    await mkfifo(join(layout, 'oci-layout'));
    await expectRefused(['copy', '-q', `oci:${layout}`, 'example.com/fifo:1'], /oci-layout is a FIFO/, {
      unchanged: [layout],
    });
  });

  it('oci: a layer blob is a FIFO', async () => {
    const layout = await freshCopy();
    await mkfifo(blobPath(layout, freshImage.layerDigest));
    await expectRefused(['copy', '-q', `oci:${layout}`, 'example.com/fifo:1'], /blob sha256:.* is a FIFO/, {
      unchanged: [layout],
    });
  });

  it('registry-dir: a tag link that is a FIFO, or linked to /dev/urandom', async () => {
    const dir = join(work, 'rd-links');
    await kimgOk(['copy', '-q', `oci:${fresh}`, `registry-dir:${dir}:app:1`], { root });
    const link = join(dir, 'docker/registry/v2/repositories/library/app/_manifests/tags/1/current/link');
    await mkfifo(link);
    await expectRefused(
      ['copy', '-q', `registry-dir:${dir}:app:1`, 'example.com/rd:1'],
      /link .* is a FIFO/,
      {
        unchanged: [dir],
      },
    );
    await replaceWithSymlink(link, '/dev/urandom');
    await expectRefused(
      ['copy', '-q', `registry-dir:${dir}:app:1`, 'example.com/rd:1'],
      /link in registry-dir:.* leads to \/dev\/urandom/,
      { unchanged: [dir] },
    );
  });

  it('registry-dir: repository folders that are symlink loops are listed once, in bounded time', async () => {
    const dir = join(work, 'rd-loop');
    await kimgOk(['copy', '-q', `oci:${fresh}`, `registry-dir:${dir}:app:1`], { root });
    const repositories = join(dir, 'docker/registry/v2/repositories');
    // Three links back to the parent: a walk that follows them visits 3^40 paths before ELOOP stops it.
    for (const name of ['a', 'b', 'c']) await symlink('.', join(repositories, name));
    const store = join(work, 'loop-store');
    const result = await kimgMeasured(['copy', '-q', `registry-dir:${dir}`, 'example.com/loop:1'], store);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(REFUSED_WITHIN_MS);
  });

  it('load: an archive that is a FIFO or /dev/zero', async () => {
    const fifo = join(work, 'archive.fifo');
    await mkfifo(fifo);
    await expectRefused(
      ['load', '-i', fifo],
      /archive: .*archive\.fifo is a FIFO \(named pipe\), not a regular file/,
    );
    await expectRefused(['load', '-i', '/dev/zero'], /archive: \/dev\/zero is a character device/);
  });

  it('the store: index.json is a FIFO', async () => {
    const store = join(work, 'fifo-store');
    await kimgOk(['copy', '-q', `oci:${fresh}`, 'example.com/fresh:1'], { root: store });
    await mkfifo(join(store, 'index.json'));
    await expectRefused(['images'], /index\.json is a FIFO/, { storeRoot: store });
  });
});

describe('class 8: JSON nesting depth is bounded before parsing', () => {
  it('load refuses a manifest nested 1.5 million levels deep (what skopeo could not read)', async () => {
    const layout = join(work, 'deep');
    await writeImageLayout(layout, await smallLayer(3), deeplyNested(1_500_000));
    const archive = join(work, 'deep.tar');
    await runOk('tar', ['-C', layout, '-cf', archive, '.']);
    await expectRefused(
      ['load', '-i', archive],
      /nests JSON more than 128 levels deep, over the 128-level limit\nkimg: hint: .*KIMG_MAX_JSON_DEPTH/,
    );
  });

  it('a manifest at the limit loads and skopeo reads it; KIMG_MAX_JSON_DEPTH lowers the limit', async () => {
    const layout = join(work, 'nested-100');
    // 126 inside the manifest object + the object itself = 127 levels, within the default 128.
    await writeImageLayout(layout, await smallLayer(4), deeplyNested(126));
    const store = join(work, 'nested-store');
    await kimgOk(['copy', '-q', `oci:${layout}`, 'example.com/nested:1'], { root: store });
    const inspected = await skopeo(['inspect', '--raw', `oci:${store}:example.com/nested:1`]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain('"deep":[[[');
    await expectRefused(['copy', '-q', `oci:${layout}`, 'example.com/nested:2'], /over the 50-level limit/, {
      storeRoot: store,
      env: { KIMG_MAX_JSON_DEPTH: '50' },
    });
  });
});

describe('class 10: names are handled in linear time', () => {
  it('a docker-archive with 10,000 RepoTags loads in a few seconds', async () => {
    const dir = join(work, 'many-tags');
    await dockerArchiveWithTags(dir, 10_000);
    const archive = join(work, 'many-tags.tar');
    await runOk('tar', ['-C', dir, '-cf', archive, '.']);
    const store = join(work, 'many-tags-store');
    const result = await kimgMeasured(['load', '-q', '-i', archive], store);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Quadratic, this was 30 s (2,500 names: 2.5 s); linear it is well under a second of work.
    expect(result.ms).toBeLessThan(REFUSED_WITHIN_MS);
    const index = JSON.parse(await readFile(join(store, 'index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(10_000);
  });
});

describe('class 12: a destination is never written through a symlink that leaves it', () => {
  it.each([['blobs/sha256'], ['.kimg']])(
    'oci: destination whose %s is a symlink to another folder',
    async (link) => {
      const dest = join(work, `dest-${link.replace(/\W/g, '-')}`);
      const elsewhere = join(work, `elsewhere-${link.replace(/\W/g, '-')}`);
      await mkdir(elsewhere);
      await mkdir(join(dest, link, '..'), { recursive: true });
      await symlink(elsewhere, join(dest, link));
      await expectRefused(
        ['copy', '-q', `oci:${fresh}`, `oci:${dest}:v1`],
        /leads to .*elsewhere-.*, outside .*; refusing to write through it/,
        { unchanged: [dest, elsewhere] },
      );
      expect(await readdir(elsewhere)).toEqual([]);
    },
  );
});

describe('class 12 (registry-dir): nothing is written when a repository folder leads out', () => {
  it('registry-dir: destination whose repositories/ is a symlink to another folder', async () => {
    const dest = join(work, 'rd-dest');
    const elsewhere = join(work, 'rd-elsewhere');
    await mkdir(elsewhere);
    await mkdir(join(dest, 'docker/registry/v2'), { recursive: true });
    await symlink(elsewhere, join(dest, 'docker/registry/v2/repositories'));
    await expectRefused(
      ['copy', '-q', `oci:${fresh}`, `registry-dir:${dest}:app:1`],
      /registry-dir:.*leads to .*rd-elsewhere.*; refusing to write through it/,
      { unchanged: [dest, elsewhere] },
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe('archive scanner bounds', () => {
  it('refuses more entries than KIMG_MAX_TAR_ENTRIES, naming the cap and the variable', async () => {
    const archive = join(work, 'many-entries.tar');
    await writeFile(archive, await manyEntriesTar(1_500));
    await expectRefused(
      ['load', '-i', archive],
      /more than 1000 entries, over the 1000-entry limit\nkimg: hint: .*KIMG_MAX_TAR_ENTRIES/,
      { env: { KIMG_MAX_TAR_ENTRIES: '1000' } },
    );
  });

  it('at the default cap, 100,001 tiny members are refused with bounded memory and time', async () => {
    const archive = join(work, 'hundred-thousand.tar');
    await writeFile(archive, emptyMembersTar(100_001));
    const result = await expectRefused(
      ['load', '-i', archive],
      /more than 100000 entries, over the 100000-entry limit/,
    );
    // Measured: ~100 MB peak (1024-byte names: ~200 MB), ~2 s; a million members would have kept growing.
    expect(result.maxRssMb).toBeLessThan(MAX_RSS_MB);
  });

  it('refuses a member name longer than KIMG_MAX_TAR_PATH_BYTES', async () => {
    const archive = join(work, 'long-name.tar');
    const { tarOf } = await import('../fixtures/random-image');
    await writeFile(
      archive,
      await tarOf([{ name: `${'d'.repeat(90)}/${'n'.repeat(300)}`, content: Buffer.alloc(1) }]),
    );
    await expectRefused(
      ['load', '-i', archive],
      /is 391 bytes, over the 200-byte limit\nkimg: hint: .*KIMG_MAX_TAR_PATH_BYTES/,
      { env: { KIMG_MAX_TAR_PATH_BYTES: '200' } },
    );
  });
});
