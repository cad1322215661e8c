import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertWritableInside,
  openRegularFile,
  readBoundedFile,
  realPathWithin,
  walkDirectories,
} from '../../src/fs';
import { makeTempDir, removeTempDirs, runOk } from '../harness';

let dir: string;
let layout: string;

beforeAll(async () => {
  dir = await makeTempDir('kimg-fs-');
  layout = join(dir, 'layout');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layout, 'blobs', 'sha256', 'real'), 'content');
  await writeFile(join(dir, 'outside'), 'secret');
  await symlink('real', join(layout, 'blobs', 'sha256', 'inside-link'));
  await symlink(join(dir, 'outside'), join(layout, 'blobs', 'sha256', 'outside-link'));
  await runOk('mkfifo', [join(layout, 'fifo')]);
});

afterAll(removeTempDirs);

describe('openRegularFile / readBoundedFile', () => {
  it('follows a symlink that stays inside the folder', async () => {
    const bytes = await readBoundedFile(join(layout, 'blobs', 'sha256', 'inside-link'), {
      what: 'blob',
      within: layout,
      limit: 100,
      limitHint: 'h',
    });
    expect(bytes.toString()).toBe('content');
  });

  it('refuses a symlink that leads out, naming where it leads', async () => {
    await expect(
      realPathWithin(join(layout, 'blobs', 'sha256', 'outside-link'), layout, 'blob'),
    ).rejects.toMatchObject({
      code: 'FILE_REFUSED',
      message: expect.stringContaining(`leads to ${join(dir, 'outside')}, outside`),
    });
  });

  it('refuses a FIFO without blocking, and a character device', async () => {
    const started = Date.now();
    await expect(
      openRegularFile(join(layout, 'fifo'), { what: 'index.json', within: layout }),
    ).rejects.toMatchObject({
      code: 'FILE_REFUSED',
      message: expect.stringContaining('is a FIFO (named pipe), not a regular file'),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(openRegularFile('/dev/zero', { what: 'archive' })).rejects.toMatchObject({
      message: expect.stringContaining('/dev/zero is a character device'),
    });
  });

  it('checks the size cap on the descriptor before reading, and passes ENOENT on', async () => {
    await expect(
      readBoundedFile(join(layout, 'blobs', 'sha256', 'real'), {
        what: 'link',
        within: layout,
        limit: 3,
        limitHint: 'raise it with X',
      }),
    ).rejects.toMatchObject({
      code: 'SIZE_LIMIT',
      message: expect.stringContaining('7 bytes, over the 3-byte limit'),
      hint: 'raise it with X',
    });
    await expect(
      readBoundedFile(join(layout, 'absent'), { what: 'x', within: layout, limit: 3, limitHint: '' }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('walkDirectories', () => {
  it('visits each real directory once: symlink loops and links out are not followed', async () => {
    const root = join(dir, 'tree');
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    for (const name of ['x', 'y', 'z']) await symlink('..', join(root, 'a', name));
    await symlink(dir, join(root, 'out'));
    const walked = await walkDirectories(root, () => true, 128);
    expect(walked.map((w) => w.components.join('/')).sort()).toEqual(['', 'a', 'a/b']);
  });
});

describe('assertWritableInside', () => {
  it('refuses a write whose folder resolves outside, allows one that does not exist yet', async () => {
    const dest = join(dir, 'dest');
    await mkdir(join(dest, 'blobs'), { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), join(dest, 'blobs', 'sha256'));
    await expect(
      assertWritableInside(dest, join(dest, 'blobs', 'sha256', 'abc'), 'oci:dest'),
    ).rejects.toMatchObject({
      code: 'FILE_REFUSED',
      message: expect.stringContaining('refusing to write through it'),
    });
    await assertWritableInside(dest, join(dest, 'blobs', 'sha512', 'new', 'abc'), 'oci:dest');
    await symlink(join(dir, 'nowhere'), join(dest, 'dangling'));
    await expect(assertWritableInside(dest, join(dest, 'dangling', 'f'), 'oci:dest')).rejects.toMatchObject({
      message: expect.stringContaining('dangling symbolic link'),
    });
  });
});
