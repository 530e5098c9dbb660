// The Compare panel: groups of runs (each sweep, each value of a parameter, or each run by its
// reports) on one metric — box
// plots, means with confidence intervals, a ranking with ratios, p-values against the best and a
// bootstrap interval of the median difference, speedup of whole sweeps, and the runs' curves.
import type { CompareData, InitMessage, PanelSettings, PanelUpdates } from '../contract';
import type { NamedChart } from '../../../core/src/report/charts';
import { tableCsv } from '../lib/table';
import { ChartGrid } from '../ui/chart-view';
import { button, facts, h, picker, section } from '../ui/dom';
import { start, type PanelContext, type PanelView } from '../ui/page';
import { TableView } from '../ui/table-view';
import {
  BY_RUN, choose, compareCharts, CurveStore, curvesChart, groupingsOf, metricsOf, rankingColumns, runComparison,
  type CompareResult, type CompareUi,
} from './model';
import type { ComparisonRow } from '../../../core/src/stats';

class CompareView implements PanelView<'compare'> {
  private data!: CompareData;
  private settings!: PanelSettings;
  private result?: CompareResult;
  private curves = new CurveStore();
  /** The metric whose curves were asked for, so a live update does not ask again. */
  private requested?: string;
  private head!: HTMLElement;
  private pickers!: HTMLElement;
  private note!: HTMLElement;
  private table!: TableView<ComparisonRow>;
  private charts!: ChartGrid;
  private frame = 0;

  constructor(private readonly ctx: PanelContext<'compare'>) {}

  init(m: InitMessage<'compare'>): void {
    this.data = m.data;
    this.settings = m.settings;
    this.curves = new CurveStore();
    this.requested = undefined;
    if (m.data.curves) this.curves.apply(m.data.curves);
    this.head = h('header', { class: 'panel-head' });
    this.pickers = h('div', { class: 'toolbar' });
    this.note = h('p', { class: 'muted' });
    const ranking = section('Ranking', button('CSV', () => this.exportCsv(), { secondary: true, title: 'Save the ranking as CSV' }));
    ranking.body.append(this.pickers, this.note);
    this.table = new TableView(ranking.body, { caption: 'Ranking' });
    const charts = section('Charts');
    this.charts = new ChartGrid(h('div', { class: 'charts' }), (name, data) => this.ctx.exportFile('png', `compare-${name}`, data));
    charts.body.append(this.charts.el);
    this.ctx.root.append(this.head, ranking.el, charts.el);
    this.recompute(true);
  }

  update(u: PanelUpdates['compare']): void {
    if (u.curves) this.curves.apply(u.curves);
    // grouped by run, the curves are the values: new points change the comparison
    if (u.runs || u.sweeps || u.missing || (u.curves && this.result?.choice.by === BY_RUN)) {
      this.data = { ...this.data, ...u };
      this.schedule();
    } else {
      this.drawCharts(false);
    }
  }

  retheme(): void { this.drawCharts(true); }

