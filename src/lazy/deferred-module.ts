import { join } from 'node:path';
import { packageRoot } from './package-root';

/**
 * A stand-in for a module that must be loaded at run time, not where it is imported: what the start-up snapshot's
 * bundle puts in place of a native addon (zstd-napi), of a package that installs process handlers when it loads
 * (proper-lockfile's signal-exit), and of the built-ins Node cannot yet snapshot (http, tls, net, …). The real
 * module is required on the first read of any of its names, from the package's own node_modules.
 *
 * It works for modules used through their names, as tsc's output always does (`module_1.name` at each use, and
 * `__importStar`/`__importDefault` return a namespace that says `__esModule`; `default` is the module itself);
 * nothing calls or constructs the stand-in itself.
 */
export function deferredModule(specifier: string): object {
  let real: Record<string | symbol, unknown> | undefined;
  const load = (): Record<string | symbol, unknown> =>
    (real ??= requireAtRunTime(specifier) as Record<string | symbol, unknown>);
  return new Proxy(
    {},
    {
      get: (_target, name) => {
        if (name === '__esModule') return true;
        if (name === 'default') return load().default ?? load();
        return load()[name];
      },
      has: (_target, name) => name in load(),
      ownKeys: () => Reflect.ownKeys(load()),
      getOwnPropertyDescriptor: (_target, name) => {
        const descriptor = Object.getOwnPropertyDescriptor(load(), name);
        // The stand-in's own (empty) target cannot vouch for a non-configurable property.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/**
 * `require(specifier)` resolved from the package's own node_modules when the line runs: a bundler does not see it,
 * so the module is never bundled nor held in the start-up snapshot (undici: its HTTP parsers are native objects).
 */
export function requireAtRunTime(specifier: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node:module itself is not deferred
  const { createRequire } = require('node:module') as typeof import('node:module');
  return createRequire(join(packageRoot(), 'package.json'))(specifier);
}
