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

/** A URL with one more query parameter (Location often has `_state` already). */
export function withQuery(url: URL, name: string, value: string): URL {
  const out = new URL(url);
  out.searchParams.append(name, value);
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
  const path = mount
    ? `${paths.uploads(ctx.name)}?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`
    : paths.uploads(ctx.name);
  const request = (withMount: boolean) =>
    ctx.session.request({
      method: 'POST',
      path: withMount ? path : paths.uploads(ctx.name),
      headers: { 'content-length': '0' },
      lane: 'small',
      // Mounting needs pull on the source too; asking for both at once keeps it to one token. That token is
      // asked for with the destination's login even when auth.json gives the source another one (ctx.session
      // speaks for the destination), as containers/image does (one client, the destination's credentials, with
      // the source as an extra scope): one request carries one Authorization. When that login cannot read the
      // source, the registry does not mount and opens an upload instead (or refuses: handled below).
      scopes: withMount && mount ? [...ctx.scopes, `repository:${mount.from}:pull`] : ctx.scopes,
      expect: withMount ? [201, 202, 401, 403, 404] : [202],
      context: { what: `starting an upload to ${label(ctx)}`, notFound: 'NAME_UNKNOWN' },
      signal: options.signal,
    });
  let response = await request(mount !== undefined);
  if (response.status === 201) {
    await discard(response.body);
    return { mounted: true };
  }
  if (response.status !== 202) {
    await discard(response.body);
    response = await request(false);
  }
  await discard(response.body);
  const minChunk = Number(header(response.headers, 'oci-chunk-min-length'));
  return {
    mounted: false,
    session: {
      location: uploadLocation(ctx, response),
      minChunk: Number.isSafeInteger(minChunk) && minChunk > 0 ? minChunk : undefined,
    },
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
