import type { Readable } from 'node:stream';
import { KimgError } from '../../errors';
import type { Descriptor } from '../../manifest/descriptor';
import { MANIFEST_ACCEPT, type Repository } from '../../registry';
import type { BlobOpener } from '../capabilities';

/**
 * A manifest by digest, verified by the client (digest asked for and `Docker-Content-Digest`) and checked
 * against the descriptor's size. Its own media type is accepted first, so a registry that converts on the fly
 * (old Docker Hub schema 1 fallbacks) cannot hand us other bytes.
 */
export async function fetchManifest(
  repo: Repository,
  desc: Descriptor,
  signal?: AbortSignal,
): Promise<Buffer> {
  const accept = [...new Set([desc.mediaType, ...MANIFEST_ACCEPT])];
  const { bytes } = await repo.getManifest(desc.digest, { accept, signal });
  return sizeChecked(bytes, desc, repo);
}

/**
 * `bytes`, verified by the client, when they are as long as `desc` says (the digest says nothing about a
 * descriptor's size field: a wrong size in an index would be copied on and refused by strict readers).
 */
export function sizeChecked(bytes: Buffer, desc: Descriptor, repo: Repository): Buffer {
  if (bytes.length !== desc.size) {
    throw new KimgError(
      'SIZE_MISMATCH',
      `manifest ${desc.digest} in ${repo.domain}/${repo.name} is ${bytes.length} bytes, the descriptor says ${desc.size}`,
    );
  }
  return bytes;
}

/**
 * Adapts a stream handed to `push` to the client's opener: the first call returns it, a second (a retry after a
 * failed upload) cannot replay consumed bytes and fails with a hint. Copies between places kimg can re-read use
 * `pushFrom` with a real opener, which the client re-opens per attempt (go-containerregistry's Opener).
 */
export function onceOpener(content: Readable, desc: Descriptor, description: string): BlobOpener {
  let used = false;
  return async () => {
    if (used) {
      content.destroy();
      throw new KimgError(
        'REGISTRY_ERROR',
        `uploading blob ${desc.digest} to ${description} failed and its source stream cannot be read again`,
        'run the command again: blobs already uploaded are skipped',
      );
    }
    used = true;
    return content;
  };
}
