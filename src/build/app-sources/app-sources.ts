import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { KimgError } from '../../errors';
import { speaksPlainHttp } from '../../registry/http/network-errors';
import { redactUrl } from '../../registry/http/redact';
import type { UrlClient } from '../../registry/http/url-client';
import { registryScheme, resolveTlsConfig } from '../../registry/tls';
import type { OpenContext } from '../../transport/open';
import type { UnpackLimits } from '../../unpack';
import { downloadUrl, MAX_DOWNLOAD_BYTES } from '../execute/url-download';
import { APPS_DIR } from '../plan/plan-copy';
import { unpackChart } from './chart-archive';
import { chartArchiveUrl, chartVersions, indexedDigest, pickChart } from './chart-repository';
import { pullOciChart } from './oci-chart';
import { parseRemoteSource, type RemoteSource } from './remote-source';

/**
 * index.yaml is parsed whole: 32 MiB is twice the largest public index seen (Bitnami's, before they trimmed it),
 * and bounds the YAML parse to seconds. KIMG_MAX_CHART_INDEX_SIZE raises it.
 */
export const MAX_CHART_INDEX_BYTES = 32 * 1024 * 1024;
export const MAX_CHART_INDEX_SIZE_ENV = 'KIMG_MAX_CHART_INDEX_SIZE';

/** One remote source as the build fetched it: the report's and the `io.kimg.apps` label's pin. */
export interface PinnedSource {
  app: string;
  /** As written in the Kubefile (variables expanded). */
  source: string;
  /** sha256 of the bytes fetched (the file, or the chart's `.tgz`). */
  digest: string;
  size: number;
  /** Where it landed, relative to the app's folder: `charts/<chart>/` or a file name. */
  path: string;
  /** For charts: the name and version read from its Chart.yaml. */
  chart?: string;
  version?: string;
  /** `helm://`: the archive URL the index named (redacted). */
  url?: string;
  /** `oci://`: the chart manifest's digest. */
  manifest?: string;
}

/** The remote sources of one APP step, laid out as they land in `/application/apps/<app>/`. */
export interface FetchedApp {
  /** The folder holding `application/apps/<app>/…` (discovery reads it, so provenance is the image's path). */
  root: string;
  /** `root/application/apps/<app>`: what the step copies into the app's folder. */
  dir: string;
  /** Stands for the content in the step's cache key: the pins, as canonical text. */
  key: string;
  pins: PinnedSource[];
}

export interface AppSourcesOptions {
  /** Registry client, logins, `--tls-verify`, `--cert-dir`, insecure registries. */
  open: OpenContext;
  /** A new folder in the build's scratch dir (store/scratch.ts), never TMPDIR. */
  scratch: (name: string) => Promise<string>;
  /** `--max-download-size`: every file, chart archive and chart layer; default MAX_DOWNLOAD_BYTES. */
  maxDownloadSize?: number;
  /** KIMG_MAX_CHART_INDEX_SIZE; default MAX_CHART_INDEX_BYTES. */
  maxIndexSize?: number;
  /** Caps on unpacking a chart (chart-archive.ts CHART_UNPACK_LIMITS, or the user's). */
  chartLimits: Partial<UnpackLimits>;
  signal?: AbortSignal;
}

/**
 * The remote APP/CNI/CSI sources of one build (docs/airgap.md "Remote sources"), fetched once per build (the
 * same APP in several platforms is one fetch) into the build's scratch dir: `https://` files through
 * UrlClient (src/registry/http: redirects by hand, never https → http, TLS per host), `helm://` through the
 * repository's index.yaml, `oci://` through the registry client. Charts are unpacked into `charts/<chart>/`
 * of the app's folder; every source is pinned by the digest of the bytes fetched.
 */
export class AppSources {
  private readonly fetched = new Map<string, Promise<FetchedApp>>();
  private client: Promise<UrlClient> | undefined;

  constructor(private readonly options: AppSourcesOptions) {}

  fetch(app: string, sources: readonly string[]): Promise<FetchedApp> {
    const id = JSON.stringify([app, sources]);
    let pending = this.fetched.get(id);
    if (!pending) {
      pending = this.fetchApp(app, sources);
      this.fetched.set(id, pending);
    }
    return pending;
  }

