import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { writeRandomImage } from '../fixtures/random-image';
import { basicAuth, httpRequest } from './http-request';
import { decodeToken, signToken, tokenClaims } from './jwt';
import { startRegistry, type RunningRegistry } from './registry';
import { skopeo } from './skopeo';
import { makeTempDir, removeTempDirs } from './temp';
import { makeTestCa } from './tls';
import { defaultGrant, pullOnlyGrant } from './token-server';

// Proves the token server speaks the Docker token protocol to real clients and that the real registry verifies
// its JWTs: a scope that was not granted is refused by docker-registry itself, not by the test.
let registry: RunningRegistry;
let layout: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: 'token' });
  layout = await makeTempDir();
  await writeRandomImage(layout, { ref: 'x', seed: 12 });
});
afterAll(async () => {
  await registry.stop();
  await removeTempDirs();
});

const user = (): { username: string; password: string } => registry.users[0]!;
const tokens = (): NonNullable<RunningRegistry['tokenServer']> => registry.tokenServer!;

async function getToken(scope: string, auth?: string): Promise<{ status: number; token?: string }> {
  const url = new URL(tokens().realm);
  url.searchParams.set('service', tokens().service);
  url.searchParams.append('scope', scope);
  const res = await httpRequest(url.href, { headers: auth ? { authorization: auth } : {} });
  return {
    status: res.status,
    token: res.status === 200 ? JSON.parse(res.body.toString()).token : undefined,
  };
}

const startUpload = (name: string, token: string): Promise<number> =>
  httpRequest(`${registry.url}/v2/${name}/blobs/uploads/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  }).then((res) => res.status);

describe('startTokenServer with a real registry', () => {
  it('skopeo pushes with a token; the server saw the pull,push scope with credentials', async () => {
    tokens().setGrant(defaultGrant);
    const dest = `docker://${registry.host}/tok/img:1`;
    const creds = `--dest-creds=${user().username}:${user().password}`;
    const copy = await skopeo(['copy', '--dest-tls-verify=false', creds, `oci:${layout}:x`, dest]);
    expect(copy.stderr).toBe('');
    expect(copy.code).toBe(0);
    const asked = tokens().requests.filter((r) => r.scopes.includes('repository:tok/img:pull,push'));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.authorization && r.user === user().username && r.status === 200)).toBe(true);
  });

  it('a pull-only grant makes the registry refuse the push', async () => {
    tokens().setGrant(pullOnlyGrant);
    try {
      const creds = `--dest-creds=${user().username}:${user().password}`;
      const dest = `docker://${registry.host}/tok/denied:1`;
      const copy = await skopeo(['copy', '--dest-tls-verify=false', creds, `oci:${layout}:x`, dest]);
      expect(copy.code).not.toBe(0);
      expect(copy.stderr).toMatch(/requested access to the resource is denied/);
      // The refusal came from docker-registry's token access controller, not from the token server.
      expect(await readFile(registry.logPath, 'utf8')).toMatch(
        /insufficient scope.*uri=\/v2\/tok\/denied\/blobs\/uploads\//,
      );
      const granted = tokens().requests.filter((r) => r.scopes.includes('repository:tok/denied:pull,push'));
      expect(granted.map((r) => r.granted)).toContainEqual([
        { type: 'repository', name: 'tok/denied', actions: ['pull'] },
      ]);
    } finally {
      tokens().setGrant(defaultGrant);
    }
  });

  it('the registry checks scope, signature and issuer of every token', async () => {
    const auth = basicAuth(user().username, user().password);
    const push = await getToken('repository:raw/img:pull,push', auth);
    expect(decodeToken(push.token!).access).toEqual([
      { type: 'repository', name: 'raw/img', actions: ['pull', 'push'] },
    ]);
    expect(await startUpload('raw/img', push.token!)).toBe(202);
    expect(await startUpload('raw/other', push.token!)).toBe(401); // token is for raw/img only
    const anonymous = await getToken('repository:raw/img:pull,push');
    expect(decodeToken(anonymous.token!).access).toEqual([
      { type: 'repository', name: 'raw/img', actions: ['pull'] },
    ]);
    expect(await startUpload('raw/img', anonymous.token!)).toBe(401);

    // Same claims, signed by a CA the registry does not trust.
    const rogueCa = await makeTestCa('kimg-rogue');
    const rogue = await rogueCa.issueSigningCert('rogue');
    const claims = tokenClaims({
      issuer: tokens().issuer,
      service: tokens().service,
      subject: user().username,
      access: [{ type: 'repository', name: 'raw/img', actions: ['pull', 'push'] }],
      expiresInSeconds: 60,
    });
    expect(await startUpload('raw/img', signToken(claims, rogue.keyPem, [rogue.certPem]))).toBe(401);
  });

  it('answers 401 to a wrong password and supports the OAuth2 POST flow with refresh tokens', async () => {
    expect((await getToken('repository:raw/img:pull', basicAuth(user().username, 'wrong'))).status).toBe(401);
    const form = (
      fields: Record<string, string>,
    ): Promise<{ status: number; body: Record<string, string> }> =>
      httpRequest(tokens().realm, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }).then((res) => ({ status: res.status, body: JSON.parse(res.body.toString()) }));
    const common = {
      client_id: 'kimg-test',
      service: tokens().service,
      scope: 'repository:raw/img:pull,push',
    };
    const first = await form({
      ...common,
      grant_type: 'password',
      username: user().username,
      password: user().password,
      access_type: 'offline',
    });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeDefined();
    const refreshed = await form({
      ...common,
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token!,
    });
    expect(refreshed.status).toBe(200);
    expect(await startUpload('raw/img', refreshed.body.access_token!)).toBe(202);
    expect((await form({ ...common, grant_type: 'refresh_token', refresh_token: 'bogus' })).status).toBe(401);
  });
});
