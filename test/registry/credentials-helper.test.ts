import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isKimgError } from '../../src/errors';
import { createCredentialStore, redactSecrets } from '../../src/registry/credentials';
import { removeTempDirs } from '../harness';
import { installTestHelper, makeAuthSandbox, readJson, writeJson, type AuthSandbox } from './credentials-env';

afterAll(removeTempDirs);

/** A sandbox whose PATH starts with docker-credential-kimgtest, backed by helper-db.json. */
async function helperSandbox(): Promise<AuthSandbox & { db: string }> {
  const box = await makeAuthSandbox();
  const bin = await installTestHelper(box.root);
  const db = join(box.root, 'helper-db.json');
  box.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  box.env.KIMGTEST_STORE = db;
  return { ...box, db };
}

describe('credential helpers (docker-credential-* protocol)', () => {
  it('stores, gets and erases through credHelpers[host]', async () => {
    const box = await helperSandbox();
    await writeJson(box.paths.runtime, { auths: {}, credHelpers: { 'reg.example:5000': 'kimgtest' } });
    const store = createCredentialStore({ env: box.env });

    expect(await store.store('reg.example:5000', { username: 'u', password: 's3cret' })).toBe(
      'credential helper: docker-credential-kimgtest',
    );
    expect(await readJson(box.db)).toEqual({ 'reg.example:5000': { Username: 'u', Secret: 's3cret' } });
    expect(await readFile(box.paths.runtime, 'utf8')).not.toContain('s3cret');
    expect(await store.get('reg.example:5000')).toEqual({ username: 'u', password: 's3cret' });
    // Other hosts do not go to the helper.
    expect(await store.get('other.example')).toBeUndefined();

    expect(await store.erase('reg.example:5000')).toBe(true);
    expect(await store.get('reg.example:5000')).toBeUndefined();
    expect(await store.erase('reg.example:5000')).toBe(false);
  });

  it('uses credsStore for every registry, with docker spelling of Docker Hub and identity tokens', async () => {
    const box = await helperSandbox();
    const env = { ...box.env, XDG_RUNTIME_DIR: undefined }; // writes go to ~/.docker/config.json, like docker
    await writeJson(box.paths.homeDocker, { auths: {}, credsStore: 'kimgtest' });
    const store = createCredentialStore({ env });

    await store.store('docker.io', { identityToken: 'refresh' });
    expect(await readJson(box.db)).toEqual({
      'https://index.docker.io/v1/': { Username: '<token>', Secret: 'refresh' },
    });
    expect(await store.get('registry-1.docker.io')).toEqual({ identityToken: 'refresh' });
    expect(await store.erase('docker.io')).toBe(true);
    expect(await readJson(box.db)).toEqual({});
  });

  it('finds a podman-style docker.io entry in the helper too', async () => {
    const box = await helperSandbox();
    await writeJson(box.db, { 'docker.io': { Username: 'pod', Secret: 'man' } });
    await writeJson(box.paths.homeDocker, { credsStore: 'kimgtest' });
    const store = createCredentialStore({ env: box.env });
    expect(await store.get('docker.io')).toEqual({ username: 'pod', password: 'man' });
    const log = await readFile(`${box.db}.log`, 'utf8');
    expect(log).toBe('get https://index.docker.io/v1/\nget docker.io\n');
  });

  it('names a missing helper, the file that wants it and the fix', async () => {
    const box = await helperSandbox();
    await writeJson(box.paths.runtime, { credHelpers: { 'reg.example': 'kimg-missing' } });
    const err = await createCredentialStore({ env: box.env })
      .get('reg.example')
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'CREDENTIAL_HELPER_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('docker-credential-kimg-missing');
    expect((err as { hint?: string }).hint).toContain(box.paths.runtime);
  });

  it('keeps the secret out of a failing helper error', async () => {
    const box = await helperSandbox();
    await writeJson(box.paths.runtime, { credHelpers: { 'reg.example': 'kimgtest' } });
    const store = createCredentialStore({ env: { ...box.env, KIMGTEST_FAIL: '1' } });
    const err = await store
      .store('reg.example', { username: 'u', password: 'pa"ss-word' })
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'CREDENTIAL_HELPER_FAILED')).toBe(true);
    expect((err as Error).message).toContain('docker-credential-kimgtest store failed (exit status 3)');
    expect((err as Error).message).not.toContain('ss-word');
  });

  it('refuses helper names that are paths', async () => {
    const box = await helperSandbox();
    await writeJson(box.paths.runtime, { credsStore: '../../bin/sh' });
    const err = await createCredentialStore({ env: box.env })
      .get('reg.example')
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'CREDENTIAL_HELPER_FAILED')).toBe(true);
  });

  it('refuses namespace logins through a helper', async () => {
    const box = await helperSandbox();
    await writeJson(box.paths.runtime, { credsStore: 'kimgtest' });
    const err = await createCredentialStore({ env: box.env })
      .store('quay.io/org', { username: 'u', password: 'p' })
      .catch((e: unknown) => e);
    expect(isKimgError(err, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('redactSecrets', () => {
  it('replaces every secret, longest first, ignoring empty ones', () => {
    expect(redactSecrets('user pw pwlong pw', ['pw', 'pwlong', '', undefined])).toBe('user *** *** ***');
  });
});
