// The local target: one attempt = one process group on this machine, that does not depend on
// the runner staying alive. Its stdout/stderr go straight to the run's log files (the runner
// follows them), and a small sh wrapper records `<base>.pid` when it starts and `<base>.exit`
// (atomically) when the command ends — so a runner that was killed can, on restart, adopt the
// result of an attempt that finished without it, or wait for one still running, instead of
// running a trial twice. A timeout or a cancel sends SIGTERM to the group, SIGKILL after a grace.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { LaunchSpec } from './launch';
import type { AttemptOutcome } from './failure';
import { LineSplitter } from './metrics';
import { alive } from '../util/process';

export interface AttemptSpec {
  launch: LaunchSpec;
  /** Wall-clock limit in seconds; undefined = none. */
  timeoutS?: number;
  stdoutFile: string;
  stderrFile: string;
  /** `<base>.pid` and `<base>.exit` are written by the wrapper. */
  statusBase: string;
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  graceS?: number;
}

export interface RunningAttempt {
  pid?: number;
  /** Resolves once the process group's leader has exited and the logs are read. */
  done: Promise<AttemptOutcome>;
  cancel(): void;
}

export type LineSink = (stream: 'stdout' | 'stderr', line: string) => void;

// $1 = status base; the rest is the command. `exec` is not used: the wrapper must outlive the
// command to record how it ended. A signal death shows as 128+N, as in any shell.
const WRAPPER = 'b=$1; shift; echo $$ > "$b.pid"; "$@"; s=$?; echo $s > "$b.exit.tmp" && mv -f "$b.exit.tmp" "$b.exit"; exit $s';

const STDERR_TAIL_BYTES = 8192;
const FOLLOW_MS = 100;

export function startLocal(spec: AttemptSpec, onLine: LineSink): RunningAttempt {
  const { argv, env, cwd } = spec.launch;
  let timedOut = false;
  let cancelled = false;
  const logs = [follow(spec.stdoutFile, 'stdout', onLine), follow(spec.stderrFile, 'stderr', onLine)];
  const outFd = fs.openSync(spec.stdoutFile, 'a');
  const errFd = fs.openSync(spec.stderrFile, 'a');
  // detached: the wrapper leads a new process group, so signals reach everything the command
  // started (accelerate and torchrun fork one worker per GPU).
  const child = spawn('/bin/sh', ['-c', WRAPPER, 'expctl-attempt', spec.statusBase, ...argv], { cwd, env, detached: true, stdio: ['ignore', outFd, errFd] });
  fs.closeSync(outFd);
  fs.closeSync(errFd);
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try { process.kill(-child.pid, sig); } catch { /* already gone */ }
  };
  const terminate = () => {
    signalGroup('SIGTERM');
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), (spec.graceS ?? 10) * 1000);
    killTimer.unref();
  };
  const timer = spec.timeoutS !== undefined ? setTimeout(() => { timedOut = true; terminate(); }, spec.timeoutS * 1000) : undefined;

  const done = new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The run ends with its leader: whatever it left behind in its group goes too.
      signalGroup('SIGKILL');
      clearTimeout(killTimer);
      const tail = logs[1].stop().tail;
      logs[0].stop();
      resolve(outcomeOf(code, signal, { timedOut, cancelled, stderrTail: tail, program: argv[0], spawnError }));
    };
    child.once('error', (e: NodeJS.ErrnoException) => finish(null, null, e));
    child.once('exit', (code, signal) => finish(code, signal));
  });
  return { pid: child.pid, done, cancel() { cancelled = true; terminate(); } };
}

/** How the wrapper's status translates: 127/126 from sh are a missing or non-executable program; 128+N a signal. */
export function outcomeOf(code: number | null, signal: NodeJS.Signals | null,
  o: { timedOut: boolean; cancelled: boolean; stderrTail: string; program: string; spawnError?: NodeJS.ErrnoException }): AttemptOutcome {
  let spawnError = o.spawnError;
  if (!spawnError && code === 127 && /not found\s*$/m.test(o.stderrTail)) spawnError = Object.assign(new Error('not found'), { code: 'ENOENT' });
  if (!spawnError && code === 126 && /Permission denied\s*$/im.test(o.stderrTail)) spawnError = Object.assign(new Error('permission denied'), { code: 'EACCES' });
  if (code !== null && code > 128 && code < 128 + 65 && !signal) {
    const num = code - 128;
    const name = Object.entries(constants.signals).find(([, n]) => n === num)?.[0] as NodeJS.Signals | undefined;
    if (name) { signal = name; code = null; }
  }
  return { exitCode: code, signal, timedOut: o.timedOut, cancelled: o.cancelled, spawnError, stderrTail: o.stderrTail, program: o.program };
}

/** Follows a log file from `from` (default: its current end): lines to `onLine`, and the last bytes for stderr tails. */
export function follow(file: string, stream: 'stdout' | 'stderr', onLine: LineSink, from?: number): { stop(): { tail: string } } {
  let offset = from ?? 0;
  if (from === undefined) {
    try { offset = fs.statSync(file).size; } catch { /* created by the command */ }
  }
  const split = new LineSplitter();
  let tail = '';
  const read = () => {
    let fd: number;
    try { fd = fs.openSync(file, 'r'); } catch { return; }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        const chunk = buf.subarray(0, n).toString('utf8');
        tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
        for (const line of split.push(chunk)) onLine(stream, line);
      }
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(read, FOLLOW_MS);
  return {
    stop() {
      clearInterval(timer);
      read();
      const rest = split.flush();
      if (rest !== undefined) onLine(stream, rest);
      return { tail: lastLines(tail, 40) };
    },
  };
}

/** An attempt left behind by a runner that stopped: finished (its status file), still running, or lost. */
export function orphanStatus(statusBase: string): { state: 'finished'; code: number } | { state: 'running'; pid: number } | { state: 'lost' } {
  try {
    const code = Number(fs.readFileSync(`${statusBase}.exit`, 'utf8').trim());
    if (Number.isInteger(code)) return { state: 'finished', code };
  } catch { /* not finished */ }
  let pid: number | undefined;
  try { pid = Number(fs.readFileSync(`${statusBase}.pid`, 'utf8').trim()); } catch { /* maybe not started yet */ }
  if (pid && alive(pid)) return { state: 'running', pid };
  return { state: 'lost' };
}

/** Processes whose environment has `EXPCTL_RUN_ID=<id>` and `EXPCTL_ATTEMPT=<n>` (Linux /proc). */
export function findAttemptProcesses(runId: string, attempt: number): number[] {
  const out: number[] = [];
  let pids: string[] = [];
  try { pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return out; }
  const want = [`EXPCTL_RUN_ID=${runId}`, `EXPCTL_ATTEMPT=${attempt}`];
  for (const p of pids) {
    try {
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      if (want.every((w) => env.includes(w)) && alive(Number(p))) out.push(Number(p));
    } catch { /* gone, or not ours */ }
  }
  return out;
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(-n - 1).join('\n').trimEnd();
}
