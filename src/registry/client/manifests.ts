import { KimgError } from '../../errors';
import { digestOf, isDigest, parseDigest } from '../../digest';
import type { Descriptor } from '../../manifest/descriptor';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { MediaType } from '../../manifest/media-types';
import { discard, readLimited } from '../http/body';
import { header, type HttpResponse } from '../http/transport';
import { label, paths, scopesWith, type RepositoryContext } from './context';
import { unexpected } from './session';

/**
 * Manifests (spec "end-3", "end-7", "end-9"): GET/HEAD/PUT/DELETE by tag or digest. Every GET is verified:
 * the bytes must hash to the digest asked for, and to the `Docker-Content-Digest` the registry claims.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
];

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
  /** For conditional updates (`If-Match`), when the registry sends one. */
  etag?: string;
}

function mediaTypeOf(response: HttpResponse): string | undefined {
  const type = header(response.headers, 'content-type')?.split(';')[0]?.trim();
  // Some registries and proxies answer every manifest as application/json: that names nothing.
  return type && type !== 'application/json' && type !== 'text/plain' ? type : undefined;
}

function manifestContext(ctx: RepositoryContext, reference: string, verb: string) {
  return {
    what: `${verb} manifest ${label(ctx, isDigest(reference) ? `@${reference}` : `:${reference}`)}`,
    notFound: 'MANIFEST_UNKNOWN' as const,
  };
}

