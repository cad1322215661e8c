import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KimgError } from '../../errors';
import { redactUrl } from '../../registry/http/redact';
import type { UrlClient } from '../../registry/http/url-client';

/** ADD of a URL larger than this is refused (a misconfigured or hostile server must not fill the disk). */
export const MAX_DOWNLOAD_BYTES = 8 * 1024 ** 3;

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type DownloadResult =
  { status: 'not-modified' } | { status: 'downloaded'; digest: string; size: number; validators: Validators };

export interface DownloadOptions {
  /** Sent as If-None-Match / If-Modified-Since: a 304 means the content is the one they were stored with. */
  validators?: Validators;
  limit?: number;
  signal?: AbortSignal;
}

/**
 * GET `url` into `file` (created, mode 0600), hashing as it streams. Any final status but 200 (or 304 for a
 * conditional request) is an error naming the redacted URL; more than `limit` bytes — announced or sent — is
 * SIZE_LIMIT, and the partial file is removed.
 */
export async function downloadUrl(
  client: UrlClient,
  url: string,
  file: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const limit = options.limit ?? MAX_DOWNLOAD_BYTES;
  const headers: Record<string, string> = {};
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;
  const shown = redactUrl(url);
  const response = await client.get(new URL(url), {
    headers,
    ...(options.signal && { signal: options.signal }),
  });
  if (response.status === 304 && options.validators) {
    await client.discard(response);
    return { status: 'not-modified' };
  }
  if (response.status !== 200) {
    await client.discard(response);
    throw new KimgError(
      'INVALID_ARGUMENT',
      `ADD ${shown}: the server answered ${response.status}${response.status === 404 ? ' (not found)' : ''}`,
      'check the URL; ADD downloads it on every build that is not cached',
    );
  }
  const announced = Number(header(response.headers, 'content-length') ?? NaN);
  if (announced > limit) {
    await client.discard(response);
    throw tooLarge(shown, limit);
  }
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(tooLarge(shown, limit));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(response.body, counter, createWriteStream(file, { mode: 0o600, flags: 'wx' }), {
      ...(options.signal && { signal: options.signal }),
    });
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  const etag = header(response.headers, 'etag');
  const lastModified = header(response.headers, 'last-modified');
  return {
    status: 'downloaded',
    digest: `sha256:${hash.digest('hex')}`,
    size,
    validators: { ...(etag && { etag }), ...(lastModified && { lastModified }) },
  };
}

/** A response header (the first when repeated); a value import of the client would load undici eagerly. */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function tooLarge(url: string, limit: number): KimgError {
  return new KimgError(
    'SIZE_LIMIT',
    `ADD ${url}: the file is larger than the ${limit}-byte limit`,
    'download it into the build context and COPY it instead',
  );
}
