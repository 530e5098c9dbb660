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
