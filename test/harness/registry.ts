import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port';
import { httpRequest } from './http-request';
import { writeHtpasswd, writeRegistryConfig } from './registry-config';
import { makeTempDir } from './temp';
import { makeTestCa } from './tls';
import { startTokenServer, type GrantFunction, type RunningTokenServer, type TestUser } from './token-server';

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  tls?: boolean;
  /** Defaults to one random user when auth is not 'none'. */
  users?: TestUser[];
  /** Kept after stop (the caller owns it); a temp dir otherwise. */
  storageDir?: string;
  /** Deep-merged over the generated config, e.g. `{ log: { level: 'debug' } }`. */
  extraConfig?: object;
  /** Token auth only: the token server's grant policy (default: users pull+push, anonymous pull). */
  grant?: GrantFunction;
  /** Token auth only: lifetime of the tokens the token server issues (default 300 s). */
  tokenExpiresInSeconds?: number;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, for references (`127.0.0.1:PORT/name:tag`). */
  host: string;
  url: string;
  storageDir: string;
  caCertPem?: string;
  caCertPath?: string;
  users: TestUser[];
  tokenServer?: RunningTokenServer;
  logPath: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 5;

/**
 * Starts a real CNCF distribution registry (`docker-registry serve CONFIG`) on a free 127.0.0.1 port, as
 * DESIGN.md "Real components, not mocks" asks. Its output goes to `logPath`, never to the test's stdout.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const auth = options.auth ?? 'none';
  const dir = await makeTempDir('kimg-registry-');
  const storageDir = options.storageDir ?? join(dir, 'storage');
  const users =
    options.users ??
    (auth === 'none' ? [] : [{ username: 'kimg', password: randomBytes(9).toString('hex') }]);
  const ca = options.tls ? await makeTestCa('kimg-registry-ca') : undefined;
  const tls = ca ? await ca.issueServerCert(['127.0.0.1', 'localhost']) : undefined;
  const htpasswdPath = auth === 'htpasswd' ? await writeHtpasswd(dir, users) : undefined;
  const tokenServer =
    auth === 'token'
      ? await startTokenServer({
          users,
          grant: options.grant,
          ...(options.tokenExpiresInSeconds !== undefined && {
            expiresInSeconds: options.tokenExpiresInSeconds,
          }),
        })
      : undefined;
  const logPath = join(dir, 'registry.log');
  const scheme = tls ? 'https' : 'http';

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configPath = await writeRegistryConfig({
      dir,
      storageDir,
      port,
      tls,
      htpasswdPath,
      token: tokenServer,
      extraConfig: options.extraConfig,
    });
    const log = openSync(logPath, 'a');
    const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', log, log] });
    closeSync(log);
    let spawnError: Error | undefined;
    child.on('error', (error) => (spawnError = error)); // e.g. ENOENT: docker-registry is not installed
    const url = `${scheme}://127.0.0.1:${port}`;
    const outcome = await waitReady(child, `${url}/v2/`, ca?.caCertPem);
    if (outcome === 'ready') {
      return {
        host: `127.0.0.1:${port}`,
        url,
        storageDir,
        caCertPem: ca?.caCertPem,
        caCertPath: ca?.caCertPath,
        users,
        tokenServer,
        logPath,
        async stop() {
          await stopChild(child);
          await tokenServer?.stop();
        },
      };
    }
    await stopChild(child);
    const logText = await readFile(logPath, 'utf8').catch(() => '');
    // Another process took the port between freePort() and the registry's bind: pick another one.
    if (outcome === 'exited' && /address already in use/.test(logText) && attempt < START_ATTEMPTS) continue;
    await tokenServer?.stop();
    if (spawnError)
      throw new Error(`cannot run docker-registry (package docker-registry): ${spawnError.message}`);
    throw new Error(`docker-registry did not start (${outcome}); log ${logPath}:\n${logText}`);
  }
}

/** Ready when `GET /v2/` answers 200 (no auth) or 401 (auth on): the API version check of the distribution spec. */
async function waitReady(
  child: ChildProcess,
  url: string,
  ca: string | undefined,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return 'exited';
    const status = await httpRequest(url, { ca, timeoutMs: 2_000 }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) return 'ready';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return 'timeout';
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}