  private schedule(): void {
    // The bootstrap costs milliseconds per group: once per frame however many changes came.
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.recompute(false));
  }

  private choose(patch: CompareUi): void {
    this.ctx.saveUi({ ...this.ctx.ui(), ...patch });
    this.schedule();
  }

  private recompute(rebuild: boolean): void {
    const choice = choose(this.data, this.ctx.ui());
    this.result = choice && runComparison(this.data, choice, this.settings, this.curves);
    // The curves follow the metric; the extension sends the new one's.
    if (choice && this.curves.metric !== choice.metric && this.requested !== choice.metric) {
      this.requested = choice.metric;
      this.ctx.post({ type: 'curves', metric: choice.metric });
    }
    this.drawHead();
    this.drawPickers();
    const res = this.result;
    if (res) {
      const c = res.comparison;
      const notes = [
        `${c.rows.length} group${c.rows.length === 1 ? '' : 's'}, ranked by ${c.by} (${c.goal}); p-values and the interval compare each group with the best.`,
        res.left ? `${res.left} run${res.left === 1 ? '' : 's'} that did not succeed left out.` : '',
        res.choice.by === BY_RUN && c.rows.some((r) => r.n > 1) ? `Each run's values are its reports of ${res.choice.metric}.` : '',
        res.choice.by === BY_RUN && !c.rows.some((r) => r.n > 1) ? `No curves loaded: each run gives its ${res.choice.reduce} value.` : '',
        res.withoutCurve ? `${res.withoutCurve} run${res.withoutCurve === 1 ? '' : 's'} without a loaded curve left out: their reports are not loaded, and one value does not compare with many.` : '',
        c.empty.length ? `No value: ${c.empty.map((e) => res.labels.get(e.key) ?? e.key).join(', ')}.` : '',
        c.rows.length < 2 ? 'Comparing needs two groups or more: pick another grouping.' : '',
      ];
      this.note.textContent = notes.filter(Boolean).join(' ');
      this.table.set(rankingColumns(res), c.rows);
    } else {
      this.note.textContent = 'No metric reported by these runs yet.';
      this.table.set([], []);
    }
    this.drawCharts(rebuild);
  }

  private drawHead(): void {
    const d = this.data;
    const used = d.runs.filter((r) => r.status === 'succeeded').length;
    this.head.replaceChildren(
      h('div', { class: 'title-row' }, h('h1', { text: 'Compare' })),
      h('div', { class: 'subtitle', text: d.sweeps.map((s) => s.name).join(' · ') || `${d.runs.length} runs` }),
      facts([
        ['Runs', String(d.runs.length)],
        ['Succeeded', String(used)],
        ['Sweeps', String(d.sweeps.length)],
        ['Not found', d.missing.length ? d.missing.join(', ') : undefined],
      ]),
      h('div', { class: 'actions' }, button('Export JSON', () => this.ctx.exportFile('json', 'comparison', JSON.stringify(this.exportJson(), null, 2)), { secondary: true })),
    );
  }

  private drawPickers(): void {
    const c = this.result?.choice;
    if (!c) { this.pickers.replaceChildren(); return; }
    const nameOf = (l: Element | null | undefined) => l?.querySelector('span')?.textContent;
    const focused = nameOf((document.activeElement as HTMLElement | null)?.closest?.('label'));
    this.pickers.replaceChildren(
      picker('Metric', metricsOf(this.data.runs).map((m) => ({ value: m, label: m })), c.metric, (v) => this.choose({ metric: v, goal: undefined })),
      picker('Group by', groupingsOf(this.data.runs), c.by, (v) => this.choose({ by: v })),
      picker('Value per run', ['final', 'min', 'max', 'mean'].map((v) => ({ value: v, label: v })), c.reduce, (v) => this.choose({ reduce: v as CompareUi['reduce'] })),
      picker('Goal', [{ value: 'minimize', label: 'minimize' }, { value: 'maximize', label: 'maximize' }], c.goal, (v) => this.choose({ goal: v as CompareUi['goal'] })),
      picker('Rank by', [{ value: 'median', label: 'median' }, { value: 'mean', label: 'mean' }], c.rank, (v) => this.choose({ rank: v as CompareUi['rank'] })),
    );
    // Rebuilt pickers keep the keyboard where it was.
    if (focused) [...this.pickers.querySelectorAll('label')].find((l) => nameOf(l) === focused)?.querySelector('select')?.focus();
  }

  private drawCharts(rebuild: boolean): void {
    const theme = this.ctx.theme();
    const charts: Array<NamedChart & { wide?: boolean }> = this.result ? compareCharts(this.result, theme) : [];
    const curves = curvesChart(this.curves, this.data.runs, theme);
    if (curves) charts.push({ ...curves, wide: true });
    this.charts.draw(charts, rebuild);
  }

  private exportCsv(): void {
    if (this.result) this.ctx.exportFile('csv', `compare-${this.result.choice.metric}`, tableCsv(rankingColumns(this.result), this.result.comparison.rows));
  }

  private exportJson() {
    const r = this.result;
    return { choice: r?.choice, comparison: r?.comparison, labels: r && Object.fromEntries(r.labels), wallS: r && Object.fromEntries(r.wall), sweeps: this.data.sweeps, runs: this.data.runs };
  }
}

start('compare', (ctx) => new CompareView(ctx));
