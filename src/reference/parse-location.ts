import { isKimgError, KimgError } from '../errors';
import { withDefaultTag } from './format-reference';
import { OCI_REF_NAME_PATTERN } from './grammar';
import type { DockerArchiveRef, ImageLocation, StoreLocation } from './image-location';
import { parseReference } from './parse-reference';
import { withoutUserinfo } from './userinfo';

const TRANSPORT_HINT =
  'kimg reads NAME (its store), docker://REF, oci:DIR[:REF], oci-archive:FILE[:REF], ' +
  'docker-archive:FILE[:REF|@N], docker-daemon:REF and registry-dir:DIR[:REF]';

/** skopeo transports kimg does not implement; named so `dir:/tmp/x` gets "unknown transport", not "bad name". */
const FOREIGN_TRANSPORTS = ['dir', 'containers-storage', 'ostree', 'sif', 'tarball'];

const FULL_IMAGE_ID = /^(?:sha256:)?([a-f0-9]{64})$/;
const IMAGE_ID_PREFIX = /^[a-f0-9]{4,63}$/;

function invalid(input: string, problem: string, hint = TRANSPORT_HINT): KimgError {
  return new KimgError(
    'INVALID_REFERENCE',
    `invalid image location "${withoutUserinfo(input)}": ${problem}`,
    hint,
  );
}

/**
 * Parses `TRANSPORT:REST` as skopeo does (containers/image alltransports.ParseImageName), except that a bare
 * name means kimg's store. A known prefix wins over a store name that happens to look like it (`oci:latest`
 * is the layout directory "latest"). The path is what comes before the first ':' after the prefix
 * (containers/image internal/image SplitPathAndImage), so a DIR or FILE cannot contain ':'.
 * Names without tag or digest get `latest`, as containers/image's TagNameOnly does.
 */
export function parseImageLocation(input: string): ImageLocation {
  if (input.startsWith('docker://')) {
    const rest = input.slice('docker://'.length);
    if (rest === '')
      throw invalid(input, 'no reference after docker://', 'write docker://REGISTRY/REPOSITORY:TAG');
    return { transport: 'docker', reference: withDefaultTag(parseReference(rest)) };
  }
  const prefix = /^([a-z][a-z0-9+.-]*):/.exec(input)?.[1];
  const rest = prefix === undefined ? '' : input.slice(prefix.length + 1);
  switch (prefix) {
    case 'oci':
    case 'oci-archive': {
      const { path, ref } = splitPathAndRef(input, rest, prefix === 'oci' ? 'DIR' : 'FILE');
      if (ref !== undefined && !OCI_REF_NAME_PATTERN.test(ref)) {
        throw invalid(
          input,
          `"${ref}" is not a valid OCI ref name`,
          'a REF is letters and digits separated by one of -._:@+ or "/" (image-spec annotations.md)',
        );
      }
      const withRef = ref === undefined ? {} : { ref };
      return prefix === 'oci'
        ? { transport: 'oci', dir: path, ...withRef }
        : { transport: 'oci-archive', file: path, ...withRef };
    }
    case 'docker-archive': {
      const { path, ref } = splitPathAndRef(input, rest, 'FILE');
      return {
        transport: 'docker-archive',
        file: path,
        ...(ref !== undefined && { ref: dockerArchiveRef(input, ref) }),
      };
    }
    case 'registry-dir': {
      const { path, ref } = splitPathAndRef(input, rest, 'DIR');
      return {
        transport: 'registry-dir',
        dir: path,
        ...(ref !== undefined && { ref: withDefaultTag(parseReference(ref)) }),
      };
    }
    case 'docker-daemon':
      return dockerDaemonLocation(input, rest);
    case 'docker':
      throw invalid(input, 'a registry reference starts with docker://', `did you mean "docker://${rest}"?`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input)) {
    throw new KimgError(
      'UNKNOWN_TRANSPORT',
      `unknown transport in "${withoutUserinfo(input)}"`,
      TRANSPORT_HINT,
    );
  }
  return storeLocation(input, prefix);
}

function splitPathAndRef(input: string, rest: string, what: 'DIR' | 'FILE'): { path: string; ref?: string } {
  const colon = rest.indexOf(':');
  const path = colon === -1 ? rest : rest.slice(0, colon);
  if (path === '')
    throw invalid(
      input,
      `no ${what} after the transport prefix`,
      `write TRANSPORT:${what}[:REF], e.g. oci:/tmp/layout:app`,
    );
  if (colon === -1) return { path };
  const ref = rest.slice(colon + 1);
  if (ref === '')
    throw invalid(
      input,
      `it ends with ":" but has no REF`,
      `remove the ":" to mean the only image in the ${what}, or add a REF`,
    );
  return { path, ref };
}

function dockerArchiveRef(input: string, ref: string): DockerArchiveRef {
  if (ref.startsWith('@')) {
    // containers/image docker-archive: "@N" is the N-th image of manifest.json, counted from 0.
    const digits = ref.slice(1);
    if (!/^\d+$/.test(digits) || !Number.isSafeInteger(Number(digits))) {
      throw invalid(
        input,
        `"${ref}" is not an image index`,
        'write @N with N counted from 0, e.g. docker-archive:images.tar:@1',
      );
    }
    return { kind: 'index', index: Number(digits) };
  }
  const reference = withDefaultTag(parseReference(ref));
  if (reference.digest !== undefined) {
    throw invalid(input, 'a docker archive names images by tag, not by digest', 'use NAME:TAG or @N');
  }
  return { kind: 'name', reference };
}

function dockerDaemonLocation(input: string, rest: string): ImageLocation {
  if (rest === '')
    throw invalid(
      input,
      'no reference after docker-daemon:',
      'write docker-daemon:NAME:TAG or docker-daemon:sha256:<id>',
    );
  const id = FULL_IMAGE_ID.exec(rest)?.[1];
  if (id !== undefined) return { transport: 'docker-daemon', id: `sha256:${id}` };
  const reference = withDefaultTag(parseReference(rest));
  if (reference.tag !== undefined && reference.digest !== undefined) {
    // containers/image daemon_transport.go: the Engine API cannot select by tag and digest at once.
    throw invalid(
      input,
      'the Docker daemon cannot use a tag and a digest together',
      'keep only the tag or only the digest',
    );
  }
  return { transport: 'docker-daemon', reference };
}

function storeLocation(input: string, prefix: string | undefined): StoreLocation {
  const id = FULL_IMAGE_ID.exec(input)?.[1];
  if (id !== undefined) return { transport: 'store', id: `sha256:${id}` };
  if (prefix === 'sha256') {
    throw invalid(
      input,
      'an image ID with sha256: must have all 64 hex digits',
      'write the full ID, or a short ID prefix without "sha256:"',
    );
  }
  try {
    const reference = withDefaultTag(parseReference(input));
    return IMAGE_ID_PREFIX.test(input)
      ? { transport: 'store', reference, idPrefix: input }
      : { transport: 'store', reference };
  } catch (err) {
    if (
      prefix !== undefined &&
      FOREIGN_TRANSPORTS.includes(prefix) &&
      isKimgError(err, 'INVALID_REFERENCE')
    ) {
      throw new KimgError(
        'UNKNOWN_TRANSPORT',
        `kimg does not support the "${prefix}:" transport in "${withoutUserinfo(input)}"`,
        TRANSPORT_HINT,
        { cause: err },
      );
    }
    throw err;
  }
}
