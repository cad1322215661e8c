import { isKimgError, KimgError } from '../errors';

/**
 * A flag value refused by a library helper (`--platform linux/` by manifest/platform.ts) is a mistake on the
 * command line, whatever code the helper used for it: USAGE, exit 2. Inputs refused deeper down (a file, an
 * archive, a build context) keep their codes and exit 1.
 */
export function parseFlag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isKimgError(err) && err.code !== 'USAGE')
      throw new KimgError('USAGE', err.message, err.hint, { cause: err });
    throw err;
  }
}
