// Launching and stopping runs from the editor. Runs are started through the CLI's detached mode, so
// they outlive the window: the editor only reads the store afterwards, and re-attaches after a
// reload. Runs on a cluster are cancelled through the CLI too (./cli.ts needsCli). Nothing is
// launched or cancelled in an untrusted workspace (Workspace Trust).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cancelRuns } from '../../core/src/runner/runner';
import type { RunRecord } from '../../core/src/store/store';
import { FileStore } from '../../core/src/store/store';
import type { Results } from './results';
import { resolvePath, settings } from './settings';
import { alive } from '../../core/src/util/process';
import { CLI_JSON_VERSION } from '../../core/src/contract';
import type { DetachResult } from '../../core/src/contract';
import { cliFailure, needsCli, runCli } from './cli';
import type { CliResult } from './cli';

export interface LaunchOptions {
  target?: string;
  /** `--rerun`: which trials that ended run again (default: changed ones). */
  rerun?: 'failed' | 'all';
}

/** True when launching is allowed; otherwise says why (once per call) and returns false. */
export function trusted(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('expctl does not launch runs in an untrusted workspace: a run executes the commands of its YAML files. Trust the workspace to run.', 'Manage Workspace Trust')
    .then((pick) => { if (pick) void vscode.commands.executeCommand('workbench.trust.manage'); });
  return false;
}

export class Launcher {
  constructor(private readonly context: vscode.ExtensionContext, private readonly results: Results, private readonly output: vscode.OutputChannel) {}

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
    if (o.rerun) args.push('--rerun', o.rerun === 'failed' ? 'changed,failed' : 'all');
    if (cfg.maxParallel > 0) args.push('--max-parallel', String(cfg.maxParallel));
    if (cfg.gpus) args.push('--gpus', cfg.gpus);
    if (cfg.targetsFile) args.push('--targets', resolvePath(cfg.targetsFile, file));
    // A cluster target's preflight runs before the CLI answers (seconds when the cluster is slow).
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `expctl: starting ${path.basename(file.fsPath)}${o.target ? ` on ${o.target}` : ''}` },
      () => this.cli(args, path.dirname(file.fsPath)));
    let result: DetachResult | undefined;
    try { result = JSON.parse(r.out) as DetachResult; } catch { /* an error: said on stderr */ }
    if (r.code !== 0 || result?.version !== CLI_JSON_VERSION) {
      this.failed(`expctl could not start ${path.basename(file.fsPath)}: ${cliFailure(r)}`);
      return undefined;
    }
    this.results.track(store);
    if (result.status === 'nothing-to-run') {
      const rerun = result.states.failed > 0 && result.states.failed + result.states.succeeded === result.trials ? 'Re-run failed' : 'Re-run all';
      void vscode.window.showInformationMessage(`expctl: ${result.name} — ${result.message.replace(/^nothing to run: /, '').replace(/ \(--rerun .*\)$/, '')}. Re-run?`, rerun)
        .then((pick) => { if (pick) void this.run(file, { ...o, rerun: pick === 'Re-run failed' ? 'failed' : 'all' }); });
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
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `expctl: ${label}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        let done = 0;
        const launched = new Date().toISOString();
        const end = () => { sub.dispose(); clearInterval(watch); resolve(); };
        const update = () => {
          const s = this.results.sweep(sweepId)?.status;
          if (s) {
            const finished = s.counts.succeeded + s.counts.failed + s.counts.cancelled;
            if (finished > done) { progress.report({ increment: ((finished - done) / Math.max(1, s.total)) * 100 }); done = finished; }
            progress.report({ message: `${finished}/${s.total} — ✓ ${s.counts.succeeded} ✗ ${s.counts.failed} ▶ ${s.counts.running}` });
            // Ended: its runner wrote `finished` after this launch (a quick one may end between two looks).
            if (s.finished && s.finished >= launched) { end(); return; }
          }
          if (!alive(pid)) {
            // Gone without finishing: one last look at the store, then say so.
            this.results.refresh();
            const after = this.results.sweep(sweepId)?.status;
            if (after?.finished && after.finished >= launched) { end(); return; }
            end();
            void vscode.window.showErrorMessage(`expctl: the runner of ${label} (pid ${pid}) stopped before finishing.`, 'Open Runner Log')
              .then((pick) => { if (pick) void vscode.window.showTextDocument(vscode.Uri.file(started.log)); });
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
    if (!trusted()) return;
    const hit = this.results.sweep(sweepId);
    if (!hit) return;
    const store = new FileStore(hit.view.root);
    const name = hit.status.name;
    void this.cancel(sweepId, name, store, store.all().filter((r) => r.sweep_id === sweepId), true).then((n) => {
      if (n !== undefined) void vscode.window.showInformationMessage(n ? `Cancelling ${name}: ${n} run${n === 1 ? '' : 's'}` : `Nothing of ${name} is running`);
    });
  }

  cancelRun(run: RunRecord, root: string): void {
    if (!trusted()) return;
    void this.cancel(run.id, run.trial.name, new FileStore(root), [run], false).then((n) => {
      if (n !== undefined) void vscode.window.showInformationMessage(n ? `Cancelling ${run.trial.name}` : `${run.trial.name} is not running`);
    });
  }

  /**
   * Cancels `runs` (those of the sweep or run `id`): here when they are all on this machine, else with
   * `expctl cancel`, which finds each run's target in targets.yaml and deletes Jobs through the API.
   * Resolves with how many were running or queued; undefined when the CLI failed (and said why).
   */
  private async cancel(id: string, label: string, store: FileStore, runs: RunRecord[], wholeSweep: boolean): Promise<number | undefined> {
    if (!runs.some(needsCli)) return (await cancelRuns(store, runs, wholeSweep)).length;
    const n = runs.filter((r) => r.status === 'running' || r.status === 'queued').length;
    if (!n) return 0;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `expctl: cancelling ${label}` },
      () => this.cli(['cancel', id, '--store', store.root], store.root));
    if (r.code === 0) return n;
    this.failed(`expctl could not cancel ${label}: ${cliFailure(r)}`);
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
