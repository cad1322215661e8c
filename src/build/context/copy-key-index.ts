import type { ContextEntry } from './context-walk';

/**
 * What the build remembers of the COPYs it built from this context (build/cache/stat-index.ts): for a COPY's
 * identity — everything its layer depends on except the bytes of its files — the content key it had (the
 * layer's diff ID), trusted only while every source file's stat `stamp` is the same and none of them is "racy"
 * (the rule is in stat-index.ts).
 */
export interface CopyKeyIndex {
  /** The key recorded for `identity` if each of `sources` has the stamp it had then, else undefined. */
  lookup(identity: string, sources: readonly ContextEntry[]): string | undefined;
  /** Remembers `key` for `identity` with the stamps of `sources` now (not if one is racy or has no stamp). */
  record(identity: string, sources: readonly ContextEntry[], key: string): void;
}
