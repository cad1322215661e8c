import type { z } from 'zod';
import { join } from 'node:path';
import {
  ClusterEnv,
  ClusterLabels,
  INSTALL_HOOKS,
  readLabelRecord,
  appRecordsSchema,
  launchRecordSchema,
  embeddedImagesSchema,
  type HookName,
  type LaunchRecord,
} from '../cluster';
import { KimgError } from '../errors';
import type { ClusterImage } from './cluster-image';
import type { ClusterPaths } from './cluster-paths';
import type { CleanHook } from './install-state';
import { rootfsVersion } from './install-order';

/** What install will do, in order: computed before any change, printed by `--dry-run`. */
export interface InstallPlan {
  cluster: string;
  target: string;
  images: PlannedImage[];
  steps: PlannedStep[];
  /** The registry kimg serves, when an image embeds one and the rootfs has no init-registry hook. */
  registry?: { host: string; port: number; images: string[] };
  /** What uninstall will run: clean-cri, clean-registry, clean (the reverse of install), labelled ones only. */
  clean: CleanHook[];
  /** Bytes the unpacked trees need (registry/ excluded: it is served from the store). */
  diskNeeded: number;
}

export interface PlannedImage {
  image: ClusterImage;
  /** `rootfs` or `apps/<folder>`, relative to the target. */
  path: string;
  /** Already unpacked by an earlier run with the same digest (skipped unless --force). */
  done: boolean;
  /** registry/ stays in the store (served), never unpacked. */
  servesRegistry: boolean;
  /** The env its templates are rendered with: its steps' env (kimg's own environment aside). */
  env: Record<string, string>;
}

export interface PlannedStep {
  /** `check`, `registry`, `init-cri`, `init`, `cmd:<folder>`, `app:<name>`. */
  name: string;
  kind: 'hook' | 'registry' | 'command';
  /** The shell text run as `bash -c` (hooks: `bash <label value>`). */
  command: string;
  /** Absolute working directory. */
  cwd: string;
  /** Environment added to the process's own. */
  env: Record<string, string>;
}

/** sealos' registry port. */
export const DEFAULT_REGISTRY_PORT = 5000;
/** kimg serves the embedded registry on loopback: the host's own runtime is its only client. */
export const REGISTRY_HOST = '127.0.0.1';

/**
 * The plan for `ordered` (rootfs first; orderImages) into `paths`, given the rootfs already installed (when an
 * earlier install made the cluster) and `--env`. Pure apart from reading nothing: every fact comes from the
 * images' configs and labels.
 */
export function planInstall(options: {
  cluster: string;
  paths: ClusterPaths;
  ordered: readonly ClusterImage[];
  installedRootfs?: ClusterImage;
  userEnv: Readonly<Record<string, string>>;
  diskNeeded: (image: ClusterImage, servesRegistry: boolean) => number;
  unpacked: (image: ClusterImage, path: string) => boolean;
}): InstallPlan {
  const { paths, ordered, userEnv } = options;
  const rootfs = options.installedRootfs ?? ordered.find((image) => image.type === 'rootfs');
  if (!rootfs) throw new KimgError('USAGE', 'an install needs a rootfs image', 'name it first');
  const hookLabels = rootfs.labels;
  const withRegistry = ordered.filter(embedsRegistry);
  const serve = withRegistry.length > 0 && hookLabels['init-registry'] === undefined;
  const port = Number(
    userEnv[ClusterEnv.registryPort] ?? rootfs.env[ClusterEnv.registryPort] ?? DEFAULT_REGISTRY_PORT,
  );
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KimgError(
      'USAGE',
      `registryPort "${userEnv[ClusterEnv.registryPort] ?? rootfs.env[ClusterEnv.registryPort]}" is not a port`,
      'give --env registryPort=N (0: any free port)',
    );
  }
  // sealos passes the registry as registryDomain/registryPort (constants/README.md: init.sh $registryDomain
  // $registryPort); kimg's served registry is an address, not sealos.hub in /etc/hosts, so the domain is its IP.
  const registryEnv: Record<string, string> = serve
    ? { [ClusterEnv.registryDomain]: REGISTRY_HOST, [ClusterEnv.registryPort]: String(port) }
    : {};
  const version = rootfsVersion(rootfs);
  const rootEnv = {
    ...rootfs.env,
    ...(version !== undefined && { [ClusterEnv.kubeVersion]: version }),
    ...registryEnv,
    ...userEnv,
  };

  const images: PlannedImage[] = ordered.map((image) => {
    const path = image.type === 'application' ? join('apps', image.folder) : 'rootfs';
    const servesRegistry = serve && embedsRegistry(image);
    const env =
      image.type === 'application'
        ? { ...image.env, ...registryEnv, ...userEnv }
        : { ...rootEnv, ...image.env, ...registryEnv, ...userEnv };
    return { image, path, servesRegistry, env, done: options.unpacked(image, path) };
  });
  const steps: PlannedStep[] = [];
  if (ordered.includes(rootfs)) {
    for (const hook of INSTALL_HOOKS) {
      if (hook === 'init-registry' && serve) {
        steps.push({
          name: 'registry',
          kind: 'registry',
          command: `kimg registry serve --image ${withRegistry.map((image) => image.storeName).join(' ')}`,
          cwd: paths.target,
          env: {},
        });
        continue;
      }
      const command = hookCommand(hook, hookLabels, withRegistry.length > 0);
      if (command !== undefined)
        steps.push({ name: hook, kind: 'hook', command, cwd: paths.scripts, env: rootEnv });
    }
  }
  const clean: CleanHook[] = [];
  if (ordered.includes(rootfs)) {
    for (const hook of ['clean-cri', 'clean-registry', 'clean'] as const) {
      const command = hookCommand(hook, hookLabels, withRegistry.length > 0 && !serve);
      if (command !== undefined) clean.push({ name: hook, command, cwd: paths.scripts, env: rootEnv });
    }
  }
  for (const planned of images) steps.push(...imageCommands(planned, paths, { ...registryEnv, ...userEnv }));
  return {
    cluster: options.cluster,
    target: paths.target,
    images,
    steps,
    clean,
    ...(serve && {
      registry: { host: REGISTRY_HOST, port, images: withRegistry.map((image) => image.storeName) },
    }),
    diskNeeded: images
      .filter((planned) => !planned.done)
      .reduce((sum, planned) => sum + options.diskNeeded(planned.image, planned.servesRegistry), 0),
  };
}

