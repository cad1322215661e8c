import { KimgError } from '../../errors';
import type { DiscoveredImage, DiscoveryResult, ImageSource } from './discovered-image';
import type { ImageEntry } from './image-entry';
import type { IgnoreList } from './ignore-list';

/** What discovery has found so far; `result` merges spellings, drops ignored images and sorts. */
export class Findings {
  private readonly found = new Map<string, { entry: ImageEntry; sources: Map<string, ImageSource> }>();
  readonly warnings: string[] = [];

  constructor(private readonly signal?: AbortSignal) {}

  add(entry: ImageEntry, source: Omit<ImageSource, 'written'>): void {
    let image = this.found.get(entry.normalized);
    if (image === undefined) {
      image = { entry, sources: new Map() };
      this.found.set(entry.normalized, image);
    }
    const full: ImageSource = { ...source, written: entry.written };
    // A file reached twice (under charts/ and as an APP source) is one source.
    image.sources.set(`${full.file}\0${full.line}\0${full.column ?? 0}\0${full.how}\0${full.written}`, full);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Throws `ABORTED` when the caller gave up; called between files. */
  checkAborted(): void {
    if (this.signal?.aborted) throw new KimgError('ABORTED', 'image discovery was cancelled');
  }

  result(ignore: IgnoreList): DiscoveryResult {
    const images: DiscoveredImage[] = [];
    for (const { entry, sources } of this.found.values()) {
      if (ignore.matches(entry)) continue;
      const sorted = [...sources.values()].sort(compareSources);
      images.push({
        reference: sorted[0]?.written ?? entry.written,
        normalized: entry.normalized,
        ...(entry.location !== undefined && { location: entry.location }),
        sources: sorted,
      });
    }
    images.sort((a, b) => compareText(a.normalized, b.normalized));
    return { images, warnings: [...this.warnings, ...ignore.unusedWarnings()] };
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSources(a: ImageSource, b: ImageSource): number {
  return (
    compareText(a.file, b.file) ||
    a.line - b.line ||
    (a.column ?? 0) - (b.column ?? 0) ||
    compareText(a.how, b.how) ||
    compareText(a.written, b.written)
  );
}
