import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { memo } from './lazy';

let root: string | undefined;

/**
 * Where kimg's package (bin/, dist/, package.json) is at run time: two levels above this file's folder in dist/
 * (and in src/ under ts-jest). A start-up snapshot cannot tell — the paths it holds are those of the folder it
 * was built in — so its main function names the folder the launcher found (cli/snapshot-main).
 */
export function packageRoot(): string {
  return (root ??= resolve(__dirname, '..', '..'));
}

/** Set once, by the start-up snapshot's main function, before anything asks. */
export function setPackageRoot(dir: string): void {
  root = resolve(dir);
}

/** package.json's `version`, for `kimg --version`. */
export const packageVersion = memo((): string => {
  const text = readFileSync(join(packageRoot(), 'package.json'), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
});
