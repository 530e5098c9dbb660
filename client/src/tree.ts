// The Experiments view: sweeps → runs (one per trial, newest) → attempts, with status icons,
// durations, the primary metric, the best trial marked and, for cluster runs, the pod's phase and
// node (./describe.ts). When a store changes only the rows that changed are refreshed (rows keep
// their ids and node objects), so a row's inline actions stay under the pointer during live updates.
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
  | { kind: 'run'; root: string; run: RunRecord; best: boolean; metric?: string; runnerGone: boolean }
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

/** A node's TreeItem id: stable across refreshes (the row keeps its place, selection and focus). */
export function nodeId(n: Node): string {
  return n.kind === 'sweep' ? `sweep:${n.root}:${n.sweep.id}` : n.kind === 'run' ? `run:${n.root}:${n.run.id}` : `attempt:${n.run.id}:${n.attempt.n}`;
}

export class ExperimentsTree implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | Node[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** The nodes VS Code was given, by id, with what their row showed (and their children's ids) then. */
  private readonly shown = new Map<string, { node: Node; row: string; children?: string }>();
  private roots?: string;

  constructor(private readonly results: Results) {
    results.onDidChange(() => this.changed());
  }

  getChildren(node?: Node): Node[] {
    const children = this.childrenOf(node);
    const ids = children.map(nodeId).join('\n');
    if (!node) this.roots = ids;
    else { const e = this.shown.get(nodeId(node)); if (e) e.children = ids; }
    // The same objects for the same rows, brought up to date: VS Code's refresh of one element finds it.
    return children.map((c) => {
      const id = nodeId(c);
      const e = this.shown.get(id);
      if (!e) { this.shown.set(id, { node: c, row: rowKey(this.getTreeItem(c)) }); return c; }
      Object.assign(e.node, c);
      e.row = rowKey(this.getTreeItem(e.node));
      return e.node;
    });
  }

  /**
   * After a store changed: the whole tree only when the sweeps themselves changed; else the rows whose
   * text, icon or children changed (a node refreshed brings its children along).
   */
  private changed(): void {
    const roots = this.childrenOf(undefined);
    if (this.roots === undefined || roots.map(nodeId).join('\n') !== this.roots) { this.shown.clear(); this.roots = undefined; this.emitter.fire(undefined); return; }
    const dirty: Node[] = [];
    const visit = (fresh: Node) => {
      const e = this.shown.get(nodeId(fresh));
      if (!e) return; // never shown: nothing to refresh
      const kids = e.children === undefined ? undefined : this.childrenOf(fresh);
      Object.assign(e.node, fresh);
      const row = rowKey(this.getTreeItem(e.node));
      if (row !== e.row || (kids && kids.map(nodeId).join('\n') !== e.children)) { e.row = row; dirty.push(e.node); return; }
      for (const k of kids ?? []) visit(k);
    };
    for (const r of roots) visit(r);
    if (dirty.length) this.emitter.fire(dirty);
  }

  private childrenOf(node?: Node): Node[] {
    if (!node) return this.results.all().flatMap((v) => v.sweeps.map((sweep): Node => ({ kind: 'sweep', root: v.root, sweep })));
    if (node.kind === 'sweep') {
      const latest = latestByTrial(this.results.runs(node.root, node.sweep.id));
      const metric = node.sweep.metric?.name;
      return [...latest.values()].sort((a, b) => a.trial.index - b.trial.index || a.trial.repeat - b.trial.repeat)
        .map((run): Node => ({ kind: 'run', root: node.root, run, best: node.sweep.best?.id === run.id, metric, runnerGone: !node.sweep.runner?.alive }));
    }
    if (node.kind === 'run') return node.run.attempts.length > 1 ? node.run.attempts.map((attempt): Node => ({ kind: 'attempt', run: node.run, attempt })) : [];
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'sweep') {
      const s = node.sweep;
      const c = s.counts;
      const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = nodeId(node);
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
      item.id = nodeId(node);
      const text = describeRun(r, node.metric, { now: Date.now(), runnerGone: node.runnerGone });
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
    item.id = nodeId(node);
    const text = describeAttempt(a);
    item.description = text.description;
    if (text.cluster.length) item.tooltip = [`attempt ${a.n}`, ...text.cluster, ...(a.message ? [a.message] : [])].join('\n');
    item.iconPath = icon(a.failure_class ? 'failed' : a.ended ? 'succeeded' : 'running');
    item.contextValue = 'attempt';
    return item;
  }
}

/** What a row shows: when it is the same, the row is left alone. */
function rowKey(item: vscode.TreeItem): string {
  const tip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip;
  return JSON.stringify([item.label, item.description, item.iconPath, item.contextValue, tip, item.collapsibleState]);
}
