import type { Readable } from 'node:stream';
import type { BodyOpener } from '../http/body';

/**
 * A blob source opened ahead of its request: the source's GET runs while the upload session is being opened
 * (POST), two independent round trips that need not wait for each other (issue 12 "Latency"; the destination
 * PUT can only start once both answered). The stream is not read until a request takes it: its bytes wait in
 * the socket buffers. The first `open` takes it; later ones (a retry, a redirect hop) open the source again, as
 * does a first one whose early stream already failed. `drop` destroys the stream when no request took it (the
 * POST failed, or the registry mounted the blob instead), so no source connection is left half-read.
 */
export interface EarlyBody {
  open: BodyOpener;
  drop(): void;
}

export function openEarly(open: BodyOpener): EarlyBody {
  let early: Promise<Readable> | undefined = open().then((stream) => {
    // Until a request takes it (and listens), a failure of the stream must not crash the process.
    stream.on('error', () => undefined);
    return stream;
  });
  // Reported by the request that takes it; a dropped one fails no one.
  early.catch(() => undefined);
  return {
    open: async () => {
      const taken = early;
      early = undefined;
      if (!taken) return open();
      const stream = await taken;
      return stream.destroyed ? open() : stream;
    },
    drop: () => {
      const left = early;
      early = undefined;
      left?.then((stream) => stream.destroy()).catch(() => undefined);
    },
  };
}
