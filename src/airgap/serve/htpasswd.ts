import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { compare } from 'bcryptjs';
import { KimgError } from '../../errors';

/** An htpasswd file bigger than this is not a list of users. */
const MAX_HTPASSWD_BYTES = 1024 * 1024;
/** Checked credentials remembered (by a hash of the header), so a pull's hundred requests cost one bcrypt. */
const MAX_REMEMBERED = 1024;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * Basic authentication against an htpasswd file of bcrypt entries, what the CNCF registry accepts
 * (registry/auth/htpasswd: "only bcrypt format passwords are supported") and `htpasswd -B` writes. A bcrypt
 * compare costs tens of milliseconds by design; clients send the same header on every request, so a header that
 * passed is remembered (its SHA-256, never the password) for the server's life.
 */
export class Htpasswd {
  private readonly accepted = new Set<string>();

  private constructor(private readonly users: Map<string, string>) {}

  static async load(file: string): Promise<Htpasswd> {
    let text: string;
    try {
      const bytes = await readFile(file);
      if (bytes.length > MAX_HTPASSWD_BYTES)
        throw new KimgError(
          'SIZE_LIMIT',
          `${file} is ${bytes.length} bytes, over the ${MAX_HTPASSWD_BYTES}-byte limit for an htpasswd file`,
        );
      text = bytes.toString('utf8');
    } catch (err) {
      if (err instanceof KimgError) throw err;
      throw new KimgError(
        'IO_ERROR',
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`,
        'check the --htpasswd path',
      );
    }
    const users = new Map<string, string>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !BCRYPT.test(hash)) {
        throw new KimgError(
          'INVALID_ARGUMENT',
          `${file}:${i + 1} is not a "user:bcrypt-hash" line`,
          'only bcrypt entries are supported, as by the CNCF registry: write them with `htpasswd -B`',
        );
      }
      users.set(user, hash);
    });
    if (users.size === 0)
      throw new KimgError('INVALID_ARGUMENT', `${file} has no users`, 'add one with `htpasswd -B FILE USER`');
    return new Htpasswd(users);
  }

  /** Whether an `Authorization` header carries a user and password of the file. */
  async check(authorization: string | undefined): Promise<boolean> {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const key = createHash('sha256')
      .update(match[1] as string)
      .digest('hex');
    if (this.accepted.has(key)) return true;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const hash = this.users.get(decoded.slice(0, colon));
    if (hash === undefined || !(await compare(decoded.slice(colon + 1), hash))) return false;
    if (this.accepted.size < MAX_REMEMBERED) this.accepted.add(key);
    return true;
  }
}
