import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { KimgError } from '../errors';
import { readBoundedFile } from '../fs/read-bounded';
import { memo, zod } from '../lazy/lazy';
import { parsePlatform } from '../manifest/platform';
import { checkSemverRange } from './semver-tags';
import { compileTagPattern, type TagPattern } from './tag-pattern';

/** A sync file is a list of sources, never data: 1 MiB is thousands of repositories. */
export const MAX_SYNC_FILE_BYTES = 1024 * 1024;
/** Flow nesting (`[[[…`) refused before parsing: the yaml parser spends ~1 KB per level (see airgap/discovery). */
const MAX_FLOW_DEPTH = 64;

/** One registry of a sync file: what to copy from it and how to reach it. */
export interface SyncSource {
  registry: string;
  /** Repository → tags and digests to copy; an empty list means every tag (skopeo's `images`). */
  images: Map<string, string[]>;
  /** Repository → the tags to copy (skopeo's `images-by-tag-regex`, unanchored like Go's MatchString). */
  tagPatterns: Map<string, TagPattern>;
  /** Repository → a semver range; tags that are versions in it are copied (skopeo's `images-by-semver`). */
  semverRanges: Map<string, string>;
  tlsVerify?: boolean;
  credentials?: { username: string; password: string };
  certDir?: string;
  /** Ours: `os/arch[/variant]` to copy, or none for every platform. */
  platforms?: string[];
  referrers?: boolean;
  digestTags?: boolean;
  /** Ours: `repository:tag` matching any of these is left out. */
  exclude: TagPattern[];
  /** Ours: blob transfers at once from this registry. */
  concurrency?: number;
  /** `kimg sync HOST DST` (no file): every repository of the catalog, with these tags (default all). */
  everyRepository?: { tags?: TagPattern };
}

const registrySchema = memo(() => {
  const z = zod();
  return z.strictObject({
    images: z.record(z.string(), z.array(z.string()).nullable()).optional(),
    'images-by-tag-regex': z.record(z.string(), z.string()).optional(),
    'images-by-semver': z.record(z.string(), z.string()).optional(),
    'tls-verify': z.boolean().optional(),
    credentials: z.strictObject({ username: z.string(), password: z.string() }).optional(),
    'cert-dir': z.string().optional(),
    platforms: z.array(z.string()).optional(),
    referrers: z.boolean().optional(),
    'digest-tags': z.boolean().optional(),
    exclude: z.array(z.string()).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
  });
});

type RegistryEntry = ReturnType<ReturnType<typeof registrySchema>['parse']>;

interface Problem {
  path: (string | number)[];
  message: string;
}

/** Reads and validates a sync file; nothing is contacted before the whole file is known good. */
export async function readSyncFile(file: string): Promise<SyncSource[]> {
  const bytes = await readBoundedFile(file, {
    what: 'sync file',
    limit: MAX_SYNC_FILE_BYTES,
    limitHint: 'split the file: a sync file lists sources, 1 MiB holds thousands of repositories',
  });
  return parseSyncFile(bytes.toString('utf8'), file);
}

/**
 * Parses skopeo sync's YAML (registry → `images`, `images-by-tag-regex`, `images-by-semver`, `tls-verify`,
 * `credentials`, `cert-dir`; docs/skopeo-sync.1.md) plus kimg's keys. Every problem is reported at once, each
 * with its key path and line (`sync.yaml:7: quay.io > images-by-tag-regex > app: …`), as one SYNC_CONFIG_INVALID.
 */
export function parseSyncFile(text: string, file: string): SyncSource[] {
  checkFlowDepth(text, file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lineCounter.linePos(syntax.pos[0]).line;
    throw invalid([`${file}:${line}: ${syntax.message.split('\n')[0]}`]);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const problems: Problem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid([`${file}:1: expected a map of registries (registry.example.com: {images: …})`]);
  }
  const sources = Object.entries(value).map(([registry, raw]) => checkedSource(registry, raw, problems));
  if (problems.length > 0) {
    throw invalid(
      problems.map((problem) => `${file}:${lineOf(doc, lineCounter, problem.path)}: ${describe(problem)}`),
    );
  }
  return sources;
}

