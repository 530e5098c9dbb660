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
