/* eslint-disable @typescript-eslint/no-require-imports -- module-cache work on zod's own files, see below */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';

/**
 * zod 4 loads all of its ~50 message locales when it loads (`core` re-exports `locales/index.cjs`, which
 * requires every one): ~20 of the ~30 ms zod costs, paid by every command that parses a manifest. kimg uses
 * only the English messages zod installs by itself (from `locales/en.cjs`, not through the index).
 *
 * Before zod is first required, this puts a stand-in for `zod/v4/locales/index.cjs` in node's module cache:
 * the same names, each loading its locale file on first read, so `z.locales.de` still works. The names and files
 * are read from the real index; when zod's files do not look as expected (another release), nothing is
 * registered and zod loads as it always does. Returns whether the stand-in is in place.
 */
export function deferZodLocales(): boolean {
  let indexPath: string;
  try {
    indexPath = require.resolve('zod/v4/locales/index.cjs');
  } catch {
    return false;
  }
  const cache = require.cache as Record<string, NodeJS.Module | undefined>;
  if (cache[indexPath]) return cache[indexPath]?.exports?.[STAND_IN] === true;
  let source: string;
  try {
    source = readFileSync(indexPath, 'utf8');
  } catch {
    return false;
  }
  // `var ar_js_1 = require("./ar.cjs");` then `Object.defineProperty(exports, "ar", … ar_js_1 …)`.
  const entries = [
    ...source.matchAll(
      /var (\w+) = require\("\.\/([\w-]+\.cjs)"\);\s*Object\.defineProperty\(exports, "(\w+)"/g,
    ),
  ];
  if (entries.length === 0) return false;
  const dir = dirname(indexPath);
  const exports: Record<string | symbol, unknown> = { [STAND_IN]: true };
  Object.defineProperty(exports, '__esModule', { value: true });
  for (const [, , file, name] of entries) {
    Object.defineProperty(exports, name as string, {
      enumerable: true,
      get: () => {
        const mod = require(join(dir, file as string)) as { __esModule?: boolean; default?: unknown };
        return mod.__esModule ? mod.default : mod;
      },
    });
  }
  const standIn = new Module(indexPath);
  standIn.filename = indexPath;
  standIn.exports = exports;
  standIn.loaded = true;
  cache[indexPath] = standIn;
  return true;
}

/** Marks our stand-in, so a second call can tell it from zod's own module. */
const STAND_IN = Symbol.for('kimg.zod-locales-stand-in');
