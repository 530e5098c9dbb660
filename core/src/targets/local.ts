// The local target: one attempt = one process group on this machine, that does not depend on
// the runner staying alive. Its stdout/stderr go straight to the run's log files (the runner
// follows them), and the spawner helper records in `attempt-N.status` the pid when it starts and
// the exit status when it ends — so a runner that was killed can, on restart, adopt the result of
// an attempt that finished without it, or wait for one still running, instead of running a trial
// twice. A timeout or a cancel sends SIGTERM to the group, SIGKILL after a grace; a broken limit
// (resources.memory, which the runner's telemetry sampler watches) SIGKILL at once.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptOutcome } from '../runner/failure';
import { FileLines } from '../util/file-lines';
import { overrideIndices, discoverGpus } from '../runner/gpus';
import { parseProcStat } from '../runner/telemetry';
import type { LocalTarget as LocalTargetConfig } from '../config/types';
import type { AttemptRecord } from '../store/store';
import { launchProblem } from '../util/argv-limits';
import { isAttemptProcess } from '../util/process';
import type { AttemptRef, AttemptRequest, LineSink, RunningAttempt, Target } from './api';
import { spawner } from './spawner';

/** The local machine as a target; `config` is its targets.yaml entry, if any (a GPU override). */
export function localTarget(name = 'local', config?: LocalTargetConfig): Target {
  return {
    name,
    kind: 'local',
    maxParallel: config?.max_parallel,
    async inventory() {
      return overrideIndices(config?.gpus) ?? (await discoverGpus())?.map((g) => g.index);
    },
    submit: startLocal,
    adopt: (req, signal) => adopt(req, req.record, signal),
    forget: (req) => fs.rmSync(files(req).status, { force: true }),
    leftTrace: (req) => orphanStatus(req).state !== 'lost' || findAttemptProcesses(req.runId, req.attempt).length > 0,
    cancelAttempt(runId, last, next) {
      // The attempt's process group — only once /proc says the recorded pid is this attempt's (a pid
      // is reused after its process ends); else found through /proc by its environment.
      const n = last && !last.ended ? last.n : next;
      if (last?.pid && !last.ended && isAttemptProcess(last.pid, runId, n)) { try { process.kill(-last.pid, 'SIGTERM'); } catch { /* gone */ } }
      // And every process of the attempt, wherever it went (its group, or a session of its own).
      signalEscaped({ runId, attempt: n, runDir: '' }, 'SIGTERM');
    },
    async collect() { /* the run's folder is already here */ },
  };
}

const files = (req: AttemptRef) => ({
  stdout: path.join(req.runDir, 'stdout.log'),
  stderr: path.join(req.runDir, 'stderr.log'),
  status: path.join(req.runDir, `attempt-${req.attempt}.status`),
});

const STDERR_TAIL_BYTES = 8192;
const FOLLOW_MS = 100;

