import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { normalizeLayer } from '../../../src/build/run';
import { tarFrom, tarMembers } from './helpers';

const when = new Date('2024-05-01T12:00:00Z');
const noisy = new Date('2031-02-03T04:05:06Z');

async function normalized(tar: Buffer) {
  return tarMembers(Buffer.concat(await normalizeLayer(Readable.from([tar]), when).toArray()));
}

describe('normalizeLayer', () => {
  it('keeps entries, order, whiteouts, modes, owners and xattrs; clears names and time noise', async () => {
    const input = await tarFrom([
      {
        header: {
          name: 'z/',
          type: 'directory',
          mode: 0o750,
          uid: 1000,
          gid: 1000,
          uname: 'app',
          gname: 'app',
          mtime: noisy,
        },
      },
      {
        header: {
          name: 'z/file',
          mode: 0o4755,
          uid: 1000,
          gid: 100,
          uname: 'app',
          gname: 'users',
          mtime: noisy,
          pax: {
            atime: '1700000000.5',
            ctime: '1700000001.25',
            mtime: '1700000002.125',
            'SCHILY.xattr.user.k': 'v',
          },
        },
        content: Buffer.from('data'),
      },
      { header: { name: 'a/.wh.gone', mtime: noisy } },
      { header: { name: 'a/.wh..wh..opq', mtime: noisy } },
      { header: { name: 'link', type: 'symlink', linkname: 'z/file', mtime: noisy } },
      { header: { name: 'hard', type: 'link', linkname: 'z/file', mtime: noisy } },
      { header: { name: `long/${'n'.repeat(150)}`, mtime: noisy }, content: Buffer.from('x') },
    ]);
    const members = await normalized(input);
    expect(members.map((m) => m.header.name)).toEqual([
      'z/',
      'z/file',
      'a/.wh.gone',
      'a/.wh..wh..opq',
      'link',
      'hard',
      `long/${'n'.repeat(150)}`,
    ]);
    for (const { header } of members) {
      expect(header.mtime).toEqual(when);
      expect(header.uname).toBe('');
      expect(header.gname).toBe('');
      for (const key of ['atime', 'ctime', 'mtime']) expect(header.pax ?? {}).not.toHaveProperty(key);
    }
    const file = members[1];
    expect(file?.header).toMatchObject({ mode: 0o4755, uid: 1000, gid: 100, size: 4 });
    expect(Object.keys(file?.header.pax ?? {}).sort()).toEqual(['SCHILY.xattr.user.k', 'path']); // path: tar-stream's pax writer
    expect(file?.content.toString()).toBe('data');
    expect(members[0]?.header).toMatchObject({ type: 'directory', mode: 0o750, uid: 1000, gid: 1000 });
    expect(members[4]?.header).toMatchObject({ type: 'symlink', linkname: 'z/file' });
    expect(members[5]?.header).toMatchObject({ type: 'link', linkname: 'z/file' });
    expect(members[6]?.content.toString()).toBe('x');
  });

  it('gives the same bytes for the same files whatever their times and owner names', async () => {
    const make = (mtime: Date, uname: string) =>
      tarFrom([
        {
          header: { name: 'f', mtime, uname, pax: { atime: String(mtime.getTime() / 1000) } },
          content: Buffer.from('1'),
        },
      ]);
    const a = await normalizeLayer(Readable.from([await make(noisy, 'a')]), when).toArray();
    const b = await normalizeLayer(Readable.from([await make(new Date(5000), 'b')]), when).toArray();
    expect(Buffer.concat(a).equals(Buffer.concat(b))).toBe(true);
  });

  it('fails the stream on a corrupt tar and on a failing input', async () => {
    const corrupt = Buffer.alloc(1024, 7);
    await expect(normalizeLayer(Readable.from([corrupt]), when).toArray()).rejects.toMatchObject({
      code: 'ARCHIVE_INVALID',
    });
    const failing = new Readable({
      read() {
        this.destroy(new Error('digest mismatch upstream'));
      },
    });
    await expect(normalizeLayer(failing, when).toArray()).rejects.toThrow(/digest mismatch upstream/);
  });
});
