// Cell values: timestamps, numbers, and the job type a job name stands for.

/** Cells pandas reads as missing by default; in number and time columns we do too. */
const NA = new Set(['', 'nan', 'NaN', 'NAN', '-nan', '-NaN', 'NA', 'N/A', 'n/a', '<NA>', '#N/A', 'NULL', 'null', 'None']);

/** Whether a cell is missing. Numbers and dates start with a digit, so most cells skip the set lookup. */
export function isMissing(s: string): boolean {
  const c = s.charCodeAt(0);
  return !(c >= 48 && c <= 57) && (s === '' || NA.has(s));
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number, or NaN (hex, `Infinity`, `1,000` and the like are not numbers in a CSV). */
export function parseNumber(s: string): number {
  // Most cells are plain integers: read them without a regex.
  const n = s.length;
  if (n > 0 && n < 16) {
    let v = 0;
    let k = 0;
    for (; k < n; k++) {
      const c = s.charCodeAt(k) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (k === n) return v;
  }
  return NUMBER.test(s) ? Number(s) : NaN;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The value of `len` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, len: number): number {
  if (at + len > s.length) return -1;
  let v = 0;
  for (let k = at; k < at + len; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Epoch seconds, or a finer unit when the number is too large to be seconds: 1e11 s is the year
 * 5138, while 1e11 ms is 1973 — so ≥ 1e11 is milliseconds, ≥ 1e14 microseconds, ≥ 1e17
 * nanoseconds (pandas/Spark exports write all four). Read as seconds, an epoch-ms column put a
 * campaign in the year 57139.
 */
export function epochToMs(x: number): number {
  const a = Math.abs(x);
  return a >= 1e17 ? x / 1e6 : a >= 1e14 ? x / 1e3 : a >= 1e11 ? x : x * 1000;
}

/**
 * Milliseconds since 1970 UTC, or NaN. Accepts ISO 8601 (`2025-03-04T10:20:30`, with optional
 * fraction and `Z` or `±hh[:mm]`), `YYYY-MM-DD HH:MM[:SS]`, a bare date, and epoch seconds — or
 * epoch milliseconds, microseconds or nanoseconds, told apart by magnitude (see epochToMs).
 * No offset means UTC — Python's `datetime.isoformat()` of a naive time, as post_experiment_csv
 * writes it, carries none (Date.parse would read it as local time). Hand-scanned rather than a
 * regex: a campaign file has a million timestamps, and match arrays are garbage.
 */
export function parseTimestamp(s: string): number {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) {
    const x = parseNumber(s);
    return Number.isFinite(x) ? epochToMs(x) : NaN;
  }
  const y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  let h = 0, mi = 0, sec = 0, ms = 0;
  let i = 10;
  const sep = s.charCodeAt(i);
  if (sep === 84 || sep === 116 || sep === 32) { // T t space
    h = digits(s, i + 1, 2);
    mi = s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : -1;
    i += 6;
    if (s.charCodeAt(i) === 58) {
      sec = digits(s, i + 1, 2);
      i += 3;
      const dot = s.charCodeAt(i);
      if (dot === 46 || dot === 44) {
        let frac = 0, scale = 1;
        for (i++; i < n; i++) {
          const c = s.charCodeAt(i) - 48;
          if (c < 0 || c > 9) break;
          frac = frac * 10 + c;
          scale *= 10;
        }
        if (scale === 1) return NaN;
        ms = (frac / scale) * 1000;
      }
    }
  }
  while (s.charCodeAt(i) === 32) i++;
  let offsetMin = 0;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) i++; // Z z
  else if (z === 43 || z === 45) { // + -
    const oh = digits(s, i + 1, 2);
    i += 3;
    if (s.charCodeAt(i) === 58) i++;
    const om = i < n ? digits(s, i, 2) : 0;
    if (i < n) i += 2;
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
  }
  if (i !== n || y < 0 || h < 0 || mi < 0 || sec < 0) return NaN;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1] + (leap ? 1 : 0) || h > 23 || mi > 59 || sec > 59) return NaN;
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMin) * 60_000 + sec * 1000 + ms;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); cheaper than Date.UTC. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** `YYYY-MM-DD` of a UTC time in ms. */
export const utcDay = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** ISO 8601 UTC without milliseconds when they are zero. */
export const isoUtc = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

// Counters a job name carries besides the epoch: run3, seed42, trial7, fold2, rep1, 12, …
const COUNTER = /(^|[-_.\s])(?:run|seed|trial|fold|rep|repeat|iter|step|shard|part|chunk|job|node|r|s|e|ep)?\d+(?=$|[-_.\s])/gi;
const EPOCH = /[-_.\s]?epoch[-_]?\d+/gi;

// Rows come grouped by job name (post_experiment_csv sorts by it), so remembering the last one is enough.
let lastName = '';
let lastType = '';

/**
 * The job type a job name is an instance of, e.g. `run3-train_epoch12` → `train`,
 * `resnet50_seed2_epoch7` → `resnet50`. Rule: drop `epoch<N>` (with the separator before it), then
 * every separator-delimited token that is a number or a counter word followed by a number (`run3`,
 * `seed42`, `trial7`, `fold2`, `rep1`, `iter5`, `step9`, `shard0`, `part2`, `chunk4`, `job8`,
 * `node1`, `r3`, `s1`, `e4`, `ep4`), then squeeze and trim separators. Digits inside a word stay
 * (`resnet50`, `gpt2`). A name that would become empty (`run0-epoch1`) keeps its letters with the
 * digits removed (`run-epoch`).
 */
export function jobType(name: string): string {
  if (name === lastName) return lastType;
  let t = name.replace(EPOCH, '').replace(COUNTER, '$1').replace(/([-_.\s])[-_.\s]+/g, '$1').replace(/^[-_.\s]+|[-_.\s]+$/g, '');
  if (t === '') t = name.replace(/\d+/g, '').replace(/([-_.\s])[-_.\s]+/g, '$1').replace(/^[-_.\s]+|[-_.\s]+$/g, '') || name;
  lastName = name;
  lastType = t;
  return t;
}
