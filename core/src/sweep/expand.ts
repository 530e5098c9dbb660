// Sweep expansion: a sweep (grid / random / list over dotted parameter paths) becomes an ordered
// list of trials, each with a stable key, a name and the parameter values it sets.
//
// Trial key (stable across machines, processes and languages):
//   sha256(canonicalJson(params) + "#" + repeat), first 16 hex digits
// where canonicalJson is the text of Python's
//   json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// (keys sorted by code point at every level, numbers as Python writes them) and the hash is over its
// UTF-8 bytes. JS has one number type, so a whole number below 1e16 is keyed as Python's int
// (`1.0` as `1`, `-0.0` as `0`) and every other number as Python's float. The key depends on the
// resolved values only, never on the order the parameters are written in, the sweep method or the
// trial's position. test/unit/trial-key.test.ts checks all of this against python3.
import * as crypto from 'node:crypto';
import type { Experiment, ParamSpec, Sweep } from '../config/types';
import { getDotted, templateVars } from '../config/template';
import type { Path } from '../diagnostic';
import { categorical, clean, intUniform, logUniform, mulberry32, normal, quantize, uniform, type Rng } from './prng';
import { isObj } from '../util/object';
import type { Obj } from '../util/object';

export interface Trial {
  /** 0-based position in expansion order (after exclusions). */
  index: number;
  /** Stable 16-hex-digit hash of the resolved params and the repeat index (see the top of this file). */
  key: string;
  /** From name_template, else `<experiment>-<index>` (`<experiment>-<combination>-r<repeat>` with repeats). */
  name: string;
  /** 0-based repeat index; the repeats of one combination are consecutive. */
  repeat: number;
  /** Dotted path → value for every swept parameter, e.g. {"params.learning_rate": 0.001}. Read-only. */
  params: Record<string, unknown>;
}

export interface Expansion {
  /** Materialised trials: all of them, or the first `limit`. */
  trials: Trial[];
  /** Number of trials the sweep expands to (after exclusions), even when truncated. */
  total: number;
  /** Trials dropped by `exclude` (each repeat counts). */
  excluded: number;
  /** True when `trials` holds fewer than `total` because of `limit`. */
  truncated: boolean;
}

export interface ExpandOptions {
  /** Stop materialising after this many trials (the count still covers the whole sweep). */
  limit?: number;
  /** Value of `{sweep}` in name_template when the sweep has no `name` (e.g. the file's base name). */
  sweepName?: string;
  /**
   * With `limit` and `exclude` rules, the exact total needs the whole sweep enumerated (cheaply:
   * no keys or names). Pass false to stop at the limit instead — for editors on huge sweeps; `total`
   * is then the upper bound from countTrials whenever the result is truncated. Default true.
   */
  exactTotal?: boolean;
}

/** Sweep rules that own each kind of expansion error; shape errors (wrong types) have none: the schema reports those. */
export type SweepErrorRule = 'sweep-grid-continuous' | 'sweep-range' | 'sweep-param-spec' | 'sweep-method-fields';

/** A sweep that cannot be expanded. `path` points into the sweep config, e.g. ['parameters', 'params.lr', 'distribution']. */
export class SweepError extends Error {
  readonly path: Path;
  /** The rule that reports this error in the editor; undefined for shape errors the schema already reports. */
  readonly rule?: SweepErrorRule;
  constructor(path: Path, message: string, rule?: SweepErrorRule) {
    super(message);
    this.name = 'SweepError';
    this.path = path;
    this.rule = rule;
  }
}

/** Most values a `range` may yield. */
export const MAX_RANGE_VALUES = 10_000_000;
export const CONTINUOUS_DISTRIBUTIONS: ReadonlySet<string> = new Set(['uniform', 'log_uniform', 'int_uniform', 'normal']);
const DEFAULT_SAMPLES = 10;

// ---------------------------------------------------------------------------------------------
// Parameter specs

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Number of values of a valid range (min..max inclusive by step, 1e-9 relative tolerance at the top). */
function rangeCount(min: number, max: number, step: number): number {
  const span = (max - min) / step;
  return Math.floor(span + 1e-9 * Math.max(1, Math.abs(span))) + 1;
}

/** Checks a `range` spec; errors carry paths relative to the spec. */
function checkRange(r: unknown): { min: number; max: number; step: number; count: number } | SweepError {
  if (!isObj(r) || !isNum(r.min) || !isNum(r.max) || !isNum(r.step)) {
    return new SweepError(['range'], 'range needs numeric min, max and step');
  }
  const { min, max, step } = r;
  if (step <= 0) return new SweepError(['range', 'step'], `range step must be > 0 (got ${step})`, 'sweep-range');
  if (min > max) return new SweepError(['range', 'min'], `range min (${min}) is greater than max (${max})`, 'sweep-range');
  const span = (max - min) / step;
  if (span > MAX_RANGE_VALUES) {
    return new SweepError(['range'],
      `range ${min}..${max} step ${step} yields about ${formatCount(Math.floor(span) + 1)} values (at most ${formatCount(MAX_RANGE_VALUES)})`, 'sweep-range');
  }
  return { min, max, step, count: rangeCount(min, max, step) };
}

