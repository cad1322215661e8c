/* eslint-disable @typescript-eslint/no-require-imports -- deep requires of undici's own modules, see below */
import { setFlagsFromString } from 'node:v8';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

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
      Agent: require('undici/lib/dispatcher/agent') as typeof UndiciAgent,
      request: require('undici/lib/api/api-request') as RequestFn,
    };
  } catch {
    const undici = require('undici') as typeof import('undici');
    return { Agent: undici.Agent, request: undici.Dispatcher.prototype.request as RequestFn };
  }
}

/*
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it quickly (Liftoff), then again with
 * TurboFan in the background, and a process cannot exit before that background job ends: 40-100 ms added to
 * every CLI run, for a parser whose cost is per header, not per body byte (bodies are handed over as spans).
 * Liftoff code only; this must be set before undici compiles the module (on its first connection).
 */
setFlagsFromString('--liftoff-only');

const parts = load();

export const Agent = parts.Agent;

/** `undici.request(url, {dispatcher, …})` without the global-dispatcher plumbing: always on `dispatcher`. */
export function requestOn(
  dispatcher: Dispatcher,
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  return parts.request.call(dispatcher, {
    ...options,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
  });
}
