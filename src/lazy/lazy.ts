import type { z } from 'zod';
import { deferZodLocales } from './zod-locales';

/**
 * Start-up helpers. Loading zod costs ~30 ms (it pulls in every locale), which `kimg images`, `--help` and other
 * commands that validate nothing should not pay; schemas are built on first use instead of at module load.
 */

/** zod's `z`, loaded on the first call (require caches it). */
export function zod(): typeof z {
  deferZodLocales();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  return (require('zod') as typeof import('zod')).z;
}

/**
 * The `yaml` package, loaded on the first call: its 72 modules cost ~20 ms, which a build that fetches no chart
 * (the APP source readers need it) should not pay at start-up.
 */
export function yaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  return require('yaml') as typeof import('yaml');
}

/** A memoizing getter: `build` runs once, on the first call. */
export function memo<T>(build: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = build();
      done = true;
    }
    return value as T;
  };
}

/**
 * Defines `names` on a CommonJS module's `exports` as enumerable getters whose values `build` makes together, once,
 * on the first read. Importers compiled by tsc read `module_1.name` at each use (and `export *` re-exports through
 * a getter), so they see the built values as ordinary exports; the module declares their types with
 * `export declare const`.
 */
export function defineLazyExports<T extends object>(
  target: object,
  names: readonly (keyof T & string)[],
  build: () => T,
): void {
  const get = memo(build);
  for (const name of names) {
    Object.defineProperty(target, name, { enumerable: true, configurable: false, get: () => get()[name] });
  }
}
