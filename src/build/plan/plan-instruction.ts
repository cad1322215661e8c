import { posix } from 'node:path';
import type { CommandForm, HealthcheckInstruction, Instruction, KeyValue } from '../kubefile/ast';
import { HEALTHCHECK_DURATION_FLAGS, parseDuration } from './healthcheck';
import type { PlanContext, StageState } from './plan-context';
import { instructionText, planApp, planCopy } from './plan-copy';
import type { CommandSpec, ConfigEdit, PlannedStep } from './types';

/**
 * One instruction of a stage → one step (FROM and ARG are the planner's). Words are expanded with the
 * variables in force before the instruction (an ENV's pairs see the ENV before it, as in Docker); the stage's
 * scope and working directory are updated for the next one.
 */
export function planInstruction(
  ctx: PlanContext,
  stage: StageState,
  node: Instruction,
): PlannedStep | undefined {
  if (node.kind === 'COPY' || node.kind === 'ADD') return planCopy(ctx, stage, node);
  if (node.kind === 'APP' || node.kind === 'CNI' || node.kind === 'CSI') return planApp(ctx, stage, node);
  if (node.kind === 'RUN') {
    const command =
      node.command.form === 'exec'
        ? { exec: node.command.args.map((a) => a.text) }
        : { shell: runShell(node) };
    const network = ctx.flagValue(node.flags, 'network', stage.scope.variables());
    const run = {
      command,
      network: network === 'host' || network === 'default' || network === 'none' ? network : ctx.network,
      args: Object.fromEntries(stage.scope.args),
    };
    return step(ctx, node, undefined, run);
  }
  const edit = configEdit(ctx, stage, node);
  return edit ? step(ctx, node, edit) : undefined;
}

function step(
  ctx: PlanContext,
  node: Instruction,
  edit: ConfigEdit | undefined,
  run?: Extract<PlannedStep['action'], { kind: 'run' }>['run'],
): PlannedStep {
  return {
    at: ctx.position(node.keywordSpan),
    instruction: instructionText(node),
    action: run ? { kind: 'run', run } : { kind: 'config', edit: edit ?? { op: 'none' } },
  };
}

/** RUN <<EOF: the body is the script (BuildKit runs a heredoc-only RUN as the shell's input). */
function runShell(node: Extract<Instruction, { kind: 'RUN' }>): string {
  const text = node.command.form === 'shell' ? node.command.command.text : '';
  const only = node.heredocs[0];
  return only && text.trim() === `<<${only.quoted ? `"${only.name}"` : only.name}`.trim()
    ? only.content
    : text;
}

function configEdit(ctx: PlanContext, stage: StageState, node: Instruction): ConfigEdit | undefined {
  const vars = stage.scope.variables();
  const value = (w: { text: string; span: HealthcheckInstruction['span'] }) => ctx.expand(w, vars);
  switch (node.kind) {
    case 'ENV': {
      const pairs = expandPairs(ctx, node.pairs, vars);
      for (const [key, v] of pairs) stage.scope.env.set(key, v);
      return { op: 'env', pairs };
    }
    case 'LABEL':
      return { op: 'labels', labels: Object.fromEntries(expandPairs(ctx, node.pairs, vars)) };
    case 'WORKDIR':
      stage.workdir = posix.resolve(stage.workdir, value(node.value));
      return { op: 'field', field: 'WorkingDir', value: stage.workdir };
    case 'USER':
      return { op: 'field', field: 'User', value: value(node.value) };
    case 'STOPSIGNAL':
      return { op: 'field', field: 'StopSignal', value: value(node.value) };
    case 'MAINTAINER':
      return { op: 'author', value: node.value.text };
    case 'KUBEVERSION':
      return { op: 'kubeversion', range: node.value.text };
    case 'EXPOSE':
      return {
        op: 'set',
        field: 'ExposedPorts',
        keys: node.items.map(value).map((p) => (p.includes('/') ? p : `${p}/tcp`)),
      };
    case 'VOLUME':
      return { op: 'set', field: 'Volumes', keys: node.items.map(value) };
    case 'LAUNCH':
      return { op: 'launch', launch: { apps: node.items.map((w) => w.text) } };
    case 'CMDS':
      return { op: 'launch', launch: { cmds: node.items.map((w) => w.text) } };
    case 'CMD':
    case 'ENTRYPOINT':
      return { op: node.kind === 'CMD' ? 'cmd' : 'entrypoint', command: commandSpec(node.command) };
    case 'SHELL':
      return { op: 'shell', value: node.args.map((a) => a.text) };
    case 'HEALTHCHECK':
      return healthcheck(ctx, node);
    case 'ONBUILD':
      return { op: 'onbuild', trigger: instructionText(node.instruction) };
    case 'APPCMDS':
      return { op: 'appcmds', name: value(node.app), cmds: node.commands.map((w) => w.text) };
    case 'APPENV':
      return {
        op: 'appenv',
        name: value(node.app),
        env: Object.fromEntries(expandPairs(ctx, node.pairs, vars)),
      };
    default:
      return undefined;
  }
}

function expandPairs(
  ctx: PlanContext,
  pairs: readonly KeyValue[],
  vars: ReadonlyMap<string, string>,
): [string, string][] {
  return pairs.map((pair) => [ctx.expand(pair.key, vars), pair.value ? ctx.expand(pair.value, vars) : '']);
}

function commandSpec(command: CommandForm): CommandSpec {
  return command.form === 'exec'
    ? { exec: command.args.map((a) => a.text) }
    : { shell: command.command.text };
}

function healthcheck(ctx: PlanContext, node: HealthcheckInstruction): ConfigEdit {
  if (!node.command) return { op: 'healthcheck', value: { Test: ['NONE'] } };
  const spec = commandSpec(node.command);
  const value: Record<string, unknown> = {
    Test: 'exec' in spec ? ['CMD', ...spec.exec] : ['CMD-SHELL', spec.shell],
  };
  for (const flag of node.flags) {
    const field = HEALTHCHECK_DURATION_FLAGS[flag.name];
    const text = flag.value ?? '';
    const parsed = field ? parseDuration(text) : /^\d+$/.test(text) ? Number(text) : undefined;
    if (parsed === undefined) {
      ctx.reporter.error(
        'INVALID_FLAG',
        flag.span,
        `HEALTHCHECK --${flag.name}=${text} is not ${field ? 'a duration' : 'a whole number'}`,
        field ? 'write a duration such as 30s, 1m30s or 500ms' : 'write a count such as --retries=3',
      );
      continue;
    }
    value[field ?? 'Retries'] = parsed;
  }
  return { op: 'healthcheck', value };
}
