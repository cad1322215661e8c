import { stat } from 'node:fs/promises';
import { KimgError } from '../../errors';
import type { AuthEntry, AuthFile } from './auth-file';
import { decodeAuthEntry, encodeAuthEntry } from './auth-file';
import { readAuthFile, writeAuthFile } from './auth-file-io';
import { withAuthFileLock } from './auth-file-lock';
import { authFileLocations, type AuthFileLocation } from './auth-paths';
import {
  helperErase,
  helperGet,
  helperStore,
  HELPER_PROGRAM_PREFIX,
  type HelperContext,
} from './credential-helper';
import {
  DOCKER_HUB_AUTH_KEY,
  DOCKER_HUB_HOST,
  lookupKeys,
  normalizeRegistryKey,
  registryHostOf,
} from './registry-key';
import type { CredentialCallOptions, CredentialStore } from './types';

export interface CredentialStoreOptions {
  /** `--authfile`: the only file read and written. */
  authfile?: string;
  /** Environment for the file search and for credential helpers (PATH). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: $HOME, else os.homedir(). */
  homeDir?: string;
}

/** Logins in podman's and docker's files and helpers; see README.md for the search order. */
export function createCredentialStore(options: CredentialStoreOptions = {}): CredentialStore {
  const env = options.env ?? process.env;
  const locations = authFileLocations({ authfile: options.authfile, env, homeDir: options.homeDir });
  const context = (file: string, call?: CredentialCallOptions): HelperContext => ({
    env,
    signal: call?.signal,
    configuredIn: file,
  });

  return {
    async get(registry, call) {
      const keys = lookupKeys(registry);
      for (const location of locations.read) {
        const file = await readAuthFile(location);
        if (!file) continue;
        // credHelpers[host] first, alone (docker/cli and containers/image agree). docker then asks credsStore
        // only, but docker login leaves just `{}` placeholders in `auths` then, so reading the entries before
        // the store only adds logins other tools wrote there.
        const own = helperFor(file, registry, false);
        if (own) {
          const found = await helperGet(own, registry, context(location.path, call));
          if (found) return found;
          continue;
        }
        const entries = normalizedEntries(file);
        for (const key of keys) {
          const entry = entries.get(key);
          const found = entry && decodeAuthEntry(entry.value, location.path, entry.key);
          if (found) return found;
        }
        if (file.credsStore) {
          const found = await helperGet(file.credsStore, registry, context(location.path, call));
          if (found) return found;
        }
      }
      return undefined;
    },

    // store and erase are locked read-modify-writes (auth-file-lock.ts): two logins at once keep both entries.
    async store(registry, credentials, call) {
      const target = locations.write;
      await checkWritable(locations.writeRequiresDir);
      return withAuthFileLock(target.path, async (assertHeld) => {
        const file = (await readAuthFile(target)) ?? {};
        const helper = helperFor(file, registry, true);
        if (helper) {
          rejectNamespace(registry, helper);
          await helperStore(helper, registry, credentials, context(target.path, call));
          return `credential helper: ${HELPER_PROGRAM_PREFIX}${helper}`;
        }
        const auths = { ...(file.auths ?? {}) };
        const removed = removeEntries(auths, registry);
        // Reuse the spelling already in the file; otherwise write the one the file's own tool writes.
        const key = removed[0]?.key ?? newKey(registry, target);
        const { auth: _auth, identitytoken: _token, ...kept } = removed[0]?.value ?? {};
        auths[key] = { ...kept, ...encodeAuthEntry(credentials) };
        assertHeld();
        await writeAuthFile(target.path, { ...file, auths });
        return target.path;
      });
    },

    async erase(registry, call) {
      const target = locations.write;
      // No file, nothing to erase: no lock (nor directory for it) to make.
      if (!(await readAuthFile(target))) return false;
      return withAuthFileLock(target.path, async (assertHeld) => {
        const file = await readAuthFile(target);
        if (!file) return false;
        let erased = false;
        const helper = helperFor(file, registry, true);
        if (helper) {
          rejectNamespace(registry, helper);
          erased = await helperErase(helper, registry, context(target.path, call));
        }
        const auths = { ...(file.auths ?? {}) };
        // docker logout with a credsStore also drops the `{}` placeholder docker login left in `auths`.
        if (removeEntries(auths, registry).length > 0) {
          assertHeld();
          await writeAuthFile(target.path, { ...file, auths });
          erased = true;
        }
        return erased;
      });
    },
  };
}

/** credHelpers[host] (keys normalized, so `https://index.docker.io/v1/` names docker.io), else credsStore. */
function helperFor(file: AuthFile, registry: string, withStore: boolean): string | undefined {
  const host = registryHostOf(registry);
  for (const [key, name] of Object.entries(file.credHelpers ?? {})) {
    if (name && normalizeRegistryKey(key) === host) return name;
  }
  return withStore && file.credsStore ? file.credsStore : undefined;
}

/** Entries by normalized key; a key already in normal form beats a URL spelling of the same registry. */
function normalizedEntries(file: AuthFile): Map<string, { key: string; value: AuthEntry }> {
  const map = new Map<string, { key: string; value: AuthEntry }>();
  for (const [key, value] of Object.entries(file.auths ?? {})) {
    const normal = normalizeRegistryKey(key);
    if (!map.has(normal) || key === normal) map.set(normal, { key, value });
  }
  return map;
}

/** Deletes every spelling of exactly this registry location (not its namespaces); returns what was removed. */
function removeEntries(
  auths: Record<string, AuthEntry>,
  registry: string,
): { key: string; value: AuthEntry }[] {
  const wanted = normalizeRegistryKey(registry);
  const removed = Object.entries(auths)
    .filter(([key]) => normalizeRegistryKey(key) === wanted)
    .map(([key, value]) => ({ key, value }));
  for (const { key } of removed) delete auths[key];
  return removed;
}

function newKey(registry: string, target: AuthFileLocation): string {
  const normal = normalizeRegistryKey(registry);
  // docker/cli only finds Docker Hub under the v1 URL in its own config.json.
  return normal === DOCKER_HUB_HOST && target.kind === 'docker' ? DOCKER_HUB_AUTH_KEY : normal;
}

function rejectNamespace(registry: string, helper: string): void {
  if (normalizeRegistryKey(registry).includes('/')) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `credential helper ${HELPER_PROGRAM_PREFIX}${helper} keeps one login per registry host, not per namespace ("${registry}")`,
      `log in to ${registryHostOf(registry)} instead`,
    );
  }
}

/** containers/image getPathToAuth: a set but missing $XDG_RUNTIME_DIR is a mistake, not a dir to create. */
async function checkWritable(requiredDir: string | undefined): Promise<void> {
  if (!requiredDir) return;
  const exists = await stat(requiredDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!exists) {
    throw new KimgError(
      'IO_ERROR',
      `directory ${requiredDir} set by $XDG_RUNTIME_DIR does not exist`,
      'create the directory, unset XDG_RUNTIME_DIR, or pass --authfile FILE',
    );
  }
}
