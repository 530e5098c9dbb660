// Derived metrics: `tokens_per_joule: "tokens / (energy_wh * 3600)"`. A small expression language
// with a real parser — never eval or Function, since the text comes from YAML files and flags:
// numbers, + - * / ^ (also × ÷ −), parentheses, log log2 log10 sqrt exp abs min max, and names —
// a metric's final value, `params.x`, or a run fact (duration_s, energy_wh, attempts…). A name
// that is not an identifier goes in backticks: `train/loss`.
// A value that cannot be computed (a missing input, division by zero, log of a negative) is
// undefined with the reason, for the caller to count and say — never NaN passed on silently.

import type { RunRecord } from '../store/store';
import type { MetricSummary } from '../runner/metrics';

export interface Span { start: number; end: number }

export type Expr =
  | { k: 'num'; value: number; span: Span }
  | { k: 'name'; name: string; span: Span }
  | { k: 'neg'; arg: Expr; span: Span }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '^'; left: Expr; right: Expr; span: Span }
  | { k: 'call'; fn: string; args: Expr[]; span: Span };

export class ExpressionError extends Error {
  constructor(message: string, readonly span: Span) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** Functions and how many arguments each takes ([min, max]). */
export const FUNCTIONS: Record<string, { arity: [number, number]; doc: string }> = {
  log: { arity: [1, 2], doc: 'natural logarithm; log(x, base) in another base' },
  log2: { arity: [1, 1], doc: 'base-2 logarithm' },
  log10: { arity: [1, 1], doc: 'base-10 logarithm' },
  sqrt: { arity: [1, 1], doc: 'square root' },
  exp: { arity: [1, 1], doc: 'e to the power x' },
  abs: { arity: [1, 1], doc: 'absolute value' },
  min: { arity: [1, Infinity], doc: 'smallest argument' },
  max: { arity: [1, Infinity], doc: 'largest argument' },
};

/** What a run knows of itself besides its metrics and params (run.json, its telemetry summary). */
export const RUN_FACTS: Record<string, string> = {
  duration_s: 'wall time of the run from its first attempt\'s start to its end, s',
  attempts: 'number of attempts the run took',
  energy_wh: 'energy of the run\'s GPUs over its attempts, Wh (telemetry)',
  cpu_energy_wh: 'energy of the CPU packages over the attempts, Wh (RAPL; everything running on them)',
  gpu_util_mean: 'mean GPU utilisation, %',
  gpu_util_peak: 'peak GPU utilisation, %',
  gpu_mem_mb_peak: 'peak GPU memory, MB',
  power_w_peak: 'peak GPU power, W',
  cpu_pct_mean: 'mean CPU use of the run\'s processes, %',
  cpu_pct_peak: 'peak CPU use of the run\'s processes, %',
  rss_mb_peak: 'peak resident memory of the run\'s processes, MB',
};

/** Longest expression and deepest nesting parsed: bounded work for any input (a YAML value can be megabytes). */
export const MAX_EXPRESSION_LENGTH = 2000;
const MAX_DEPTH = 64;

type Tok = { t: 'num'; value: number; span: Span } | { t: 'name'; name: string; span: Span } | { t: 'op'; op: string; span: Span } | { t: 'end'; span: Span };

const OPS: Record<string, string> = { '+': '+', '-': '-', '−': '-', '*': '*', '×': '*', '/': '/', '÷': '/', '^': '^', '(': '(', ')': ')', ',': ',' };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const start = i;
    if (/[0-9.]/.test(c)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m) throw new ExpressionError(`"${c}" does not start a number`, { start, end: i + 1 });
      i += m[0].length;
      out.push({ t: 'num', value: Number(m[0]), span: { start, end: i } });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/.exec(text.slice(i, i + 400))!;
      i += m[0].length;
      out.push({ t: 'name', name: m[0], span: { start, end: i } });
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) throw new ExpressionError('a name in backticks has no closing `', { start, end: text.length });
      if (close === i + 1) throw new ExpressionError('empty name in backticks', { start, end: close + 1 });
      out.push({ t: 'name', name: text.slice(i + 1, close), span: { start, end: close + 1 } });
      i = close + 1;
    } else if (text.startsWith('**', i)) {
      out.push({ t: 'op', op: '^', span: { start, end: i + 2 } });
      i += 2;
    } else if (OPS[c]) {
      out.push({ t: 'op', op: OPS[c], span: { start, end: i + 1 } });
      i++;
    } else {
      throw new ExpressionError(`unexpected "${c}": an expression has numbers, names, + - * / ^, parentheses and functions (${Object.keys(FUNCTIONS).join(' ')})`, { start, end: i + 1 });
    }
  }
  out.push({ t: 'end', span: { start: text.length, end: text.length } });
  return out;
}

const join = (a: Span, b: Span): Span => ({ start: a.start, end: b.end });

