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
 * The key of a COPY/ADD layer's bytes alone (issue 13 item 3): what the tar and its compression depend on — the
 * planned copy (sources, dest, flags), whether dest is an existing directory, the resolved owner, the content
 * key and the byte-affecting settings — and not the parent chain. A rebuild whose earlier steps changed only
 * config (a LABEL, an ENV) misses the step key but finds the layer here: nothing is recompressed.
 */
export function layerKey(
  copy: unknown,
  layout: { intoDir: boolean; owner: { uid: number; gid: number } | undefined },
  content: string,
  settings: object,
): Digest {
  return digestJson({ layer: { copy, ...layout, owner: layout.owner ?? null }, content, settings });
}

/**
 * A content-free key for a COPY: whether one like it (same planned copy, same settings) was ever built with
 * this store. If not, no step or layer key can hit, so a context file the stat index does not know is not read
 * just to compute a key that will miss — it is read once, by the layer writer, and the step keyed on its diff ID.
 */
export function probeKey(copy: unknown, settings: object): Digest {
  return digestJson({ probe: copy, settings });
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
