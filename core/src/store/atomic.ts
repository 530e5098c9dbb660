// Atomic file writes. A reader (or a runner restarted after kill -9) sees either the old file or
// the new one, never a half-written one: write a temp file, rename it over. The page cache outlives
// a killed process, so that is all kill -9 needs; `durable` also fsyncs file and folder, which
// only a power loss or kernel crash needs — and costs milliseconds, so it is kept for final states.
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

export function writeFileAtomic(file: string, data: string | Uint8Array, durable = true): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  if (durable) fsyncDir(path.dirname(file));
}

/**
 * The same for the runner's hot path, where the main thread keeps spawning and following runs:
 * the temp file is written and renamed in place synchronously (microseconds in the page cache),
 * and only the fsync, which waits milliseconds for the disk, goes to libuv's thread pool — each
 * trip there costs far more CPU than a small synchronous write. The folder is not fsynced: after
 * a power loss the file may hold its previous state (as after a kill -9), never a torn one.
 */
export async function writeFileAtomicAsync(file: string, data: string, durable: boolean): Promise<void> {
  if (!durable) return writeFileAtomic(file, data, false);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeFileSync(fd, data);
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Appends one line (O_APPEND: concurrent appenders never interleave within a line this short).
 * `durable` fsyncs, for the events a restart must not lose.
 */
export function appendLine(file: string, line: string, durable = false): void {
  const fd = fs.openSync(file, 'a', 0o644);
  try {
    fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * JSON lines of a file that another process may be appending to, or that a crash cut short:
 * a torn last line is skipped (and counted), never fatal.
 */
export function readJsonLines<T>(file: string): { items: T[]; bad: number } {
  let text: string;
  // A missing file is common (a run that reported no metrics); an exception costs more than a look.
  if (!fs.existsSync(file)) return { items: [], bad: 0 };
  try { text = fs.readFileSync(file, 'utf8'); } catch { return { items: [], bad: 0 }; }
  const items: T[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { items.push(JSON.parse(line) as T); } catch { bad++; }
  }
  return { items, bad };
}
