import type { CommandModule } from 'yargs';
import { KimgError } from '../../errors';
import { installCluster, type InstallPlan, type InstallResult } from '../../install';
import { parsePlatform } from '../../manifest/platform';
import { defaultStoreRoot } from '../../store/paths';
import { formatByteSize, parseByteSize, unpackLimitsFromEnv } from '../../unpack';
import { createContext } from '../context';
import type { GlobalOptions } from '../global-options';
import { parseFlag } from '../usage-error';

interface InstallArgs extends GlobalOptions {
  images: string[];
  cluster?: string;
  target?: string;
  env?: string | string[];
  'dry-run'?: boolean;
  force?: boolean;
  platform?: string;
  'max-unpack-size'?: string;
  'max-unpack-entries'?: string;
}

export const installCommand: CommandModule<GlobalOptions, InstallArgs> = {
  builder: (argv) =>
    argv
      .positional('images', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'rootfs image first, then patches and applications',
      })
      .option('cluster', { type: 'string', describe: 'cluster name (default: default)' })
      .option('target', {
        type: 'string',
        describe: 'install into DIR (default: KIMG_CLUSTERS_DIR/NAME; /var/lib/kimg/clusters/NAME as root)',
      })
      .option('env', {
        type: 'string',
        describe: "K=V for hooks, commands and templates, over the images' ENV (repeatable)",
      })
      .option('dry-run', {
        type: 'boolean',
        describe: 'print the plan (images, order, steps, env, disk needed) and change nothing',
      })
      .option('force', {
        type: 'boolean',
        describe: 'unpack and run every step again, even those an earlier install did',
      })
      .option('platform', {
        type: 'string',
        describe: 'os/arch of the images to install (default: the host)',
      })
      .option('max-unpack-size', {
        type: 'string',
        describe: 'cap on what one image unpacks to (default 32GiB; KIMG_MAX_UNPACK_SIZE)',
      })
      .option('max-unpack-entries', {
        type: 'string',
        describe: 'cap on members per image (default 1000000; KIMG_MAX_UNPACK_ENTRIES)',
      }) as never,
  handler: async (argv) => {
    const context = createContext(argv);
    const { output } = context;
    try {
      const result = await installCluster(argv.images, {
        storeRoot: context.storeRoot ?? defaultStoreRoot(),
        open: context.open,
        ...(argv.cluster !== undefined && { cluster: argv.cluster }),
        ...(argv.target !== undefined && { target: argv.target }),
        env: envPairs([argv.env ?? []].flat()),
        dryRun: argv['dry-run'] === true,
        force: argv.force === true,
        ...(argv.platform !== undefined && {
          platform: parseFlag(() => parsePlatform(argv.platform as string)),
        }),
        limits: {
          ...unpackLimitsFromEnv(process.env),
          ...(argv['max-unpack-size'] !== undefined && {
            maxBytes: parseByteSize(argv['max-unpack-size'], '--max-unpack-size'),
          }),
          ...(argv['max-unpack-entries'] !== undefined && {
            maxEntries: parseByteSize(argv['max-unpack-entries'], '--max-unpack-entries'),
          }),
        },
        onEvent: (message) => output.note(`kimg: ${message}`),
        // Hook output is the operator's view of the install: on stderr even with --format json (stdout stays JSON).
        onLine: (line) => {
          if (!output.quiet) process.stderr.write(`${line}\n`);
        },
      });
      output.result(resultJson(result), () =>
        argv['dry-run'] ? formatPlan(result.plan) : formatDone(result),
      );
    } finally {
      await context.close();
    }
  },
};

/** `--env K=V` (repeatable); a bare K takes the value from kimg's own environment, as `docker run -e K`. */
export function envPairs(values: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new KimgError(
        'USAGE',
        `--env ${value}: expected NAME=VALUE with a shell variable name`,
        'write --env registryPort=5000',
      );
    }
    if (eq >= 0) env[key] = value.slice(eq + 1);
    else if (process.env[key] !== undefined) env[key] = process.env[key] ?? '';
  }
  return env;
}

function resultJson(result: InstallResult): unknown {
  const { plan } = result;
  return {
    cluster: plan.cluster,
    target: plan.target,
    images: plan.images.map((planned) => ({
      name: planned.image.name,
      digest: planned.image.view.descriptor.digest,
      type: planned.image.type,
      path: planned.path,
      unpacked: planned.done,
    })),
    steps: plan.steps.map((step) => ({
      name: step.name,
      kind: step.kind,
      command: step.command,
      cwd: step.cwd,
      env: step.env,
    })),
    clean: plan.clean.map((hook) => hook.name),
    ...(plan.registry && { registry: plan.registry }),
    diskNeeded: plan.diskNeeded,
    ...(result.state && {
      status: result.state.status,
      ran: result.ran,
      skipped: result.skipped,
      servedRegistry: result.state.registry,
    }),
  };
}

function formatPlan(plan: InstallPlan): string {
  const lines = [`cluster ${plan.cluster} → ${plan.target}`, 'images:'];
  for (const planned of plan.images)
    lines.push(
      `  ${planned.image.type.padEnd(11)} ${planned.image.name} (${planned.image.view.descriptor.digest.slice(0, 19)}) → ${planned.path}${planned.done ? ' (unpacked already)' : ''}${planned.servesRegistry ? ', registry/ served from the store' : ''}`,
    );
  lines.push('steps:');
  for (const step of plan.steps) {
    lines.push(`  ${step.name}: ${step.command.split('\n').join('; ')}  (in ${step.cwd})`);
    const env = Object.entries(step.env).map(([k, v]) => `${k}=${v}`);
    if (env.length > 0) lines.push(`    env: ${env.join(' ')}`);
  }
  if (plan.clean.length > 0) lines.push(`uninstall runs: ${plan.clean.map((hook) => hook.name).join(', ')}`);
  lines.push(`disk needed: ${formatByteSize(plan.diskNeeded)}`);
  return lines.join('\n');
}

function formatDone(result: InstallResult): string {
  const registry = result.state?.registry;
  return [
    `cluster ${result.plan.cluster} installed in ${result.plan.target}`,
    `ran: ${result.ran.join(', ') || 'nothing'}${result.skipped.length > 0 ? `; skipped (done before): ${result.skipped.join(', ')}` : ''}`,
    ...(registry ? [`registry: ${registry.url} (pid ${registry.pid})`] : []),
  ].join('\n');
}
