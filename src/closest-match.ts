/** The edit distance (insertions, deletions, substitutions, transpositions) of two strings. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The longest text compared: a longer one is no misspelling of a name. */
const MAX_KEY_LENGTH = 64;

/**
 * The candidate closest to `key` by edit distance, when one is close enough to be what was
 * meant: at most two edits, or a quarter of the key's length for a long key. `keyOf` gives the
 * text of a candidate that `key` is compared with (the candidate itself by default); the first
 * of equally close candidates wins. Meant for error messages: it costs a comparison per
 * candidate.
 *
 * @internal
 */
export function closestMatch(
  key: string,
  candidates: Iterable<string>,
  keyOf: (candidate: string) => string = (candidate) => candidate,
): string | undefined {
  if (key === '' || key.length > MAX_KEY_LENGTH) return undefined;
  const limit = Math.max(2, Math.floor(key.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const compared = keyOf(candidate);
    // Each edit changes the length by one at most: a candidate that differs more is too far.
    if (Math.abs(compared.length - key.length) >= bestDistance) continue;
    const found = distance(key, compared);
    if (found < bestDistance) {
      best = candidate;
      bestDistance = found;
    }
  }
  return best;
}
