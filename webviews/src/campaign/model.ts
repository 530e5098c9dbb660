// The Campaign panel apart from the DOM: the resources table and the filter form's values.
import type { ReportFilters, ResourceStats } from '../../../core/src/report';
import { hours, num as grouped, pct } from '../../../core/src/report/format';
import type { Column } from '../lib/table';

export const RESOURCE_COLUMNS: readonly Column<ResourceStats>[] = [
  { id: 'resource', label: 'Resource', value: (r) => r.resource, width: 2 },
  { id: 'attempts', label: 'Attempts', value: (r) => r.attempts, text: (r) => grouped(r.attempts), numeric: true },
  { id: 'attemptSuccess', label: 'Attempt success', value: (r) => r.attemptSuccessRate ?? undefined, text: (r) => pct(r.attemptSuccessRate), numeric: true },
  { id: 'hours', label: 'Hours', value: (r) => r.hours, text: (r) => hours(r.hours), numeric: true },
  { id: 'successRate', label: 'Success (hours)', value: (r) => r.successRate ?? undefined, text: (r) => pct(r.successRate), numeric: true },
  { id: 'unsuccessfulHours', label: 'Lost hours', value: (r) => r.unsuccessfulHours, text: (r) => hours(r.unsuccessfulHours), numeric: true },
  { id: 'gpuHours', label: 'GPU-hours', value: (r) => r.gpuHours, text: (r) => hours(r.gpuHours), numeric: true },
  { id: 'epochs', label: 'Epochs', value: (r) => r.epochs, text: (r) => grouped(r.epochs), numeric: true },
  { id: 'hoursPerEpoch', label: 'h / epoch', value: (r) => r.hoursPerEpoch ?? undefined, text: (r) => (r.hoursPerEpoch === null ? '—' : grouped(r.hoursPerEpoch, 2)), numeric: true },
];

/** An ISO time as a date input's value (`2025-03-05`, UTC: the report's days are UTC days). */
export function dateValue(iso: string | null | undefined): string {
  return iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? iso.slice(0, 10) : '';
}

/** Filters from the form: empty fields left out, all resources ticked = no resource filter. */
export function formFilters(from: string, to: string, ticked: readonly string[], all: readonly string[]): ReportFilters {
  const f: ReportFilters = {};
  if (from) f.from = from;
  if (to) f.to = to;
  if (ticked.length < all.length) f.resources = [...ticked];
  return f;
}

export function sameFilters(a: ReportFilters | undefined, b: ReportFilters | undefined): boolean {
  const norm = (f: ReportFilters | undefined) => JSON.stringify([f?.from ?? '', f?.to ?? '', [...(f?.resources ?? [])].sort()]);
  return norm(a) === norm(b);
}