  /** Every source fetched so far, by app then source as written. */
  async pins(): Promise<PinnedSource[]> {
    const all = (await Promise.all(this.fetched.values())).flatMap((app) => app.pins);
    const unique = new Map(all.map((pin) => [`${pin.app}\n${pin.source}`, pin]));
    return [...unique.values()].sort((a, b) =>
      a.app === b.app ? cmp(a.source, b.source) : cmp(a.app, b.app),
    );
  }

  /** For discovery: each source as written → the folder holding it and its path there. */
  async trees(): Promise<Map<string, { root: string; path: string }>> {
    const trees = new Map<string, { root: string; path: string }>();
    for (const app of await Promise.all(this.fetched.values())) {
      for (const pin of app.pins) {
        const path = posix.join(APPS_DIR.slice(1), pin.app, pin.path).replace(/\/$/, '');
        trees.set(pin.source, { root: app.root, path });
      }
    }
    return trees;
  }

  async close(): Promise<void> {
    await (await this.client?.catch(() => undefined))?.close();
  }

  private async fetchApp(app: string, sources: readonly string[]): Promise<FetchedApp> {
    const root = await this.options.scratch('app-sources');
    const dir = join(root, APPS_DIR, app);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const pins: PinnedSource[] = [];
    for (const written of sources) {
      const source = parseRemoteSource(written);
      pins.push({ app, ...(await this.fetchOne(source, dir, root)) });
    }
    const key = `sha256:${createHash('sha256').update(JSON.stringify(pins)).digest('hex')}`;
    return { root, dir, key, pins };
  }

  private async fetchOne(
    source: RemoteSource,
    dir: string,
    root: string,
  ): Promise<Omit<PinnedSource, 'app'>> {
    const what = source.kind === 'url' ? redactUrl(source.url) : source.written;
    const download = join(root, `download-${randomBytes(6).toString('hex')}`);
    try {
      if (source.kind === 'url') {
        const got = await this.download(source.url, download, what, this.downloadLimit());
        if (source.chart)
          return { source: source.written, ...got, ...(await this.unpack(download, dir, root, what)) };
        const name = fileName(source.url, what);
        await placeFile(download, join(dir, name), what);
        return { source: source.written, ...got, path: name };
      }
      if (source.kind === 'helm') {
        const { url, digest, version } = await this.fromRepository(source, download, what);
        const got = await this.download(url, download, what, this.downloadLimit());
        if (digest !== undefined && got.digest !== digest) {
          throw new KimgError(
            'DIGEST_MISMATCH',
            `${what}: ${redactUrl(url)} has digest ${got.digest}, but the repository's index.yaml says ${digest}`,
            'the archive or the index was changed or damaged; ask the repository owner, or pin another version',
          );
        }
        const chart = await this.unpack(download, dir, root, what);
        return {
          source: source.written,
          ...got,
          ...chart,
          version: chart.version || version,
          url: redactUrl(url),
        };
      }
      const pulled = await pullOciChart(source.reference, source.written, download, {
        open: this.options.open,
        limit: this.downloadLimit(),
        ...(this.options.signal && { signal: this.options.signal }),
      });
      const chart = await this.unpack(download, dir, root, what);
      return {
        source: source.written,
        digest: pulled.digest,
        size: pulled.size,
        ...chart,
        manifest: pulled.manifest,
      };
    } finally {
      await rm(download, { force: true });
    }
  }

  /** helm://: index.yaml read, the version chosen, the archive's URL and digest. */
  private async fromRepository(
    source: Extract<RemoteSource, { kind: 'helm' }>,
    file: string,
    what: string,
  ): Promise<{ url: URL; digest?: string; version: string }> {
    const repository = await this.repositoryUrl(source.host, source.path, file, what);
    const text = await readFile(file, 'utf8');
    await rm(file, { force: true });
    const entry = pickChart(chartVersions(text, source.chart, what), source.version, source.chart, what);
    const digest = indexedDigest(entry);
    return {
      url: chartArchiveUrl(entry, repository, what),
      version: entry.version,
      ...(digest && { digest }),
    };
  }

