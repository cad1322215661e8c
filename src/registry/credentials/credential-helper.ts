import { spawn } from 'node:child_process';
import { KimgError } from '../../errors';
import { redactSecrets } from './redact';
import { helperServerUrls } from './registry-key';
import type { Credentials } from './types';

/**
 * The docker credential helper protocol (github.com/docker/docker-credential-helpers, client/client.go):
 * `docker-credential-NAME get|store|erase`, the server URL (get, erase) or {ServerURL, Username, Secret} JSON
 * (store) on stdin, {Username, Secret} JSON on stdout for get. A missing entry is exit status 1 with this
 * exact text on stdout (credentials/error.go errCredentialsNotFoundMessage).
 */
export const HELPER_PROGRAM_PREFIX = 'docker-credential-';
export const HELPER_NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
/** docker/cli native_store.go: a helper entry with this username holds an identity token. */
export const IDENTITY_TOKEN_USERNAME = '<token>';
/** What we read of a helper's output; a real answer is a few hundred bytes. */
const MAX_HELPER_OUTPUT = 1 << 20;

export interface HelperContext {
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The auth file that named the helper, for the "how to fix" hint. */
  configuredIn?: string;
}

export async function helperGet(
  name: string,
  registry: string,
  ctx: HelperContext,
): Promise<Credentials | undefined> {
  for (const serverUrl of helperServerUrls(registry)) {
    const out = await runHelper(name, 'get', serverUrl, ctx, []);
    if (out === undefined) continue;
    let reply: { Username?: unknown; Secret?: unknown };
    try {
      reply = JSON.parse(out) as typeof reply;
    } catch {
      // Not quoted: it may be a secret.
      throw new KimgError(
        'CREDENTIAL_HELPER_FAILED',
        `${HELPER_PROGRAM_PREFIX}${name} get printed no credentials JSON`,
      );
    }
    const username = typeof reply.Username === 'string' ? reply.Username : '';
    const secret = typeof reply.Secret === 'string' ? reply.Secret : '';
    if (!secret) continue;
    if (username === IDENTITY_TOKEN_USERNAME) return { identityToken: secret };
    if (username) return { username, password: secret };
  }
  return undefined;
}

export async function helperStore(
  name: string,
  registry: string,
  creds: Credentials,
  ctx: HelperContext,
): Promise<void> {
  const serverUrl = helperServerUrls(registry)[0] as string;
  const token = 'identityToken' in creds;
  const secret = token ? creds.identityToken : creds.password;
  const input = JSON.stringify({
    ServerURL: serverUrl,
    Username: token ? IDENTITY_TOKEN_USERNAME : creds.username,
    Secret: secret,
  });
  // Redact the secret however a helper might echo it back: raw, JSON-escaped, or inside the input JSON.
  await runHelper(name, 'store', input, ctx, [input, secret, JSON.stringify(secret).slice(1, -1)]);
}

/** True when the helper had something to erase (under either Docker Hub spelling). */
export async function helperErase(name: string, registry: string, ctx: HelperContext): Promise<boolean> {
  let erased = false;
  for (const serverUrl of helperServerUrls(registry)) {
    if ((await runHelper(name, 'erase', serverUrl, ctx, [])) !== undefined) erased = true;
  }
  return erased;
}

/** Runs one helper call: stdout on success, undefined for "not found", a KimgError otherwise. */
function runHelper(
  name: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  ctx: HelperContext,
  secrets: string[],
): Promise<string | undefined> {
  const program = HELPER_PROGRAM_PREFIX + name;
  // The name comes from a config file: a slash would make spawn run a path instead of searching PATH.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    return Promise.reject(
      new KimgError('CREDENTIAL_HELPER_FAILED', `invalid credential helper name "${name}"`),
    );
  }
  return new Promise((resolve, reject) => {
    // env.PATH is what spawn searches, so a caller's env decides which helper runs (tests rely on it).
    const child = spawn(program, [action], {
      env: ctx.env,
      signal: ctx.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_HELPER_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    // A helper that exits without reading stdin makes our write fail with EPIPE; its exit status says why.
    child.stdin.on('error', () => undefined);
    child.on('error', (err: NodeJS.ErrnoException) => reject(spawnError(program, err, ctx.configuredIn)));
    child.on('close', (code) => {
      if (code === 0) return resolve(output);
      if (output.trim() === HELPER_NOT_FOUND_MESSAGE) return resolve(undefined);
      const said = redactSecrets(output.trim(), secrets).slice(0, 500);
      reject(
        new KimgError(
          'CREDENTIAL_HELPER_FAILED',
          `${program} ${action} failed (exit status ${code ?? 'killed'})${said ? `: ${said}` : ''}`,
          `check that ${program} works: echo SERVER | ${program} get`,
        ),
      );
    });
    child.stdin.end(input);
  });
}

function spawnError(program: string, err: NodeJS.ErrnoException, configuredIn = 'your auth file'): KimgError {
  if (err.name === 'AbortError')
    return new KimgError('ABORTED', `${program} was stopped`, undefined, { cause: err });
  if (err.code === 'ENOENT' || err.code === 'EACCES') {
    return new KimgError(
      'CREDENTIAL_HELPER_NOT_FOUND',
      `credential helper ${program} is not installed or not executable (searched PATH)`,
      `install ${program} on PATH, or remove it from "credHelpers"/"credsStore" in ${configuredIn}`,
    );
  }
  return new KimgError('CREDENTIAL_HELPER_FAILED', `cannot run ${program}: ${err.message}`, undefined, {
    cause: err,
  });
}
