// The one function, not the package: `semver`'s index loads all 47 of its modules (~7 ms of every start).
import validRange from 'semver/ranges/valid';
import type { ValueInstruction } from '../ast';
import { argumentWords, reportMissing, restWord } from '../arguments';
import type { InstructionInput } from '../instruction-input';

const EXAMPLES: Record<ValueInstruction['kind'], string> = {
  WORKDIR: 'WORKDIR /app',
  USER: 'USER 1000:1000',
  STOPSIGNAL: 'STOPSIGNAL SIGTERM',
  MAINTAINER: 'MAINTAINER Jane Doe <jane@example.com>',
  KUBEVERSION: 'KUBEVERSION >=1.22.0 <1.31.0',
};

/** USER and STOPSIGNAL take exactly one word (BuildKit: "requires exactly one argument"). */
const SINGLE_WORD = new Set(['USER', 'STOPSIGNAL']);

/**
 * Instructions whose argument is one value: WORKDIR, MAINTAINER and KUBEVERSION take the rest of the line
 * (reference: "WORKDIR", "MAINTAINER"; sealer KUBEVERSION), USER and STOPSIGNAL a single word.
 */
export function parseValue(input: InstructionInput): ValueInstruction | undefined {
  const kind = input.kind as ValueInstruction['kind'];
  const value = restWord(input);
  if (!value) {
    reportMissing(input, 'an argument', EXAMPLES[kind]);
    return undefined;
  }
  if (SINGLE_WORD.has(kind)) {
    const [word, ...extra] = argumentWords(input);
    for (const other of extra) {
      input.source.report(
        'EXTRA_ARGUMENT',
        other.span,
        `${kind} takes exactly one argument`,
        `write ${EXAMPLES[kind]}`,
      );
    }
    return { ...input.base, kind, value: word ?? value };
  }
  if (kind === 'KUBEVERSION' && !/\$/.test(value.text) && validRange(value.text) === null) {
    input.source.report(
      'INVALID_KUBEVERSION',
      value.span,
      `"${value.text}" is not a semantic-version constraint`,
      'write a range such as >=1.22.0 <1.31.0, ~1.28 or 1.28.x (recorded as app.alpha.sealer.io/supported-kube-version)',
    );
  }
  return { ...input.base, kind, value };
}
