import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFreeSpace } from '../../src/install';
import { kimg, kimgOk, makeTempDir, removeTempDirs, startRegistry, treeHash } from '../harness';
import { writeTree } from '../airgap/discovery/fixture-context';
import { hookOrder, readState } from './toy-cluster';

// Install's bookkeeping with a rootfs whose hooks only leave marks (no runtime): failing hooks and resuming,
// the compatibility check before any change, --dry-run, adding an app to an installed cluster, free space.
let root: string;
let clusters: string;
const env = () => ({ KIMG_CLUSTERS_DIR: clusters });

const MARK = 'echo "$(basename "$0" .sh)" >>../../hook-order.txt';

async function buildRootfs(name: string, version: string): Promise<void> {
  const context = await makeTempDir('kimg-rootfs-');
  await writeTree(context, {
    Kubefile: [
      'FROM scratch',
      `LABEL sealos.io.type=rootfs sealos.io.version=${version} check=check.sh init=init.sh clean=clean.sh`,
      'ENV GREETING=hello',
      'COPY scripts ./scripts',
      '',
    ].join('\n'),
    'scripts/check.sh': `${MARK}\n`,
    // init fails with 7 while the target holds fail-init: the "fix" is removing it.
    'scripts/init.sh': `if [ -e ../../fail-init ]; then echo "init: not yet" >&2; exit 7; fi\n${MARK}\necho "GREETING=$GREETING COLOR=$COLOR"\n`,
    'scripts/clean.sh': `${MARK}\n`,
  });
  await kimgOk(['build', '-t', name, context], { root });
}

async function buildApp(name: string, range: string): Promise<void> {
  const context = await makeTempDir('kimg-app-');
  await writeTree(context, {
    Kubefile: [
      'FROM scratch',
      'LABEL sealos.io.type=application',
      `KUBEVERSION ${range}`,
      'COPY app.txt ./',
      'CMD ["cat app.txt >>../../hook-order.txt"]',
      '',
    ].join('\n'),
    'app.txt': `${name}\n`,
  });
  await kimgOk(['build', '-t', name, context], { root });
}

beforeAll(async () => {
  root = await makeTempDir('kimg-root-');
  clusters = join(root, 'clusters-home');
  await buildRootfs('toy/rootfs:v1.29.9', 'v1.29.9');
  await buildRootfs('toy/rootfs:v1.32.0', 'v1.32.0');
  await buildApp('toy/app:1', '>=1.27.0 <1.31.0');
  await buildApp('toy/extra:1', '>=1.29.0');
}, 120_000);

afterAll(removeTempDirs);

