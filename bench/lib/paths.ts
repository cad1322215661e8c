import * as fs from 'fs';
import * as path from 'path';

/** The repository root: the nearest folder above this file with a package.json (works from bench/ and dist-bench/). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
}

/**
 * The kimg to measure: $KIMG_BENCH_BIN if set (another build or an installed kimg), else this checkout's bin/kimg,
 * or null with the reason when the CLI has not been built (`npm run build`).
 */
export function kimgBinary(): { bin: string | null; reason?: string } {
  const override = process.env.KIMG_BENCH_BIN;
  if (override) return { bin: path.resolve(override) };
  const root = repoRoot();
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    return { bin: null, reason: 'dist/cli/main.js is missing; run `npm run build` first' };
  }
  return { bin: path.join(root, 'bin', 'kimg') };
}

/** First PATH entry holding an executable `name`, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin'])) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function rmrf(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}
