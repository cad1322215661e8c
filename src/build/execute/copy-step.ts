import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { isKimgError, KimgError } from '../../errors';
import type { LayerEntry } from '../../layer/layer-entry';
import type { BuildContext } from '../context/build-context';
import type { CopyItem } from '../context/copy-sources';
import type { CopySpec, Position } from '../plan/types';
import { isTarArchive } from './archive-source';
import { directoryContext } from './stage-files';
import { createReadStream } from 'node:fs';
import { urlEntries, urlItems } from './add-urls';
import type { UrlSources } from './url-sources';
import type { AppSources, FetchedApp } from '../app-sources/app-sources';
import { unpackTar, type UnpackLimits } from '../../unpack';
import { memo } from '../../lazy/lazy';

export interface CopySource {
  /** Where the sources are: the build context, or an unpacked stage/image (made on first use). */
  files: () => Promise<BuildContext>;
  /** For a stage or image origin: its cache key or digest, which stands for its whole content. */
  originKey?: string;
  /** A private directory for unpacking ADD archives. */
  scratch: (name: string) => Promise<string>;
  /** Caps on what an ADD archive or a `--from` stage may unpack to (src/unpack). */
  unpackLimits?: Partial<UnpackLimits>;
  /** ADD `http(s)://` sources (context COPY/ADD only). */
  urls?: UrlSources;
  /** APP/CNI/CSI `https://`, `helm://`, `oci://` sources (context COPY only). */
  apps?: AppSources;
  /**
   * `dest` (without a trailing slash) is a directory in the stage already: sources go inside it (reference:
   * "COPY": "If <dest> doesn't end with a trailing slash, it will be considered a regular file" — unless it is
   * an existing directory, which Docker copies into).
   */
  destIsDirectory?: boolean;
  /** `--preserve-mtime`: mtimes reach the layer, so they are part of the cache key too. */
  preserveMtime?: boolean;
}

/** What a COPY layer depends on besides its sources: where and as whom they land, the tar's settings. */
export interface CopyScope {
  layout: { intoDir: boolean; owner: { uid: number; gid: number } | undefined };
  tar: { timestamp: number; preserveMtime: boolean };
}

export interface PreparedCopy {
  /**
   * The content part of the step's key, if it is known without reading a source: a `--from` origin's key, or
   * the diff ID the stat index remembers for this COPY of unchanged context files.
   */
  known(scope: CopyScope): string | undefined;
  /**
   * Context sources are keyed by their layer's diff ID (the tar holds exactly what the layer depends on, so
   * the key is the same on any machine and in any checkout): learned by writing the layer, or by hashing its
   * tar when a cached step may exist. A `--from` origin is keyed by its own key and is always `known`.
   */
  keyedByLayer: boolean;
  /** Tells the stat index the diff ID of this COPY of the context as it is now (keyedByLayer only). */
  remember(scope: CopyScope, diffId: string): void;
  /** The layer's entries, listed once (an ADD archive unpacked once), for the writer or a hash of the tar. */
  entries(): Promise<LayerEntry[]>;
}

/**
 * COPY/ADD in two phases, so a cache hit never touches what a miss would write: (1) resolve the sources and
 * what their key can be found from (the stat index; a stage or image by its key); (2) list the layer entries,
 * to write the layer or to hash its tar. Errors name the Kubefile line.
 */
