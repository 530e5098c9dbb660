// The Run panel: a run's metrics (live), its GPU and CPU telemetry, attempts, parameters and config.
import type { InitMessage, PanelUpdates } from '../contract';
import { runWarnings } from '../../../core/src/runner/metrics';
import { duration } from '../../../core/src/report/format';
import { localTime, paramLabel, paramText } from '../lib/format';
import { tableCsv, type Column } from '../lib/table';
import { ChartGrid } from '../ui/chart-view';
import { badge, button, facts, h, section } from '../ui/dom';
import { start, type PanelContext, type PanelView } from '../ui/page';
import { TableView } from '../ui/table-view';
import { ATTEMPT_COLUMNS, metricChart, metricsCsv, RunModel, SUMMARY_COLUMNS, summaryRows, telemetryCharts } from './model';

type Param = [string, unknown];

const PARAM_COLUMNS: readonly Column<Param>[] = [
  { id: 'name', label: 'Parameter', value: ([k]) => paramLabel(k), width: 2 },
  { id: 'value', label: 'Value', value: ([, v]) => (typeof v === 'number' ? v : paramText(v)), text: ([, v]) => paramText(v), width: 3 },
];

class RunView implements PanelView<'run'> {
  private model!: RunModel;
  private head!: HTMLElement;
  private metrics!: ChartGrid;
  private noMetrics!: HTMLElement;
  private telemetry!: ChartGrid;
  private telemetrySection!: HTMLElement;
  private attempts!: TableView<RunModel['run']['attempts'][number]>;
  private summary!: TableView<ReturnType<typeof summaryRows>[number]>;
  private params!: TableView<Param>;
  private config!: HTMLElement;

  constructor(private readonly ctx: PanelContext<'run'>) {}

  init(m: InitMessage<'run'>): void {
    this.model = new RunModel(m.data);
    const png = (name: string, data: string) => this.ctx.exportFile('png', `${this.model.run.id}-${name}`, data);
    const csv = (name: string, text: () => string) => button('CSV', () => this.ctx.exportFile('csv', `${this.model.run.id}-${name}`, text()), { secondary: true, title: `Save ${name} as CSV` });

    this.head = h('header', { class: 'panel-head' });
    const metrics = section('Metrics', csv('metrics', () => metricsCsv(this.model)));
    this.metrics = new ChartGrid(h('div', { class: 'charts' }), png);
    this.noMetrics = h('p', { class: 'placeholder', text: 'No metrics reported yet.' });
    metrics.body.append(this.noMetrics, this.metrics.el);
    const telemetry = section('Telemetry');
    this.telemetrySection = telemetry.el;
    this.telemetry = new ChartGrid(h('div', { class: 'charts' }), png);
    telemetry.body.append(this.telemetry.el);
    const attempts = section('Attempts', csv('attempts', () => tableCsv(ATTEMPT_COLUMNS, this.model.run.attempts)));
    this.attempts = new TableView(attempts.body, { caption: 'Attempts' });
    const summary = section('Summary', csv('summary', () => tableCsv(SUMMARY_COLUMNS, summaryRows(this.model.run))));
    this.summary = new TableView(summary.body, { caption: 'Metric summary' });
    const params = section('Parameters', csv('params', () => tableCsv(PARAM_COLUMNS, Object.entries(this.model.run.params))));
    this.params = new TableView(params.body, { caption: 'Parameters' });
    const config = section('Configuration');
    this.config = h('pre', { class: 'code' });
    config.body.append(this.config);
    this.ctx.root.append(this.head, metrics.el, telemetry.el, attempts.el, summary.el, params.el, config.el);

    this.drawRecord();
    this.drawCharts(true);
    this.config.textContent = this.model.config || '(no config.yaml)';
  }

  update(u: PanelUpdates['run']): void {
    const changed = this.model.apply(u);
    if (changed.run) this.drawRecord();
    const names = this.model.metricNames();
    if (names.some((n) => !this.metrics.has(`metric-${n}`))) {
      this.drawMetrics(false);
    } else {
      // Subtitles quote the record's summary: every chart when it changed, else the ones with new points.
      const redraw = changed.run ? names : changed.metrics;
      this.metrics.redraw(redraw.map((n) => metricChart(this.model, n, this.ctx.theme())));
    }
    if (changed.telemetry) this.drawTelemetry(false);
  }

  retheme(): void { this.drawCharts(true); }

  private drawCharts(rebuild: boolean): void {
    this.drawMetrics(rebuild);
    this.drawTelemetry(rebuild);
  }

  private drawMetrics(rebuild: boolean): void {
    const names = this.model.metricNames();
    this.noMetrics.hidden = names.length > 0;
    this.metrics.draw(names.map((n) => metricChart(this.model, n, this.ctx.theme())), rebuild);
  }

  private drawTelemetry(rebuild: boolean): void {
    const charts = telemetryCharts(this.model.telemetry, this.ctx.theme());
    this.telemetrySection.hidden = charts.length === 0;
    this.telemetry.draw(charts, rebuild);
  }

  private drawRecord(): void {
    const r = this.model.run;
    const running = r.status === 'running' || r.status === 'queued';
    const title = h('div', { class: 'title-row' },
      h('h1', { text: r.trial.name }),
      badge(r.status, r.status),
      running ? h('span', { class: 'live', text: 'live', title: 'Updates as the run reports' }) : undefined);
    const git = r.git ? `${r.git.commit.slice(0, 10)}${r.git.dirty ? ' (dirty)' : ''}` : undefined;
    // What the status does not say — metric lines that could not be read, a primary metric never reported.
    const warnings = runWarnings(r);
    const notice = warnings.length ? h('div', { class: 'warnings', attrs: { role: 'status' } }, ...warnings.map((w) => h('p', { text: `⚠ ${w}` }))) : undefined;
    const actions = h('div', { class: 'actions' },
      button('Show logs', () => this.ctx.post({ type: 'showLogs', runId: r.id })),
      button('Export JSON', () => this.ctx.exportFile('json', r.id, JSON.stringify(this.exportJson(), null, 2)), { secondary: true }));
    this.head.replaceChildren(title, h('div', { class: 'subtitle', text: r.id }), facts([
      ['Sweep', this.model.sweep?.name ?? r.sweep_id],
      ['Experiment', r.experiment],
      ['Target', r.target],
      ['Host', r.host],
      ['GPUs', r.gpus?.length ? r.gpus.join(', ') : undefined],
      ['Git', git],
      ['Started', localTime(r.started)],
      ['Ended', localTime(r.ended)],
      ['Duration', r.duration_s !== undefined ? duration(r.duration_s) : undefined],
      ['Attempts', String(r.attempts.length)],
    ]), ...(notice ? [notice] : []), actions);
    this.attempts.set(ATTEMPT_COLUMNS, r.attempts);
    this.summary.set(SUMMARY_COLUMNS, summaryRows(r));
    this.params.set(PARAM_COLUMNS, Object.entries(r.params));
  }

  private exportJson() {
    const m = this.model;
    return {
      run: m.run, config: m.config, telemetry: m.telemetry,
      metrics: Object.fromEntries(m.metricNames().map((n) => [n, m.metrics.get(n)])),
    };
  }
}

start('run', (ctx) => new RunView(ctx));
