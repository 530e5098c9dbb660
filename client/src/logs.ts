// A terminal per run that shows its stdout and stderr attempt by attempt, a marker line before each
// (`── attempt 2 (retry after exit:3) ──`): everything so far, then live lines while it runs
// (finished runs just show their logs). Colours the program prints are kept; stderr lines without
// colours of their own are shown red.
import * as vscode from 'vscode';
import type { Results } from './results';
import { AttemptLogReader } from './attempt-logs';
import type { LogStream } from './attempt-logs';

const open = new Map<string, vscode.Terminal>();
/** How often a running run's logs are looked at (the store's change events come less often). */
const FOLLOW_MS = 250;

export function showLogs(results: Results, runId: string): void {
  const hit = results.run(runId);
  if (!hit) { void vscode.window.showWarningMessage(`No run ${runId} in the results stores`); return; }
  const existing = open.get(runId);
  if (existing && existing.exitStatus === undefined) { existing.show(); return; }
  const dir = hit.view.store.runDir(runId);
  const emitter = new vscode.EventEmitter<string>();
  const reader = new AttemptLogReader(dir);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reading: Promise<void> = Promise.resolve();
  const write = (s: string) => emitter.fire(s.replace(/\r?\n/g, '\r\n'));
  const line = (stream: LogStream, text: string) => {
    if (stream === 'marker') write(`\x1b[2m${text}\x1b[0m\n`);
    else write(stream === 'stderr' && !/\x1b\[/.test(text) ? `\x1b[31m${text}\x1b[0m\n` : `${text}\n`);
  };
  const stop = () => { clearInterval(timer); timer = undefined; };
  /** One read at a time, in order: each continues where the last one stopped. */
  const look = () => {
    reading = reading.then(async () => {
      if (closed) return;
      const r = results.run(runId)?.run ?? hit.run;
      const live = r.status === 'running' || r.status === 'queued';
      await reader.read(r, line, !live);
      if (!live && timer) {
        stop();
        if (reader.legacy) write('\x1b[2m(this run\'s runner did not record where each attempt\'s output starts: all attempts are shown as one)\x1b[0m\n');
        write(`\x1b[2m— ${r.status}${r.duration_s !== undefined ? ` after ${r.duration_s.toFixed(1)} s` : ''} —\x1b[0m\n`);
      }
    }).catch((e: unknown) => { write(`\x1b[31mexpctl: could not read the logs in ${dir}: ${(e as Error).message}\x1b[0m\n`); stop(); });
  };
  const pty: vscode.Pseudoterminal = {
    onDidWrite: emitter.event,
    open() {
      write(`\x1b[2m${hit.run.trial.name} (${runId}) — ${dir}\x1b[0m\n`);
      timer = setInterval(look, FOLLOW_MS);
      look();
    },
    close() {
      closed = true;
      stop();
      open.delete(runId);
    },
  };
  const term = vscode.window.createTerminal({ name: `expctl: ${hit.run.trial.name}`, pty, iconPath: new vscode.ThemeIcon('beaker') });
  open.set(runId, term);
  term.show();
}
