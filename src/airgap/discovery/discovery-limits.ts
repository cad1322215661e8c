import { KimgError } from '../../errors';
import { limitFromEnv } from '../../manifest/limits';

/**
 * The bounds discovery puts on its inputs (a context may come from anyone: a chart off the internet, a manifest
 * folder someone generated). Each can be raised by the env variable named beside it, read from `options.env`.
 */
export interface DiscoveryLimits {
  /** Largest file read (manifest, values, Chart.yaml, image list); checked by fstat before reading. */
  maxFileBytes: number;
  /** Longest a `helm template` may run, per chart, before it is killed. */
  helmTimeoutMs: number;
  /** Largest output a `helm template` may write; the process is killed past it. */
  maxHelmOutputBytes: number;
}

/** 16 MiB: the largest Kubernetes object etcd stores is 1.5 MiB; a generated CRD bundle is a few MiB. */
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Two minutes: rendering a large umbrella chart takes seconds; a hang (a `lookup` loop) never ends. */
export const DEFAULT_HELM_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_HELM_OUTPUT_BYTES = 64 * 1024 * 1024;

/**
 * Per YAML document: the yaml package's own guard against billion-laughs documents (its `toJS` default is 100;
 * an alias counts once per node it expands to), then the nodes our walk may visit and how deep it may go.
 */
export const MAX_ALIAS_COUNT = 100;
export const MAX_YAML_NODES = 1_000_000;
export const MAX_YAML_DEPTH = 256;

export const DiscoveryEnv = {
  maxFileBytes: 'KIMG_DISCOVERY_MAX_FILE_SIZE',
  helmTimeout: 'KIMG_HELM_TIMEOUT',
  maxHelmOutputBytes: 'KIMG_HELM_MAX_OUTPUT',
  helm: 'KIMG_HELM',
} as const;

/** Sizes in bytes with an optional binary unit (`32MiB`, `512k`), durations in seconds (`90`, `90s`). */
export function limitsFromEnv(env: NodeJS.ProcessEnv): DiscoveryLimits {
  return {
    maxFileBytes: limitFromEnv(DiscoveryEnv.maxFileBytes, DEFAULT_MAX_FILE_BYTES, env),
    helmTimeoutMs: secondsFromEnv(env, DiscoveryEnv.helmTimeout, DEFAULT_HELM_TIMEOUT_MS),
    maxHelmOutputBytes: limitFromEnv(DiscoveryEnv.maxHelmOutputBytes, DEFAULT_MAX_HELM_OUTPUT_BYTES, env),
  };
}

function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, fallbackMs: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallbackMs;
  const match = /^(\d+(?:\.\d+)?)s?$/.exec(text.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${name}=${text} is not a duration`,
      'write seconds, e.g. 300 or 300s',
    );
  }
  return Math.round(Number(match[1]) * 1000);
}

/** "16 MiB" for the messages that name a bound. */
export function describeBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}
