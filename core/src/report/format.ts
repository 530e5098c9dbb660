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

/** Bytes in binary units: "3.2 GiB", "512.0 MiB". */
export function bytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${num(v)} B` : `${num(v, 1)} ${units[u]}`;
}

/** A duration in seconds: "45 s", "4.2 min", "1.3 h". */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 120) return `${num(s, s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${num(s / 60, 1)} min`;
  return `${num(s / 3600, 1)} h`;
}
