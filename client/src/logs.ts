// A terminal per run that shows its stdout and stderr: everything so far, then live lines while it
// runs (finished runs just show their logs). Colours the program prints are kept; stderr lines
// without colours of their own are shown red.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { follow } from '../../core/src/targets/local';
import type { Results } from './results';

const open = new Map<string, vscode.Terminal>();

export function showLogs(results: Results, runId: string): void {
  const hit = results.run(runId);
  if (!hit) { void vscode.window.showWarningMessage(`No run ${runId} in the results stores`); return; }
  const existing = open.get(runId);
  if (existing && existing.exitStatus === undefined) { existing.show(); return; }
  const dir = hit.view.store.runDir(runId);
  const emitter = new vscode.EventEmitter<string>();
  let followers: Array<{ stop(): unknown }> = [];
  let sub: vscode.Disposable | undefined;
  const write = (s: string) => emitter.fire(s.replace(/\r?\n/g, '\r\n'));
  const pty: vscode.Pseudoterminal = {
    onDidWrite: emitter.event,
    open() {
      write(`\x1b[2m${hit.run.trial.name} (${runId}) — ${dir}\x1b[0m\n`);
      followers = (['stdout', 'stderr'] as const).map((stream) => follow(path.join(dir, `${stream}.log`), stream, (s, line) => {
        write(s === 'stderr' && !/\x1b\[/.test(line) ? `\x1b[31m${line}\x1b[0m\n` : `${line}\n`);
      }, 0));
      const ended = () => {
        const r = results.run(runId)?.run;
        if (!r || r.status === 'running' || r.status === 'queued') return false;
        for (const f of followers) f.stop();
        followers = [];
        sub?.dispose();
        write(`\x1b[2m— ${r.status}${r.duration_s !== undefined ? ` after ${r.duration_s.toFixed(1)} s` : ''} —\x1b[0m\n`);
        return true;
      };
      if (!ended()) sub = results.onDidChange(() => void ended());
    },
    close() {
      for (const f of followers) f.stop();
      sub?.dispose();
      open.delete(runId);
    },
  };
  const term = vscode.window.createTerminal({ name: `expctl: ${hit.run.trial.name}`, pty, iconPath: new vscode.ThemeIcon('beaker') });
  open.set(runId, term);
  term.show();
}
