import { createHash } from 'node:crypto';
import type { Digest } from '../../digest';
import { canonicalJson } from '../../manifest/canonical-json';

/**
 * A step's cache key (issue 5, item 6): its parent's key, the instruction as planned (every variable expanded,
 * flags included) and the digest of what it reads (context files, an earlier stage's key, an image digest).
 * The chain makes a change anywhere invalidate exactly the steps after it, as docker's layer cache does.
 */
export function stepKey(parent: string, action: unknown, content: string | undefined): Digest {
  return digestJson({ parent, action, content: content ?? null });
}

/**
 * The key a stage starts from. The build settings that change a layer's bytes without changing any
 * instruction — compression, timestamp — are part of it, so a gzip layer is never reused for a zstd build.
 */
export function baseKey(base: unknown, settings: object): Digest {
  return digestJson({ base, settings });
}

/**
 * The key of the `registry/` layer: the exact set of embedded images (stored name, digest), the platforms kept,
 * and the timestamp its members carry. Tags are resolved before the key is made (a HEAD each), so a rebuild
 * that changes no image reuses the layer without pulling, and a moved tag makes a new layer.
 */
export function registryLayerKey(
  images: readonly { name: string; digest: string }[],
  platforms: readonly string[],
  timestamp: number,
): Digest {
  const set = images
    .map(({ name, digest }) => `${name} ${digest}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return digestJson({ registryLayer: set, platforms, timestamp });
}

function digestJson(value: unknown): Digest {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
