import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ClusterLabels, type ClusterImageType } from '../cluster';
import type { LayerCompressionKind } from '../layer';
import type { Platform } from '../manifest/descriptor';
import type { OpenContext } from '../transport/open';
import type { DaemonOptions } from '../transport/docker-daemon';
import type { UnpackLimits } from '../unpack';
import { hasErrors, parseKubefile, type Diagnostic, type KubefileAst } from './kubefile';
import { embedStep, type EmbedSettings } from './embed-step';
import { BuildDiagnosticsError } from './execute/build-error';
import { executePlan, planPlatform, type PlatformBuildOptions } from './execute/execute-build';
import type { BuildReport, StepReport } from './execute/report';
import {
  commitBuild,
  DEFAULT_FINALIZE_STEPS,
  finalizePlatform,
  platformReport,
  type StoredPlatform,
} from './finalize';
import type { RunSpec } from './plan/types';
import { kubefileLimits, readKubefile } from './read-kubefile';
import { openSession } from './session';
import { resolveSettings } from './settings';

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
  /** gzip 1–9 (default 6), zstd 1–22 (default 3); part of every cache key when not the default. */
  compressionLevel?: number;
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
  /**
   * `--save-images` (default true): embed the container images the context's manifests, charts, image lists and
   * APP/CNI/CSI ask for into `registry/` (embed-step.ts, docs/airgap.md "Embedding").
   */
  saveImages?: boolean;
  /** How images are found and embedded (`--helm`, `--image-list`, `--ignore-images`, `--max-pull-procs`, …). */
  embed?: Partial<EmbedSettings>;
  /** Warnings of discovery and embedding (a chart not rendered, an image left out), one line each. */
  onImageWarning?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * `kimg build`, in its phases: parse the Kubefile → (per platform) resolve the base images → plan → execute →
 * finalize (labels, then embedding) → one store transaction. Layers, configs and pulled bases are staged in the
 * store and become visible together with the tags when everything succeeded; any failure leaves the store as it
 * was. The cache is written after the commit.
 */
export async function build(options: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const settings = resolveSettings(options, SEALOS_TYPE_LABEL);
  const kubefile = await parse(options);
  const { signal } = options;
  const session = await openSession(options, settings);
  const finalizeSteps =
    options.saveImages === false
      ? DEFAULT_FINALIZE_STEPS
      : [
          ...DEFAULT_FINALIZE_STEPS,
          embedStep({
            contextDir: options.context,
            settings: {
              imageLists: [],
              ignoreLists: [],
              ignoreMissing: false,
              allPlatforms: false,
              ...options.embed,
            },
            open: options.open,
            env: options.env ?? process.env,
            onWarning: (line) => options.onImageWarning?.(line),
          }),
        ];
  try {
    const steps: StepReport[] = [];
    const built: StoredPlatform[] = [];
    for (const platform of settings.platforms) {
      const platformOptions: PlatformBuildOptions = {
        ...kubefile,
        platform,
        buildArgs: options.buildArgs ?? {},
        ...(options.target !== undefined && { target: options.target }),
        ...(options.network && { network: options.network }),
        context: session.context,
        store: session.store,
        open: options.open,
        cache: session.cache,
        noCache: settings.noCache,
        output: session.output,
        urls: session.urls,
        apps: session.apps,
        unpackLimits: settings.unpackLimits,
        timestamp: settings.created,
        settings: settings.layers,
        ...(options.daemon && { daemon: options.daemon }),
        onStep: (step) => {
          steps.push(step);
          options.onStep?.(step);
        },
        ...(signal && { signal }),
      };
      const planned = await planPlatform(platformOptions);
      const image = await executePlan(planned, platformOptions);
      built.push(
        await finalizePlatform(image, finalizeSteps, {
          platform,
          session,
          settings,
          ...(signal && { signal }),
        }),
      );
    }
    const tags = options.tags ?? [];
    const { root, outputs } = await commitBuild(session, built, {
      tags,
      push: options.push === true,
      outputs: options.outputs ?? [],
      open: options.open,
      ...(signal && { signal }),
    });
    const sources = await session.apps.pins();
    return {
      digest: root.digest,
      mediaType: root.mediaType,
      names: tags,
      platforms: built.map(platformReport),
      steps,
      outputs,
      ...(sources.length > 0 && { sources }),
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    await session.close();
  }
}

/** The parse phase: the Kubefile read under its limits and parsed; errors stop the build before any I/O. */
export async function parse(options: BuildOptions): Promise<{ ast: KubefileAst; text: string }> {
  const file = kubefilePath(options);
  const shownAs = options.file ?? join(options.context, basename(file));
  const limits = kubefileLimits(options.env ?? process.env);
  const text = await readKubefile(file, shownAs, limits.maxFileSize);
  const { ast, diagnostics } = parseKubefile(text, shownAs, limits);
  if (hasErrors(diagnostics)) throw new BuildDiagnosticsError(diagnostics);
  diagnostics.forEach((d) => options.onWarning?.(d));
  return { ast, text };
}

function kubefilePath(options: BuildOptions): string {
  if (options.file !== undefined) return resolve(options.file);
  const kubefile = join(options.context, 'Kubefile');
  const dockerfile = join(options.context, 'Dockerfile');
  return !existsSync(kubefile) && existsSync(dockerfile) ? dockerfile : kubefile;
}
