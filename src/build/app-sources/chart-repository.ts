import { yaml } from '../../lazy/lazy';
import { KimgError } from '../../errors';
import { chooseVersion, versionsHint } from './chart-version';

/** One version of a chart in a repository's index.yaml (Helm's ChartVersion: the fields kimg reads). */
export interface IndexedChart {
  version: string;
  urls: string[];
  /** sha256 of the `.tgz`, hex (Helm writes it without the `sha256:` prefix); absent in some hand-made indexes. */
  digest?: string;
}

/**
 * The versions of `chart` in an index.yaml (helm.sh/docs/topics/chart_repository: `entries: {name: [ChartVersion]}`).
 * The file is untrusted: YAML aliases are bounded, and anything but the expected shape is APP_SOURCE_INVALID.
 */
export function chartVersions(text: string, chart: string, what: string): IndexedChart[] {
  let doc: unknown;
  try {
    doc = yaml().parse(text, { maxAliasCount: 100, schema: 'failsafe' }); // every scalar a string, as Helm's Go structs read them
  } catch (err) {
    throw invalidIndex(what, `it is not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (typeof entries !== 'object' || entries === null) throw invalidIndex(what, 'it has no entries');
  const list = (entries as Record<string, unknown>)[chart];
  if (list === undefined) {
    const names = Object.keys(entries).sort();
    throw new KimgError(
      'APP_SOURCE_NOT_FOUND',
      `${what}: the repository has no chart named ${chart}`,
      names.length > 0
        ? `charts there: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`
        : 'the repository is empty',
    );
  }
  if (!Array.isArray(list)) throw invalidIndex(what, `entries.${chart} is not a list`);
  const found: IndexedChart[] = [];
  for (const item of list as unknown[]) {
    const { version, urls, digest } = (item ?? {}) as { version?: unknown; urls?: unknown; digest?: unknown };
    if (typeof version !== 'string' || !Array.isArray(urls)) continue;
    found.push({
      version,
      urls: urls.filter((u): u is string => typeof u === 'string'),
      ...(typeof digest === 'string' && digest !== '' && { digest }),
    });
  }
  return found;
}

/** The entry of the version asked for (chart-version.ts), or APP_SOURCE_NOT_FOUND listing what there is. */
export function pickChart(
  versions: readonly IndexedChart[],
  wanted: string | undefined,
  chart: string,
  what: string,
): IndexedChart {
  const version = chooseVersion(
    versions.map((v) => v.version),
    wanted,
  );
  const entry = versions.find((v) => v.version === version);
  if (!entry) {
    throw new KimgError(
      'APP_SOURCE_NOT_FOUND',
      wanted === undefined
        ? `${what}: chart ${chart} has no stable version`
        : `${what}: chart ${chart} has no version ${wanted}`,
      `${versionsHint(versions.map((v) => v.version))}; write helm://…/${chart}@VERSION`,
    );
  }
  return entry;
}

/**
 * Where the chart's archive is: its first URL, relative to the repository URL as Helm resolves it
 * (pkg/repo ResolveReferenceURL: the base taken as a folder). An index on https may not send us to http.
 */
export function chartArchiveUrl(entry: IndexedChart, repository: URL, what: string): URL {
  const first = entry.urls[0];
  if (first === undefined) throw invalidIndex(what, `version ${entry.version} lists no URL`);
  const base = new URL(repository);
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  let url: URL;
  try {
    url = new URL(first, base);
  } catch {
    throw invalidIndex(what, `version ${entry.version} has an invalid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidIndex(what, `version ${entry.version} is at a ${url.protocol} URL`);
  }
  if (repository.protocol === 'https:' && url.protocol === 'http:') {
    throw new KimgError(
      'REDIRECT_REFUSED',
      `${what}: the https repository sends the chart to a plain http URL`,
      'kimg never goes from https to http; fix the repository index',
    );
  }
  return url;
}

/** The index's digest as `sha256:<hex>`, or undefined when the index gives none we can check. */
export function indexedDigest(entry: IndexedChart): string | undefined {
  const value = entry.digest?.toLowerCase();
  if (value === undefined) return undefined;
  const hex = value.startsWith('sha256:') ? value.slice(7) : value;
  return /^[0-9a-f]{64}$/.test(hex) ? `sha256:${hex}` : undefined;
}

function invalidIndex(what: string, why: string): KimgError {
  return new KimgError(
    'APP_SOURCE_INVALID',
    `${what}: the repository's index.yaml is not a chart index: ${why}`,
    'check that helm://HOST/PATH names a chart repository (HOST/PATH/index.yaml)',
  );
}
