/**
 * Keys of the `auths` map. Three tools wrote them three ways, and we read all of them:
 * - docker login writes Docker Hub as `https://index.docker.io/v1/` and, for years, wrote whatever URL the user
 *   typed (`https://host/v2/`); docker/cli config/credentials/file_store.go ConvertToHostname strips scheme+path.
 * - podman/skopeo write `host` or a namespace `host/ns/repo` (containers-auth.json(5)), matched most specific first.
 * - Docker Hub answers to docker.io, index.docker.io and registry-1.docker.io
 *   (containers/image pkg/docker/config normalizeRegistry).
 */
export const DOCKER_HUB_HOST = 'docker.io';
/** The key docker login uses for Docker Hub, in files and as the helpers' server URL. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * One spelling per registry location: scheme and URL path dropped only when the key is a URL (a bare
 * `quay.io/org` is a containers namespace key and keeps its path), host lowercased, Docker Hub as docker.io.
 */
export function normalizeRegistryKey(key: string): string {
  let rest = key.trim();
  const url = /^https?:\/\//i.exec(rest);
  if (url) {
    rest = rest.slice(url[0].length).split('/')[0] ?? '';
  }
  rest = rest.replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  const host = (slash === -1 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash === -1 ? '' : rest.slice(slash);
  return (DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_HOST : host) + path;
}

/** The host part of a normalized key: what credential helpers and registries know. */
export function registryHostOf(key: string): string {
  const normalized = normalizeRegistryKey(key);
  return normalized.split('/')[0] ?? normalized;
}

/**
 * The keys to try for `registry`, most specific first: `quay.io/a/b` → `quay.io/a/b`, `quay.io/a`, `quay.io`
 * (containers/image authKeysForRef). All normalized.
 */
export function lookupKeys(registry: string): string[] {
  const keys: string[] = [];
  let key = normalizeRegistryKey(registry);
  for (;;) {
    keys.push(key);
    const slash = key.lastIndexOf('/');
    if (slash === -1) return keys;
    key = key.slice(0, slash);
  }
}

/**
 * The server URL a credential helper is asked about. docker login stores Docker Hub under the v1 URL, podman
 * under `docker.io`; we ask for the docker spelling first and fall back, so either login is found.
 */
export function helperServerUrls(registry: string): string[] {
  const host = registryHostOf(registry);
  return host === DOCKER_HUB_HOST ? [DOCKER_HUB_AUTH_KEY, DOCKER_HUB_HOST] : [host];
}
