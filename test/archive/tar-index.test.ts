import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isKimgError } from '../../src/errors';
import { TarIndex, TarWriter } from '../../src/layer';
import { seededBytes, tarOf } from '../fixtures/random-image';
import { makeTempDir, removeTempDirs, runOk } from '../harness';
import { readStream } from './helpers';

afterAll(removeTempDirs);

const LONG_DIR = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
const LONG_NAME = `${LONG_DIR}/${'f'.repeat(90)}.bin`; // > 100 and its last part alone does not fit ustar's prefix split

async function expectCode(promise: Promise<unknown>, code: string, text?: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isKimgError(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  if (text) expect((err as Error).message).toContain(text);
}

/** A tree with long names, a symlink and an empty file, for GNU tar to archive. */
async function makeTree(): Promise<{ dir: string; files: Map<string, Buffer> }> {
  const dir = await makeTempDir('kimg-tar-tree-');
  const files = new Map<string, Buffer>([
    ['short.txt', Buffer.from('hello\n')],
    ['empty', Buffer.alloc(0)],
    [LONG_NAME, seededBytes('long', 70_000)],
    ['ünï/cødé.bin', seededBytes('utf8', 513)],
  ]);
  for (const [name, content] of files) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  await symlink(`../${LONG_NAME}`, join(dir, 'ünï', 'link'));
  return { dir, files };
}

async function expectContents(index: TarIndex, files: Map<string, Buffer>): Promise<void> {
  for (const [name, content] of files) {
    expect(index.get(name)?.size).toBe(content.length);
    expect((await readStream(index.openEntry(name))).equals(content)).toBe(true);
  }
}

describe('TarIndex', () => {
  for (const format of ['gnu', 'pax', 'ustar-fallback'] as const) {
    it(`indexes GNU tar --format=${format} output with long names and symlinks`, async () => {
      const { dir, files } = await makeTree();
      const out = join(await makeTempDir(), 'a.tar');
      const tarFormat = format === 'ustar-fallback' ? 'posix' : format === 'pax' ? 'pax' : 'gnu';
      await runOk('tar', [`--format=${tarFormat}`, '-cf', out, '-C', dir, '.']);
      const index = await TarIndex.open(out);
      await expectContents(index, files);
      expect(index.get('ünï/link')?.name).toBe(LONG_NAME); // followed inside the archive
      expect(index.entries().some((e) => e.name.startsWith('./'))).toBe(false);
      await index.close();
    });
  }

  it('indexes tar-stream output and a gzip-compressed copy of it', async () => {
    const entries = [
      { name: 'a/b.txt', content: Buffer.from('b') },
      { name: LONG_NAME, content: seededBytes(3, 1000) },
    ];
    const tar = await tarOf(entries);
    const dir = await makeTempDir();
    await writeFile(join(dir, 'x.tar'), tar);
    await writeFile(join(dir, 'x.tar.gz'), gzipSync(tar));
    const files = new Map(entries.map((e) => [e.name, e.content]));
    for (const name of ['x.tar', 'x.tar.gz']) {
      const index = await TarIndex.open(join(dir, name), { tmpDir: dir });
      expect(index.compression).toBe(name.endsWith('.gz') ? 'gzip' : 'none');
      await expectContents(index, files);
      await index.close();
    }
  });

  it('reads base-256 size fields', async () => {
    const tar = await tarOf([{ name: 'big', content: seededBytes(4, 600) }]);
    // Re-encode the size field (offset 124, 12 bytes) in GNU base-256 and fix the checksum.
    const sizeField = Buffer.alloc(12);
    sizeField[0] = 0x80;
    sizeField.writeUInt32BE(600, 8);
    sizeField.copy(tar, 124);
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i] as number;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const file = join(await makeTempDir(), 'b.tar');
    await writeFile(file, tar);
    const index = await TarIndex.open(file);
    expect(index.get('big')?.size).toBe(600);
    expect((await readStream(index.openEntry('big'))).equals(seededBytes(4, 600))).toBe(true);
  });

  it('refuses a truncated archive, naming the entry', async () => {
    const tar = await tarOf([{ name: 'layer.tar', content: seededBytes(5, 5000) }]);
    const file = join(await makeTempDir(), 'cut.tar');
    await writeFile(file, tar.subarray(0, 3000));
    await expectCode(TarIndex.open(file), 'ARCHIVE_INVALID', 'layer.tar');
  });

  it('refuses a header with a bad checksum', async () => {
    const tar = await tarOf([
      { name: 'one', content: Buffer.from('1') },
      { name: 'two', content: Buffer.from('2') },
    ]);
    tar[1024 + 10] = 0x41; // inside the second header's name
    const file = join(await makeTempDir(), 'bad.tar');
    await writeFile(file, tar);
    await expectCode(TarIndex.open(file), 'ARCHIVE_INVALID', 'checksum');
  });

  it('refuses names that escape', async () => {
    const tar = await tarOf([{ name: '../evil', content: Buffer.from('x') }]);
    const file = join(await makeTempDir(), 'evil.tar');
    await writeFile(file, tar);
    await expectCode(TarIndex.open(file), 'ARCHIVE_INVALID', 'parent-relative');
  });

  it('says ARCHIVE_FORMAT_UNKNOWN for files that are not tars', async () => {
    const dir = await makeTempDir();
    for (const [name, content] of [
      ['text', Buffer.from('not a tar at all\n'.repeat(100))],
      ['random', seededBytes(6, 4096)],
      ['empty', Buffer.alloc(0)],
    ] as const) {
      await writeFile(join(dir, name), content);
      await expectCode(
        TarIndex.open(join(dir, name)),
        'ARCHIVE_FORMAT_UNKNOWN',
        'is not an oci-archive or docker-archive',
      );
    }
    await writeFile(join(dir, 'bad.gz'), gzipSync(Buffer.from('x')).subarray(0, 8));
    await expectCode(TarIndex.open(join(dir, 'bad.gz')), 'ARCHIVE_INVALID');
  });
});

describe('TarWriter', () => {
  it('writes reproducible archives GNU tar can list', async () => {
    const dir = await makeTempDir();
    const write = async (file: string) => {
      const writer = new TarWriter(file);
      await writer.addDirectory('blobs');
      await Promise.all([
        writer.addFile('blobs/a', Buffer.from('a')),
        writer.addFile(LONG_NAME, seededBytes(7, 2000)),
      ]);
      await writer.finish();
    };
    await write(join(dir, '1.tar'));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a different wall clock must not matter
    await write(join(dir, '2.tar'));
    expect((await readFile(join(dir, '1.tar'))).equals(await readFile(join(dir, '2.tar')))).toBe(true);
    const listing = await runOk('tar', ['-tvf', join(dir, '1.tar')]);
    expect(listing.stdout).toContain(LONG_NAME);
    expect(listing.stdout).toContain(' 0/0 ');
    expect(listing.stdout).toContain('1970-01-01');
    const index = await TarIndex.open(join(dir, '1.tar'));
    expect((await readStream(index.openEntry(LONG_NAME))).equals(seededBytes(7, 2000))).toBe(true);
  });
});
