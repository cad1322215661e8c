import { isKimgError, KimgError } from '../errors';
import { parseDigest } from '../digest';
import {
  DEFAULT_DOMAIN,
  DOMAIN_PATTERN,
  IMAGE_ID_PATTERN,
  LEGACY_DEFAULT_DOMAIN,
  NAME_TOTAL_LENGTH_MAX,
  OFFICIAL_REPOSITORY_PREFIX,
  PATH_COMPONENT_PATTERN,
  TAG_PATTERN,
} from './grammar';
import type { ImageReference } from './image-reference';
import { refuseUserinfo } from './userinfo';

const FORMAT_HINT =
  'a reference looks like nginx, nginx:1.27, quay.io/org/app:v1 or registry:5000/app@sha256:<64 hex>';

function invalid(input: string, problem: string, hint = FORMAT_HINT, cause?: unknown): KimgError {
  return new KimgError(
    'INVALID_REFERENCE',
    `invalid reference "${input}": ${problem}`,
    hint,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses and normalizes a reference the way docker does (distribution/reference ParseNormalizedNamed):
 * no domain → docker.io; index.docker.io → docker.io; a single component on docker.io → library/NAME.
 * The first component is a domain only when it contains '.' or ':' or is 'localhost' (normalize.go
 * splitDockerDomain), so `user/app` is a Docker Hub repository and `registry:5000/app` is not.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw invalid(input, 'it is empty');
  refuseUserinfo(input); // before any message repeats the input
  if (input.trim() !== input || /\s/.test(input)) throw invalid(input, 'it contains whitespace');
  if (IMAGE_ID_PATTERN.test(input)) {
    throw invalid(
      input,
      'a 64-hex string is an image ID, not a name',
      'name the image, or use sha256:<id> to select it by ID',
    );
  }

  // The digest follows the first '@'; it contains ':' itself, so it must be cut before looking for the tag.
  const at = input.indexOf('@');
  const digest = at === -1 ? undefined : parseReferenceDigest(input, input.slice(at + 1));
  const nameAndTag = at === -1 ? input : input.slice(0, at);

  // A tag follows the last ':' that comes after the last '/': the ':' of `host:5000/app` belongs to the domain.
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
  if (tag !== undefined) checkTag(input, tag);

  const { domain, path } = splitDomain(input, name);
  checkPath(input, path, name);
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(
      input,
      `the repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`,
      'use a shorter name',
    );
  }
  return { domain, path, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

function splitDomain(input: string, name: string): { domain: string; path: string } {
  if (name === '') throw invalid(input, 'the repository name is empty');
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isDomain = first.includes('.') || first.includes(':') || first === 'localhost';
  let domain = isDomain ? first : DEFAULT_DOMAIN;
  let path = isDomain ? name.slice(slash + 1) : name;
  if (isDomain && !DOMAIN_PATTERN.test(domain)) {
    throw invalid(input, `"${domain}" is not a valid registry host[:port]`);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && path !== '' && !path.includes('/'))
    path = OFFICIAL_REPOSITORY_PREFIX + path;
  return { domain, path };
}

/** `name` is the name as written (a prefix of `input`), used to suggest its lowercase form. */
function checkPath(input: string, path: string, name: string): void {
  if (path === '') throw invalid(input, 'the repository name is empty');
  if (path !== path.toLowerCase()) {
    // normalize.go: "repository name must be lowercase". Tags and digests keep their case.
    const lowered = name.toLowerCase() + input.slice(name.length);
    throw invalid(input, 'the repository name must be lowercase', `did you mean "${lowered}"?`);
  }
  for (const component of path.split('/')) {
    if (component === '')
      throw invalid(
        input,
        'the repository name has an empty path component ("//" or a leading or trailing "/")',
      );
    if (!PATH_COMPONENT_PATTERN.test(component)) {
      throw invalid(
        input,
        `"${component}" is not a valid path component`,
        'path components are lowercase letters and digits, separated by one ".", one or two "_", or dashes',
      );
    }
  }
}

function checkTag(input: string, tag: string): void {
  if (tag === '') throw invalid(input, 'it ends with ":" but has no tag', 'remove the ":" or add a tag');
  if (!TAG_PATTERN.test(tag)) {
    throw invalid(
      input,
      `"${tag}" is not a valid tag`,
      'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"',
    );
  }
}

function parseReferenceDigest(input: string, digest: string): string {
  if (digest === '')
    throw invalid(input, 'it ends with "@" but has no digest', 'remove the "@" or add sha256:<64 hex>');
  try {
    parseDigest(digest);
    return digest;
  } catch (err) {
    if (isKimgError(err)) throw invalid(input, err.message, err.hint, err);
    throw err;
  }
}
