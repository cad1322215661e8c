import type { CommandInstruction, HealthcheckInstruction, RunInstruction, ShellInstruction } from '../ast';
import { argumentWords, commandForm, jsonArguments, reportMissing } from '../arguments';
import type { InstructionInput } from '../instruction-input';

/** `RUN [flags] cmd` / `RUN ["exe", …]` / `RUN <<EOF` (reference: "RUN", "Here-documents"). */
export function parseRun(input: InstructionInput): RunInstruction | undefined {
  const command = commandForm(input);
  if (!command) {
    reportMissing(input, 'a command', 'RUN apk add --no-cache curl');
    return undefined;
  }
  return { ...input.base, kind: 'RUN', command, heredocs: input.heredocs };
}

/** `CMD` / `ENTRYPOINT`, exec or shell form (reference: "CMD", "ENTRYPOINT"); `CMD []` is an empty exec form. */
export function parseCommand(input: InstructionInput): CommandInstruction | undefined {
  const command = commandForm(input);
  if (!command) {
    reportMissing(input, 'a command', `${input.kind} ["kubectl", "apply", "-f", "manifests/"]`);
    return undefined;
  }
  return { ...input.base, kind: input.kind === 'ENTRYPOINT' ? 'ENTRYPOINT' : 'CMD', command };
}

/** `SHELL ["executable", "parameters"]`: JSON form only (reference: "SHELL"). */
export function parseShell(input: InstructionInput): ShellInstruction | undefined {
  if (input.args >= input.line.trimmedEnd()) {
    reportMissing(input, 'a JSON array', 'SHELL ["/bin/bash", "-c"]');
    return undefined;
  }
  const args = jsonArguments(input, true);
  if (!args) return undefined;
  if (args.length === 0) {
    reportMissing(input, 'at least the shell executable', 'SHELL ["/bin/bash", "-c"]');
    return undefined;
  }
  return { ...input.base, kind: 'SHELL', args };
}

/** `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=…] CMD command` (reference: "HEALTHCHECK"). */
export function parseHealthcheck(input: InstructionInput): HealthcheckInstruction | undefined {
  const [mode] = argumentWords(input);
  if (!mode) {
    reportMissing(input, 'NONE or CMD', 'HEALTHCHECK --interval=30s CMD curl -f http://localhost/');
    return undefined;
  }
  const upper = mode.text.toUpperCase();
  if (upper === 'NONE') {
    if (input.flags.length > 0 || input.line.trimmedEnd() > input.args + mode.text.length) {
      input.source.report(
        'EXTRA_ARGUMENT',
        mode.span,
        'HEALTHCHECK NONE takes no flags or arguments',
        'write HEALTHCHECK NONE alone to disable the base image health check',
      );
    }
    return { ...input.base, kind: 'HEALTHCHECK' };
  }
  // `mode` is the first word, so it starts at input.args.
  const from = input.args + mode.text.length;
  const command = upper === 'CMD' ? commandForm(input, input.line.skipBlanks(from)) : undefined;
  if (!command) {
    input.source.report(
      upper === 'CMD' ? 'MISSING_ARGUMENT' : 'INVALID_ARGUMENT',
      mode.span,
      upper === 'CMD'
        ? 'HEALTHCHECK CMD requires a command'
        : `HEALTHCHECK expects NONE or CMD, found "${mode.text}"`,
      'write HEALTHCHECK [--interval=30s] CMD command, or HEALTHCHECK NONE',
    );
    return undefined;
  }
  return { ...input.base, kind: 'HEALTHCHECK', command };
}
