import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostPlatform } from '../../src/manifest/host-platform';
import { writeMultiArchLayout } from '../fixtures/multi-arch';
import { kimg, kimgOk, makeTempDir, removeTempDirs, treeHash } from '../harness';
import { storeImageFiles, writeTree } from './build-helpers';

/**
 * What a build learns from its base image's layers: `--chown=NAME[:GROUP]` through /etc/passwd and /etc/group
 * (the last layer holding them, whiteouts respected), `COPY x /existing-dir` copying into the directory, and
 * `FROM --platform=…` picking that child of an index.
 */
let work: string;
let root: string;

beforeAll(async () => {
  work = await makeTempDir();
  root = join(work, 'store');
  // A base whose /etc/passwd is replaced by a later layer (app moves from 1000 to 2000), with /opt/dir.
  await writeTree(join(work, 'base'), {
    'old/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n',
    'new/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:2000:2001::/home/app:/bin/sh\n',
    'etc/group': 'root:x:0:\nstaff:x:50:app\n',
    'dir/keep.txt': 'keep\n',
    Kubefile: [
      'FROM scratch',
      'COPY old/passwd etc/group /etc/',
      'COPY dir /opt/dir/',
      'COPY new/passwd /etc/passwd',
      '',
    ].join('\n'),
  });
  await kimgOk(['build', '--platform', 'linux/amd64', '-t', 'base:1', join(work, 'base')], { root });
});
afterAll(removeTempDirs);

async function build(name: string, files: Record<string, string>, args: string[] = []) {
  const context = join(work, name);
  await writeTree(context, files);
  await kimgOk(['build', '--platform', 'linux/amd64', ...args, '-t', `${name}:1`, context], { root });
  return storeImageFiles(root, `docker.io/library/${name}:1`);
}

describe('kimg build: base image files', () => {
  it('--chown with names resolves in the last /etc/passwd and /etc/group; numbers stay numbers', async () => {
    const image = await build('chown', {
      'a.txt': 'a\n',
      Kubefile: [
        'FROM base:1',
        'COPY --chown=app a.txt /a-user',
        'COPY --chown=app:staff a.txt /a-user-group',
        'ADD --chown=7:staff a.txt /a-number-group',
        '',
      ].join('\n'),
    });
    const owners = (name: string) => {
      const member = image.members.find((m) => m.name === name);
      return member && [member.uid, member.gid];
    };
    expect(owners('a-user')).toEqual([2000, 2001]);
    expect(owners('a-user-group')).toEqual([2000, 50]);
    expect(owners('a-number-group')).toEqual([7, 50]);
  });

  it('an unknown user or group is an error naming the Kubefile line; the store is unchanged', async () => {
    const before = await treeHash(root);
    for (const [name, chown, expected] of [
      ['nouser', 'nobody', /no user "nobody" in the image's \/etc\/passwd/],
      ['nogroup', 'app:wheel', /no group "wheel" in the image's \/etc\/group/],
    ] as const) {
      const context = join(work, name);
      await writeTree(context, { 'a.txt': 'a\n', Kubefile: `FROM base:1\nCOPY --chown=${chown} a.txt /a\n` });
      const result = await kimg(['build', '--platform', 'linux/amd64', '-t', 'bad:1', context], { root });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Kubefile:2:1');
      expect(result.stderr).toMatch(expected);
    }
    const scratch = join(work, 'scratch-chown');
    await writeTree(scratch, { 'a.txt': 'a\n', Kubefile: 'FROM scratch\nCOPY --chown=app a.txt /a\n' });
    const none = await kimg(['build', '-t', 'bad:1', scratch], { root });
    expect(none.stderr).toMatch(/Kubefile:2:1.*the image has no \/etc\/passwd/);
    expect(await treeHash(root)).toBe(before);
  });

  it('COPY x /existing-dir (no slash) copies into the directory; a new path is a file', async () => {
    const image = await build('intodir', {
      'x.txt': 'x\n',
      Kubefile: 'FROM base:1\nCOPY x.txt /opt/dir\nCOPY x.txt /opt/new\n',
    });
    const added = image.members.filter((m) => m.content === 'x\n').map((m) => [m.name, m.type]);
    expect(added).toEqual([
      ['opt/dir/x.txt', 'file'],
      ['opt/new', 'file'],
    ]);
  });

  it('FROM --platform picks that child of an index base, whatever --platform the build has', async () => {
    const layout = join(work, 'multi');
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    const fixture = await writeMultiArchLayout(layout, 'multi');
    const [amd64, arm64] = fixture.children;
    const arm = await build('fromarm', {
      Kubefile: `FROM --platform=linux/arm64 oci:${layout}:multi\nLABEL x=1\n`,
    });
    expect(arm.manifest.layers.map((l) => l.digest)).toEqual(arm64?.layers.map((l) => l.digest));
    const host = await build('fromhost', {
      Kubefile: `FROM --platform=$BUILDPLATFORM oci:${layout}:multi\nLABEL x=1\n`,
    });
    const hostChild = hostPlatform().architecture === 'arm64' ? arm64 : amd64;
    expect(host.manifest.layers.map((l) => l.digest)).toEqual(hostChild?.layers.map((l) => l.digest));
    const target = await build('fromtarget', { Kubefile: `FROM oci:${layout}:multi\nLABEL x=1\n` });
    expect(target.manifest.layers.map((l) => l.digest)).toEqual(amd64?.layers.map((l) => l.digest));
  });
});
