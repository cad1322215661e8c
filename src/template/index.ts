import { KimgError } from '../errors';
import { ExecFault, Executor, type ExecLimits } from './exec';
import { FUNCTION_CHECK, functionTable, type FunctionOptions } from './functions';
import type { ListNode } from './nodes';
import { Parser, TemplateFault } from './parser';
import { fromJs, ValueLimitError } from './values';

export { unsupportedFunctionNames } from './functions';

/**
 * Go text/template as sealos renders `.tmpl` files (lifecycle/pkg/template: `Option("missingkey=default")`, sprig's
 * TxtFuncMap plus Helm's toYaml/fromYaml/toJson…): parse once, report syntax errors and unknown functions as
 * `NAME:LINE:COL: what` before anything runs, then execute over the env with bounded work.
 */
export interface Template {
  readonly name: string;
  /** Renders over data (env values are strings in sealos; maps and lists work too). */
  execute(data: Record<string, unknown>, options?: RenderOptions): string;
}

export interface RenderOptions extends FunctionOptions, Partial<ExecLimits> {}

/** Defaults of the execution bounds; a config file is far below them, a hostile template stops at them. */
export const DEFAULT_TEMPLATE_LIMITS: ExecLimits = {
  maxOutput: 16 * 1024 * 1024,
  maxSteps: 2_000_000,
  maxTemplateDepth: 100,
};

const PARSE_HINT =
  'fix the template: it is Go text/template syntax, rendered as sealos does (sprig functions, missingkey=default)';
const EXEC_HINT = 'fix the template or the value it reads (env from the image and --env); values are strings';

export function parseTemplate(text: string, name: string): Template {
  let parsed: { root: ListNode; defined: Map<string, ListNode> };
  try {
    parsed = new Parser(text, FUNCTION_CHECK).parse();
  } catch (err) {
    if (err instanceof TemplateFault) throw templateError(text, name, err.pos, err.message, PARSE_HINT);
    throw err;
  }
  const { root, defined } = parsed;
  return {
    name,
    execute(data, options = {}) {
      const limits: ExecLimits = { ...DEFAULT_TEMPLATE_LIMITS, ...definedLimits(options) };
      try {
        const executor = new Executor(defined, functionTable(options), limits);
        return executor.run(root, fromJs(data));
      } catch (err) {
        if (err instanceof ExecFault) throw templateError(text, name, err.pos, err.message, EXEC_HINT);
        if (err instanceof ValueLimitError)
          throw new KimgError('TEMPLATE', `${name}: ${err.message}`, EXEC_HINT);
        throw err;
      }
    },
  };
}

export function renderTemplate(
  text: string,
  data: Record<string, unknown>,
  name: string,
  options?: RenderOptions,
): string {
  return parseTemplate(text, name).execute(data, options);
}

function definedLimits(options: RenderOptions): Partial<ExecLimits> {
  const out: Partial<ExecLimits> = {};
  if (options.maxOutput !== undefined) out.maxOutput = options.maxOutput;
  if (options.maxSteps !== undefined) out.maxSteps = options.maxSteps;
  if (options.maxTemplateDepth !== undefined) out.maxTemplateDepth = options.maxTemplateDepth;
  return out;
}

/** `NAME:LINE:COL: message`, the column counted in characters from 1. */
function templateError(text: string, name: string, pos: number, message: string, hint: string): KimgError {
  const before = text.slice(0, Math.min(pos, text.length));
  const line = before.split('\n').length;
  const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
  return new KimgError('TEMPLATE', `${name}:${line}:${column}: ${message}`, hint);
}