/**
 * The i-th value of a range, free of float noise: rounded at 1e-12 of the range's magnitude (so
 * -0.3 + 3 × 0.1 is 0, not 5.6e-17), then to 12 significant digits (0.30000000000000004 → 0.3).
 */
function rangeAt(min: number, max: number, step: number, i: number): number {
  const scale = Math.max(Math.abs(min), Math.abs(max), step);
  const unit = 10 ** (Math.floor(Math.log10(scale)) - 12);
  return clean(Math.round((min + i * step) / unit) * unit);
}

/**
 * Values a param spec yields on a grid (values / value / range / choice), or undefined for a
 * continuous distribution (uniform, log_uniform, int_uniform, normal). Throws SweepError (path
 * relative to the spec, e.g. ['range', 'step']) for an invalid range or a malformed spec.
 * The returned array may be the spec's own `values`: do not mutate it.
 */
export function gridValues(spec: ParamSpec): unknown[] | undefined {
  const s: unknown = spec;
  if (!isObj(s)) throw new SweepError([], 'a parameter needs values, value, range or distribution');
  if ('distribution' in s) {
    if (s.distribution === 'choice') {
      if (!Array.isArray(s.values)) throw new SweepError(['values'], 'distribution choice needs a values list');
      return s.values;
    }
    return undefined;
  }
  if ('values' in s) {
    if (!Array.isArray(s.values)) throw new SweepError(['values'], 'values must be a list');
    return s.values;
  }
  if ('value' in s) return [s.value];
  if ('range' in s) {
    const r = checkRange(s.range);
    if (r instanceof SweepError) throw r;
    const out = new Array<unknown>(r.count);
    for (let i = 0; i < r.count; i++) out[i] = rangeAt(r.min, r.max, r.step, i);
    return out;
  }
  throw new SweepError([], 'a parameter needs values, value, range or distribution');
}

/**
 * Number of values gridValues(spec) would return, in O(1) — without materialising a range of up to
 * 10^7 values. Undefined for continuous distributions; throws SweepError like gridValues.
 */
export function gridCount(spec: ParamSpec): number | undefined {
  const s: unknown = spec;
  if (isObj(s) && 'range' in s && !('distribution' in s) && !('values' in s) && !('value' in s)) {
    const r = checkRange(s.range);
    if (r instanceof SweepError) throw r;
    return r.count;
  }
  return gridValues(spec)?.length;
}

/** A checked parameter: a finite set of values (indexable), or a sampler. */
interface Dim {
  key: string;
  /** Number of grid values; undefined for continuous distributions. */
  count?: number;
  at?: (i: number) => unknown;
  /** One random sample (random method); `value:` constants consume no draw. */
  sample: (rng: Rng) => unknown;
}

const MATERIALISE_RANGE = 1 << 16;

