import { limitFromEnv } from '../../manifest/limits';
import { unpackLimitsFromEnv, type UnpackLimits } from '../../unpack';
import { maxDownloadSizeFromEnv } from '../execute/url-download';
import { MAX_CHART_INDEX_BYTES, MAX_CHART_INDEX_SIZE_ENV } from './app-sources';
import { CHART_UNPACK_LIMITS } from './chart-archive';

/** The caps on remote APP/CNI/CSI sources, decided once per build (docs/limits.md). */
export interface AppSourceSettings {
  /** `--max-download-size` / KIMG_MAX_DOWNLOAD_SIZE: each file, chart archive or chart layer (default 8 GiB). */
  maxDownloadSize?: number;
  /** KIMG_MAX_CHART_INDEX_SIZE: a repository's index.yaml (default 32 MiB). */
  maxIndexSize: number;
  /** Helm's bounds on a chart, unless `--max-unpack-size` / KIMG_MAX_UNPACK_* are set. */
  chartLimits: Partial<UnpackLimits>;
}

export function appSourceSettings(
  env: NodeJS.ProcessEnv,
  maxDownloadSize: number | undefined,
  unpackLimits: Partial<UnpackLimits> | undefined,
): AppSourceSettings {
  const download = maxDownloadSize ?? maxDownloadSizeFromEnv(env);
  return {
    ...(download !== undefined && { maxDownloadSize: download }),
    maxIndexSize: limitFromEnv(MAX_CHART_INDEX_SIZE_ENV, MAX_CHART_INDEX_BYTES, env),
    chartLimits: { ...CHART_UNPACK_LIMITS, ...unpackLimitsFromEnv(env), ...unpackLimits },
  };
}
