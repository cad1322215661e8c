import { createHash } from 'node:crypto';
import { KimgError } from '../errors';

/**
 * Digests as the OCI image-spec defines them (descriptor.md "Digests"): `algorithm ":" encoded`.
 * We accept the two registered algorithms; sha256 is what we produce.
 */
export type Digest = `${string}:${string}`;
export type DigestAlgorithm = 'sha256' | 'sha512';

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_PATTERN = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

export function parseDigest(value: string): ParsedDigest {
  const checked = checkDigest(value);
  if ('problem' in checked) throw new KimgError('DIGEST_INVALID', checked.problem, checked.hint);
  return checked;
}

/** Without building an error: a tag is not a digest, and references are asked this for every tag (~7 ms a sync). */
export function isDigest(value: string): value is Digest {
  return !('problem' in checkDigest(value));
}

function checkDigest(value: string): ParsedDigest | { problem: string; hint: string } {
  const match = DIGEST_PATTERN.exec(value);
  if (!match)
    return { problem: `invalid digest "${value}"`, hint: 'a digest looks like sha256:<64 hex digits>' };
  const algorithm = match[1] as string;
  const encoded = match[2] as string;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    return {
      problem: `unsupported digest algorithm "${algorithm}" in "${value}"`,
      hint: 'use sha256 or sha512',
    };
  }
  // image-spec: registered algorithms use lowercase hex of a fixed length.
  if (encoded.length !== ENCODED_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(encoded)) {
    return {
      problem: `invalid ${algorithm} digest "${value}"`,
      hint: `the encoded part must be ${ENCODED_LENGTH[algorithm]} lowercase hex digits`,
    };
  }
  return { algorithm, encoded };
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** The hex part alone, e.g. for blob file names (`blobs/<alg>/<encoded>`). */
export function encodedPart(digest: string): string {
  return parseDigest(digest).encoded;
}
