import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VerifyingStream } from '../../digest';
import type { Descriptor } from '../../manifest';
import type { ArchiveMembers } from './archive-members';

/**
 * A member of the archive as a verified blob: the member's bytes (read at their offset, never extracted) through
 * a VerifyingStream, so a corrupt or swapped member fails the read with DIGEST_MISMATCH / SIZE_MISMATCH.
 */
export function openVerified(
  tar: ArchiveMembers,
  member: string,
  desc: Descriptor,
  description: string,
  signal?: AbortSignal,
): Readable {
  const verifying = new VerifyingStream({
    digest: desc.digest,
    size: desc.size,
    label: `${member} (${desc.digest}) in ${description}`,
  });
  // pipeline forwards errors of either side to `verifying` (what the caller reads) and closes the file on early exit.
  pipeline(tar.openEntry(member), verifying, { signal }).catch(() => undefined);
  return verifying;
}
