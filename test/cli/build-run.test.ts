import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { assembleImage } from '../../src/build/image/assemble';
import { LocalStore } from '../../src/transport/local';
import { busyboxStage } from '../build/run/helpers';
import { kimgOk, makeTempDir, removeTempDirs, startDockerd, type RunningDockerd } from '../harness';
import { storeImageFiles, writeTree } from './build-helpers';

/** RUN through the real dockerd (DESIGN.md "Real components"), FROM a busybox base image made in the test. */
let dockerd: RunningDockerd;
let work: string;
let root: string;

beforeAll(async () => {
  dockerd = await startDockerd();
  work = await makeTempDir();
  root = join(work, 'store');
  const store = new LocalStore(root);
  const stage = await busyboxStage(store);
  const image = assembleImage(stage, new Date(0).toISOString());
  await store.push(image.config.descriptor, Readable.from([image.config.bytes]));
  await store.push(image.manifest.descriptor, Readable.from([image.manifest.bytes]));
  await store.tag(image.manifest.descriptor, 'busybox:test');
  await store.commit();
  await store.close();
}, 90_000);
afterAll(async () => {
  await dockerd?.stop();
  await removeTempDirs();
});

describe('kimg build with RUN', () => {
  it('runs the command in the daemon, keeps its change as a layer, and caches it', async () => {
    const context = join(work, 'ctx');
    await writeTree(context, {
      'a.txt': 'from the context\n',
      Kubefile:
        'FROM busybox:test\nARG GREETING=hi\nCOPY a.txt /a.txt\nRUN echo "$GREETING $(cat /a.txt)" > /hello\n',
    });
    const env = { DOCKER_HOST: dockerd.host };
    const first = JSON.parse(
      (
        await kimgOk(['build', '--format', 'json', '-t', 'ran:1', '--build-arg', 'GREETING=hello', context], {
          root,
          env,
        })
      ).stdout,
    ) as { digest: string; steps: { cached: boolean }[] };
    expect(first.steps.map((s) => s.cached)).toEqual([false, false, false]);
    const image = await storeImageFiles(root, 'docker.io/library/ran:1');
    expect(image.manifest.layers).toHaveLength(3);
    expect(image.members.find((m) => m.name === 'hello')?.content).toBe('hello from the context\n');
    expect(image.config.history.at(-1)?.created_by).toBe(
      'RUN /bin/sh -c echo "$GREETING $(cat /a.txt)" > /hello',
    );
    expect(await dockerd.docker.listContainers({ all: true })).toEqual([]);

    // Cached: no daemon needed at all the second time.
    const again = JSON.parse(
      (
        await kimgOk(['build', '--format', 'json', '-t', 'ran:1', '--build-arg', 'GREETING=hello', context], {
          root,
          env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
        })
      ).stdout,
    ) as { digest: string; steps: { cached: boolean }[] };
    expect(again.steps.map((s) => s.cached)).toEqual([true, true, true]);
    expect(again.digest).toBe(first.digest);
  }, 120_000);
});
