// The editor's way to the CLI (dist/cli.js): launching detached runners and cancelling runs — on
// a cluster that deletes Jobs, which needs @kubernetes/client-node: it stays out of the extension's
// bundle, as does the runner. The CLI answers in its versioned JSON (core/src/contract.ts). No
// `vscode` here, so it is tested as it is.
import { execFile } from 'node:child_process';
import { CLI_JSON_VERSION } from '../../core/src/contract';
import type { ErrorResult } from '../../core/src/contract';

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

/** A message of several lines (a preflight's problems, a file's diagnostics) on one line, as a notification shows it. */
function oneLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}… (the rest in the expctl output)` : line;
}

/**
 * Why the CLI gave no JSON answer at all — it did not start (ENOENT…), or crashed: the tail of its
 * stderr (where the error is), without stack frames and the warnings Node prints about bundled code.
 */
export function cliFailure(r: CliResult): string {
  const text = r.err.split('\n').filter((l) => !l.startsWith('(node:') && !l.startsWith('(Use `node --trace-') && !/^\s+at /.test(l))
    .map((l) => l.trim()).filter(Boolean).join(' ');
  if (!text) return `exit code ${r.code}`;
  return text.length > MAX_MESSAGE ? `…${text.slice(-(MAX_MESSAGE - 1))} (all of it in the expctl output)` : text;
}

/** The CLI's `--json` answer, or why there is none: the CLI's own error, or an answer this extension cannot read. */
export function cliJson<T extends { version: number }>(r: CliResult): { ok: T } | { error: string } {
  let v: T | ErrorResult | undefined;
  try { v = JSON.parse(r.out) as T | ErrorResult; } catch { /* no answer: said below */ }
  if (v?.version === CLI_JSON_VERSION && 'status' in v && v.status === 'error') return { error: oneLine(v.message) };
  if (r.code !== 0) return { error: cliFailure(r) };
  if (v?.version === CLI_JSON_VERSION) return { ok: v as T };
  return { error: `the CLI did not answer in JSON version ${CLI_JSON_VERSION} (got ${JSON.stringify(r.out.slice(0, 80))}); the extension and dist/cli.js are from different versions — reinstall the extension` };
}
