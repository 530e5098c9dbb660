// The FileHost of the real file system (the language server has its own, over open documents).
// Every path it reads comes from a user's YAML or an editor request, so it reads only regular files
// of sane size: /dev/zero, /dev/urandom or a FIFO named in `extends` would otherwise fill memory or
// block the language server for good.
import * as fs from 'node:fs';
import type { FileHost } from '../rules/api';

/** Largest file read through the host (extends bases, experiments, targets.yaml, kubeconfig, schemas). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

const MB = 1024 * 1024;
const mb = (n: number) => `${n >= 10 * MB ? Math.round(n / MB) : (n / MB).toFixed(1).replace(/\.0$/, '')} MB`;

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export type ReadResult = { text: string } | { refused: string } | { missing: true };

/**
 * Reads a text file unless it is missing, not a regular file, or over `limit` bytes; a refusal says
 * why ("a FIFO, not a file", "12 MB, over the 5 MB limit"). Opened non-blocking and checked on
 * the open descriptor, so a FIFO cannot block us and a file swapped after a check is still caught;
 * reading stops past the limit even if the size lied (files in /proc report 0).
 */
export function readTextFile(p: string, limit = MAX_FILE_BYTES): ReadResult {
  let fd: number;
  try { fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { refused: `unreadable (${code ?? (e as Error).message})` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { refused: st.isDirectory() ? 'a directory, not a file' : `${kindOf(st)}, not a file` };
    if (st.size > limit) return { refused: `${mb(st.size)}, over the ${mb(limit)} limit` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) return { refused: `over the ${mb(limit)} limit` };
    }
    return { text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (e) {
    return { refused: `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why the host returned no text for a path that is there ("a FIFO, not a file"), or undefined when
 * it is simply missing: for messages that would otherwise say "not found".
 */
export function whyUnreadable(p: string, limit = MAX_FILE_BYTES): string | undefined {
  let st: fs.Stats;
  try { st = fs.statSync(p); } catch { return undefined; }
  if (!st.isFile()) return st.isDirectory() ? 'a directory, not a file' : `${kindOf(st)}, not a file`;
  if (st.size > limit) return `${mb(st.size)}, over the ${mb(limit)} limit`;
  return undefined;
}

export const diskHost: FileHost = {
  readFile(p) { const r = readTextFile(p); return 'text' in r ? r.text : undefined; },
  exists(p) { return fs.existsSync(p); },
};
