// Starting processes from a small helper process. fork() copies the parent's page tables, so its
// cost grows with the parent's memory: ~1.7 ms from a bare Node process, ~4.5 ms from a runner
// holding a 10,000-trial sweep — on the runner's only thread. The helper (plain Node, no bundle
// loaded) does the spawning on its own thread and reports pids and exits over IPC.
//
// It also keeps each attempt's status files, `<status>.pid` when it starts and `<status>.exit`
// when it ends, so that the runner's successor after a kill -9 learns how an attempt ended
// without it: the helper outlives its runner until the attempts it started have ended. Attempts
// are detached (their own session and process group); signals go to the whole group.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  /** `<status>.pid` and `<status>.exit` are written here: one line each, the number and a newline. */
  status: string;
}

export interface Spawned {
  /** The process group leader's pid, once started (undefined if it could not start). */
  pid: Promise<number | undefined>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
}

// Runs in the helper. Output goes straight to the log files (opened here, in append mode). SIGINT
// from the terminal and SIGHUP from a closed one are the runner's to handle. Each status file is
// one write of a short line: readers take it as written once its newline is there. A signal death
// is recorded as 128 + its number, as shells do; a program that cannot start as 127 (126 when not
// executable), with sh's message in stderr.log.
const HELPER = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { constants } = require('node:os');
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// The runner that started this helper. A request is served only while it is still the parent:
// one still in the pipe when its runner was killed (even before this helper had booted) is the
// runner's successor's to decide about; starting it here too could run a trial twice. The live
// parent comes from /proc: process.ppid is only read once, at start.
const parent = Number(process.env.EXPCTL_SPAWNER_PARENT);
const ppid = () => { try { return Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[1]); } catch { return process.ppid; } };
let live = 0;
let orphaned = false;
process.on('disconnect', () => { orphaned = true; if (!live) process.exit(0); });
const err = (e) => ({ code: e.code, message: e.message });
// The channel may close under a send (its runner killed): that must not take the helper down.
const send = (m) => { if (process.connected) process.send(m, () => {}); };
const record = (file, n) => { try { fs.writeFileSync(file, n + '\\n'); } catch {} };
process.on('message', (m) => {
  if (ppid() !== parent) return;
  let out, errFd;
  try { out = fs.openSync(m.stdoutFile, 'a'); errFd = fs.openSync(m.stderrFile, 'a'); }
  catch (e) { send({ id: m.id, error: err(e) }); return; }
  const c = spawn(m.argv[0], m.argv.slice(1), { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', out, errFd] });
  fs.closeSync(out); fs.closeSync(errFd);
  live++;
  if (c.pid !== undefined) { record(m.status + '.pid', c.pid); send({ id: m.id, pid: c.pid }); }
  let ended = false;
  const end = (code, reply) => {
    if (ended) return;
    ended = true;
    record(m.status + '.exit', code);
    send(reply);
    if (--live === 0 && orphaned) process.exit(0);
  };
  c.once('error', (e) => {
    if (c.pid !== undefined) return; // it started: its exit follows
    try { fs.appendFileSync(m.stderrFile, 'expctl: ' + m.argv[0] + ': ' + (e.code === 'EACCES' ? 'Permission denied' : 'not found') + '\\n'); } catch {}
    end(e.code === 'EACCES' ? 126 : 127, { id: m.id, error: err(e) });
  });
  c.once('exit', (code, signal) => end(signal ? 128 + constants.signals[signal] : code, { id: m.id, exit: { code, signal } }));
});
`;

interface Pending {
  req: SpawnRequest;
  pid: (pid: number | undefined) => void;
  exit: (e: { code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }) => void;
}

type Reply = { id: number; pid?: number; exit?: { code: number | null; signal: NodeJS.Signals | null }; error?: { code?: string; message: string } };

// fork() copies the forking process's page tables, so the helper is kept small: no JIT (its
// JavaScript is a few lines per attempt), no helper threads, a small young generation.
// Measured: ~25% less CPU per spawned process than a default Node.
// (Node 20 warns that --jitless disables WebAssembly unless told; Node 24 refuses that flag.)
const SMALL = ['--jitless', ...(Number(process.versions.node.split('.')[0]) <= 20 ? ['--no-expose-wasm'] : []),
  '--single-threaded', '--max-semi-space-size=1', '--v8-pool-size=0'];

export class Spawner {
  private helper?: ChildProcess;
  private next = 0;
  private pending = new Map<number, Pending>();

  /** `flags`: the helper's runtime flags (a runtime that refuses one gets a plain helper). */
  constructor(private flags: string[] = SMALL) {}

  /** Boots the helper ahead of the first spawn (it takes a Node start-up, ~50 ms); returns it. */
  warm(): ChildProcess {
    return this.ensure();
  }

  spawn(req: SpawnRequest): Spawned {
    const id = this.next++;
    let p!: Pending;
    const pid = new Promise<number | undefined>((resolve) => { p = { req, pid: resolve, exit: () => undefined }; });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => { p.exit = resolve; });
    this.pending.set(id, p);
    const h = this.ensure();
    hold(h, true);
    // A helper that dies under the send (EPIPE) is seen by its exit, which settles this request.
    h.send({ id, ...req }, () => undefined);
    return { pid, exit };
  }

  private ensure(): ChildProcess {
    if (this.helper && this.helper.connected) return this.helper;
    // In VS Code the runtime is Electron: run it as Node.
    const h = spawn(process.execPath, [...this.flags, '-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', EXPCTL_SPAWNER_PARENT: String(process.pid) } });
    let heard = false;
    h.on('message', (m: Reply) => {
      heard = true;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.pid !== undefined) p.pid(m.pid);
      if (m.exit || m.error) {
        const error = m.error ? Object.assign(new Error(m.error.message), { code: m.error.code }) as NodeJS.ErrnoException : undefined;
        p.pid(undefined);
        p.exit({ code: m.exit?.code ?? null, signal: m.exit?.signal ?? null, error });
        this.pending.delete(m.id);
        if (!this.pending.size) hold(h, false); // idle: do not keep the runner alive
      }
    });
    // The helper died (killed from outside): its attempts go on, detached; who waits for them
    // learns their end from the attempt's status file instead.
    h.on('exit', (code) => {
      if (this.helper === h) this.helper = undefined;
      // Exit 9 is Node's "bad option": a runtime that refuses a flag, and ran nothing. Again, plain
      // (the helper may have been started ahead of any request, or have requests it never read).
      if (code === 9 && !heard && this.flags.length) {
        this.flags = [];
        if (!this.pending.size) return;
        const again = this.ensure();
        hold(again, true);
        for (const [id, p] of this.pending) again.send({ id, ...p.req }, () => undefined);
        return;
      }
      for (const [, p] of this.pending) { p.pid(undefined); p.exit({ code: null, signal: null, error: Object.assign(new Error('the spawner helper exited'), { code: 'ESPAWNER' }) }); }
      this.pending.clear();
    });
    hold(h, false); // spawn() holds the runner open while attempts are out
    this.helper = h;
    return h;
  }
}

/** Whether the helper keeps this process alive: its channel for replies, its process for its exit. */
function hold(h: ChildProcess, on: boolean): void {
  if (on) { h.ref(); h.channel?.ref(); } else { h.unref(); h.channel?.unref(); }
}

let shared: Spawner | undefined;
/** One helper per process. */
export function spawner(): Spawner {
  return (shared ??= new Spawner());
}