function startLocal(spec: AttemptRequest, onLine: LineSink): RunningAttempt {
  const { argv, env, cwd } = spec.launch;
  const f = files(spec);
  // What exec would refuse (a value rendered from params can still have it): a spawn error at
  // once, not retried — the same argv meets the same refusal. stderr.log says it too.
  const refused = launchProblem(argv, env);
  if (refused) {
    fs.appendFileSync(f.stderr, `expctl: ${argv[0]}: cannot start: ${refused.message}\n`);
    const spawnError = Object.assign(new Error(refused.message), { code: 'EINVAL' }) as NodeJS.ErrnoException;
    const done = Promise.resolve<AttemptOutcome>({ exitCode: null, signal: null, timedOut: false, cancelled: false, spawnError, stderrTail: '', program: argv[0] });
    return { pid: Promise.resolve(undefined), done, cancel() { /* nothing started */ }, kill() { /* nothing started */ } };
  }
  const startedAt = new Date().toISOString();
  let timedOut = false;
  let cancelled = false;
  // A first attempt's output starts the logs; a later one's follows what earlier ones wrote.
  const from = spec.attempt === 1 ? 0 : undefined;
  const logs = [follow(f.stdout, 'stdout', onLine, from), follow(f.stderr, 'stderr', onLine, from)];
  // detached (in the helper): the command leads a new process group, so signals reach everything
  // it started (accelerate and torchrun fork one worker per GPU).
  const child = spawner().spawn({ argv, cwd, env, stdoutFile: f.stdout, stderrFile: f.stderr, status: f.status });
  let pid: number | undefined;
  let owed: NodeJS.Signals | undefined; // a signal asked for before the pid was known
  const signalGroup = (sig: NodeJS.Signals) => {
    if (pid === undefined) { owed = sig; return; }
    try { process.kill(-pid, sig); } catch { /* already gone */ }
  };
  void child.pid.then((p) => { pid = p; if (p !== undefined && owed) signalGroup(owed); });
  // A cancel or timeout also reaches what left the group (a daemon that called setsid): found by
  // the attempt's environment, which it inherited. Only then — a /proc scan per attempt would cost.
  const stopAll = (sig: NodeJS.Signals) => { signalGroup(sig); signalEscaped(spec, sig); };
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = () => {
    stopAll('SIGTERM');
    killTimer ??= setTimeout(() => stopAll('SIGKILL'), (spec.graceS ?? 10) * 1000);
    killTimer.unref();
  };
  const timer = spec.timeoutS !== undefined ? setTimeout(() => { timedOut = true; terminate(); }, spec.timeoutS * 1000) : undefined;

  const done = child.exit.then(async (e): Promise<AttemptOutcome | undefined> => {
    clearTimeout(timer);
    if (e.error?.code === 'ESPAWNER') {
      // The helper was killed (SIGKILL: it ignores the rest) but the attempt goes on: wait for it.
      // Its end is in its status file if the helper saw it; otherwise nobody can know its exit
      // status, and the attempt is lost — the runner runs the trial again rather than guess.
      const adopted = await adopt({ ...spec, timeoutS: spec.timeoutS }, { n: spec.attempt, started: startedAt });
      logs.forEach((l) => l.stop());
      return adopted && { ...adopted, timedOut: adopted.timedOut || timedOut, cancelled };
    }
    // The run ends with its leader: whatever it left behind in its group goes too (and, once stopped, whatever escaped it).
    if (cancelled || timedOut) stopAll('SIGKILL');
    else signalGroup('SIGKILL');
    clearTimeout(killTimer);
    const tail = logs[1].stop().tail;
    logs[0].stop();
    return outcomeOf(e.code, e.signal, { timedOut, cancelled, stderrTail: tail, program: argv[0], spawnError: e.error });
  });
  return { pid: child.pid, done, cancel() { cancelled = true; terminate(); }, kill() { stopAll('SIGKILL'); } };
}

/** Signals the attempt's processes that are outside its process group (by their environment). */
function signalEscaped(ref: AttemptRef, sig: NodeJS.Signals): void {
  for (const p of findAttemptProcesses(ref.runId, ref.attempt)) { try { process.kill(p, sig); } catch { /* gone */ } }
}

/** How a recorded status translates: 127/126 (with a shell's message in stderr) are a missing or non-executable program; 128+N a signal. */
function outcomeOf(code: number | null, signal: NodeJS.Signals | null,
  o: { timedOut: boolean; cancelled: boolean; stderrTail: string; program: string; spawnError?: NodeJS.ErrnoException }): AttemptOutcome {
  let spawnError = o.spawnError;
  if (!spawnError && code === 127 && /not found\s*$/m.test(o.stderrTail)) spawnError = Object.assign(new Error('not found'), { code: 'ENOENT' });
  if (!spawnError && code === 126 && /Permission denied\s*$/im.test(o.stderrTail)) spawnError = Object.assign(new Error('permission denied'), { code: 'EACCES' });
  // The helper's line for any other refusal (E2BIG, a NUL byte), as an adopted attempt finds it.
  const refused = code === 126 && !spawnError ? /^expctl: .*?: cannot start \((\w+)\): (.*)$/m.exec(o.stderrTail) : null;
  if (refused) spawnError = Object.assign(new Error(refused[2]), { code: refused[1] });
  if (code !== null && code > 128 && code < 128 + 65 && !signal) {
    const num = code - 128;
    const name = Object.entries(constants.signals).find(([, n]) => n === num)?.[0] as NodeJS.Signals | undefined;
    if (name) { signal = name; code = null; }
  }
  return { exitCode: code, signal, timedOut: o.timedOut, cancelled: o.cancelled, spawnError, stderrTail: o.stderrTail, program: o.program };
}

