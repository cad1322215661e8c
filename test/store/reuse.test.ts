import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LayoutPaths } from '../../src/store';
import { openLocalStore, type LocalStore } from '../../src/transport/local';
import { openOciLayout } from '../../src/transport/oci-layout';
import { makeTempDir, removeTempDirs, skopeo } from '../harness';
import { copyGraph, listFilesRecursive } from './helpers';
import { sourceImage, type SourceImage } from './setup';

afterAll(removeTempDirs);

/** Writers still running when a test fails would keep jest waiting on them. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

const REGISTER = join(__dirname, '..', 'harness', 'ts-register.js');

interface Writer {
  child: ChildProcess;
  /** Resolves with the exit code and stderr once the writer has exited. */
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts reuse-writer.ts and waits until its transaction has answered `exists` for every blob of the image. */
async function startWriter(root: string, image: SourceImage, name: string, mode: string): Promise<Writer> {
  const child = spawn(
    process.execPath,
    ['-r', REGISTER, join(__dirname, 'reuse-writer.ts'), root, image.dir, name, mode],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('checked\n')) resolve();
    });
    void exited.then(({ code }) => reject(new Error(`writer exited ${code} before checking: ${stderr}`)));
  });
  return { child, exited };
}

/** The digests of the image's blobs: manifest, config and layers. */
function digestsOf({ fixture }: SourceImage): string[] {
  return [fixture.manifestDigest, fixture.configDigest, ...fixture.layers.map((layer) => layer.digest)];
}

async function sha256Of(file: string): Promise<string> {
  return `sha256:${createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex')}`;
}

/** A store that has had `image` and lost its last name: every blob is there and none is referenced. */
async function storeWithUnreferenced(image: SourceImage): Promise<{ root: string; store: LocalStore }> {
  const root = join(await makeTempDir('kimg-store-'), 'root');
  const store = openLocalStore(root);
  await copyGraph(image.source, image.fixture.manifestDescriptor, store);
  await store.tag(image.fixture.manifestDescriptor, 'old');
  await store.commit();
  await store.deleteImage('old');
  return { root, store };
}

/**
 * The race of the store's old known limit: a transaction sees a blob in blobs/ and skips it; a prune in another
 * process deletes it (unreferenced); the commit then failed with BLOB_UNKNOWN. Now `exists` pins the blob.
 */
describe('a transaction reusing blobs the store has, against a concurrent prune', () => {
  it('commits after prune removed the reused blobs, which are back in blobs/ with their content', async () => {
    const image = await sourceImage({ seed: 71, layers: 2 });
    const { root, store } = await storeWithUnreferenced(image);
    const paths = new LayoutPaths(root);
    const writer = await startWriter(root, image, 'new', 'commit');

    // The prune lands between the writer's `exists` and its commit, and removes every blob it relies on.
    const pruned = await store.prune();
    const digests = digestsOf(image);
    expect(pruned.removedBlobs.sort()).toEqual([...digests].sort());
    for (const digest of digests)
      await expect(fs.stat(paths.blob(digest))).rejects.toMatchObject({ code: 'ENOENT' });

    writer.child.stdin?.end('go\n');
    const { code, stderr } = await writer.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);

    expect(await store.resolve('new')).toEqual(image.fixture.manifestDescriptor);
    for (const digest of digests) expect(await sha256Of(paths.blob(digest))).toBe(digest);
    expect(await listFilesRecursive(paths.ingestDir)).toEqual([]);
    expect((await store.prune()).removedBlobs).toEqual([]);
    const inspect = await skopeo(['inspect', `oci:${root}:docker.io/library/new:latest`]);
    expect(inspect.stderr).toBe('');
    expect(inspect.code).toBe(0);
  });

  it('abort removes the pins and leaves blobs/ as it was', async () => {
    const image = await sourceImage({ seed: 72 });
    const { root } = await storeWithUnreferenced(image);
    const paths = new LayoutPaths(root);
    const writer = await startWriter(root, image, 'new', 'abort');
    const digests = digestsOf(image);
    // Pinned: each blob has a second name in the writer's ingest dir.
    for (const digest of digests) expect((await fs.stat(paths.blob(digest))).nlink).toBe(2);

    writer.child.stdin?.end('go\n');
    expect(await writer.exited).toEqual({ code: 0, stderr: '' });
    expect(await listFilesRecursive(paths.ingestDir)).toEqual([]);
    for (const digest of digests) {
      expect((await fs.stat(paths.blob(digest))).nlink).toBe(1);
      expect(await sha256Of(paths.blob(digest))).toBe(digest);
    }
  });

  it('prune removes the pins of a dead transaction, and then the blobs they held', async () => {
    const image = await sourceImage({ seed: 73 });
    const { root, store } = await storeWithUnreferenced(image);
    const paths = new LayoutPaths(root);
    const writer = await startWriter(root, image, 'new', 'hold');
    writer.child.kill('SIGKILL');
    await writer.exited;
    expect(await listFilesRecursive(paths.ingestDir)).not.toEqual([]);

    const pruned = await store.prune();
    expect(pruned.removedIngests).toBe(1);
    expect(pruned.removedBlobs).toHaveLength(digestsOf(image).length);
    expect(await listFilesRecursive(paths.kimgDir)).toEqual([]);
    expect(await listFilesRecursive(paths.blobsDir)).toEqual([]);
  });
});

