import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { KimgError } from '../../errors';

/** What one certs.d directory holds: extra CA PEMs and at most one client certificate pair. */
export interface CertDirContents {
  ca: string[];
  cert?: string;
  key?: string;
  /** The files used, for --debug output (never their contents). */
  files: string[];
}

/**
 * Reads a certs.d directory as docker and containers/image define it (containers-certs.d(5),
 * pkg/tlsclientconfig SetupCertificates): `*.crt` are CA certificates, `NAME.cert` + `NAME.key` a client pair;
 * a `.cert` without its `.key` (or the reverse) is an error, since it usually means a CA saved as `.cert`.
 * Files are taken in alphabetical order like containers/image. node takes one client pair per key type; we use
 * the first pair, which is also the one Go's TLS client offers first.
 */
export async function readCertDir(dir: string): Promise<CertDirContents> {
  const names = (await readdir(dir).catch((err: unknown) => rethrow(err, dir))).sort();
  const present = new Set(names);
  const result: CertDirContents = { ca: [], files: [] };
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith('.crt')) {
      const pem = await readText(path);
      checkCertificate(pem, path);
      result.ca.push(pem);
      result.files.push(path);
    } else if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!present.has(keyName)) {
        throw invalid(
          `missing key ${join(dir, keyName)} for client certificate ${path}`,
          'CA certificates use the extension .crt',
        );
      }
      if (result.cert !== undefined) continue;
      const keyPath = join(dir, keyName);
      const cert = await readText(path);
      const key = await readText(keyPath);
      checkCertificate(cert, path);
      try {
        createSecureContext({ cert, key });
      } catch (err) {
        throw invalid(
          `client certificate ${path} and key ${keyPath} do not form a pair: ${(err as Error).message}`,
        );
      }
      Object.assign(result, { cert, key });
      result.files.push(path, keyPath);
    } else if (name.endsWith('.key')) {
      const certName = `${name.slice(0, -'.key'.length)}.cert`;
      if (!present.has(certName))
        throw invalid(`missing client certificate ${join(dir, certName)} for key ${path}`);
    }
  }
  return result;
}

function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((err: unknown) => rethrow(err, path));
}

function rethrow(err: unknown, path: string): never {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  throw new KimgError('IO_ERROR', `cannot read ${path}: ${code}`, 'check the permissions of the file', {
    cause: err,
  });
}

function checkCertificate(pem: string, path: string): void {
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid(`${path} is not a PEM certificate`);
  }
}

function invalid(message: string, hint = 'fix or remove the file'): KimgError {
  return new KimgError('TLS_CONFIG_INVALID', message, hint);
}
