import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomImage } from '../fixtures/random-image';
import {
  certDir,
  defaultGrant,
  kimg,
  makeTempDir,
  removeTempDirs,
  startRegistry,
  type RunResult,
  type RunningRegistry,
  type TestUser,
} from '../harness';

/**
 * Issue 3, Tests: "a test scans all output and logs of a failing authenticated run for the password and token".
 * Failing runs, with and without --debug (stack traces and one line per HTTP request), must never print a
 * password, the Basic header made from it, or a JWT the token server issued.
 */
const JWT = /eyJ[\w-]+\.eyJ[\w-]+/;

const allowed: TestUser = { username: 'alice', password: 'alice-Secret-7f3c9e1d2b' };
const denied: TestUser = { username: 'mallory', password: 'mallory-Secret-0a8b6c4e2f' };

/** Everything a run could leak: each password, its Basic header value, both halves of a colon-joined pair. */
function secretsOf(users: TestUser[]): string[] {
  return users.flatMap((u) => [
    u.password,
    Buffer.from(`${u.username}:${u.password}`).toString('base64'),
    encodeURIComponent(u.password),
  ]);
}

function expectNoSecrets(result: RunResult, secrets: string[]): void {
  const text = result.stdout + result.stderr;
  for (const secret of secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(JWT);
}

let work: string;
let token: RunningRegistry;
let basic: RunningRegistry;
let certs: string;
let layout: string;

beforeAll(async () => {
  work = await makeTempDir('kimg-secrets-');
  [token, basic] = await Promise.all([
    startRegistry({
      auth: 'token',
      users: [allowed, denied],
      // mallory gets a token, but one that grants nothing on secret/*: every request is refused.
      grant: (user, requested) => (user === denied.username ? [] : defaultGrant(user, requested)),
    }),
    startRegistry({ auth: 'htpasswd', tls: true, users: [allowed] }),
  ]);
  certs = await certDir(basic.caCertPem as string);
  layout = join(work, 'layout');
  await writeRandomImage(layout, { ref: 'app', layers: 1, seed: 31 });
}, 60_000);

afterAll(async () => {
  await Promise.all([token?.stop(), basic?.stop()]);
  await removeTempDirs();
});

async function loginOk(registry: RunningRegistry, user: TestUser, authfile: string, extra: string[] = []) {
  const result = await kimg(
    ['login', registry.host, '-u', user.username, '--password-stdin', '--authfile', authfile, ...extra],
    { input: user.password },
  );
  expect(result.code).toBe(0);
  expectNoSecrets(result, secretsOf([user]));
  expect((await stat(authfile)).mode & 0o777).toBe(0o600);
}

describe('failing authenticated runs print no secrets', () => {
  for (const debug of [[], ['--debug']]) {
    const label = debug.length ? 'with --debug' : 'without --debug';

    it(`wrong passwords at login (${label})`, async () => {
      const authfile = join(work, `wrong-${debug.length}.json`);
      const wrongToken = await kimg(
        ['login', token.host, '-u', allowed.username, '--password-stdin', '--authfile', authfile, ...debug],
        { input: denied.password },
      );
      const wrongBasic = await kimg([
        'login',
        basic.host,
        '-u',
        allowed.username,
        '-p',
        denied.password,
        '--authfile',
        authfile,
        '--cert-dir',
        certs,
        ...debug,
      ]);
      for (const result of [wrongToken, wrongBasic]) {
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('refused the username or password');
        expectNoSecrets(result, secretsOf([allowed, denied]));
      }
      await expect(stat(authfile)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it(`a user the token server issues tokens to but grants nothing (${label})`, async () => {
      const authfile = join(work, `denied-${debug.length}.json`);
      await loginOk(token, denied, authfile);
      const server = token.tokenServer;
      if (!server) throw new Error('no token server');
      server.requests.splice(0);
      const repo = `docker://${token.host}/secret/app`;
      const runs = [
        await kimg(['tags', repo, '--authfile', authfile, ...debug]),
        await kimg(['delete', `${repo}:v1`, '--authfile', authfile, ...debug]),
        await kimg(['copy', `oci:${layout}:app`, `${repo}:v1`, '--authfile', authfile, ...debug]),
      ];
      for (const result of runs) {
        expect(result.code).not.toBe(0);
        expectNoSecrets(result, secretsOf([allowed, denied]));
      }
      // The scan means something: tokens were issued to mallory during these runs (and none was printed).
      expect(server.requests).toContainEqual(expect.objectContaining({ user: denied.username, status: 200 }));
      if (debug.length) expect(runs[0]?.stderr).toContain('kimg: debug: GET');
    });

    it(`a saved password the registry no longer accepts (${label})`, async () => {
      // Same user, other password: as after a password change on the registry side.
      const stale = join(work, `stale-copy-${debug.length}.json`);
      const staleUser = { ...allowed, password: denied.password };
      await writeFile(
        stale,
        JSON.stringify({
          auths: {
            [basic.host]: {
              auth: Buffer.from(`${staleUser.username}:${staleUser.password}`).toString('base64'),
            },
          },
        }),
        { mode: 0o600 },
      );
      const result = await kimg([
        'tags',
        `docker://${basic.host}/secret/app`,
        '--authfile',
        stale,
        '--cert-dir',
        certs,
        ...debug,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`kimg login ${basic.host}`);
      expectNoSecrets(result, secretsOf([allowed, denied]));
    });
  }
});