describe('pinning', () => {
  it('in an oci: layout: a pinned blob a prune removed comes back, one that went before its pin is copied', async () => {
    const image = await sourceImage({ seed: 74, layers: 1 });
    const { root } = await storeWithUnreferenced(image);
    const paths = new LayoutPaths(root);
    const layout = openOciLayout(root);
    const { fixture } = image;
    const config = {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: fixture.configDigest,
      size: 0,
    };
    expect(await layout.exists(config)).toBe(true);
    expect((await openLocalStore(root).prune()).removedBlobs).toHaveLength(digestsOf(image).length);
    // The layer went before this transaction looked at it: absent, so the copy pushes it.
    const layer = fixture.layers[0]!;
    expect(await layout.exists(layer)).toBe(false);
    expect(await copyGraph(image.source, fixture.manifestDescriptor, layout)).toEqual([
      layer.digest,
      fixture.manifestDigest,
    ]);
    await layout.tag(fixture.manifestDescriptor, 'v1');
    await layout.commit();
    for (const digest of digestsOf(image)) expect(await sha256Of(paths.blob(digest))).toBe(digest);
    expect(await listFilesRecursive(paths.ingestDir)).toEqual([]);
    const inspect = await skopeo(['inspect', `oci:${root}:v1`]);
    expect(inspect.code).toBe(0);
  });

  it('asking about an absent blob creates nothing', async () => {
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const image = await sourceImage({ seed: 75 });
    expect(await openLocalStore(root).exists(image.fixture.manifestDescriptor)).toBe(false);
    await expect(fs.stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('where link(2) is refused, answers with a stat as before and commits', async () => {
    const image = await sourceImage({ seed: 76 });
    const { root, store } = await storeWithUnreferenced(image);
    const paths = new LayoutPaths(root);
    const refused = Object.assign(new Error('link refused'), { code: 'EPERM' });
    const link = jest.spyOn(fs, 'link').mockRejectedValue(refused);
    try {
      expect(await copyGraph(image.source, image.fixture.manifestDescriptor, store)).toEqual([]);
      expect(link).toHaveBeenCalled();
      for (const digest of digestsOf(image)) expect((await fs.stat(paths.blob(digest))).nlink).toBe(1);
      await store.tag(image.fixture.manifestDescriptor, 'again');
      await store.commit();
    } finally {
      link.mockRestore();
    }
    expect(await store.resolve('again')).toEqual(image.fixture.manifestDescriptor);
  });
});