/** Follows a log file from `from` (default: its current end): lines to `onLine`, and the last bytes for stderr tails. */
export function follow(file: string, stream: 'stdout' | 'stderr', onLine: LineSink, from?: number): { stop(): { tail: string } } {
  const lines = new FileLines(file, from ?? fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0);
  let tail = '';
  const read = (end: boolean) => lines.read((l) => onLine(stream, l), end, (text) => { tail = (tail + text).slice(-STDERR_TAIL_BYTES); });
  const timer = setInterval(() => read(false), FOLLOW_MS);
  return {
    stop() {
      clearInterval(timer);
      read(true);
      return { tail: lastLines(tail, 40) };
    },
  };
}

/** An attempt left behind by a runner that stopped: finished (its status file), still running, or lost. */
function orphanStatus(ref: AttemptRef): { state: 'finished'; code: number } | { state: 'running'; pid: number } | { state: 'lost' } {
  const s = readStatus(files(ref).status);
  if (s.exit !== undefined) return { state: 'finished', code: s.exit };
  // Its pid only while it is still this attempt's process: after a reboot, or once it ended, the pid may be another's.
  if (s.pid && isAttemptProcess(s.pid, ref.runId, ref.attempt)) return { state: 'running', pid: s.pid };
  return { state: 'lost' };
}

/** The lines of a status file the helper writes (`pid <n>`, then `exit <code>`); {} while it is absent. */
function readStatus(file: string): { pid?: number; exit?: number } {
  for (let tries = 0; ; tries++) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch { return {}; }
    const m = /^(?:pid (\d+)\n)?(?:exit (\d+)\n)?$/.exec(text);
    if (m && text) return { pid: m[1] === undefined ? undefined : Number(m[1]), exit: m[2] === undefined ? undefined : Number(m[2]) };
    // Created, or a line being written: it is microseconds away.
    if (tries === 20) return {};
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

/**
 * Waits for an attempt that a stopped runner left behind, enforcing what is left of its timeout
 * and the abort signal; resolves with its outcome, or undefined when it is lost (never finished,
 * no process left).
 */
async function adopt(req: AttemptRef & { timeoutS?: number }, attempt: AttemptRecord, signal?: AbortSignal): Promise<AttemptOutcome | undefined> {
  const { stderr: stderrFile } = files(req);
  const { runId, timeoutS } = req;
  let timedOut = false;
  let cancelled = false;
  const result = (code: number | null, sig: NodeJS.Signals | null) =>
    outcomeOf(code, sig, { timedOut, cancelled, stderrTail: fileTail(stderrFile), program: '(adopted attempt)' });
  const done = (code: number) => {
    // As for an attempt this runner started: what its leader left in its group goes with it.
    const leader = readStatus(files(req).status).pid;
    if (leader) { try { process.kill(-leader, 'SIGKILL'); } catch { /* nothing left */ } }
    if (timedOut || cancelled) signalEscaped({ ...req, attempt: attempt.n }, 'SIGKILL');
    return result(code, null);
  };
  for (;;) {
    const s = orphanStatus(req);
    if (s.state === 'finished') return done(s.code);
    const pids = s.state === 'running' ? [s.pid] : findAttemptProcesses(runId, attempt.n);
    if (!pids.length) {
      const again = orphanStatus(req); // it may have finished between the two looks
      if (again.state === 'finished') return done(again.code);
      return timedOut || cancelled ? result(null, 'SIGTERM') : undefined;
    }
    const overdue = timeoutS !== undefined && Date.now() - Date.parse(attempt.started) > timeoutS * 1000;
    if ((overdue && !timedOut) || (signal?.aborted && !cancelled)) {
      if (overdue) timedOut = true;
      else cancelled = true;
      for (const pid of pids) { try { process.kill(-pgidOf(pid), 'SIGTERM'); } catch { /* gone */ } }
      signalEscaped({ ...req, attempt: attempt.n }, 'SIGTERM');
    }
    await sleep(100);
  }
}

function pgidOf(pid: number): number {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.pgrp || pid;
  } catch {
    return pid;
  }
}

function fileTail(file: string): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 8192));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8').split('\n').slice(-40).join('\n').trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Processes whose environment has `EXPCTL_RUN_ID=<id>` and `EXPCTL_ATTEMPT=<n>` (Linux /proc). */
function findAttemptProcesses(runId: string, attempt: number): number[] {
  let pids: string[] = [];
  try { pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return []; }
  return pids.map(Number).filter((p) => isAttemptProcess(p, runId, attempt));
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(-n - 1).join('\n').trimEnd();
}
