import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterLabels } from '../cluster';
import { KimgError } from '../errors';
import type { Platform } from '../manifest';
import { LayoutPaths } from '../store';
import { openLocalStore, type LocalStore } from '../transport/local';
import type { OpenContext } from '../transport/open';
import type { UnpackLimits } from '../unpack';
import { resolveClusterImage, type ClusterImage } from './cluster-image';
import { locateCluster, recordClusterEntry, type ClusterLocation } from './cluster-target';
import { withClusterLock } from './cluster-lock';
import { checkFreeSpace, unpackedSize } from './disk-space';
import { checkCompatibility, orderImages, rootfsVersion } from './install-order';
import { planInstall, type InstallPlan, type PlannedStep } from './install-plan';
import {
  readClusterState,
  writeClusterState,
  STATE_VERSION,
  type ClusterState,
  type StepRecord,
} from './install-state';
import { registryServiceAlive, startRegistryService, stopRegistryService } from './registry-service';
import { renderClusterTemplates } from './render-templates';
import { runStep } from './run-step';
import { unpackImage } from './unpack-image';

export interface InstallOptions {
  storeRoot: string;
  open: OpenContext;
  cluster?: string;
  target?: string;
  /** `--env K=V`: over every image's ENV, in every hook and command. */
  env?: Record<string, string>;
  dryRun?: boolean;
  /** Unpack and run every step again, even those that succeeded. */
  force?: boolean;
  platform?: Platform;
  limits?: Partial<UnpackLimits>;
  /** Progress: `pull NAME`, `unpack NAME → DIR`, `skip STEP`, `run STEP`… */
  onEvent?: (message: string) => void;
  /** Output lines of hooks and commands, prefixed `[step] `. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface InstallResult {
  plan: InstallPlan;
  /** Undefined for --dry-run. */
  state?: ClusterState;
  /** Steps run by this call, and steps skipped because an earlier run did them. */
  ran: string[];
  skipped: string[];
}

/**
 * `kimg install`: resolves the images (store, else pull), orders and checks them, plans, checks free space, then
 * unpacks, serves the registry and runs the hooks and commands in sealos' order, recording each in
 * DIR/.kimg/state.json so a rerun skips what succeeded (docs/install.md).
 */
export async function installCluster(
  names: readonly string[],
  options: InstallOptions,
): Promise<InstallResult> {
  if (names.length === 0)
    throw new KimgError('USAGE', 'name at least one image to install', 'kimg install ROOTFS [APP…]');
  const location = await locateCluster({
    storeRoot: options.storeRoot,
    ...(options.cluster !== undefined && { cluster: options.cluster }),
    ...(options.target !== undefined && { target: options.target }),
  });
  const { paths } = location;
  const previous = await readClusterState(paths.stateFile);
  const live = previous && previous.status !== 'uninstalled' ? previous : undefined;
  const store = openLocalStore(options.storeRoot);
  const storePaths = new LayoutPaths(options.storeRoot);
  const event = options.onEvent ?? (() => undefined);
  try {
    const images: ClusterImage[] = [];
    for (const name of names) {
      images.push(
        await resolveClusterImage(name, {
          store,
          open: options.open,
          ...(options.platform && { platform: options.platform }),
          ...(options.signal && { signal: options.signal }),
          ...(options.dryRun ? { noPull: true } : { onPull: (pulled: string) => event(`pull ${pulled}`) }),
        }),
      );
    }
    const recordedRoot = live?.images.find((image) => image.type === 'rootfs');
    const rerunOfRoot =
      recordedRoot !== undefined &&
      images.some((image) => image.view.descriptor.digest === recordedRoot.digest);
    const installedRootfs =
      recordedRoot && !rerunOfRoot && !options.force
        ? await resolveClusterImage(recordedRoot.digest, {
            store,
            open: options.open,
            noPull: true,
            ...(options.platform && { platform: options.platform }),
          }).then((image) => ({ ...image, name: recordedRoot.name, type: 'rootfs' as const }))
        : undefined;
    const ordered = orderImages(images, installedRootfs !== undefined);
    const rootfs = installedRootfs ?? ordered[0];
    if (!rootfs) throw new KimgError('USAGE', 'no rootfs image', 'name it first');
    // Compatibility before any change (issue 11): every other image's KUBEVERSION range holds the rootfs version.
    checkCompatibility(
      rootfsVersion(rootfs),
      rootfs.name,
      ordered.filter((image) => image !== rootfs),
    );

    const sizes = new Map<ClusterImage, { total: number; withoutRegistry: number }>();
    for (const image of ordered) sizes.set(image, await unpackedSize(image, storePaths));
    const plan = planInstall({
      cluster: location.name,
      paths,
      ordered,
      ...(installedRootfs && { installedRootfs }),
      userEnv: options.env ?? {},
      diskNeeded: (image, servesRegistry) => {
        const size = sizes.get(image);
        return size === undefined ? 0 : servesRegistry ? size.withoutRegistry : size.total;
      },
      unpacked: (image, path) =>
        !options.force &&
        live?.images.some((done) => done.digest === image.view.descriptor.digest && done.path === path) ===
          true,
    });
    if (options.dryRun) return { plan, ran: [], skipped: [] };
    await checkFreeSpace(paths.target, plan.diskNeeded);

    return await withClusterLock(paths, location.name, () =>
      applyPlan(plan, { location, store, options, event }),
    );
  } finally {
    await store.close();
  }
}

