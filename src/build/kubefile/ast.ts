/**
 * The Kubefile AST: every node carries where it came from, so the planner can point a later error (a missing
 * file, an unknown stage) at the exact text. Positions are 1-based; columns count UTF-16 code units, as LSP
 * does; `endColumn` is exclusive. A span may cross lines (line continuations, heredoc bodies).
 *
 * Words keep their raw source text (quotes, escapes and `$VARS` intact, continuations joined): the Dockerfile
 * reference ("Environment replacement") expands variables per instruction and per stage, which needs the
 * build args and ENV in force at that point — the planner's job, through `expand()`.
 */
export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Word {
  /** Raw source text of the word (after line continuations are joined). */
  text: string;
  span: Span;
}

/** `--name` or `--name=value`; `value` is raw (quotes and variables kept). */
export interface Flag {
  name: string;
  value?: string;
  span: Span;
}

/** A here-document (`<<EOF`, `<<-EOF`, `<<"EOF"`) and the body lines that follow the instruction. */
export interface Heredoc {
  name: string;
  /** `<<-`: leading tabs were stripped from every body line and from the delimiter line. */
  chomp: boolean;
  /** The delimiter was quoted: the body is used verbatim, never expanded. */
  quoted: boolean;
  /** The body, each line ending in "\n" (empty for an empty body). */
  content: string;
  /** The `<<EOF` marker on the instruction line. */
  span: Span;
  /** From the first body line to the end of the delimiter line. */
  bodySpan: Span;
}

/** JSON (exec) form: the argv array; shell form: the command text, run by the stage's SHELL. */
export type CommandForm = { form: 'exec'; args: Word[]; span: Span } | { form: 'shell'; command: Word };

export interface KeyValue {
  key: Word;
  /** Absent for `ARG name` without a default. */
  value?: Word;
  span: Span;
}

export interface InstructionBase {
  /** The keyword as written (`copy`, `Copy`, `COPY`); `kind` is the normalized name. */
  keyword: string;
  keywordSpan: Span;
  /** From the keyword to the end of the instruction, heredoc bodies included. */
  span: Span;
  flags: Flag[];
  /** The logical line: continuations joined, comments inside continuations dropped. */
  original: string;
}

export interface FromInstruction extends InstructionBase {
  kind: 'FROM';
  image: Word;
  /** `AS name`. */
  stage?: Word;
}

export type CopySource = { kind: 'path'; word: Word } | { kind: 'heredoc'; word: Word; heredoc: Heredoc };

export interface CopyInstruction extends InstructionBase {
  kind: 'COPY' | 'ADD';
  sources: CopySource[];
  dest: Word;
  json: boolean;
  heredocs: Heredoc[];
}

export interface RunInstruction extends InstructionBase {
  kind: 'RUN';
  command: CommandForm;
  heredocs: Heredoc[];
}

export interface CommandInstruction extends InstructionBase {
  kind: 'CMD' | 'ENTRYPOINT';
  command: CommandForm;
}

export interface ShellInstruction extends InstructionBase {
  kind: 'SHELL';
  args: Word[];
}

export interface KeyValueInstruction extends InstructionBase {
  kind: 'ENV' | 'LABEL' | 'ARG';
  pairs: KeyValue[];
  /** `ENV key value` (one pair, the value is the rest of the line), deprecated by the reference. */
  legacy: boolean;
}

export interface ValueInstruction extends InstructionBase {
  kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER' | 'KUBEVERSION';
  value: Word;
}

export interface ListInstruction extends InstructionBase {
  kind: 'EXPOSE' | 'VOLUME' | 'LAUNCH' | 'CMDS';
  items: Word[];
  json: boolean;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: 'HEALTHCHECK';
  /** Absent for `HEALTHCHECK NONE`. */
  command?: CommandForm;
}

export interface OnbuildInstruction extends InstructionBase {
  kind: 'ONBUILD';
  /** The trigger, parsed like any instruction (never FROM, MAINTAINER or ONBUILD). */
  instruction: Instruction;
}

/** sealer's app scheme list plus `helm://` and `oci://` (charts from a repository or registry); docs/kubefile.md. */
export type AppSourceScheme = 'local' | 'http' | 'https' | 'helm' | 'oci';

export interface AppSource {
  scheme: AppSourceScheme;
  /** The part after `scheme://` (for http/https: the whole URL is in `word.text`). */
  path: string;
  word: Word;
}

/** APP, and CNI / CSI which are apps that also declare the cluster's network / storage plugin. */
export interface AppInstruction extends InstructionBase {
  kind: 'APP' | 'CNI' | 'CSI';
  name: Word;
  sources: AppSource[];
}

export interface AppCmdsInstruction extends InstructionBase {
  kind: 'APPCMDS';
  app: Word;
  commands: Word[];
  json: boolean;
}

export interface AppEnvInstruction extends InstructionBase {
  kind: 'APPENV';
  app: Word;
  pairs: KeyValue[];
}

export type Instruction =
  | FromInstruction
  | CopyInstruction
  | RunInstruction
  | CommandInstruction
  | ShellInstruction
  | KeyValueInstruction
  | ValueInstruction
  | ListInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | AppInstruction
  | AppCmdsInstruction
  | AppEnvInstruction;

export type InstructionKind = Instruction['kind'];

/** `# name=value` at the top of the file (reference: "Parser directives"). */
export interface ParserDirective {
  name: string;
  value: string;
  span: Span;
}

export interface KubefileAst {
  file: string;
  directives: ParserDirective[];
  /** The escape character in force: `\` or `` ` ``. */
  escape: string;
  instructions: Instruction[];
}
