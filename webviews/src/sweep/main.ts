// The Sweep panel: every trial's run in a sortable, filterable table (a click opens the run), and
// how the parameters relate to the metric: a scatter for one parameter, parallel coordinates for all.
import type { InitMessage, PanelUpdates, RunRow, SweepData } from '../contract';
import type { NamedChart } from '../../../core/src/report/charts';
import { num, paramLabel } from '../lib/format';
import { tableCsv, type Column } from '../lib/table';
import { ChartGrid } from '../ui/chart-view';
import { badge, button, facts, h, picker, section } from '../ui/dom';
import { start, type PanelContext, type PanelView } from '../ui/page';
import { TableView } from '../ui/table-view';
import { paramsOf, primaryMetric, scatterChart, sweepUi, trialColumns, visibleRows, type SweepAction } from './model';
import { parallelConfig } from './parallel';

const STATUSES = ['succeeded', 'failed', 'running', 'queued', 'cancelled', 'interrupted'];

class SweepView implements PanelView<'sweep'> {
  private data!: SweepData;
  private columns: Column<RunRow>[] = [];
  private params: string[] = [];
  private shown: RunRow[] = [];
  private head!: HTMLElement;
  private count!: HTMLElement;
  private table!: TableView<RunRow>;
  private pickers!: HTMLElement;
  /** The scatter's parameter picker, kept while the parameters stay the same (so it keeps focus). */
  private paramPicker?: { params: string; el: HTMLLabelElement };
  private charts!: ChartGrid;
  private frame = 0;

  constructor(private readonly ctx: PanelContext<'sweep'>) {}

  init(m: InitMessage<'sweep'>): void {
    const ui = this.ctx.ui();
    this.head = h('header', { class: 'panel-head' });
    const trials = section('Trials', button('CSV', () => this.ctx.exportFile('csv', `${this.data.sweep.name}-trials`, tableCsv(this.columns, this.shown)), { secondary: true, title: 'Save the table as shown' }));
    const text = h('input', { attrs: { type: 'search', placeholder: 'Filter: words in any column', 'aria-label': 'Filter trials' } });
    text.value = ui.text ?? '';
    text.addEventListener('input', () => this.act({ type: 'text', text: text.value }));
    const status = picker('Status', [{ value: '', label: 'all' }, ...STATUSES.map((s) => ({ value: s, label: s }))], ui.status ?? '', (v) => this.act({ type: 'status', status: v }));
    this.count = h('span', { class: 'muted' });
    trials.body.append(h('div', { class: 'toolbar' }, text, status, this.count));
    this.table = new TableView(trials.body, {
      caption: 'Trials', rowTitle: 'Open this run',
      onSort: (column) => this.act({ type: 'sort', column }),
      onRowClick: (r) => this.ctx.post({ type: 'openRun', runId: r.id }),
      rowClass: (r) => `row-${r.status}${r.id === this.data.sweep.best?.id ? ' best' : ''}`,
    });
    const charts = section('Parameters and metric');
    this.pickers = h('div', { class: 'toolbar' });
    this.charts = new ChartGrid(h('div', { class: 'charts' }), (name, data) => this.ctx.exportFile('png', `${this.data.sweep.name}-${name}`, data));
    charts.body.append(this.pickers, this.charts.el);
    this.ctx.root.append(this.head, trials.el, charts.el);
    this.set(m.data, true);
  }

  update(d: PanelUpdates['sweep']): void { this.set(d, false); }

  retheme(): void { this.drawCharts(true); }

  private act(a: SweepAction): void {
    this.ctx.saveUi(sweepUi(this.ctx.ui(), a));
    // Typing in the filter: one table pass per frame.
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => { this.drawTable(); if (a.type === 'scatterParam') this.drawCharts(false); });
  }

  private set(d: SweepData, rebuild: boolean): void {
    this.data = d;
    this.params = paramsOf(d.runs);
    this.columns = trialColumns(d.runs, this.params, primaryMetric(d.sweep, d.runs)?.name);
    this.drawHead();
    this.drawTable();
    this.drawCharts(rebuild);
  }

  private drawHead(): void {
    const s = this.data.sweep;
    const c = s.counts;
    const metric = primaryMetric(s, this.data.runs);
    this.head.replaceChildren(
      h('div', { class: 'title-row' }, h('h1', { text: s.name }), s.live ? h('span', { class: 'live', text: 'live' }) : badge('finished', 'succeeded')),
      h('div', { class: 'subtitle', text: s.id }),
      facts([
        ['Trials', String(s.total)],
        ['Succeeded', String(c.succeeded)],
        ['Failed', c.failed ? String(c.failed) : undefined],
        ['Running', c.running ? String(c.running) : undefined],
        ['Pending', c.pending ? String(c.pending) : undefined],
        ['Metric', metric ? `${metric.name} (${metric.goal})` : undefined],
        ['Best', s.best ? `${s.best.trial}: ${num(s.best.value)}` : undefined],
        ['Max parallel', s.maxParallel !== undefined ? String(s.maxParallel) : undefined],
      ]),
      h('div', { class: 'actions' }, button('Export JSON', () => this.ctx.exportFile('json', s.name, JSON.stringify(this.data, null, 2)), { secondary: true })),
    );
  }

  private drawTable(): void {
    const ui = this.ctx.ui();
    this.shown = visibleRows(this.data.runs, this.columns, ui);
    this.count.textContent = `${this.shown.length} of ${this.data.runs.length} runs`;
    this.table.set(this.columns, this.shown, ui.sort);
  }

  private drawCharts(rebuild: boolean): void {
    const metric = primaryMetric(this.data.sweep, this.data.runs);
    if (!metric || !this.params.length) {
      this.paramPicker = undefined;
      this.pickers.replaceChildren(h('p', { class: 'placeholder', text: metric ? 'No swept parameters.' : 'No metric reported yet.' }));
      this.charts.draw([]);
      return;
    }
    const ui = this.ctx.ui();
    const param = ui.scatterParam && this.params.includes(ui.scatterParam) ? ui.scatterParam : this.params[0];
    const params = this.params.join('\n');
    if (this.paramPicker?.params !== params) {
      this.paramPicker = { params, el: picker('Scatter parameter', this.params.map((p) => ({ value: p, label: paramLabel(p) })), param, (v) => this.act({ type: 'scatterParam', param: v })) };
      this.pickers.replaceChildren(this.paramPicker.el);
    }
    this.paramPicker.el.querySelector('select')!.value = param;
    const theme = this.ctx.theme();
    const best = this.data.sweep.best?.id;
    const charts: Array<NamedChart & { tall: boolean }> = [
      { ...scatterChart(this.data.runs, param, metric, best, theme), tall: true },
      { name: 'parallel-coordinates', title: 'Parallel coordinates', config: parallelConfig({ runs: this.data.runs, params: this.params, metric, bestId: best }, theme) as NamedChart['config'], tall: true },
    ];
    this.charts.draw(charts, rebuild);
  }
}

start('sweep', (ctx) => new SweepView(ctx));
