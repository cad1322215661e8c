import { setFlagsFromString } from 'node:v8';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { requireAtRunTime } from '../../lazy/deferred-module';
import { memo } from '../../lazy/lazy';
import { loadUndiciBundle, UNDICI_PART_PATHS } from './undici-bundle';

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export interface UndiciParts {
  Agent: typeof UndiciAgent;
  request: RequestFn;
}

/** How this process loaded undici (for `--debug` and tests): from the build's bundle, or from node_modules. */
export interface UndiciLoad {
  from: 'bundle' | 'node_modules';
  /** Why not from the bundle. */
  reason?: string;
  /** Main-thread milliseconds the loading took. */
  ms: number;
  /** When it was done, in milliseconds since the process started. */
  doneAtMs: number;
}

let loaded: UndiciLoad | undefined;

/**
 * Milliseconds since the process started. Not `performance.now()`: Node 20 loads node:perf_hooks on the first
 * read of the `performance` global, ~2 ms of every registry command's start (CPU profile of a sync).
 */
function sinceStartMs(): number {
  return process.uptime() * 1000;
}

/** How undici was loaded; undefined until the first Agent or request. */
export function undiciLoad(): UndiciLoad | undefined {
  return loaded;
}

export function isParts(value: unknown): value is UndiciParts {
  const parts = value as Partial<UndiciParts> | undefined;
  return typeof parts?.Agent === 'function' && typeof parts.request === 'function';
}

/**
 * The two parts of undici the client uses: `Agent` and the `request` API. undici's index loads everything else
 * too (fetch, WebSocket, mocks, caches, proxy agents, http2): ~35 ms of a CLI run that takes 0.3 s when the
 * image is already there. First from the build's bundle of the two with its V8 code cache (undici-bundle.ts),
 * else from undici's own files. The deep paths are undici's own files (its package.json has no `exports` map);
 * should a release move them, the full package is loaded instead.
 */
function load(): UndiciParts {
  const started = sinceStartMs();
  const done = (from: UndiciLoad['from'], reason?: string): void => {
    const now = sinceStartMs();
    loaded = { from, ...(reason !== undefined && { reason }), ms: now - started, doneAtMs: now };
  };
  let reason: string;
  try {
    const bundled = loadUndiciBundle();
    if ('exports' in bundled && isParts(bundled.exports)) {
      done('bundle');
      return bundled.exports;
    }
    reason = 'reason' in bundled ? bundled.reason : 'the bundle exports no Agent and request';
  } catch (err) {
    // Any error at all (an unreadable file, a bundle that throws): undici's own files, as before the bundle.
    reason = `the bundle failed to load: ${err instanceof Error ? err.message : String(err)}`;
  }
  const parts = loadFromPackage();
  done('node_modules', reason);
  return parts;
}

function loadFromPackage(): UndiciParts {
  try {
    return {
      Agent: requireAtRunTime(UNDICI_PART_PATHS.Agent) as typeof UndiciAgent,
      request: requireAtRunTime(UNDICI_PART_PATHS.request) as RequestFn,
    };
  } catch {
    const undici = requireAtRunTime('undici') as typeof import('undici');
    return { Agent: undici.Agent, request: undici.Dispatcher.prototype.request as RequestFn };
  }
}

/*
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it quickly (Liftoff), then again with
 * TurboFan in the background, and a process cannot exit before that background job ends: 40-100 ms added to
 * every CLI run, for a parser whose cost is per header, not per body byte (bodies are handed over as spans).
 * Liftoff code only; this must be set before undici compiles the module (on its first connection), and not
 * while a start-up snapshot is built (V8 refuses a snapshot made under other flags), hence at the first Agent.
 * It is also a V8 flag a code cache is checked against: the cache's producer sets it the same way.
 */
let liftoffOnly = false;

export function useLiftoffOnly(): void {
  if (!liftoffOnly) {
    setFlagsFromString('--liftoff-only');
    liftoffOnly = true;
  }
}

const loadParts = memo(load);

function parts(): UndiciParts {
  useLiftoffOnly();
  return loadParts();
}

/** A new undici `Agent` (one per origin, see dispatchers). */
export function createAgent(options: UndiciAgent.Options): UndiciAgent {
  return new (parts().Agent)(options);
}

/** `undici.request(url, {dispatcher, …})` without the global-dispatcher plumbing: always on `dispatcher`. */
export function requestOn(
  dispatcher: Dispatcher,
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  return parts().request.call(dispatcher, {
    ...options,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
  });
}
