// Tick and label text: SI-suffixed numbers, shortened category names, UTC days.

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * `1234` → `1.234k`, `2500000` → `2.5M`, `0.30000000000000004` → `0.3`, `0.00012` → `1.2e-4`.
 * Four significant digits so that neighbouring ticks (`100k`, `100.5k`) stay distinct.
 */
export function formatSI(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1000) {
    const tier = Math.min(SI.length - 1, Math.floor(Math.log10(abs) / 3));
    let scaled = Number((v / 1000 ** tier).toPrecision(digits));
    let t = tier;
    // 999950 rounds to 1000k: carry into the next suffix
    if (Math.abs(scaled) >= 1000 && t < SI.length - 1) {
      scaled = Number((scaled / 1000).toPrecision(digits));
      t++;
    }
    return `${scaled}${SI[t]}`;
  }
  if (abs < 1e-3) {
    const [mantissa, exp] = v.toExponential(digits - 1).split('e');
    return `${Number(mantissa)}e${Number(exp)}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** Long names keep their start and end, where run names usually differ: `mnist-k…avro-lz4`. */
export function abbreviate(label: string, maxChars: number): string {
  if (label.length <= maxChars || maxChars < 5) return label;
  const keep = maxChars - 1;
  const head = Math.ceil(keep / 2);
  return `${label.slice(0, head)}…${label.slice(label.length - (keep - head))}`;
}

/** `Load time (s)`; the plain title when there is no unit. */
export function withUnit(title: string, unit?: string): string {
  return unit ? `${title} (${unit})` : title;
}

export const DAY_MS = 86_400_000;

/** Epoch ms of the UTC day that contains `day` (`2024-03-05`, an ISO timestamp, or epoch ms); undefined if unreadable. */
export function utcDay(day: string | number): number | undefined {
  const ms = typeof day === 'number' ? day : /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Date.parse(day);
  return Number.isFinite(ms) ? Math.floor(ms / DAY_MS) * DAY_MS : undefined;
}

/** `2024-03-05`: the category label of a day, sortable and unambiguous. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mar 5` (UTC). */
export function shortDay(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
}

/**
 * Days on a daily axis get no gaps up to ten years; past that (a stray date in the year 9000) only
 * the days present are listed — filling 2.6 million days took 111 s and 4.5 GB, then aborted.
 */
const MAX_FILLED_DAYS = 3660;

/** Every day from the first to the last of `present` (sorted; day numbers with `step` 1, or UTC midnights with DAY_MS), or just those when the span is too long. */
export function filledDays(present: readonly number[], step: number): number[] {
  if (!present.length) return [];
  const lo = present[0];
  const n = Math.round((present[present.length - 1] - lo) / step) + 1;
  return n <= MAX_FILLED_DAYS ? Array.from({ length: n }, (_, i) => lo + i * step) : [...present];
}

// --- category labels -----------------------------------------------------------------------------

/** Words and what follows them: a label breaks after a space or a comma first. */
const WORD = /[^\s,]+[\s,]*|[\s,]+/g;
/** Inside a word too long for a line: after `-`, `_`, `/`, `.`, `=` or `×`. */
const PIECE = /[^\-_/.=×]+[\-_/.=×]*|[\-_/.=×]+/g;

/**
 * A label in lines of at most `maxChars`, broken after a space or comma, or inside a word too long
 * for a line only after a separator (`-`, `_`, `.`…); a piece still longer gets a line of its own,
 * whole. Past `maxLines` the last line ends in `…` after a whole piece.
 */
export function wrapLabel(label: string, maxChars = 24, maxLines = 3): string[] {
  const chunks = (label.match(WORD) ?? []).flatMap((w) => (w.trimEnd().length > maxChars ? w.match(PIECE) ?? [w] : [w]));
  const lines: string[] = [];
  let line = '';
  for (const chunk of chunks) {
    if (line && (line + chunk).trimEnd().length > maxChars) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += chunk;
  }
  if (line.trim() || !lines.length) lines.push(line.trimEnd());
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1].replace(/[\s,\-_/.=×]+$/, '')}…`;
  return kept;
}

/** `data.kafka.format=avro, data.kafka.compression=lz4` → [`data.kafka.format`, `data.kafka.compression`], or undefined when a part is no `key=value`. */
function labelKeys(label: string): string[] | undefined {
  const keys: string[] = [];
  for (const part of label.split(/,\s*/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    keys.push(part.slice(0, eq));
  }
  return keys;
}

function commonPrefix(strings: readonly string[]): string {
  if (!strings.length) return '';
  let p = strings[0];
  for (const s of strings) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export interface CategoryLabels {
  /** What every label started with and no longer shows (`data.kafka.`), '' when nothing was common. */
  prefix: string;
  /** The shown labels, prefix removed, one array of lines each. */
  lines: string[][];
}

/**
 * Labels that fit an axis without being cut inside a word. A prefix all labels share is shown once
 * (in the axis title) instead of on every tick: the dotted path of `key=value` labels
 * (`data.kafka.format=avro, data.kafka.compression=lz4` → `format=avro, compression=lz4`), or for
 * other labels (run names) a common start ending in a separator. Then each label is wrapped.
 */
export function categoryLabels(labels: readonly string[], maxChars = 24, maxLines = 3): CategoryLabels {
  let prefix = '';
  let keyed = false;
  if (labels.length > 1) {
    const keys = labels.map(labelKeys);
    keyed = keys.every((k) => k !== undefined);
    if (keyed) {
      const common = commonPrefix((keys as string[][]).flat());
      prefix = common.slice(0, common.lastIndexOf('.') + 1);
    } else {
      const common = commonPrefix(labels);
      const cut = Math.max(...['-', '_', '/', '.', ' '].map((s) => common.lastIndexOf(s)));
      // worth it only when it saves room and leaves every label something to say
      prefix = cut >= 4 && labels.every((l) => l.length > cut + 1) ? common.slice(0, cut + 1) : '';
    }
  }
  const strip = (l: string) => (!prefix ? l : keyed ? l.split(/,\s*/).map((p) => p.slice(prefix.length)).join(', ') : l.slice(prefix.length));
  return { prefix, lines: labels.map((l) => wrapLabel(strip(l), maxChars, maxLines)) };
}

/** Labels for a legend: a shared prefix stripped as on an axis, each on one line. */
export function legendLabels(labels: readonly string[]): CategoryLabels {
  const { prefix, lines } = categoryLabels(labels, Infinity);
  return { prefix, lines: lines.map((l) => [l.join(' ')]) };
}

/** The axis title naming a stripped prefix: `Configuration (data.kafka.…)`. */
export function titleWithPrefix(title: string | undefined, prefix: string): string | undefined {
  if (!prefix) return title;
  return title ? `${title} (${prefix}…)` : `${prefix}…`;
}
