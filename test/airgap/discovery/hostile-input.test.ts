import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { discoverImages } from '../../../src/airgap/discovery';
import { makeTempDir, removeTempDirs, run, testHelm } from '../../harness';
import { writeTree } from './fixture-context';

const CHILD = join(__dirname, 'discover-child.js');
const MiB = 1024 * 1024;

interface ChildOutcome {
  images?: string[];
  code?: string;
  message?: string;
  hint?: string;
  ms: number;
  growth: number;
}

/** Discovery in a child process (dist/, so `npm run build` first), so its time and peak memory are its own. */
async function discoverInChild(context: string, env: NodeJS.ProcessEnv = {}): Promise<ChildOutcome> {
  const result = await run(process.execPath, ['--expose-gc', CHILD, context, '{"helm":false}'], {
    env: { ...process.env, ...env },
  });
  if (result.code !== 0) throw new Error(`discover-child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ChildOutcome;
}

async function contextWith(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('kimg-hostile-');
  await writeTree(dir, files);
  return dir;
}

/** Nine levels of nine aliases: 9^9 (387 million) strings once expanded, 1 KiB as text. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level <= 9; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(9).fill(previous).join(',')}]`);
  }
  return ['apiVersion: example.com/v1', 'kind: Bomb', 'spec:', ...lines.map((line) => `  ${line}`), ''].join(
    '\n',
  );
}

afterAll(removeTempDirs);

describe('hostile manifests: clear errors, bounded time and memory', () => {
  it('refuses a YAML alias bomb (the yaml package maxAliasCount)', async () => {
    const context = await contextWith({ 'manifests/bomb.yaml': aliasBomb() });
    const outcome = await discoverInChild(context);
    expect(outcome.code).toBe('DISCOVERY_INPUT_INVALID');
    expect(outcome.message).toBe(
      'manifests/bomb.yaml: too many YAML aliases (the limit is 100 expanded aliases per document; ' +
        'a document that expands exponentially is an "alias bomb")',
    );
    expect(outcome.ms).toBeLessThan(2000);
    expect(outcome.growth).toBeLessThan(64 * MiB);
  });

  it('refuses a 100 MB YAML file by its size, before reading it, naming how to raise the limit', async () => {
    const context = await contextWith({
      'manifests/ok.yaml': 'kind: Pod\nspec: {containers: [{image: nginx}]}\n',
    });
    const huge = join(context, 'manifests', 'huge.yaml');
    await writeFile(huge, '');
    await truncate(huge, 100 * 1000 * 1000); // sparse: no disk used, fstat says 100 MB
    const outcome = await discoverInChild(context);
    expect(outcome).toMatchObject({
      code: 'SIZE_LIMIT',
      message: 'manifests/huge.yaml is larger than the discovery file size limit of 16 MiB (100000000 bytes)',
      hint: expect.stringContaining('KIMG_DISCOVERY_MAX_FILE_SIZE=<bytes|NMiB>'),
    });
    expect(outcome.ms).toBeLessThan(1000);
    // Module loading and GC noise stay well under the 100 MB a read would cost (seen: 3–29 MiB under load).
    expect(outcome.growth).toBeLessThan(48 * MiB);
  });

  it('the file size limit is raised by KIMG_DISCOVERY_MAX_FILE_SIZE', async () => {
    const pods = Array.from(
      { length: 4000 },
      (_, i) => `---\nkind: Pod\nspec: {containers: [{image: "app:${i % 3}"}]}`,
    );
    const context = await contextWith({ 'manifests/many.yaml': pods.join('\n') }); // ~210 KB
    const refused = await discoverInChild(context, { KIMG_DISCOVERY_MAX_FILE_SIZE: '128KiB' });
    expect(refused.code).toBe('SIZE_LIMIT');
    expect(refused.message).toContain('limit of 128 KiB');
    const read = await discoverInChild(context, { KIMG_DISCOVERY_MAX_FILE_SIZE: '512KiB' });
    expect(read.images).toEqual([
      'docker.io/library/app:0',
      'docker.io/library/app:1',
      'docker.io/library/app:2',
    ]);
  });

  // The yaml parser spends ~0.5-0.9 KB per nesting level: unchecked, 1 MB of "[" peaked at 870 MB of RSS.
  it.each([
    ['flow brackets', `x: ${'['.repeat(1_000_000)}`],
    ['compact sequences', `x:\n  ${'- '.repeat(500_000)}a\n`],
    ['complex keys with anchors', `x:\n  ${'? &a '.repeat(200_000)}a\n`],
  ])('refuses 1 MB of nesting by %s before parsing, in bounded time and memory', async (_, text) => {
    const outcome = await discoverInChild(await contextWith({ 'manifests/deep.yaml': text }));
    expect(outcome).toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: expect.stringMatching(/^manifests\/deep\.yaml:[12]: YAML nested deeper than 256 levels$/),
    });
    expect(outcome.ms).toBeLessThan(2000);
    expect(outcome.growth).toBeLessThan(32 * MiB);
  });

  it('refuses nesting by indentation past 256 levels', async () => {
    const block =
      Array.from({ length: 300 }, (_, depth) => `${' '.repeat(depth)}k${depth}:`).join('\n') + ' x\n';
    const deep = await discoverInChild(await contextWith({ 'manifests/block.yaml': block }));
    expect(deep).toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: expect.stringMatching(/^manifests\/block\.yaml:\d+: YAML nested deeper than 256 levels$/),
    });
  });

  it('reads nesting within the bound', async () => {
    const nested = `${'['.repeat(250)}"quay.io/a/b:1"${']'.repeat(250)}`;
    const context = await contextWith({
      'manifests/ok.yaml': `kind: X\nspec:\n  deep: ${nested}\n  image: quay.io/a/b:1\n`,
    });
    const result = await discoverImages(context, { helm: false });
    expect(result.images.map((image) => image.normalized)).toEqual(['quay.io/a/b:1']);
  });

  it('names file and line of a manifest that is not YAML', async () => {
    const context = await contextWith({ 'manifests/bad.yaml': 'kind: Pod\nspec:\n  containers: [\n' });
    await expect(discoverImages(context, { helm: false })).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: expect.stringMatching(/^manifests\/bad\.yaml:\d+: not valid YAML: /),
    });
  });
});

