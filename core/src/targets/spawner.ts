// Starting processes from a small helper process. fork() copies the parent's page tables, so its
// cost grows with the parent's memory: ~1.7 ms from a bare Node process, ~4.5 ms from a runner
// holding a 10,000-trial sweep — on the runner's only thread. The helper (plain Node, no bundle
// loaded) does the spawning on its own thread and reports pids and exits over IPC. Attempts are
// detached (their own process groups), so they outlive both the helper and the runner.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
}

export interface Spawned {
  /** The process group leader's pid, once started (undefined if it could not start). */
  pid: Promise<number | undefined>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
}

// Runs in the helper. Output goes straight to the log files (opened here, in append mode); SIGINT
// from the terminal is the runner's to handle; the helper leaves when the runner does, and never
// starts anything for a runner that is gone.
const HELPER = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));
const parent = process.ppid;
const err = (e) => ({ code: e.code, message: e.message });
process.on('message', (m) => {
  // A request still in the pipe when its runner was killed: the runner's successor decides about
  // that trial; starting it here too could run it twice.
  if (process.ppid !== parent) process.exit(0);
  let out, errFd;
  try { out = fs.openSync(m.stdoutFile, 'a'); errFd = fs.openSync(m.stderrFile, 'a'); }
  catch (e) { process.send({ id: m.id, error: err(e) }); return; }
  const c = spawn(m.argv[0], m.argv.slice(1), { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', out, errFd] });
  fs.closeSync(out); fs.closeSync(errFd);
  if (c.pid !== undefined) process.send({ id: m.id, pid: c.pid });
  c.once('error', (e) => process.send({ id: m.id, error: err(e) }));
  c.once('exit', (code, signal) => process.send({ id: m.id, exit: { code, signal } }));
});
`;

interface Pending {
  pid: (pid: number | undefined) => void;
  exit: (e: { code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }) => void;
}

type Reply = { id: number; pid?: number; exit?: { code: number | null; signal: NodeJS.Signals | null }; error?: { code?: string; message: string } };

export class Spawner {
  private helper?: ChildProcess;
  private next = 0;
  private pending = new Map<number, Pending>();

  spawn(req: SpawnRequest): Spawned {
    const id = this.next++;
    let p!: Pending;
    const pid = new Promise<number | undefined>((resolve) => { p = { pid: resolve, exit: () => undefined }; });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => { p.exit = resolve; });
    this.pending.set(id, p);
    const h = this.ensure();
    h.channel?.ref();
    h.send({ id, ...req });
    return { pid, exit };
  }

  private ensure(): ChildProcess {
    if (this.helper && this.helper.connected) return this.helper;
    // In VS Code the runtime is Electron: run it as Node.
    const h = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    h.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.pid !== undefined) p.pid(m.pid);
      if (m.exit || m.error) {
        const error = m.error ? Object.assign(new Error(m.error.message), { code: m.error.code }) as NodeJS.ErrnoException : undefined;
        p.pid(undefined);
        p.exit({ code: m.exit?.code ?? null, signal: m.exit?.signal ?? null, error });
        this.pending.delete(m.id);
        if (!this.pending.size) h.channel?.unref(); // idle: do not keep the runner alive
      }
    });
    // The helper died (killed from outside): its attempts go on, detached; who waits for them
    // learns their end from the attempt's status file instead.
    h.on('exit', () => {
      for (const [, p] of this.pending) { p.pid(undefined); p.exit({ code: null, signal: null, error: Object.assign(new Error('the spawner helper exited'), { code: 'ESPAWNER' }) }); }
      this.pending.clear();
      if (this.helper === h) this.helper = undefined;
    });
    h.unref();
    this.helper = h;
    return h;
  }
}

let shared: Spawner | undefined;
/** One helper per process. */
export function spawner(): Spawner {
  return (shared ??= new Spawner());
}
