import type {
  AppCmdsInstruction,
  AppEnvInstruction,
  AppInstruction,
  AppSource,
  AppSourceScheme,
  Word,
} from '../ast';
import { argumentRanges, argumentWords, jsonArguments, reportMissing, restWord } from '../arguments';
import type { InstructionInput } from '../instruction-input';
import { keyValuePairs } from './key-value';

/**
 * sealer's schemes (local://, http://, https://) and kimg's helm:// (a chart from a repository) and oci:// (a
 * chart in a registry, as `helm push` stores it).
 */
const SCHEME = /^(local|https?|helm|oci):\/\/(.*)$/;
/** App names become directory names and Kubernetes-style identifiers: a DNS-1123 label. */
const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkAppName(input: InstructionInput, name: Word): void {
  if (APP_NAME.test(name.text) || name.text.includes('$')) return;
  input.source.report(
    'INVALID_APP_NAME',
    name.span,
    `invalid app name "${name.text}"`,
    'an app name is lowercase letters, digits and "-" (a DNS-1123 label), e.g. my-app',
  );
}

/** `APP name src…`, `CNI name src…`, `CSI name src…` (sealer Kubefile). */
export function parseApp(input: InstructionInput): AppInstruction | undefined {
  const kind = input.kind === 'CNI' ? 'CNI' : input.kind === 'CSI' ? 'CSI' : 'APP';
  const [name, ...words] = jsonArguments(input) ?? argumentWords(input);
  if (!name || words.length === 0) {
    reportMissing(input, 'a name and at least one source', `${kind} mysql local://mysql.yaml`);
    return undefined;
  }
  checkAppName(input, name);
  const sources: AppSource[] = [];
  for (const word of words) {
    const match = SCHEME.exec(word.text);
    if (!match || match[2] === '') {
      input.source.report(
        'INVALID_APP_SOURCE',
        word.span,
        `${kind} source "${word.text}" has no supported scheme`,
        'prefix each source with local:// (a file or directory in the build context), http:// or https:// (a file ' +
          'to download), helm:// (a chart from a repository) or oci:// (a chart in a registry)',
      );
      continue;
    }
    const scheme = match[1] as AppSourceScheme;
    sources.push({
      scheme,
      path: scheme === 'http' || scheme === 'https' ? word.text : (match[2] ?? ''),
      word,
    });
  }
  return sources.length > 0 ? { ...input.base, kind, name, sources } : undefined;
}

/** `APPCMDS name ["cmd", …]`: the commands that launch app `name` (sealer); shell form is one command. */
export function parseAppCmds(input: InstructionInput): AppCmdsInstruction | undefined {
  const [first] = argumentRanges(input);
  if (!first) {
    reportMissing(input, 'an app name and its commands', 'APPCMDS mysql ["kubectl apply -f mysql.yaml"]');
    return undefined;
  }
  const app = input.line.word(first.start, first.end);
  checkAppName(input, app);
  const from = input.line.skipBlanks(first.end);
  const json = jsonArguments({ ...input, args: from });
  const rest = restWord(input, from);
  const commands = json ?? (rest ? [rest] : []);
  if (commands.length === 0) {
    reportMissing(
      input,
      `commands for app "${app.text}"`,
      `APPCMDS ${app.text} ["kubectl apply -f app.yaml"]`,
    );
    return undefined;
  }
  return { ...input.base, kind: 'APPCMDS', app, commands, json: json !== undefined };
}

/** `APPENV name K=V …`: environment for app `name`'s commands (sealer). */
export function parseAppEnv(input: InstructionInput): AppEnvInstruction | undefined {
  const [first, ...others] = argumentRanges(input);
  if (!first || others.length === 0) {
    reportMissing(input, 'an app name and at least one KEY=VALUE', 'APPENV mysql ROOT_PASSWORD=secret');
    return undefined;
  }
  const app = input.line.word(first.start, first.end);
  checkAppName(input, app);
  const pairs = keyValuePairs(input, others, true);
  return pairs.length > 0 ? { ...input.base, kind: 'APPENV', app, pairs } : undefined;
}
