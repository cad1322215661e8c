import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { FILE_READ_CHUNK } from '../../digest';
import type { LayerEntry } from '../../layer';
import { walkContext, type ContextEntry } from './context-walk';
import { resolveSources, type CopyItem, type ResolveSourcesOptions, type SourceIndex } from './copy-sources';
import { readIgnoreRules, type IgnoreRules } from './ignore-file';
import type { CopyKeyIndex } from './copy-key-index';

export interface BuildContextOptions {
  /** An ignore file to use instead of `.kubefileignore` / `.sealignore` / `.dockerignore` (relative to `dir`). */
  ignoreFile?: string;
  /** Bytes; default MAX_IGNORE_FILE_SIZE (1 MiB). */
  maxIgnoreFileSize?: number;
  /** The keys of COPYs built from this context before (the stat index): unchanged sources are not read again. */
  index?: CopyKeyIndex;
}

/**
 * The build context: a directory walked once (lstat + sorted names) with the ignore rules applied, never
 * copied. The Kubefile and the ignore file may be excluded like any file — the builder reads them directly,
 * not through the context — and are then not available to COPY, as with `docker build`.
 */
export class BuildContext implements SourceIndex {
  private readonly index = new Map<string, number>();

  constructor(
    readonly root: string,
    readonly ignore: IgnoreRules,
    readonly entries: readonly ContextEntry[],
    /** The stat index of this context, when the build keeps one (a stage's or archive's tree has none). */
    readonly keys?: CopyKeyIndex,
  ) {
    entries.forEach((entry, i) => this.index.set(entry.path, i));
  }

  indexOf(path: string): number | undefined {
    return this.index.get(path);
  }

  entry(path: string): ContextEntry | undefined {
    const i = this.index.get(path);
    return i === undefined ? undefined : this.entries[i];
  }

  /** COPY/ADD sources → items (see copy-sources.ts for the rules). */
  resolveSources(patterns: readonly string[], dest: string, options?: ResolveSourcesOptions): CopyItem[] {
    return resolveSources(this, patterns, dest, options);
  }

  /** Items as layer entries for writeLayer; `chmod` (COPY --chmod) replaces every mode. */
  layerEntries(items: readonly CopyItem[], options: { chmod?: number } = {}): LayerEntry[] {
    return items.map(({ source, target }) => {
      const file = join(this.root, source.path);
      return {
        path: target,
        type: source.type === 'directory' ? 'directory' : source.type === 'symlink' ? 'symlink' : 'file',
        mode: options.chmod ?? source.mode,
        mtime: source.mtime,
        ...(source.type === 'file'
          ? {
              size: source.size,
              file,
              open: () => createReadStream(file, { highWaterMark: FILE_READ_CHUNK }),
            }
          : {}),
        ...(source.linkTarget !== undefined ? { linkTarget: source.linkTarget } : {}),
        ...(source.linkKey !== undefined ? { linkKey: source.linkKey } : {}),
      };
    });
  }
}

export async function openBuildContext(
  dir: string,
  options: BuildContextOptions = {},
): Promise<BuildContext> {
  const root = resolve(dir);
  const ignore = await readIgnoreRules(root, options.ignoreFile, options.maxIgnoreFileSize);
  return new BuildContext(root, ignore, await walkContext(root, ignore), options.index);
}
