// Launching and stopping runs from the editor, through the CLI and its versioned JSON
// (core/src/contract.ts): runs are started in its detached mode, so they outlive the window — the
// editor only reads the store afterwards, and re-attaches after a reload — and cancelled with
// `expctl cancel --json`, which stops local runs and deletes a cluster's Jobs alike. Nothing is
// launched or cancelled in an untrusted workspace (Workspace Trust).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../core/src/store/store';
import type { Results } from './results';
import { resolvePath, settings } from './settings';
import { alive } from '../../core/src/util/process';
import type { CancelResult, DetachResult } from '../../core/src/contract';
import { cliJson, runCli } from './cli';
import type { CliResult } from './cli';

export interface LaunchOptions {
  target?: string;
  /** `--rerun`: which trials that ended run again (default: changed ones — the CLI's default). */
  rerun?: 'failed' | 'all';
}

/** The `--rerun` value of each choice: failed trials are re-run together with changed ones, as `--retry-failed` does. */
const RERUN_ARG = { failed: 'changed,failed', all: 'all' } as const;

/** True when launching (or cancelling) is allowed; otherwise says why (once per call) and returns false. */
export function trusted(action: 'launch' | 'cancel' = 'launch'): boolean {
  if (vscode.workspace.isTrusted) return true;
  const text = action === 'launch'
    ? 'expctl does not launch runs in an untrusted workspace: a run executes the commands of its YAML files. Trust the workspace to run.'
    : 'expctl does not cancel runs in an untrusted workspace: cancelling runs stops processes and deletes cluster Jobs. Trust the workspace to cancel.';
  void vscode.window.showWarningMessage(text, 'Manage Workspace Trust')
    .then((pick) => { if (pick) void vscode.commands.executeCommand('workbench.trust.manage'); });
  return false;
}

export class Launcher implements vscode.Disposable {
  /** The progress notification of each sweep launched from this window, by sweep id: one per sweep. */
  private readonly progresses = new Map<string, () => void>();

  constructor(private readonly context: vscode.ExtensionContext, private readonly results: Results, private readonly output: vscode.OutputChannel) {}

  /** Ends every progress notification (the extension is going away; a window reload ends them anyway). */
  dispose(): void {
    for (const end of [...this.progresses.values()]) end();
  }

