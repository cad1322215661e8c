import { afterAll, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { newIngestDirName, thisHostTag } from '../../src/store/ingest-name';
import { join } from 'node:path';
import { REF_NAME_ANNOTATION } from '../../src/manifest';
import { openLocalStore, type LocalStore } from '../../src/transport/local';
import { makeTempDir, removeTempDirs } from '../harness';
import { copyGraph, treeHash } from './helpers';
import { sourceImage, type SourceImage } from './setup';

afterAll(removeTempDirs);

async function storeWith(
  ...images: { image: SourceImage; name: string }[]
): Promise<{ root: string; store: LocalStore }> {
  const root = join(await makeTempDir('kimg-store-'), 'root');
  const store = openLocalStore(root);
  for (const { image, name } of images) {
    await copyGraph(image.source, image.fixture.manifestDescriptor, store);
    await store.tag(image.fixture.manifestDescriptor, name);
  }
  await store.commit();
  return { root, store };
}

const readIndex = async (
  root: string,
): Promise<{ manifests: { digest: string; annotations?: Record<string, string> }[] }> =>
  JSON.parse(await fs.readFile(join(root, 'index.json'), 'utf8'));

describe('index.json edits', () => {
  it('refuses an invalid index.json with INDEX_INVALID and changes nothing', async () => {
    const a = await sourceImage({ seed: 21 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    await fs.writeFile(join(root, 'index.json'), '{"schemaVersion": 2, "manifests": [{"digest": "nope"}]}');
    const before = await treeHash(root);
    await expect(store.list()).rejects.toMatchObject({
      code: 'INDEX_INVALID',
      message: expect.stringContaining(join(root, 'index.json')),
    });
    await store.tag(a.fixture.manifestDescriptor, 'b');
    await expect(store.commit()).rejects.toMatchObject({ code: 'INDEX_INVALID', hint: expect.any(String) });
    await expect(store.deleteImage('a')).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await expect(store.prune()).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await fs.writeFile(join(root, 'index.json'), 'not json');
    await expect(store.list()).rejects.toMatchObject({ code: 'INDEX_INVALID' });
    await fs.writeFile(join(root, 'index.json'), '{"schemaVersion": 2, "manifests": [{"digest": "nope"}]}');
    expect(await treeHash(root)).toEqual(before);
  });

  it('keeps unknown fields and annotations of index.json when rewriting it', async () => {
    const a = await sourceImage({ seed: 22 });
    const b = await sourceImage({ seed: 23 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    const index = await readIndex(root);
    const entry = index.manifests[0]!;
    entry.annotations = { ...entry.annotations, 'com.example.note': 'keep me' };
    Object.assign(entry, { 'x-unknown': { nested: true } });
    Object.assign(index, { annotations: { top: 'level' }, extra: 1 });
    await fs.writeFile(join(root, 'index.json'), JSON.stringify(index));
    await copyGraph(b.source, b.fixture.manifestDescriptor, store);
    await store.tag(b.fixture.manifestDescriptor, 'b');
    await store.commit();
    const after = (await readIndex(root)) as unknown as Record<string, unknown> & {
      manifests: Record<string, unknown>[];
    };
    expect(after.extra).toBe(1);
    expect(after.annotations).toEqual({ top: 'level' });
    expect(after.manifests[0]).toMatchObject({
      'x-unknown': { nested: true },
      annotations: { 'com.example.note': 'keep me' },
    });
    expect(after.manifests).toHaveLength(2);
  });

  it('moves a name to the new image and keeps the old one as an untagged entry', async () => {
    const a = await sourceImage({ seed: 24 });
    const b = await sourceImage({ seed: 25 });
    const { root, store } = await storeWith({ image: a, name: 'x:1' });
    await copyGraph(b.source, b.fixture.manifestDescriptor, store);
    await store.tag(b.fixture.manifestDescriptor, 'x:1');
    await store.commit();
    expect(await store.list()).toEqual([
      { descriptor: a.fixture.manifestDescriptor },
      { name: 'docker.io/library/x:1', descriptor: b.fixture.manifestDescriptor },
    ]);
    // Re-tagging a dangling image reuses its entry rather than adding a second one.
    await store.tag(a.fixture.manifestDescriptor, 'x:old');
    await store.commit();
    expect((await readIndex(root)).manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION])).toEqual([
      'docker.io/library/x:old',
      'docker.io/library/x:1',
    ]);
    // A second name for one image is a second entry; moving one of them away drops that entry entirely.
    await store.addName('x:1', 'y');
    await store.tag(a.fixture.manifestDescriptor, 'y');
    await store.commit();
    const names = (await store.list()).map((i) => [i.name, i.descriptor.digest]);
    expect(names).toEqual([
      ['docker.io/library/x:old', a.fixture.manifestDigest],
      ['docker.io/library/x:1', b.fixture.manifestDigest],
      ['docker.io/library/y:latest', a.fixture.manifestDigest],
    ]);
  });

  it('untags, deletes like docker rmi, and prunes only unreferenced blobs', async () => {
    const a = await sourceImage({ seed: 26 });
    const b = await sourceImage({ seed: 27 });
    const { root, store } = await storeWith(
      { image: a, name: 'a' },
      { image: a, name: 'a2' },
      { image: b, name: 'b' },
    );
    const blobsOf = (image: SourceImage): string[] => [
      image.fixture.manifestDigest,
      image.fixture.configDigest,
      ...image.fixture.layers.map((l) => l.digest),
    ];
    const blobFiles = async (): Promise<string[]> =>
      (await fs.readdir(join(root, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).sort();
    expect(await blobFiles()).toEqual([...blobsOf(a), ...blobsOf(b)].sort());

    // rmi of one of two names only untags it.
    expect(await store.deleteImage('a2')).toEqual({ untagged: ['docker.io/library/a2:latest'] });
    expect(await store.prune()).toMatchObject({ removedBlobs: [], freedBytes: 0 });

    // untag of the last name leaves a dangling entry, which keeps its blobs until prune.
    expect(await store.untag('a')).toBe('docker.io/library/a:latest');
    await expect(store.untag('a')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect(await store.list()).toEqual([
      { descriptor: a.fixture.manifestDescriptor },
      { name: 'docker.io/library/b:latest', descriptor: b.fixture.manifestDescriptor },
    ]);
    expect(await store.prune({ untagged: false })).toMatchObject({ removedBlobs: [] });
    const pruned = await store.prune();
    expect(pruned.removedEntries).toBe(1);
    expect(pruned.removedBlobs.sort()).toEqual(blobsOf(a).sort());
    expect(pruned.freedBytes).toBeGreaterThan(0);
    expect(await blobFiles()).toEqual(blobsOf(b).sort());

    // rmi by ID prefix removes the image; prune then frees its blobs.
    expect(await store.deleteImage(b.fixture.manifestDigest.slice(7, 15))).toEqual({
      untagged: ['docker.io/library/b:latest'],
      deleted: b.fixture.manifestDigest,
    });
    await expect(store.deleteImage('b')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect((await store.prune()).removedBlobs).toHaveLength(blobsOf(b).length);
    expect(await blobFiles()).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('prune removes ingest dirs of dead writers and old temp files, not live ones', async () => {
    const a = await sourceImage({ seed: 28 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    const ingest = join(root, '.kimg', 'ingest');
    const dead = join(ingest, 'dead');
    await fs.mkdir(dead, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max, so no process has it.
    await fs.writeFile(
      join(dead, 'owner.json'),
      JSON.stringify({ pid: 4194305, hostname: hostname(), createdAt: '' }),
    );
    await fs.writeFile(join(dead, 'sha256-abc'), 'partial');
    const live = join(ingest, 'live');
    await fs.mkdir(live);
    await fs.writeFile(
      join(live, 'owner.json'),
      JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: '' }),
    );
    await fs.writeFile(join(root, 'index.json.tmp-1-abcd'), '{');
    const result = await store.prune();
    expect(result.removedIngests).toBe(1);
    expect((await fs.readdir(ingest)).sort()).toEqual(['live']);
    expect(await fs.readdir(root)).not.toContain('index.json.tmp-1-abcd');
    // Untouched for longer than the max age: a leftover even though the pid looks alive.
    const later = await store.prune({ now: new Date(Date.now() + 2 * 60 * 60 * 1000) });
    expect(later.removedIngests).toBe(1);
    expect(await store.list()).toHaveLength(1);
  });

  it('prune removes temp files of dead writers beside the store (blob-location cache), not live ones', async () => {
    const a = await sourceImage({ seed: 30 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    const kimgDir = join(root, '.kimg');
    await fs.writeFile(join(kimgDir, 'blob-locations.json.tmp-4194305-0a0b'), '{');
    await fs.writeFile(join(kimgDir, `blob-locations.json.tmp-${process.pid}-0c0d`), '{');
    await store.prune();
    const left = await fs.readdir(kimgDir);
    expect(left).toContain(`blob-locations.json.tmp-${process.pid}-0c0d`);
    expect(left).not.toContain('blob-locations.json.tmp-4194305-0a0b');
  });

  it('prune removes the dir of a writer killed before it wrote owner.json, by the pid in its name', async () => {
    const a = await sourceImage({ seed: 29 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    const ingest = join(root, '.kimg', 'ingest');
    // `<pid>-<random>` as Ingest names them; 4194305 is above Linux's pid_max, so that writer is dead.
    await fs.mkdir(join(ingest, '4194305-00aa'), { recursive: true });
    await fs.mkdir(join(ingest, `${process.pid}-00bb`));
    // Within the grace period an ownerless dir is left alone (its writer may be about to write owner.json).
    expect((await store.prune()).removedIngests).toBe(0);
    const later = await store.prune({ now: new Date(Date.now() + 10_000) });
    expect(later.removedIngests).toBe(1);
    expect(await fs.readdir(ingest)).toEqual([`${process.pid}-00bb`]);
  });

  it('an ownerless dir named by a dead pid of this host goes at once; one from another host only by age', async () => {
    const a = await sourceImage({ seed: 31 });
    const { root, store } = await storeWith({ image: a, name: 'a' });
    const ingest = join(root, '.kimg', 'ingest');
    const here = thisHostTag();
    const elsewhere = here === '00000000' ? '11111111' : '00000000';
    // As Ingest names them (`<pid>-<host tag>-<random>`); 4194305 is above Linux's pid_max: a dead writer.
    await fs.mkdir(join(ingest, `4194305-${here}-00aa`), { recursive: true });
    await fs.mkdir(join(ingest, `4194305-${elsewhere}-00bb`));
    await fs.mkdir(join(ingest, `${process.pid}-${here}-00cc`));
    expect((await store.prune()).removedIngests).toBe(1);
    expect((await fs.readdir(ingest)).sort()).toEqual(
      [`${process.pid}-${here}-00cc`, `4194305-${elsewhere}-00bb`].sort(),
    );
    const later = await store.prune({ now: new Date(Date.now() + 2 * 60 * 60 * 1000) });
    expect(later.removedIngests).toBe(2);
    expect(newIngestDirName()).toMatch(new RegExp(`^${process.pid}-${here}-[0-9a-f]{12}$`));
  });
});