/** Checks one parameter spec for `method`; returns a Dim or the errors found (paths absolute). */
function checkParam(key: string, spec: unknown, method: string, errors: SweepError[]): Dim | undefined {
  const base: Path = ['parameters', key];
  const err = (sub: Path, message: string, rule?: SweepErrorRule) => {
    errors.push(new SweepError([...base, ...sub], message, rule));
    return undefined;
  };
  if (!isObj(spec)) return err([], `${key}: a parameter needs values, value, range or distribution`);

  if ('distribution' in spec) {
    const d = spec.distribution;
    if (d === 'choice') {
      const vals = spec.values;
      if (!Array.isArray(vals)) return err(['values'], `${key}: distribution choice needs a values list`);
      if (vals.length === 0) return err(['values'], `${key}: values is empty, so the sweep has no trials`, 'sweep-param-spec');
      const probs = spec.probabilities;
      let weights: number[] | undefined;
      if (probs !== undefined) {
        if (!Array.isArray(probs) || !probs.every(isNum)) return err(['probabilities'], `${key}: probabilities must be a list of numbers`);
        if (probs.length !== vals.length) {
          return err(['probabilities'], `${key}: ${probs.length} probabilities for ${vals.length} values`, 'sweep-param-spec');
        }
        if (probs.some((p) => p < 0)) return err(['probabilities'], `${key}: probabilities must not be negative`, 'sweep-param-spec');
        const sum = probs.reduce((a, b) => a + b, 0);
        if (Math.abs(sum - 1) > 1e-6) {
          return err(['probabilities'], `${key}: probabilities sum to ${clean(sum)}, not 1`, 'sweep-param-spec');
        }
        weights = probs;
      }
      if (method === 'list' && vals.length !== 1) return listConstErr(key, vals.length, errors);
      return { key, count: vals.length, at: (i) => vals[i], sample: (rng) => vals[categorical(rng, vals.length, weights)] };
    }
    if (typeof d !== 'string' || !CONTINUOUS_DISTRIBUTIONS.has(d)) {
      return err(['distribution'], `${key}: unknown distribution ${JSON.stringify(d)}`);
    }
    const n0 = errors.length;
    const q = spec.q;
    if (q !== undefined && (!isNum(q) || q <= 0)) err(['q'], `${key}: q must be a number > 0`, 'sweep-param-spec');
    let sample: ((rng: Rng) => unknown) | undefined;
    if (d === 'normal') {
      const { mu, sigma } = spec;
      if (!isNum(mu) || !isNum(sigma)) return err([], `${key}: distribution normal needs numeric mu and sigma`);
      if (sigma < 0) err(['sigma'], `${key}: sigma must be ≥ 0 (got ${sigma})`, 'sweep-param-spec');
      sample = isNum(q) ? (rng) => quantize(normal(rng, mu, sigma), q) : (rng) => normal(rng, mu, sigma);
    } else {
      const { min, max } = spec;
      if (!isNum(min) || !isNum(max)) return err([], `${key}: distribution ${d} needs numeric min and max`);
      if (min > max) err(['min'], `${key}: min (${min}) is greater than max (${max})`, 'sweep-param-spec');
      else if (d === 'log_uniform' && min <= 0) err(['min'], `${key}: log_uniform needs min > 0 (got ${min})`, 'sweep-param-spec');
      else if (d === 'int_uniform' && Math.ceil(min) > Math.floor(max)) {
        err(['min'], `${key}: no integer lies between ${min} and ${max}`, 'sweep-param-spec');
      }
      const draw = d === 'uniform' ? uniform : d === 'log_uniform' ? logUniform : intUniform;
      sample = isNum(q) ? (rng) => quantize(draw(rng, min, max), q, min, max) : (rng) => draw(rng, min, max);
    }
    if (method === 'grid') {
      err(['distribution'],
        `${key}: distribution ${d} is continuous and has no grid values; use values or range, or method: random`,
        'sweep-grid-continuous');
    } else if (method === 'list') {
      err([], `${key}: method list applies parameters as constants to every trial; a ${d} distribution has no single value`,
        'sweep-method-fields');
    }
    if (errors.length > n0) return undefined;
    return { key, sample };
  }

  if ('values' in spec) {
    const vals = spec.values;
    if (!Array.isArray(vals)) return err(['values'], `${key}: values must be a list`);
    if (vals.length === 0) return err(['values'], `${key}: values is empty, so the sweep has no trials`, 'sweep-param-spec');
    if (method === 'list' && vals.length !== 1) return listConstErr(key, vals.length, errors);
    return { key, count: vals.length, at: (i) => vals[i], sample: (rng) => vals[categorical(rng, vals.length)] };
  }
  if ('value' in spec) {
    const v = spec.value;
    return { key, count: 1, at: () => v, sample: () => v /* no draw */ };
  }
  if ('range' in spec) {
    const r = checkRange(spec.range);
    if (r instanceof SweepError) {
      errors.push(new SweepError([...base, ...r.path], `${key}: ${r.message}`, r.rule));
      return undefined;
    }
    if (method === 'list' && r.count !== 1) return listConstErr(key, r.count, errors);
    const { min, max, step, count } = r;
    let at: (i: number) => unknown = (i) => rangeAt(min, max, step, i);
    if (count <= MATERIALISE_RANGE) {
      let cache: number[] | undefined;
      at = (i) => {
        if (!cache) {
          cache = new Array<number>(count);
          for (let j = 0; j < count; j++) cache[j] = rangeAt(min, max, step, j);
        }
        return cache[i];
      };
    }
    return { key, count, at, sample: (rng) => at(categorical(rng, count)) };
  }
  return err([], `${key}: a parameter needs values, value, range or distribution`);
}

