import { KimgError } from '../errors';
import { MAX_JSON_DEPTH_ENV, maxJsonDepth } from './limits';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Does the JSON text nest objects and arrays deeper than `limit`? One linear pass, no recursion, brackets inside
 * strings ignored (escapes honoured); it stops at the first level past the limit. Malformed text is left for
 * JSON.parse to report.
 */
export function jsonNestsDeeper(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

export interface BoundedJsonOptions {
  /** Names the document in errors. */
  what: string;
  /** Largest accepted size in bytes (the caller's cap from limits.ts). */
  maxBytes: number;
  /** How to raise `maxBytes`, or why it is fixed: the hint of its SIZE_LIMIT error. */
  maxBytesHint?: string;
  /** The error for text that is not JSON (each reader has its code: MANIFEST_INVALID, INDEX_INVALID, …). */
  invalid: (message: string, cause: unknown) => KimgError;
}

/**
 * JSON.parse of outside data with its bounds: size, then nesting depth (KIMG_MAX_JSON_DEPTH, default 128),
 * both checked before parsing, so a document nested a million levels deep never reaches code that recurses.
 */
export function parseBoundedJson(data: Uint8Array | string, options: BoundedJsonOptions): unknown {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > options.maxBytes) {
    throw new KimgError(
      'SIZE_LIMIT',
      `${options.what} is ${size} bytes, over the ${options.maxBytes}-byte limit`,
      options.maxBytesHint ?? 'kimg refuses documents this large: the source is broken or hostile',
    );
  }
  const text =
    typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8');
  const depth = maxJsonDepth();
  if (jsonNestsDeeper(text, depth)) {
    throw new KimgError(
      'SIZE_LIMIT',
      `${options.what} nests JSON more than ${depth} levels deep, over the ${depth}-level limit`,
      `real image documents nest a few levels; ${MAX_JSON_DEPTH_ENV} raises the limit (skopeo reads at most 10000)`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw options.invalid(`${options.what} is not valid JSON: ${(err as Error).message}`, err);
  }
}
