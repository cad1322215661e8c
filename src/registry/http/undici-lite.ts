import { setFlagsFromString } from 'node:v8';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { requireAtRunTime } from '../../lazy/deferred-module';
import { memo } from '../../lazy/lazy';

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

interface UndiciParts {
  Agent: typeof UndiciAgent;
  request: RequestFn;
}

/**
 * The two parts of undici the client uses: `Agent` and the `request` API. undici's index loads everything else
 * too (fetch, WebSocket, mocks, caches, proxy agents, http2): ~35 ms of a CLI run that takes 0.3 s when the
 * image is already there. The deep paths are undici's own files (its package.json has no `exports` map); should
 * a release move them, the full package is loaded instead.
 */
function load(): UndiciParts {
  try {
    return {
      Agent: requireAtRunTime('undici/lib/dispatcher/agent') as typeof UndiciAgent,
      request: requireAtRunTime('undici/lib/api/api-request') as RequestFn,
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
 */
let liftoffOnly = false;

const loadParts = memo(load);

function parts(): UndiciParts {
  if (!liftoffOnly) {
    setFlagsFromString('--liftoff-only');
    liftoffOnly = true;
  }
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