  /**
   * The repository's URL, its index.yaml downloaded to `file`. https, except where kimg allows registries plain
   * http (loopback, `--tls-verify=false`, insecure registries: src/registry/tls registryScheme): there https is
   * tried first and http used only when the server does not speak TLS, exactly as for a registry.
   */
  private async repositoryUrl(host: string, path: string, file: string, what: string): Promise<URL> {
    const flags = this.options.open.registryFlags ?? {};
    const scheme = registryScheme(host, {
      ...(flags.tlsVerify !== undefined && { tlsVerify: flags.tlsVerify }),
      ...(flags.insecureRegistries && { insecureRegistries: flags.insecureRegistries }),
    });
    const limit = this.options.maxIndexSize ?? MAX_CHART_INDEX_BYTES;
    const at = (protocol: string) => new URL(`${protocol}//${host}/${path ? `${path}/` : ''}`);
    const index = (base: URL) =>
      this.download(
        new URL('index.yaml', base),
        file,
        `${what} (index.yaml)`,
        limit,
        MAX_CHART_INDEX_SIZE_ENV,
      );
    try {
      await index(at('https:'));
      return at('https:');
    } catch (err) {
      if (scheme !== 'http-allowed' || !speaksPlainHttp(err)) throw err;
      await rm(file, { force: true });
      await index(at('http:'));
      return at('http:');
    }
  }

  private downloadLimit(): number {
    return this.options.maxDownloadSize ?? MAX_DOWNLOAD_BYTES;
  }

  private async download(
    url: URL,
    file: string,
    what: string,
    limit: number,
    limitEnv?: string,
  ): Promise<{ digest: string; size: number }> {
    try {
      const result = await downloadUrl(await this.urlClient(), url.href, file, {
        limit,
        what,
        ...(this.options.signal && { signal: this.options.signal }),
      });
      if (result.status !== 'downloaded') throw new Error('unconditional GET answered 304');
      await chmod(file, 0o644); // as sealer's download (0666 & umask): the file ships in the image
      return { digest: result.digest, size: result.size };
    } catch (err) {
      // The index has its own cap: its error names that variable rather than --max-download-size.
      if (limitEnv !== undefined && err instanceof KimgError && err.code === 'SIZE_LIMIT') {
        throw new KimgError(
          'SIZE_LIMIT',
          err.message,
          `if the index is genuine, raise the cap with ${limitEnv}`,
        );
      }
      // downloadUrl names the status in its message (its code is ADD's INVALID_ARGUMENT): a 404 is "not found".
      if (err instanceof KimgError && err.code === 'INVALID_ARGUMENT' && / answered 404/.test(err.message)) {
        throw new KimgError('APP_SOURCE_NOT_FOUND', err.message, err.hint);
      }
      throw err;
    }
  }

  private async unpack(file: string, dir: string, root: string, what: string) {
    const work = join(root, `unpack-${randomBytes(6).toString('hex')}`);
    await mkdir(work, { mode: 0o755 });
    const chart = await unpackChart(file, join(dir, 'charts'), work, what, this.options.chartLimits);
    return { path: `charts/${chart.name}/`, chart: chart.name, version: chart.version };
  }

  private urlClient(): Promise<UrlClient> {
    const flags = this.options.open.registryFlags ?? {};
    // Loaded on first use (undici is a large part of start-up); TLS per host as for registries (certs.d).
    this.client ??= import('../../registry/http/url-client').then(
      ({ UrlClient }) =>
        new UrlClient({
          tls: (host) =>
            resolveTlsConfig(host, {
              ...(flags.certDir !== undefined && { certDir: flags.certDir }),
              ...(flags.tlsVerify !== undefined && { tlsVerify: flags.tlsVerify }),
            }),
          ...(flags.timeouts && { timeouts: flags.timeouts }),
        }),
    );
    return this.client;
  }
}

/** A downloaded file's name: the URL path's last part (as sealer and ADD name it). */
function fileName(url: URL, what: string): string {
  const name = posix.basename(decodeURIComponent(url.pathname));
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new KimgError(
      'APP_SOURCE_INVALID',
      `${what}: the URL's path names no file`,
      'end the URL with the file name, e.g. https://host/path/app.yaml',
    );
  }
  return name;
}

async function placeFile(from: string, to: string, what: string): Promise<void> {
  if (
    await stat(to).then(
      () => true,
      () => false,
    )
  ) {
    throw new KimgError(
      'APP_SOURCE_INVALID',
      `${what}: the app already has a file named ${posix.basename(to)}`,
      'give the app sources different file names, or split them into two apps',
    );
  }
  await rename(from, to);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
