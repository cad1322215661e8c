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

export interface PreparedCopy {
  /** The content part of the step's cache key if it is known without reading a file (stat index, origin key). */
  known(): string | undefined;
  /** Bytes `content()` would read now. */
  unknownBytes: number;
  /** The content part of the key: reads what is still unknown (after a layer write, only what it did not read). */
  content(): Promise<string>;
  /** Told the digest of a context file (absolute path) the layer writer read: it is not read again for the key. */
  learn(file: string, sha256: string): void;
  /** The layer's entries; only called on a cache miss. */
  entries(): Promise<LayerEntry[]>;
}

/**
 * COPY/ADD in two phases, so a cache hit never touches what a miss would write: (1) resolve sources and hash
 * what they hold (the context once; a stage or image by its key); (2) on a miss, list the layer entries.
 * Errors name the Kubefile line.
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
        unknownBytes: 0,
        content: async () => content,
        learn: () => undefined,
        entries: async () =>
          atLine(at, async () => {
            const files = await source.files();
            return [...layerItems(files, resolve(files, spec), spec), ...inlineEntries(spec)];
          }),
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
    const local = files.sourceKey([...items, ...archives], { includeMtime: source.preserveMtime === true });
    // URL downloads and fetched APP sources (pinned by their bytes' digest) are part of the content key.
    const extra = [...(remote.length > 0 ? [JSON.stringify(remote)] : []), ...(fetched ? [fetched.key] : [])];
    const withRemote = (key: string) => (extra.length > 0 ? digestText([key, ...extra].join('\n')) : key);
    return {
      known: () => {
        const key = local.known();
        return key === undefined ? undefined : withRemote(key);
      },
      unknownBytes: local.unknownBytes,
      content: async () => withRemote(await atLine(at, () => local.hash())),
      learn: (file, sha256) => local.learn(file, sha256),
      entries: () =>
        atLine(at, async () => [
          ...layerItems(files, items, spec),
          ...(await archiveEntries(archives, files, spec, source)),
          ...(await urlEntries(remote, spec, source.urls)),
          ...(fetched ? await fetchedEntries(fetched, spec) : []),
          ...inlineEntries(spec),
        ]),
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
