import { KimgError } from '../../errors';
import { parseReference, type ImageReference } from '../../reference';

/**
 * A remote APP/CNI/CSI source, parsed (pure; the planner reports a bad one with its Kubefile position):
 * - `http(s)://…` — a file; a `.tgz` is a packaged chart (sealer downloads such URLs into the app's folder);
 * - `helm://HOST[:PORT]/PATH/CHART[@VERSION]` — CHART from the chart repository at `HOST/PATH` (its
 *   `index.yaml`), VERSION a version or a semver range, the latest stable one when omitted (as `helm pull`);
 * - `oci://REGISTRY/REPO[:VERSION|@sha256:…]` — a chart as `helm push` stores it in a registry, the latest
 *   stable semver tag when no tag is given (as Helm does for OCI).
 */
export type RemoteSource =
  | { kind: 'url'; written: string; url: URL; chart: boolean }
  | { kind: 'helm'; written: string; host: string; path: string; chart: string; version?: string }
  | { kind: 'oci'; written: string; reference: ImageReference; chart: string };

/** Chart names are file names in a repository index and directory names in the image. */
const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function isRemoteSource(written: string): boolean {
  return /^(https?|helm|oci):\/\//i.test(written);
}

/** Parses `written`; a KimgError (`APP_SOURCE_INVALID`) says what is wrong and how it is spelt. */
export function parseRemoteSource(written: string): RemoteSource {
  const scheme = /^([a-z]+):\/\//i.exec(written)?.[1]?.toLowerCase();
  const rest = written.slice((scheme?.length ?? 0) + 3);
  if (scheme === 'http' || scheme === 'https') return urlSource(written);
  if (scheme === 'helm') return helmSource(written, rest);
  if (scheme === 'oci') return ociSource(written, rest);
  throw invalid(
    written,
    'is not an http(s)://, helm:// or oci:// source',
    'see docs/airgap.md "Remote sources"',
  );
}

function urlSource(written: string): RemoteSource {
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    throw invalid(written, 'is not a URL', 'write https://HOST/PATH');
  }
  // The source as written is kept in the image's io.kimg.apps label: a password there would ship with it.
  if (url.username !== '' || url.password !== '') {
    throw invalid(
      '(a URL with credentials)',
      'carries user:password, which would be stored in the image',
      'serve the file without credentials, or download it into the build context and name it local://PATH',
    );
  }
  return { kind: 'url', written, url, chart: url.pathname.endsWith('.tgz') };
}

function helmSource(written: string, rest: string): RemoteSource {
  const at = rest.indexOf('@');
  const location = at === -1 ? rest : rest.slice(0, at);
  const version = at === -1 ? undefined : rest.slice(at + 1);
  const slash = location.lastIndexOf('/');
  const chart = location.slice(slash + 1);
  const repository = slash === -1 ? '' : location.slice(0, slash);
  const firstSlash = repository.indexOf('/');
  const host = firstSlash === -1 ? repository : repository.slice(0, firstSlash);
  const how =
    'write helm://HOST[:PORT]/PATH/CHART[@VERSION], e.g. helm://charts.bitnami.com/bitnami/redis@18.1.0';
  if (host === '' || /[@\s]/.test(host) || !CHART_NAME.test(chart)) {
    throw invalid(written, 'names no chart repository host and chart', how);
  }
  if (version === '') throw invalid(written, 'has an empty version after "@"', how);
  return {
    kind: 'helm',
    written,
    host,
    path: firstSlash === -1 ? '' : repository.slice(firstSlash + 1),
    chart,
    ...(version !== undefined && { version }),
  };
}

function ociSource(written: string, rest: string): RemoteSource {
  const how =
    'write oci://REGISTRY/REPO/CHART:VERSION, e.g. oci://registry-1.docker.io/bitnamicharts/redis:18.1.0';
  let reference: ImageReference;
  try {
    reference = parseReference(rest);
  } catch (err) {
    throw invalid(written, `is not a registry reference (${(err as Error).message})`, how);
  }
  // Helm's OCI references always name their registry; a bare `charts/x` must not silently mean Docker Hub.
  const first = rest.split('/')[0] ?? '';
  if (!rest.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw invalid(written, 'names no registry host', how);
  }
  const chart = reference.path.split('/').pop() ?? '';
  return { kind: 'oci', written, reference, chart };
}

function invalid(written: string, problem: string, hint: string): KimgError {
  return new KimgError('APP_SOURCE_INVALID', `source ${written} ${problem}`, hint);
}