/** Records the cluster, then unpacks and runs the steps, the state saved after each (under the cluster lock). */
async function applyPlan(
  plan: InstallPlan,
  context: {
    location: ClusterLocation;
    store: LocalStore;
    options: InstallOptions;
    event: (message: string) => void;
  },
): Promise<InstallResult> {
  const { location, store, options, event } = context;
  const { paths } = location;
  // Read again under the lock: another install may have finished since the plan was made.
  const previous = await readClusterState(paths.stateFile);
  const live = previous && previous.status !== 'uninstalled' ? previous : undefined;
  await recordClusterEntry(location);
  const state: ClusterState = {
    version: STATE_VERSION,
    cluster: location.name,
    target: paths.target,
    status: 'installing',
    updatedAt: '',
    images: options.force ? [] : [...(live?.images ?? [])],
    steps: options.force ? [] : [...(live?.steps ?? [])],
    cleanSteps: [],
    clean: plan.clean.length > 0 || !live ? plan.clean : live.clean,
    ...(live?.registry && { registry: live.registry }),
    env: { ...(options.env ?? {}) },
  };
  await writeClusterState(paths.stateFile, state);
  const save = () => writeClusterState(paths.stateFile, state);

  const at = { step: 'unpack' };
  try {
    return await runInstall(plan, state, { location, store, options, event, save, at });
  } catch (err) {
    // Where install stopped is in the state for `ps` and the next run (a failed step already recorded itself).
    if (state.status !== 'failed') {
      state.status = 'failed';
      state.failedStep = at.step;
      await save();
    }
    throw err;
  }
}

interface RunContext {
  location: ClusterLocation;
  store: LocalStore;
  options: InstallOptions;
  event: (message: string) => void;
  save: () => Promise<void>;
  /** The unit of work under way (`unpack` or a step's name): where a failure stopped. */
  at: { step: string };
}

