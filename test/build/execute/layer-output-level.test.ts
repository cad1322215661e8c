import { afterAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { LayerOutput, type LayerOutputOptions } from '../../../src/build/execute/layer-output';
import { writeLayer } from '../../../src/layer';
import { openStore } from '../../../src/transport/open';
import { makeTempDir, removeTempDirs } from '../../harness';
import { fileEntry, memorySink } from '../../layer/helpers';

/**
 * LayerOutput carries the build's compression level to every layer of the build's compression (COPY/ADD by
 * `write`, RUN by `sink`), and to no other: the uncompressed `registry/` layer takes none.
 */
afterAll(removeTempDirs);

const text = Array.from({ length: 6_000 }, (_, i) => `- name: app-${(i * 7919) % 1009}\n`).join('');
const entries = () => [fileEntry('manifests/apps.yaml', text)];

async function withOutput<T>(options: LayerOutputOptions, use: (output: LayerOutput) => Promise<T>) {
  const store = openStore(await makeTempDir());
  const output = new LayerOutput(store, store.root, options);
  try {
    return await use(output);
  } finally {
    await output.close();
    await store.close();
  }
}

describe('LayerOutput: compression level', () => {
  it('writes COPY layers at the level; level 1 is larger than 9', async () => {
    const one = await withOutput({ compression: 'gzip', level: 1, timestamp: 0 }, (o) => o.write(entries()));
    const nine = await withOutput({ compression: 'gzip', level: 9, timestamp: 0 }, (o) => o.write(entries()));
    expect(one.diffId).toBe(nine.diffId);
    expect(one.descriptor.size).toBeGreaterThan(nine.descriptor.size);
  });

  it('writes the uncompressed registry/ layer without the level (none has none)', async () => {
    const none = await withOutput({ compression: 'gzip', level: 1, timestamp: 0 }, (o) =>
      o.write(entries(), undefined, 'none'),
    );
    expect(none.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
  });

  it("compresses RUN's tar at the level", async () => {
    const { sink, bytes } = memorySink();
    await writeLayer(entries(), sink, { compression: 'none' });
    const tar = bytes();
    const run = (level: number) =>
      withOutput({ compression: 'gzip', level, timestamp: 0 }, (o) => o.sink(Readable.from([tar])));
    const one = await run(1);
    const nine = await run(9);
    expect(one.diffId).toBe(nine.diffId);
    expect(one.descriptor.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(one.descriptor.size).toBeGreaterThan(nine.descriptor.size);
  });
});
