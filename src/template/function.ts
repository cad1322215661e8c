import type { GoValue } from './values';

/**
 * A template function's Go signature, which decides how arguments are checked: a `string` parameter refuses an
 * int (`wrong type for value; expected string; got int`) and a missing value (`invalid value; expected
 * string`); an `any` parameter (interface{} or reflect.Value in Go) takes anything, a missing value as nil.
 */
export type ParamType = 'string' | 'int' | 'float' | 'bool' | 'any';

export interface CallContext {
  /** Refuses, before it is built, a result that would take the output past its bound. */
  reserve(chars: number): void;
  /** Counts work done inside a function (elements of a list built, regex steps) against the step bound. */
  step(count: number): void;
}

export interface GoFunction {
  params: ParamType[];
  /** Type of the trailing `...` parameter, if the Go function is variadic. */
  variadic?: ParamType;
  call(args: GoValue[], ctx: CallContext): GoValue;
}

/** A Go function's non-nil error result: execution stops with `error calling NAME: message`. */
export class FunctionError extends Error {}

export type FunctionTable = ReadonlyMap<string, GoFunction>;

export function fn(params: ParamType[], call: GoFunction['call'], variadic?: ParamType): GoFunction {
  return { params, call, variadic };
}

/** Narrowing helpers for implementations: the executor has already checked the types, so these only cast. */
export function str(value: GoValue): string {
  return typeof value === 'string' ? value : '';
}

export function int(value: GoValue): bigint {
  return typeof value === 'bigint' ? value : 0n;
}
