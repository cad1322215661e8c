import { parse, satisfies, validRange, type SemVer } from 'semver';

/** Why `range` is not a semver range (skopeo's `images-by-semver` uses Masterminds constraints), or undefined. */
export function checkSemverRange(range: string): string | undefined {
  return validRange(range) === null
    ? `semver range ${JSON.stringify(range)} is not a valid range`
    : undefined;
}

/**
 * The version a tag spells, read as Masterminds/semver's NewVersion does for skopeo: an optional `v`, and a
 * missing minor or patch counted as 0 (`v1.2` is 1.2.0). Tags that are not versions (`latest`) are not.
 */
export function tagVersion(tag: string): SemVer | undefined {
  const short = /^v?(\d+)(?:\.(\d+))?$/.exec(tag);
  if (short) return parse(`${short[1]}.${short[2] ?? 0}.0`) ?? undefined;
  return parse(tag.replace(/^v/, '')) ?? undefined;
}

/** Tags whose version is in `range`; a prerelease only when the range names one (npm's rule, as Masterminds). */
export function tagsInRange(tags: readonly string[], range: string): string[] {
  return tags.filter((tag) => {
    const version = tagVersion(tag);
    return version !== undefined && satisfies(version, range);
  });
}
