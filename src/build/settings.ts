import {
  DEFAULT_COMPRESSION_LEVEL,
  parseCompressionLevel,
  sourceDateEpoch,
  type LayerCompressionKind,
} from '../layer';
import type { Platform } from '../manifest/descriptor';
import { hostPlatform } from '../manifest/host-platform';
import { limitFromEnv } from '../manifest/limits';
import { unpackLimitsFromEnv, type UnpackLimits } from '../unpack';
import { IGNORE_FILE_SIZE_ENV, MAX_IGNORE_FILE_SIZE } from './context/ignore-file';
import { maxDownloadSizeFromEnv } from './execute/url-download';
import type { BuildOptions } from './build';
import { appSourceSettings, type AppSourceSettings } from './app-sources/app-source-settings';

/**
 * The settings that change a layer's bytes without changing any instruction. They are part of every cache key
 * (cache/cache-key.ts `baseKey`), so a gzip layer is never reused for a zstd build.
 */
export interface LayerSettings {
  compression: LayerCompressionKind;
  /**
   * The compression level, present only when it is not the compression's default: a build at the default level
   * (asked for or not) keeps the keys it always had, and a build at another level misses them and recompresses.
   */
  level?: number;
  /** Seconds since the epoch for `created`, history and layer mtimes. */
  timestamp: number;
  preserveMtime?: true;
}

/** Everything a build decides from its options and environment before it reads a file, resolved once. */
export interface BuildSettings {
  layers: LayerSettings;
  created: Date;
  platforms: Platform[];
  /** `--label` and `--type`, put on the final image only (buildah's `--label`). */
  finalLabels: Record<string, string>;
  unpackLimits: Partial<UnpackLimits>;
  /** Undefined: url-download's default. */
  maxDownloadSize?: number;
  maxIgnoreFileSize: number;
  noCache: boolean;
  /** Caps on remote APP/CNI/CSI sources (app-sources/app-source-settings.ts). */
  appSources: AppSourceSettings;
}

export function resolveSettings(options: BuildOptions, typeLabel: string): BuildSettings {
  const env = options.env ?? process.env;
  const timestamp = options.timestamp ?? sourceDateEpoch(env);
  const compression = options.compression ?? 'gzip';
  const level =
    options.compressionLevel === undefined
      ? undefined
      : parseCompressionLevel(compression, options.compressionLevel, 'compressionLevel');
  const settings: BuildSettings = {
    layers: {
      compression,
      ...(level !== undefined && level !== DEFAULT_COMPRESSION_LEVEL[compression] && { level }),
      timestamp,
      ...(options.preserveMtime === true && { preserveMtime: true as const }),
    },
    created: new Date(timestamp * 1000),
    platforms: options.platforms && options.platforms.length > 0 ? options.platforms : [hostPlatform()],
    finalLabels: { ...options.labels, ...(options.type && { [typeLabel]: options.type }) },
    unpackLimits: { ...unpackLimitsFromEnv(env), ...options.unpackLimits },
    maxIgnoreFileSize: limitFromEnv(IGNORE_FILE_SIZE_ENV, MAX_IGNORE_FILE_SIZE, env),
    noCache: options.noCache === true,
    appSources: appSourceSettings(env, options.maxDownloadSize, options.unpackLimits),
  };
  const maxDownloadSize = options.maxDownloadSize ?? maxDownloadSizeFromEnv(env);
  return maxDownloadSize === undefined ? settings : { ...settings, maxDownloadSize };
}