/** Parses an expression; throws ExpressionError with the span of the problem. */
export function parseExpression(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`the expression is ${text.length} characters long; at most ${MAX_EXPRESSION_LENGTH}`, { start: 0, end: text.length });
  if (!text.trim()) throw new ExpressionError('empty expression: write one such as `tokens / (energy_wh * 3600)`', { start: 0, end: text.length });
  const toks = tokenize(text);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p];
  const isOp = (op: string) => { const t = toks[p]; return t.t === 'op' && t.op === op; };
  const describe = (t: Tok) => (t.t === 'end' ? 'the end' : `"${text.slice(t.span.start, t.span.end)}"`);
  const expect = (op: string, what: string) => {
    if (!isOp(op)) throw new ExpressionError(`expected ${what}, found ${describe(peek())}`, peek().span);
    return toks[p++].span;
  };
  const nest = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) throw new ExpressionError(`nested more than ${MAX_DEPTH} levels deep`, peek().span);
    try { return f(); } finally { depth--; }
  };
  /** Left-associative operators `ops` over operands parsed by `next`. */
  const level = (ops: Array<'+' | '-' | '*' | '/'>, next: () => Expr) => (): Expr => {
    let left = next();
    while (ops.some(isOp)) {
      const op = (toks[p++] as { op: '+' | '-' | '*' | '/' }).op;
      const right = next();
      left = { k: 'bin', op, left, right, span: join(left.span, right.span) };
    }
    return left;
  };
  const product = level(['*', '/'], () => unary());
  const additive = level(['+', '-'], product);
  const sum = (): Expr => nest(additive);
  // -x^2 is -(x^2), as in mathematics and Python; 2^-1 is allowed; ^ groups to the right.
  const unary = (): Expr => nest(() => {
    if (isOp('-') || isOp('+')) {
      const t = toks[p++];
      const arg = unary();
      return t.t === 'op' && t.op === '-' ? { k: 'neg', arg, span: join(t.span, arg.span) } : arg;
    }
    const base = atom();
    if (!isOp('^')) return base;
    p++;
    const exponent = unary();
    return { k: 'bin', op: '^', left: base, right: exponent, span: join(base.span, exponent.span) };
  });
  const atom = (): Expr => {
    const t = peek();
    if (t.t === 'num') { p++; return { k: 'num', value: t.value, span: t.span }; }
    if (t.t === 'name') {
      p++;
      if (!isOp('(')) return { k: 'name', name: t.name, span: t.span };
      const fn = FUNCTIONS[t.name];
      if (!fn) throw new ExpressionError(`unknown function ${t.name}(); the functions are ${Object.keys(FUNCTIONS).join(', ')}`, t.span);
      p++;
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(sum());
        while (isOp(',')) { p++; args.push(sum()); }
      }
      const close = expect(')', `"," or ")" to close ${t.name}(`);
      const [lo, hi] = fn.arity;
      if (args.length < lo || args.length > hi) {
        const want = lo === hi ? `${lo} argument${lo === 1 ? '' : 's'}` : hi === Infinity ? `at least ${lo}` : `${lo} or ${hi} arguments`;
        throw new ExpressionError(`${t.name}() takes ${want}, got ${args.length}`, join(t.span, close));
      }
      return { k: 'call', fn: t.name, args, span: join(t.span, close) };
    }
    if (t.t === 'op' && t.op === '(') {
      p++;
      const inner = sum();
      const close = expect(')', '")"');
      return { ...inner, span: join(t.span, close) } as Expr;
    }
    throw new ExpressionError(`expected a number, a name or "(", found ${describe(t)}`, t.span);
  };
  const e = sum();
  if (peek().t !== 'end') throw new ExpressionError(`expected an operator, found ${describe(peek())}`, peek().span);
  return e;
}

/** Every name an expression reads, in order, with its span (for checks and completion). */
export function namesOf(e: Expr, out: Array<{ name: string; span: Span }> = []): Array<{ name: string; span: Span }> {
  if (e.k === 'name') out.push({ name: e.name, span: e.span });
  else if (e.k === 'neg') namesOf(e.arg, out);
  else if (e.k === 'bin') { namesOf(e.left, out); namesOf(e.right, out); }
  else if (e.k === 'call') for (const a of e.args) namesOf(a, out);
  return out;
}

export type Outcome = { value: number } | { value: undefined; reason: string };

class Undefined { constructor(readonly reason: string) {} }

/**
 * The value of `e` with names looked up by `lookup` (undefined: the run has no such value). Never
 * throws on data: a missing input, a division by zero or a result that is not a finite number
 * gives `value: undefined` and the reason.
 */
