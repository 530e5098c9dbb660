// Whether a process still runs. A killed process stays a zombie until its parent reaps it, and
// kill(pid, 0) succeeds on zombies, so /proc's state is read where there is one.
import * as fs from 'node:fs';

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    // No /proc (macOS), or the process is gone: ask the kernel (EPERM: it exists, not ours).
    try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's start time: 100 on every architecture Node runs on. */
const TICKS_PER_S = 100;

/** When a process started (epoch ms, from /proc: its start after boot and the boot time); undefined without /proc or when it is gone. */
export function startedAt(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted from field 3, which follows the command name's closing parenthesis.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + (ticks / TICKS_PER_S) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a process that started by `by` (epoch ms) — the one that wrote a record at that
 * time — and not a later one that was given the same pid after it ended.
 */
export function startedBy(pid: number, by: number): boolean {
  const t = startedAt(pid);
  // /proc's start time has 10 ms steps, and btime whole seconds.
  return t !== undefined && t <= by + 1500;
}

/** Whether process `pid` was started for attempt `attempt` of run `runId` (its environment says so; Linux /proc). */
export function isAttemptProcess(pid: number, runId: string, attempt: number): boolean {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.includes(`EXPCTL_RUN_ID=${runId}`) && env.includes(`EXPCTL_ATTEMPT=${attempt}`) && alive(pid);
  } catch {
    return false; // gone, or another user's
  }
}
