// A table that draws only the rows in view (plus a margin), between two spacer rows that keep the
// scroll height right: 1,000 trials re-sort, re-filter and live-update without building 10,000 cells.
import { cellText, type Column, type SortState } from '../lib/table';
import { h } from './dom';

/** Rows drawn above and below the visible ones, so a fast scroll shows no gap. */
const MARGIN = 15;
/** Rows drawn before the table has a size (hidden, or not laid out yet). */
const FIRST = 60;

export interface TableOptions<R> {
  /** Sortable headers; the caller sorts (lib/table.ts) and calls set() again. */
  onSort?: (column: string) => void;
  onRowClick?: (row: R) => void;
  rowClass?: (row: R) => string | undefined;
  /** Explains what a row click does, for the rows' tooltip. */
  rowTitle?: string;
  caption?: string;
}

export class TableView<R> {
  readonly el: HTMLElement;
  private readonly table = h('table', { class: 'grid' });
  private readonly colgroup = h('colgroup');
  private readonly thead = h('thead');
  private readonly tbody = h('tbody');
  private columns: readonly Column<R>[] = [];
  private rows: readonly R[] = [];
  private sort?: SortState;
  private rowHeight = 0;
  private frame = 0;
  private drawn = '';

  constructor(parent: HTMLElement, private readonly o: TableOptions<R> = {}) {
    if (o.caption) this.table.append(h('caption', { class: 'visually-hidden', text: o.caption }));
    this.table.append(this.colgroup, this.thead, this.tbody);
    this.el = h('div', { class: 'table-scroll', attrs: { tabindex: '-1' } }, this.table);
    this.el.addEventListener('scroll', () => {
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(() => this.drawRows());
    });
    this.tbody.addEventListener('click', (e) => this.activate(e.target));
    this.tbody.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.activate(e.target); } });
    parent.append(this.el);
  }

  /** Shows these rows (already sorted and filtered) under these columns. */
  set(columns: readonly Column<R>[], rows: readonly R[], sort?: SortState): void {
    const head = JSON.stringify([columns.map((c) => [c.id, c.label, c.width]), sort]);
    this.columns = columns;
    this.rows = rows;
    this.sort = sort;
    if (head !== this.drawn) { this.drawHead(); this.drawn = head; }
    this.drawRows();
  }

  private drawHead(): void {
    const total = this.columns.reduce((s, c) => s + (c.width ?? 1), 0);
    this.colgroup.replaceChildren(...this.columns.map((c) => {
      const col = h('col');
      col.style.width = `${(100 * (c.width ?? 1)) / total}%`;
      return col;
    }));
    // Fixed layout keeps column widths still while rows scroll in and out; many columns scroll sideways.
    this.table.style.minWidth = `${total * 7}em`;
    // A sort by keyboard keeps the focus on its header across the redraw.
    const focused = (document.activeElement as HTMLElement | null)?.closest?.('thead') === this.thead ? document.activeElement?.getAttribute('data-column') : undefined;
    const tr = h('tr');
    for (const c of this.columns) {
      const sorted = this.sort?.column === c.id;
      const th = h('th', { class: c.numeric ? 'num' : undefined, attrs: { scope: 'col', 'aria-sort': sorted ? (this.sort!.desc ? 'descending' : 'ascending') : 'none' } });
      if (this.o.onSort) {
        const arrow = sorted ? (this.sort!.desc ? ' ▼' : ' ▲') : '';
        th.append(h('button', { class: 'sort', text: `${c.label}${arrow}`, title: `Sort by ${c.label}`, attrs: { type: 'button', 'data-column': c.id }, onClick: () => this.o.onSort!(c.id) }));
      } else {
        th.textContent = c.label;
      }
      tr.append(th);
    }
    this.thead.replaceChildren(tr);
    if (focused) this.thead.querySelector<HTMLElement>(`[data-column="${CSS.escape(focused)}"]`)?.focus();
  }

  private drawRows(): void {
    const n = this.rows.length;
    const height = this.el.clientHeight;
    let first = 0;
    let count = Math.min(n, FIRST);
    if (this.rowHeight > 0 && height > 0) {
      first = Math.max(0, Math.floor(this.el.scrollTop / this.rowHeight) - MARGIN);
      count = Math.min(n - first, Math.ceil(height / this.rowHeight) + 2 * MARGIN);
    }
    const out: HTMLTableRowElement[] = [];
    if (first > 0) out.push(this.spacer(first));
    for (let i = first; i < first + count; i++) out.push(this.row(i));
    if (first + count < n) out.push(this.spacer(n - first - count));
    if (n === 0) out.push(h('tr', { class: 'empty' }, h('td', { text: 'No rows.', attrs: { colspan: String(this.columns.length || 1) } })));
    this.tbody.replaceChildren(...out);
    // Measured once drawn: the real height with the user's font and zoom.
    if (!this.rowHeight && count > 0) {
      const r = out[first > 0 ? 1 : 0].getBoundingClientRect().height;
      if (r > 0) { this.rowHeight = r; if (n > count) this.drawRows(); }
    }
  }

  private spacer(rows: number): HTMLTableRowElement {
    const tr = h('tr', { class: 'spacer', attrs: { 'aria-hidden': 'true' } });
    tr.style.height = `${rows * (this.rowHeight || 24)}px`;
    return tr;
  }

  private row(i: number): HTMLTableRowElement {
    const r = this.rows[i];
    const cls = this.o.rowClass?.(r);
    const tr = h('tr', { class: cls, title: this.o.rowTitle, attrs: { 'data-index': String(i) } });
    if (this.o.onRowClick) tr.tabIndex = 0;
    for (const c of this.columns) {
      const text = cellText(c, r);
      tr.append(h('td', { class: c.numeric ? 'num' : undefined, text, title: text.length > 12 ? text : undefined }));
    }
    return tr;
  }

  private activate(target: EventTarget | null): void {
    const tr = (target as HTMLElement | null)?.closest?.('tr[data-index]');
    if (!tr || !this.o.onRowClick) return;
    const row = this.rows[Number(tr.getAttribute('data-index'))];
    if (row !== undefined) this.o.onRowClick(row);
  }
}
