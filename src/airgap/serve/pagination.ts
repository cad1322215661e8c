import { RegistryHttpError } from './registry-errors';

/** distribution's `catalog.maxentries` default: a catalog page never holds more, whatever `n` asks. */
export const CATALOG_MAX_ENTRIES = 1000;

export interface Page {
  items: string[];
  /** The `Link: <…>; rel="next"` header value when more items follow. */
  link?: string;
}

/**
 * distribution-spec "Listing Tags" / catalog pagination: items sorted, those after `last`, at most `n`; when
 * more remain, a `Link` to the next page (`last` = the final item sent, same `n`). `n` must be a whole number
 * (PAGINATION_NUMBER_INVALID otherwise); `n=0` is an empty page.
 */
export function paginate(
  sorted: readonly string[],
  query: URLSearchParams,
  path: string,
  maxEntries = Number.POSITIVE_INFINITY,
): Page {
  const nText = query.get('n');
  if (nText !== null && !/^\d{1,9}$/.test(nText)) {
    throw new RegistryHttpError(
      400,
      'PAGINATION_NUMBER_INVALID',
      `invalid number of results requested: "${nText}"`,
    );
  }
  const n = Math.min(nText === null ? maxEntries : Number(nText), maxEntries);
  const last = query.get('last');
  const after = last === null ? sorted : sorted.filter((item) => item > last);
  const items = after.slice(0, n);
  const final = items[items.length - 1];
  if (after.length <= items.length || final === undefined) return { items };
  const next = new URLSearchParams({ last: final, ...(Number.isFinite(n) && { n: String(n) }) });
  return { items, link: `<${path}?${next.toString()}>; rel="next"` };
}
