import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isKimgError, KimgError } from '../../errors';
import { networkError } from '../../registry/http/network-errors';
import { redactUrl } from '../../registry/http/redact';
import type { UrlClient } from '../../registry/http/url-client';
import { formatByteSize, parseByteSize } from '../../unpack';

/**
 * ADD of a URL larger than this is refused (a misconfigured or hostile server must not fill the disk): 8 GiB,
 * more than the release tarballs and binaries Kubefiles fetch (a few hundred MiB) by an order of magnitude.
 * `--max-download-size` or KIMG_MAX_DOWNLOAD_SIZE changes it.
 */
export const MAX_DOWNLOAD_BYTES = 8 * 1024 ** 3;

export const MAX_DOWNLOAD_SIZE_ENV = 'KIMG_MAX_DOWNLOAD_SIZE';

/** KIMG_MAX_DOWNLOAD_SIZE (units allowed: `512MiB`), else undefined (the default). */
export function maxDownloadSizeFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[MAX_DOWNLOAD_SIZE_ENV];
  return value !== undefined && value !== '' ? parseByteSize(value, MAX_DOWNLOAD_SIZE_ENV) : undefined;
}

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
  /** What the download is, in errors (default `ADD <url>`); e.g. `APP web https://…`. */
  what?: string;
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
  const shown = options.what ?? `ADD ${redactUrl(url)}`;
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
      `${shown}: the server answered ${response.status}${response.status === 404 ? ' (not found)' : ''}`,
      options.what === undefined
        ? 'check the URL; ADD downloads it on every build that is not cached'
        : 'check the URL (and the version it names)',
    );
  }
  const announced = Number(header(response.headers, 'content-length') ?? NaN);
  if (announced > limit) {
    await client.discard(response);
    throw downloadTooLarge(shown, limit, announced);
  }
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(downloadTooLarge(shown, limit));
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
    // A body cut short (fewer bytes than announced, a reset) is the server's failure, not a bug of ours.
    throw isKimgError(err) || (err as { syscall?: string }).syscall === 'open'
      ? err
      : networkError(err, 'GET', new URL(url));
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

/** SIZE_LIMIT for a download: `what` names it (`ADD <url>`, `APP web oci://…`), the hint the cap's flag. */
export function downloadTooLarge(what: string, limit: number, announced?: number): KimgError {
  const size = formatByteSize(limit);
  const shown = size.endsWith(' bytes') ? size : `${size} (${limit} bytes)`;
  return new KimgError(
    'SIZE_LIMIT',
    `${what}: ${announced !== undefined ? `the server announces ${announced} bytes, over` : 'the body goes past'} the download size cap of ${shown}`,
    `if the file is genuine, raise the cap with --max-download-size or ${MAX_DOWNLOAD_SIZE_ENV}, or download it into the build context and COPY it`,
  );
}
