// What every command shares: the two kinds of user error (bad usage → exit 2, bad input → exit 1;
// both one clear line, never a stack trace), reading inputs, finding the store and its runs, tables.
import * as fs from 'node:fs';
import * as path from 'node:path';
export { diskHost } from '../../core/src/util/disk-host';
import { FileStore, storeDirFor } from '../../core/src/store/store';
import type { RunSource } from '../../core/src/store/store';
import { closest } from '../../core/src/util/strings';

export class UsageError extends Error {}
export class InputError extends Error {}

export function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${file}: no such file` : code === 'EISDIR' ? `${file}: is a folder` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
}


export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`${flag} must be a positive whole number, got "${value}"`);
  return n;
}

export function storeFrom(flag: string | undefined): FileStore {
  const dir = path.resolve(flag ?? storeDirFor(path.join(process.cwd(), 'x')));
  if (!fs.existsSync(dir)) throw new InputError(`no results store at ${dir} (run something first, or pass --store DIR)`);
  if (!fs.statSync(dir).isDirectory()) throw new InputError(`${dir} is a file, not a results store (a folder such as .expctl); pass --store DIR`);
  return new FileStore(dir);
}

/**
 * Makes the folder an output goes to (`what`: the flag, or what it is) and checks a file can be
 * written there — /proc and read-only mounts have folders nothing can be created in — or says in one
 * line why not.
 */
export function ensureDir(what: string, dir: string): void {
  try {
    // Not mkdirSync's `recursive`: where mkdir says ENOENT under a folder that exists (/proc/x), it
    // retries forever (Node 20).
    const missing: string[] = [];
    for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) fs.mkdirSync(d);
    const probe = path.join(dir, `.expctl-probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (e) {
    throw new InputError(`${what} ${dir}: ${whyNotWritable(e)}`);
  }
}

/** A file-system error on an output path, as a reason a user can act on. */
export function whyNotWritable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EEXIST': case 'ENOTDIR': return 'a file is in the way where a folder is needed';
    case 'EISDIR': return 'is a folder; name a file';
    case 'ENOENT': return 'cannot be created there (the file system has no such place, e.g. under /proc)';
    case 'EACCES': case 'EPERM': return 'no permission to write there';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'the disk is full';
    default: return `cannot write there (${code ?? (e as Error).message})`;
  }
}

/** On stderr, the runs a listing left out because their run.json is damaged, each with why (the first 5). */
export function reportDamaged(store: Pick<RunSource, 'damaged'>): void {
  const d = store.damaged;
  if (!d.length) return;
  // By path: the store's reader meets them in directory order, which differs between machines.
  const lines = [...d].sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : 0)).slice(0, 5).map((x) => `  ${path.relative(process.cwd(), x.file)}: ${x.why}`);
  if (d.length > 5) lines.push(`  … and ${d.length - 5} more`);
  process.stderr.write(`expctl: left out ${d.length} run${d.length === 1 ? '' : 's'} whose run.json is damaged (repair or delete ${d.length === 1 ? 'it' : 'them'}):\n${lines.join('\n')}\n`);
}

/** A run id, or a prefix of exactly one (like git's short hashes). */
export function resolveRunId(store: FileStore, given: string): string {
  if (store.get(given)) return given;
  const ids = store.all().map((r) => r.id);
  const prefixed = ids.filter((x) => x.startsWith(given));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new InputError(`"${given}" matches ${prefixed.length} runs: ${prefixed.slice(0, 5).join(', ')}${prefixed.length > 5 ? ', …' : ''}`);
  const near = closest(given, ids);
  throw new InputError(`no run "${given}" in ${store.root}${near ? `; did you mean ${near}?` : ''} (see \`expctl ls\`)`);
}
