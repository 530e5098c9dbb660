// Number formatting for report text. Locale-free so the Markdown is the same on every machine.

/** 1234567.891 → "1,234,567.9" (digits after the point as asked). */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '—';
  const [int, frac] = Math.abs(x).toFixed(digits).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = x < 0 && Number(`${int}.${frac ?? 0}`) !== 0 ? '-' : '';
  return `${sign}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
}

/** "1 attempt", "1,204 attempts". */
export const count = (n: number, word: string): string => `${num(n)} ${word}${n === 1 ? '' : 's'}`;

/** Hours with one decimal. */
export const hours = (h: number): string => num(h, 1);

/** A fraction as a percentage: whole percents from 10% to 99%, one decimal otherwise (0.4%, 99.6%). */
export function pct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  const p = x * 100;
  if (p === 100 || p === 0) return `${p}%`;
  return p >= 10 && p < 99.5 ? `${Math.round(p)}%` : `${num(p, 1)}%`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes per MiB: memory and disk columns (MB in HTCondor and nvidia-smi) are MiB. */
export const MIB = 1024 ** 2;

/**
 * The one place report units for data are chosen, for tables and charts alike: binary units, the
 * largest that keeps `b` at 1 or more. A chart passes its largest value, so that its axis and the
 * tables speak the same family (no GB in a chart and TiB in a table).
 */
export function byteUnit(b: number): { unit: string; factor: number } {
  let u = 0;
  while (Number.isFinite(b) && Math.abs(b) >= 1024 ** (u + 1) && u < BYTE_UNITS.length - 1) u++;
  return { unit: BYTE_UNITS[u], factor: 1024 ** u };
}

/** Bytes in binary units: "3.2 GiB", "512.0 MiB". */
export function bytes(b: number): string {
  if (!Number.isFinite(b)) return '—';
  const { unit, factor } = byteUnit(b);
  return factor === 1 ? `${num(b)} B` : `${num(b / factor, 1)} ${unit}`;
}

/** A duration in seconds: "45 s", "4.2 min", "1.3 h". */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 120) return `${num(s, s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${num(s / 60, 1)} min`;
  return `${num(s / 3600, 1)} h`;
}