describe('hostile files in the context', () => {
  it('refuses a manifest that is a symlink out of the context, and a linked folder out of it', async () => {
    const outside = await makeTempDir('kimg-outside-');
    await writeFile(join(outside, 'secret.yaml'), 'kind: Pod\nspec: {containers: [{image: secret}]}\n');
    const context = await contextWith({ 'manifests/ok.yaml': 'kind: Pod\n' });
    await symlink(join(outside, 'secret.yaml'), join(context, 'manifests', 'evil.yaml'));
    await expect(discoverImages(context, { helm: false })).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: `manifests/evil.yaml in the build context ${context} is a symlink that leads out of the context (to ${join(outside, 'secret.yaml')})`,
    });
    const second = await contextWith({});
    await symlink(outside, join(second, 'manifests'));
    await expect(discoverImages(second, { helm: false })).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
    });
  });

  it('follows links that stay inside the context, each file once (a loop ends)', async () => {
    const context = await contextWith({
      'shared/pod.yaml': 'kind: Pod\nspec: {containers: [{image: "quay.io/a/b:1"}]}\n',
    });
    await writeTree(context, { 'manifests/.keep': '' });
    await symlink('../shared/pod.yaml', join(context, 'manifests', 'linked.yaml'));
    await symlink('..', join(context, 'manifests', 'loop'));
    const result = await discoverImages(context, { helm: false });
    expect(
      result.images.map((image) => [image.normalized, image.sources.map((source) => source.file)]),
    ).toEqual([['quay.io/a/b:1', ['manifests/linked.yaml']]]);
  });

  it('refuses a FIFO named like a manifest without blocking on it', async () => {
    const context = await contextWith({ 'manifests/.keep': '' });
    execFileSync('mkfifo', [join(context, 'manifests', 'pipe.yaml')]);
    const start = Date.now();
    await expect(discoverImages(context, { helm: false })).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: 'manifests/pipe.yaml is not a regular file',
    });
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('names the file, the line and the escaped text of a garbage image-list line', async () => {
    const context = await contextWith({
      'images/shim/list.txt': '# fine so far\nnginx:1.27\n\u001b[31mhello "world"\u0000\n',
    });
    await expect(discoverImages(context)).rejects.toMatchObject({
      code: 'DISCOVERY_INPUT_INVALID',
      message: expect.stringMatching(
        /^images\/shim\/list\.txt:3: "\\u001b\[31mhello \\"world\\"\\u0000" is not an image reference \(/,
      ),
    });
  });
});

