import { isDigest } from '../../digest';
import { NAME_TOTAL_LENGTH_MAX, PATH_COMPONENT_PATTERN, TAG_PATTERN } from '../../reference';
import { RegistryHttpError } from './registry-errors';

/** What a request path asks for (distribution-spec "Endpoints"), with its name and digest already validated. */
export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; tag?: string; digest?: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string }
  /** Blob uploads: a read-only server refuses them as writes. */
  | { kind: 'upload'; name: string };

// The path is matched as sent, never percent-decoded: no name, tag or digest has a `%`, so `%2e%2e` or `%00`
// cannot match anything, and `..` cannot be a name component (it must start with [a-z0-9]).
const TAIL = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;
const UPLOADS = /^\/v2\/(.+)\/blobs\/uploads(?:\/.*)?$/;

/**
 * Parses the path part of a request URL. Unknown paths are a 404 (the registry's router answers them so);
 * a name outside the distribution grammar is NAME_INVALID, a malformed digest DIGEST_INVALID (400 both), before
 * anything is looked up, so nothing outside the storage's layout can ever be named.
 */
export function parseRoute(path: string): Route {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const upload = UPLOADS.exec(path);
  if (upload) return { kind: 'upload', name: checkName(upload[1] as string) };
  const tags = TAGS.exec(path);
  if (tags) return { kind: 'tags', name: checkName(tags[1] as string) };
  const tail = TAIL.exec(path);
  if (!tail) throw new RegistryHttpError(404, 'NOT_FOUND', 'no such endpoint');
  const name = checkName(tail[1] as string);
  const last = tail[3] as string;
  const what = tail[2] as 'manifests' | 'blobs' | 'referrers';
  if (what === 'manifests') {
    if (last.includes(':')) return { kind: 'manifest', name, digest: checkDigest(last) };
    if (!TAG_PATTERN.test(last))
      throw new RegistryHttpError(404, 'MANIFEST_UNKNOWN', `invalid tag "${last}"`);
    return { kind: 'manifest', name, tag: last };
  }
  return { kind: what === 'blobs' ? 'blob' : 'referrers', name, digest: checkDigest(last) };
}

/** distribution/reference: path components joined by `/`, at most 255 characters. */
function checkName(name: string): string {
  if (
    name.length > NAME_TOTAL_LENGTH_MAX ||
    !name.split('/').every((part) => PATH_COMPONENT_PATTERN.test(part))
  ) {
    throw new RegistryHttpError(400, 'NAME_INVALID', 'invalid repository name');
  }
  return name;
}

function checkDigest(digest: string): string {
  if (!isDigest(digest)) throw new RegistryHttpError(400, 'DIGEST_INVALID', 'invalid digest');
  return digest;
}
