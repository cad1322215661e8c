import type { Argv, CommandModule } from 'yargs';
import {
  build,
  BuildDiagnosticsError,
  dryRunImages,
  dryRunProblems,
  type DryRunResult,
  CLUSTER_IMAGE_TYPES,
  type BuildOptions,
  type BuildReport,
  type ClusterImageType,
} from '../../build';
import { formatDiagnostic } from '../../build/kubefile';
import { KimgError } from '../../errors';
import {
  LAYER_COMPRESSIONS,
  parseCompressionLevel,
  type LayerCompressionKind,
} from '../../layer/compressors';
import { parsePlatform } from '../../manifest/platform';
import { parseByteSize } from '../../unpack';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { terminalLines } from '../terminal-text';
import { parseFlag } from '../usage-error';

interface BuildArgs extends GlobalOptions {
  context: string;
  file?: string;
  tag?: string | string[];
  'build-arg'?: string | string[];
  label?: string | string[];
  platform?: string | string[];
  cache: boolean;
  compression: LayerCompressionKind;
  'compression-level'?: string;
  type?: ClusterImageType;
  timestamp?: number;
  'preserve-mtime'?: boolean;
  target?: string;
  network?: 'none' | 'host' | 'default';
  ignorefile?: string;
  push?: boolean;
  output?: string | string[];
  'save-images': boolean;
  helm?: string;
  'image-list'?: string | string[];
  'ignore-images'?: string | string[];
  'max-pull-procs'?: number;
  'ignore-missing-images'?: boolean;
  'all-platforms'?: boolean;
  'max-unpack-size'?: string;
  'max-unpack-entries'?: string;
  'max-download-size'?: string;
}

