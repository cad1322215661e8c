/**
 * How deep `${…}` words nest, read from the raw text with the quoting rules expand() applies (`'…'` and the
 * escape character make `$` literal), so the parser can refuse `${a:-${b:-${c…}}}` past the limit with the
 * line, before the planner expands anything. Linear: one pass, a counter.
 * Returns the offset of the `$` that goes one level too deep, or -1.
 */
export function tooDeepSubstitution(
  text: string,
  from: number,
  escape: string,
  maxDepth: number,
  quotes = true,
): number {
  let depth = 0;
  let singleQuoted = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (singleQuoted) {
      singleQuoted = ch !== "'";
    } else if (ch === escape) {
      i++;
    } else if (ch === "'" && quotes) {
      singleQuoted = true;
    } else if (ch === '$' && text[i + 1] === '{') {
      if (++depth > maxDepth) return i;
      i++;
    } else if (ch === '}' && depth > 0) {
      depth--;
    }
  }
  return -1;
}
