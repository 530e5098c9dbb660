// The local target: one attempt = one process group on this machine. stdout/stderr go to files as
// they come and to a line callback (metrics markers, live logs); a timeout or a cancel sends
// SIGTERM to the whole group, then SIGKILL after a grace period.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { LaunchSpec } from './launch';
import type { AttemptOutcome } from './failure';
import { LineSplitter } from './metrics';

export interface AttemptSpec {
  launch: LaunchSpec;
  /** Wall-clock limit in seconds; undefined = none. */
  timeoutS?: number;
  stdoutFile: string;
  stderrFile: string;
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  graceS?: number;
}

export interface RunningAttempt {
  pid?: number;
  /** Resolves once the process group's leader has exited and the logs are flushed. */
  done: Promise<AttemptOutcome>;
  cancel(): void;
}

export type LineSink = (stream: 'stdout' | 'stderr', line: string) => void;

const STDERR_TAIL_BYTES = 8192;

export function startLocal(spec: AttemptSpec, onLine: LineSink): RunningAttempt {
  const { argv, env, cwd } = spec.launch;
  let timedOut = false;
  let cancelled = false;
  let spawnError: NodeJS.ErrnoException | undefined;
  let tail = '';
  const out = fs.createWriteStream(spec.stdoutFile, { flags: 'a' });
  const err = fs.createWriteStream(spec.stderrFile, { flags: 'a' });

  // detached: the child leads its own process group, so signals reach everything it started
  // (accelerate and torchrun fork one worker per GPU).
  const child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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

  const pipe = (stream: NodeJS.ReadableStream, file: fs.WriteStream, name: 'stdout' | 'stderr') => {
    const split = new LineSplitter();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      file.write(chunk);
      if (name === 'stderr') tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
      for (const line of split.push(chunk)) onLine(name, line);
    });
    return new Promise<void>((resolve) => stream.on('end', () => {
      const rest = split.flush();
      if (rest !== undefined) onLine(name, rest);
      resolve();
    }));
  };
  const drained = Promise.all([pipe(child.stdout, out, 'stdout'), pipe(child.stderr, err, 'stderr')]);

  const done = new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = async (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The run ends with its leader: whatever it left behind in its group goes too (and stops
      // holding the output pipes open).
      if (!spawnError) {
        signalGroup('SIGKILL');
        await drained;
      }
      clearTimeout(killTimer);
      await Promise.all([new Promise((r) => out.end(r)), new Promise((r) => err.end(r))]);
      resolve({ exitCode, signal, timedOut, cancelled, spawnError, stderrTail: lastLines(tail, 40), program: argv[0] });
    };
    child.once('error', (e: NodeJS.ErrnoException) => { spawnError = e; void finish(null, null); });
    child.once('exit', (code, signal) => { void finish(code, signal); });
  });

  return {
    pid: child.pid,
    done,
    cancel() { cancelled = true; terminate(); },
  };
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(-n - 1).join('\n').trimEnd();
}
