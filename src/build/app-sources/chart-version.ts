// The functions, not the package: `semver`'s index loads all 47 of its modules at every build's start.
import maxSatisfying from 'semver/ranges/max-satisfying';
import validRange from 'semver/ranges/valid';
import rcompare from 'semver/functions/rcompare';
import valid from 'semver/functions/valid';

/**
 * Choosing a chart version as Helm does (pkg/repo IndexFile.Get, `helm pull --version`): an exact version wins;
 * else VERSION is a semver range and the highest version in it is taken; no VERSION is the highest stable one
 * (a prerelease only when named or when the range asks for one, as `--devel` is not given).
 */
export function chooseVersion(available: readonly string[], wanted: string | undefined): string | undefined {
  if (wanted === undefined) return latestVersion(available);
  const exact = available.find((v) => v === wanted || v === wanted.replace(/^v/, '') || `v${v}` === wanted);
  if (exact !== undefined) return exact;
  if (validRange(wanted) === null) return undefined;
  return (
    maxSatisfying(
      available.filter((v) => valid(v) !== null),
      wanted,
    ) ?? undefined
  );
}

/** The highest stable semver version, or undefined when there is none. */
export function latestVersion(available: readonly string[]): string | undefined {
  return (
    maxSatisfying(
      available.filter((v) => valid(v) !== null),
      '*',
    ) ?? undefined
  );
}

/** "available: 1.2.0, 1.1.0, … (N more)", newest first, for a hint. */
export function versionsHint(available: readonly string[]): string {
  if (available.length === 0) return 'none is available';
  const sorted = [...available].sort((a, b) =>
    valid(a) && valid(b) ? rcompare(a, b) : valid(a) ? -1 : valid(b) ? 1 : a.localeCompare(b),
  );
  const shown = sorted.slice(0, 10).join(', ');
  return `available: ${shown}${sorted.length > 10 ? `, … (${sorted.length - 10} more)` : ''}`;
}