export function evaluate(e: Expr, lookup: (name: string) => number | undefined): Outcome {
  const finite = (x: number, what: string) => {
    if (!Number.isFinite(x)) throw new Undefined(`${what} is ${Number.isNaN(x) ? 'not a number' : 'infinite'}`);
    return x;
  };
  const ev = (x: Expr): number => {
    switch (x.k) {
      case 'num': return x.value;
      case 'name': {
        const v = lookup(x.name);
        if (v === undefined) throw new Undefined(`no value for ${x.name}`);
        return finite(v, x.name);
      }
      case 'neg': return -ev(x.arg);
      case 'bin': {
        const a = ev(x.left);
        const b = ev(x.right);
        if (x.op === '+') return a + b;
        if (x.op === '-') return a - b;
        if (x.op === '*') return a * b;
        if (x.op === '/') {
          if (b === 0) throw new Undefined('division by zero');
          return a / b;
        }
        return finite(a ** b, `${a}^${b}`);
      }
      case 'call': {
        const args = x.args.map(ev);
        const [a] = args;
        switch (x.fn) {
          case 'log': {
            if (a <= 0 || (args.length === 2 && (args[1] <= 0 || args[1] === 1))) throw new Undefined(`log of ${a <= 0 ? a : `base ${args[1]}`}`);
            return args.length === 2 ? Math.log(a) / Math.log(args[1]) : Math.log(a);
          }
          case 'log2': case 'log10':
            if (a <= 0) throw new Undefined(`${x.fn} of ${a}`);
            return x.fn === 'log2' ? Math.log2(a) : Math.log10(a);
          case 'sqrt':
            if (a < 0) throw new Undefined(`sqrt of ${a}`);
            return Math.sqrt(a);
          case 'exp': return finite(Math.exp(a), `exp(${a})`);
          case 'abs': return Math.abs(a);
          case 'min': return args.reduce((m, v) => Math.min(m, v), Infinity);
          default: return args.reduce((m, v) => Math.max(m, v), -Infinity);
        }
      }
    }
  };
  try {
    return { value: finite(ev(e), 'the result') };
  } catch (err) {
    if (err instanceof Undefined) return { value: undefined, reason: err.reason };
    throw err;
  }
}

/** Parsed `NAME=EXPR` definitions (a flag's or a YAML mapping's), in order; throws ExpressionError naming the one that fails. */
export interface Derivation { name: string; text: string; expr: Expr }

export function parseDerivations(defs: Iterable<[string, string]>): Derivation[] {
  const out: Derivation[] = [];
  for (const [name, text] of defs) {
    try {
      out.push({ name, text, expr: parseExpression(text) });
    } catch (e) {
      if (e instanceof ExpressionError) throw new ExpressionError(`${name}: ${e.message} (at column ${e.span.start + 1} of "${text}")`, e.span);
      throw e;
    }
  }
  return out;
}

/**
 * Derived values of one run. Later definitions may use earlier ones (`tpj` then `1 / tpj`).
 * `lookup` gives the run's own values; the result maps each name to its value or its reason.
 */
export function derive(defs: readonly Derivation[], lookup: (name: string) => number | undefined): Map<string, Outcome> {
  const got = new Map<string, Outcome>();
  const look = (n: string) => { const o = got.get(n); return o ? o.value : lookup(n); };
  for (const d of defs) got.set(d.name, evaluate(d.expr, look));
  return got;
}

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/**
 * The values a run's derived metrics read: `params.x` (as the run ran them: its swept and changed
 * params, else `params` — the experiment's nested params, as params.json holds them), run facts,
 * and metrics' final values.
 */
export function runLookup(run: RunRecord, params?: Record<string, unknown>): (name: string) => number | undefined {
  const swept: Record<string, unknown> = { ...run.params, ...run.effective_params };
  return (name) => {
    if (name.startsWith('params.')) {
      if (Object.prototype.hasOwnProperty.call(swept, name)) return num(swept[name]);
      let v: unknown = params;
      for (const part of name.slice('params.'.length).split('.')) {
        v = v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, part) ? (v as Record<string, unknown>)[part] : undefined;
      }
      return num(v);
    }
    // A metric the program reports wins over a run fact of the same name (its own energy_wh, say).
    const m = Object.prototype.hasOwnProperty.call(run.summary, name) ? run.summary[name] : undefined;
    if (m) return typeof m.last === 'number' ? m.last : undefined;
    if (name === 'duration_s') return run.duration_s;
    if (name === 'attempts') return run.attempts.length;
    if (Object.prototype.hasOwnProperty.call(RUN_FACTS, name)) return num((run.telemetry as Record<string, unknown> | undefined)?.[name]);
    return undefined;
  };
}

/** A derived value as a metric summary: one report. */
export const asSummary = (v: number): MetricSummary => ({ last: v, min: v, max: v, mean: v, count: 1 });

/**
 * Adds a run's derived metrics to its summary (one report each, so stats, compare and runs.csv
 * treat them as metrics) and says in its warnings which could not be computed and why.
 */
export function deriveIntoRun(run: RunRecord, defs: readonly Derivation[], params?: Record<string, unknown>): void {
  for (const [name, o] of derive(defs, runLookup(run, params))) {
    if (o.value !== undefined) run.summary[name] = asSummary(o.value);
    else (run.warnings ??= []).push(`derived metric ${name} has no value: ${o.reason}`);
  }
}