export const buildCommand: CommandModule<GlobalOptions, BuildArgs> = {
  builder: (argv) => options(argv) as unknown as Argv<BuildArgs>,
  handler: async (argv) => {
    const context = createContext(argv);
    const { output } = context;
    const maxPulls = argv['max-pull-procs'];
    if (maxPulls !== undefined && (!Number.isInteger(maxPulls) || maxPulls < 1)) {
      throw new KimgError(
        'USAGE',
        `--max-pull-procs ${maxPulls}: expected a whole number ≥ 1`,
        'e.g. --max-pull-procs 5',
      );
    }
    const buildArgs = pairs(list(argv['build-arg']), '--build-arg', true);
    let report: BuildReport;
    try {
      const buildOptions: BuildOptions = {
        context: argv.context,
        ...(argv.file !== undefined && { file: argv.file }),
        tags: list(argv.tag),
        buildArgs,
        labels: pairs(list(argv.label), '--label', false),
        ...(argv.type && { type: argv.type }),
        platforms: list(argv.platform)
          .flatMap((p) => p.split(','))
          .filter(Boolean)
          .map((p) => parseFlag(() => parsePlatform(p.trim()))),
        noCache: !argv.cache,
        compression: argv.compression,
        ...(argv['compression-level'] !== undefined && {
          compressionLevel: parseFlag(() =>
            parseCompressionLevel(argv.compression, String(argv['compression-level']), '--compression-level'),
          ),
        }),
        ...(argv.timestamp !== undefined && { timestamp: argv.timestamp }),
        ...(argv['preserve-mtime'] && { preserveMtime: true }),
        ...(argv.target !== undefined && { target: argv.target }),
        ...(argv.network && { network: argv.network }),
        ...(argv.ignorefile !== undefined && { ignoreFile: argv.ignorefile }),
        push: argv.push === true,
        unpackLimits: {
          ...(argv['max-unpack-size'] !== undefined && {
            maxBytes: parseByteSize(argv['max-unpack-size'], '--max-unpack-size'),
          }),
          ...(argv['max-unpack-entries'] !== undefined && {
            maxEntries: parseByteSize(argv['max-unpack-entries'], '--max-unpack-entries'),
          }),
        },
        ...(argv['max-download-size'] !== undefined && {
          maxDownloadSize: parseByteSize(argv['max-download-size'], '--max-download-size'),
        }),
        outputs: list(argv.output),
        saveImages: argv['save-images'],
        embed: {
          ...(argv.helm !== undefined && { helm: argv.helm }),
          imageLists: list(argv['image-list']),
          ignoreLists: list(argv['ignore-images']),
          ...(maxPulls !== undefined && { maxPulls }),
          ignoreMissing: argv['ignore-missing-images'] === true,
          allPlatforms: argv['all-platforms'] === true,
        },
        onImageWarning: (line) => output.warn(line),
        open: context.open,
        onWarning: (d) => output.warnBlock(`\n${formatDiagnostic(d)}`),
        onStep: (step) =>
          output.note(
            `[${step.platform}] ${step.stageName ?? `stage ${step.stage}`}: ${step.instruction}${step.cached ? '  (cached)' : ''} ${step.seconds.toFixed(2)}s`,
          ),
      };
      if (argv['dry-run']) {
        const found = await dryRunImages(buildOptions);
        found.warnings.forEach((line) => output.warn(line));
        output.result(found, () => formatDiscovered(found));
        // Unresolvable images fail the dry run as they would fail the build (after the list is printed).
        const problems = dryRunProblems(found);
        if (problems && !argv['ignore-missing-images']) throw problems;
        if (problems) found.images.forEach((i) => i.error !== undefined && output.warn(i.error));
        return;
      }
      report = await build(buildOptions);
    } catch (err) {
      // Every problem of the Kubefile, as the compiler-style report; the exit point adds the summary line.
      if (err instanceof BuildDiagnosticsError) process.stderr.write(`${terminalLines(err.format())}\n`);
      throw err;
    } finally {
      await context.close();
    }
    output.result(report, () =>
      output.quiet
        ? report.digest
        : [
            ...(report.sources ?? []).map(
              (s) => `Fetched ${s.source} ${s.digest}${s.version ? ` (${s.version})` : ''}`,
            ),
            `Built ${report.digest}${report.names.length > 0 ? ` as ${report.names.join(', ')}` : ''}`,
            ...report.outputs.map((o) => `Wrote ${o}`),
          ].join('\n'),
    );
  },
};

