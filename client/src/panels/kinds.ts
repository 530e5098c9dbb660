// The four panels: where each one's data comes from and what counts as a change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attemptTime, buildReport, loadCampaign } from '../../../core/src/report';
import type { LoadedCampaign, ReportFilters } from '../../../core/src/report';
import type { CampaignData, FromWebview, PanelUpdates } from '../../../webviews/src/contract';
import { BasePanel, type Delta, type Snapshot } from './base';
import { compareSelection, CurvesFeed, RunFeed, runRow, sweepInfo } from './data';

const active = (status: string | undefined) => status === 'running' || status === 'queued';

export class RunPanel extends BasePanel<'run'> {
  private feed?: { dir: string; feed: RunFeed };

  protected snapshot(): Snapshot<'run'> {
    const { results } = this.host;
    const id = this.key.runId;
    // Results polls: a panel restored at start-up may come before its first read of the stores.
    if (!results.run(id)) results.refresh();
    const found = results.run(id);
    if (!found) return { missing: `Run ${id} is not in a results store of this workspace (yet).` };
    const dir = found.view.store.runDir(id);
    if (this.feed?.dir !== dir) this.feed = { dir, feed: new RunFeed(dir) };
    const s = results.sweep(found.run.sweep_id);
    return { title: `Run ${found.run.trial.name}`, data: this.feed.feed.init(found.run, s && sweepInfo(s.view.store, s.status)) };
  }

  protected delta(): Delta<'run'> {
    const found = this.host.results.run(this.key.runId);
    if (!found || !this.feed || this.feed.dir !== found.view.store.runDir(this.key.runId)) return 'reset';
    return this.feed.feed.update(found.run);
  }

  protected override polls(): boolean {
    return active(this.host.results.run(this.key.runId)?.run.status);
  }

  protected override exportDir(): string {
    const found = this.host.results.run(this.key.runId);
    return found ? path.dirname(found.view.root) : super.exportDir();
  }
}

export class SweepPanel extends BasePanel<'sweep'> {
  private sent = '';

  protected snapshot(): Snapshot<'sweep'> {
    const { results } = this.host;
    if (!results.sweep(this.key.sweepId)) results.refresh();
    const data = this.read();
    if (!data) return { missing: `Sweep ${this.key.sweepId} is not in a results store of this workspace (yet).` };
    this.sent = JSON.stringify(data);
    return { title: `Sweep ${data.sweep.name}`, data };
  }

  protected delta(): Delta<'sweep'> {
    const data = this.read();
    if (!data) return 'reset';
    const json = JSON.stringify(data);
    if (json === this.sent) return undefined;
    this.sent = json;
    return data;
  }

  protected override exportDir(): string {
    const s = this.host.results.sweep(this.key.sweepId);
    return s ? path.dirname(s.view.root) : super.exportDir();
  }

