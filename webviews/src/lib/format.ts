// Cell text shared by the panels. Numbers use the charts' SI format so a table and its chart agree.
import { formatSI } from '../../../core/src/charts';

/** An ISO time as `2024-03-05 14:03:21` in the viewer's time zone; '' when absent or unreadable. */
export function localTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A number for a cell: SI-suffixed, 4 significant digits; '' when absent. */
export function num(v: number | undefined | null): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '' : formatSI(v);
}

/** A parameter value as text: numbers and strings as they are, the rest as JSON. */
export function paramText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** `params.lr` → `lr`: sweeps name parameters by path, and `params.` says nothing in a column head. */
export function paramLabel(path: string): string {
  return path.startsWith('params.') ? path.slice('params.'.length) : path;
}

/** Metric names of runs' summaries, without the x axis and time stamps. */
export function isMetricName(name: string): boolean {
  return name !== 'step' && name !== 'ts';
}
