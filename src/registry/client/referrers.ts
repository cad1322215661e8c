import { KimgError } from '../../errors';
import { parseDigest } from '../../digest';
import type { Descriptor } from '../../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { MediaType } from '../../manifest/media-types';
import { imageIndexSchema } from '../../manifest/schemas';
import { isRegistryError } from '../errors';
import { discard, readLimited } from '../http/body';
import { header } from '../http/transport';
import { label, paths, type RepositoryContext } from './context';
import { getManifest, putManifest } from './manifests';
import { nextLink, PageWalk } from './pagination';

/**
 * Referrers (distribution-spec 1.1 "Listing Referrers", "end-12a/b") with the referrers tag schema fallback for
 * registries without the API (distribution 2.8, most mirrors): the index tagged `<alg>-<encoded>` lists them.
 */
export function referrersTag(subject: string): string {
  const { algorithm, encoded } = parseDigest(subject);
  // spec: "<alg>-<ref>", alg truncated to 32 characters and ref to 64, so the tag fits the 128-char limit.
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

function parseIndex(bytes: Buffer, what: string): Record<string, unknown> & { manifests: Descriptor[] } {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new KimgError('INDEX_INVALID', `${what} is not JSON`);
  }
  const result = imageIndexSchema.safeParse(json);
  if (!result.success) throw new KimgError('INDEX_INVALID', `${what} is not an image index`);
  return result.data as Record<string, unknown> & { manifests: Descriptor[] };
}

function byType(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
}

async function viaApi(
  ctx: RepositoryContext,
  subject: string,
  artifactType: string | undefined,
  signal?: AbortSignal,
): Promise<Descriptor[] | undefined> {
  const what = `listing referrers of ${label(ctx, `@${subject}`)}`;
  const path =
    paths.referrers(ctx.name, subject) +
    (artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '');
  const all: Descriptor[] = [];
  const walk = new PageWalk(what, ctx.listing);
  let url = new URL(path, await ctx.session.originUrl(signal));
  for (let page = 0; ; page++) {
    walk.visit(url);
    const response = await ctx.session.request({
      method: 'GET',
      path: url,
      headers: { accept: MediaType.OciIndex },
      lane: 'small',
      scopes: ctx.scopes,
      expect: [200, 404],
      context: { what },
      signal,
    });
    if (response.status === 404) {
      // spec: a registry that supports the API answers 200 (an empty index) for an unknown subject; 404 means
      // "no referrers API here" (distribution 2.8 has no such route).
      await discard(response.body);
      if (page > 0) throw new KimgError('REGISTRY_ERROR', `${what}: a next page vanished`);
      return undefined;
    }
    const next = nextLink(response.headers.link, response.url);
    const filtered = (header(response.headers, 'oci-filters-applied') ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('artifactType');
    const index = parseIndex(
      await readLimited(response.body, MAX_MANIFEST_BYTES, what, { describe: response.describeError }),
      what,
    );
    walk.add(index.manifests.length);
    all.push(...(filtered ? index.manifests : byType(index.manifests, artifactType)));
    if (!next) break;
    url = next;
  }
  return all;
}

/** Every manifest whose `subject` is `subject`, optionally only those of one `artifactType`. */
export async function listReferrers(
  ctx: RepositoryContext & { referrersApi?: boolean },
  subject: string,
  options: { artifactType?: string; signal?: AbortSignal } = {},
): Promise<Descriptor[]> {
  if (ctx.referrersApi !== false) {
    const found = await viaApi(ctx, subject, options.artifactType, options.signal);
    ctx.referrersApi = found !== undefined;
    if (found) return found;
  }
  const fallback = await readFallback(ctx, subject, options.signal);
  return byType(fallback?.index.manifests ?? [], options.artifactType);
}

async function readFallback(ctx: RepositoryContext, subject: string, signal?: AbortSignal) {
  try {
    const fetched = await getManifest(ctx, referrersTag(subject), { accept: [MediaType.OciIndex], signal });
    return {
      index: parseIndex(fetched.bytes, `referrers index ${label(ctx, `:${referrersTag(subject)}`)}`),
      etag: fetched.etag,
    };
  } catch (err) {
    if (isRegistryError(err, 404)) return undefined;
    throw err;
  }
}

/** How many times a lost race (412 Precondition Failed) on the fallback index is retried. */
export const FALLBACK_UPDATE_ATTEMPTS = 5;

/**
 * Read-modify-write of the fallback index (spec "Pushing Manifests with Subject", step for registries without
 * the API): GET the tag, change the list, PUT it back with `If-Match: <etag>` (or `If-None-Match: *` when it did
 * not exist) so two writers do not drop each other's entry on registries that support conditional requests;
 * registries that ignore them (distribution 2.8) get last-writer-wins, as with every other client.
 */
export async function updateFallbackIndex(
  ctx: RepositoryContext,
  subject: string,
  change: (manifests: Descriptor[]) => Descriptor[] | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const tag = referrersTag(subject);
  for (let attempt = 0; attempt < FALLBACK_UPDATE_ATTEMPTS; attempt++) {
    const current = await readFallback(ctx, subject, signal);
    const index = current?.index ?? { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    const manifests = change([...index.manifests]);
    if (!manifests) return;
    const bytes = Buffer.from(JSON.stringify({ ...index, mediaType: MediaType.OciIndex, manifests }));
    const condition: Record<string, string> = current
      ? current.etag
        ? { 'if-match': current.etag }
        : {}
      : { 'if-none-match': '*' };
    const result = await putManifest(ctx, tag, bytes, MediaType.OciIndex, {
      headers: condition,
      expect: [201, 412],
      signal,
    });
    if (result.status === 201) return;
  }
  throw new KimgError(
    'REGISTRY_ERROR',
    `updating referrers index ${label(ctx, `:${tag}`)}: other writers kept changing it`,
    'try again',
  );
}

/** The descriptor a referrers index lists for a manifest (spec: artifactType, else config.mediaType; annotations). */
export function referrerDescriptor(desc: Descriptor, bytes: Buffer): Descriptor {
  const json = JSON.parse(bytes.toString('utf8')) as {
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    annotations?: Record<string, string>;
  };
  const artifactType =
    typeof json.artifactType === 'string'
      ? json.artifactType
      : typeof json.config?.mediaType === 'string'
        ? json.config.mediaType
        : undefined;
  return {
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(artifactType ? { artifactType } : {}),
    ...(json.annotations ? { annotations: json.annotations } : {}),
  };
}

export function addReferrer(
  ctx: RepositoryContext,
  subject: string,
  referrer: Descriptor,
  signal?: AbortSignal,
): Promise<void> {
  return updateFallbackIndex(
    ctx,
    subject,
    (list) => (list.some((d) => d.digest === referrer.digest) ? undefined : [...list, referrer]),
    signal,
  );
}

export function removeReferrer(
  ctx: RepositoryContext,
  subject: string,
  digest: string,
  signal?: AbortSignal,
): Promise<void> {
  return updateFallbackIndex(
    ctx,
    subject,
    (list) => (list.some((d) => d.digest === digest) ? list.filter((d) => d.digest !== digest) : undefined),
    signal,
  );
}
