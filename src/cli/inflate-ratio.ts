import { KimgError } from '../errors';

/**
 * `--max-inflate-ratio N`, else $KIMG_MAX_INFLATE_RATIO: how far a gzipped archive may inflate
 * (layer/inflate-bound.ts); undefined keeps the library's default. A value that is not a number ≥ 1 is a
 * usage error.
 */
export function maxInflateRatio(
  flag: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  const [value, origin] =
    flag !== undefined
      ? [flag, '--max-inflate-ratio']
      : env.KIMG_MAX_INFLATE_RATIO !== undefined && env.KIMG_MAX_INFLATE_RATIO !== ''
        ? [Number(env.KIMG_MAX_INFLATE_RATIO), 'KIMG_MAX_INFLATE_RATIO']
        : [undefined, ''];
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 1) {
    throw new KimgError(
      'USAGE',
      `${origin}: expected a number ≥ 1, got ${flag ?? env.KIMG_MAX_INFLATE_RATIO}`,
      'e.g. --max-inflate-ratio 1000 for an archive of highly compressible data',
    );
  }
  return value;
}
