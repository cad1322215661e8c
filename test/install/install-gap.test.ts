import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  kimgOk,
  makeTempDir,
  REPO_ROOT,
  removeTempDirs,
  run,
  runOk,
  startRegistry,
  type RunningRegistry,
} from '../harness';
import { writeRandomImage, type FixtureImage } from '../fixtures/random-image';
import {
  alive,
  buildToyApp,
  buildToyRootfs,
  hookOrder,
  killFromPidFile,
  readState,
  ROOTFS,
} from './toy-cluster';

// Issue 11, "across a real gap with a real container runtime": images from a real docker-registry are embedded
// in an app image, rootfs + app are saved into one bundle, then inside a network namespace with only loopback
// `kimg load` + `kimg install` run; the toy rootfs' init-cri starts containerd with a hosts.toml mirror per
// original registry host, and the app's CMD pulls every embedded image by its original name with ctr.
const NS = `kimg-install-${process.pid}`;
const APP = 'example/app:1';
let source: RunningRegistry;
let bundle: string;
let siteRoot: string;
let clusters: string;
let target: string;
const pushed: { ref: string; image: FixtureImage }[] = [];

/** bin/kimg run inside the namespace, against the site's store and clusters home. */
function kimgInGap(args: string[]) {
  return run('ip', ['netns', 'exec', NS, process.execPath, join(REPO_ROOT, 'bin', 'kimg'), ...args], {
    env: { ...process.env, KIMG_ROOT: siteRoot, KIMG_CLUSTERS_DIR: clusters },
  });
}

async function kimgInGapOk(args: string[]) {
  const result = await kimgInGap(args);
  if (result.code !== 0) throw new Error(`kimg ${args.join(' ')} exited ${result.code}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  source = await startRegistry();
  const root = await makeTempDir('kimg-root-');
  const layout = await makeTempDir('kimg-layout-');
  for (const [i, name] of ['acme/app:1', 'acme/web:2', 'team/tool:3'].entries()) {
    const image = await writeRandomImage(layout, {
      ref: `i${i}`,
      seed: 110 + i,
      layers: 1,
      architecture: 'amd64',
    });
    await kimgOk(['copy', `oci:${layout}:i${i}`, `docker://${source.host}/${name}`], { root });
    pushed.push({ ref: `${source.host}/${name}`, image });
  }
  await buildToyRootfs(root);
  await buildToyApp(
    root,
    APP,
    pushed.map((p) => p.ref),
  );
  bundle = join(await makeTempDir('kimg-bundle-'), 'site.tar');
  await kimgOk(['save', '-o', bundle, ROOTFS, APP], { root });
  siteRoot = await makeTempDir('kimg-site-');
  clusters = join(siteRoot, 'clusters');
  target = join(await makeTempDir('kimg-target-'), 'cluster');
  await runOk('ip', ['netns', 'add', NS]);
  await runOk('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
}, 180_000);

afterAll(async () => {
  // uninstall stops both; this only catches what a failed test left running.
  await killFromPidFile(join(target, '.kimg', 'registry.pid'));
  await killFromPidFile(join(target, 'cri', 'containerd.pid'));
  await run('ip', ['netns', 'del', NS]);
  await source?.stop();
  await removeTempDirs();
}, 60_000);

