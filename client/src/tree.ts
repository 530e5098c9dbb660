// The Experiments view: sweeps → runs (one per trial, newest) → attempts, with status icons,
// durations, the primary metric, the best trial marked and, for cluster runs, the pod's phase and
// node (./describe.ts). It refreshes whenever a store changes.
import * as vscode from 'vscode';
import { latestByTrial } from '../../core/src/store/store';
import type { AttemptRecord, RunRecord } from '../../core/src/store/store';
import { problemSentences } from '../../core/src/runner/status';
import type { SweepStatus } from '../../core/src/runner/status';
import { formatNumber as fmt } from '../../core/src/util/units';
import type { Results } from './results';
import { describeAttempt, describeRun } from './describe';

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
      const text = describeRun(r, node.metric);
      const last = r.attempts.at(-1);
      item.description = text.description;
      item.iconPath = icon(text.icon);
      item.contextValue = r.status === 'running' || r.status === 'queued' ? 'run-running' : 'run';
      item.tooltip = new vscode.MarkdownString(`\`${r.id}\`\n\n${Object.entries(r.params).map(([k, v]) => `- ${k}: ${JSON.stringify(v)}`).join('\n')}${last?.message ? `\n\n${last.message}` : ''}`);
      // Names and the scheduler's messages are not markdown.
      for (const l of text.cluster) item.tooltip.appendMarkdown('\n\n').appendText(l);
      for (const w of text.warnings) item.tooltip.appendMarkdown('\n\n⚠ ').appendText(w);
      item.command = { command: 'expctl.openRun', title: 'Open run', arguments: [node] };
      return item;
    }
    const a = node.attempt;
    const item = new vscode.TreeItem(`attempt ${a.n}`, vscode.TreeItemCollapsibleState.None);
    const text = describeAttempt(a);
    item.description = text.description;
    if (text.cluster.length) item.tooltip = [`attempt ${a.n}`, ...text.cluster, ...(a.message ? [a.message] : [])].join('\n');
    item.iconPath = icon(a.failure_class ? 'failed' : a.ended ? 'succeeded' : 'running');
    item.contextValue = 'attempt';
    return item;
  }
}
