import { KimgError } from '../errors';

/**
 * `user:password@host/repo:tag` (URL userinfo, RFC 3986 §3.2.1) is not a reference: docker and skopeo refuse
 * it, and kimg once echoed the password back in its "invalid reference" error (issue 9). It is told apart from
 * a digest by what follows the `@`: a digest never holds a `/`, a host is followed by its repository path.
 * Returns the index of the `@` that ends the userinfo (the last one before that `/`), or -1.
 */
export function userinfoEnd(text: string): number {
  const first = text.indexOf('@');
  if (first === -1) return -1;
  const slash = text.indexOf('/', first);
  if (slash === -1) return -1;
  return text.lastIndexOf('@', slash);
}

/** `text` with any userinfo replaced by `REDACTED`: the only form of it that may be printed. */
export function withoutUserinfo(text: string): string {
  const end = userinfoEnd(text);
  return end === -1 ? text : `REDACTED${text.slice(end)}`;
}

/** Refuses a reference that carries credentials, without repeating them. */
export function refuseUserinfo(input: string): void {
  if (userinfoEnd(input) === -1) return;
  throw new KimgError(
    'INVALID_REFERENCE',
    `invalid reference "${withoutUserinfo(input)}": it carries a user name or password before the registry host`,
    'references never hold credentials: remove USER:PASSWORD@ and log in with kimg login HOST (or use --authfile)',
  );
}
