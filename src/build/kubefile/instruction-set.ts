import type { InstructionKind } from './ast';

/** Every instruction kimg understands: the Dockerfile reference's set plus sealer's Kubefile extensions. */
export const DOCKERFILE_INSTRUCTIONS = [
  'FROM',
  'COPY',
  'ADD',
  'RUN',
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'ARG',
  'LABEL',
  'WORKDIR',
  'USER',
  'EXPOSE',
  'VOLUME',
  'STOPSIGNAL',
  'SHELL',
  'HEALTHCHECK',
  'ONBUILD',
  'MAINTAINER',
] as const satisfies readonly InstructionKind[];

export const CLUSTER_INSTRUCTIONS = [
  'APP',
  'APPCMDS',
  'APPENV',
  'LAUNCH',
  'CMDS',
  'CNI',
  'CSI',
  'KUBEVERSION',
] as const satisfies readonly InstructionKind[];

export const INSTRUCTIONS: readonly InstructionKind[] = [...DOCKERFILE_INSTRUCTIONS, ...CLUSTER_INSTRUCTIONS];

export function instructionKind(keyword: string): InstructionKind | undefined {
  const upper = keyword.toUpperCase();
  return INSTRUCTIONS.find((name) => name === upper);
}

/**
 * Instructions whose words the builder expands (reference: "Environment replacement"); RUN, CMD and ENTRYPOINT
 * are left to the shell. ONBUILD expands when its trigger runs, in the child build.
 */
export const EXPANDING_INSTRUCTIONS: ReadonlySet<InstructionKind> = new Set<InstructionKind>([
  'FROM',
  'ADD',
  'COPY',
  'ENV',
  'EXPOSE',
  'LABEL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
  'ONBUILD',
  'ARG',
  'APP',
  'APPENV',
  'CNI',
  'CSI',
]);

/** Instructions that take here-documents (reference: "Here-documents": RUN, COPY, ADD). */
export const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(['RUN', 'COPY', 'ADD']);

/** `string`: needs a value; `bool`: `--x` or `--x=true|false`; `repeat`: a value, may be given many times. */
export type FlagType = 'string' | 'bool' | 'repeat';

/** Flags per instruction (reference, each instruction's section; BuildKit instructions/parse.go). */
export const FLAGS: Partial<Record<InstructionKind, Readonly<Record<string, FlagType>>>> = {
  FROM: { platform: 'string' },
  COPY: {
    from: 'string',
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    parents: 'bool',
    exclude: 'repeat',
  },
  ADD: {
    chown: 'string',
    chmod: 'string',
    link: 'bool',
    'keep-git-dir': 'bool',
    checksum: 'string',
    exclude: 'repeat',
  },
  RUN: { mount: 'repeat', network: 'string', security: 'string' },
  HEALTHCHECK: {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  },
};
