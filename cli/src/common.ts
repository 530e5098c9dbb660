// What every command shares: the two kinds of user error (bad usage → exit 2, bad input → exit 1;
// both one clear line, never a stack trace), reading inputs, finding the store and its runs, tables.
import * as fs from 'node:fs';
import * as path from 'node:path';
export { diskHost } from '../../core/src/util/disk-host';
import { FileStore, storeDirFor } from '../../core/src/store/store';
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
  return new FileStore(dir);
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