function listConstErr(key: string, n: number, errors: SweepError[]): undefined {
  errors.push(new SweepError(['parameters', key],
    `${key}: method list applies parameters as constants to every trial, but this one has ${formatCount(n)} values; move them into trials`,
    'sweep-method-fields'));
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Sweep plan

interface Plan {
  method: 'grid' | 'random' | 'list';
  dims: Dim[];
  repeat: number;
  /** Combinations before exclusion (grid product, samples, or trials.length). */
  combos: number;
  samples: number;
  seed: number;
  trials: unknown[];
  exclude: Array<Array<[string, unknown]>>;
  template?: string;
}

interface Analysis { plan?: Plan; errors: SweepError[] }

/** Checks a sweep and plans its expansion. Not cached: it is O(#parameters), and callers may edit a sweep between calls. */
function analyse(sweep: Sweep): Analysis {
  const s: unknown = sweep;
  const errors: SweepError[] = [];
  if (!isObj(s)) return { errors: [new SweepError([], 'a sweep must be a mapping')] };
  const method = s.method ?? 'grid';
  if (method !== 'grid' && method !== 'random' && method !== 'list') {
    errors.push(new SweepError(['method'], `unknown method ${JSON.stringify(method)} (grid, random or list)`));
    return { errors };
  }
  const dims: Dim[] = [];
  if (s.parameters !== undefined && s.parameters !== null) {
    if (!isObj(s.parameters)) errors.push(new SweepError(['parameters'], 'parameters must be a mapping of dotted paths to specs'));
    else {
      for (const [key, spec] of Object.entries(s.parameters)) {
        const d = checkParam(key, spec, method, errors);
        if (d) dims.push(d);
      }
    }
  }
  let repeat = 1;
  if (s.repeat !== undefined) {
    if (!Number.isInteger(s.repeat) || (s.repeat as number) < 1) errors.push(new SweepError(['repeat'], 'repeat must be an integer ≥ 1'));
    else repeat = s.repeat as number;
  }
  let samples = DEFAULT_SAMPLES;
  if (s.samples !== undefined && method === 'random') {
    if (!Number.isInteger(s.samples) || (s.samples as number) < 0) errors.push(new SweepError(['samples'], 'samples must be an integer ≥ 0'));
    else samples = s.samples as number;
  }
  let seed = 0;
  if (s.seed !== undefined && method === 'random') {
    if (!isNum(s.seed)) errors.push(new SweepError(['seed'], 'seed must be a number'));
    else seed = s.seed;
  }
  let trials: unknown[] = [];
  if (method === 'list') {
    if (s.trials === undefined || s.trials === null) {
      errors.push(new SweepError(['method'], 'method list needs a `trials` list (one mapping of dotted paths to values per trial)', 'sweep-method-fields'));
    } else if (!Array.isArray(s.trials)) errors.push(new SweepError(['trials'], 'trials must be a list of mappings'));
    else trials = s.trials;
  }
  const exclude: Array<Array<[string, unknown]>> = [];
  if (s.exclude !== undefined && s.exclude !== null) {
    if (!Array.isArray(s.exclude)) errors.push(new SweepError(['exclude'], 'exclude must be a list of mappings'));
    else {
      s.exclude.forEach((r, i) => {
        if (!isObj(r)) errors.push(new SweepError(['exclude', i], 'an exclude rule must be a mapping of dotted paths to values'));
        else if (Object.keys(r).length > 0) exclude.push(Object.entries(r)); // an empty rule matches nothing
      });
    }
  }
  let template: string | undefined;
  if (s.name_template !== undefined && s.name_template !== null) {
    if (typeof s.name_template !== 'string') errors.push(new SweepError(['name_template'], 'name_template must be a string'));
    else template = s.name_template;
  }
  if (errors.length) return { errors };
  let combos: number;
  if (method === 'grid') combos = dims.reduce((n, d) => n * (d.count ?? 0), 1);
  else if (method === 'random') combos = samples;
  else combos = trials.length;
  return { errors, plan: { method, dims, repeat, combos, samples, seed, trials, exclude, template } };
}

/**
 * Every problem that keeps the sweep from expanding, in document order (expandSweep throws the
 * first). Never throws. O(#parameters); list entries are checked during expansion.
 */
export function checkSweep(sweep: Sweep): SweepError[] {
  return analyse(sweep).errors;
}

/**
 * Trial count without materialising, O(#parameters): grid product × repeat, samples × repeat, or
 * trials × repeat. With `exclude` rules a grid's count is still exact (gridExcludedCombos); for
 * random and list sweeps, or rules too many to count, it is an upper bound (`exact: false`).
 * Never throws: an invalid sweep gives count 0, exact false and the first error.
 */
export function countTrials(sweep: Sweep): { count: number; exact: boolean; error?: SweepError } {
  const a = analyse(sweep);
  if (!a.plan) return { count: 0, exact: false, error: a.errors[0] };
  if (!a.plan.exclude.length) return { count: a.plan.combos * a.plan.repeat, exact: true };
  const excluded = gridExcludedCombos(a.plan);
  return excluded === undefined ? { count: a.plan.combos * a.plan.repeat, exact: false } : { count: (a.plan.combos - excluded) * a.plan.repeat, exact: true };
}

// ---------------------------------------------------------------------------------------------
// Keys

/**
 * A number as Python's json.dumps writes it: a whole number below 1e16 as an int; any other as
 * Python's float repr (shortest round-trip digits — the same digits as JS — but in exponent form
 * below 1e-4 and from 1e16, exponent signed and at least two digits: 5e-07, 1e+16), NaN, Infinity.
 */
function pyJsonNumber(v: number, js?: string): string {
  const a = Math.abs(v);
  // Whole numbers (String(-0) is "0"), and fractions where JS and Python both write fixed notation:
  // JS's own text (`js`, when the caller has it already).
  if (a < 1e16 && (a >= 1e-4 || Number.isInteger(v))) return js ?? String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  // Left: |v| ≥ 1e16 or a fraction below 1e-4, both in exponent form. toExponential() gives the
  // shortest round-trip digits, e.g. "-1.5e+300", "5e-7".
  const [mant, exp] = v.toExponential().split('e');
  return `${mant}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
}

/**
 * Python's order of str keys: by code point. JS's default sort compares UTF-16 code units, which puts
 * characters above U+FFFF (surrogate pairs, D800–DFFF) before U+E000–U+FFFF; remap those two ranges.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Python's json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False): object keys
 * sorted by code point at every level, numbers as pyJsonNumber, no whitespace; undefined object
 * members are dropped, like JSON. Strings are JSON.stringify's, which escapes exactly what Python
 * escapes (`"`, `\`, control characters as `\n` or `\u001f`) except a lone surrogate: Python leaves
 * it raw (and then cannot encode the text as UTF-8), JS writes `\ud800` — so such a key still exists.
 */
export function canonicalJson(v: unknown): string {
  if (typeof v === 'number') return pyJsonNumber(v);
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + canonicalJson(v[i]);
    return out + ']';
  }
  const o = v as Obj;
  const keys = Object.keys(o).sort(byCodePoint);
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined || typeof x === 'function') continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(x);
    first = false;
  }
  return out + '}';
}

