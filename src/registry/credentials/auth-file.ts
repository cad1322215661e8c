import type { z } from 'zod';
import { KimgError } from '../../errors';
import { memo, zod } from '../../lazy/lazy';
import type { Credentials } from './types';

/**
 * The auth file formats. containers-auth.json(5) and docker's config.json share `auths`, `credHelpers` and
 * `credsStore`; loose objects keep every other field (docker's `proxies`, `psFormat`, an entry's `email`…)
 * so that writing a login never loses someone else's settings. The legacy `~/.dockercfg` is a bare `auths` map.
 */
const schemas = memo(() => {
  const z = zod();
  const AuthEntrySchema = z.looseObject({
    auth: z.string().optional(),
    identitytoken: z.string().optional(),
  });
  const AuthFileSchema = z.looseObject({
    // docker writes `"auths": {}`, old Go encoders wrote null; both mean "no logins".
    auths: z.record(z.string(), AuthEntrySchema).nullish(),
    credsStore: z.string().optional(),
    credHelpers: z.record(z.string(), z.string()).nullish(),
  });
  const LegacyAuthFileSchema = z.record(z.string(), AuthEntrySchema);
  return { AuthEntrySchema, AuthFileSchema, LegacyAuthFileSchema };
});
type Schemas = ReturnType<typeof schemas>;

export type AuthEntry = z.infer<Schemas['AuthEntrySchema']>;
export type AuthFile = z.infer<Schemas['AuthFileSchema']>;

/** Parses the text of an auth file; errors name the file and the field, never the content (it holds secrets). */
export function parseAuthFile(text: string, path: string, legacy = false): AuthFile {
  // docker/cli configfile.LoadFromReader accepts an empty file as an empty config.
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be a password: leave it out.
    throw invalidFile(path, 'is not valid JSON');
  }
  const { AuthFileSchema, LegacyAuthFileSchema } = schemas();
  const result = (legacy ? LegacyAuthFileSchema : AuthFileSchema).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
    throw invalidFile(path, `does not have the auth file format${where}: ${issue?.message ?? 'invalid'}`);
  }
  return legacy ? { auths: result.data as Record<string, AuthEntry> } : (result.data as AuthFile);
}

/**
 * Decodes one entry. `auth` is base64("user:password") (docker/cli configfile decodeAuth); entries that do not
 * decode to a pair are skipped, as docker and containers/image skip them. An identity token wins over `auth`.
 */
export function decodeAuthEntry(entry: AuthEntry, path: string, key: string): Credentials | undefined {
  let username = '';
  let password = '';
  if (entry.auth) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(entry.auth)) {
      throw invalidFile(path, `has an "auth" value for "${key}" that is not base64`);
    }
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon !== -1) {
      username = decoded.slice(0, colon);
      // Some old writers padded the password with NULs (containers/image decodeDockerAuth trims them).
      password = decoded.slice(colon + 1).replace(/\0+$/, '');
    }
  }
  if (entry.identitytoken) {
    return username
      ? { identityToken: entry.identitytoken, username }
      : { identityToken: entry.identitytoken };
  }
  // containers/image requires both halves; a half-empty pair is not a login.
  return username && password ? { username, password } : undefined;
}

/** The entry docker login writes: `auth` always (older readers need it), `identitytoken` for token logins. */
export function encodeAuthEntry(credentials: Credentials): AuthEntry {
  if ('identityToken' in credentials) {
    const entry: AuthEntry = { identitytoken: credentials.identityToken };
    if (credentials.username) entry.auth = Buffer.from(`${credentials.username}:`).toString('base64');
    return entry;
  }
  return { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
}

function invalidFile(path: string, what: string): KimgError {
  return new KimgError(
    'AUTH_FILE_INVALID',
    `auth file ${path} ${what}`,
    `fix or remove ${path}, then log in again (kimg login REGISTRY)`,
  );
}
