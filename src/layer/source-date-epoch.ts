import { KimgError } from '../errors';

/**
 * The layer timestamp from `SOURCE_DATE_EPOCH` (reproducible-builds.org/specs/source-date-epoch: a decimal
 * count of seconds since the epoch), or 0 when unset or empty. A malformed value is an error, not a silent 0:
 * the user asked for a specific time.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['SOURCE_DATE_EPOCH'];
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,12}$/.test(value)) {
    throw new KimgError(
      'INVALID_ARGUMENT',
      `SOURCE_DATE_EPOCH="${value}" is not a number of seconds`,
      'set it to a whole number of seconds since 1970-01-01, e.g. $(git log -1 --format=%ct)',
    );
  }
  return Number(value);
}
