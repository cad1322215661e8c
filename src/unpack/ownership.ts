import { KimgError } from '../errors';

/**
 * Who owns what an unpack writes, and what happens to setuid/setgid bits (issue 11: a host install needs both,
 * by an explicit policy; a build needs neither):
 * - `ignore` (default): files belong to the unpacking user, as umoci's rootless unpack and buildah's vfs copy do;
 *   the build only reads the tree back, so ids in the tar do not matter there.
 * - `keep`: the tar's uid/gid, as root does in `umoci unpack` and containerd's applier. Only root can give a file
 *   to another user, so asking for it without root is refused before anything is written.
 * - `{ map }`: ids translated (a user namespace's range, `uid + 100000`), as `umoci unpack --uid-map` does.
 * Setuid/setgid bits (`setid`): `keep` (default: a build must carry them into its layers, and install as root
 * wants them) or `strip` (an unpack whose files should not grant anyone another user's rights).
 */
export type Ownership = 'ignore' | 'keep' | { map(id: Owner): Owner };

export interface Owner {
  uid: number;
  gid: number;
}

export interface OwnershipPolicy {
  /** The owner to give a member with the tar's ids `id`, or undefined to leave it to the unpacking user. */
  ownerOf(id: Owner): Owner | undefined;
  /** The mode to set (setuid/setgid bits stripped when asked). */
  modeOf(mode: number): number;
}

const SETID_BITS = 0o6000;

export function ownershipPolicy(
  ownership: Ownership = 'ignore',
  setid: 'keep' | 'strip' = 'keep',
  isRoot: boolean = process.getuid?.() === 0,
): OwnershipPolicy {
  if (ownership === 'keep' && !isRoot) {
    throw new KimgError(
      'UNSUPPORTED',
      'keeping the owners recorded in a tar needs root: only root may give a file to another user',
      "unpack as root, or with ownership 'ignore' (files owned by you) or an id map",
    );
  }
  return {
    ownerOf: (id) => (ownership === 'ignore' ? undefined : ownership === 'keep' ? id : ownership.map(id)),
    modeOf: (mode) => (setid === 'strip' ? mode & ~SETID_BITS : mode),
  };
}
