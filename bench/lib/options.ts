import path from 'node:path';
import { repoRoot } from './paths';

/**
 * The options every benchmark takes (node:util parseArgs descriptors): median of `--runs`, `--only` one tool,
 * scratch space under .bench-work/NAME, results in bench/results/NAME.json, `--regen` the inputs, `--help`.
 */
export function sharedOptions(name: string) {
  return {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    workdir: { type: 'string', default: path.join(repoRoot(), '.bench-work', name) },
    json: { type: 'string', default: path.join(repoRoot(), 'bench', 'results', `${name}.json`) },
    regen: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
}

/** A numeric option, refused with its name when it is not a number ≥ `min`. */
export function numberOption(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got '${value}'`);
  return n;
}

/** `--only TOOL`: one of `tools`, or null for all of them. */
export function onlyOption<T extends string>(value: string | undefined, tools: readonly T[]): T | null {
  if (value === undefined) return null;
  if (!(tools as readonly string[]).includes(value)) {
    throw new Error(`--only must be ${tools.join(' or ')}, got '${value}'`);
  }
  return value as T;
}