type HashFn = (algorithm: string, data: string) => string;
// crypto.hash (Node ≥ 20.12) is a one-shot digest, ~2× faster than createHash for short inputs.
const oneShot = (crypto as unknown as { hash?: HashFn }).hash;
const sha256hex: (s: string) => string = typeof oneShot === 'function'
  ? (s) => oneShot('sha256', s)
  : (s) => crypto.createHash('sha256').update(s).digest('hex');

/** The stable key of a trial: first 16 hex digits of sha256(canonicalJson(params) + "#" + repeat). */
export function trialKey(params: Record<string, unknown>, repeat: number): string {
  return sha256hex(canonicalJson(params) + '#' + repeat).slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// Exclusion

/** Structural equality of JSON-like values (object key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  }
  return true;
}

/**
 * Whether an exclude value matches a trial's value: deep-equal, or — when the rule's value is a
 * list — equal to one of its items (so `[64, 128]` matches 64 or 128, and `[[1, 2]]` matches [1, 2]).
 */
function excludeValueMatches(rule: unknown, value: unknown): boolean {
  if (deepEqual(rule, value)) return true;
  if (Array.isArray(rule)) for (const item of rule) if (deepEqual(item, value)) return true;
  return false;
}

/** Work budgets of gridExcludedCombos: values scanned, and rule intersections visited. */
const MAX_EXCLUDE_SCAN = 20_000_000;
const MAX_EXCLUDE_NODES = 1_000_000;

/**
 * How many grid combinations the exclude rules remove, counted without enumerating the grid (a
 * 10^9-trial grid with one rule took minutes and gigabytes to count by enumeration). Each rule
 * matches a box — per parameter, the value indices it matches, or all of them — so the union of
 * the boxes is counted by inclusion–exclusion, pruning every intersection that is already empty
 * (which disjoint rules, the usual case, make almost all of them). Undefined for random and list
 * sweeps, and when the work would exceed the budgets above: callers then enumerate or give a bound.
 */
function gridExcludedCombos(plan: Plan): number | undefined {
  if (plan.method !== 'grid' || plan.combos === 0) return plan.method === 'grid' ? 0 : undefined;
  const dims = plan.dims;
  const dimOf = new Map(dims.map((d, i) => [d.key, i]));
  let scanned = 0;
  // A box: per dimension, the matching indices (a sorted list) or null for "any value".
  type Box = Array<number[] | null>;
  const boxes: Box[] = [];
  for (const rule of plan.exclude) {
    const box: Box = dims.map(() => null);
    let empty = false;
    for (const [k, v] of rule) {
      const i = dimOf.get(k);
      if (i === undefined) { empty = true; break; } // a key the grid does not set never matches
      const count = dims[i].count!;
      if ((scanned += count) > MAX_EXCLUDE_SCAN) return undefined;
      const at = dims[i].at!;
      const hits: number[] = [];
      for (let j = 0; j < count; j++) if (excludeValueMatches(v, at(j))) hits.push(j);
      const prev = box[i];
      box[i] = prev ? prev.filter((j) => hits.includes(j)) : hits;
      if (!box[i]!.length) { empty = true; break; }
    }
    if (!empty) boxes.push(box);
  }
  const size = (box: Box) => box.reduce((n, b, i) => n * (b ? b.length : dims[i].count!), 1);
  const meet = (a: Box, b: Box): Box | undefined => {
    const out: Box = [];
    for (let i = 0; i < a.length; i++) {
      const x = a[i], y = b[i];
      const m = !x ? y : !y ? x : x.filter((j) => y.includes(j));
      if (m && !m.length) return undefined;
      out.push(m);
    }
    return out;
  };
  let nodes = 0;
  let total = 0;
  // Σ over non-empty rule subsets S of (−1)^(|S|+1) · |∩S|; subsets are grown in rule order.
  const visit = (box: Box, next: number, sign: number): boolean => {
    for (let r = next; r < boxes.length; r++) {
      if (++nodes > MAX_EXCLUDE_NODES) return false;
      const m = meet(box, boxes[r]);
      if (!m) continue;
      total += sign * size(m);
      if (!visit(m, r + 1, -sign)) return false;
    }
    return true;
  };
  return visit(dims.map(() => null), 0, 1) ? total : undefined;
}

/** True when some rule matches every one of its keys; a key the trial does not set never matches. */
function isExcluded(rules: Plan['exclude'], params: Obj): boolean {
  outer: for (const rule of rules) {
    for (const [k, v] of rule) {
      if (!Object.prototype.hasOwnProperty.call(params, k) || !excludeValueMatches(v, params[k])) continue outer;
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Expansion

/** Calls `visit` with each combination's params (before exclusion) until it returns false; for a grid also the value indices (live: copy to keep). */
function enumerate(plan: Plan, visit: (params: Obj, idx: readonly number[] | undefined) => boolean): void {
  const { dims } = plan;
  if (plan.method === 'grid') {
    if (plan.combos === 0) return;
    const n = dims.length;
    const idx = new Array<number>(n).fill(0);
    const counts = dims.map((d) => d.count!);
    const ats = dims.map((d) => d.at!);
    const keys = dims.map((d) => d.key);
    for (;;) {
      const p: Obj = {};
      for (let i = 0; i < n; i++) p[keys[i]] = ats[i](idx[i]);
      if (!visit(p, idx)) return;
      // Odometer: the last parameter varies fastest.
      let i = n - 1;
      while (i >= 0) {
        if (++idx[i] < counts[i]) break;
        idx[i] = 0;
        i--;
      }
      if (i < 0) return;
    }
  } else if (plan.method === 'random') {
    const rng = mulberry32(plan.seed);
    // Draws happen in sorted key order, so reordering the YAML does not change the samples;
    // `value:` constants draw nothing. Params keep the order written.
    const order = dims.map((_, i) => i).sort((a, b) => (dims[a].key < dims[b].key ? -1 : dims[a].key > dims[b].key ? 1 : 0));
    const vals = new Array<unknown>(dims.length);
    for (let s = 0; s < plan.samples; s++) {
      for (const i of order) vals[i] = dims[i].sample(rng);
      const p: Obj = {};
      for (let i = 0; i < dims.length; i++) p[dims[i].key] = vals[i];
      if (!visit(p, undefined)) return;
    }
  } else {
    for (let t = 0; t < plan.trials.length; t++) {
      const entry = plan.trials[t];
      if (!isObj(entry)) throw new SweepError(['trials', t], 'each trial must be a mapping of dotted paths to values');
      const p: Obj = {};
      for (const d of dims) p[d.key] = d.at!(0);
      for (const [k, v] of Object.entries(entry)) p[k] = v;
      if (!visit(p, undefined)) return;
    }
  }
}

/** A value as renderTemplate renders it (an undefined value leaves the placeholder as written). */
function renderValue(v: unknown, name: string): string {
  if (v === undefined) return `{${name}}`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A compiled name_template piece: literal text, or something that varies per trial. */
type Seg = string | { k: 'index' } | { k: 'repeat' } | { k: 'dim'; dim: number } | { k: 'lookup'; name: string };

/** Splits a template into segments; equivalent to renderTemplate, with constants folded into the text. */
function compileTemplate(template: string, resolve: (name: string) => Seg): Seg[] {
  const out: Seg[] = [];
  const unescape = (s: string) => s.replace(/\{\{|\}\}/g, (m) => m[0]);
  let lit = '';
  let pos = 0;
  for (const v of templateVars(template)) {
    lit += unescape(template.slice(pos, v.start));
    const seg = resolve(v.name);
    if (typeof seg === 'string') lit += seg;
    else {
      if (lit) out.push(lit);
      lit = '';
      out.push(seg);
    }
    pos = v.end;
  }
  lit += unescape(template.slice(pos));
  if (lit || out.length === 0) out.push(lit);
  return out;
}

/** Per-dimension caches for a grid, by value index: the canonical-JSON member (`"key":value`) and the rendered text. */
interface DimCache {
  frag: (i: number) => string | undefined;
  str: (i: number) => string;
}

function dimCache(d: Dim): DimCache {
  const keyJson = JSON.stringify(d.key) + ':';
  const at = d.at!;
  const frag = (i: number) => {
    const v = at(i);
    return v === undefined ? undefined : keyJson + canonicalJson(v);
  };
  const str = (i: number) => renderValue(at(i), d.key);
  if (d.count! > MATERIALISE_RANGE) return { frag, str };
  const frags: Array<string | undefined> = [];
  const strs: string[] = [];
  for (let i = 0; i < d.count!; i++) {
    frags.push(frag(i));
    strs.push(str(i));
  }
  return { frag: (i) => frags[i], str: (i) => strs[i] };
}

/** Names one trial; `strs` holds the rendered value of each dimension for this combination (grid and random). */
type Namer = (p: Obj, strs: readonly string[], index: number, repeat: number) => string;

function makeNamer(plan: Plan, sweep: Sweep, experiment: Experiment | undefined, opts: ExpandOptions | undefined): Namer {
  const s = sweep as unknown as Obj;
  const expName = typeof experiment?.name === 'string' ? experiment.name : typeof s.name === 'string' ? s.name : 'trial';
  const sweepName = typeof s.name === 'string' ? s.name : opts?.sweepName ?? expName;
  const { template, repeat: nRepeat, dims } = plan;
  if (template === undefined) {
    return (_p, _strs, index, repeat) =>
      nRepeat > 1 ? `${expName}-${Math.floor(index / nRepeat)}-r${repeat}` : `${expName}-${index}`;
  }
  const suffix = nRepeat > 1 && !templateVars(template).some((v) => v.name === 'repeat');
  const dimIndex = new Map(dims.map((d, i) => [d.key, i]));
  const swept = (name: string) => {
    if (plan.method === 'list') return true; // trials may set any path
    for (const d of dims) if (name.startsWith(d.key) && name.charCodeAt(d.key.length) === 46 /* . */) return true;
    return false;
  };
  const segs = compileTemplate(template, (name): Seg => {
    switch (name) {
      case 'index': return { k: 'index' };
      case 'repeat': return { k: 'repeat' };
      case 'experiment': return expName;
      case 'sweep': return sweepName;
    }
    const di = dimIndex.get(name);
    if (di !== undefined && plan.method !== 'list') return { k: 'dim', dim: di };
    if (di !== undefined || swept(name)) return { k: 'lookup', name };
    return renderValue(getDotted(experiment, name), name);
  });
  const expCache = new Map<string, unknown>();
  const lookup = (p: Obj, name: string): unknown => {
    if (Object.prototype.hasOwnProperty.call(p, name)) return p[name];
    // `{params.opt.lr}` where `params.opt` is swept as an object.
    for (const k in p) {
      if (name.startsWith(k) && name.charCodeAt(k.length) === 46 /* . */) return getDotted(p[k], name.slice(k.length + 1));
    }
    if (!expCache.has(name)) expCache.set(name, getDotted(experiment, name));
    return expCache.get(name);
  };
  return (p, strs, index, repeat) => {
    let out = '';
    for (const seg of segs) {
      if (typeof seg === 'string') out += seg;
      else if (seg.k === 'dim') out += strs[seg.dim];
      else if (seg.k === 'index') out += index;
      else if (seg.k === 'repeat') out += repeat;
      else out += renderValue(lookup(p, seg.name), seg.name);
    }
    const res = suffix ? `${out}-r${repeat}` : out;
    // Flatten the concatenation now: a kept cons-string tree costs ~10 heap objects per name.
    res.charCodeAt(0);
    return res;
  };
}

/**
 * Expands a sweep into trials in order: grid = cartesian product in the order written (last
 * parameter fastest); random = `samples` seeded draws (mulberry32, `seed` default 0); list = one per
 * `trials` entry over the constant parameters. Then exclusions, then `repeat` consecutive repeats.
 * Throws SweepError when the sweep cannot be expanded (see checkSweep).
 */
export function expandSweep(sweep: Sweep, experiment: Experiment | undefined, opts?: ExpandOptions): Expansion {
  const a = analyse(sweep);
  if (!a.plan) throw a.errors[0];
  const plan = a.plan;
  const limit = opts?.limit === undefined ? Infinity : Math.max(0, Math.floor(opts.limit));
  const nRepeat = plan.repeat;
  // Per combination, each value is turned into text once: its canonical-JSON member for the key and
  // its rendered form for the name. A grid caches both per value, so a trial costs only concatenation.
  const { dims } = plan;
  const caches = plan.method === 'grid' && limit > 0 ? dims.map(dimCache) : undefined;
  const sorted = dims.map((_, i) => i).sort((x, y) => byCodePoint(dims[x].key, dims[y].key));
  const keyJsons = dims.map((d) => JSON.stringify(d.key) + ':');
  const strs = new Array<string>(dims.length).fill('');
  /** Canonical JSON of `p`, filling `strs` on the way. */
  const prepare = (p: Obj, idx: readonly number[] | undefined): string => {
    if (plan.method === 'list') return canonicalJson(p);
    let out = '{';
    let first = true;
    for (const i of sorted) {
      let f: string | undefined;
      if (caches) {
        f = caches[i].frag(idx![i]);
        strs[i] = caches[i].str(idx![i]);
      } else {
        const v = p[dims[i].key];
        if (v === undefined) strs[i] = renderValue(v, dims[i].key);
        else if (typeof v === 'string') {
          f = keyJsons[i] + JSON.stringify(v);
          strs[i] = v;
        } else if (v === null || typeof v !== 'object') {
          const j = JSON.stringify(v); // names show numbers as JSON does, keys as Python does
          f = keyJsons[i] + (typeof v === 'number' ? pyJsonNumber(v, j) : j);
          strs[i] = j;
        } else {
          f = keyJsons[i] + canonicalJson(v);
          strs[i] = JSON.stringify(v);
        }
      }
      if (f === undefined) continue;
      out += first ? f : ',' + f;
      first = false;
    }
    return out + '}';
  };
  const name = makeNamer(plan, sweep, experiment, opts);
  // A grid's exclusions can be counted without enumerating: then the total is known and expansion stops at the limit.
  const countedExcluded = plan.exclude.length && limit < Infinity ? gridExcludedCombos(plan) : undefined;
  const trials: Trial[] = [];
  let kept = 0;
  let excludedCombos = 0;
  let stopped = false;
  const hasExclude = plan.exclude.length > 0;
  enumerate(plan, (p, idx) => {
    if (hasExclude && isExcluded(plan.exclude, p)) {
      excludedCombos++;
      return true;
    }
    kept++;
    if (trials.length < limit) {
      const canon = prepare(p, idx);
      for (let r = 0; r < nRepeat && trials.length < limit; r++) {
        const params = r === 0 ? p : { ...p };
        const index = trials.length;
        trials.push({ index, key: sha256hex(canon + '#' + r).slice(0, 16), name: name(params, strs, index, r), repeat: r, params });
      }
    }
    // Without exclusions the total is known up front; stop as soon as the limit is reached.
    if (trials.length < limit) return true;
    if (hasExclude && countedExcluded === undefined && opts?.exactTotal !== false) return true;
    stopped = true;
    return false;
  });
  if (countedExcluded !== undefined) excludedCombos = countedExcluded;
  const upper = (plan.combos - excludedCombos) * nRepeat;
  // Stopped early: exact without exclusions or with counted ones, else an upper bound (exclusions past the limit were not seen).
  const total = stopped ? Math.max(trials.length, upper) : hasExclude ? kept * nRepeat : plan.combos * nRepeat;
  return { trials, total, excluded: excludedCombos * nRepeat, truncated: trials.length < total };
}

// ---------------------------------------------------------------------------------------------
// Trial config

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Sets `dotted` in `obj`, creating (or replacing non-object values with) objects along the way. Array indices work. */
export function setDotted(obj: Obj, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur: Obj = obj;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (UNSAFE_KEYS.has(part)) throw new Error(`refusing to set ${dotted}: "${part}" is not allowed in a parameter path`);
    if (i === parts.length - 1) {
      cur[part] = value;
      return;
    }
    let next = cur[part];
    if (next === null || typeof next !== 'object') {
      next = {};
      cur[part] = next;
    }
    cur = next as Obj;
  }
}

/** The experiment a trial runs: a deep clone with each swept path set and `name` = the trial name. The input is not mutated. */
export function trialConfig(experiment: Experiment, trial: Trial): Experiment {
  const out = structuredClone(experiment) as unknown as Obj;
  for (const [path, value] of Object.entries(trial.params)) setDotted(out, path, structuredClone(value));
  out.name = trial.name;
  return out as unknown as Experiment;
}

/** 120000 → "120,000", as counts read in messages. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
