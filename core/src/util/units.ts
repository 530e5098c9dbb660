// Durations (`90s`, `1h30m`) and Kubernetes-style quantities (`32Gi`, `500M`).

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)/y;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Seconds in a duration: a number (seconds), a numeric string, or unit parts `500ms`, `90s`,
 * `15m`, `2h`, `1d`, combined as `1h30m` or `1h 30m`. Undefined when `s` is not one of those.
 * A negative number is returned as is (callers decide whether it is acceptable).
 */
export function parseDuration(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) ? s : undefined;
  if (typeof s !== 'string') return undefined;
  const text = s.trim();
  if (text === '') return undefined;
  if (PLAIN_NUMBER.test(text)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : undefined;
  }
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = DURATION_PART.lastIndex;
    while (pos < text.length && text[pos] === ' ') pos++;
  }
  return Number.isFinite(total) ? total : undefined;
}

/** `5400` → `1h30m`, `90` → `1m30s`, `0.5` → `500ms`, `86400` → `1d`; parseDuration reads it back. */
/** A number in four significant digits, exponent form when very large or very small: for tables and labels. */
export function formatNumber(x: number): string {
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

export function formatDuration(seconds: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds === 0) return '0s';
  let ms = Math.round(seconds * 1000);
  if (ms === 0) return `${seconds}s`;
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size) {
      parts.push(`${Math.floor(ms / size)}${unit}`);
      ms %= size;
    }
  }
  if (ms > 0) parts.push(`${ms}ms`);
  return parts.join('');
}

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E))?$/;

/**
 * Bytes in a Kubernetes-style quantity: `32Gi`, `500Mi`, `1G`, `1.5Ti`, `128974848`, `129e6`.
 * Binary suffixes Ki Mi Gi Ti Pi Ei, decimal k/K M G T P E (Kubernetes itself spells kilo `k`).
 * A number is taken as bytes. Undefined when `s` is not a quantity (`1GB` is not one).
 */
export function parseQuantity(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) && s >= 0 ? s : undefined;
  if (typeof s !== 'string') return undefined;
  const m = QUANTITY.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * 10 ** Number(m[2] ?? 0) * QUANTITY_SUFFIX[m[3] ?? ''];
  return Number.isFinite(n) ? n : undefined;
}
