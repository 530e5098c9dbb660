// Tables: columns, sorting, text filtering and CSV, apart from the DOM (ui/table-view.ts draws the
// visible rows only, so 1,000 rows stay responsive).
import { csvTable } from '../../../core/src/util/csv';

export interface Column<R> {
  id: string;
  label: string;
  /** Sorted by and exported; undefined sorts last either way. */
  value(row: R): string | number | undefined;
  /** The cell's text; default: the value as text. */
  text?(row: R): string;
  /** Right-aligned. */
  numeric?: boolean;
  /** Relative width (default 1). */
  width?: number;
}

export interface SortState { column: string; desc: boolean }

/** A click on a header: the same column flips the direction, another sorts ascending. */
export function toggleSort(cur: SortState | undefined, column: string): SortState {
  return cur?.column === column ? { column, desc: !cur.desc } : { column, desc: false };
}

export function cellText<R>(col: Column<R>, row: R): string {
  if (col.text) return col.text(row);
  const v = col.value(row);
  return v === undefined ? '' : String(v);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** A sorted copy (stable): numbers by value, text in natural order (`trial-2` before `trial-10`), missing values last. */
export function sortRows<R>(rows: readonly R[], columns: readonly Column<R>[], sort: SortState | undefined): R[] {
  const col = sort && columns.find((c) => c.id === sort.column);
  if (!col || !sort) return rows.slice();
  const sign = sort.desc ? -1 : 1;
  const keyed = rows.map((row, i) => ({ row, i, v: col.value(row) }));
  keyed.sort((a, b) => {
    const x = a.v;
    const y = b.v;
    if (x === undefined || y === undefined || (typeof x === 'number' && Number.isNaN(x)) || (typeof y === 'number' && Number.isNaN(y))) {
      const mx = x === undefined || Number.isNaN(x);
      const my = y === undefined || Number.isNaN(y);
      return mx === my ? a.i - b.i : mx ? 1 : -1;
    }
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    return c === 0 ? a.i - b.i : sign * c;
  });
  return keyed.map((k) => k.row);
}

/** Rows where every word of the query is in some cell (case-insensitive); all rows for an empty query. */
export function filterRows<R>(rows: readonly R[], columns: readonly Column<R>[], query: string): R[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows.slice();
  return rows.filter((row) => {
    const hay = columns.map((c) => cellText(c, row).toLowerCase()).join('\u0000');
    return words.every((w) => hay.includes(w));
  });
}

/** The rows as shown (sorted, filtered), with raw values so that spreadsheets get numbers. */
export function tableCsv<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  return csvTable(columns.map((c) => c.label), rows.map((r) => columns.map((c) => c.value(r))));
}
