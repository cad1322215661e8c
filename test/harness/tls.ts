import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './run';
import { makeTempDir } from './temp';

/** A certificate and its private key, as files (for docker-registry / skopeo) and as PEM (for node clients). */
export interface IssuedCert {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface TestCa {
  dir: string;
  caCertPem: string;
  caCertPath: string;
  caKeyPath: string;
  /** A TLS server certificate; names that parse as IPs become IP SANs, the rest DNS SANs. */
  issueServerCert(names?: string[]): Promise<IssuedCert>;
  /** A TLS client certificate, for `http.tls.clientcas` and skopeo's `client.cert`/`client.key`. */
  issueClientCert(commonName: string): Promise<IssuedCert>;
  /** An RSA certificate for signing JWTs (distribution's token auth wants an RSA or EC key it can find in x5c). */
  issueSigningCert(commonName: string): Promise<IssuedCert>;
}

// EC keys keep the tests fast (RSA key generation dominates otherwise); Go, skopeo and node all accept P-256.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
const RSA_KEY = ['-newkey', 'rsa:2048'];
const DAYS = '2';

/**
 * A throw-away certificate authority made with openssl in a temp dir. Call it twice for the "wrong CA" tests:
 * two CAs are unrelated, so a client trusting one rejects servers of the other.
 */
export async function makeTestCa(name = 'kimg-test-ca'): Promise<TestCa> {
  const dir = await makeTempDir('kimg-ca-');
  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  // prettier-ignore
  await runOk('openssl', [
    'req', '-x509', ...EC_KEY, '-nodes', '-keyout', caKeyPath, '-out', caCertPath, '-days', DAYS,
    '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;

  async function issue(
    base: string,
    keyArgs: string[],
    subject: string,
    extensions: string[],
  ): Promise<IssuedCert> {
    const stem = join(dir, `${base}-${++serial}`);
    const [certPath, keyPath, csrPath, extPath] = ['.crt', '.key', '.csr', '.ext'].map(
      (ext) => stem + ext,
    ) as [string, string, string, string];
    await runOk('openssl', [
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      csrPath,
      '-subj',
      subject,
    ]);
    await writeFile(extPath, extensions.join('\n') + '\n');
    // prettier-ignore
    await runOk('openssl', [
      'x509', '-req', '-in', csrPath, '-CA', caCertPath, '-CAkey', caKeyPath, '-out', certPath, '-days', DAYS,
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', extPath,
    ]);
    return {
      certPath,
      keyPath,
      certPem: await readFile(certPath, 'utf8'),
      keyPem: await readFile(keyPath, 'utf8'),
    };
  }

  return {
    dir,
    caCertPem: await readFile(caCertPath, 'utf8'),
    caCertPath,
    caKeyPath,
    issueServerCert(names = ['127.0.0.1', 'localhost']) {
      // Go (docker-registry, skopeo) ignores the CN since 1.15: the SAN must name the host.
      const sans = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      return issue('server', EC_KEY, `/CN=${names[0] ?? 'localhost'}`, [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${sans}`,
      ]);
    },
    issueClientCert(commonName) {
      return issue('client', EC_KEY, `/CN=${commonName}`, [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=clientAuth',
      ]);
    },
    issueSigningCert(commonName) {
      // distribution 2.8 token.go parseAndVerifyCertChain refuses a leaf without the digitalSignature usage.
      return issue('signing', RSA_KEY, `/CN=${commonName}`, [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
      ]);
    },
  };
}
