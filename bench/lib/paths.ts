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

/** The kimg to measure, or null with a warning when none is built; null without looking when `skip`. */
export function kimgToMeasure(skip: boolean): string | null {
  if (skip) return null;
  const found = kimgBinary();
  if (!found.bin) console.warn(`kimg: not measured: ${found.reason}`);
  return found.bin;
}

/** `name` on PATH, or an error naming its Debian package (`pkg`, default the name) and what the bench uses it for. */
export function requireTool(name: string, why: string, pkg: string = name): string {
  const found = which(name);
  if (!found) throw new Error(`${name} is not installed (apt-get install ${pkg})${why ? `; ${why}` : ''}`);
  return found;
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
