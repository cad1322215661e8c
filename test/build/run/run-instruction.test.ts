import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StageImage } from '../../../src/build/image/stage-image';
import { emptyStage } from '../../../src/build/image/stage-image';
import { runInstruction, type RunOptions } from '../../../src/build/run';
import { LocalStore } from '../../../src/transport/local';
import { startDockerd, type RunningDockerd } from '../../harness/dockerd';
import { makeTempDir, removeTempDirs } from '../../harness/temp';
import { busyboxStage, recordingSink, tarMembers } from './helpers';

let dockerd: RunningDockerd;
let store: LocalStore;
let base: StageImage;
const timestamp = new Date('2024-01-02T03:04:05Z');

beforeAll(async () => {
  dockerd = await startDockerd();
}, 90_000);
afterAll(async () => {
  await dockerd?.stop();
  // A host-network container makes dockerd bind-mount the host netns at exec/netns/default, which it leaves
  // mounted on shutdown; unmount it so the temp directory can be removed.
  if (dockerd) spawnSync('umount', [join(dirname(dockerd.socketPath), 'exec', 'netns', 'default')]);
  await removeTempDirs();
});
beforeEach(async () => {
  store = new LocalStore(await makeTempDir());
  base = await busyboxStage(store);
});
afterEach(async () => {
  await store.close();
});

function options(line: number, extra: Partial<RunOptions> = {}) {
  const sink = recordingSink(store);
  const opts: RunOptions = {
    at: { file: 'Kubefile', line, column: 1 },
    store,
    sink,
    timestamp,
    daemon: { env: { DOCKER_HOST: dockerd.host } },
    ...extra,
  };
  return { sink, opts };
}

/** The daemon holds nothing of ours: no container, no image (it started empty), no volume. */
async function expectDaemonClean() {
  expect(await dockerd.docker.listContainers({ all: true })).toEqual([]);
  expect(await dockerd.docker.listImages({ all: true })).toEqual([]);
  expect((await dockerd.docker.listVolumes()).Volumes ?? []).toEqual([]);
}

