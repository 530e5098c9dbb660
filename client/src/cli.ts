// The editor's way to the CLI (dist/cli.js): launching detached runners, and cancelling runs on a
// cluster — deleting their Jobs needs @kubernetes/client-node, which stays out of the extension's
// bundle. No `vscode` here, so it is tested as it is.
import { execFile } from 'node:child_process';
import type { RunRecord } from '../../core/src/store/store';

export interface CliResult { code: number; out: string; err: string }

/** Runs the CLI as plain Node with the editor's own runtime (Electron in VS Code, node in code-server). */
export function runCli(cli: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 64 * 1024 * 1024 }, (e, out, err) => {
      // A number is the exit code; anything else is why the CLI did not start at all (ENOENT, …).
      if (e && typeof e.code !== 'number') resolve({ code: 1, out, err: err || e.message });
      else resolve({ code: e ? (e.code as number) : 0, out, err });
    });
  });
}

/** Longer failures are cut here in a notification; the output channel has the whole text. */
const MAX_MESSAGE = 600;

/** Lines that are not the CLI's answer: its usage hint, and Node's warnings about bundled code (newer Node deprecates what @kubernetes/client-node's dependencies use). */
const NOISE = /^(Run `expctl --help`|\(node:\d+\) |\(Use `node --trace-)/;

/**
 * What went wrong, on one line as a notification shows it: the CLI's `expctl: …` error with the lines
 * that follow it (a preflight lists one problem per line), else all of stderr (validation errors).
 */
export function cliFailure(r: CliResult): string {
  const lines = (r.err.trim() ? r.err : r.out).split('\n').map((l) => l.trim()).filter((l) => l && !NOISE.test(l));
  const at = lines.findLastIndex((l) => l.startsWith('expctl: ') && !l.startsWith('expctl: note: '));
  const text = (at >= 0 ? lines.slice(at) : lines).join(' ').replace(/^expctl: /, '');
  if (!text) return `exit code ${r.code}`;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}… (the rest in the expctl output)` : text;
}

/**
 * Whether cancelling the run goes through the CLI: a run with a Job, and any run on a named target
 * (which targets.yaml may make a cluster: the CLI resolves it there and deletes the Job through the
 * API); runs on `local` are cancelled in the editor's process.
 */
export function needsCli(run: RunRecord): boolean {
  return run.target !== 'local' || run.attempts.some((a) => a.k8s !== undefined);
}
