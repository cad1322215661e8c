/**
 * OCI whiteouts (image-spec layer.md, "Whiteouts"): `.wh.NAME` removes NAME from the lower layers of its
 * directory, `.wh..wh..opq` hides everything the lower layers put in it. Other `.wh..wh.` names are AUFS
 * metadata (`.wh..wh.plnk`, `.wh..wh.aufs`), which moby's applier skips and so do we. A whiteout must name one
 * entry of its directory: `.wh.` alone, `.wh..` and `.wh...` would name the directory itself or its parent —
 * an applier that joined them to a path would delete the target or what holds it — so they are refused.
 */
export type Whiteout =
  | { kind: 'none' }
  | { kind: 'opaque' }
  | { kind: 'metadata' }
  | { kind: 'remove'; name: string }
  | { kind: 'invalid'; name: string };

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
const METADATA_PREFIX = '.wh..wh.';

/** A member inside AUFS metadata (`.wh..wh.plnk/…`): skipped with the directory, as moby does. */
export function inAufsMetadata(parts: readonly string[]): boolean {
  return parts.some((part) => part.startsWith(METADATA_PREFIX) && part !== OPAQUE_WHITEOUT);
}

export function whiteoutOf(base: string): Whiteout {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque' };
  if (base.startsWith(METADATA_PREFIX)) return { kind: 'metadata' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return { kind: 'invalid', name };
  return { kind: 'remove', name };
}
