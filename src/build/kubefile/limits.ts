/**
 * Bounds on what a Kubefile may make the parser do. Docker has none, so a generated or hostile file could hold
 * the builder for minutes or exhaust its memory (issue 9); each bound that is hit is a diagnostic that names
 * itself, its value, and the environment variable that raises it. The defaults are far above hand-written
 * Kubefiles (the largest seen in sealos and sealer repositories have a few hundred lines).
 */
export interface KubefileLimits {
  /** Bytes of the whole file, checked on the open file before it is read (the builder's job, not the parser's). */
  maxFileSize: number;
  /** Characters of one instruction, continuation lines joined. */
  maxLineLength: number;
  /**
   * Instructions in the file. Each is a build step whose config edit copies the config so far, so a build's
   * cost grows with the square of its instructions (src/build/image/config-edits.ts): 5000 LABELs took 65 s on
   * a loaded 2-core machine, 1000 take a few seconds.
   */
  maxInstructions: number;
  /** Nesting of `${…}` inside `${name:-…}` words. */
  maxSubstitutionDepth: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_KUBEFILE_LIMITS: Readonly<KubefileLimits> = {
  maxFileSize: 8 * MiB,
  maxLineLength: 1 * MiB,
  maxInstructions: 1000,
  maxSubstitutionDepth: 32,
};

/** The environment variable that sets each limit (read by the builder, named in the diagnostics' hints). */
export const KUBEFILE_LIMIT_ENV: Readonly<Record<keyof KubefileLimits, string>> = {
  maxFileSize: 'KIMG_MAX_KUBEFILE_SIZE',
  maxLineLength: 'KIMG_MAX_KUBEFILE_LINE',
  maxInstructions: 'KIMG_MAX_KUBEFILE_INSTRUCTIONS',
  maxSubstitutionDepth: 'KIMG_MAX_SUBSTITUTION_DEPTH',
};

/** "set KIMG_MAX_KUBEFILE_LINE to raise the limit (default 1 MiB)" — the hint every limit diagnostic ends with. */
export function raiseHint(limit: keyof KubefileLimits): string {
  const value = DEFAULT_KUBEFILE_LIMITS[limit];
  const shown = limit === 'maxFileSize' || limit === 'maxLineLength' ? formatSize(value) : String(value);
  return `set ${KUBEFILE_LIMIT_ENV[limit]} to raise the limit (default ${shown})`;
}

/** 1048576 → "1 MiB", 1500 → "1500 bytes": limits are read in the unit they were set in. */
export function formatSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