/** The changes, once every check passed: unpack, then each step in order, the state saved after each. */
async function runInstall(
  plan: InstallPlan,
  state: ClusterState,
  context: RunContext,
): Promise<InstallResult> {
  const { location, options, event, save } = context;
  const { paths } = location;
  await unpackAll(plan, state, { ...context, force: options.force === true });
  // Templates after unpacking and before the first hook (sealos renders them when it mounts the images): all are
  // parsed and run before one is written, so a bad one stops here with file:line:col and nothing half-rendered.
  context.at.step = 'templates';
  const folders = new Map<string, Record<string, string>>();
  for (const planned of plan.images) if (!folders.has(planned.path)) folders.set(planned.path, planned.env);
  const rendered = await renderClusterTemplates(
    paths.target,
    [...folders].map(([path, env]) => ({ dir: join(paths.target, path), env })),
  );
  if (rendered.length > 0) event(`rendered ${rendered.length} template(s): ${rendered.join(', ')}`);
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const step of plan.steps) {
    context.at.step = step.name;
    if (step.kind === 'registry') {
      if (
        !options.force &&
        state.registry &&
        (await registryServiceAlive(state.registry.pid)) &&
        sameImages(state.registry.images, plan.registry?.images)
      ) {
        skipped.push(step.name);
        event(`skip ${step.name}: serving at ${state.registry.url} (pid ${state.registry.pid})`);
        continue;
      }
      if (state.registry) await stopRegistryService(state.registry.pid);
      const registry = plan.registry;
      if (!registry) continue;
      event(`run ${step.name}: ${step.command}`);
      state.registry = await startRegistryService(paths, {
        storeRoot: options.storeRoot,
        images: registry.images,
        host: registry.host,
        port: registry.port,
      });
      ran.push(step.name);
      event(`registry serving at ${state.registry.url} (pid ${state.registry.pid})`);
      await save();
      continue;
    }
    if (!options.force && succeeded(state.steps, step)) {
      skipped.push(step.name);
      event(`skip ${step.name}: done by an earlier install`);
      continue;
    }
    event(`run ${step.name}: ${step.command}`);
    const record = await runStep(withRegistryEnv(step, state), {
      log: paths.log(step.name),
      target: paths.target,
      ...(options.onLine && { onLine: options.onLine }),
      ...(options.signal && { signal: options.signal }),
    });
    replaceStep(state.steps, record);
    ran.push(step.name);
    if (record.exitCode !== 0) {
      state.status = 'failed';
      state.failedStep = step.name;
      await save();
      throw new KimgError(
        'HOOK_FAILED',
        `install of cluster ${location.name} stopped at ${step.name}: \`${step.command}\` exited ${record.exitCode} (log: ${join(paths.target, record.log)})`,
        'fix the cause and run the same kimg install again: it continues from this step',
      );
    }
    await save();
  }
  state.status = 'installed';
  delete state.failedStep;
  await save();
  return { plan, state, ran, skipped };
}

async function unpackAll(
  plan: InstallPlan,
  state: ClusterState,
  context: {
    store: ReturnType<typeof openLocalStore>;
    options: InstallOptions;
    event: (message: string) => void;
    save: () => Promise<void>;
    force: boolean;
  },
): Promise<void> {
  const { options, event } = context;
  if (context.force) {
    // A forced install starts from empty trees, so what an earlier version of an image left does not linger.
    for (const path of new Set(plan.images.map((planned) => planned.path)))
      await rm(join(plan.target, path), { recursive: true, force: true });
  }
  for (const planned of plan.images) {
    const { image } = planned;
    if (planned.done) {
      event(`skip unpack ${image.name}: already in ${planned.path}`);
      continue;
    }
    event(
      `unpack ${image.name} → ${planned.path}${planned.servesRegistry ? ' (registry/ stays in the store)' : ''}`,
    );
    const skipped = await unpackImage(image, join(plan.target, planned.path), {
      store: context.store,
      skipRegistry: planned.servesRegistry,
      ...(options.limits && { limits: options.limits }),
      ...(options.signal && { signal: options.signal }),
    });
    for (const name of skipped) event(`skipped special file ${name} of ${image.name}`);
    const version = image.type === 'rootfs' ? rootfsVersion(image) : image.labels[ClusterLabels.kubeVersion];
    state.images = state.images.filter(
      (done) => done.name !== image.name && !(done.path === planned.path && image.type === 'application'),
    );
    state.images.push({
      name: image.name,
      digest: image.view.descriptor.digest,
      type: image.type,
      path: planned.path,
      ...(version !== undefined && { version }),
    });
    await context.save();
  }
}

/** The served registry's real address (port 0 asked for any free port) in a step's env. */
function withRegistryEnv(step: PlannedStep, state: ClusterState): PlannedStep {
  if (!state.registry || step.env.registryPort === undefined) return step;
  return { ...step, env: { ...step.env, registryPort: String(state.registry.port) } };
}

function succeeded(records: readonly StepRecord[], step: PlannedStep): boolean {
  return records.some(
    (record) => record.name === step.name && record.command === step.command && record.exitCode === 0,
  );
}

function replaceStep(records: StepRecord[], record: StepRecord): void {
  const at = records.findIndex((existing) => existing.name === record.name);
  if (at >= 0) records.splice(at, 1);
  records.push(record);
}

function sameImages(a: readonly string[], b: readonly string[] | undefined): boolean {
  return b !== undefined && a.length === b.length && a.every((name, i) => name === b[i]);
}
