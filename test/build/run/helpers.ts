import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';
import type { StoredLayer, LayerSink } from '../../../src/build/run';
import { emptyStage, type StageImage } from '../../../src/build/image/stage-image';
import { MediaType } from '../../../src/manifest/media-types';
import type { Target } from '../../../src/transport/types';

/** Debian's busybox-static (scripts/install-system-deps.sh): one static binary, so a base image needs no libs. */
export const BUSYBOX = '/bin/busybox';

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface TarMember {
  header: Header;
  content: Buffer;
}

/** A tar made with tar-stream from headers and contents, in the order given. */
export async function tarFrom(members: { header: Partial<Header> & { name: string }; content?: Buffer }[]) {
  const archive = pack();
  for (const { header, content } of members) archive.entry(header, content ?? Buffer.alloc(0));
  archive.finalize();
  return Buffer.concat(await Readable.from(archive).toArray());
}

/** Every member of a tar, in archive order, with its content. */
export async function tarMembers(tar: Buffer | Readable): Promise<TarMember[]> {
  const reader = extract();
  const input = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
  input.pipe(reader as unknown as NodeJS.WritableStream);
  const members: TarMember[] = [];
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    members.push({ header: entry.header, content: Buffer.concat(chunks) });
  }
  return members;
}

/**
 * A base stage made in the test: the static busybox as /bin/busybox, a symlink per applet (sh, echo, mkdir…),
 * and /tmp (1777), as one gzip layer pushed into `store` (staged in its transaction, which RUN reads).
 */
export async function busyboxStage(store: Target): Promise<StageImage> {
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const epoch = new Date(0);
  const dir = (name: string, mode = 0o755) => ({
    header: { name, type: 'directory' as const, mode, mtime: epoch },
  });
  const tar = await tarFrom([
    dir('bin/'),
    { header: { name: 'bin/busybox', mode: 0o755, mtime: epoch }, content: readFileSync(BUSYBOX) },
    ...applets
      .filter((name) => name !== 'busybox')
      .map((name) => ({
        header: { name: `bin/${name}`, type: 'symlink' as const, linkname: 'busybox', mtime: epoch },
      })),
    dir('etc/'),
    dir('tmp/', 0o1777),
  ]);
  const blob = gzipSync(tar);
  const descriptor = { mediaType: MediaType.OciLayerGzip, digest: sha256(blob), size: blob.length };
  await store.push(descriptor, Readable.from([blob]));
  const base = emptyStage({ os: 'linux', architecture: 'amd64' });
  return {
    ...base,
    runConfig: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
    layers: [descriptor],
    diffIds: [sha256(tar)],
    history: [{ created: epoch.toISOString(), created_by: 'busybox base (test)' }],
  };
}

/** A layer writer for tests: keeps the tar uncompressed (digest = diff ID), pushes it, remembers its bytes. */
export function recordingSink(store: Target): LayerSink & { tars: Buffer[] } {
  const tars: Buffer[] = [];
  const sink = async (tar: Readable): Promise<StoredLayer> => {
    const bytes = Buffer.concat(await tar.toArray());
    tars.push(bytes);
    const descriptor = { mediaType: MediaType.OciLayer, digest: sha256(bytes), size: bytes.length };
    await store.push(descriptor, Readable.from([bytes]));
    return { descriptor, diffId: descriptor.digest };
  };
  return Object.assign(sink, { tars });
}
