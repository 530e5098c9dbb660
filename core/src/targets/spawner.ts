// Starting processes from small helper processes. fork() copies the parent's page tables, so its
// cost grows with the parent's memory: ~1.7 ms from a bare Node process, ~4.5 ms from a runner
// holding a 10,000-trial sweep — on the runner's only thread. The helpers (plain Node, no bundle
// loaded) do the spawning on their own threads and report pids and exits over IPC. Node's spawn
// blocks until the child has exec'd (~0.5 ms here), so two helpers start twice as many processes
// a second on two cores.
//
// A helper also keeps each attempt's status file: `pid N` when it starts, `exit N` when it ends,
// one line each, so that the runner's successor after a kill -9 learns how an attempt ended
// without it: a helper outlives its runner until the attempts it started have ended. Attempts are
// detached (their own session and process group); signals go to the whole group.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as os from 'node:os';

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  /** The attempt's status file: `pid <n>` when it starts, `exit <code>` when it ends, a line each. */
  status: string;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException };

export interface Spawned {
  /** The process group leader's pid, once started (undefined if it could not start). */
  pid: Promise<number | undefined>;
  exit: Promise<Exit>;
}

// Runs in the helper. The first message is the runner's environment; a request carries only what
// its attempt's environment changes in it (a few EXPCTL_ variables), not kilobytes of it each
// time. Output goes straight to the log files (opened here, in append mode). SIGINT from the
// terminal and SIGHUP from a closed one are the runner's to handle. Each status line is one write
// of a short line: readers take a line as written once its newline is there. A signal death is
// recorded as 128 + its number, as shells do; a program that cannot start as 127 (126 when not
// executable), with sh's message in stderr.log.
const HELPER = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { constants } = require('node:os');
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// Nor is a stray SIGTERM (pkill node) a reason to stop: its attempts would run on unwatched, and
// their ends be lost. It exits by itself once its runner is gone and its attempts have ended.
process.on('SIGTERM', () => {});
// The runner that started this helper. A request is served only while it is still the parent:
// one still in the pipe when its runner was killed (even before this helper had booted) is the
// runner's successor's to decide about; starting it here too could run a trial twice. The live
// parent comes from /proc: process.ppid is only read once, at start.
const parent = Number(process.env.EXPCTL_SPAWNER_PARENT);
const ppid = () => { try { return Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[1]); } catch { return process.ppid; } };
let base = {};
let live = 0;
let orphaned = false;
process.on('disconnect', () => { orphaned = true; if (!live) process.exit(0); });
const err = (e) => ({ code: e.code, message: e.message });
// What the kernel or Node refused, in words (Node's own message quotes the whole argument).
const refusal = (e) => e.code === 'E2BIG' ? { code: e.code, message: "the arguments and environment are over the kernel's limit (131072 bytes for one, ARG_MAX for all together): pass large values in a file instead" }
  : e.code === 'ERR_INVALID_ARG_VALUE' ? { code: e.code, message: 'an argument or environment value contains a NUL byte (\\\\0), which no program can receive' }
  : { code: e.code || 'ERROR', message: String(e.message).slice(0, 300) };
