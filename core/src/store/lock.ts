// One runner per sweep: `sweeps/<sweep-id>/runner.lock` in the store names the runner that holds
// the sweep (pid, host, start). Two runners of one sweep would otherwise both run every trial that
// neither had started yet.
//
// The lock is written to a temp file and hard-linked to its name: link() fails if the name exists,
// and a reader never sees the lock half-written. A lock whose runner is gone from this host (pid
// dead, or the machine rebooted since) is stale and taken over — by exactly one of the runners that
// find it so: each must first link its own lock text to `runner.lock.takeover` (only one link can
// exist), and check that the lock is still the stale one it judged, before replacing it. A token
// whose runner died mid-takeover is cleared by the next runner, as a stale lock is.
// A lock from another host cannot be checked from here: it is refused, with how to remove it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive } from '../util/process';

export interface LockHolder { pid: number; host: string; started: string; /** /proc's boot id: a reboot ends every runner. */ boot?: string }

export type LockedReason =
  /** Its runner is alive on this host. */
  | 'running'
  /** Held by a runner on another host, which cannot be checked from here. */
  | 'other-host'
  /** Not a lock this version can read. */
  | 'unreadable'
  /** Stale, but a live runner's takeover of it has not finished within TAKEOVER_WAIT_MS. */
  | 'takeover';

/** The sweep is held by another runner, or its lock cannot be judged; nothing was run. */
export class LockedError extends Error {
  constructor(readonly file: string, readonly reason: LockedReason, readonly holder?: LockHolder) {
    super(lockedMessage(file, reason, holder));
    this.name = 'LockedError';
  }
}

function lockedMessage(file: string, reason: LockedReason, h?: LockHolder): string {
  switch (reason) {
    case 'running': return `another runner is running this sweep: pid ${h!.pid} on this host, since ${h!.started}`;
    case 'other-host': return `a runner on host ${h!.host} (pid ${h!.pid}, since ${h!.started}) holds this sweep, and cannot be checked from here; if it is no longer running, delete ${file} and run again`;
    case 'unreadable': return `${file} is not a runner lock expctl can read; if no runner is running this sweep, delete it and run again`;
    case 'takeover': return `the runner lock ${file} is stale (pid ${h!.pid} is gone), and another runner has been taking it over for more than a second; if no runner is running this sweep, delete ${file} and ${file}.takeover and run again`;
  }
}

export interface Lock {
  readonly file: string;
  /** Removes the lock if it is still this runner's. Also done when the process exits. */
  release(): void;
}

/** How long a runner waits for another runner's takeover of a stale lock to finish (microseconds, unless it died). */
const TAKEOVER_WAIT_MS = 1000;

export function sweepLockFile(storeRoot: string, sweepId: string): string {
  return path.join(storeRoot, 'sweeps', sweepId, 'runner.lock');
}

let tmpCounter = 0;

/** Takes the lock, or throws LockedError saying who holds it. */
export async function acquireLock(file: string): Promise<Lock> {
  const me = self();
  const text = `${JSON.stringify(me)}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  fs.writeFileSync(tmp, text);
  try {
    for (const until = Date.now() + TAKEOVER_WAIT_MS; ;) {
      if (link(tmp, file)) break;
      const seen = readOrUndefined(file);
      if (seen === undefined) continue; // released meanwhile
      const holder = staleHolder(file, seen, me);
      const took = takeOver(file, seen, tmp, text);
      if (took === true) break;
      // 'busy': another runner is taking it over; once it has, the lock names that runner.
      if (took === 'busy') {
        if (Date.now() > until) throw new LockedError(file, 'takeover', holder);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Only our own: a user may have deleted it and another runner taken the sweep since.
    try { if (readOrUndefined(file) === text) fs.rmSync(file, { force: true }); } catch { /* the store is gone: nothing to release */ }
  };
  // A forced exit (a second Ctrl-C) skips the runner's `finally`; a kill -9 leaves a stale lock.
  process.on('exit', release);
  return { file, release };
}

/**
 * Throws LockedError if a live runner holds the lock, or one that cannot be checked: a look before
 * starting a runner in the background, whose own refusal would go to a log.
 */
export function checkLock(file: string): void {
  const seen = readOrUndefined(file);
  if (seen !== undefined) staleHolder(file, seen, self());
}

function self(): LockHolder {
  return { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), boot: bootId() };
}

/** The holder of the lock text `seen` if it is stale; else throws LockedError saying why not. */
function staleHolder(file: string, seen: string, me: LockHolder): LockHolder {
  const holder = parseHolder(seen);
  if (!holder) throw new LockedError(file, 'unreadable');
  if (holder.host !== me.host) throw new LockedError(file, 'other-host', holder);
  const rebooted = holder.boot !== undefined && me.boot !== undefined && holder.boot !== me.boot;
  if (alive(holder.pid) && !rebooted) throw new LockedError(file, 'running', holder);
  return holder;
}

/**
 * Replaces the stale lock `seen` with ours (in `tmp`) if no other runner has replaced it, and no
 * other runner is doing so right now ('busy'); false if the lock is no longer the one seen (look again).
 * The takeover token is our own lock text linked to `runner.lock.takeover`: only one can exist, and
 * it names its runner — so a token left by a runner killed mid-takeover is known stale and cleared.
 */
function takeOver(file: string, seen: string, tmp: string, mine: string): boolean | 'busy' {
  const token = `${file}.takeover`;
  if (!link(tmp, token)) return clearDeadToken(token) ? false : 'busy';
  try {
    // While we hold the token nobody else can take over; the lock is still the stale one we judged,
    // or a live runner's that got it since (then we look again).
    if (readOrUndefined(file) !== seen) return false;
    fs.renameSync(tmp, file);
    return true;
  } finally {
    if (readOrUndefined(token) === mine) fs.rmSync(token, { force: true });
  }
}

/**
 * Clears a takeover token whose runner is gone from this host (killed in the microseconds of its
 * takeover); true if the token is gone. It is moved aside first and checked there: a token put in
 * place meanwhile by a live runner is put back, not removed.
 */
function clearDeadToken(token: string): boolean {
  const text = readOrUndefined(token);
  if (text === undefined) return true;
  const h = parseHolder(text);
  if (h && (h.host !== os.hostname() || alive(h.pid))) return false;
  const aside = `${token}.${process.pid}.${tmpCounter++}.dead`;
  try { fs.renameSync(token, aside); } catch { return true; /* cleared by another runner */ }
  if (readOrUndefined(aside) !== text) link(aside, token); // a live runner's: back, unless a newer one is there
  fs.rmSync(aside, { force: true });
  return readOrUndefined(token) === undefined;
}

function link(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function readOrUndefined(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h?.pid) && typeof h.host === 'string' && typeof h.started === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try { return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return undefined; }
}
