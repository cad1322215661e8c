import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where logins are read from and written to. `kind` decides how Docker Hub is spelled when a new entry is
 * written ('docker': the v1 URL docker login uses) and whether the file is the legacy bare map.
 */
export interface AuthFileLocation {
  path: string;
  kind: 'containers' | 'docker' | 'legacy';
}

export interface AuthFileLocations {
  /** Searched in order; the first file holding credentials for the registry wins. */
  read: AuthFileLocation[];
  /** Where store and erase act. */
  write: AuthFileLocation;
  /** A directory that must already exist before writing (a mistyped $XDG_RUNTIME_DIR should not be created). */
  writeRequiresDir?: string;
}

export interface AuthPathOptions {
  authfile?: string;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
}

/**
 * The search order of podman and skopeo (containers/image pkg/docker/config getAuthFilePaths and
 * containers-auth.json(5)):
 * 1. the primary file: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
 *    /run/containers/$UID/auth.json (where root's podman logins live when XDG_RUNTIME_DIR is unset);
 * 2. ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json;
 * 3. $DOCKER_CONFIG/config.json, else ~/.docker/config.json;
 * 4. ~/.dockercfg (legacy, read-only).
 * --authfile replaces all of them. Writes go to the primary file like podman login; without XDG_RUNTIME_DIR
 * we write docker's config.json instead, since /run/containers/$UID is not writable for ordinary users.
 */
export function authFileLocations(options: AuthPathOptions): AuthFileLocations {
  if (options.authfile) {
    const only: AuthFileLocation = { path: options.authfile, kind: 'containers' };
    return { read: [only], write: only };
  }
  const { env } = options;
  const home = options.homeDir ?? env.HOME ?? homedir();
  const docker: AuthFileLocation = {
    path: env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(home, '.docker', 'config.json'),
    kind: 'docker',
  };
  const xdgConfigHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const rest: AuthFileLocation[] = [
    { path: join(xdgConfigHome, 'containers', 'auth.json'), kind: 'containers' },
    docker,
    { path: join(home, '.dockercfg'), kind: 'legacy' },
  ];
  if (env.REGISTRY_AUTH_FILE) {
    const primary: AuthFileLocation = { path: env.REGISTRY_AUTH_FILE, kind: 'containers' };
    return { read: [primary, ...rest], write: primary };
  }
  if (env.XDG_RUNTIME_DIR) {
    const primary: AuthFileLocation = {
      path: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
      kind: 'containers',
    };
    return { read: [primary, ...rest], write: primary, writeRequiresDir: env.XDG_RUNTIME_DIR };
  }
  const uid = process.getuid?.() ?? 0;
  const perUid: AuthFileLocation = { path: `/run/containers/${uid}/auth.json`, kind: 'containers' };
  return { read: [perUid, ...rest], write: docker };
}
