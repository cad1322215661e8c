import { afterAll, describe, expect, it } from '@jest/globals';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openLocalStore } from '../../src/transport/local';
import { openOciLayout } from '../../src/transport/oci-layout';
import { makeTempDir, removeTempDirs, run } from '../harness';
import { copyGraph } from './helpers';
import { sourceImage } from './setup';

afterAll(removeTempDirs);

/**
 * The store is a plain OCI layout: the peers read it with the full normalized name as REF. skopeo splits
 * `oci:DIR:REF` at the first ':' (DIR cannot contain ':'); umoci 0.4 splits `--image DIR:REF` at the first ':'
 * too and validates REF with the image-spec ref.name grammar, which allows ':' — so both address
 * `docker.io/library/x:1` directly.
 */
describe('store interop with skopeo and umoci', () => {
  it('skopeo copies an image out of the store and into it', async () => {
    const { fixture, source } = await sourceImage({ seed: 31 });
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const store = openLocalStore(root);
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    await store.commit();

    const out = join(await makeTempDir('kimg-skopeo-'), 'out');
    const copied = await run('skopeo', ['copy', `oci:${root}:docker.io/library/x:1`, `oci:${out}:x`]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(await openOciLayout(out).resolve('x')).toMatchObject({ digest: fixture.manifestDigest });

    // skopeo writing into the store keeps it readable by kimg (skopeo does not take our lock: peers writing into
    // the store concurrently with kimg is unsupported, but sequential use is fine).
    const other = await sourceImage({ seed: 32 });
    const back = await run('skopeo', ['copy', `oci:${other.dir}:src`, `oci:${root}:docker.io/library/y:2`]);
    expect(back.code).toBe(0);
    expect(await store.resolve('y:2')).toMatchObject({ digest: other.fixture.manifestDigest });
    expect(await store.list()).toHaveLength(2);
  });

  it('umoci unpacks an image of the store addressed by its full name', async () => {
    const { fixture, source } = await sourceImage({ seed: 33, layers: 3, filesPerLayer: 2 });
    const root = join(await makeTempDir('kimg-store-'), 'root');
    const store = openLocalStore(root);
    await copyGraph(source, fixture.manifestDescriptor, store);
    await store.tag(fixture.manifestDescriptor, 'x:1');
    await store.commit();

    const bundle = join(await makeTempDir('kimg-umoci-'), 'bundle');
    const unpacked = await run('umoci', [
      'unpack',
      '--rootless',
      '--image',
      `${root}:docker.io/library/x:1`,
      bundle,
    ]);
    expect(unpacked.code).toBe(0);
    for (const [path, content] of fixture.files) {
      expect(await fs.readFile(join(bundle, 'rootfs', path))).toEqual(content);
    }
    // umoci's own checks of the layout pass too.
    const listed = await run('umoci', ['ls', '--layout', root]);
    expect(listed.stdout.trim().split('\n')).toEqual(['docker.io/library/x:1']);
  });
});
