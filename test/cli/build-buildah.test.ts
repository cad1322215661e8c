import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { kimgOk, makeTempDir, removeTempDirs, runOk } from '../harness';
import { writeTree } from './build-helpers';

/**
 * Equivalence with buildah (issue 5): Kubefiles without RUN built by both; `umoci unpack` of each gives the
 * same file tree (names, types, modes, contents, link targets) and the image configs agree on env, labels,
 * cmd, entrypoint and workdir.
 */
let work: string;

beforeAll(async () => {
  work = await makeTempDir();
});
afterAll(removeTempDirs);

async function tree(dir: string, relative = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(join(dir, relative))).sort()) {
    const path = relative === '' ? name : `${relative}/${name}`;
    const stats = await lstat(join(dir, path));
    const mode = (stats.mode & 0o7777).toString(8);
    if (stats.isDirectory()) lines.push(`${path}/ ${mode}`, ...(await tree(dir, path)));
    else if (stats.isSymbolicLink()) lines.push(`${path} -> ${await readlink(join(dir, path))}`);
    else
      lines.push(
        `${path} ${mode} ${createHash('sha256')
          .update(await readFile(join(dir, path)))
          .digest('hex')
          .slice(0, 16)}`,
      );
  }
  return lines;
}

async function unpackedConfig(layoutRef: string, bundle: string) {
  await runOk('umoci', ['unpack', '--rootless', '--image', layoutRef, bundle]);
  const config = JSON.parse((await runOk('skopeo', ['inspect', '--config', `oci:${layoutRef}`])).stdout) as {
    config: Record<string, unknown>;
  };
  const c = config.config;
  const labels = { ...(c.Labels as Record<string, string>) };
  delete labels['io.buildah.version'];
  return {
    tree: await tree(join(bundle, 'rootfs')),
    env: c.Env,
    labels,
    cmd: c.Cmd,
    entrypoint: c.Entrypoint,
    workdir: c.WorkingDir,
  };
}

const CASES: Record<
  string,
  { files: Record<string, string | { content: string; mode: number }>; links?: [string, string][] }
> = {
  'copy, env, label, workdir, multi-stage, .dockerignore': {
    files: {
      'src/a.txt': { content: 'a\n', mode: 0o755 },
      'src/sub/b.txt': 'b\n',
      'src/x.log': 'kept: *.log matches at the root only\n',
      'top.log': 'ignored\n',
      'skip/s': 'ignored\n',
      '.dockerignore': 'skip\n*.log\n',
      Kubefile: [
        'FROM scratch AS build',
        'COPY src /out/',
        'FROM scratch',
        'ENV A=1 B="two words"',
        'LABEL sealos.io.type=application x=y',
        'WORKDIR /app',
        'COPY src ./src',
        'COPY --from=build /out/sub /sub/',
        'ENTRYPOINT ["/bin/app"]',
        'CMD ["--help"]',
        '',
      ].join('\n'),
    },
    links: [['a.txt', 'src/link']],
  },
  'ADD of a local file and dir, file renames, .kubefileignore exceptions': {
    files: {
      'conf/app.yaml': 'x: 1\n',
      'conf/secret.yaml': 'no\n',
      'conf/keep.yaml': 'yes\n',
      'single.txt': 'single\n',
      '.kubefileignore': 'conf/*.yaml\n!conf/keep.yaml\n',
      '.dockerignore': '',
      Kubefile:
        'FROM scratch\nADD conf /etc/app/\nCOPY single.txt /renamed.txt\nCOPY single.txt /dir/\nCMD echo hi\n',
    },
  },
};

describe('kimg build ≡ buildah bud (no RUN)', () => {
  it.each(Object.keys(CASES))(
    '%s',
    async (name) => {
      const spec = CASES[name];
      if (!spec) throw new Error(name);
      const dir = join(work, createHash('sha256').update(name).digest('hex').slice(0, 8));
      const context = join(dir, 'ctx');
      await writeTree(context, spec.files);
      for (const [target, path] of spec.links ?? []) await symlink(target, join(context, path));
      // buildah reads .dockerignore (or .containerignore); give it the rules kimg takes from .kubefileignore.
      if (spec.files['.kubefileignore'] !== undefined) {
        await writeTree(context, { '.dockerignore': spec.files['.kubefileignore'] as string });
      }
      const storage = ['--storage-driver', 'vfs', '--root', join(dir, 'R'), '--runroot', join(dir, 'RR')];
      await runOk('buildah', ['bud', ...storage, '-f', join(context, 'Kubefile'), '-t', 'eq:1', context]);
      await runOk('buildah', ['push', ...storage, 'eq:1', `oci:${join(dir, 'buildah')}:eq`]);
      await kimgOk(['build', '-t', 'eq:1', '--output', `oci:${join(dir, 'kimg')}:eq`, context], {
        root: join(dir, 'store'),
      });
      const theirs = await unpackedConfig(`${join(dir, 'buildah')}:eq`, join(dir, 'bundle-buildah'));
      const ours = await unpackedConfig(`${join(dir, 'kimg')}:eq`, join(dir, 'bundle-kimg'));
      expect(ours).toEqual(theirs);
    },
    120_000,
  );
});
