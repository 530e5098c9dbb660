// Regular expressions from users' schemas (`pattern`, `patternProperties`), compiled so that none
// can hang the language server.
import * as v8 from 'node:v8';

// A quantified group that itself contains a quantifier — `(a+)+`, `(\w*)*`, `(x{2,})+` — may
// backtrack exponentially on a near-match, and a running regex cannot be interrupted: one such
// `pattern` in a user's schema hung the language server for good. Those run on V8's linear-time
// engine instead (flag `l`; no backreferences, lookarounds or `u`-only syntax); a pattern it cannot
// run makes the schema unusable, with a message saying which pattern and why.
/** Whether a repeated group (`*`, `+`, `{n,}`) contains a repetition itself; one linear scan. */
export function nestedQuantifier(pattern: string): boolean {
  const repeats = (i: number) => pattern[i] === '*' || pattern[i] === '+' || (pattern[i] === '{' && /^\{\d+,\d*\}/.test(pattern.slice(i, i + 24)));
  const groups: boolean[] = []; // per open group: does it contain a repetition?
  let inner = false; // a repetition seen in the current group so far
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') { i++; continue; }
    if (c === '[') { // a character class: skip to its end
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') { groups.push(inner); inner = false; continue; }
    if (c === ')') {
      if (inner && repeats(i + 1)) return true;
      inner = (groups.pop() ?? false) || inner;
      continue;
    }
    if (repeats(i)) inner = true;
  }
  return false;
}

let linear: boolean | undefined;
function linearEngine(): boolean {
  if (linear === undefined) {
    try {
      v8.setFlagsFromString('--enable-experimental-regexp-engine');
      linear = new RegExp('a', 'l').test('a');
    } catch { linear = false; }
  }
  return linear;
}

/** A `pattern` or `patternProperties` key of a user's schema as a RegExp that cannot hang (see above). */
export function userRegExp(pattern: string, flags: string): RegExp {
  if (!nestedQuantifier(pattern)) return new RegExp(pattern, flags);
  if (!/\\[pPu]\{|\\k</.test(pattern) && linearEngine()) {
    try { return new RegExp(pattern, 'l'); } catch { /* needs backtracking: refused below */ }
  }
  throw new Error(`pattern "${pattern}" repeats a group that itself repeats (nested quantifiers), which can take `
    + 'exponential time on some values, and expctl cannot run it in linear time (it needs backreferences, lookarounds or \\p{…}). '
    + 'Rewrite it without the outer repetition, e.g. "a+" instead of "(a+)+"');
}
