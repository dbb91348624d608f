/**
 * Cuts `text` into chunks at the given code point positions (taken modulo its length + 1, sorted,
 * deduplicated), never inside a surrogate pair, as a streaming UTF-8 decoder hands text on.
 *
 * @param keepEmpty also hand on the empty chunks the cuts make (a cut at 0, or two at the end)
 */
export function chunkedAtCodePoints(text: string, cuts: readonly number[], keepEmpty = false): string[] {
  const points = Array.from(text);
  const at = [...new Set(cuts.map((c) => c % (points.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const c of [...at, points.length]) {
    if (keepEmpty || c > from) out.push(points.slice(from, c).join(''));
    from = Math.max(from, c);
  }
  return out;
}
