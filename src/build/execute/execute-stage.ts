import { rm } from 'node:fs/promises';
import type { LocalStore } from '../../transport/local';
import { baseKey, layerKey, probeKey, stepKey, type BuildCache } from '../cache';
import type { BuildContext } from '../context/build-context';
import { emptyStage, type StageImage } from '../image/stage-image';
import { commandArgv, runCreatedBy } from '../run/run-command';
import type { DaemonOptions } from '../../transport/docker-daemon';
import { SCRATCH_ENV } from '../plan/plan-build';
import type { BuildPlan, PlannedStage, PlannedStep } from '../plan/types';
import { applyConfig } from './apply-config';
import type { BaseImage } from './base-image';
import { prepareCopy, positioned } from './copy-step';
import type { LayerOutput } from './layer-output';
import type { StepReport } from './report';
import { stageFiles } from './stage-files';
import { destIsDirectory, layerOwner } from './stage-lookup';
import type { UrlSources } from './url-sources';
import type { AppSources } from '../app-sources/app-sources';
import type { StoredLayer } from '../run/layer-sink';
import { formatPlatform } from '../../manifest/platform';
import type { Platform } from '../../manifest/descriptor';
import type { UnpackLimits } from '../../unpack';
import type { LayerSettings } from '../settings';

/** A built stage: its image and the cache key of its last step (what a later stage built on it keys on). */
export interface StageResult {
  image: StageImage;
  key: string;
}

/** What executing a stage needs from the build: everything is opened once per build by executeBuild. */
export interface StageEnv {
  plan: BuildPlan;
  results: Map<number, StageResult>;
  context: BuildContext;
  store: LocalStore;
  cache: BuildCache;
  noCache: boolean;
  output: LayerOutput;
  /** The build's timestamp as an ISO string: config `created` and every history entry. */
  created: string;
  timestamp: Date;
  /** Build settings that change bytes but no instruction (compression, timestamp): part of every key. */
  settings: LayerSettings;
  /** FROM / COPY --from images, pulled once per build and platform. */
  image(ref: string, platform?: Platform): Promise<BaseImage>;
  /** ADD `http(s)://` sources, shared by the build's platforms. */
  urls?: UrlSources;
  /** Remote APP/CNI/CSI sources, fetched once per build. */
  apps?: AppSources;
  /** Caps on ADD archives and `COPY --from` trees (src/unpack); unset caps take its defaults. */
  unpackLimits?: Partial<UnpackLimits>;
  daemon?: DaemonOptions;
  onStep?: (report: StepReport) => void;
  signal?: AbortSignal;
}

export async function executeStage(stage: PlannedStage, env: StageEnv): Promise<StageResult> {
  let { image, key } = await stageBase(stage, env);
  let cmdSet = false;
  for (const step of stage.steps) {
    const started = performance.now();
    const result = await executeStep(step, image, key, cmdSet, env);
    if (step.action.kind === 'config' && step.action.edit.op === 'cmd') cmdSet = true;
    ({ image, key } = result);
    const layer = result.layer;
    env.onStep?.({
      platform: formatPlatform(env.plan.platform),
      stage: stage.index,
      ...(stage.name !== undefined && { stageName: stage.name }),
      at: `${step.at.file}:${step.at.line}:${step.at.column}`,
      instruction: step.instruction,
      cached: result.cached,
      key,
      ...(result.layerReused && { layerReused: true }),
      ...(result.hashedBytes !== undefined && { hashedBytes: result.hashedBytes }),
      ...(layer && {
        layer: { digest: layer.descriptor.digest, diffId: layer.diffId, size: layer.descriptor.size },
      }),
      seconds: Math.round(performance.now() - started) / 1000,
    });
  }
  return { image, key };
}

async function stageBase(stage: PlannedStage, env: StageEnv): Promise<StageResult> {
  const { base } = stage;
  if (base.kind === 'stage') {
    const parent = env.results.get(base.index);
    if (!parent) throw new Error(`stage ${base.index} was not built before stage ${stage.index}`);
    return parent;
  }
  if (base.kind === 'scratch') {
    const image = emptyStage(env.plan.platform);
    return {
      image: { ...image, runConfig: { Env: [...SCRATCH_ENV] } },
      key: baseKey({ scratch: env.plan.platform, env: SCRATCH_ENV }, env.settings),
    };
  }
  try {
    const pulled = await env.image(base.ref, base.platform);
    return { image: pulled.stage, key: baseKey({ image: pulled.descriptor.digest }, env.settings) };
  } catch (err) {
    throw positioned(stage.at, err);
  }
}