export async function prepareCopy(
  planned: CopySpec,
  at: Position,
  source: CopySource,
): Promise<PreparedCopy> {
  const spec =
    source.destIsDirectory && !planned.dest.endsWith('/')
      ? { ...planned, dest: `${planned.dest}/` }
      : planned;
  try {
    if (source.originKey !== undefined) {
      const content = digestText(`${source.originKey}\n${JSON.stringify(spec.sources)}`);
      return {
        known: () => content,
        keyedByLayer: false,
        remember: () => undefined,
        entries: memo(() =>
          atLine(at, async () => {
            const files = await source.files();
            return [...layerItems(files, resolve(files, spec), spec), ...inlineEntries(spec)];
          }),
        ),
      };
    }
    const files = await source.files();
    const archives: CopyItem[] = [];
    let plain = spec.sources;
    if (spec.add) {
      plain = [];
      for (const pattern of spec.sources) {
        const items = files.resolveSources([pattern], spec.dest.endsWith('/') ? spec.dest : `${spec.dest}/`);
        const only = items.length === 1 ? items[0] : undefined;
        if (only?.source.type === 'file' && (await isTarArchive(posix.join(files.root, only.source.path))))
          archives.push(only);
        else plain.push(pattern);
      }
    }
    const items = plain.length > 0 ? files.resolveSources(plain, spec.dest) : [];
    const remote = await urlItems(spec, source.urls);
    const fetched = spec.remote ? await fetchApp(spec.remote, source.apps) : undefined;
    const copied = [...items, ...archives];
    const sources = copied.map((item) => item.source);
    // Everything the layer depends on but the bytes of the context files, whose stamps the index compares.
    const identity = (scope: CopyScope) =>
      digestText(
        JSON.stringify({
          copy: spec,
          scope,
          items: copied.map(({ source: s, target }) => [
            target,
            s.path,
            s.type,
            s.mode,
            s.linkTarget ?? null,
            s.linkKey ?? null,
            source.preserveMtime ? s.mtime : null,
          ]),
          remote,
          fetched: fetched?.key ?? null,
        }),
      );
    return {
      known: (scope) => files.keys?.lookup(identity(scope), sources),
      keyedByLayer: true,
      remember: (scope, diffId) => files.keys?.record(identity(scope), sources, diffId),
      entries: memo(() =>
        atLine(at, async () => [
          ...layerItems(files, items, spec),
          ...(await archiveEntries(archives, files, spec, source)),
          ...(await urlEntries(remote, spec, source.urls)),
          ...(fetched ? await fetchedEntries(fetched, spec) : []),
          ...inlineEntries(spec),
        ]),
      ),
    };
  } catch (err) {
    throw positioned(at, err);
  }
}

function resolve(files: BuildContext, spec: CopySpec): CopyItem[] {
  return spec.sources.length > 0 ? files.resolveSources(spec.sources, spec.dest) : [];
}

function layerItems(files: BuildContext, items: readonly CopyItem[], spec: CopySpec): LayerEntry[] {
  return files.layerEntries(items, spec.chmod !== undefined ? { chmod: spec.chmod } : {});
}

async function archiveEntries(
  archives: readonly CopyItem[],
  files: BuildContext,
  spec: CopySpec,
  source: CopySource,
): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const archive of archives) {
    const dir = await source.scratch('add');
    const what = `ADD ${archive.source.path}`;
    await unpackTar(createReadStream(posix.join(files.root, archive.source.path)), dir, {
      whiteouts: false,
      what,
      ...(source.unpackLimits && { limits: source.unpackLimits }),
    });
    const unpacked = await directoryContext(dir);
    entries.push(
      ...layerItems(
        unpacked,
        unpacked.resolveSources(['.'], spec.dest.endsWith('/') ? spec.dest : `${spec.dest}/`),
        spec,
      ),
    );
  }
  return entries;
}

function fetchApp(
  remote: NonNullable<CopySpec['remote']>,
  apps: AppSources | undefined,
): Promise<FetchedApp> {
  if (!apps) throw new Error('remote APP sources outside the build context');
  return apps.fetch(remote.app, remote.sources);
}

/** The fetched APP sources, as laid out for the app's folder (app-sources.ts), copied into `dest`. */
async function fetchedEntries(fetched: FetchedApp, spec: CopySpec): Promise<LayerEntry[]> {
  const files = await directoryContext(fetched.dir);
  return layerItems(files, files.resolveSources(['.'], spec.dest), spec);
}

/** Here-document sources: files with the body as content, 0644 unless --chmod (BuildKit). */
function inlineEntries(spec: CopySpec): LayerEntry[] {
  return spec.inline.map(({ name, content }) => {
    const bytes = Buffer.from(content);
    const path = spec.dest.endsWith('/') ? posix.join(spec.dest, name) : spec.dest;
    return {
      path: path.replace(/^\/+/, ''),
      type: 'file',
      mode: spec.chmod ?? 0o644,
      size: bytes.length,
      open: () => Readable.from([bytes]),
    };
  });
}

function digestText(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

async function atLine<T>(at: Position, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw positioned(at, err);
  }
}

export function positioned(at: Position, err: unknown): unknown {
  const where = `${at.file}:${at.line}:${at.column}`;
  if (!isKimgError(err) || err.message.startsWith(where)) return err;
  return new KimgError(err.code, `${where}: ${err.message}`, err.hint, { cause: err });
}
