import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ClusterLabels, type ClusterImageType } from '../cluster';
import { sourceDateEpoch, type LayerCompressionKind } from '../layer';
import type { Descriptor, Platform } from '../manifest/descriptor';
import { formatPlatform } from '../manifest/platform';
import { hostPlatform } from '../manifest/host-platform';
import { openStore, type OpenContext } from '../transport/open';
import type { DaemonOptions } from '../transport/docker-daemon';
import { BuildCache } from './cache';
import { openBuildContext } from './context/build-context';
import { IGNORE_FILE_SIZE_ENV, MAX_IGNORE_FILE_SIZE } from './context/ignore-file';
import { hasErrors, parseKubefile, type Diagnostic } from './kubefile';
import { BuildDiagnosticsError } from './execute/build-error';
import { publish, pushDestinations, storeImage, storeIndex, withLabels } from './execute/build-output';
import { buildPlatform } from './execute/execute-build';
import { LayerOutput } from './execute/layer-output';
import type { BuildReport, PlatformReport, StepReport } from './execute/report';
import type { RunSpec } from './plan/types';
import type { UrlClient } from '../registry/http/url-client';
import { UrlSources } from './execute/url-sources';
import { envLimit, kubefileLimits, readKubefile } from './read-kubefile';
import { maxDownloadSizeFromEnv } from './execute/url-download';
import { unpackLimitsFromEnv, type UnpackLimits } from '../unpack';

export { CLUSTER_IMAGE_TYPES, type ClusterImageType } from '../cluster';

/** The label sealos reads the image type from. */
export const SEALOS_TYPE_LABEL = ClusterLabels.type;

export interface BuildOptions {
  /** The build context directory. */
  context: string;
  /** The Kubefile; default CONTEXT/Kubefile, else CONTEXT/Dockerfile. */
  file?: string;
  /** Names in the local store; none keeps the image untagged (by digest). */
  tags?: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** `--type`: sets `sealos.io.type`. */
  type?: ClusterImageType;
  /** Default: the host's platform. Several give one OCI index. */
  platforms?: Platform[];
  noCache?: boolean;
  /** Default gzip. */
  compression?: LayerCompressionKind;
  /** Seconds since the epoch for `created`, history and every layer mtime; default SOURCE_DATE_EPOCH, else 0. */
  timestamp?: number;
  /** Layer members keep their files' mtimes (`--preserve-mtime`); the build is then no longer reproducible. */
  preserveMtime?: boolean;
  target?: string;
  network?: RunSpec['network'];
  ignoreFile?: string;
  /** `--push`: every tag to its registry after the store commit. */
  push?: boolean;
  /** `--output`: more destinations (`oci:DIR`, `oci-archive:FILE`, `docker://…`). */
  outputs?: string[];
  /**
   * Caps on what ADD archives and `COPY --from` trees may unpack to (`--max-unpack-size`, `--max-unpack-entries`);
   * unset ones come from KIMG_MAX_UNPACK_* in `env`, else src/unpack's defaults.
   */
  unpackLimits?: Partial<UnpackLimits>;
  /** `--max-download-size`: bytes an ADD URL may have; default KIMG_MAX_DOWNLOAD_SIZE in `env`, else 8 GiB. */
  maxDownloadSize?: number;
  /** The store root and registry client (cli/context.ts). */
  open: OpenContext;
  daemon?: DaemonOptions;
  env?: NodeJS.ProcessEnv;
  onStep?: (step: StepReport) => void;
  /** Warnings of the Kubefile (errors are thrown as BuildDiagnosticsError). */
  onWarning?: (diagnostic: Diagnostic) => void;
  signal?: AbortSignal;
}

/**
 * `kimg build`: Kubefile → AST → plan → execution → one store transaction. Layers, configs and pulled bases
 * are staged in the store and become visible together with the tags when everything succeeded; any failure
 * leaves the store as it was. The cache is written after the commit.
 */
