import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { KimgError } from '../../errors';
import { redactUrl } from '../../registry/http/redact';
import type { UrlClient } from '../../registry/http/url-client';
import type { BuildCache } from '../cache';
import { downloadUrl } from './url-download';

/** A URL's content as far as the build knows it: its digest, and the downloaded file when there is one. */
export interface UrlContent {
  digest: string;
  file?: string;
  size?: number;
}

export interface UrlSourcesOptions {
  cache: BuildCache;
  /** Made on first use: most builds never ADD a URL, and undici is a large part of start-up. */
  client: () => Promise<UrlClient>;
  scratch: (name: string) => Promise<string>;
  /** `--max-download-size`: default MAX_DOWNLOAD_BYTES. */
  maxBytes?: number;
  /** `--no-cache`: no conditional requests, every URL is downloaded again. */
  noCache: boolean;
  signal?: AbortSignal;
}

/**
 * ADD `http(s)://` sources of one build (reference: "ADD", "Adding files from a URL"). What a step's cache key
 * needs is the content digest: the `--checksum` when given (no request at all), else a conditional GET with the
 * ETag / Last-Modified stored by the last build that downloaded the URL — a 304 gives the stored digest, as
 * BuildKit's HTTP source does; a server without validators is downloaded and keyed by content. The file is
 * downloaded once per build; a later miss on a 304 downloads it then and checks it still has that digest.
 */
export class UrlSources {
  private readonly known = new Map<string, Promise<UrlContent>>();

  constructor(private readonly options: UrlSourcesOptions) {}

  content(url: string, checksum: string | undefined): Promise<UrlContent> {
    if (checksum !== undefined) return Promise.resolve({ digest: checksum });
    let pending = this.known.get(url);
    if (!pending) {
      pending = this.probe(url);
      this.known.set(url, pending);
    }
    return pending;
  }

  /** The downloaded file of `url`, which must have `expected` as its digest. */
  async file(url: string, expected: string): Promise<{ file: string; size: number }> {
    const known = await this.known.get(url);
    if (known?.file !== undefined && known.digest === expected)
      return { file: known.file, size: known.size ?? 0 };
    const got = await this.download(url);
    this.known.set(url, Promise.resolve(got));
    if (got.digest !== expected) {
      throw new KimgError(
        'DIGEST_MISMATCH',
        `ADD ${redactUrl(url)}: the download has digest ${got.digest}, expected ${expected}`,
        'fix --checksum, or check that the URL still serves the file you expect',
      );
    }
    return { file: got.file ?? '', size: got.size ?? 0 };
  }

  private async probe(url: string): Promise<UrlContent> {
    const key = validatorKey(url);
    const record = this.options.noCache ? undefined : (await this.options.cache.get(key))?.download;
    const file = await this.target();
    const result = await downloadUrl(await this.options.client(), url, file, {
      ...(record && { validators: record }),
      ...(this.options.maxBytes !== undefined && { limit: this.options.maxBytes }),
      ...(this.options.signal && { signal: this.options.signal }),
    });
    if (result.status === 'not-modified' && record) return { digest: record.digest };
    if (result.status !== 'downloaded') return this.download(url);
    if (result.validators.etag || result.validators.lastModified) {
      this.options.cache.put(key, { download: { digest: result.digest, ...result.validators } });
    }
    return { digest: result.digest, file, size: result.size };
  }

  private async download(url: string): Promise<UrlContent> {
    const file = await this.target();
    const result = await downloadUrl(await this.options.client(), url, file, {
      ...(this.options.maxBytes !== undefined && { limit: this.options.maxBytes }),
      ...(this.options.signal && { signal: this.options.signal }),
    });
    if (result.status !== 'downloaded') throw new Error('unconditional GET answered 304');
    return { digest: result.digest, file, size: result.size };
  }

  private async target(): Promise<string> {
    return join(await this.options.scratch('url'), 'download');
  }
}

/** The cache entry holding a URL's validators and digest: keyed by the URL alone. */
function validatorKey(url: string): string {
  return `sha256:${createHash('sha256').update(`add-url\n${url}`).digest('hex')}`;
}