/** Whether kimg build embedded images in the image's registry/ (its `io.kimg.images` record is not empty). */
export function embedsRegistry(image: ClusterImage): boolean {
  const read = readLabelRecord(image.labels, ClusterLabels.images, () => embeddedImagesSchema, []);
  return read.ok && read.value.length > 0;
}

/**
 * A hook's shell text: `bash <label value>` (sealos constants/bash.go). Only labelled hooks run: sealos falls back
 * to `bash <name>.sh` for check/init/clean, kimg does not, so the plan is known before anything is unpacked
 * (docs/install.md). `init-registry`/`clean-registry` only when an image embeds a registry.
 */
function hookCommand(
  hook: HookName,
  labels: Readonly<Record<string, string>>,
  hasRegistry: boolean,
): string | undefined {
  const value = labels[hook];
  if ((hook === 'init-registry' || hook === 'clean-registry') && !hasRegistry) return undefined;
  return value === undefined || value.trim() === '' ? undefined : `bash ${value}`;
}

/**
 * The commands of one image after the hooks, as sealos' guest runs them (pkg/guest/guest.go): ENTRYPOINT then
 * CMD, each element one shell command, in the image's folder; or the sealer records: LAUNCH names apps whose
 * APPCMDS run, CMDS gives the commands. A shell-form CMD (`/bin/sh -c TEXT`) is one command, TEXT.
 */
function imageCommands(
  planned: PlannedImage,
  paths: ClusterPaths,
  sharedEnv: Record<string, string>,
): PlannedStep[] {
  const { image } = planned;
  const cwd = image.type === 'application' ? paths.app(image.folder) : paths.rootfs;
  const { env } = planned;
  const launch = readLabelRecord(
    image.labels,
    ClusterLabels.launch,
    () => launchRecordSchema as z.ZodType<LaunchRecord | undefined>,
    undefined,
  );
  const apps = readLabelRecord(image.labels, ClusterLabels.apps, () => appRecordsSchema, []);
  if (!launch.ok)
    throw new KimgError(
      'CONFIG_INVALID',
      `${image.name}: ${launch.reason}`,
      'rebuild the image with kimg build',
    );
  if (!apps.ok)
    throw new KimgError(
      'CONFIG_INVALID',
      `${image.name}: ${apps.reason}`,
      'rebuild the image with kimg build',
    );
  if (launch.value && 'cmds' in launch.value) {
    return [
      { name: `cmd:${image.folder}`, kind: 'command', command: launch.value.cmds.join('\n'), cwd, env },
    ];
  }
  if (launch.value && 'apps' in launch.value) {
    return launch.value.apps.map((name) => {
      const app = apps.value.find((record) => record.name === name);
      if (!app?.cmds || app.cmds.length === 0) {
        throw new KimgError(
          'UNSUPPORTED',
          `${image.name}: LAUNCH names app "${name}", which has no APPCMDS`,
          `give its commands in the Kubefile: APPCMDS ${name} ["kubectl apply -f ..."]`,
        );
      }
      return {
        name: `app:${name}`,
        kind: 'command' as const,
        command: app.cmds.join('\n'),
        cwd,
        env: { ...env, ...app.env, ...sharedEnv },
      };
    });
  }
  const commands = [
    ...shellCommands(image.view.config.config?.Entrypoint),
    ...shellCommands(image.view.config.config?.Cmd),
  ];
  if (commands.length === 0) return [];
  return [{ name: `cmd:${image.folder}`, kind: 'command', command: commands.join('\n'), cwd, env }];
}

function shellCommands(argv: readonly string[] | null | undefined): string[] {
  if (!argv || argv.length === 0) return [];
  if (argv.length === 3 && (argv[0] === '/bin/sh' || argv[0] === '/bin/bash') && argv[1] === '-c')
    return [argv[2] as string];
  return argv.filter((command) => command.trim() !== '');
}
