import { isAbsolute, join } from 'node:path';
import { KimgError } from '../../errors';
import {
  cleanPattern,
  compilePattern,
  excludingPattern,
  isExcluded,
  type IgnorePattern,
} from './ignore-pattern';
import { readRegularFile, type RegularFileRead } from './regular-file';

/**
 * The largest ignore file read (a .dockerignore is a few lines; a huge one would only cost memory and, per
 * file of the context, time). KIMG_MAX_IGNORE_FILE_SIZE raises it.
 */
export const MAX_IGNORE_FILE_SIZE = 1024 * 1024;
export const IGNORE_FILE_SIZE_ENV = 'KIMG_MAX_IGNORE_FILE_SIZE';

/** Looked up in this order in the context root; the first that exists is used, the others are not read. */
export const IGNORE_FILE_NAMES = ['.kubefileignore', '.sealignore', '.dockerignore'] as const;

export interface IgnoreRules {
  /** The file the rules came from (absolute), or undefined when the context has none. */
  file?: string;
  patterns: readonly IgnorePattern[];
  excludes(path: string): boolean;
  /** The pattern that decided `path` is excluded, for messages ("excluded by .dockerignore line 3"). */
  decidingLine(path: string): number | undefined;
  /**
   * Whether a `!` line could re-include something below the excluded directory `dir`. Docker's walker (moby
   * `archive.TarWithOptions`) descends into an excluded directory only when an exception's text starts with
   * the directory's path: a wildcard exception such as `!**` + `/keep` does not bring back `dir/keep`.
   */
  mayReincludeBelow(dir: string): boolean;
}

/** The ignore file `dir` uses: `explicit` (relative to `dir` or absolute) if given, else the first that exists. */
export async function readIgnoreRules(
  dir: string,
  explicit?: string,
  maxSize = MAX_IGNORE_FILE_SIZE,
): Promise<IgnoreRules> {
  const candidates = explicit !== undefined ? [explicit] : IGNORE_FILE_NAMES;
  for (const name of candidates) {
    const file = isAbsolute(name) ? name : join(dir, name);
    let read: RegularFileRead;
    try {
      read = await readRegularFile(file, maxSize);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) continue;
      throw new KimgError('INVALID_ARGUMENT', `cannot read ignore file ${file}: ${(err as Error).message}`);
    }
    if (read.kind === 'not-regular') {
      throw new KimgError('INVALID_ARGUMENT', `cannot read ignore file ${file}: not a regular file`);
    }
    if (read.kind === 'too-large') {
      throw new KimgError(
        'SIZE_LIMIT',
        `ignore file ${file} is ${read.size} bytes, over the ${maxSize}-byte ignore file size limit`,
        `set ${IGNORE_FILE_SIZE_ENV} to raise the limit (default ${MAX_IGNORE_FILE_SIZE} bytes)`,
      );
    }
    return ignoreRules(parseIgnoreFile(read.text, file), file);
  }
  return ignoreRules([], undefined);
}

/**
 * moby/buildkit `dockerignore.ReadAll`: a UTF-8 BOM is dropped, lines starting with `#` are comments (before
 * trimming, as Docker does), blank lines are skipped, `!` marks an exception.
 */
export function parseIgnoreFile(text: string, file = '.dockerignore'): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, index) => {
      if (raw.startsWith('#')) return;
      let line = raw.trim();
      if (line === '') return;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      if (line === '') return;
      const text = cleanPattern(line);
      try {
        patterns.push({ text, exclusion, line: index + 1, matcher: compilePattern(text) });
      } catch {
        throw new KimgError(
          'INVALID_ARGUMENT',
          `${file}:${index + 1}: invalid pattern "${raw.trim()}"`,
          'a "[" starts a character class that needs its "]"; write "\\[" for a literal bracket',
        );
      }
    });
  return patterns;
}

export function ignoreRules(patterns: readonly IgnorePattern[], file: string | undefined): IgnoreRules {
  const hasExceptions = patterns.some((pattern) => pattern.exclusion);
  return {
    file,
    patterns,
    excludes: (path) => patterns.length > 0 && isExcluded(path, patterns),
    decidingLine: (path) => excludingPattern(path, patterns)?.line,
    mayReincludeBelow(dir) {
      if (!hasExceptions) return false;
      return patterns.some((pattern) => pattern.exclusion && `${pattern.text}/`.startsWith(`${dir}/`));
    },
  };
}
