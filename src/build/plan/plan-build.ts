import type { Platform } from '../../manifest/descriptor';
import { formatPlatform, parsePlatform } from '../../manifest/platform';
import type { FromInstruction, KeyValueInstruction, KubefileAst } from '../kubefile/ast';
import { PlanContext, type StageState } from './plan-context';
import { PlanReporter, type PlanDiagnostic } from './plan-diagnostic';
import { planInstruction } from './plan-instruction';
import { instructionText } from './plan-copy';
import { platformArgs, Scope } from './scope';
import type { BuildPlan, PlannedStage, RunSpec, StageBase } from './types';

/** What the planner knows of a base image: its ENV and WORKDIR, which expansion and relative paths need. */
export interface BaseInfo {
  env: readonly string[];
  workingDir?: string;
}

/**
 * The ENV a stage FROM scratch starts with: BuildKit and buildah give Linux images the default PATH
 * (moby/buildkit dockerfile2llb `defaultEnv`), so commands resolve without an ENV PATH.
 */
export const SCRATCH_ENV: readonly string[] = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
];

export interface PlanOptions {
  /** The Kubefile text, for the source line of each diagnostic. */
  text: string;
  platform: Platform;
  /** Where the build runs (BUILDPLATFORM…); default: the target platform. */
  buildPlatform?: Platform;
  /** `--build-arg`: values for declared ARGs. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Config of each `FROM image` by its expanded reference (the executor reads them, then plans again). */
  bases?: ReadonlyMap<string, BaseInfo>;
  /** `--target`: the stage to build (name or index); default the last. */
  target?: string;
  /** RUN's network unless `RUN --network` says otherwise. */
  network?: RunSpec['network'];
}

export interface PlanResult {
  plan: BuildPlan;
  diagnostics: PlanDiagnostic[];
}

/**
 * Kubefile AST → build plan for one platform. Pure: no file, image or clock is read; the executor feeds in what
 * it learnt about base images (`bases`). Problems become diagnostics in the parser's format, never throws.
 */
export function planBuild(ast: KubefileAst, options: PlanOptions): PlanResult {
  const reporter = new PlanReporter(ast.file, options.text);
  const ctx = new PlanContext(
    ast.file,
    reporter,
    ast.escape,
    options.platform.architecture,
    options.network ?? 'none',
  );
  const buildArgs = options.buildArgs ?? {};
  const globals = platformArgs(options.platform, options.buildPlatform ?? options.platform);
  const stages: PlannedStage[] = [];
  const states: StageState[] = [];
  let stage: StageState | undefined;

  for (const node of ast.instructions) {
    if (node.kind === 'FROM') {
      const planned = planFrom(ctx, node, globals, states, options.bases);
      stage = planned.state;
      stages.push(planned.stage);
      states.push(stage);
    } else if (node.kind === 'ARG') {
      if (stage) {
        declareArgs(ctx, node, stage.scope.args, stage.scope.variables(), buildArgs, globals);
        stage.steps.push({
          at: ctx.position(node.keywordSpan),
          instruction: instructionText(node),
          action: { kind: 'config', edit: { op: 'none' } },
        });
      } else declareArgs(ctx, node, globals, globals, buildArgs, globals);
    } else if (stage) {
      const step = planInstruction(ctx, stage, node);
      if (step) stage.steps.push(step);
    }
  }
  stages.forEach((s, i) => (s.steps = states[i]?.steps ?? []));
  const target = targetStage(ctx, options.target, stages.length);
  return {
    plan: { platform: options.platform, stages, target, needed: neededStages(states, target) },
    diagnostics: reporter.diagnostics,
  };
}

