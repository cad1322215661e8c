import { KimgError } from '../../errors';
import { MAX_MANIFEST_BYTES } from '../../manifest/limits';
import { readLimited } from '../http/body';
import { label, paths, type RepositoryContext } from './context';
import { DEFAULT_PAGE_SIZE } from './options';
import { nextLink, PageWalk, type ListingLimits } from './pagination';
import type { RegistrySession } from './session';

/**
 * Tag and catalog listings (spec "end-8a/8b", distribution's `_catalog`): pages of `n` names linked by `Link`.
 * Each page is a small JSON document; we bound it like a manifest.
 */
export interface ListOptions {
  /** `n`: names per page asked of the registry (it may return fewer). */
  pageSize?: number;
  signal?: AbortSignal;
}

/** Longer than any name the grammars allow (tags ≤ 128 characters, repository names ≤ 255): refused. */
const MAX_NAME_LENGTH = 256;

async function* pages(
  session: RegistrySession,
  first: string,
  key: 'tags' | 'repositories',
  scopes: string[],
  what: string,
  options: ListOptions & { limits?: ListingLimits },
): AsyncGenerator<string[]> {
  let url: URL = new URL(
    `${first}?n=${options.pageSize ?? DEFAULT_PAGE_SIZE}`,
    await session.originUrl(options.signal),
  );
  const walk = new PageWalk(what, options.limits);
  for (;;) {
    walk.visit(url);
    const response = await session.request({
      method: 'GET',
      path: url,
      lane: 'small',
      scopes,
      expect: [200],
      context: { what, notFound: 'NAME_UNKNOWN' },
      signal: options.signal,
    });
    const next = nextLink(response.headers.link, response.url);
    const body = await readLimited(response.body, MAX_MANIFEST_BYTES, `${what}: a page`, {
      describe: response.describeError,
    });
    let names: unknown;
    try {
      names = (JSON.parse(body.toString('utf8')) as Record<string, unknown>)[key];
    } catch {
      throw new KimgError('REGISTRY_ERROR', `${what}: the registry answered with something that is not JSON`);
    }
    // distribution answers `"tags": null` for a repository whose tags were all deleted.
    if (
      names !== null &&
      names !== undefined &&
      !(
        Array.isArray(names) &&
        names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= MAX_NAME_LENGTH)
      )
    ) {
      throw new KimgError('REGISTRY_ERROR', `${what}: "${key}" is not a list of names`);
    }
    const page = (names as string[] | null) ?? [];
    walk.add(page.length);
    yield page;
    if (!next) return;
    url = next;
  }
}

export function tagPages(ctx: RepositoryContext, options: ListOptions = {}): AsyncGenerator<string[]> {
  return pages(ctx.session, paths.tags(ctx.name), 'tags', ctx.scopes, `listing tags of ${label(ctx)}`, {
    ...options,
    limits: ctx.listing,
  });
}

export async function listTags(ctx: RepositoryContext, options: ListOptions = {}): Promise<string[]> {
  const all: string[] = [];
  for await (const page of tagPages(ctx, options)) all.push(...page);
  return all;
}

/** `GET /v2/_catalog` (distribution extension): every repository name, with the `registry:catalog:*` scope. */
export async function listRepositories(
  session: RegistrySession,
  options: ListOptions & { limits?: ListingLimits } = {},
): Promise<string[]> {
  const all: string[] = [];
  for await (const page of pages(
    session,
    paths.catalog(),
    'repositories',
    ['registry:catalog:*'],
    `listing the catalog of ${session.host}`,
    options,
  )) {
    all.push(...page);
  }
  return all;
}
