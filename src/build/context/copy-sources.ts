import { posix } from 'node:path';
import { KimgError } from '../../errors';
import type { ContextEntry } from './context-walk';
import type { IgnoreRules } from './ignore-file';
import { closestPath } from './path-suggestion';
import { compileGlob, hasGlob } from './source-glob';
import { linkEscapes, symlinkEscapeError } from './symlink-scope';

/** One context entry and where it lands in the image (relative to `/`). */
export interface CopyItem {
  source: ContextEntry;
  target: string;
}

export interface ResolveSourcesOptions {
  /**
   * `dest` is an existing directory in the image below (the executor knows; Docker copies into it even without
   * a trailing slash).
   */
  destIsDirectory?: boolean;
}

/** What resolveSources needs of a context: the walk in pre-order, lookup by path, the ignore rules. */
export interface SourceIndex {
  root: string;
  entries: readonly ContextEntry[];
  indexOf(path: string): number | undefined;
  ignore: IgnoreRules;
}

/**
 * Maps COPY/ADD sources to image paths by the Dockerfile reference's COPY rules: a directory source copies its
 * contents (and gives `dest` its metadata), anything else is copied as itself — to `dest/<name>` when `dest`
 * ends with `/` or is a directory, else to `dest`; several sources (listed or matched) need a directory `dest`.
 * `dest` is absolute in the image or relative to `/`: WORKDIR and `${ARCH}` are the planner's business.
 */
export function resolveSources(
  context: SourceIndex,
  patterns: readonly string[],
  dest: string,
  options: ResolveSourcesOptions = {},
): CopyItem[] {
  if (patterns.length === 0) throw new KimgError('INVALID_ARGUMENT', 'COPY needs at least one source');
  const sources = patterns.flatMap((pattern) => matchSource(context, pattern));
  const destPath = cleanDest(dest);
  const destIsDir = dest.endsWith('/') || destPath === '' || options.destIsDirectory === true;
  if (sources.length > 1 && !destIsDir) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `COPY of ${sources.length} sources (${patterns.join(' ')}) needs a directory destination, not "${dest}"`,
      `end the destination with a slash: "${dest}/"`,
    );
  }
  const items: CopyItem[] = [];
  for (const index of sources) {
    const source = context.entries[index] as ContextEntry;
    if (source.type === 'directory') {
      if (destPath !== '') items.push({ source, target: destPath });
      for (let i = index + 1; i < source.end; i++) {
        const entry = context.entries[i] as ContextEntry;
        items.push({ source: entry, target: posix.join(destPath, relativeTo(entry.path, source.path)) });
      }
    } else {
      items.push({
        source,
        target: destIsDir ? posix.join(destPath, posix.basename(source.path)) : destPath,
      });
    }
  }
  for (const { source } of items) checkCopyable(context.root, source);
  return items;
}

/** Indexes of the entries a pattern names, in walk order; matches below another matched directory are dropped. */
function matchSource(context: SourceIndex, pattern: string): number[] {
  const path = cleanSource(context.root, pattern);
  if (!hasGlob(path)) {
    const index = context.indexOf(path);
    if (index === undefined) throw missingSource(context, pattern, path);
    return [index];
  }
  const matches = compileGlob(path);
  const found: number[] = [];
  for (let i = 1; i < context.entries.length; i++) {
    const entry = context.entries[i] as ContextEntry;
    if (!matches(entry.path)) continue;
    found.push(i);
    if (entry.type === 'directory') i = entry.end - 1;
  }
  if (found.length === 0) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `COPY source "${pattern}" matches no file in the build context ${context.root}`,
      context.ignore.file
        ? `check the pattern, and whether ${context.ignore.file} excludes the files`
        : undefined,
    );
  }
  return found;
}

function cleanSource(root: string, pattern: string): string {
  let path = posix.normalize(`/${pattern}`).slice(1);
  if (path.endsWith('/')) path = path.slice(0, -1);
  const relative = posix.normalize(pattern);
  if (relative === '..' || relative.startsWith('../')) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `COPY source "${pattern}" is outside the build context ${root}`,
      'sources are relative to the context; move the file into the context or pick another context directory',
    );
  }
  return path === '.' ? '' : path;
}

function cleanDest(dest: string): string {
  const path = posix.normalize(`/${dest}`).slice(1).replace(/\/$/, '');
  return path === '.' ? '' : path;
}

function relativeTo(path: string, dir: string): string {
  return dir === '' ? path : path.slice(dir.length + 1);
}

function checkCopyable(root: string, entry: ContextEntry): void {
  if (entry.type === 'symlink' && linkEscapes(entry.path, entry.linkTarget ?? '')) {
    throw symlinkEscapeError(root, entry.path, entry.linkTarget ?? '');
  }
  if (entry.type === 'other') {
    throw new KimgError(
      'UNSUPPORTED',
      `${entry.path} in the build context ${root} is a socket, pipe or device, which COPY cannot put in a layer`,
      'exclude it in .kubefileignore / .dockerignore',
    );
  }
}

function missingSource(context: SourceIndex, pattern: string, path: string): KimgError {
  const line = context.ignore.decidingLine(path);
  if (line !== undefined) {
    return new KimgError(
      'INVALID_ARGUMENT',
      `COPY source "${pattern}" is excluded from the build context by ${context.ignore.file}:${line}`,
      `remove that line or add "!${path}" after it`,
    );
  }
  const near = closestPath(
    path,
    context.entries.map((entry) => entry.path),
  );
  return new KimgError(
    'INVALID_ARGUMENT',
    `COPY source "${pattern}" not found in the build context ${context.root}`,
    near !== undefined ? `did you mean "${near}"?` : 'sources are paths relative to the build context',
  );
}