export async function getManifest(
  ctx: RepositoryContext,
  reference: string,
  options: { accept?: readonly string[]; signal?: AbortSignal } = {},
): Promise<FetchedManifest> {
  const context = manifestContext(ctx, reference, 'fetching');
  const response = await ctx.session.request({
    method: 'GET',
    path: paths.manifest(ctx.name, reference),
    headers: { accept: (options.accept ?? MANIFEST_ACCEPT).join(', ') },
    lane: 'small',
    scopes: ctx.scopes,
    expect: [200],
    context,
    signal: options.signal,
  });
  const length = Number(header(response.headers, 'content-length') ?? NaN);
  if (length > MAX_MANIFEST_BYTES) {
    await discard(response.body);
    throw new KimgError(
      'SIZE_LIMIT',
      `${context.what}: the manifest is ${length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      'kimg refuses manifests this large: the registry is broken or hostile',
    );
  }
  const bytes = await readLimited(response.body, MAX_MANIFEST_BYTES, `${context.what}: the manifest`, {
    describe: response.describeError,
  });
  const digest = verifyManifest(
    bytes,
    reference,
    header(response.headers, 'docker-content-digest'),
    context.what,
  );
  let mediaType = mediaTypeOf(response);
  try {
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof declared === 'string') mediaType = declared;
  } catch {
    // Not JSON: parseManifest reports it where the content is used.
  }
  return {
    descriptor: { mediaType: mediaType ?? MediaType.OciManifest, digest, size: bytes.length },
    bytes,
    etag: header(response.headers, 'etag'),
  };
}

/**
 * The digest of fetched manifest bytes, refusing them when they do not match the digest asked for or the one the
 * registry claims (a registry or proxy serving other content than it says is the attack digests exist for).
 */
export function verifyManifest(
  bytes: Buffer,
  reference: string,
  claimed: string | undefined,
  what: string,
): string {
  const refuse = (detail: string) =>
    new KimgError(
      'DIGEST_MISMATCH',
      `${what}: ${detail}`,
      'the registry returned other content than asked; do not trust it',
    );
  if (isDigest(reference)) {
    const actual = digestOf(bytes, parseDigest(reference).algorithm);
    if (actual !== reference) throw refuse(`the content hashes to ${actual}`);
  }
  if (claimed !== undefined && isDigest(claimed)) {
    const actual = digestOf(bytes, parseDigest(claimed).algorithm);
    if (actual !== claimed)
      throw refuse(`Docker-Content-Digest says ${claimed} but the content hashes to ${actual}`);
    if (
      isDigest(reference) &&
      parseDigest(reference).algorithm === parseDigest(claimed).algorithm &&
      claimed !== reference
    ) {
      throw refuse(`Docker-Content-Digest says ${claimed}`);
    }
  }
  return isDigest(reference) ? reference : digestOf(bytes);
}

/**
 * HEAD a manifest: its descriptor without the body (spec "end-3"), undefined when absent. A registry that sends no
 * Docker-Content-Digest on a HEAD by tag makes us GET instead (go-containerregistry does the same).
 */
export async function headManifest(
  ctx: RepositoryContext,
  reference: string,
  options: { accept?: readonly string[]; signal?: AbortSignal } = {},
): Promise<Descriptor | undefined> {
  const response = await ctx.session.request({
    method: 'HEAD',
    path: paths.manifest(ctx.name, reference),
    headers: { accept: (options.accept ?? MANIFEST_ACCEPT).join(', ') },
    lane: 'small',
    scopes: ctx.scopes,
    expect: [200, 404],
    context: manifestContext(ctx, reference, 'checking'),
    signal: options.signal,
  });
  await discard(response.body);
  if (response.status === 404) return undefined;
  const claimed = header(response.headers, 'docker-content-digest');
  const size = Number(header(response.headers, 'content-length'));
  const mediaType = mediaTypeOf(response);
  if (!claimed || !isDigest(claimed) || !Number.isSafeInteger(size) || !mediaType) {
    return (await getManifest(ctx, reference, options)).descriptor;
  }
  if (
    isDigest(reference) &&
    claimed !== reference &&
    parseDigest(claimed).algorithm === parseDigest(reference).algorithm
  ) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `${manifestContext(ctx, reference, 'checking').what}: the registry says ${claimed}`,
    );
  }
  return { mediaType, digest: isDigest(reference) ? reference : claimed, size };
}

export interface PutManifestResult {
  digest: string;
  /** `OCI-Subject` (spec "pushing manifests with subject"): present when the registry indexed the referrer. */
  subject?: string;
}

/** `PUT /v2/<name>/manifests/<reference>` with the exact bytes (never re-serialized: that would change the digest). */
export async function putManifest(
  ctx: RepositoryContext,
  reference: string,
  bytes: Buffer,
  mediaType: string,
  options: { signal?: AbortSignal; headers?: Record<string, string>; expect?: number[] } = {},
): Promise<PutManifestResult & { status: number }> {
  const digest = digestOf(bytes, isDigest(reference) ? parseDigest(reference).algorithm : 'sha256');
  if (isDigest(reference) && digest !== reference) {
    throw new KimgError(
      'DIGEST_MISMATCH',
      `pushing manifest ${label(ctx, `@${reference}`)}: the bytes hash to ${digest}`,
    );
  }
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new KimgError(
      'SIZE_LIMIT',
      `pushing manifest ${label(ctx)}: ${bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit registries must accept`,
    );
  }
  const response = await ctx.session.request({
    method: 'PUT',
    path: paths.manifest(ctx.name, reference),
    headers: { 'content-type': mediaType, 'content-length': String(bytes.length), ...options.headers },
    body: bytes,
    lane: 'small',
    scopes: ctx.scopes,
    expect: options.expect ?? [201],
    context: manifestContext(ctx, reference, 'pushing'),
    signal: options.signal,
  });
  await discard(response.body);
  const claimed = header(response.headers, 'docker-content-digest');
  if (
    response.status === 201 &&
    claimed &&
    isDigest(claimed) &&
    parseDigest(claimed).algorithm === 'sha256' &&
    claimed !== digest &&
    !isDigest(reference)
  ) {
    throw unexpected(
      `pushing manifest ${label(ctx, `:${reference}`)}`,
      `stored as ${claimed}, not ${digest}`,
    );
  }
  return { digest, subject: header(response.headers, 'oci-subject'), status: response.status };
}

/** `DELETE /v2/<name>/manifests/<digest>` (distribution needs `delete: enabled`; spec 1.1 also allows a tag). */
export async function deleteManifest(
  ctx: RepositoryContext,
  reference: string,
  signal?: AbortSignal,
): Promise<void> {
  const response = await ctx.session.request({
    method: 'DELETE',
    path: paths.manifest(ctx.name, reference),
    lane: 'small',
    scopes: scopesWith(ctx, 'delete'),
    expect: [202],
    context: manifestContext(ctx, reference, 'deleting'),
    signal,
  });
  await discard(response.body);
}
