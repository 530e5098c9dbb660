// The Experiments view: sweeps → runs (one per trial, newest) → attempts, with status icons,
// durations, the primary metric and the best trial marked. It refreshes whenever a store changes.
import * as vscode from 'vscode';
import { latestByTrial } from '../../core/src/store/store';
import type { AttemptRecord, RunRecord } from '../../core/src/store/store';
import { problemSentences } from '../../core/src/runner/status';
import type { SweepStatus } from '../../core/src/runner/status';
import { formatDuration, formatNumber as fmt } from '../../core/src/util/units';
import { metricText, runWarnings } from '../../core/src/runner/metrics';
import type { Results } from './results';

export type Node =
  | { kind: 'sweep'; root: string; sweep: SweepStatus }
  | { kind: 'run'; root: string; run: RunRecord; best: boolean; metric?: string }
  | { kind: 'attempt'; run: RunRecord; attempt: AttemptRecord };

const STATUS_ICON: Record<string, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  interrupted: ['debug-disconnect', 'testing.iconQueued'],
  running: ['sync~spin', 'charts.blue'],
  queued: ['clock', 'testing.iconQueued'],
};

const icon = (status: string) => {
  const [id, color] = STATUS_ICON[status] ?? ['circle-outline', undefined];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
};

const dur = (s: number | undefined) => (s === undefined ? '' : s < 60 ? `${s.toFixed(1)} s` : formatDuration(Math.round(s)));

export class ExperimentsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly results: Results) {
    results.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.results.all().flatMap((v) => v.sweeps.map((sweep): Node => ({ kind: 'sweep', root: v.root, sweep })));
    if (node.kind === 'sweep') {
      const latest = latestByTrial(this.results.runs(node.root, node.sweep.id));
      const metric = node.sweep.metric?.name;
      return [...latest.values()].sort((a, b) => a.trial.index - b.trial.index || a.trial.repeat - b.trial.repeat)
        .map((run): Node => ({ kind: 'run', root: node.root, run, best: node.sweep.best?.id === run.id, metric }));
    }
    if (node.kind === 'run') return node.run.attempts.length > 1 ? node.run.attempts.map((attempt): Node => ({ kind: 'attempt', run: node.run, attempt })) : [];
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'sweep') {
      const s = node.sweep;
      const c = s.counts;
      const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `sweep:${node.root}:${s.id}`;
      const done = c.succeeded + c.failed + c.cancelled;
      item.description = `${done}/${s.total}${c.running ? ` · ${c.running} running` : ''}${c.failed ? ` · ${c.failed} failed` : ''}${s.best && s.metric ? ` · best ${s.metric.name} ${fmt(s.best.value)}` : ''}`;
      item.iconPath = icon(s.runner?.alive || c.running ? 'running' : c.failed ? 'failed' : done === s.total ? 'succeeded' : 'interrupted');
      item.contextValue = s.runner?.alive ? 'sweep-running' : 'sweep';
      // Metric lines that could not be read and runs with warnings: flagged here, the sentences in the tooltip.
      const problems = problemSentences(s.metricProblems, 3);
      if (problems.length) item.description += ' · ⚠';
      item.tooltip = new vscode.MarkdownString(`**${s.name}** (\`${s.id}\`)\n\n${s.file ?? ''}\n\n✓ ${c.succeeded} · ✗ ${c.failed} · ▶ ${c.running} · pending ${c.pending} · interrupted ${c.interrupted}`);
      for (const t of problems) item.tooltip.appendMarkdown('\n\n⚠ ').appendText(t); // a bad line's text is not markdown
      item.command = { command: 'expctl.openResults', title: 'Open results', arguments: [s.id] };
      return item;
    }
    if (node.kind === 'run') {
      const r = node.run;
      const item = new vscode.TreeItem(`${node.best ? '★ ' : ''}${r.trial.name}`, r.attempts.length > 1 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      item.id = `run:${node.root}:${r.id}`;
      const m = node.metric && r.summary[node.metric] ? ` · ${node.metric} ${metricText(r.summary[node.metric].last)}` : '';
      const warnings = runWarnings(r);
      const last = r.attempts.at(-1);
      item.description = `${r.status}${r.duration_s !== undefined ? ` · ${dur(r.duration_s)}` : ''}${m}${r.status === 'failed' && last?.failure_class ? ` · ${last.failure_class}` : ''}${warnings.length ? ` · ⚠ ${warnings[0]}` : ''}`;
      item.iconPath = icon(r.status);
      item.contextValue = r.status === 'running' || r.status === 'queued' ? 'run-running' : 'run';
      item.tooltip = new vscode.MarkdownString(`\`${r.id}\`\n\n${Object.entries(r.params).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`).join('\n')}${last?.message ? `\n\n${last.message}` : ''}`);
      for (const w of warnings) item.tooltip.appendMarkdown('\n\n⚠ ').appendText(w);
      item.command = { command: 'expctl.openRun', title: 'Open run', arguments: [node] };
      return item;
    }
    const a = node.attempt;
    const item = new vscode.TreeItem(`attempt ${a.n}`, vscode.TreeItemCollapsibleState.None);
    item.description = [a.failure_class ?? (a.ended ? 'ok' : 'running'), dur(a.duration_s), a.message].filter(Boolean).join(' · ');
    item.iconPath = icon(a.failure_class ? 'failed' : a.ended ? 'succeeded' : 'running');
    item.contextValue = 'attempt';
    return item;
  }
}
