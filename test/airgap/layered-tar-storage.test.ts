import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { LayeredTarStorage } from '../../src/airgap/serve';
import { TarIndex } from '../../src/layer';
import { makeTempDir, removeTempDirs } from '../harness';
import type { StorageFile } from '../../src/airgap/serve';

// The `--image` storage merges layers as a runtime unpacks them (image-spec layer.md "Applying Changesets"):
// later entries win, whiteouts delete, opaque markers empty, a file replaces a directory and back; symlinks are
// never followed, hard links resolve inside their layer.
afterAll(() => removeTempDirs());

type Member = Partial<Header> & { name: string; content?: string };

async function layer(members: Member[]): Promise<TarIndex> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => archive.on('end', () => resolve()));
  for (const { content, ...header } of members) archive.entry({ mode: 0o644, ...header }, content ?? '');
  archive.finalize();
  await done;
  const file = join(await makeTempDir(), 'layer.tar');
  await writeFile(file, Buffer.concat(chunks));
  return TarIndex.open(file);
}

/** What `writeTo` sends for bytes `start`–`end`, collected. */
async function readRange(file: StorageFile, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await file.writeTo(sink, start, end);
  return Buffer.concat(chunks);
}

async function read(storage: LayeredTarStorage, path: string): Promise<string | undefined> {
  const file = await storage.open(path);
  if (!file) return undefined;
  try {
    return (await readRange(file, 0, file.size - 1)).toString();
  } finally {
    await file.close();
  }
}

describe('LayeredTarStorage', () => {
  it('applies later layers, whiteouts, opaque dirs and type changes; ignores what is outside the folder', async () => {
    const lower = await layer([
      { name: 'registry/', type: 'directory' },
      { name: 'registry/a', content: 'A1' },
      { name: 'registry/b/x', content: 'X' },
      { name: 'registry/c/y', content: 'Y' },
      { name: 'registry/d', content: 'D' },
      { name: 'registry/g', content: 'G-lower' },
      { name: 'other/file', content: 'O' },
    ]);
    const upper = await layer([
      { name: 'registry/.wh.a', content: '' },
      { name: 'registry/b/.wh..wh..opq', content: '' },
      { name: 'registry/b/z', content: 'Z' },
      { name: 'registry/c', content: 'C' },
      { name: 'registry/d/n', content: 'N' },
      { name: 'registry/e', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'registry/f', type: 'link', linkname: 'registry/b/z' },
      { name: 'registry/g', content: 'G-upper' },
    ]);
    const storage = await LayeredTarStorage.open(
      'test',
      [
        { label: 'lower', index: lower },
        { label: 'upper', index: upper },
      ],
      'registry',
    );
    if (!storage) throw new Error('no storage');
    try {
      const names = (await storage.list(''))?.map((entry) => `${entry.name}:${entry.type}`).sort();
      expect(names).toEqual(['b:directory', 'c:file', 'd:directory', 'e:other', 'f:file', 'g:file']);
      expect((await storage.list('b'))?.map((entry) => entry.name)).toEqual(['z']);
      expect(await read(storage, 'a')).toBeUndefined();
      expect(await read(storage, 'b/x')).toBeUndefined();
      expect(await read(storage, 'b/z')).toBe('Z');
      expect(await read(storage, 'c')).toBe('C');
      expect(await read(storage, 'c/y')).toBeUndefined();
      expect(await read(storage, 'd/n')).toBe('N');
      expect(await read(storage, 'e')).toBeUndefined();
      expect(await read(storage, 'f')).toBe('Z');
      expect(await read(storage, 'g')).toBe('G-upper');
      expect(await storage.list('c')).toBeUndefined();
      expect(await storage.open('b')).toBeUndefined();
      await expect(storage.open('b/../../other/file')).rejects.toThrow(/not a plain relative path/);
      await expect(storage.list('/etc')).rejects.toThrow(/not a plain relative path/);
      const ranged = await storage.open('g');
      expect((await readRange(ranged!, 2, 4)).toString()).toBe('upp');
      await ranged!.close();
    } finally {
      await storage.close();
    }
  });

  it('a whiteout of the folder itself, or an opaque root, removes it', async () => {
    const lower = await layer([{ name: 'registry/a', content: 'A' }]);
    for (const marker of ['.wh.registry', '.wh..wh..opq']) {
      const upper = await layer([{ name: marker, content: '' }]);
      const layers = [
        { label: 'lower', index: lower },
        { label: 'upper', index: upper },
      ];
      expect(await LayeredTarStorage.open('test', layers, 'registry')).toBeUndefined();
    }
    const none = await layer([{ name: 'etc/a', content: 'A' }]);
    expect(
      await LayeredTarStorage.open('test', [{ label: 'only', index: none }], 'registry'),
    ).toBeUndefined();
  });
});
