import type { Platform } from '../../manifest/descriptor';

/**
 * A build plan: what every stage starts from and the steps it takes, with every variable already expanded
 * (per stage, per platform, with the ARG/ENV in force at each instruction). Plain JSON data: the executor
 * performs it, the cache keys on it, tests compare it without any I/O.
 */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/** What a stage starts from: nothing, an earlier stage of this Kubefile, or an image in any transport. */
export type StageBase =
  | { kind: 'scratch' }
  | { kind: 'stage'; index: number }
  /** `platform`: `FROM --platform=…` (reference: "FROM"), else the platform being built. */
  | { kind: 'image'; ref: string; platform?: Platform };

/** Where COPY reads: the build context, an earlier stage (`--from=name|N`) or an image (`--from=IMAGE`). */
export type CopyOrigin =
  { kind: 'context' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface CopySpec {
  /** ADD: a local tar archive source is extracted into `dest` (Dockerfile reference, "ADD"). */
  add: boolean;
  origin: CopyOrigin;
  /** Source patterns, expanded (sealer's `${ARCH}` included), relative to the origin's root. */
  sources: string[];
  /** Here-documents given as sources: files named `name` with `content`. */
  inline: { name: string; content: string }[];
  /** Absolute in the image; a trailing `/` means "into this directory". */
  dest: string;
  /** `--chown` as numeric ids (numbers and `root`, known without reading the image). */
  owner?: { uid: number; gid: number };
  /**
   * `--chown=NAME[:GROUP]` with names: the executor resolves them in the stage's /etc/passwd and /etc/group
   * (a numeric part stays numeric). Exclusive with `owner`.
   */
  chownNames?: { user: string; group?: string };
  /** ADD `http(s)://` sources (reference: "ADD", "Adding files from a URL"): downloaded, mode 0600. */
  urls?: string[];
  /** ADD `--checksum=sha256:…`: the digest every URL source must have. */
  checksum?: string;
  /** `--chmod`. */
  chmod?: number;
  /**
   * APP/CNI/CSI sources fetched at build time (`https://`, `helm://`, `oci://`, as written, expanded): the
   * executor fetches them (src/build/app-sources) and puts them into `dest` beside the local ones.
   */
  remote?: { app: string; sources: string[] };
}

export type CommandSpec = { exec: string[] } | { shell: string };

export interface AppDeclaration {
  name: string;
  kind: 'app' | 'cni' | 'csi';
  sources: string[];
}

/** The config effect of one instruction (docs/kubefile.md; src/build/image/config-edits.ts applies them). */
export type ConfigEdit =
  | { op: 'env'; pairs: [string, string][] }
  | { op: 'labels'; labels: Record<string, string> }
  | { op: 'field'; field: 'WorkingDir' | 'User' | 'StopSignal'; value: string }
  | { op: 'set'; field: 'ExposedPorts' | 'Volumes'; keys: string[] }
  | { op: 'cmd' | 'entrypoint'; command: CommandSpec }
  | { op: 'shell'; value: string[] }
  | { op: 'healthcheck'; value: Record<string, unknown> }
  | { op: 'onbuild'; trigger: string }
  | { op: 'author'; value: string }
  | { op: 'none' }
  | { op: 'app'; app: AppDeclaration }
  | { op: 'appcmds'; name: string; cmds: string[] }
  | { op: 'appenv'; name: string; env: Record<string, string> }
  | { op: 'launch'; launch: { apps: string[] } | { cmds: string[] } }
  | { op: 'kubeversion'; range: string };

export interface RunSpec {
  command: { shell?: string; exec?: string[] };
  network: 'none' | 'host' | 'default';
  /** The build args in scope: the command's environment, never the image's. */
  args: Record<string, string>;
}

export type StepAction =
  | { kind: 'config'; edit: ConfigEdit }
  /** A layer from files; `then` is a config edit the same instruction makes (APP: the app's label). */
  | { kind: 'copy'; copy: CopySpec; then?: ConfigEdit }
  | { kind: 'run'; run: RunSpec };

export interface PlannedStep {
  at: Position;
  /** The instruction as written (keyword upper-cased): the history's `created_by` and the report's label. */
  instruction: string;
  action: StepAction;
}

export interface PlannedStage {
  index: number;
  name?: string;
  at: Position;
  base: StageBase;
  steps: PlannedStep[];
}

export interface BuildPlan {
  platform: Platform;
  stages: PlannedStage[];
  /** The stage whose image is the result (the last one, or `--target`). */
  target: number;
  /** The stages the target needs (FROM stage, COPY --from), in build order, the target last. */
  needed: number[];
}
