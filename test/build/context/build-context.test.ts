import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBuildContext, type BuildContext, type CopyItem } from '../../../src/build/context';
import { isKimgError } from '../../../src/errors';
import { makeTempDir, removeTempDirs } from '../../harness';

afterAll(removeTempDirs);

/** A cluster-image-like context; `files` maps paths to contents, directories are implied. */
async function makeContext(
  files: Record<string, string>,
  setup?: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = await makeTempDir('kimg-context-');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await setup?.(dir);
  return dir;
}

const targets = (items: CopyItem[]) => items.map((item) => item.target);

async function errorOf(work: () => unknown): Promise<Error & { code?: string; hint?: string }> {
  try {
    await work();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('openBuildContext', () => {
  let dir: string;
  let context: BuildContext;
  beforeAll(async () => {
    dir = await makeContext(
      {
        Kubefile: 'FROM scratch\n',
        '.dockerignore': 'never read: .kubefileignore wins\n',
        '.kubefileignore': '# cluster image\nKubefile\n.kubefileignore\n*.log\nbuild\n!build/keep.txt\n',
        'bin/kubeadm': 'kubeadm',
        'bin/kubectl': 'kubectl',
        'charts/app/Chart.yaml': 'name: app\n',
        'charts/app/values.yaml': 'replicas: 1\n',
        'manifests/a.yaml': 'a',
        'manifests/b.yaml': 'b',
        'debug.log': 'ignored',
        'build/out.o': 'ignored',
        'build/keep.txt': 'kept',
      },
      async (root) => {
        await symlink('kubeadm', join(root, 'bin', 'kubeadm-link'));
        await symlink('../../etc/passwd', join(root, 'bin', 'escape'));
        await symlink('/usr/bin/env', join(root, 'manifests', 'absolute'));
        await link(join(root, 'bin', 'kubeadm'), join(root, 'bin', 'kubeadm-hard'));
      },
    );
    context = await openBuildContext(dir);
  });

  it('reads .kubefileignore first and applies it in one walk, sorted, with exceptions', () => {
    expect(context.ignore.file).toBe(join(dir, '.kubefileignore'));
    const paths = context.entries.map((entry) => entry.path);
    expect(paths).toEqual([
      '',
      '.dockerignore',
      'bin',
      'bin/escape',
      'bin/kubeadm',
      'bin/kubeadm-hard',
      'bin/kubeadm-link',
      'bin/kubectl',
      'build/keep.txt', // re-included; its excluded parent is not listed
      'charts',
      'charts/app',
      'charts/app/Chart.yaml',
      'charts/app/values.yaml',
      'manifests',
      'manifests/a.yaml',
      'manifests/absolute',
      'manifests/b.yaml',
    ]);
    expect(context.entry('bin/kubeadm')?.linkKey).toBe(context.entry('bin/kubeadm-hard')?.linkKey);
  });

  it('copies a directory’s contents, a file to dest/ or renamed, a glob into a directory', () => {
    expect(targets(context.resolveSources(['charts'], '/opt/charts'))).toEqual([
      'opt/charts',
      'opt/charts/app',
      'opt/charts/app/Chart.yaml',
      'opt/charts/app/values.yaml',
    ]);
    expect(targets(context.resolveSources(['bin/kubectl'], '/usr/bin/'))).toEqual(['usr/bin/kubectl']);
    expect(targets(context.resolveSources(['bin/kubectl'], '/usr/bin/k'))).toEqual(['usr/bin/k']);
    expect(targets(context.resolveSources(['bin/kubectl'], '/usr/bin', { destIsDirectory: true }))).toEqual([
      'usr/bin/kubectl',
    ]);
    expect(targets(context.resolveSources(['manifests/*.yaml', './bin/kubectl'], '/m/'))).toEqual([
      'm/a.yaml',
      'm/b.yaml',
      'm/kubectl',
    ]);
    expect(targets(context.resolveSources(['**/Chart.yaml'], '/c/'))).toEqual(['c/Chart.yaml']);
    expect(targets(context.resolveSources(['charts/app/[Cv]*.yaml'], '/x/'))).toEqual([
      'x/Chart.yaml',
      'x/values.yaml',
    ]);
    expect(targets(context.resolveSources(['/charts/app/'], '.'))).toEqual(['Chart.yaml', 'values.yaml']);
  });

  it('needs a directory destination for several sources', async () => {
    const err = await errorOf(() => context.resolveSources(['manifests/*.yaml'], '/m'));
    expect(err.message).toContain('COPY of 2 sources (manifests/*.yaml) needs a directory destination');
    expect(err.hint).toBe('end the destination with a slash: "/m/"');
  });

  it('keeps symlinks inside the context as symlinks and refuses links that leave it', async () => {
    const [item] = context.resolveSources(['bin/kubeadm-link'], '/b/');
    expect(item?.source.type).toBe('symlink');
    expect(context.layerEntries([item as CopyItem])[0]).toMatchObject({
      type: 'symlink',
      linkTarget: 'kubeadm',
    });
    const escape = await errorOf(() => context.resolveSources(['bin'], '/b'));
    expect(isKimgError(escape, 'INVALID_ARGUMENT')).toBe(true);
    expect(escape.message).toContain('symlink bin/escape');
    expect(escape.message).toContain('(to ../../etc/passwd)');
    expect(escape.hint).toContain('make the link relative');
    const absolute = await errorOf(() => context.resolveSources(['manifests/absolute'], '/m/'));
    expect(absolute.message).toContain('(to /usr/bin/env)');
  });

  it('names a missing source with the closest existing path, or the ignore line that excludes it', async () => {
    const typo = await errorOf(() => context.resolveSources(['bin/kubeadn'], '/b/'));
    expect(typo.message).toBe(`COPY source "bin/kubeadn" not found in the build context ${dir}`);
    expect(typo.hint).toBe('did you mean "bin/kubeadm"?');
    const moved = await errorOf(() => context.resolveSources(['app/Chart.yaml'], '/b/'));
    expect(moved.hint).toBe('did you mean "charts/app/Chart.yaml"?');
    const ignored = await errorOf(() => context.resolveSources(['debug.log'], '/b/'));
    expect(ignored.message).toBe(
      `COPY source "debug.log" is excluded from the build context by ${dir}/.kubefileignore:4`,
    );
    const kubefile = await errorOf(() => context.resolveSources(['Kubefile'], '/b/'));
    expect(kubefile.message).toContain('excluded from the build context');
    const none = await errorOf(() => context.resolveSources(['*.txt'], '/b/'));
    expect(none.message).toContain('"*.txt" matches no file');
    const outside = await errorOf(() => context.resolveSources(['../x'], '/b/'));
    expect(outside.message).toContain('is outside the build context');
  });

  it('falls back to .sealignore, then .dockerignore, and honours an explicit ignore file', async () => {
    const seal = await openBuildContext(
      await makeContext({ '.sealignore': 'a', '.dockerignore': 'b', a: '', b: '' }),
    );
    expect(seal.entries.map((entry) => entry.path)).toEqual(['', '.dockerignore', '.sealignore', 'b']);
    const docker = await openBuildContext(await makeContext({ '.dockerignore': 'b', a: '', b: '' }));
    expect(docker.entries.map((entry) => entry.path)).toEqual(['', '.dockerignore', 'a']);
    const explicit = await openBuildContext(
      await makeContext({ 'my.ignore': 'a\nmy.ignore', a: '', b: '' }),
      {
        ignoreFile: 'my.ignore',
      },
    );
    expect(explicit.entries.map((entry) => entry.path)).toEqual(['', 'b']);
  });
});