/**
 * One registry's entry through the schema. A wrong entry still has its other keys checked (each on its own),
 * so one run reports every problem of the file, not the first of each registry.
 */
function checkedSource(registry: string, raw: unknown, problems: Problem[]): SyncSource {
  const schema = registrySchema();
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return toSource(registry, parsed.data, problems);
  for (const issue of parsed.error.issues) {
    const path = [registry, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key], message: `unknown key "${key}"` });
    } else {
      problems.push({ path, message: issue.message });
    }
  }
  const salvaged: Record<string, unknown> = {};
  if (typeof raw === 'object' && raw !== null) {
    for (const [key, field] of Object.entries(raw)) {
      const fieldSchema = (schema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>)[
        key
      ];
      if (fieldSchema?.safeParse(field).success) salvaged[key] = field;
    }
  }
  return toSource(registry, salvaged as RegistryEntry, problems);
}

function toSource(registry: string, entry: RegistryEntry, problems: Problem[]): SyncSource {
  const tagPatterns = new Map<string, TagPattern>();
  for (const [repo, source] of Object.entries(entry['images-by-tag-regex'] ?? {})) {
    const pattern = compiled(source, [registry, 'images-by-tag-regex', repo], problems);
    if (pattern) tagPatterns.set(repo, pattern);
  }
  const semverRanges = new Map<string, string>();
  for (const [repo, range] of Object.entries(entry['images-by-semver'] ?? {})) {
    const problem = checkSemverRange(range);
    if (problem) problems.push({ path: [registry, 'images-by-semver', repo], message: problem });
    else semverRanges.set(repo, range);
  }
  (entry.platforms ?? []).forEach((text, at) => {
    if (text === 'all') return;
    try {
      parsePlatform(text);
    } catch (err) {
      problems.push({ path: [registry, 'platforms', at], message: (err as Error).message });
    }
  });
  const exclude = (entry.exclude ?? []).flatMap((source, at) => {
    const pattern = compiled(source, [registry, 'exclude', at], problems);
    return pattern ? [pattern] : [];
  });
  return {
    registry,
    images: new Map(Object.entries(entry.images ?? {}).map(([repo, refs]) => [repo, refs ?? []])),
    tagPatterns,
    semverRanges,
    exclude,
    ...(entry['tls-verify'] !== undefined && { tlsVerify: entry['tls-verify'] }),
    ...(entry.credentials && { credentials: entry.credentials }),
    ...(entry['cert-dir'] !== undefined && { certDir: entry['cert-dir'] }),
    ...(entry.platforms && { platforms: entry.platforms }),
    ...(entry.referrers !== undefined && { referrers: entry.referrers }),
    ...(entry['digest-tags'] !== undefined && { digestTags: entry['digest-tags'] }),
    ...(entry.concurrency !== undefined && { concurrency: entry.concurrency }),
  };
}

function compiled(source: string, path: (string | number)[], problems: Problem[]): TagPattern | undefined {
  try {
    return compileTagPattern(source);
  } catch (err) {
    problems.push({
      path,
      message: `regular expression ${JSON.stringify(source)}: ${(err as Error).message}`,
    });
    return undefined;
  }
}

/** The line of the deepest key of `path` the document has (a key's own line, not its value's). */
function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
    const last = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

function describe(problem: Problem): string {
  return problem.path.length === 0 ? problem.message : `${problem.path.join(' > ')}: ${problem.message}`;
}

function invalid(lines: string[]): KimgError {
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more: ${lines.slice(1).join('; ')})` : '';
  return new KimgError(
    'SYNC_CONFIG_INVALID',
    `${lines[0]}${more}`,
    'fix the sync file (docs/sync.md lists its keys); nothing was copied',
  );
}

function checkFlowDepth(text: string, file: string): void {
  let depth = 0;
  let line = 1;
  for (const char of text) {
    if (char === '\n') line++;
    else if (char === '[' || char === '{') depth++;
    else if ((char === ']' || char === '}') && depth > 0) depth--;
    if (depth > MAX_FLOW_DEPTH)
      throw invalid([`${file}:${line}: nested deeper than ${MAX_FLOW_DEPTH} levels`]);
  }
}