describe('kimg install across a network gap', () => {
  it('the source registry is unreachable inside the namespace', async () => {
    const port = source.host.split(':')[1] as string;
    const probe = `require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(3))`;
    expect((await run('ip', ['netns', 'exec', NS, process.execPath, '-e', probe])).code).toBe(3);
    expect((await run(process.execPath, ['-e', probe])).code).toBe(0);
  });

  it('load + install: containerd pulls every embedded image by its original name, digests equal', async () => {
    await kimgInGapOk(['load', '-i', bundle]);
    const result = await kimgInGapOk([
      'install',
      ROOTFS,
      APP,
      '--target',
      target,
      '--env',
      `MIRROR_HOSTS=${source.host}`,
      '--format',
      'json',
    ]);
    const report = JSON.parse(result.stdout) as { ran: string[]; servedRegistry: { url: string } };
    expect(report.ran).toEqual(['check', 'registry', 'init-cri', 'init', 'cmd:app']);

    const pulled = (await readFile(join(target, 'pulled.txt'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    expect(pulled).toEqual(pushed.map((p) => [p.ref, p.image.manifestDigest]));
    // The hooks ran in sealos' order (their marker file), and state.json says the same with exit codes and logs.
    expect(await hookOrder(target)).toEqual(['check', 'init-cri', 'init', 'app']);
    const state = await readState(target);
    expect(state.status).toBe('installed');
    expect(state.steps.map((step) => [step.name, step.exitCode])).toEqual([
      ['check', 0],
      ['init-cri', 0],
      ['init', 0],
      ['cmd:app', 0],
    ]);
    for (const step of state.steps) {
      const log = await readFile(join(target, step.log));
      expect(createHash('sha256').update(log).digest('hex')).toBe(step.logSha256);
    }
    expect(state.registry?.url).toBe(report.servedRegistry.url);
    expect(alive(state.registry?.pid ?? 0)).toBe(true);
    expect(state.images.map((image) => [image.name, image.path])).toEqual([
      [ROOTFS, 'rootfs'],
      [APP, 'apps/app'],
    ]);
    // The mirror entry containerd used was rendered from the rootfs' etc/hosts.toml.tmpl with the served address.
    expect(await readFile(join(target, 'rootfs', 'etc', 'hosts.toml'), 'utf8')).toContain(
      `[host."${report.servedRegistry.url}"]`,
    );
    // registry/ was served from the store, never unpacked.
    await expect(
      readFile(join(target, 'apps', 'app', 'registry', 'docker', 'registry', 'v2')),
    ).rejects.toThrow();
  }, 120_000);

  it('a rerun is a no-op; --force runs every step again', async () => {
    const again = JSON.parse(
      (
        await kimgInGapOk([
          'install',
          ROOTFS,
          APP,
          '--target',
          target,
          '--env',
          `MIRROR_HOSTS=${source.host}`,
          '--format',
          'json',
        ])
      ).stdout,
    ) as { ran: string[]; skipped: string[] };
    expect(again.ran).toEqual([]);
    expect(again.skipped).toEqual(['check', 'registry', 'init-cri', 'init', 'cmd:app']);
    expect(await hookOrder(target)).toEqual(['check', 'init-cri', 'init', 'app']);

    const forced = JSON.parse(
      (
        await kimgInGapOk([
          'install',
          ROOTFS,
          APP,
          '--target',
          target,
          '--env',
          `MIRROR_HOSTS=${source.host}`,
          '--force',
          '--format',
          'json',
        ])
      ).stdout,
    ) as { ran: string[] };
    expect(forced.ran).toEqual(['check', 'registry', 'init-cri', 'init', 'cmd:app']);
    expect((await hookOrder(target)).slice(4)).toEqual(['check', 'init-cri', 'init', 'app']);
  }, 120_000);

  it('ps lists the cluster; uninstall runs the clean hooks, stops containerd and the registry, keeps the logs', async () => {
    const ps = JSON.parse((await kimgInGapOk(['ps', '--format', 'json'])).stdout) as {
      cluster: string;
      registryRunning: boolean;
    }[];
    expect(ps.map((c) => [c.cluster, c.registryRunning])).toEqual([['default', true]]);
    const state = await readState(target);
    const containerd = Number(await readFile(join(target, 'cri', 'containerd.pid'), 'utf8'));
    expect(alive(containerd)).toBe(true);

    await kimgInGapOk(['uninstall']);
    expect(alive(state.registry?.pid ?? 0)).toBe(false);
    expect(alive(containerd)).toBe(false);
    expect((await hookOrder(target)).slice(-2)).toEqual(['clean-cri', 'clean']);
    const final = await readState(target);
    expect(final.status).toBe('uninstalled');
    expect(final.cleanSteps.map((step) => [step.name, step.exitCode])).toEqual([
      ['clean-cri', 0],
      ['clean', 0],
    ]);
    await expect(readFile(join(target, 'rootfs', 'scripts', 'init.sh'))).rejects.toThrow();
    await readFile(join(target, '.kimg', 'logs', 'init.log'));
    expect((await kimgInGap(['uninstall'])).code).toBe(1);
  }, 60_000);
});
