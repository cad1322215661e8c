import type { Platform } from '../../manifest/descriptor';
import { formatPlatform } from '../../manifest/platform';

/**
 * Variables in force at one instruction (Dockerfile reference, "ARG" → "Scope", "Using ARG variables"):
 * build args a stage declared, then ENV, which always wins over an ARG of the same name. sealer's `${ARCH}`
 * is the lowest layer: the target architecture unless an ARG or ENV says otherwise.
 */
export class Scope {
  readonly args = new Map<string, string>();
  readonly env = new Map<string, string>();

  constructor(private readonly fallback: ReadonlyMap<string, string> = new Map()) {}

  static fromEnvList(list: readonly string[], fallback: ReadonlyMap<string, string>): Scope {
    const scope = new Scope(fallback);
    for (const entry of list) {
      const eq = entry.indexOf('=');
      if (eq > 0) scope.env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return scope;
  }

  /** A new stage FROM this one's result: ENV is inherited, ARGs are not (each stage declares its own). */
  inherit(): Scope {
    const next = new Scope(this.fallback);
    for (const [key, value] of this.env) next.env.set(key, value);
    return next;
  }

  variables(): Map<string, string> {
    return new Map([...this.fallback, ...this.args, ...this.env]);
  }

  envList(): string[] {
    return [...this.env].map(([key, value]) => `${key}=${value}`);
  }
}

/** The automatic platform ARGs (reference: "Automatic platform ARGs in the global scope"). */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
  ]);
}
