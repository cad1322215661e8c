import { KimgError } from '../errors';

/**
 * A member name as path components below the target, or [] for the target itself. A leading `/` and `./` are
 * dropped, as GNU tar does ("Removing leading `/' from member names") and as moby's and containerd's appliers
 * treat layer paths as relative to the root. `..` is refused, as moby does (breakoutError): no layer producer
 * writes it, and clamping it would put the member somewhere its author did not mean.
 */
export function memberParts(raw: string, what: string): string[] {
  if (raw.includes('\0')) throw outside(what, raw);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw outside(what, raw);
  return parts;
}

export function outside(what: string, name: string): KimgError {
  return new KimgError(
    'ARCHIVE_INVALID',
    `${what}: member ${shown(name)} would be written outside the extraction directory`,
    'the archive is malformed or malicious; rebuild it with paths relative to its root',
  );
}

/** A name from an archive as a message shows it: quoted, control characters escaped (no terminal injection). */
export function shown(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