describe('charts that fail or never end', () => {
  it('a chart whose template fails: the chart and the first lines of Helm message', async () => {
    const context = await contextWith({
      'charts/broken/Chart.yaml': 'apiVersion: v2\nname: broken\nversion: 0.1.0\n',
      'charts/broken/templates/secret.yaml': '{{ fail "database password missing" }}\n',
    });
    const start = Date.now();
    const failure = discoverImages(context, { helm: await testHelm() });
    await expect(failure).rejects.toMatchObject({
      code: 'HELM_FAILED',
      message: expect.stringMatching(
        /^chart charts\/broken does not render: helm template exited 1: .*database password missing/,
      ),
    });
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  /** A scripted Helm that never answers: a real one cannot be made to hang on purpose without a cluster. */
  async function hangingHelm(): Promise<{ helm: string; pidFile: string; context: string }> {
    const dir = await makeTempDir('kimg-hanging-helm-');
    const pidFile = join(dir, 'pid');
    const helm = join(dir, 'helm');
    await writeFile(helm, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`, { mode: 0o755 });
    const context = await contextWith({
      'charts/slow/Chart.yaml': 'apiVersion: v2\nname: slow\nversion: 0.1.0\n',
    });
    return { helm, pidFile, context };
  }

  async function expectKilled(pidFile: string): Promise<void> {
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }

  it('kills Helm past KIMG_HELM_TIMEOUT and says how to raise it', async () => {
    const { helm, pidFile, context } = await hangingHelm();
    const start = Date.now();
    await expect(discoverImages(context, { helm, env: { KIMG_HELM_TIMEOUT: '1' } })).rejects.toMatchObject({
      code: 'HELM_FAILED',
      message: 'helm template of chart charts/slow did not finish within 1 s',
      hint: expect.stringContaining('KIMG_HELM_TIMEOUT=<seconds>'),
    });
    expect(Date.now() - start).toBeLessThan(3000);
    await expectKilled(pidFile);
  });

  it('kills Helm when the caller aborts', async () => {
    const { helm, pidFile, context } = await hangingHelm();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const start = Date.now();
    await expect(discoverImages(context, { helm, signal: controller.signal, env: {} })).rejects.toMatchObject(
      {
        code: 'ABORTED',
      },
    );
    expect(Date.now() - start).toBeLessThan(2000);
    await expectKilled(pidFile);
  });

  it('kills Helm past KIMG_HELM_MAX_OUTPUT', async () => {
    const context = await contextWith({
      'charts/big/Chart.yaml': 'apiVersion: v2\nname: big\nversion: 0.1.0\n',
      'charts/big/templates/cm.yaml': 'kind: ConfigMap\ndata:\n  x: {{ repeat 100000 "x" | quote }}\n',
    });
    await expect(
      discoverImages(context, { helm: await testHelm(), env: { KIMG_HELM_MAX_OUTPUT: '64KiB' } }),
    ).rejects.toMatchObject({
      code: 'SIZE_LIMIT',
      message: 'helm template of chart charts/big wrote more than 64 KiB',
      hint: 'raise the limit with KIMG_HELM_MAX_OUTPUT=<bytes|NMiB>',
    });
  });
});
