import { Readable } from 'node:stream';
import { extract as createExtract, pack as createPack, type Header } from 'tar-stream';
import { KimgError } from '../../errors';

/**
 * pax records kept: extended attributes (moby pkg/archive copies security.capability into
 * `SCHILY.xattr.security.capability`), which change what a file can do. Times, names and ids are dropped:
 * names and link targets are written again by the packer, times are the build's, owners are in the header.
 */
const KEPT_PAX = /^(SCHILY|LIBARCHIVE)\.xattr\./;

/**
 * The layer a RUN made, made reproducible while it streams (issue 5, layers): the same entries in the same
 * order, whiteouts (`.wh.*`) untouched, modes and uid/gid kept (a file a RUN created as a user keeps its owner),
 * user and group names cleared, every mtime set to `mtime`, and no atime/ctime or other pax time records.
 * A malformed input tar fails the returned stream.
 */
export function normalizeLayer(input: Readable, mtime: Date): Readable {
  const extract = createExtract();
  const pack = createPack();
  const output = Readable.from(pack);
  output.once('close', () => {
    // The reader went away (sink failure): stop reading the daemon's export.
    input.destroy();
    extract.destroy();
  });
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);
  void (async () => {
    for await (const entry of extract) {
      let finished: (err?: Error | null) => void = () => undefined;
      const written = new Promise<void>((resolve, reject) => {
        finished = (err) => (err ? reject(err) : resolve());
      });
      const writer = pack.entry(normalizeHeader(entry.header, mtime), (err) => finished(err));
      for await (const chunk of entry) {
        if (!writer.write(chunk as Buffer))
          await new Promise<void>((resolve) => {
            // A destroyed pack never drains again: 'close' ends the wait too (and the next write fails).
            writer.once('drain', () => resolve());
            writer.once('close', () => resolve());
          });
      }
      writer.end(undefined);
      await written;
    }
    pack.finalize();
  })().catch((err: Error) => {
    pack.destroy(
      err instanceof KimgError
        ? err
        : new KimgError('ARCHIVE_INVALID', `the layer exported by the daemon cannot be read: ${err.message}`),
    );
  });
  return output;
}

type HeaderArgument = Partial<Header> & { name: string };

export function normalizeHeader(header: Header, mtime: Date): HeaderArgument {
  const records = (header.pax ?? {}) as Record<string, string>;
  const pax = Object.fromEntries(Object.entries(records).filter(([key]) => KEPT_PAX.test(key)));
  return {
    name: header.name,
    type: header.type,
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    uname: '',
    gname: '',
    size: header.type === 'file' || header.type === 'contiguous-file' ? header.size : 0,
    mtime,
    ...(header.linkname ? { linkname: header.linkname } : {}),
    ...(header.devmajor ? { devmajor: header.devmajor } : {}),
    ...(header.devminor ? { devminor: header.devminor } : {}),
    ...(Object.keys(pax).length > 0 && { pax }),
  };
}
