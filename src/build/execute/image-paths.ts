import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Descriptor } from '../../manifest/descriptor';
import type { ReadOnlyTarget } from '../../transport/types';
import type { StageImage } from '../image/stage-image';
import { readTar, UnpackBudget, type UnpackLimits } from '../../unpack';

/** What a stage's filesystem has at a path; files small enough come with their content. */
export type PathState = { type: 'file'; content?: Buffer } | { type: 'directory' } | { type: 'other' };

/** /etc/passwd-sized files are read; anything larger is reported without content. */
const MAX_CONTENT_BYTES = 1 << 20;
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * What a stage holds at `paths` (relative to `/`, no leading slash) without unpacking it: layers are read from
 * the top down and the first layer that says anything about a path decides (image-spec layer.md "Whiteouts"):
 * an entry for it, an entry below it (an implied directory), a whiteout of it or of a parent, an opaque parent,
 * or a parent replaced by a non-directory. Undecided after the last layer: absent. The layers read count against
 * the unpack caps (`limits`), as unpacking them would: a layer bomb is stopped here too, not read to its end.
 */
export async function lookupPaths(
  stage: StageImage,
  store: ReadOnlyTarget,
  paths: readonly string[],
  signal?: AbortSignal,
  limits?: Partial<UnpackLimits>,
): Promise<Map<string, PathState | undefined>> {
  const decided = new Map<string, PathState | undefined>();
  const budget = new UnpackBudget(limits);
  for (const layer of [...stage.layers].reverse()) {
    const open = paths.filter((path) => !decided.has(path));
    if (open.length === 0) break;
    const seen = await scanLayer(store, layer, open, budget, signal);
    for (const path of open) {
      const verdict = decide(path, seen);
      if (verdict !== 'undecided') decided.set(path, verdict);
    }
  }
  return new Map(paths.map((path) => [path, decided.get(path)]));
}

interface LayerFacts {
  entries: Map<string, PathState>;
  /** Every member name (whiteouts excluded), to see implied directories and replaced parents. */
  names: Set<string>;
  whiteouts: Set<string>;
  opaque: Set<string>;
}

function decide(path: string, facts: LayerFacts): PathState | undefined | 'undecided' {
  const entry = facts.entries.get(path);
  if (entry) return entry;
  for (const name of facts.names) if (name.startsWith(`${path}/`)) return { type: 'directory' };
  const parents = ancestors(path);
  if (facts.whiteouts.has(path) || parents.some((p) => facts.whiteouts.has(p))) return undefined;
  if (parents.some((p) => facts.opaque.has(p))) return undefined;
  const replaced = parents.some((p) => facts.entries.get(p)?.type === 'file');
  return replaced ? undefined : 'undecided';
}

/** `a/b/c` → `a/b`, `a`, and `` (the root, for an opaque marker at the top). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    out.push(dir === '.' ? '' : dir);
    if (dir === '.' || dir === '/') return out;
  }
}

async function scanLayer(
  store: ReadOnlyTarget,
  layer: Descriptor,
  paths: readonly string[],
  budget: UnpackBudget,
  signal: AbortSignal | undefined,
): Promise<LayerFacts> {
  const what = `layer ${layer.digest}`;
  const wanted = new Set(paths);
  const parents = new Set(paths.flatMap(ancestors));
  const facts: LayerFacts = { entries: new Map(), names: new Set(), whiteouts: new Set(), opaque: new Set() };
  const reading = await readTar(await store.fetch(layer, signal ? { signal } : {}), budget, what, signal);
  for await (const entry of reading.entries) {
    const content = entry.content;
    const name = entry.header.name
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .join('/');
    const base = posix.basename(name);
    const dir = posix.dirname(name) === '.' ? '' : posix.dirname(name);
    if (base === OPAQUE) facts.opaque.add(dir);
    else if (base.startsWith(WHITEOUT)) facts.whiteouts.add(posix.join(dir, base.slice(WHITEOUT.length)));
    else if (name !== '') {
      facts.names.add(name);
      const type = entry.header.type;
      if (wanted.has(name) || parents.has(name)) {
        const small = type === 'file' && (entry.header.size ?? 0) <= MAX_CONTENT_BYTES;
        facts.entries.set(
          name,
          type === 'directory'
            ? { type: 'directory' }
            : type === 'file'
              ? { type: 'file', ...(small && wanted.has(name) && { content: await readAll(content) }) }
              : { type: 'other' },
        );
      }
    }
  }
  return facts;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
