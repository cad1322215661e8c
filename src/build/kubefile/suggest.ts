/**
 * "Did you mean": the candidate closest to `input` by optimal-string-alignment distance (Levenshtein plus
 * adjacent transpositions, so FORM → FROM costs 1), if it is close enough to be a typo.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const longest = candidates.reduce((max, c) => Math.max(max, c.length), 0);
  if (input.length > longest + 2) return undefined;
  const word = input.toUpperCase();
  const limit = Math.min(2, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a long word (a 1 MiB line's first word) is not
    // compared character by character with every instruction name.
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = editDistance(word, candidate.toUpperCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

export function editDistance(a: string, b: string): number {
  // Keep only three rows: the one before last is needed for transpositions.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] ?? 0) + 1);
      }
      current.push(value);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
