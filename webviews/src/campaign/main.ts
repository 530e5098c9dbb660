// The Campaign report panel: the report of a job CSV (job_summary.csv or runs.csv) — summary,
// recommendations, the CLI's charts and the per-resource table — with date and resource filters.
// The extension parsed the CSV once; a filter change asks it for the report again (`refilter`).
import type { CampaignData, InitMessage, PanelUpdates } from '../contract';
import { reportCharts } from '../../../core/src/report/charts';
import { tableCsv } from '../lib/table';
import { ChartGrid } from '../ui/chart-view';
import { badge, button, facts, h, section } from '../ui/dom';
import { start, type PanelContext, type PanelView } from '../ui/page';
import { TableView } from '../ui/table-view';
import { dateValue, formFilters, RESOURCE_COLUMNS, sameFilters } from './model';
import type { ResourceStats } from '../../../core/src/report';

class CampaignView implements PanelView<'campaign'> {
  private data!: CampaignData;
  private head!: HTMLElement;
  private form!: { from: HTMLInputElement; to: HTMLInputElement; boxes: HTMLInputElement[]; error: HTMLElement };
  private summary!: HTMLElement;
  private charts!: ChartGrid;
  private table!: TableView<ResourceStats>;

  constructor(private readonly ctx: PanelContext<'campaign'>) {}

  init(m: InitMessage<'campaign'>): void {
    this.data = m.data;
    this.head = h('header', { class: 'panel-head' });
    const filters = section('Filters');
    filters.body.append(this.buildForm());
    const summary = section('Summary');
    this.summary = summary.body;
    const charts = section('Charts');
    this.charts = new ChartGrid(h('div', { class: 'charts' }), (name, data) => this.ctx.exportFile('png', name, data));
    charts.body.append(this.charts.el);
    const resources = section('Resources', button('CSV', () => this.ctx.exportFile('csv', 'resources', tableCsv(RESOURCE_COLUMNS, this.rows())), { secondary: true }));
    this.table = new TableView(resources.body, { caption: 'Resources' });
    this.ctx.root.append(this.head, filters.el, summary.el, charts.el, resources.el);
    this.draw(true);
    // Filters the user had before a reload: ask for that report again.
    const saved = this.ctx.ui().filters;
    if (saved && !sameFilters(saved, m.data.filters)) this.ctx.post({ type: 'refilter', filters: saved });
  }

  update(u: PanelUpdates['campaign']): void {
    this.data = { ...this.data, ...u };
    this.draw(false);
  }

  retheme(): void { this.drawCharts(true); }

  private rows(): ResourceStats[] {
    const r = this.data.report;
    return r ? [...r.resources, ...(r.resources.length > 1 ? [r.overall] : [])] : [];
  }

  private buildForm(): HTMLElement {
    const d = this.data;
    const date = (label: string) => {
      const input = h('input', { attrs: { type: 'date', min: dateValue(d.period.first), max: dateValue(d.period.last) } });
      return { input, el: h('label', { class: 'field' }, h('span', { text: label }), input) };
    };
    const from = date('From');
    const to = date('To (whole day)');
    const boxes = d.resources.map((r) => h('input', { attrs: { type: 'checkbox', value: r } }));
    const list = h('fieldset', { class: 'checks' }, h('legend', { text: 'Resources' }),
      ...boxes.map((b, i) => h('label', {}, b, h('span', { text: d.resources[i] }))));
    const error = h('p', { class: 'error', attrs: { role: 'alert' } });
    this.form = { from: from.input, to: to.input, boxes, error };
    const apply = () => {
      const f = formFilters(from.input.value, to.input.value, boxes.filter((b) => b.checked).map((b) => b.value), d.resources);
      this.ctx.saveUi({ filters: f });
      this.ctx.post({ type: 'refilter', filters: f });
    };
    const clear = () => {
      from.input.value = '';
      to.input.value = '';
      for (const b of boxes) b.checked = true;
      apply();
    };
    return h('div', { class: 'filters' },
      h('div', { class: 'toolbar' }, from.el, to.el, button('Apply', apply), button('Clear', clear, { secondary: true })),
      d.resources.length > 1 ? list : undefined,
      error);
  }

  private draw(rebuild: boolean): void {
    const d = this.data;
    const r = d.report;
    // The form shows the filters the report was built with.
    this.form.from.value = dateValue(d.filters.from);
    this.form.to.value = dateValue(d.filters.to);
    const keep = d.filters.resources?.map((x) => x.toLowerCase());
    for (const b of this.form.boxes) b.checked = !keep || keep.includes(b.value.toLowerCase());
    this.form.error.textContent = d.error ?? '';
    this.form.error.hidden = !d.error;

    const src = r?.source;
    this.head.replaceChildren(
      h('div', { class: 'title-row' }, h('h1', { text: r?.title ?? d.file })),
      h('div', { class: 'subtitle', text: d.file }),
      facts([
        ['Rows used', src ? `${src.rowsUsed} of ${src.rowsRead}` : undefined],
        ['Skipped (bad)', src?.rowsSkipped ? String(src.rowsSkipped) : undefined],
        ['Outside filters', src?.rowsFilteredOut ? String(src.rowsFilteredOut) : undefined],
        ['Columns', src?.mapping],
        ['Period', r?.period.first && r.period.last ? `${r.period.first.slice(0, 10)} – ${r.period.last.slice(0, 10)}` : undefined],
      ]),
      h('div', { class: 'actions' }, r ? button('Export JSON', () => this.ctx.exportFile('json', 'report', JSON.stringify(r, null, 2)), { secondary: true }) : undefined),
    );

    if (!r) {
      this.summary.replaceChildren(h('p', { class: 'error', text: d.error ?? 'No report.' }));
    } else {
      const s = r.summary;
      this.summary.replaceChildren(
        h('p', { class: 'headline', text: s.headline }),
        h('h3', { text: 'Recommendations' }),
        s.recommendations.length
          ? h('ul', { class: 'recommendations' }, ...s.recommendations.map((x) => h('li', {}, badge(x.severity, `severity-${x.severity}`), ' ', x.text)))
          : h('p', { class: 'muted', text: 'Nothing stands out: no loss reached the thresholds.' }),
        h('h3', { text: 'Insights' }),
        h('ul', { class: 'insights' }, ...s.insights.map((x) => h('li', { text: x }))),
      );
    }
    this.drawCharts(rebuild);
    this.table.set(RESOURCE_COLUMNS, this.rows());
  }

  private drawCharts(rebuild: boolean): void {
    const r = this.data.report;
    const charts = r && r.overall.attempts > 0 ? reportCharts(r, this.ctx.theme()) : [];
    // Day series need the width; the GPU mix needs it for its legend of counts and shares.
    this.charts.draw(charts.map((c) => ({ ...c, wide: c.name.endsWith('-per-day') || c.name === 'gpu-mix' })), rebuild);
  }
}

start('campaign', (ctx) => new CampaignView(ctx));
