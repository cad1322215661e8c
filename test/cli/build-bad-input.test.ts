import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { kimg, kimgOk, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { writeTree } from './build-helpers';

/**
 * Bad builds: a clear error naming the Kubefile position (or every diagnostic of the file), a non-zero exit,
 * and the store exactly as it was (hash of the whole tree before and after).
 */
let work: string;
let root: string;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  // A store with content (and a base image with a layer, for RUN), so "unchanged" means something.
  await writeTree(join(work, 'base'), {
    'bin/sh': 'not really a shell\n',
    Kubefile: 'FROM scratch\nCOPY bin /bin/\n',
  });
  await kimgOk(['build', '-t', 'base:1', join(work, 'base')], { root });
});
afterAll(removeTempDirs);

async function refused(name: string, files: Record<string, string>) {
  const context = join(work, name);
  await writeTree(context, files);
  return context;
}

async function expectRefused(context: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const before = await treeHash(root);
  const result = await kimg(['build', '-t', 'bad:1', context], { root, env });
  // A refused input exits 1; 2 is only for a wrong command line (README "Exit status").
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/internal error/);
  expect(await treeHash(root)).toBe(before);
  return result.stderr;
}

describe('kimg build refuses bad input and leaves the store unchanged', () => {
  it('prints every diagnostic of the Kubefile with file:line:column, the line, a caret and a hint', async () => {
    const context = await refused('diagnostics', {
      Kubefile:
        'FROM scratch\nCOPPY a /a\nUSER a b\nCOPY --bogus=1 a /a\nSHELL /bin/sh\nHEALTHCHECK --interval=soon CMD x\n',
    });
    const stderr = await expectRefused(context);
    expect(stderr).toContain('Kubefile:2:1: error: unknown instruction "COPPY" (did you mean "COPY"?)');
    expect(stderr).toContain(' 2 | COPPY a /a');
    expect(stderr).toMatch(/\^~~~~/);
    expect(stderr).toMatch(/Kubefile:3:\d+: error:/);
    expect(stderr).toMatch(/Kubefile:4:\d+: error: .*bogus/);
    expect(stderr).toMatch(/Kubefile:5:\d+: error:/);
    expect(stderr).toContain('= hint:');
    expect(stderr).toMatch(/kimg: error: .*error\(s\) in the Kubefile/);
  });

  it('reports planner diagnostics the same way (bad substitution, --chmod, bad HEALTHCHECK duration)', async () => {
    const context = await refused('plan-diagnostics', {
      Kubefile: 'FROM scratch\nENV A=${B\nCOPY --chmod=abc a /a\nHEALTHCHECK --interval=soon CMD x\n',
    });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:2:\d+: error: cannot expand/);
    expect(stderr).toMatch(/Kubefile:3:\d+: error: --chmod=abc is not an octal mode/);
    expect(stderr).toMatch(/Kubefile:4:\d+: error: HEALTHCHECK --interval=soon/);
  });

  it('COPY of a missing file: the line, the context, and the closest path', async () => {
    const context = await refused('missing', {
      'manifests/app.yaml': 'x',
      Kubefile: 'FROM scratch\nCOPY manifest/app.yaml /m/\n',
    });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:2:1: COPY source "manifest\/app.yaml" not found in the build context/);
    expect(stderr).toMatch(/hint: did you mean "manifests\/app.yaml"\?/);
  });

  it('COPY ../x: a source outside the context is a refused input, exit 1 (not the usage status 2)', async () => {
    await writeTree(join(work, 'outside'), { secret: 'x' });
    const context = await refused('parent', { Kubefile: 'FROM scratch\nCOPY ../outside/secret /s\n' });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:2:\d+: .*\.\.\/outside\/secret/);
  });

  it('a symlink that points out of the context', async () => {
    const context = await refused('escape', { Kubefile: 'FROM scratch\nCOPY conf /conf/\n', 'conf/ok': 'x' });
    await symlink('/etc/passwd', join(context, 'conf', 'passwd'));
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:2:1: .*conf\/passwd/);
    expect(stderr).toMatch(/outside|escapes|leaves/);
  });

  it('an unknown stage in COPY --from', async () => {
    const context = await refused('stage', {
      a: 'x',
      Kubefile: 'FROM scratch AS build\nFROM scratch\nCOPY --from=biuld /a /a\n',
    });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:3:\d+: error: COPY --from=biuld: no stage "biuld"/);
    expect(stderr).toMatch(/stages defined so far: build/);
  });

  it('FROM an image that does not exist', async () => {
    const context = await refused('no-image', { Kubefile: `FROM oci:${join(work, 'nowhere')}:x\nENV A=1\n` });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/kimg: error: \S*no-image\/Kubefile:1:1: .*nowhere/);
  });

  it('RUN without a reachable daemon: names the line and how to point kimg at a daemon', async () => {
    const context = await refused('no-daemon', { Kubefile: 'FROM base:1\nENV A=1\nRUN echo hi > /x\n' });
    const stderr = await expectRefused(context, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(stderr).toMatch(/kimg: error: \S*\/Kubefile:3:1: RUN: cannot reach the Docker daemon/);
    expect(stderr).toMatch(/hint: .*DOCKER_HOST/);
  });

  it('RUN in a stage FROM scratch', async () => {
    const context = await refused('scratch-run', { Kubefile: 'FROM scratch\nRUN echo hi\n' });
    const stderr = await expectRefused(context);
    expect(stderr).toMatch(/Kubefile:2:1: RUN needs a base image with a shell/);
  });

  it('bad flags: --build-arg without =, an unknown --platform, an unknown --compression', async () => {
    const context = await refused('flags', { Kubefile: 'FROM scratch\n' });
    for (const args of [
      ['--label', 'novalue'],
      ['--platform', 'linux/'],
      ['--compression', 'lz4'],
    ]) {
      const before = await treeHash(root);
      const result = await kimg(['build', ...args, context], { root });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/kimg: error: /);
      expect(await treeHash(root)).toBe(before);
    }
  });

  it('--max-pull-procs must be a whole number ≥ 1, and the store is unchanged', async () => {
    const context = await refused('max-pull-procs', { Kubefile: 'FROM scratch\nLABEL a=b\n' });
    const before = await treeHash(root);
    for (const value of ['0', '1.5']) {
      const result = await kimg(['build', '--max-pull-procs', value, '-t', 'bad:1', context], { root });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--max-pull-procs ${value}: expected a whole number ≥ 1`);
    }
    expect(await treeHash(root)).toBe(before);
  });
});