// Replies of one turn of the event loop go as one message: fewer writes and wake-ups on both
// sides. The channel may close under a send (its runner killed): that must not take the helper down.
let replies = [];
const flush = () => { const batch = replies; replies = []; if (process.connected) process.send(batch, () => {}); };
const send = (m) => { if (replies.push(m) === 1) setImmediate(flush); };
const record = (file, line) => { try { fs.appendFileSync(file, line + '\\n'); } catch {} };
process.on('message', (batch) => {
  if (!Array.isArray(batch)) { base = batch.base; return; }
  for (const m of batch) if (ppid() === parent) start(m);
});
function start(m) {
  let out, errFd;
  try { out = fs.openSync(m.stdoutFile, 'a'); errFd = fs.openSync(m.stderrFile, 'a'); }
  catch (e) { send({ id: m.id, error: err(e) }); return; }
  const env = Object.assign({}, base, m.set);
  for (const k of m.unset) delete env[k];
  let c;
  try { c = spawn(m.argv[0], m.argv.slice(1), { cwd: m.cwd, env, detached: true, stdio: ['ignore', out, errFd] }); }
  catch (e) {
    // Refused before exec (a NUL byte in an argument or the environment): this attempt failed,
    // and the helper, serving others, goes on.
    fs.closeSync(out); fs.closeSync(errFd);
    const why = refusal(e);
    try { fs.appendFileSync(m.stderrFile, 'expctl: ' + m.argv[0] + ': cannot start (' + why.code + '): ' + why.message + '\\n'); } catch {}
    record(m.status, 'exit 126');
    send({ id: m.id, error: why });
    return;
  }
  fs.closeSync(out); fs.closeSync(errFd);
  live++;
  if (c.pid !== undefined) { record(m.status, 'pid ' + c.pid); send({ id: m.id, pid: c.pid }); }
  let ended = false;
  const end = (code, reply) => {
    if (ended) return;
    ended = true;
    record(m.status, 'exit ' + code);
    send(reply);
    if (--live === 0 && orphaned) process.exit(0);
  };
  c.once('error', (e) => {
    if (c.pid !== undefined) return; // it started: its exit follows
    const why = refusal(e);
    const text = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'Permission denied' : 'cannot start (' + why.code + '): ' + why.message;
    try { fs.appendFileSync(m.stderrFile, 'expctl: ' + m.argv[0] + ': ' + text + '\\n'); } catch {}
    end(e.code === 'ENOENT' ? 127 : 126, { id: m.id, error: why });
  });
  c.once('exit', (code, signal) => end(signal ? 128 + constants.signals[signal] : code, { id: m.id, exit: { code, signal } }));
}
`;

interface Pending {
  req: SpawnRequest;
  pid: (pid: number | undefined) => void;
  exit: (e: Exit) => void;
}

type Reply = { id: number; pid?: number; exit?: { code: number | null; signal: NodeJS.Signals | null }; error?: { code?: string; message: string } };

/** One helper process and the requests it has not finished. */
interface Helper { proc: ChildProcess; flags: string[]; pending: Map<number, Pending>; outbox: object[]; heard: boolean }

// fork() copies the forking process's page tables, so a helper is kept small: no JIT (its
// JavaScript is a few lines per attempt), no helper threads, a small young generation.
// Measured: ~25% less CPU per spawned process than a default Node.
// (Node 20 warns that --jitless disables WebAssembly unless told; Node 24 refuses that flag.)
const SMALL = ['--jitless', ...(Number(process.versions.node.split('.')[0]) <= 20 ? ['--no-expose-wasm'] : []),
  '--single-threaded', '--max-semi-space-size=1', '--v8-pool-size=0'];

/** Two helpers, one per core on a one-core machine: a third measured no faster on two cores. */
const HELPERS = Math.min(2, os.availableParallelism());

export class Spawner {
  private helpers: Helper[] = [];
  private next = 0;
  /** The environment the helpers get once; a request sends what differs. */
  private readonly base: NodeJS.ProcessEnv = { ...process.env };

  /** `flags`: the helpers' runtime flags (a runtime that refuses one gets plain helpers). */
  constructor(private flags: string[] = SMALL, private readonly count = HELPERS) {}

  /** Boots the helpers ahead of the first spawn (each takes a Node start-up, ~50 ms); returns them. */
  warm(): ChildProcess[] {
    while (this.helpers.length < this.count) this.boot();
    return this.helpers.map((h) => h.proc);
  }

  spawn(req: SpawnRequest): Spawned {
    const id = this.next++;
    let p!: Pending;
    const pid = new Promise<number | undefined>((resolve) => { p = { req, pid: resolve, exit: () => undefined }; });
    const exit = new Promise<Exit>((resolve) => { p.exit = resolve; });
    this.send(this.pick(), id, p);
    return { pid, exit };
  }

  /** The helper with the fewest attempts out, booting one while there are fewer than `count`. */
  private pick(): Helper {
    if (this.helpers.length < this.count) return this.boot();
    return this.helpers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private send(h: Helper, id: number, p: Pending): void {
    h.pending.set(id, p);
    hold(h.proc, true);
    const { env, ...rest } = p.req;
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (const k in env) if (env[k] !== undefined && env[k] !== this.base[k]) set[k] = env[k]!;
    for (const k in this.base) if (env[k] === undefined) unset.push(k);
    // Requests of one turn of the event loop go as one message. A helper that dies under the send
    // (EPIPE) is seen by its exit, which settles them.
    if (h.outbox.push({ id, ...rest, set, unset }) === 1) setImmediate(() => { const batch = h.outbox; h.outbox = []; h.proc.send(batch, () => undefined); });
  }

  private boot(): Helper {
    // In VS Code the runtime is Electron: run it as Node. The user's Node settings (a preloaded
    // module, extra CA certificates: ~35 ms of start-up) are for their programs, not this one.
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', EXPCTL_SPAWNER_PARENT: String(process.pid) };
    delete env.NODE_OPTIONS;
    delete env.NODE_EXTRA_CA_CERTS;
    const { flags } = this;
    const proc = spawn(process.execPath, [...flags, '-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
    const h: Helper = { proc, flags, pending: new Map(), outbox: [], heard: false };
    proc.send({ base: this.base }, () => undefined);
    proc.on('message', (batch: Reply[]) => {
      h.heard = true;
      for (const m of batch) {
        const p = h.pending.get(m.id);
        if (!p) continue;
        if (m.pid !== undefined) p.pid(m.pid);
        if (m.exit || m.error) {
          const error = m.error ? Object.assign(new Error(m.error.message), { code: m.error.code }) as NodeJS.ErrnoException : undefined;
          p.pid(undefined);
          p.exit({ code: m.exit?.code ?? null, signal: m.exit?.signal ?? null, error });
          h.pending.delete(m.id);
        }
      }
      if (!h.pending.size) hold(proc, false); // idle: do not keep the runner alive
    });
    // The helper died (SIGKILL from outside: it ignores the rest): its attempts go on, detached;
    // who waits for them learns their end from the status file if the helper saw it, else never.
    proc.on('exit', (code) => {
      this.helpers = this.helpers.filter((x) => x !== h);
      // Exit 9 is Node's "bad option": a runtime that refuses a flag, and ran nothing. Again, plain
      // (the helper may have been started ahead of any request, or have requests it never read).
      if (code === 9 && !h.heard && h.flags.length) {
        this.flags = [];
        for (const [id, p] of h.pending) this.send(this.pick(), id, p);
        return;
      }
      for (const [, p] of h.pending) { p.pid(undefined); p.exit({ code: null, signal: null, error: Object.assign(new Error('the spawner helper exited'), { code: 'ESPAWNER' }) }); }
    });
    hold(proc, false); // spawn() holds the runner open while attempts are out
    this.helpers.push(h);
    return h;
  }
}

/** Whether a helper keeps this process alive: its channel for replies, its process for its exit. */
function hold(h: ChildProcess, on: boolean): void {
  if (on) { h.ref(); h.channel?.ref(); } else { h.unref(); h.channel?.unref(); }
}

let shared: Spawner | undefined;
/** One set of helpers per process. */
export function spawner(): Spawner {
  return (shared ??= new Spawner());
}