describe('RUN against the real dockerd', () => {
  it('turns the filesystem change into exactly one normalized layer and leaves the daemon clean', async () => {
    const { sink, opts } = options(3);
    const { stage } = await runInstruction(
      base,
      { shell: 'echo hi > /hello && mkdir -p /d && touch /d/x' },
      opts,
    );
    expect(stage.layers).toHaveLength(2);
    expect(stage.diffIds).toHaveLength(2);
    expect(stage.history.at(-1)).toEqual({
      created: timestamp.toISOString(),
      created_by: 'RUN /bin/sh -c echo hi > /hello && mkdir -p /d && touch /d/x',
    });
    const members = await tarMembers(sink.tars[0] as Buffer);
    expect(members.map((m) => m.header.name).sort()).toEqual(['d/', 'd/x', 'hello']);
    expect(members.find((m) => m.header.name === 'hello')?.content.toString()).toBe('hi\n');
    for (const { header } of members) {
      expect(header.mtime).toEqual(timestamp);
      expect(header).toMatchObject({ uname: '', gname: '', uid: 0, gid: 0 });
    }
    await expectDaemonClean();

    // The next RUN starts from the stage with that layer: it sees /hello, and removing it is a whiteout.
    const next = options(4);
    const after = await runInstruction(
      stage,
      { exec: ['/bin/sh', '-c', 'test "$(cat /hello)" = hi && rm /hello'] },
      next.opts,
    );
    expect(after.stage.layers).toHaveLength(3);
    expect((await tarMembers(next.sink.tars[0] as Buffer)).map((m) => m.header.name)).toEqual(['.wh.hello']);
    await expectDaemonClean();
  }, 120_000);

  it('runs with the stage config: user, workdir, env + build args, no entrypoint or healthcheck; volumes removed', async () => {
    const stage: StageImage = {
      ...base,
      runConfig: {
        ...base.runConfig,
        Env: ['PATH=/bin', 'MODE=env'],
        User: '1000:1000',
        WorkingDir: '/tmp/w',
        Entrypoint: ['/bin/false'],
        Healthcheck: { Test: ['CMD', '/bin/false'], Interval: 1_000_000_000 },
        Volumes: { '/vol': {} },
      },
    };
    const output: Buffer[] = [];
    const { sink, opts } = options(5, {
      env: { MODE: 'arg', TOKEN: 'secret' },
      onOutput: (chunk) => output.push(chunk),
    });
    const { stage: after } = await runInstruction(
      stage,
      { shell: 'echo "$(id -u) $(pwd) $MODE $TOKEN"; touch /tmp/mine' },
      opts,
    );
    expect(Buffer.concat(output).toString()).toBe('1000 /tmp/w env secret\n');
    const mine = (await tarMembers(sink.tars[0] as Buffer)).find((m) => m.header.name === 'tmp/mine');
    expect(mine?.header).toMatchObject({ uid: 1000, gid: 1000, uname: '' });
    expect(JSON.stringify(after)).not.toContain('secret');
    await expectDaemonClean();
  }, 120_000);

  it('a failing command: error names the line, command, exit code and last output; daemon clean', async () => {
    const { sink, opts } = options(7);
    const error = await runInstruction(base, { shell: 'echo step one; echo broken >&2; exit 3' }, opts).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', exitCode: 3 });
    const message = (error as Error).message;
    expect(message).toContain('Kubefile:7:1');
    expect(message).toContain('exit 3');
    expect(message).toContain('exited with code 3');
    // stdout and stderr are copied by separate goroutines in dockerd: their relative order is not kept.
    expect(message).toContain('step one');
    expect(message).toContain('broken');
    expect(sink.tars).toEqual([]);
    await expectDaemonClean();
  }, 120_000);

  it('has no network by default (only lo, no routes); --network host sees the host interfaces', async () => {
    const none: Buffer[] = [];
    const script = 'ls /sys/class/net; wc -l < /proc/net/route';
    await runInstruction(base, { shell: script }, options(8, { onOutput: (c) => none.push(c) }).opts);
    expect(Buffer.concat(none).toString().split('\n').filter(Boolean)).toEqual(['lo', '1']);
    const host: Buffer[] = [];
    await runInstruction(
      base,
      { shell: 'ls /sys/class/net' },
      options(9, { network: 'host', onOutput: (c) => host.push(c) }).opts,
    );
    expect(Buffer.concat(host).toString().split('\n').filter(Boolean).sort()).toEqual(
      readdirSync('/sys/class/net').sort(),
    );
    await expectDaemonClean();
  }, 120_000);

  it('removes container and images when a later step fails (the layer writer)', async () => {
    const { opts } = options(10, {
      sink: () => Promise.reject(new Error('disk full')),
    });
    await expect(runInstruction(base, { shell: 'touch /f' }, opts)).rejects.toThrow('disk full');
    await expectDaemonClean();
  }, 120_000);

  it('is cancelled by its signal: the container is killed and removed', async () => {
    const controller = new AbortController();
    const { opts } = options(11, { signal: controller.signal });
    setTimeout(() => controller.abort(), 3000);
    await expect(runInstruction(base, { shell: 'sleep 60' }, opts)).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await expectDaemonClean();
  }, 120_000);
});

describe('RUN that cannot run', () => {
  it('without a reachable daemon: DAEMON_ERROR naming the line and how to point kimg at a daemon', async () => {
    const { sink, opts } = options(12, {
      daemon: { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } },
    });
    const error = await runInstruction(base, { shell: 'true' }, opts).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DAEMON_ERROR' });
    expect((error as Error).message).toMatch(
      /^Kubefile:12:1: RUN: cannot reach the Docker daemon at unix:\/\/\/nonexistent/,
    );
    expect((error as { hint: string }).hint).toMatch(/DOCKER_HOST/);
    expect((error as { hint: string }).hint).toMatch(/dockerd/);
    expect(sink.tars).toEqual([]);
    expect(await store.list()).toEqual([]); // the store is never written by RUN itself
  });

  it('FROM scratch: says RUN needs a base image with a shell, before touching the daemon', async () => {
    const { opts } = options(2, { daemon: { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } } });
    const scratch = emptyStage({ os: 'linux', architecture: 'amd64' });
    await expect(runInstruction(scratch, { shell: 'echo hi' }, opts)).rejects.toThrow(
      /^Kubefile:2:1: RUN needs a base image with a shell/,
    );
  });
});