function options(argv: Argv<GlobalOptions>) {
  return argv
    .positional('context', { type: 'string', default: '.', describe: 'build context directory' })
    .option('file', {
      alias: 'f',
      type: 'string',
      describe: 'Kubefile (default CONTEXT/Kubefile, else CONTEXT/Dockerfile)',
    })
    .option('tag', { alias: 't', type: 'string', describe: 'name in the local store (repeatable)' })
    .option('build-arg', { type: 'string', describe: 'K=V for an ARG (K alone: from the environment)' })
    .option('label', { type: 'string', describe: 'K=V label on the image' })
    .option('platform', { type: 'string', describe: 'os/arch[,os/arch…]: several build one OCI index' })
    .option('cache', {
      type: 'boolean',
      default: true,
      describe: 'reuse cached steps (--no-cache: rebuild all)',
    })
    .option('compression', {
      choices: LAYER_COMPRESSIONS,
      default: 'gzip' as LayerCompressionKind,
      describe: 'layer compression',
    })
    .option('compression-level', {
      type: 'string',
      describe: 'layer compression level: gzip 1–9 (default 6), zstd 1–22 (default 3)',
    })
    .option('type', { choices: CLUSTER_IMAGE_TYPES, describe: 'cluster image type (label sealos.io.type)' })
    .option('timestamp', {
      type: 'number',
      describe: 'seconds since the epoch for created/mtimes (default SOURCE_DATE_EPOCH, else 0)',
    })
    .option('preserve-mtime', {
      type: 'boolean',
      describe: "keep the files' modification times in COPY/ADD layers (the image is then not reproducible)",
    })
    .option('target', { type: 'string', describe: 'build this stage (name or index) instead of the last' })
    .option('network', {
      choices: ['none', 'host', 'default'] as const,
      describe: 'network for RUN (default none)',
    })
    .option('ignorefile', {
      type: 'string',
      describe: 'ignore file instead of .kubefileignore/.sealignore/.dockerignore',
    })
    .option('push', { type: 'boolean', describe: 'push every tag to its registry after building' })
    .option('output', { alias: 'o', type: 'string', describe: 'also write to oci:DIR, oci-archive:FILE, …' })
    .option('max-unpack-size', {
      type: 'string',
      describe:
        'cap on what an ADD archive or COPY --from image unpacks to (default 32GiB; KIMG_MAX_UNPACK_SIZE)',
    })
    .option('max-unpack-entries', {
      type: 'string',
      describe:
        'cap on the entries of an ADD archive or COPY --from image (default 1000000; KIMG_MAX_UNPACK_ENTRIES)',
    })
    .option('max-download-size', {
      type: 'string',
      describe: 'cap on the size of an ADD URL or a remote APP source (default 8GiB; KIMG_MAX_DOWNLOAD_SIZE)',
    })
    .option('save-images', {
      type: 'boolean',
      default: true,
      describe:
        'embed the container images of manifests/, charts/, images/shim/ and APP/CNI/CSI into registry/ (--save-images=false: none)',
    })
    .option('helm', {
      type: 'string',
      describe: 'Helm binary that renders charts (default KIMG_HELM, then PATH)',
    })
    .option('image-list', {
      type: 'string',
      describe: 'FILE: more images to embed, one per line (repeatable)',
    })
    .option('ignore-images', {
      type: 'string',
      describe: 'FILE: images not to embed, one per line (repeatable)',
    })
    .option('max-pull-procs', {
      type: 'number',
      describe: 'images pulled at once when embedding (default 5)',
    })
    .option('ignore-missing-images', {
      type: 'boolean',
      describe: 'leave out, with a warning, an image that cannot be pulled (default: the build fails)',
    })
    .option('dry-run', {
      type: 'boolean',
      describe:
        'list the remote APP sources and the images the build would embed, with file:line and digest (HEAD only); exit 1 if an image cannot be resolved (unless --ignore-missing-images); build nothing',
    })
    .option('all-platforms', {
      type: 'boolean',
      describe: "embed every platform of an image's index, not only the build's",
    });
}

/** The remote APP sources fetched, then one image a line and each place that asked for it: `  file:line  how`. */
function formatDiscovered(found: DryRunResult): string {
  const sources = found.sources.map(
    (s) => `source ${s.source}\n  ${s.digest}${s.version ? `  version ${s.version}` : ''}  → ${s.path}`,
  );
  if (found.images.length === 0) return [...sources, 'No images to embed'].join('\n');
  const images = found.images.flatMap((image) => [
    image.reference,
    ...image.sources.map((s) => `  ${s.file}:${s.line}  ${s.how}`),
    ...(image.digest !== undefined ? [`  digest: ${image.digest}`] : []),
    ...(image.error !== undefined ? [`  error: ${image.error}`] : []),
  ]);
  return [...sources, ...images].join('\n');
}

/** Not `array: true` (it would swallow the CONTEXT positional): a repeated flag gives an array. */
function list(value: string | string[] | undefined): string[] {
  return [value ?? []].flat();
}

function pairs(values: string[] | undefined, flag: string, fromEnv: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (key === '' || (eq < 0 && !fromEnv)) {
      throw new KimgError('USAGE', `${flag} ${value}: expected KEY=VALUE`, `write ${flag} NAME=value`);
    }
    if (eq >= 0) result[key] = value.slice(eq + 1);
    else if (process.env[key] !== undefined) result[key] = process.env[key] ?? '';
  }
  return result;
}
