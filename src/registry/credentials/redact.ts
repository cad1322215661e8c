/**
 * Replaces every occurrence of each secret in `text` with `***`. Used on anything a credential helper prints
 * before it goes into an error message: helpers echo their input on failure more often than one would hope.
 * Secrets shorter than 4 characters are still replaced; empty strings are ignored (they would match everywhere).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = secrets.filter((s): s is string => !!s).sort((a, b) => b.length - a.length);
  for (const secret of ordered) {
    result = result.split(secret).join('***');
  }
  return result;
}
