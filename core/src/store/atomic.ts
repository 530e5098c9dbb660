// Atomic file writes. A reader (or a runner restarted after kill -9) sees either the old file or
// the new one, never a half-written one: write a temp file, rename it over. The page cache outlives
// a killed process, so that is all kill -9 needs; `durable` also fsyncs file and folder, which
// only a power loss or kernel crash needs — and costs milliseconds, so it is kept for final states.
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

/**
 * A write that the file system refused for lack of space (ENOSPC) or quota (EDQUOT), with the file,
 * the bytes it needed and what was free: the runner stops on it with one message, and the caller
 * can say which disk to clear.
 */
export class DiskFullError extends Error {
  constructor(readonly file: string, readonly bytes: number | undefined, readonly free: number | undefined, readonly quota = false) {
    super(`no space left ${quota ? '(disk quota exceeded) ' : ''}to write ${file}${bytes !== undefined ? ` (${formatBytes(bytes)})` : ''}${free !== undefined ? `; ${formatBytes(free)} free on its file system` : ''}`);
    this.name = 'DiskFullError';
  }
}

/** Bytes free to this user on the file system holding `dir` (or its nearest existing parent); undefined if unknown. */
export function freeBytes(dir: string): number | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const s = fs.statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      if (path.dirname(d) === d) return undefined;
    }
  }
}

const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

/** `e` as a DiskFullError about `file` when it is ENOSPC or EDQUOT; any other error unchanged. */
export function diskFull(e: unknown, file: string, bytes?: number): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return e;
  return new DiskFullError(file, bytes, freeBytes(path.dirname(file)), code === 'EDQUOT');
}

const byteLength = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);

/** The temp file, written (and fsynced when `durable`), or removed and the error thrown: nothing half-written is left behind. */
function writeTemp(file: string, data: string | Uint8Array, durable: boolean): { tmp: string; fd: number } {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  let fd: number;
  try { fd = fs.openSync(tmp, 'w', 0o644); } catch (e) { throw diskFull(e, file, byteLength(data)); }
  try {
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw diskFull(e, file, byteLength(data));
  }
  return { tmp, fd };
}

function renameTemp(tmp: string, file: string): void {
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw diskFull(e, file);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array, durable = true): void {
  const { tmp, fd } = writeTemp(file, data, durable);
  fs.closeSync(fd);
  renameTemp(tmp, file);
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
  const { tmp, fd } = writeTemp(file, data, false);
  try {
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw diskFull(e, file, byteLength(data));
  } finally {
    fs.closeSync(fd);
  }
  renameTemp(tmp, file);
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
  const text = line.endsWith('\n') ? line : `${line}\n`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'a', 0o644);
    fs.writeSync(fd, text);
    if (durable) fs.fsyncSync(fd);
  } catch (e) {
    throw diskFull(e, file, Buffer.byteLength(text));
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
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