describe('kimg install: steps, state and checks', () => {
  it('a version range not met is refused before any file is written', async () => {
    const around = await makeTempDir('kimg-around-');
    const before = await treeHash(around);
    const result = await kimg(['install', 'toy/rootfs:v1.32.0', 'toy/app:1', '--target', join(around, 'c')], {
      root,
      env: env(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'toy/app:1 needs Kubernetes >=1.27.0 <1.31.0, but the rootfs toy/rootfs:v1.32.0 is v1.32.0',
    );
    expect(await treeHash(around)).toBe(before);
    expect(await readdir(clusters).catch(() => [])).toEqual([]);
  });

  it('--dry-run prints the plan (images, order, steps, env, disk) and changes nothing', async () => {
    const around = await makeTempDir('kimg-around-');
    const before = await treeHash(around);
    const result = await kimgOk(
      [
        'install',
        'toy/app:1',
        'toy/rootfs:v1.29.9',
        '--target',
        join(around, 'c'),
        '--env',
        'COLOR=blue',
        '--dry-run',
        '--format',
        'json',
      ],
      { root, env: env() },
    );
    const plan = JSON.parse(result.stdout) as {
      images: { name: string; type: string; path: string }[];
      steps: { name: string; env: Record<string, string> }[];
      diskNeeded: number;
    };
    // The labelled rootfs goes first whatever the command-line order.
    expect(plan.images.map((image) => [image.name, image.type, image.path])).toEqual([
      ['toy/rootfs:v1.29.9', 'rootfs', 'rootfs'],
      ['toy/app:1', 'application', 'apps/app'],
    ]);
    expect(plan.steps.map((step) => step.name)).toEqual(['check', 'init', 'cmd:app']);
    expect(plan.steps[0]?.env).toMatchObject({
      GREETING: 'hello',
      COLOR: 'blue',
      SEALOS_SYS_KUBE_VERSION: 'v1.29.9',
    });
    expect(plan.diskNeeded).toBeGreaterThan(0);
    expect(await treeHash(around)).toBe(before);
    const human = await kimgOk(
      ['install', 'toy/rootfs:v1.29.9', '--target', join(around, 'c'), '--dry-run'],
      { root, env: env() },
    );
    expect(human.stdout).toMatch(/check: bash check.sh {2}\(in .*rootfs\/scripts\)/);
    expect(human.stdout).toContain('disk needed: ');
  });

  it('a failing hook stops the install with its exit code and log; a rerun after the fix continues there', async () => {
    const target = join(await makeTempDir('kimg-target-'), 'c');
    await mkdir(target);
    await writeFile(join(target, 'fail-init'), '');
    const args = [
      'install',
      'toy/rootfs:v1.29.9',
      'toy/app:1',
      '--cluster',
      'resume',
      '--target',
      target,
      '--env',
      'COLOR=red',
    ];
    const failed = await kimg(args, { root, env: env() });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('stopped at init: `bash init.sh` exited 7');
    expect(failed.stderr).toContain(join(target, '.kimg', 'logs', 'init.log'));
    expect(failed.stderr).toContain('[init] init: not yet');
    const state = await readState(target);
    expect([state.status, state.failedStep]).toEqual(['failed', 'init']);
    expect(state.steps.map((step) => [step.name, step.exitCode])).toEqual([
      ['check', 0],
      ['init', 7],
    ]);
    const ps = await kimgOk(['ps'], { root, env: env() });
    expect(ps.stdout).toMatch(/resume +failed at init/);

    await rm(join(target, 'fail-init'));
    const resumed = JSON.parse(
      (await kimgOk([...args, '--format', 'json'], { root, env: env() })).stdout,
    ) as { ran: string[]; skipped: string[] };
    expect([resumed.ran, resumed.skipped]).toEqual([['init', 'cmd:app'], ['check']]);
    expect(await hookOrder(target)).toEqual(['check', 'init', 'toy/app:1']);
    expect((await readState(target)).status).toBe('installed');
    // Image ENV and --env reached the hook.
    expect(await readFile(join(target, '.kimg', 'logs', 'init.log'), 'utf8')).toBe(
      'GREETING=hello COLOR=red\n',
    );
  });

  it('an app installed later joins the cluster without its rootfs; uninstall keeps the receipt', async () => {
    const target = join(await makeTempDir('kimg-target-'), 'c');
    await kimgOk(['install', 'toy/rootfs:v1.29.9', '--cluster', 'later', '--target', target], {
      root,
      env: env(),
    });
    const added = JSON.parse(
      (
        await kimgOk(['install', 'toy/extra:1', '--cluster', 'later', '--format', 'json'], {
          root,
          env: env(),
        })
      ).stdout,
    ) as { ran: string[]; target: string };
    expect([added.ran, added.target]).toEqual([['cmd:extra'], target]);
    expect(await hookOrder(target)).toEqual(['check', 'init', 'toy/extra:1']);
    // Installed elsewhere under the same name: refused.
    const elsewhere = await kimg(
      ['install', 'toy/rootfs:v1.29.9', '--cluster', 'later', '--target', `${target}2`],
      { root, env: env() },
    );
    expect(elsewhere.stderr).toContain(`cluster "later" is already installed in ${target}`);

    await kimgOk(['uninstall', '--cluster', 'later'], { root, env: env() });
    expect(await hookOrder(target)).toEqual(['check', 'init', 'toy/extra:1', 'clean']);
    expect((await readdir(target)).sort()).toEqual(['.kimg', 'hook-order.txt']);
    expect((await readState(target)).status).toBe('uninstalled');
    expect(await readdir(clusters)).not.toContain('later');
  });

  it('a connected host installs straight from a registry (docker://), pulling into its store', async () => {
    const registry = await startRegistry();
    try {
      await kimgOk(['push', 'toy/rootfs:v1.29.9', `docker://${registry.host}/toy/rootfs:v1.29.9`], { root });
      const fresh = await makeTempDir('kimg-fresh-root-');
      const target = join(await makeTempDir('kimg-target-'), 'c');
      const ref = `${registry.host}/toy/rootfs:v1.29.9`;
      const dry = await kimg(['install', `docker://${ref}`, '--target', target, '--dry-run'], {
        root: fresh,
        env: env(),
      });
      expect(dry.code).toBe(1); // --dry-run never pulls
      const result = await kimgOk(['install', `docker://${ref}`, '--cluster', 'pulled', '--target', target], {
        root: fresh,
        env: env(),
      });
      expect(result.stderr).toContain(`kimg: pull ${ref}`);
      expect(await hookOrder(target)).toEqual(['check', 'init']);
      expect((await kimgOk(['images'], { root: fresh })).stdout).toContain('toy/rootfs');
    } finally {
      await registry.stop();
    }
  });

  it('a cluster another kimg works on is refused at once', async () => {
    const target = join(await makeTempDir('kimg-target-'), 'c');
    await mkdir(join(target, '.kimg', 'cluster.lock'), { recursive: true });
    const result = await kimg(['install', 'toy/rootfs:v1.29.9', '--cluster', 'busy', '--target', target], {
      root,
      env: env(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cluster busy is busy: another kimg install or uninstall holds');
    expect(await hookOrder(target)).toEqual([]);
  });

  it('refuses with the numbers when the target file system lacks the space', async () => {
    const dir = await makeTempDir('kimg-space-');
    const error = await checkFreeSpace(join(dir, 'not', 'yet'), 2 ** 60).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'NO_SPACE' });
    expect((error as Error).message).toMatch(
      /yet needs 1048576 TiB \(\d+ bytes\) and its file system has .* \(\d+ bytes\) free$/,
    );
  });
});
