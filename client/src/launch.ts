// Launching and stopping runs from the editor. Runs are started through the CLI's detached mode, so
// they outlive the window: the editor only reads the store afterwards, and re-attaches after a
// reload. Nothing is launched in an untrusted workspace (Workspace Trust).
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cancelRuns } from '../../core/src/runner/runner';
import type { RunRecord } from '../../core/src/store/store';
import { FileStore } from '../../core/src/store/store';
import type { Results } from './results';
import { resolvePath, settings } from './settings';

export interface LaunchOptions {
  target?: string;
  retryFailed?: boolean;
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

  /** Starts a sweep or experiment file; resolves with its sweep id once the runner is detached. */
  async run(file: vscode.Uri, o: LaunchOptions = {}): Promise<string | undefined> {
    if (!trusted()) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
    if (doc?.isDirty) await doc.save();
    const cfg = settings(file);
    const store = this.results.storeFor(file.fsPath);
    const args = [this.context.asAbsolutePath(path.join('dist', 'cli.js')), 'run', file.fsPath, '--detach', '--store', store];
    if (o.target) args.push('--target', o.target);
    if (o.retryFailed) args.push('--retry-failed');
    if (cfg.maxParallel > 0) args.push('--max-parallel', String(cfg.maxParallel));
    if (cfg.gpus) args.push('--gpus', cfg.gpus);
    if (cfg.targetsFile) args.push('--targets', resolvePath(cfg.targetsFile, file));
    this.output.appendLine(`$ expctl ${args.slice(1).join(' ')}`);
    // The editor's runtime is Electron in VS Code (node in code-server): run it as plain Node.
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, args, { cwd: path.dirname(file.fsPath), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } },
        (err, out, errText) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errText }));
    });
    this.output.append(r.out + r.err);
    if (r.code !== 0) {
      const first = (r.err || r.out).trim().split('\n')[0] ?? 'unknown error';
      void vscode.window.showErrorMessage(`expctl could not start ${path.basename(file.fsPath)}: ${first}`, 'Show Output').then((p) => { if (p) this.output.show(); });
      return undefined;
    }
    const sweepId = /sweep (\S+)\n/.exec(r.out)?.[1];
    this.results.track(store);
    if (sweepId) void this.progress(sweepId, path.basename(file.fsPath));
    return sweepId;
  }

  /** A progress notification for a sweep until its runner ends; its Cancel cancels the sweep. */
  private progress(sweepId: string, label: string): Thenable<void> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `expctl: ${label}`, cancellable: true }, (progress, token) =>
      new Promise<void>((resolve) => {
        let done = 0;
        const launched = new Date().toISOString();
        const update = () => {
          const s = this.results.sweep(sweepId)?.status;
          if (!s) return;
          const finished = s.counts.succeeded + s.counts.failed + s.counts.cancelled;
          if (finished > done) { progress.report({ increment: ((finished - done) / Math.max(1, s.total)) * 100 }); done = finished; }
          progress.report({ message: `${finished}/${s.total} — ✓ ${s.counts.succeeded} ✗ ${s.counts.failed} ▶ ${s.counts.running}` });
          // Ended: its runner wrote `finished` after this launch (a quick one may end between two looks).
          if (!s.runner?.alive && s.finished && s.finished >= launched) { sub.dispose(); resolve(); }
        };
        const sub = this.results.onDidChange(update);
        token.onCancellationRequested(() => { this.cancelSweep(sweepId); });
        update();
      }));
  }

  cancelSweep(sweepId: string): void {
    if (!trusted()) return;
    const hit = this.results.sweep(sweepId);
    if (!hit) return;
    const store = new FileStore(hit.view.root);
    const done = cancelRuns(store, store.all().filter((r) => r.sweep_id === sweepId), true);
    void vscode.window.showInformationMessage(done.length ? `Cancelling ${hit.status.name}: ${done.length} run${done.length === 1 ? '' : 's'}` : `Nothing of ${hit.status.name} is running`);
  }

  cancelRun(run: RunRecord, root: string): void {
    if (!trusted()) return;
    const done = cancelRuns(new FileStore(root), [run], false);
    void vscode.window.showInformationMessage(done.length ? `Cancelling ${run.trial.name}` : `${run.trial.name} is not running`);
  }
}