  private read(): PanelUpdates['sweep'] | undefined {
    const s = this.host.results.sweep(this.key.sweepId);
    if (!s) return undefined;
    const runs = this.host.results.runs(s.view.root, this.key.sweepId)
      .sort((a, b) => a.trial.index - b.trial.index || (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
    return { sweep: sweepInfo(s.view.store, s.status), runs: runs.map(runRow) };
  }
}

export class ComparePanel extends BasePanel<'compare'> {
  private curves = new CurvesFeed();
  private dirs = new Map<string, string>();
  private sent = '';
  private running = false;

  protected snapshot(): Snapshot<'compare'> {
    const sel = this.select();
    this.sent = JSON.stringify([sel.sweeps, sel.runs, sel.missing]);
    if (!sel.runs.length) return { missing: sel.missing.length ? `Not in a results store of this workspace (yet): ${sel.missing.join(', ')}.` : 'No runs to compare yet.' };
    const metric = this.curves.metric ?? sel.sweeps.find((s) => s.metric)?.metric?.name ?? firstMetric(sel.runs);
    const names = sel.sweeps.map((s) => s.name);
    const title = `Compare ${names.length ? names.join(' · ') : `${sel.runs.length} runs`}`;
    return { title, data: { sweeps: sel.sweeps, runs: sel.runs, missing: sel.missing, ...(metric ? { curves: this.curves.all(this.dirs, metric) } : {}) } };
  }

  protected delta(): Delta<'compare'> {
    const { sweeps, runs, missing } = this.select();
    const json = JSON.stringify([sweeps, runs, missing]);
    const changed = json !== this.sent;
    this.sent = json;
    const curves = this.curves.since(this.dirs);
    if (!changed && !curves) return undefined;
    return { ...(changed ? { sweeps, runs, missing } : {}), ...(curves ? { curves } : {}) };
  }

  protected override polls(): boolean { return this.running; }

  protected override onMessage(m: FromWebview): void {
    if (m.type === 'curves') this.post({ type: 'update', kind: 'compare', data: { curves: this.curves.all(this.dirs, m.metric) } });
  }

  private select() {
    if (!this.key.sweepIds.every((id) => this.host.results.sweep(id)) || !this.key.runIds.every((id) => this.host.results.run(id))) this.host.results.refresh();
    const sel = compareSelection(this.host.results, this.key);
    this.dirs = sel.dirs;
    this.running = sel.runs.some((r) => active(r.status));
    return sel;
  }
}

/** A metric most runs report, for curves when no sweep names one. */
function firstMetric(runs: { summary: Record<string, unknown> }[]): string | undefined {
  for (const r of runs) for (const k of Object.keys(r.summary)) if (k !== 'step' && k !== 'ts') return k;
  return undefined;
}

export class CampaignPanel extends BasePanel<'campaign'> {
  private loaded?: LoadedCampaign;
  private data?: CampaignData;

  protected snapshot(): Snapshot<'campaign'> {
    this.data ??= this.load();
    return { title: `Report ${path.basename(this.key.csv)}`, data: this.data };
  }

  /** The CSV is read once; the report changes only with the filters (onMessage). */
  protected delta(): Delta<'campaign'> { return undefined; }

  protected override exportDir(): string { return path.dirname(this.key.csv); }

  protected override onMessage(m: FromWebview): void {
    if (m.type !== 'refilter' || !this.loaded || !this.data) return;
    const filters = cleanFilters(m.filters);
    try {
      this.data = { ...this.data, filters, report: buildReport(this.loaded, { ...filters, title: this.data.report?.title }), error: undefined };
      this.post({ type: 'update', kind: 'campaign', data: { filters, report: this.data.report } });
    } catch (e) {
      this.post({ type: 'update', kind: 'campaign', data: { filters: this.data.filters, report: this.data.report, error: (e as Error).message } });
    }
  }

  private load(): CampaignData {
    const file = path.basename(this.key.csv);
    const empty = { file, resources: [], period: { first: null, last: null }, filters: {} };
    try {
      const loaded = loadCampaign(fs.readFileSync(this.key.csv, 'utf8'));
      this.loaded = loaded;
      let first = Infinity;
      let last = -Infinity;
      for (const a of loaded.attempts) {
        const t = attemptTime(a);
        if (t === undefined) continue;
        if (t < first) first = t;
        if (t > last) last = t;
      }
      const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString() : null);
      return {
        file, filters: {}, period: { first: iso(first), last: iso(last) },
        resources: [...new Set(loaded.attempts.map((a) => a.resource))].sort(),
        report: buildReport(loaded, { title: `Campaign report: ${file}` }),
      };
    } catch (e) {
      return { ...empty, error: `${file}: ${(e as Error).message}` };
    }
  }
}

/** Filters from the webview, without empty fields. */
function cleanFilters(f: ReportFilters): ReportFilters {
  const out: ReportFilters = {};
  if (typeof f?.from === 'string' && f.from.trim()) out.from = f.from.trim();
  if (typeof f?.to === 'string' && f.to.trim()) out.to = f.to.trim();
  if (Array.isArray(f?.resources) && f.resources.length) out.resources = f.resources.filter((r) => typeof r === 'string');
  return out;
}
