import { afterAll, describe, expect, it } from '@jest/globals';
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ownershipPolicy, unpackTar, type UnpackOptions } from '../../src/unpack';
import { makeTempDir, removeTempDirs } from '../harness/temp';
import { tarOf, type Member } from './hostile-tars';

afterAll(removeTempDirs);

// Owners other than the current user can only be given by root; CI runs as root (.ci/run), so these run there.
const asRoot = process.getuid?.() === 0 ? it : it.skip;

const owned: Member[] = [
  { header: { name: 'bin', type: 'directory', mode: 0o755, uid: 42, gid: 43 } },
  { header: { name: 'bin/su', mode: 0o4755, uid: 1234, gid: 5678 }, content: Buffer.from('#!/bin/sh\n') },
  { header: { name: 'bin/wall', mode: 0o2755, uid: 0, gid: 5 }, content: Buffer.from('#!/bin/sh\n') },
  { header: { name: 'bin/sh-link', type: 'symlink', linkname: 'su', uid: 7, gid: 8 } },
];

async function unpack(options: Partial<UnpackOptions> = {}): Promise<string> {
  const target = join(await makeTempDir('kimg-owner-'), 'root');
  await mkdir(target);
  await unpackTar(Readable.from([await tarOf(owned)]), target, {
    what: 'test tar',
    whiteouts: false,
    ...options,
  });
  return target;
}

describe('unpack ownership and setuid/setgid policy (for install)', () => {
  asRoot(
    "'keep' gives each member the tar's uid/gid and keeps setuid/setgid (chown before chmod)",
    async () => {
      const root = await unpack({ ownership: 'keep' });
      const su = await lstat(join(root, 'bin/su'));
      expect([su.uid, su.gid, su.mode & 0o7777]).toEqual([1234, 5678, 0o4755]);
      const wall = await lstat(join(root, 'bin/wall'));
      expect([wall.uid, wall.gid, wall.mode & 0o7777]).toEqual([0, 5, 0o2755]);
      const bin = await lstat(join(root, 'bin'));
      expect([bin.uid, bin.gid]).toEqual([42, 43]);
      const link = await lstat(join(root, 'bin/sh-link'));
      expect([link.isSymbolicLink(), link.uid, link.gid]).toEqual([true, 7, 8]);
    },
  );

  asRoot('an id map translates every owner (a user namespace range)', async () => {
    const root = await unpack({
      ownership: { map: ({ uid, gid }) => ({ uid: uid + 100000, gid: gid + 100000 }) },
    });
    const su = await lstat(join(root, 'bin/su'));
    expect([su.uid, su.gid]).toEqual([101234, 105678]);
  });

  it("'ignore' (the default, what a build needs) leaves files to the unpacking user, modes as recorded", async () => {
    const root = await unpack();
    const su = await lstat(join(root, 'bin/su'));
    expect([su.uid, su.gid, su.mode & 0o7777]).toEqual([process.getuid?.(), process.getgid?.(), 0o4755]);
  });

  it("setid 'strip' removes setuid and setgid bits and keeps the rest of the mode", async () => {
    const root = await unpack({ setid: 'strip' });
    expect((await lstat(join(root, 'bin/su'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(root, 'bin/wall'))).mode & 0o7777).toBe(0o755);
  });

  it("'keep' without root is refused before anything is written, naming the way out", () => {
    expect(() => ownershipPolicy('keep', 'keep', false)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED', hint: expect.stringContaining("ownership 'ignore'") }),
    );
    expect(ownershipPolicy('keep', 'keep', true).ownerOf({ uid: 1, gid: 2 })).toEqual({ uid: 1, gid: 2 });
    expect(ownershipPolicy('ignore', 'strip', false).modeOf(0o6755)).toBe(0o755);
  });
});
