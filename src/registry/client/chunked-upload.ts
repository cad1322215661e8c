import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import { discard } from '../http/body';
import { header } from '../http/transport';
import { label, type RepositoryContext } from './context';
import { uploadLocation, withQuery, type UploadSession } from './upload-session';

/**
 * Chunked upload (spec "end-5", "end-13"): PATCH the session with `Content-Range: first-last`, each answer
 * giving the next Location; then PUT `?digest=` with no body. Chunks are at least `OCI-Chunk-Min-Length`.
 * One chunk is held in memory so a failed PATCH can be resumed: GET the session (spec "end-13") for the
 * registry's offset, and send the rest of the chunk from there. Every request asks the authenticator anew, so a
 * token that expires during a long upload is refreshed between chunks.
 */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const piece of source) {
    let buffer = piece as Buffer;
    while (held + buffer.length >= size) {
      const take = size - held;
      parts.push(buffer.subarray(0, take));
      yield Buffer.concat(parts, size);
      buffer = buffer.subarray(take);
      parts = [];
      held = 0;
    }
    if (buffer.length) {
      parts.push(buffer);
      held += buffer.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts, held);
}

/** The registry's offset from a `Range: 0-<last>` header (distribution writes `0-0` for an empty upload). */
export function uploadedBytes(range: string | undefined): number | undefined {
  const match = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? '');
  if (!match) return undefined;
  const last = Number(match[1]);
  return last === 0 ? 0 : last + 1;
}

async function uploadStatus(
  ctx: RepositoryContext,
  session: UploadSession,
  signal?: AbortSignal,
): Promise<{ offset: number; location: URL }> {
  const response = await ctx.session.request({
    method: 'GET',
    path: session.location,
    lane: 'small',
    scopes: ctx.scopes,
    expect: [204],
    context: { what: `checking an upload to ${label(ctx)}`, notFound: 'BLOB_UNKNOWN' },
    signal,
  });
  await discard(response.body);
  const offset = uploadedBytes(header(response.headers, 'range'));
  const location = header(response.headers, 'location') ? uploadLocation(ctx, response) : session.location;
  return { offset: offset ?? 0, location };
}

async function patch(
  ctx: RepositoryContext,
  session: UploadSession,
  chunk: Buffer,
  offset: number,
  signal?: AbortSignal,
): Promise<void> {
  const response = await ctx.session.request({
    method: 'PATCH',
    path: session.location,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(chunk.length),
      'content-range': `${offset}-${offset + chunk.length - 1}`,
    },
    body: chunk,
    lane: 'blob',
    scopes: ctx.scopes,
    expect: [202],
    context: { what: `uploading a chunk to ${label(ctx)}` },
    signal,
    // A half-received PATCH must not be repeated blindly: resume from the registry's offset instead.
    retry: false,
  });
  await discard(response.body);
  session.location = uploadLocation(ctx, response);
}

function retryable(err: unknown): boolean {
  if (!(err instanceof KimgError)) return false;
  if (err.code === 'NETWORK_ERROR') return true;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && [408, 429, 500, 502, 503, 504].includes(status);
}

export async function uploadChunked(
  ctx: RepositoryContext,
  session: UploadSession,
  source: Readable,
  digest: string,
  chunkSize: number,
  signal?: AbortSignal,
): Promise<void> {
  const size = Math.max(chunkSize, session.minChunk ?? 0);
  let offset = 0;
  for await (const chunk of chunks(source, size)) {
    let sent = 0;
    for (let failures = 0; sent < chunk.length;) {
      try {
        await patch(ctx, session, chunk.subarray(sent), offset + sent, signal);
        sent = chunk.length;
      } catch (err) {
        if (!retryable(err) || ++failures >= ctx.retry.maxAttempts) throw err;
        const status = await uploadStatus(ctx, session, signal);
        if (status.offset < offset || status.offset > offset + chunk.length) {
          throw new KimgError(
            'REGISTRY_ERROR',
            `uploading to ${label(ctx)}: the registry lost bytes before this chunk (it has ${status.offset}, we sent ${offset})`,
            undefined,
            { cause: err },
          );
        }
        session.location = status.location;
        sent = status.offset - offset;
      }
    }
    offset += chunk.length;
  }
  const response = await ctx.session.request({
    method: 'PUT',
    path: withQuery(session.location, 'digest', digest),
    headers: { 'content-length': '0' },
    lane: 'small',
    scopes: ctx.scopes,
    expect: [201],
    context: { what: `completing the upload of ${digest} to ${label(ctx)}` },
    signal,
    completesUpload: true,
  });
  await discard(response.body);
}