  /**
   * Starts a sweep or experiment file; resolves with its sweep id once the runner is detached. What
   * can refuse the run (errors, targets) refuses in the CLI's foreground, and is shown; so is a run
   * with nothing to do. The CLI answers in its versioned JSON (core/src/contract.ts).
   */
  async run(file: vscode.Uri, o: LaunchOptions = {}): Promise<string | undefined> {
    if (!trusted()) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (doc?.isDirty) await doc.save();
    const cfg = settings(file);
    const store = this.results.storeFor(file.fsPath);
    const args = ['run', file.fsPath, '--detach', '--json', '--store', store];
    if (o.target) args.push('--target', o.target);
    if (o.rerun) args.push('--rerun', RERUN_ARG[o.rerun]);
    if (cfg.maxParallel > 0) args.push('--max-parallel', String(cfg.maxParallel));
    if (cfg.gpus) args.push('--gpus', cfg.gpus);
    if (cfg.targetsFile) args.push('--targets', resolvePath(cfg.targetsFile, file));
    // A cluster target's preflight runs before the CLI answers (seconds when the cluster is slow).
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `expctl: starting ${path.basename(file.fsPath)}${o.target ? ` on ${o.target}` : ''}` },
      () => this.cli(args, path.dirname(file.fsPath)));
    const answer = cliJson<DetachResult>(r);
    if ('error' in answer) {
      this.failed(`expctl could not start ${path.basename(file.fsPath)}: ${answer.error}`);
      return undefined;
    }
    const result = answer.ok;
    this.results.track(store);
    if (result.status === 'nothing-to-run') {
      const picks = rerunChoices(result);
      void vscode.window.showInformationMessage(`expctl: ${result.name} — ${nothingToRun(result)}. Re-run?`, ...picks.map((p) => p.title))
        .then((title) => { const pick = picks.find((p) => p.title === title); if (pick) void this.run(file, { ...o, rerun: pick.rerun }); });
      return result.sweep_id;
    }
    void this.progress(result, path.basename(file.fsPath));
    return result.sweep_id;
  }

  /**
   * A progress notification until the runner ends — its sweep finished, or its process is gone
   * for any reason (a crash, a kill): then it says so and offers the runner's log. Cancel cancels the sweep.
   */
  private progress(started: Extract<DetachResult, { status: 'started' }>, label: string): Thenable<void> {
    const { sweep_id: sweepId, pid } = started;
    // One notification per sweep: a new launch of it replaces the one still showing.
    this.progresses.get(sweepId)?.();
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `expctl: ${label}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        let done = 0;
        let ending = false;
        let ended = false;
        const launched = new Date().toISOString();
        const end = () => {
          if (ended) return;
          ended = true;
          sub.dispose();
          clearInterval(watch);
          if (this.progresses.get(sweepId) === end) this.progresses.delete(sweepId);
          resolve();
        };
        this.progresses.set(sweepId, end);
        const update = () => {
          if (ended) return;
          const s = this.results.sweep(sweepId)?.status;
          if (s) {
            const finished = s.counts.succeeded + s.counts.failed + s.counts.cancelled;
            if (finished > done) { progress.report({ increment: ((finished - done) / Math.max(1, s.total)) * 100 }); done = finished; }
            progress.report({ message: `${finished}/${s.total} — ✓ ${s.counts.succeeded} ✗ ${s.counts.failed} ▶ ${s.counts.running}` });
            // Ended: its runner wrote `finished` after this launch (a quick one may end between two looks).
            if (s.finished && s.finished >= launched) { end(); return; }
          }
          if (!alive(pid) && !ending) {
            // Gone without finishing: one last look at the store, then say so.
            ending = true;
            void this.results.update().then(async () => {
              const after = this.results.sweep(sweepId)?.status;
              end();
              if (after?.finished && after.finished >= launched) return;
              // What it said last (its error, when it failed at start) is in the notification, not only in the log.
              const last = await lastLine(started.log);
              void vscode.window.showErrorMessage(`expctl: the runner of ${label} (pid ${pid}) stopped before finishing${last ? `: ${last}` : ''}.`, 'Open Runner Log')
                .then((pick) => { if (pick) void vscode.window.showTextDocument(vscode.Uri.file(started.log)); });
            });
          }
        };
        const sub = this.results.onDidChange(update);
        // The store may not change when a runner dies: look at its process too.
        const watch = setInterval(update, 1000);
        token.onCancellationRequested(() => { this.cancelSweep(sweepId); });
        update();
      }));
  }

  cancelSweep(sweepId: string): void {
    if (!trusted('cancel')) return;
    const hit = this.results.sweep(sweepId);
    if (!hit) { void vscode.window.showWarningMessage(`expctl: sweep ${sweepId} is not in a results store of this workspace (yet): nothing to cancel.`); return; }
    const name = hit.status.name;
    void this.cancel(sweepId, name, hit.view.root).then((r) => {
      const n = r?.cancelled.length;
      if (n !== undefined) void vscode.window.showInformationMessage(n ? `Cancelling ${name}: ${n} run${n === 1 ? '' : 's'}` : `Nothing of ${name} is running`);
    });
  }

  cancelRun(run: RunRecord, root: string): void {
    if (!trusted('cancel')) return;
    void this.cancel(run.id, run.trial.name, root).then((r) => {
      if (r) void vscode.window.showInformationMessage(r.cancelled.length ? `Cancelling ${run.trial.name}` : `${run.trial.name} is not running`);
    });
  }

  /**
   * Cancels the sweep or run `id` with `expctl cancel --json`, which stops each run on its target
   * (targets.yaml's, for a cluster: it deletes the Jobs through the API). Undefined when the CLI
   * failed (and that was said).
   */
  private async cancel(id: string, label: string, root: string): Promise<CancelResult | undefined> {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `expctl: cancelling ${label}` },
      () => this.cli(['cancel', id, '--json', '--store', root], root));
    const answer = cliJson<CancelResult>(r);
    if ('ok' in answer) { this.results.refresh(); return answer.ok; }
    this.failed(`expctl could not cancel ${label}: ${answer.error}`);
    return undefined;
  }

  /** The CLI, with its command line and answer in the output channel. */
  private async cli(args: string[], cwd: string): Promise<CliResult> {
    this.output.appendLine(`$ expctl ${args.join(' ')}`);
    const r = await runCli(this.context.asAbsolutePath(path.join('dist', 'cli.js')), args, cwd);
    this.output.append(r.out + r.err);
    return r;
  }

  private failed(message: string): void {
    void vscode.window.showErrorMessage(message, 'Show Output').then((p) => { if (p) this.output.show(); });
  }
}

/**
 * What a launch with nothing to do offers, mapped to the CLI's `--rerun`: the failed trials when
 * some failed (`changed,failed`), and all (`all`). Changed trials need no choice: ▶ Run runs them
 * (`changed` is the CLI's default), so a launch with nothing to do has none.
 */
export function rerunChoices(r: Extract<DetachResult, { status: 'nothing-to-run' }>): Array<{ title: string; rerun: NonNullable<LaunchOptions['rerun']> }> {
  const { failed } = r.states;
  return [
    ...(failed ? [{ title: `Re-run failed (${failed})`, rerun: 'failed' as const }] : []),
    { title: `Re-run all (${r.trials})`, rerun: 'all' as const },
  ];
}

/** Why a launch had nothing to do, from the trials' states (never from the CLI's wording). */
function nothingToRun(r: Extract<DetachResult, { status: 'nothing-to-run' }>): string {
  const { succeeded, failed, changed, running } = r.states;
  const n = r.trials;
  if (succeeded === n) return n === 1 ? 'its trial already succeeded' : `all ${n} trials already succeeded`;
  const parts = [succeeded && `${succeeded} succeeded`, failed && `${failed} failed`, changed && `${changed} changed`, running && `${running} running in another runner`];
  return `of ${n} trial${n === 1 ? '' : 's'}, ${parts.filter(Boolean).join(', ')}`;
}

/** The last non-blank line of a runner's log (its end only: a log of a long sweep is large), cut to a notification's length. */
async function lastLine(log: string): Promise<string | undefined> {
  try {
    const fh = await fsp.open(log, 'r');
    try {
      const { size } = await fh.stat();
      const buf = Buffer.alloc(Math.min(size, 4096));
      await fh.read(buf, 0, buf.length, size - buf.length);
      const line = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
      return line && line.length > 300 ? `${line.slice(0, 299)}…` : line;
    } finally { await fh.close(); }
  } catch {
    return undefined; // no log: the message says where to look
  }
}
