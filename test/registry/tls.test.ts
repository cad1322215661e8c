import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rootCertificates, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { isKimgError } from '../../src/errors';
import { defaultCaCertificates, resolveTlsConfig, type RegistryTlsConfig } from '../../src/registry/tls';
import { makeTempDir, removeTempDirs } from '../harness';
import { makeTestCa, type IssuedCert, type TestCa } from '../harness/tls';

let ca: TestCa;
let server: IssuedCert;
let client: IssuedCert;
beforeAll(async () => {
  ca = await makeTestCa();
  server = await ca.issueServerCert(['127.0.0.1', 'localhost']);
  client = await ca.issueClientCert('kimg-client');
});
afterAll(removeTempDirs);

/** A certs.d root holding `<host>/ca.crt` and the client pair `client.cert` + `client.key`. */
async function certsD(
  host: string,
  files: { ca?: boolean; cert?: boolean; key?: boolean } = {},
): Promise<string> {
  const root = await makeTempDir('kimg-certsd-');
  const dir = join(root, host);
  await mkdir(dir, { recursive: true });
  if (files.ca ?? true) await copyFile(ca.caCertPath, join(dir, 'ca.crt'));
  if (files.cert ?? true) await copyFile(client.certPath, join(dir, 'client.cert'));
  if (files.key ?? true) await copyFile(client.keyPath, join(dir, 'client.key'));
  return root;
}

describe('resolveTlsConfig', () => {
  it('loads the certs.d folder of host:port, keeping the default CAs', async () => {
    const root = await certsD('reg.example:5000');
    const config = await resolveTlsConfig('reg.example:5000', { certsDirs: [root] });
    expect(config.rejectUnauthorized).toBe(true);
    expect(config.ca).toHaveLength(defaultCaCertificates().length + 1);
    expect(config.ca).toContain(rootCertificates[0]);
    expect(config.ca?.at(-1)).toBe(ca.caCertPem);
    expect(config.cert).toBe(client.certPem);
    expect(config.key).toBe(client.keyPem);
  });

  it('takes the first certs.d root that has the host, and nothing for unknown hosts', async () => {
    const first = await certsD('reg.example', { cert: false, key: false });
    const second = await certsD('reg.example');
    const config = await resolveTlsConfig('reg.example', { certsDirs: ['/nonexistent', first, second] });
    expect(config.cert).toBeUndefined();
    expect(config.ca?.at(-1)).toBe(ca.caCertPem);
    expect(await resolveTlsConfig('reg.example:5000', { certsDirs: [first], tlsVerify: false })).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('names the missing key of a client certificate', async () => {
    const root = await certsD('reg.example', { key: false });
    const err = await resolveTlsConfig('reg.example', { certsDirs: [root] }).catch((e: unknown) => e);
    expect(isKimgError(err, 'TLS_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain(join(root, 'reg.example', 'client.key'));
    expect((err as { hint?: string }).hint).toContain('.crt');
  });

  it('names a key without its certificate, a bad CA file and a mismatched pair', async () => {
    const lonelyKey = await certsD('reg.example', { cert: false });
    await expect(resolveTlsConfig('reg.example', { certsDirs: [lonelyKey] })).rejects.toThrow(
      /client\.cert for key/,
    );

    const badCa = await certsD('reg.example', { cert: false, key: false });
    await writeFile(join(badCa, 'reg.example', 'broken.crt'), 'not a certificate');
    await expect(resolveTlsConfig('reg.example', { certsDirs: [badCa] })).rejects.toThrow(
      /broken\.crt is not a PEM/,
    );

    const mismatch = await certsD('reg.example', { key: false });
    await copyFile(server.keyPath, join(mismatch, 'reg.example', 'client.key'));
    await expect(resolveTlsConfig('reg.example', { certsDirs: [mismatch] })).rejects.toThrow(
      /do not form a pair/,
    );
  });

  it('--cert-dir holds the files itself and replaces certs.d', async () => {
    const root = await certsD('reg.example');
    const certDir = join(root, 'reg.example');
    const config = await resolveTlsConfig('elsewhere:443', { certDir, certsDirs: ['/nonexistent'] });
    expect(config.cert).toBe(client.certPem);
    expect(config.ca?.at(-1)).toBe(ca.caCertPem);
    await expect(resolveTlsConfig('x', { certDir: join(root, 'typo') })).rejects.toThrow(/--cert-dir .*typo/);
  });

  it('refuses hosts that would leave the certs.d root', async () => {
    for (const host of ['../etc', 'a/b', '..']) {
      const err = await resolveTlsConfig(host, { certsDirs: ['/tmp'] }).catch((e: unknown) => e);
      expect(isKimgError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('resolved config against a real TLS server (undici)', () => {
  let https: Server;
  let url: string;
  let host: string;
  beforeAll(async () => {
    // Asks for a client certificate without requiring one, and reports whether a valid one came.
    https = createServer(
      {
        cert: server.certPem,
        key: server.keyPem,
        ca: [ca.caCertPem],
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        res.end(socket.authorized ? `client:${socket.getPeerCertificate().subject.CN}` : 'anonymous');
      },
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(https.address() as AddressInfo).port}`;
    url = `https://${host}/v2/`;
  });
  afterAll(() => new Promise((resolve) => https.close(resolve)));

  async function get(config: RegistryTlsConfig): Promise<string> {
    const dispatcher = new Agent({ connect: { ...config } });
    try {
      const res = await request(url, { dispatcher });
      return await res.body.text();
    } finally {
      await dispatcher.close();
    }
  }

  it('verifies the server with the certs.d CA and presents the client certificate', async () => {
    const config = await resolveTlsConfig(host, { certsDirs: [await certsD(host)] });
    expect(await get(config)).toBe('client:kimg-client');
  });

  it('fails with a certificate error without the CA', async () => {
    const config = await resolveTlsConfig(host, { certsDirs: [await makeTempDir()] });
    const err = (await get(config).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    // node's server sends its `ca` along, so the chain ends in our (untrusted) self-signed root.
    expect(err.code).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
  });

  it('connects without the CA when tlsVerify is false', async () => {
    const config = await resolveTlsConfig(host, { certsDirs: [await makeTempDir()], tlsVerify: false });
    expect(await get(config)).toBe('anonymous');
  });
});
