import { createCredentialStore, type AuthFileLocations } from '../registry/credentials';

/**
 * The other auth file a login for `key` still comes from after `logout` erased the primary one (a
 * `docker login` in ~/.docker/config.json, say), or undefined. Files are read, never changed: podman only
 * reports them too, since another tool owns them.
 */
export async function otherLoginSource(
  key: string,
  locations: AuthFileLocations,
): Promise<string | undefined> {
  for (const location of locations.read) {
    if (location.path === locations.write.path || location.kind === 'legacy') continue;
    try {
      if (await createCredentialStore({ authfile: location.path }).get(key)) return location.path;
    } catch {
      // An unreadable or corrupt file of another tool does not make logout fail; it has nothing to report.
    }
  }
  return undefined;
}
