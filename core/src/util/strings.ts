// Small string helpers shared by rules: edit distance and "did you mean" suggestions.

/**
 * Edit distance where an insert, a delete, a substitution or a swap of two neighbouring
 * characters each cost 1 (optimal string alignment): `gird` is one typo away from `grid`.
 * Callers that only care up to `bound` get bound + 1 at once when the lengths alone differ by more
 * (a 4 MB value against a catalogue of names would otherwise cost seconds).
 */
export function levenshtein(a: string, b: string, bound = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > bound) return bound + 1;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cb = b.charCodeAt(j - 1);
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a likely typo.
 * Close enough: distance ≤ 3 and ≤ a third of the word's length (at least 1), so `learnin_rate`
 * finds `learning_rate` but `lr` does not suggest `bs`. A case-only difference always counts.
 * Ties go to the earlier candidate. `word` itself is never suggested.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = c.toLowerCase() === lower ? 0 : levenshtein(word, c);
    if (d <= limit && d < bestDist) {
      best = c;
      bestDist = d;
      if (d === 0) break;
    }
  }
  return best;
}

/** Most characters of a user's value quoted into a message (escapes count as written). */
export const QUOTE_MAX = 80;

const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** The longest prefix of `s` whose JSON-escaped form fits `max`, escaped; never splits a surrogate pair. */
function escapedPrefix(s: string, max: number): string {
  let text = '';
  for (const ch of s) {
    const e = JSON.stringify(ch).slice(1, -1);
    if (text.length + e.length > max) break;
    text += e;
  }
  return text;
}

/**
 * A user's string in double quotes for a message, shortened past QUOTE_MAX with the full length
 * said, `"aaaa…" (4,194,304 characters)`: a 4 MB value must not make a 4 MB message.
 */
export function quote(s: string): string {
  if (s.length <= QUOTE_MAX) {
    const whole = JSON.stringify(s);
    if (whole.length <= QUOTE_MAX + 2) return whole;
  }
  return `"${escapedPrefix(s, QUOTE_MAX - 1)}…" (${thousands(s.length)} characters)`;
}

/** The first `max - 1` characters and an ellipsis; never splits a surrogate pair. */
function cut(s: string, max: number): string {
  let n = max - 1;
  if (n > 0 && /[\uD800-\uDBFF]/.test(s[n - 1])) n--;
  return `${s.slice(0, n)}…`;
}

/** Text shown without quotes (a key in a path, a name), shortened the same way: `aaaa… (4,194,304 characters)`. */
export function shorten(s: string, max = QUOTE_MAX): string {
  return s.length <= max ? s : `${cut(s, max)} (${thousands(s.length)} characters)`;
}

/** Longest unbroken run of characters, and longest message, that `readable` lets through. */
const TOKEN_MAX = 200;
const MESSAGE_MAX = 2000;

/**
 * A message as shown to users, for values that reach it without `quote` (keys in a path, names in
 * a list): an unbroken run over TOKEN_MAX characters is shortened like `shorten`, and what is
 * still over MESSAGE_MAX is cut with the length said. Messages of sane values pass unchanged.
 */
export function readable(message: string): string {
  if (message.length <= TOKEN_MAX) return message;
  // split, not a /\S{201,}/ regex: that one is quadratic-ish on many runs just under the limit.
  const s = message.split(/(\s+)/).map((t) => (t.length > TOKEN_MAX ? shorten(t) : t)).join('');
  return s.length <= MESSAGE_MAX ? s : `${cut(s, MESSAGE_MAX)} (message shortened from ${thousands(s.length)} characters)`;
}
