import { isBlank } from './logical-line';

export interface WordRange {
  start: number;
  end: number;
}

export interface SplitResult {
  words: WordRange[];
  /** Offset of an opening quote with no closing one, if any. */
  unterminatedQuote?: number;
}

/**
 * Splits text[from, to) into blank-separated words the way BuildKit's parseWords does: quotes group (and are
 * kept in the word), the escape character protects the next character (not inside single quotes). The words
 * stay raw; quote removal and substitution are `expand()`'s job.
 */
export function splitWords(text: string, from: number, to: number, escape: string): SplitResult {
  const words: WordRange[] = [];
  let start = -1;
  let quote = '';
  let quoteAt = -1;
  for (let i = from; i < to; i++) {
    const ch = text[i] ?? '';
    if (quote === '' && isBlank(ch)) {
      if (start !== -1) words.push({ start, end: i });
      start = -1;
      continue;
    }
    if (start === -1) start = i;
    if (ch === escape && quote !== "'") {
      i++; // the escaped character belongs to the word, whatever it is
    } else if (quote === '' && (ch === '"' || ch === "'")) {
      quote = ch;
      quoteAt = i;
    } else if (ch === quote) {
      quote = '';
    }
  }
  if (start !== -1) words.push({ start, end: Math.min(to, text.length) });
  return quote === '' ? { words } : { words, unterminatedQuote: quoteAt };
}
