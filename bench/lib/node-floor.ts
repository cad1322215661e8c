// The "node floor" of the copy benchmark: the least a verifying Node client must do to copy one image between
// two registries, to measure kimg against (not a tool, a measuring stick):
//
//   node dist-bench/bench/lib/node-floor.js http://SRC http://DST REPO TAG
//
// GET the manifest, then for every blob (config and layers, up to 4 at a time): POST an upload session at the
// destination, GET the blob from the source and stream it straight into a monolithic PUT, hashing it with
// sha256 on the way and failing the PUT when the digest does not match; then PUT the manifest. undici only
// (Pool.dispatch, new-style handler): no CLI parsing, no progress, no store, no retries, no auth, no HEAD checks.
import { createHash } from 'crypto';
import { setFlagsFromString } from 'v8';
import type { Dispatcher, Pool as UndiciPool } from 'undici';

// Start-up as lean as kimg's (registry/http/undici-lite.ts): undici's Pool by path, not its index (fetch,
// WebSocket, mocks: ~35 ms), and llhttp compiled by Liftoff only (no background TurboFan job delaying exit).
setFlagsFromString('--liftoff-only');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deep path, see above
const Pool = require('undici/lib/dispatcher/pool') as typeof UndiciPool;
type Pool = UndiciPool;

const PARALLEL = 4;
/** Chunks the GET may queue before its socket is paused (backpressure from the PUT side). */
const HIGH_WATER = 16;
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request through `pool.dispatch`, its response body collected (small requests: manifests, POST, PUT). */
function send(pool: Pool, opts: Dispatcher.DispatchOptions): Promise<Response> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Response['headers'] = {};
    const chunks: Buffer[] = [];
    pool.dispatch(opts, {
      onRequestStart() {}, // its presence tells undici this is a new-style handler
      onResponseStart(_c, statusCode, h) {
        status = statusCode;
        headers = h;
      },
      onResponseData(_c, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        resolve({ status, headers, body: Buffer.concat(chunks) });
      },
      onResponseError(_c, err) {
        reject(err);
      },
    });
  });
}

/**
 * GET `path` as an async iterable of chunks. The handler queues what the socket delivers and pauses it when
 * HIGH_WATER chunks wait; the consumer (the PUT's body) resumes it as it drains the queue.
 */
async function* download(pool: Pool, path: string): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | null = null;
  let controller: Dispatcher.DispatchController | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  pool.dispatch(
    { path, method: 'GET' },
    {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(c, status) {
        if (status !== 200) c.abort(new Error(`GET ${path}: HTTP ${status}`));
      },
      onResponseData(c, chunk) {
        queue.push(chunk);
        if (queue.length >= HIGH_WATER) c.pause();
        notify();
      },
      onResponseEnd() {
        ended = true;
        notify();
      },
      onResponseError(_c, err) {
        failure = err;
        notify();
      },
    },
  );
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        // The typed controller, read through a local: TypeScript cannot see the handler's assignment.
        const c = controller as Dispatcher.DispatchController | null;
        if (c?.paused && queue.length < HIGH_WATER / 2) c.resume();
        yield chunk;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    // The PUT gave up early (an error on its side): stop the download too.
    const c = controller as Dispatcher.DispatchController | null;
    if (!ended && !failure) c?.abort(new Error('download abandoned'));
  }
}

/** The download, hashed as it flows; throws (so the PUT fails) when the bytes do not have `digest`. */
async function* verified(chunks: AsyncIterable<Buffer>, digest: string): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest) throw new Error(`blob ${digest}: got ${got}`);
}

const header = (r: Response, name: string) => [r.headers[name]].flat()[0];

/** POST an upload session, then PUT the blob's verified bytes into it (monolithic, chunked encoding). */
async function copyBlob(src: Pool, dst: Pool, dstOrigin: string, repo: string, digest: string) {
  const post = await send(dst, { path: `/v2/${repo}/blobs/uploads/`, method: 'POST' });
  const location = header(post, 'location');
  if (post.status !== 202 || !location) throw new Error(`POST upload: HTTP ${post.status}`);
  const url = new URL(location, dstOrigin); // relative or absolute
  url.searchParams.set('digest', digest);
  const body = verified(download(src, `/v2/${repo}/blobs/${digest}`), digest);
  const put = await send(dst, {
    path: url.pathname + url.search,
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    // undici streams an async iterable body (its types list only Readable and buffers).
    body: body as unknown as Dispatcher.DispatchOptions['body'],
  });
  if (put.status !== 201) throw new Error(`PUT blob ${digest}: HTTP ${put.status} ${put.body.toString()}`);
}

async function main(argv: string[]): Promise<void> {
  const [srcOrigin, dstOrigin, repo, tag] = argv;
  if (!srcOrigin || !dstOrigin || !repo || !tag)
    throw new Error('usage: node-floor.js SRC_URL DST_URL REPO TAG');
  const src = new Pool(srcOrigin);
  const dst = new Pool(dstOrigin);
  try {
    const m = await send(src, {
      path: `/v2/${repo}/manifests/${tag}`,
      method: 'GET',
      headers: { accept: MANIFEST_TYPES },
    });
    if (m.status !== 200) throw new Error(`GET manifest: HTTP ${m.status}`);
    const manifest = JSON.parse(m.body.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const blobs = [...new Set([manifest.config.digest, ...manifest.layers.map((l) => l.digest)])];

    // Up to PARALLEL blobs at a time: each worker takes the next blob until none is left.
    let next = 0;
    const worker = async () => {
      while (next < blobs.length) await copyBlob(src, dst, dstOrigin, repo, blobs[next++] as string);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, blobs.length) }, worker));

    const put = await send(dst, {
      path: `/v2/${repo}/manifests/${tag}`,
      method: 'PUT',
      headers: { 'content-type': header(m, 'content-type') ?? MANIFEST_TYPES.split(',')[0] },
      body: m.body,
    });
    if (put.status !== 201) throw new Error(`PUT manifest: HTTP ${put.status} ${put.body.toString()}`);
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`node-floor: ${err.message}`);
  process.exit(1);
});
