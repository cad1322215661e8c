import { KimgError } from '../../errors';
import { isVerified, VerifyingStream } from '../../digest';
import type { Descriptor } from '../../manifest/descriptor';
import { retryDelay } from '../http/backoff';
import { discard, type BodyOpener } from '../http/body';
import { isRegistryError } from '../errors';
import { sleep } from '../http/sleep';
import { headBlob } from './blobs';
import { uploadChunked } from './chunked-upload';
import { label, type RepositoryContext } from './context';
import { openEarly } from './early-body';
import { DEFAULT_CHUNK_SIZE } from './options';
import { cancelUpload, checkByMount, startUpload, withQuery, type UploadSession } from './upload-session';

export interface PushBlobOptions {
  /** Another repository on the same registry that has the blob: tried first with a cross-repository mount. */
  mountFrom?: string;
  /** Skip the HEAD (the caller knows the blob is absent): a new blob then costs 2 requests. */
  skipExistsCheck?: boolean;
  signal?: AbortSignal;
}

export interface PushBlobResult {
  /** How the blob got there: already present (1 request), mounted, or uploaded. */
  via: 'exists' | 'mounted' | 'uploaded';
}

/**
 * The source, re-opened for every attempt and checked as it flows: wrong bytes abort the request. A source
 * that is already verified for this digest (a registry or layout fetch) is sent as it is: hashing it twice
 * would only cost CPU.
 */
function verified(open: BodyOpener, desc: Descriptor, ctx: RepositoryContext): BodyOpener {
  return async () => {
    const source = await open();
    if (isVerified(source, desc)) return source;
    const verifier = new VerifyingStream({
      digest: desc.digest,
      size: desc.size,
      label: `blob ${desc.digest} pushed to ${label(ctx)}`,
    });
    source.on('error', (err) => verifier.destroy(err));
    return source.pipe(verifier);
  };
}

/** Monolithic upload (spec "end-6"): `PUT <location>?digest=` with the whole blob streamed as the body. */
async function putMonolithic(
  ctx: RepositoryContext,
  session: UploadSession,
  desc: Descriptor,
  open: BodyOpener,
  signal?: AbortSignal,
): Promise<void> {
  const response = await ctx.session.request({
    method: 'PUT',
    path: withQuery(session.location, 'digest', desc.digest),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
    body: open,
    lane: 'blob',
    scopes: ctx.scopes,
    expect: [201],
    context: { what: `uploading blob ${desc.digest} to ${label(ctx)}` },
    signal,
    // distribution appends a retried PUT's body to what the failed one left; a retry opens a new session.
    retry: false,
    completesUpload: true,
  });
  await discard(response.body);
}

function retryable(err: unknown): boolean {
  if (isRegistryError(err)) return [408, 429, 500, 502, 503, 504].includes(err.status);
  return err instanceof KimgError && err.code === 'NETWORK_ERROR';
}

/**
 * Pushes one blob with the fewest requests (DESIGN.md budget): HEAD (present → done), then POST (with mount
 * when asked) and one streamed PUT. Chunked PATCHes when configured for the registry or when it refuses the
 * monolithic body with 413. A failed upload is cancelled (DELETE) and retried with a new session and the source
 * re-opened.
 *
 * A mount as the check: on a host that has mounted a blob this run (`mountChecksBlobs`), a blob with no other
 * repository to mount from skips the HEAD and is "mounted" from its own repository: 201 = it is there (one
 * request, as the HEAD), 202 = the upload session, so a new blob costs POST + PUT instead of HEAD + POST + PUT
 * (issue 12: 20 images on shared layers, 44 HEADs fewer of 249 destination requests). Its bytes are fetched after
 * the POST answered, not beside it: the POST takes the HEAD's round trip, so the upload still waits on three.
 * Only where mounts are proven: a registry that does not mount answers 202 to every mount, and a blob it has would
 * be sent again (containers/image and go-containerregistry HEAD first and mount only from other repositories).
 */
export async function pushBlob(
  ctx: RepositoryContext,
  desc: Descriptor,
  open: BodyOpener,
  options: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const { signal } = options;
  let opened: UploadSession | undefined;
  if (!options.skipExistsCheck) {
    const checked =
      options.mountFrom === undefined && ctx.session.mountChecksBlobs
        ? await checkByMount(ctx, desc.digest, signal)
        : undefined;
    if (checked === 'present') return { via: 'exists' };
    if (checked !== undefined) opened = checked;
    else if (await headBlob(ctx, desc.digest, signal)) return { via: 'exists' };
  }
  let chunkSize = ctx.settings.chunkSize;
  let mount = options.mountFrom ? { digest: desc.digest, from: options.mountFrom } : undefined;
  for (let attempt = 0; ; attempt++) {
    // Fetched while the session opens, unless a mount (which needs no bytes) is likely to answer first, or the
    // session is open already (the check above: its bytes were not wanted before it answered).
    const early = mount || opened ? { open, drop: () => undefined } : openEarly(open);
    const body = { open: verified(early.open, desc, ctx), drop: early.drop };
    let session = opened;
    opened = undefined;
    if (!session) {
      let started: Awaited<ReturnType<typeof startUpload>>;
      try {
        started = await startUpload(ctx, { mount, signal });
      } catch (err) {
        body.drop();
        throw err;
      }
      if (started.mounted) return { via: 'mounted' };
      session = started.session;
    }
    mount = undefined;
    try {
      if (chunkSize === undefined) {
        await putMonolithic(ctx, session, desc, body.open, signal);
      } else {
        await uploadChunked(
          ctx,
          session,
          await body.open(),
          desc.digest,
          chunkSize ?? DEFAULT_CHUNK_SIZE,
          signal,
        );
      }
      return { via: 'uploaded' };
    } catch (err) {
      body.drop();
      await cancelUpload(ctx, session);
      if (isRegistryError(err, 413) && chunkSize === undefined) {
        // Payload Too Large: a proxy or registry caps bodies; send it in chunks instead (spec "end-5").
        chunkSize = session.minChunk ?? DEFAULT_CHUNK_SIZE;
        continue;
      }
      if (signal?.aborted || !retryable(err) || attempt + 1 >= ctx.retry.maxAttempts) throw err;
      const delay = retryDelay(ctx.retry, attempt, isRegistryError(err) ? err.retryAfter : undefined);
      if (delay === undefined) throw err;
      ctx.session.noteRetry();
      await sleep(delay, signal);
    }
  }
}
