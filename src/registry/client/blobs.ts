import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import type { Descriptor } from '../../manifest/descriptor';
import { discard } from '../http/body';
import { redactUrl } from '../http/redact';
import { DEFAULT_TIMEOUTS, formatDuration, timeoutHint } from '../http/timeouts';
import { header, type HttpResponse } from '../http/transport';
import { label, paths, scopesWith, type RepositoryContext } from './context';
import { ResumableBlobBody, type Reopened } from './resumable-body';
import { unexpected } from './session';

export interface BlobInfo {
  digest: string;
  size: number;
}

/** `HEAD /v2/<name>/blobs/<digest>` (spec "end-2"): present → its size; absent → undefined. One request. */
export async function headBlob(
  ctx: RepositoryContext,
  digest: string,
  signal?: AbortSignal,
): Promise<BlobInfo | undefined> {
  const response = await ctx.session.request({
    method: 'HEAD',
    path: paths.blob(ctx.name, digest),
    lane: 'small',
    scopes: ctx.scopes,
    expect: [200, 404],
    context: { what: `checking blob ${digest} in ${label(ctx)}`, notFound: 'BLOB_UNKNOWN' },
    signal,
  });
  await discard(response.body);
  if (response.status === 404) return undefined;
  checkDigestHeader(response, digest, `blob ${digest} in ${label(ctx)}`);
  const size = Number(header(response.headers, 'content-length'));
  if (!Number.isSafeInteger(size) || size < 0)
    throw unexpected(`HEAD blob ${digest} in ${label(ctx)}`, 'no Content-Length');
  return { digest, size };
}

/** A registry that names another digest than the one we asked for is lying or broken: refuse. */
export function checkDigestHeader(response: HttpResponse, expected: string, what: string): void {
  const said = header(response.headers, 'docker-content-digest');
  if (said !== undefined && said !== expected && said.split(':')[0] === expected.split(':')[0]) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `${what}: the registry answered with digest ${said}`,
      'the registry returned other content than asked; do not trust it',
    );
  }
}

function getBlob(
  ctx: RepositoryContext,
  digest: string,
  range: string | undefined,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  return ctx.session.request({
    method: 'GET',
    path: paths.blob(ctx.name, digest),
    headers: range ? { range } : undefined,
    lane: 'blob',
    scopes: ctx.scopes,
    expect: range ? [200, 206] : [200],
    context: { what: `fetching blob ${digest} from ${label(ctx)}`, notFound: 'BLOB_UNKNOWN' },
    signal,
  });
}

/** RFC 9110 §14.4: `Content-Range: bytes first-last/complete`; we need `first` to equal what we asked. */
export function contentRangeStart(value: string | undefined): number | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * A blob body slower than this per idle timeout (17 bytes/s at the 60 s default) has stalled: no live link is
 * that slow, and a peer trickling bytes would otherwise hold a download for good.
 */
export const LOW_SPEED_BYTES = 1024;

/**
 * `GET /v2/<name>/blobs/<digest>` (spec "end-2"), streamed and verified: the stream fails on a size or digest
 * mismatch, and resumes with `Range` after a dropped connection, the hash continuing across the resume.
 */
export async function fetchBlob(
  ctx: RepositoryContext,
  desc: Descriptor,
  signal?: AbortSignal,
): Promise<Readable> {
  const what = `blob ${desc.digest} from ${label(ctx)}`;
  const first = await getBlob(ctx, desc.digest, undefined, signal);
  const reopen = async (offset: number): Promise<Reopened> => {
    ctx.session.noteRetry();
    const response = await getBlob(ctx, desc.digest, `bytes=${offset}-`, signal);
    if (response.status === 200) return { body: response.body, skip: offset }; // Range ignored: skip what we have
    const start = contentRangeStart(header(response.headers, 'content-range'));
    if (start !== offset) {
      await discard(response.body);
      throw unexpected(
        `resuming ${what} at byte ${offset}`,
        `206 with Content-Range ${header(response.headers, 'content-range') ?? '(none)'}`,
      );
    }
    return { body: response.body, skip: 0 };
  };
  const windowMs = (ctx.timeouts ?? DEFAULT_TIMEOUTS).idleMs;
  return new ResumableBlobBody(
    first.body,
    { digest: desc.digest, size: desc.size, label: what },
    {
      reopen,
      maxStalls: ctx.retry.maxAttempts,
      describe: first.describeError,
      lowSpeed: {
        bytes: LOW_SPEED_BYTES,
        windowMs,
        error: () =>
          new KimgError(
            'TIMEOUT',
            `GET ${redactUrl(first.url)}: less than ${LOW_SPEED_BYTES} bytes within ${formatDuration(windowMs)}`,
            timeoutHint('idleMs'),
          ),
      },
      ...(signal && { signal }),
    },
  );
}

/**
 * Bytes `start`..`end` (inclusive) of a blob, for readers of a part of a layer (e.g. a tar index). These bytes
 * cannot be checked against the blob's digest on their own: callers verify what they read by other means.
 */
export async function fetchBlobRange(
  ctx: RepositoryContext,
  digest: string,
  start: number,
  end: number | undefined,
  signal?: AbortSignal,
): Promise<Readable> {
  const response = await getBlob(ctx, digest, `bytes=${start}-${end ?? ''}`, signal);
  if (response.status !== 206 || contentRangeStart(header(response.headers, 'content-range')) !== start) {
    await discard(response.body);
    throw new KimgError(
      'UNSUPPORTED',
      `${label(ctx)} does not serve byte ranges of blob ${digest}`,
      'fetch the whole blob instead',
    );
  }
  return response.body;
}

/** `DELETE /v2/<name>/blobs/<digest>` (spec "end-10"); distribution needs `delete: enabled: true`. */
export async function deleteBlob(
  ctx: RepositoryContext,
  digest: string,
  signal?: AbortSignal,
): Promise<void> {
  const response = await ctx.session.request({
    method: 'DELETE',
    path: paths.blob(ctx.name, digest),
    lane: 'small',
    scopes: scopesWith(ctx, 'delete'),
    expect: [202],
    context: { what: `deleting blob ${digest} from ${label(ctx)}`, notFound: 'BLOB_UNKNOWN' },
    signal,
  });
  await discard(response.body);
}
