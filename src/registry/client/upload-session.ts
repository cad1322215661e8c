import { isDigest } from '../../digest';
import { discard } from '../http/body';
import { isDowngrade } from '../http/origin';
import { header, type HttpResponse } from '../http/transport';
import { label, paths, type RepositoryContext } from './context';
import { unexpected } from './session';

/**
 * An upload session (spec "end-4a/4b"): the URL the registry told us to send the bytes to. `Location` may be
 * relative, may carry a signed `_state` query, and may be on another origin — in which case session.request
 * sends no credentials there.
 */
export interface UploadSession {
  location: URL;
  /** `OCI-Chunk-Min-Length` (spec 1.1): the smallest PATCH the registry accepts, except the last. */
  minChunk?: number;
}

export function uploadLocation(ctx: RepositoryContext, response: HttpResponse): URL {
  const value = header(response.headers, 'location');
  if (!value) throw unexpected(`uploading to ${label(ctx)}`, `${response.status} without a Location`);
  const location = new URL(value, response.url);
  if (isDowngrade(response.url, location)) {
    throw unexpected(`uploading to ${label(ctx)}`, 'the upload Location downgrades https to http');
  }
  location.username = '';
  location.password = '';
  return location;
}

/**
 * A URL with one more query parameter (Location often has `_state` already), appended to the query as the
 * registry wrote it (URLSearchParams would parse and re-encode all of it, for every upload).
 */
export function withQuery(url: URL, name: string, value: string): URL {
  const out = new URL(url);
  out.search = `${url.search.length > 1 ? `${url.search}&` : '?'}${name}=${encodeURIComponent(value)}`;
  return out;
}

export type StartResult = { mounted: true } | { mounted: false; session: UploadSession };

/**
 * `POST /v2/<name>/blobs/uploads/`, or with `?mount=<digest>&from=<repo>` (spec "end-11"): 201 means the
 * registry linked the blob from `from` (done, one request); 202 means it did not and opened an upload instead,
 * which we use rather than POSTing again. A mount the registry refuses outright (401/403/404 for the source
 * repository) falls back to a plain upload.
 */
export async function startUpload(
  ctx: RepositoryContext,
  options: { mount?: { digest: string; from: string }; signal?: AbortSignal },
): Promise<StartResult> {
  const mount = options.mount && isDigest(options.mount.digest) ? options.mount : undefined;
  let response = await postUpload(ctx, mount, [401, 403, 404], options.signal);
  if (response.status === 201) {
    await discard(response.body);
    ctx.session.noteMount('linked');
    return { mounted: true };
  }
  if (response.status !== 202) {
    await discard(response.body);
    response = await postUpload(ctx, undefined, [], options.signal);
  }
  return { mounted: false, session: await openedSession(ctx, response) };
}

/**
 * The blob "mounted" from the repository itself (upload.ts "a mount as the check"): distribution's `mount` stats
 * the blob in `from` and links it (201: it is there) or opens an upload (202), so one POST answers what a HEAD
 * would and opens the session a new blob needs. undefined: the registry refused (any 4xx), which is remembered
 * for the run (`noteMount`): the caller asks with a HEAD.
 */
export async function checkByMount(
  ctx: RepositoryContext,
  digest: string,
  signal?: AbortSignal,
): Promise<'present' | UploadSession | undefined> {
  const response = await postUpload(ctx, { digest, from: ctx.name }, [400, 401, 403, 404, 405], signal);
  if (response.status === 202) return openedSession(ctx, response);
  await discard(response.body);
  ctx.session.noteMount(response.status === 201 ? 'linked' : 'refused-into-own');
  return response.status === 201 ? 'present' : undefined;
}

/** The upload POST, with a mount (expecting 201, 202 or one of `refusals`) or without (202). */
function postUpload(
  ctx: RepositoryContext,
  mount: { digest: string; from: string } | undefined,
  refusals: number[],
  signal: AbortSignal | undefined,
): Promise<HttpResponse> {
  const uploads = paths.uploads(ctx.name);
  const fromOther = mount !== undefined && mount.from !== ctx.name;
  return ctx.session.request({
    method: 'POST',
    path: mount
      ? `${uploads}?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`
      : uploads,
    headers: { 'content-length': '0' },
    lane: 'small',
    // Mounting needs pull on the source too; asking for both at once keeps it to one token. That token is
    // asked for with the destination's login even when auth.json gives the source another one (ctx.session
    // speaks for the destination), as containers/image does (one client, the destination's credentials, with
    // the source as an extra scope): one request carries one Authorization. When that login cannot read the
    // source, the registry does not mount and opens an upload instead (or refuses: handled by the callers).
    scopes: fromOther ? [...ctx.scopes, `repository:${mount.from}:pull`] : ctx.scopes,
    expect: mount ? [201, 202, ...refusals] : [202],
    context: { what: `starting an upload to ${label(ctx)}`, notFound: 'NAME_UNKNOWN' },
    signal,
  });
}

async function openedSession(ctx: RepositoryContext, response: HttpResponse): Promise<UploadSession> {
  await discard(response.body);
  const minChunk = Number(header(response.headers, 'oci-chunk-min-length'));
  return {
    location: uploadLocation(ctx, response),
    minChunk: Number.isSafeInteger(minChunk) && minChunk > 0 ? minChunk : undefined,
  };
}

/** `DELETE <location>` (spec "end-12"): best effort, with its own short timeout, since the caller already failed. */
export async function cancelUpload(ctx: RepositoryContext, session: UploadSession): Promise<void> {
  try {
    const response = await ctx.session.request({
      method: 'DELETE',
      path: session.location,
      lane: 'small',
      scopes: ctx.scopes,
      expect: [204, 202, 200, 404],
      context: { what: `cancelling an upload to ${label(ctx)}` },
      signal: AbortSignal.timeout(10_000),
      retry: false,
    });
    await discard(response.body);
  } catch {
    // The registry garbage-collects abandoned uploads; nothing more to do.
  }
}
