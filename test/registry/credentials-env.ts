import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeTempDir } from '../harness';

/** A sandbox HOME with every auth file location under one temp dir; nothing of the real user's is read. */
export interface AuthSandbox {
  root: string;
  home: string;
  env: NodeJS.ProcessEnv;
  paths: {
    registryAuthFile: string;
    runtime: string;
    xdgConfig: string;
    dockerConfigDir: string;
    homeDocker: string;
    legacy: string;
  };
}

export async function makeAuthSandbox(): Promise<AuthSandbox> {
  const root = await makeTempDir('kimg-creds-');
  const home = join(root, 'home');
  const runtimeDir = join(root, 'run');
  await mkdir(home, { recursive: true });
  await mkdir(runtimeDir, { recursive: true });
  return {
    root,
    home,
    // XDG_CONFIG_HOME inside the sandbox too, so a developer's ~/.config never leaks into a test.
    env: {
      HOME: home,
      XDG_RUNTIME_DIR: runtimeDir,
      XDG_CONFIG_HOME: join(home, '.config'),
      PATH: process.env.PATH,
    },
    paths: {
      registryAuthFile: join(root, 'registry-auth.json'),
      runtime: join(runtimeDir, 'containers', 'auth.json'),
      xdgConfig: join(home, '.config', 'containers', 'auth.json'),
      dockerConfigDir: join(root, 'docker-config'),
      homeDocker: join(home, '.docker', 'config.json'),
      legacy: join(home, '.dockercfg'),
    },
  };
}

export function basicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(value));
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/**
 * docker-credential-kimgtest: a real helper program speaking the docker-credential-helpers protocol, backed by
 * a JSON file ($KIMGTEST_STORE). KIMGTEST_FAIL=1 makes every call fail while echoing its input, to check that
 * secrets are redacted from the error. Returns the bin dir to put first on PATH.
 */
export async function installTestHelper(root: string): Promise<string> {
  const bin = join(root, 'bin');
  await mkdir(bin, { recursive: true });
  const program = join(bin, 'docker-credential-kimgtest');
  await writeFile(
    program,
    `#!${process.execPath}
const fs = require('fs');
const file = process.env.KIMGTEST_STORE;
const action = process.argv[2];
const input = fs.readFileSync(0, 'utf8');
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
fs.appendFileSync(file + '.log', action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input) + '\\n');
if (process.env.KIMGTEST_FAIL) { process.stdout.write('boom: ' + input); process.exit(3); }
const notFound = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
if (action === 'get') {
  const entry = db[input.trim()];
  if (!entry) notFound();
  process.stdout.write(JSON.stringify({ ServerURL: input.trim(), Username: entry.Username, Secret: entry.Secret }));
} else if (action === 'store') {
  const c = JSON.parse(input);
  db[c.ServerURL] = { Username: c.Username, Secret: c.Secret };
  fs.writeFileSync(file, JSON.stringify(db));
} else if (action === 'erase') {
  if (!db[input.trim()]) notFound();
  delete db[input.trim()];
  fs.writeFileSync(file, JSON.stringify(db));
} else {
  process.stdout.write('unknown action ' + action);
  process.exit(1);
}
`,
  );
  await chmod(program, 0o755);
  return bin;
}