function planFrom(
  ctx: PlanContext,
  node: FromInstruction,
  globals: ReadonlyMap<string, string>,
  states: readonly StageState[],
  bases: ReadonlyMap<string, BaseInfo> | undefined,
): { stage: PlannedStage; state: StageState } {
  const index = states.length;
  const image = ctx.expand(node.image, globals);
  const stageIndex = ctx.stageNames.get(image.toLowerCase());
  let base: StageBase;
  let scope: Scope;
  let workdir = '/';
  const fallback = new Map([['ARCH', ctx.architecture]]);
  const parent = stageIndex !== undefined ? states[stageIndex] : undefined;
  if (parent && stageIndex !== undefined) {
    base = { kind: 'stage', index: stageIndex };
    scope = parent.scope.inherit();
    workdir = parent.workdir;
  } else if (image === 'scratch') {
    base = { kind: 'scratch' };
    scope = Scope.fromEnvList(SCRATCH_ENV, fallback);
  } else {
    const platform = fromPlatform(ctx, node, globals);
    base = { kind: 'image', ref: image, ...(platform && { platform }) };
    const info = bases?.get(baseLookupKey(image, platform));
    scope = Scope.fromEnvList(info?.env ?? [], fallback);
    workdir = info?.workingDir || '/';
  }
  const name = node.stage?.text.toLowerCase();
  if (name !== undefined) ctx.stageNames.set(name, index);
  const state: StageState = {
    index,
    ...(name !== undefined && { name }),
    scope,
    workdir,
    steps: [],
    deps: new Set(base.kind === 'stage' ? [base.index] : []),
  };
  const stage: PlannedStage = {
    index,
    ...(name !== undefined && { name }),
    at: ctx.position(node.keywordSpan),
    base,
    steps: [],
  };
  return { stage, state };
}

/** The key of `bases`: a reference, and the platform when `FROM --platform` names one. */
export function baseLookupKey(ref: string, platform: Platform | undefined): string {
  return platform ? `${ref} ${formatPlatform(platform)}` : ref;
}

/**
 * `FROM --platform=P` (reference: "FROM": "--platform … to specify the platform of the image in case FROM
 * references a multi-platform image", e.g. `--platform=$BUILDPLATFORM`): expanded with the global args.
 */
function fromPlatform(
  ctx: PlanContext,
  node: FromInstruction,
  globals: ReadonlyMap<string, string>,
): Platform | undefined {
  const flag = ctx.flag(node.flags, 'platform');
  if (!flag) return undefined;
  const value = ctx.expand({ text: flag.value ?? '', span: flag.span }, globals);
  try {
    return parsePlatform(value);
  } catch (err) {
    ctx.reporter.error(
      'INVALID_FLAG',
      flag.span,
      `FROM --platform=${value}: ${(err as Error).message}`,
      'write OS/ARCH[/VARIANT], e.g. --platform=linux/arm64 or --platform=$BUILDPLATFORM',
    );
    return undefined;
  }
}

/**
 * ARG: a value from --build-arg wins, then the default (expanded), then — inside a stage — the global value of
 * the same name (reference: "an ARG declared before a FROM … use it inside a stage by ARG without a value").
 */
function declareArgs(
  ctx: PlanContext,
  node: KeyValueInstruction,
  into: Map<string, string>,
  variables: ReadonlyMap<string, string>,
  buildArgs: Readonly<Record<string, string>>,
  globals: ReadonlyMap<string, string>,
): void {
  for (const pair of node.pairs) {
    const key = pair.key.text;
    const given = Object.prototype.hasOwnProperty.call(buildArgs, key) ? buildArgs[key] : undefined;
    const value = given ?? (pair.value ? ctx.expand(pair.value, variables) : globals.get(key));
    if (value !== undefined) into.set(key, value);
  }
}

function targetStage(ctx: PlanContext, target: string | undefined, count: number): number {
  if (target === undefined) return count - 1;
  const index = ctx.stageNames.get(target.toLowerCase()) ?? (/^\d+$/.test(target) ? Number(target) : -1);
  if (index < 0 || index >= count) {
    ctx.reporter.error(
      'UNKNOWN_TARGET',
      { line: 1, column: 1, endLine: 1, endColumn: 1 },
      `--target ${target}: the Kubefile has no such stage`,
      `stages: ${[...ctx.stageNames.keys()].join(', ') || `0 to ${count - 1}`}`,
    );
    return count - 1;
  }
  return index;
}

/** The target and every stage it reads, transitively, in index order (BuildKit skips the rest). */
function neededStages(states: readonly StageState[], target: number): number[] {
  const needed = new Set<number>();
  const visit = (index: number): void => {
    if (needed.has(index) || !states[index]) return;
    needed.add(index);
    for (const dep of states[index].deps) visit(dep);
  };
  visit(target);
  return [...needed].sort((a, b) => a - b);
}