interface StepResult extends StageResult {
  cached: boolean;
  layer?: StoredLayer;
  layerReused?: boolean;
  hashedBytes?: number;
}

async function executeStep(
  step: PlannedStep,
  image: StageImage,
  parent: string,
  cmdSet: boolean,
  env: StageEnv,
): Promise<StepResult> {
  const edit = { createdBy: step.instruction, created: env.created, at: step.at, cmdSet };
  const { action } = step;
  if (action.kind === 'config') {
    const key = stepKey(parent, action, undefined);
    const cached = !env.noCache && (await env.cache.get(key)) !== undefined;
    env.cache.put(key, {});
    return { image: applyConfig(image, action.edit, edit), key, cached };
  }
  if (action.kind === 'copy') return copyStep(step, action, image, parent, env, edit);
  const key = stepKey(parent, action, undefined);
  const layer = env.noCache ? undefined : await reusableLayer(env, key);
  let next: StageImage;
  if (layer) {
    const createdBy = runCreatedBy(commandArgv(image, action.run.command, step.at), action.run.command);
    next = withLayer(image, layer, createdBy, env.created);
  } else {
    // Loaded on first RUN: dockerode is a large part of start-up, and builds without RUN never need it.
    const { runInstruction } = await import('../run/run-instruction');
    next = (
      await runInstruction(image, action.run.command, {
        at: step.at,
        store: env.store,
        sink: env.output.sink,
        timestamp: env.timestamp,
        network: action.run.network,
        env: action.run.args,
        // The images RUN sends to and gets from the daemon are staged in the build's scratch dir, not TMPDIR.
        daemon: { ...env.daemon, tmpDir: await env.output.scratch('daemon') },
        ...(env.signal && { signal: env.signal }),
      })
    ).stage;
  }
  const written = layer ?? { descriptor: next.layers.at(-1)!, diffId: next.diffIds.at(-1)! };
  env.cache.put(key, { layer: written });
  return { image: next, key, cached: layer !== undefined, layer: written };
}

/** A cached layer, if the store still has its blob (`kimg prune` may have removed it). */
async function reusableLayer(env: StageEnv, key: string): Promise<StoredLayer | undefined> {
  const hit = (await env.cache.get(key))?.layer;
  return hit && (await env.store.exists(hit.descriptor)) ? hit : undefined;
}

type CopyAction = Extract<PlannedStep['action'], { kind: 'copy' }>;

/**
 * COPY/ADD (issue 13): a context COPY is keyed by its layer's diff ID. The stat index gives it without reading
 * when every source file is as it was; else the tar is made and hashed (read once, not compressed) only if a
 * COPY like this was ever built here (`probeKey`: otherwise no key can hit) — a first build reads each file once,
 * in the layer writer, and keys the step on the diff ID it wrote. A step-key miss still finds a layer with the
 * same bytes by its layer key (`layerKey`): nothing is compressed twice for a config-only change above it.
 */
