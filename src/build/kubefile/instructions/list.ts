import type { ListInstruction } from '../ast';
import { argumentWords, jsonArguments, reportMissing, restWord } from '../arguments';
import type { InstructionInput } from '../instruction-input';

const EXAMPLES: Record<ListInstruction['kind'], string> = {
  EXPOSE: 'EXPOSE 80/tcp 443',
  VOLUME: 'VOLUME ["/data"]',
  LAUNCH: 'LAUNCH ["app1", "app2"]',
  CMDS: 'CMDS ["kubectl apply -f manifests/"]',
};

/**
 * Lists of words: EXPOSE (reference: "EXPOSE"), VOLUME (JSON or words, reference: "VOLUME"), and sealer's
 * LAUNCH (app names) and CMDS (commands run when the image is launched; shell form is one command).
 */
export function parseList(input: InstructionInput): ListInstruction | undefined {
  const kind = input.kind as ListInstruction['kind'];
  const json = kind === 'EXPOSE' ? undefined : jsonArguments(input);
  let items = json;
  if (!items) {
    const rest = restWord(input);
    items = kind === 'CMDS' ? (rest ? [rest] : []) : argumentWords(input);
  }
  if (items.length === 0 || items.some((item) => item.text === '' && json !== undefined)) {
    reportMissing(input, items.length === 0 ? 'at least one argument' : 'non-empty strings', EXAMPLES[kind]);
    return undefined;
  }
  return { ...input.base, kind, items, json: json !== undefined };
}