export async function build(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const file = kubefilePath(options);
  const shownAs = options.file ?? join(options.context, basename(file));
  const limits = kubefileLimits(options.env ?? process.env);
  const text = await readKubefile(file, shownAs, limits.maxFileSize);
  const { ast, diagnostics } = parseKubefile(text, shownAs, limits);
  if (hasErrors(diagnostics)) throw new BuildDiagnosticsError(diagnostics);
  diagnostics.forEach((d) => options.onWarning?.(d));

  const env = options.env ?? process.env;
  const timestamp = options.timestamp ?? sourceDateEpoch(env);
  const unpackLimits = { ...unpackLimitsFromEnv(env), ...options.unpackLimits };
  const maxDownloadSize = options.maxDownloadSize ?? maxDownloadSizeFromEnv(env);
  const compression = options.compression ?? 'gzip';
  const context = await openBuildContext(options.context, {
    ...(options.ignoreFile !== undefined && { ignoreFile: options.ignoreFile }),
    maxIgnoreFileSize: envLimit(options.env ?? process.env, IGNORE_FILE_SIZE_ENV, MAX_IGNORE_FILE_SIZE),
  });
  const store = openStore(options.open.storeRoot);
  const cache = new BuildCache(store.root);
  const signal = options.signal;
  const preserveMtime = options.preserveMtime === true;
  const output = new LayerOutput(store, store.root, {
    compression,
    timestamp,
    ...(preserveMtime && { preserveMtime }),
    ...(signal && { signal }),
  });
  const steps: StepReport[] = [];
  let client: Promise<UrlClient> | undefined;
  const urls = new UrlSources({
    cache,
    // Loaded on first ADD of a URL: undici is a large part of start-up and most builds never need it.
    client: () => (client ??= import('../registry/http/url-client').then(({ UrlClient }) => new UrlClient())),
    scratch: (name) => output.scratch(name),
    maxBytes: maxDownloadSize,
    noCache: options.noCache === true,
    ...(signal && { signal }),
  });
  const platforms = options.platforms && options.platforms.length > 0 ? options.platforms : [hostPlatform()];
  const created = new Date(timestamp * 1000);
  const labels = { ...options.labels, ...(options.type && { [SEALOS_TYPE_LABEL]: options.type }) };
  try {
    const built: { platform: Platform; manifest: Descriptor; config: Descriptor }[] = [];
    for (const platform of platforms) {
      const image = await buildPlatform({
        ast,
        text,
        platform,
        buildArgs: options.buildArgs ?? {},
        ...(options.target !== undefined && { target: options.target }),
        ...(options.network && { network: options.network }),
        context,
        store,
        open: options.open,
        cache,
        noCache: options.noCache === true,
        output,
        urls,
        unpackLimits,
        timestamp: created,
        settings: { compression, timestamp, ...(preserveMtime && { preserveMtime }) },
        ...(options.daemon && { daemon: options.daemon }),
        onStep: (step) => {
          steps.push(step);
          options.onStep?.(step);
        },
        ...(signal && { signal }),
      });
      const stored = await storeImage(store, withLabels(image, labels), created.toISOString());
      built.push({ platform, ...stored });
    }
    const root = built.length === 1 && built[0] ? built[0].manifest : await storeIndex(store, built);
    const tags = options.tags ?? [];
    if (tags.length === 0) await store.tag(root, undefined);
    for (const tag of tags) await store.tag(root, tag);
    await store.commit(signal ? { signal } : {});
    await cache.flush(() => output.scratch('cache'));
    const destinations = [...(options.push ? pushDestinations(tags) : []), ...(options.outputs ?? [])];
    const outputs = await publish(store, root, destinations, options.open, signal);
    return {
      digest: root.digest,
      mediaType: root.mediaType,
      names: tags,
      platforms: built.map(report),
      steps,
      outputs,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    await (await client?.catch(() => undefined))?.close();
    await output.close();
    await store.close();
  }
}

function report(built: { platform: Platform; manifest: Descriptor; config: Descriptor }): PlatformReport {
  return {
    platform: formatPlatform(built.platform),
    manifest: built.manifest.digest,
    config: built.config.digest,
  };
}

function kubefilePath(options: BuildOptions): string {
  if (options.file !== undefined) return resolve(options.file);
  const kubefile = join(options.context, 'Kubefile');
  const dockerfile = join(options.context, 'Dockerfile');
  return !existsSync(kubefile) && existsSync(dockerfile) ? dockerfile : kubefile;
}
