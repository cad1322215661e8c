import { KimgError } from '../errors';

/**
 * Bounds on untrusted input, named so every reader uses the same numbers.
 * distribution-spec (pushing manifests): registries SHOULD accept manifests of at least 4 MiB.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Image configs are JSON too and read into memory; same cap as docker/distribution's default. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** JSON files of archives and layouts (index.json, manifest.json, repositories). */
export const MAX_METADATA_BYTES = 16 * 1024 * 1024;
/** Registry error bodies (go-containerregistry caps them the same way). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Nesting depth of any JSON kimg reads from outside (manifests, indexes, configs, index.json, manifest.json).
 * Real documents nest at most ~6 levels (index → manifests[] → descriptor → platform → os.features[]); 128
 * leaves room for artifact configs and stays far below Go encoding/json's limit of 10000 (what skopeo and the
 * registry parse), so whatever kimg stores skopeo can read, and far below the depth where recursive code over
 * the parsed value (zod, canonical JSON, format conversion) would exhaust the stack.
 */
export const DEFAULT_MAX_JSON_DEPTH = 128;
export const MAX_JSON_DEPTH_ENV = 'KIMG_MAX_JSON_DEPTH';

/**
 * A bound that the environment may change (`KIMG_MAX_…`), for tests that need a small cap and users with an
 * unusual input: a positive whole number, for sizes optionally with a binary unit (`4096`, `16MiB`, `16m`). Any
 * other value is an error naming the variable. The one parser of such variables (JSON depth, tar entries, the
 * Kubefile's limits, discovery's file sizes).
 */
export function limitFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = parseCount(text);
  if (value === undefined) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `${name}=${text} is not a positive number`,
      'write a whole number, for sizes optionally followed by KiB, MiB or GiB',
    );
  }
  return value;
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** "4096", "16MiB", "16m" → a positive safe integer; undefined for anything else. */
function parseCount(text: string): number | undefined {
  const match = /^\s*(\d{1,15})\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) return undefined;
  const value = Number(match[1]) * unit;
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}

export function maxJsonDepth(env: NodeJS.ProcessEnv = process.env): number {
  return limitFromEnv(MAX_JSON_DEPTH_ENV, DEFAULT_MAX_JSON_DEPTH, env);
}
