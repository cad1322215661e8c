import { KimgError } from '../../errors';
import type { Platform } from '../../manifest/descriptor';
import type { LocalStore } from '../../transport/local';
import type { OpenContext } from '../../transport/open';
import type { DaemonOptions } from '../../transport/docker-daemon';
import type { BuildCache } from '../cache';
import type { BuildContext } from '../context/build-context';
import type { KubefileAst } from '../kubefile/ast';
import type { StageImage } from '../image/stage-image';
import { hostPlatform } from '../../manifest/host-platform';
import {
  baseLookupKey,
  planBuild,
  type BaseInfo,
  type PlanOptions,
  type PlanResult,
} from '../plan/plan-build';
import type { BuildPlan } from '../plan/types';
import { BuildDiagnosticsError } from './build-error';
import { pullBase, type BaseImage } from './base-image';
import { executeStage, type StageResult } from './execute-stage';
import type { LayerOutput } from './layer-output';
import type { StepReport } from './report';
import type { UrlSources } from './url-sources';
import type { AppSources } from '../app-sources/app-sources';
import type { UnpackLimits } from '../../unpack';
import type { LayerSettings } from '../settings';

export interface PlatformBuildOptions {
  ast: KubefileAst;
  text: string;
  platform: Platform;
  /** BUILDPLATFORM; default the host's. */
  buildPlatform?: Platform;
  buildArgs: Record<string, string>;
  target?: string;
  network?: PlanOptions['network'];
  context: BuildContext;
  store: LocalStore;
  open: OpenContext;
  cache: BuildCache;
  noCache: boolean;
  output: LayerOutput;
  timestamp: Date;
  /** Part of every cache key (cache/cache-key.ts baseKey). */
  settings: LayerSettings;
  urls?: UrlSources;
  /** Remote APP/CNI/CSI sources (src/build/app-sources), fetched once per build. */
  apps?: AppSources;
  unpackLimits?: Partial<UnpackLimits>;
  daemon?: DaemonOptions;
  onStep?: (report: StepReport) => void;
  signal?: AbortSignal;
}

/** A platform's plan, with its base images pulled (into the store transaction) and the lookup that shares them. */
export interface PlannedPlatform {
  plan: BuildPlan;
  image(ref: string, platform?: Platform): Promise<BaseImage>;
}

/**
 * Resolve bases, then plan: plan once to learn the base images, pull them, plan again with their ENV/WORKDIR
 * (the planner is pure; only this step does I/O for it).
 */
export async function planPlatform(options: PlatformBuildOptions): Promise<PlannedPlatform> {
  const planOptions: PlanOptions = {
    text: options.text,
    platform: options.platform,
    // BUILDPLATFORM is where kimg runs (reference: "Automatic platform ARGs in the global scope").
    buildPlatform: options.buildPlatform ?? hostPlatform(),
    buildArgs: options.buildArgs,
    ...(options.target !== undefined && { target: options.target }),
    ...(options.network && { network: options.network }),
  };
  const first = checked(planBuild(options.ast, planOptions));
  const pulled = new Map<string, Promise<BaseImage>>();
  const image = (ref: string, platform?: Platform): Promise<BaseImage> => {
    const key = baseLookupKey(ref, platform);
    let pending = pulled.get(key);
    if (!pending) {
      pending = pullBase(ref, platform ?? options.platform, options.store, options.open, options.signal);
      pulled.set(key, pending);
    }
    return pending;
  };
  const bases = new Map<string, BaseInfo>();
  for (const index of first.needed) {
    const base = first.stages[index]?.base;
    if (base?.kind !== 'image') continue;
    // A failed pull is reported with its line by executeStage.
    const pulledBase = await image(base.ref, base.platform).catch(() => undefined);
    if (pulledBase) bases.set(baseLookupKey(base.ref, base.platform), baseInfo(pulledBase.stage));
  }
  return { plan: checked(planBuild(options.ast, { ...planOptions, bases })), image };
}

/** Execute: the stages the target needs, in order, each step from the cache or run. Returns the target's image. */
export async function executePlan(
  { plan, image }: PlannedPlatform,
  options: PlatformBuildOptions,
): Promise<StageImage> {
  const results = new Map<number, StageResult>();
  const created = options.timestamp.toISOString();
  for (const index of plan.needed) {
    const stage = plan.stages[index];
    if (!stage) continue;
    results.set(
      index,
      await executeStage(stage, {
        plan,
        results,
        context: options.context,
        store: options.store,
        cache: options.cache,
        noCache: options.noCache,
        output: options.output,
        created,
        timestamp: options.timestamp,
        settings: options.settings,
        image,
        ...(options.urls && { urls: options.urls }),
        ...(options.apps && { apps: options.apps }),
        ...(options.unpackLimits && { unpackLimits: options.unpackLimits }),
        ...(options.daemon && { daemon: options.daemon }),
        ...(options.onStep && { onStep: options.onStep }),
        ...(options.signal && { signal: options.signal }),
      }),
    );
  }
  const result = results.get(plan.target);
  if (!result) throw new KimgError('INVALID_ARGUMENT', `${options.ast.file}: nothing to build`);
  return result.image;
}

/** Plan diagnostics are all errors: the build stops before any pull or layer, as for parser errors. */
function checked(result: PlanResult): BuildPlan {
  if (result.diagnostics.length > 0) throw new BuildDiagnosticsError(result.diagnostics);
  return result.plan;
}

function baseInfo(stage: StageImage): BaseInfo {
  const env = Array.isArray(stage.runConfig.Env) ? (stage.runConfig.Env as string[]) : [];
  const workingDir = typeof stage.runConfig.WorkingDir === 'string' ? stage.runConfig.WorkingDir : undefined;
  return { env, ...(workingDir && { workingDir }) };
}