async function copyStep(
  step: PlannedStep,
  action: CopyAction,
  image: StageImage,
  parent: string,
  env: StageEnv,
  edit: Parameters<typeof applyConfig>[2],
): Promise<StepResult> {
  // Trees a COPY unpacks (a --from stage, an ADD archive) are needed only until its layer is written.
  const unpacked: string[] = [];
  try {
    const { prepared, intoDir } = await copyContent(step, action.copy, image, env, unpacked);
    const owner = await layerOwner(action.copy, image, step.at, env);
    const layout = { intoDir, owner };
    const { timestamp, preserveMtime } = env.settings;
    const scope = { layout, tar: { timestamp, preserveMtime: preserveMtime === true } };
    const probe = probeKey(action.copy, env.settings);
    let content = prepared.known(scope);
    let hashedBytes = 0;
    if (content === undefined && !env.noCache && (await env.cache.get(probe))?.seen) {
      const entries = await prepared.entries();
      hashedBytes = entries.reduce(
        (bytes, entry) => bytes + (entry.type === 'file' ? (entry.size ?? 0) : 0),
        0,
      );
      content = (
        await env.output
          .hash(entries, owner)
          .catch((err: unknown) => Promise.reject(positioned(step.at, err)))
      ).diffId;
    }
    let layer =
      content === undefined || env.noCache
        ? undefined
        : await reusableLayer(env, stepKey(parent, action, content));
    const cached = layer !== undefined;
    let layerReused = false;
    if (!layer) {
      const byBytes =
        content === undefined ? undefined : layerKey(action.copy, layout, content, env.settings);
      layer = byBytes === undefined || env.noCache ? undefined : await reusableLayer(env, byBytes);
      layerReused = layer !== undefined;
      layer ??= await env.output.write(await prepared.entries(), owner);
    }
    // What a context COPY's key stands for is the tar it wrote (or found): its diff ID.
    const keyed = prepared.keyedByLayer ? layer.diffId : content;
    if (keyed === undefined) throw new Error(`${step.instruction}: a COPY from an origin has no key`);
    if (!cached) env.cache.put(layerKey(action.copy, layout, keyed, env.settings), { layer });
    const key = stepKey(parent, action, keyed);
    env.cache.put(key, { layer });
    if (!cached) env.cache.put(probe, { seen: true }); // a step-key hit was written with its probe
    if (prepared.keyedByLayer) prepared.remember(scope, keyed);
    let next = withLayer(image, layer, step.instruction, env.created);
    if (action.then) next = dropLastHistory(applyConfig(next, action.then, edit));
    return { image: next, key, cached, layer, layerReused, hashedBytes };
  } finally {
    await Promise.all(unpacked.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function copyContent(
  step: PlannedStep,
  spec: Extract<PlannedStep['action'], { kind: 'copy' }>['copy'],
  image: StageImage,
  env: StageEnv,
  unpacked: string[],
) {
  const scratch = async (name: string) => {
    const dir = await env.output.scratch(name);
    unpacked.push(dir);
    return dir;
  };
  const { origin } = spec;
  const intoDir = await destIsDirectory(spec, image, env).catch((err: unknown) =>
    Promise.reject(positioned(step.at, err)),
  );
  const common = {
    scratch,
    ...(env.unpackLimits && { unpackLimits: env.unpackLimits }),
    ...(intoDir && { destIsDirectory: true }),
    ...(env.output.preservesMtime && { preserveMtime: true }),
  };
  if (origin.kind === 'context') {
    const prepared = await prepareCopy(spec, step.at, {
      files: async () => env.context,
      ...common,
      ...(env.urls && { urls: env.urls }),
      ...(env.apps && { apps: env.apps }),
    });
    return { prepared, intoDir };
  }
  let from: StageResult;
  if (origin.kind === 'stage') {
    const built = env.results.get(origin.index);
    if (!built) throw new Error(`stage ${origin.index} was not built before it was copied from`);
    from = built;
  } else {
    const pulled = await env
      .image(origin.ref)
      .catch((err: unknown) => Promise.reject(positioned(step.at, err)));
    from = { image: pulled.stage, key: pulled.descriptor.digest };
  }
  const what = origin.kind === 'stage' ? `stage ${origin.index}` : origin.ref;
  const prepared = await prepareCopy(spec, step.at, {
    originKey: from.key,
    files: async () =>
      stageFiles(from.image, env.store, await scratch('stage'), what, {
        ...(env.unpackLimits && { limits: env.unpackLimits }),
        ...(env.signal && { signal: env.signal }),
      }),
    ...common,
  });
  return { prepared, intoDir };
}

function withLayer(image: StageImage, layer: StoredLayer, createdBy: string, created: string): StageImage {
  return {
    ...image,
    layers: [...image.layers, layer.descriptor],
    diffIds: [...image.diffIds, layer.diffId],
    history: [...image.history, { created, created_by: createdBy }],
  };
}

/** APP adds a layer and a label in one instruction: one history entry, the layer's. */
function dropLastHistory(image: StageImage): StageImage {
  return { ...image, history: image.history.slice(0, -1) };
}
