/** One image in a sync report. */
export interface SyncEntry {
  /** The source, `host/repo:tag` or `host/repo@digest`. */
  source: string;
  destination: string;
  digest?: string;
  /** Bytes sent (or, in a dry run, the bytes the image's blobs hold). */
  bytes: number;
  seconds: number;
}

export interface FailedEntry extends SyncEntry {
  reason: string;
  code?: string;
}

/** What `kimg sync` prints (`--format json` as it is; the human table from it) and its exit status reads. */
export interface SyncReport {
  dryRun: boolean;
  shard?: { index: number; count: number };
  /** Images the plan held (after filters and the shard). */
  planned: number;
  copied: SyncEntry[];
  /** Already at the destination with the same digest: nothing moved. */
  skipped: SyncEntry[];
  failed: FailedEntry[];
  blobs: { copied: number; mounted: number; skipped: number };
  bytes: number;
  /** HTTP requests to each registry (every attempt, retries included). */
  requests: number;
  requestsByHost: Record<string, number>;
  /** Requests sent again after a 429, a 5xx or a dropped connection (they waited, they did not fail the run). */
  retries: number;
  /** Pauses a registry's RateLimit-Remaining asked for before it would answer 429. */
  rateLimitPauses: number;
  seconds: number;
}
