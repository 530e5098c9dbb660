// `extends`: an experiment deep-merged over its base files. Paths are relative to the file that
// names them; later bases override earlier ones and the file itself overrides all; a `null` value
// removes an inherited key. Cycles are reported with the whole chain.
import * as path from 'node:path';
import type { Path } from '../diagnostic';
import type { FileHost } from '../rules/api';
import { parseYaml } from '../yaml/document';
import { isObj } from '../util/object';
import { MAX_FILE_BYTES, whyUnreadable } from '../util/disk-host';
import { quote } from '../util/strings';
import type { Obj } from '../util/object';
import type { ParsedText } from '../yaml/document';

/** Base files one `extends` list may name. */
export const MAX_BASES = 32;

export interface BaseFile {
  file: string;
  parsed: ParsedText;
  value: unknown;
  /** The `extends` entry of the root file through which this base was reached. */
  via: Path;
}

export interface ExtendsProblem { path: Path; rule: string; message: string }

export interface Resolved {
  config: unknown;
  /** In precedence order: the first that holds a path is where the merged value came from. */
  bases: BaseFile[];
  problems: ExtendsProblem[];
}



export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = deepMerge(out[k], v);
  }
  return out;
}

function rel(from: string, to: string): string {
  const r = path.relative(path.dirname(from), to);
  return r.startsWith('.') ? r : `./${r}`;
}

export function resolveExtends(file: string, value: unknown, host: FileHost): Resolved {
  return resolveIn(file, value, host, [file], new Map());
}

/** A base file read and resolved once per resolveExtends call, however many files extend it. */
interface Loaded { parsed: ParsedText; value: unknown; inner: Resolved }

// Each base is resolved once (memo): a diamond chain (a extends b and c, both extend d, …) would
// otherwise be resolved once per path through it, exponential in its depth. Paths in problems and
// `via` in bases are those of this level's entries; the root's are what the caller sees.
function resolveIn(file: string, value: unknown, host: FileHost, chain: string[], memo: Map<string, Loaded>): Resolved {
  const res: Resolved = { config: value, bases: [], problems: [] };
  if (!isObj(value) || value.extends === undefined) return res;
  const ext = value.extends;
  const list = typeof ext === 'string' ? [ext] : Array.isArray(ext) ? ext : [];
  let merged: unknown = {};
  const groups: BaseFile[][] = [];
  const listed = new Set<string>();
  const reported = new Set<string>();
  const problem = (p: ExtendsProblem) => {
    const key = `${p.rule}\0${p.message}`;
    if (!reported.has(key)) { reported.add(key); res.problems.push(p); }
  };
  const prefix = chain.length > 1 ? `In ${rel(chain[0], file)}: ` : '';
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') return; // the schema reports the type
    const at: Path = Array.isArray(ext) ? ['extends', i] : ['extends'];
    const abs = path.resolve(path.dirname(file), entry);
    if (listed.has(abs)) {
      problem({ path: at, rule: 'extends-invalid', message: `${prefix}${quote(entry)} is already listed in extends; list each base once.` });
      return;
    }
    listed.add(abs);
    if (listed.size > MAX_BASES) {
      if (listed.size === MAX_BASES + 1) problem({ path: at, rule: 'extends-invalid', message: `${prefix}extends lists more than ${MAX_BASES} files; the rest are ignored. Merge some bases.` });
      return;
    }
    if (chain.includes(abs)) {
      const cycle = [...chain.slice(chain.indexOf(abs)), abs].map((f) => path.basename(f)).join(' → ');
      problem({ path: at, rule: 'extends-cycle', message: `${prefix}extends forms a cycle: ${cycle}. Remove one of these extends.` });
      return;
    }
    let base = memo.get(abs);
    if (!base) {
      const text = host.readFile(abs);
      if (text === undefined) {
        const why = whyUnreadable(abs);
        problem(why
          ? { path: at, rule: 'extends-invalid', message: `${prefix}Base file ${quote(entry)} is ${why} (${abs}); extends takes YAML files up to ${MAX_FILE_BYTES / 1048576} MB.` }
          : { path: at, rule: 'file-exists', message: `${prefix}Base file ${quote(entry)} not found (looked for ${abs}).` });
        return;
      }
      const parsed = parseYaml(text);
      const err = parsed.problems.find((p) => p.severity === 'error');
      if (err) {
        problem({ path: at, rule: 'extends-invalid', message: `${prefix}Base file ${quote(entry)} has a YAML error at ${err.range.start.line + 1}:${err.range.start.character + 1}: ${err.message}` });
        return;
      }
      const baseValue = parsed.docs[0]?.value;
      if (baseValue !== undefined && baseValue !== null && !isObj(baseValue)) {
        problem({ path: at, rule: 'extends-invalid', message: `${prefix}Base file ${quote(entry)} must hold a mapping, not a ${Array.isArray(baseValue) ? 'list' : typeof baseValue}.` });
        return;
      }
      base = { parsed, value: baseValue, inner: resolveIn(abs, baseValue ?? {}, host, [...chain, abs], memo) };
      memo.set(abs, base);
    }
    for (const p of base.inner.problems) problem({ ...p, path: at });
    merged = deepMerge(merged, base.inner.config);
    groups.push([{ file: abs, parsed: base.parsed, value: base.value, via: at }, ...base.inner.bases.map((b) => ({ ...b, via: at }))]);
  });
  const own: Obj = { ...value };
  delete own.extends;
  res.config = deepMerge(merged, own);
  // A base reached along several paths is listed once, where it takes precedence.
  const seen = new Set<string>();
  res.bases = groups.reverse().flat().filter((b) => !seen.has(b.file) && !!seen.add(b.file));
  return res;
}
