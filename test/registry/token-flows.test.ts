import { afterAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { digestOf } from '../../src/digest';
import { removeTempDirs, startRegistry } from '../harness';
import { pushImage, readStream, testClient } from './helpers';

/**
 * The OAuth2 side of token auth against the real registry and the harness token server: identity tokens
 * (docker login's refresh tokens) go by POST grant_type=refresh_token, and short-lived tokens are renewed
 * between the chunks of a long upload.
 */
afterAll(removeTempDirs);

describe('token flows', () => {
  it('an identity token is exchanged by POST grant_type=refresh_token; the password is never needed', async () => {
    const registry = await startRegistry({ auth: 'token' });
    try {
      const server = registry.tokenServer!;
      const user = registry.users[0]!;
      // What `docker login` keeps as identitytoken: a refresh token from the password grant with access_type=offline.
      const form = new URLSearchParams({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        client_id: 'test',
        access_type: 'offline',
        service: server.service,
      });
      const response = await fetch(server.realm, { method: 'POST', body: form });
      const refreshToken = ((await response.json()) as { refresh_token: string }).refresh_token;
      expect(refreshToken).toMatch(/^[0-9a-f]{48}$/);
      server.requests.length = 0;

      const { client } = testClient({ credentials: async () => ({ identityToken: refreshToken }) });
      try {
        const image = await pushImage(client, registry.host, 'idtoken/app', 'v1', 'idtoken');
        const repo = client.repository(registry.host, 'idtoken/app');
        expect((await repo.getManifest('v1')).descriptor).toEqual(image.manifest);
      } finally {
        await client.close();
      }
      expect(server.requests.length).toBeGreaterThan(0);
      for (const request of server.requests) {
        expect(request).toMatchObject({
          method: 'POST',
          grantType: 'refresh_token',
          user: user.username,
          status: 200,
        });
      }
    } finally {
      await registry.stop();
    }
  });

  it('short-lived tokens are renewed between the chunks of a long upload', async () => {
    const registry = await startRegistry({ auth: 'token', tokenExpiresInSeconds: 2 });
    try {
      const server = registry.tokenServer!;
      const user = registry.users[0]!;
      const chunk = 64 * 1024;
      const { client } = testClient({
        credentials: async () => user,
        registries: { [registry.host]: { chunkSize: chunk } },
      });
      const data = Buffer.alloc(8 * chunk, 7);
      const desc = { mediaType: 'application/octet-stream', digest: digestOf(data), size: data.length };
      // A slow source: the upload lasts ~2.4 s, longer than one token's life.
      const slow = async () =>
        Readable.from(
          (async function* () {
            for (let offset = 0; offset < data.length; offset += chunk) {
              await new Promise((resolve) => setTimeout(resolve, 300));
              yield data.subarray(offset, offset + chunk);
            }
          })(),
        );
      try {
        server.requests.length = 0;
        const repo = client.repository(registry.host, 'slow/upload', { push: true });
        await repo.pushBlob(desc, slow);
        const pushTokens = server.requests.filter((r) => r.scopes.some((s) => s.endsWith(':pull,push')));
        expect(pushTokens.length).toBeGreaterThan(1);
        expect((await readStream(await repo.fetchBlob(desc))).equals(data)).toBe(true);
      } finally {
        await client.close();
      }
    } finally {
      await registry.stop();
    }
  });
});
