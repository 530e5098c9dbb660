// Completion, editor-agnostic: keys (with snippets), enum values with their docs, booleans,
// defaults, file paths for extends/experiment, sweep parameter paths from the experiment,
// GPU types, target names and the kubeconfig contexts of a Kubernetes target.
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileHost } from '../rules/api';
import type { Validation, ValidatedDoc } from '../validate';
import { builtinSchemas } from '../schema/registry';
import type { JsonSchema } from '../schema/registry';
import { allowedValues, pick, propertiesOf, schemasAt } from '../schema/walk';
import { yamlScalar } from '../schema/errors';
import { gpuCatalog } from '../gpus';
import { cursorContext } from './context';
import type { CursorContext } from './context';
import { at, configPaths, isObj, own } from '../util/object';
import { targetContexts } from '../k8s/kubeconfig';

export interface CompletionHost extends FileHost {
  /** Entries of a folder (names only, folders flagged); [] when it does not exist. */
  listDir(dir: string): Array<{ name: string; dir: boolean }>;
}

export interface CompletionEntry {
  label: string;
  kind: 'property' | 'value' | 'enum' | 'snippet' | 'file' | 'reference';
  /** Snippet syntax (`${1:x}`, `$0`) when `snippet`; lines after the first are relative to the cursor line's indentation. */
  insertText: string;
  snippet: boolean;
  detail?: string;
  documentation?: string;
  sortText?: string;
  /** Offset where the replaced text starts (up to the cursor). */
  replaceStart: number;
}

export function complete(v: Validation, offset: number, host: CompletionHost): CompletionEntry[] {
  const ctx = cursorContext(v, offset);
  if (!ctx) return [];
  const vd = v.docs[ctx.docIndex];
  const kind = vd?.kind;
  if (!kind) return [];
  const root = builtinSchemas[kind];
  const value = v.parsed.docs[ctx.docIndex]?.value;
  if (ctx.type === 'value') return valueEntries(ctx, root, value, vd, v.file, host);
  const keys = keyEntries(ctx, root, value, vd, kind);
  // A new list item may be a mapping (keys) or a scalar (values), as the item schema says.
  return ctx.listItem && !keys.length ? valueEntries(ctx, root, value, vd, v.file, host) : keys;
}

function describe(schemas: JsonSchema[]): string | undefined {
  return (pick(schemas, 'markdownDescription') ?? pick(schemas, 'description')) as string | undefined;
}

function typeOf(schemas: JsonSchema[]): string | undefined {
  for (const s of schemas) {
    if (typeof s.type === 'string') return s.type;
    if (Array.isArray(s.type)) return s.type.join(' | ');
    if (s.properties) return 'object';
  }
  return undefined;
}

function keyEntries(ctx: CursorContext, root: JsonSchema, value: unknown, vd: ValidatedDoc | undefined, kind: string): CompletionEntry[] {
  const parentValue = at(value, ...ctx.path);
  const present = new Set(parentValue && typeof parentValue === 'object' && !Array.isArray(parentValue) ? Object.keys(parentValue) : []);
  present.delete(ctx.prefix);
  const out: CompletionEntry[] = [];
  // Sweep parameter paths come from the experiment the sweep runs.
  const last = ctx.path[ctx.path.length - 1];
  const sweepParamMap = kind === 'sweep' && (
    (ctx.path.length === 1 && last === 'parameters') ||
    (ctx.path.length === 2 && (ctx.path[0] === 'trials' || ctx.path[0] === 'exclude') && typeof last === 'number'));
  if (sweepParamMap && vd?.experiment) {
    for (const [p, v] of leafPaths(vd.experiment)) {
      if (present.has(p)) continue;
      const body = ctx.path[0] === 'parameters' ? `{ values: [\${1:${snippetText(yamlScalar(v))}}] }` : `\${1:${snippetText(yamlScalar(v))}}`;
      out.push({ label: p, kind: 'reference', insertText: `${p}: ${body}`, snippet: true, detail: `now ${yamlScalar(v)}`,
        documentation: `Parameter \`${p}\` of the experiment (currently \`${yamlScalar(v)}\`).`, sortText: `0${p}`, replaceStart: ctx.prefixStart });
    }
    return out;
  }
  const schemas = schemasAt(root, ctx.path, value);
  const required = new Set(schemas.flatMap((s) => (Array.isArray(s.required) ? s.required as string[] : [])));
  for (const [name, propSchemas] of propertiesOf(schemas)) {
    if (present.has(name) || name === '$schema' || pick(propSchemas, 'doNotSuggest') === true) continue;
    const sort = `${required.has(name) ? 0 : 1}${name}`;
    out.push({
      label: name, kind: 'property', insertText: keyInsert(name, propSchemas), snippet: true,
      detail: typeOf(propSchemas), documentation: describe(propSchemas), sortText: sort, replaceStart: ctx.prefixStart,
    });
    const snippets = pick(propSchemas, 'defaultSnippets') as Array<{ label?: string; description?: string; body?: unknown }> | undefined;
    for (const sn of snippets ?? []) {
      if (sn.body === undefined) continue;
      out.push({
        label: `${name}: ${sn.label ?? 'snippet'}`, kind: 'snippet', insertText: `${name}:${snippetYaml(sn.body, 1)}`, snippet: true,
        detail: sn.description, documentation: sn.description ?? describe(propSchemas), sortText: `${sort}~${sn.label ?? ''}`, replaceStart: ctx.prefixStart,
      });
    }
  }
  return out;
}

function keyInsert(name: string, schemas: JsonSchema[]): string {
  const values = allowedValues(schemas).filter((x) => typeof x.value !== 'object');
  if (values.length) return `${name}: \${1|${values.map((x) => snippetChoice(String(x.value))).join(',')}|}`;
  const t = typeOf(schemas) ?? '';
  if (t === 'object') return `${name}:\n  $0`;
  if (t === 'array') return `${name}:\n  - $0`;
  const def = pick(schemas, 'default');
  if (def !== undefined && typeof def !== 'object') return `${name}: \${1:${snippetText(yamlScalar(def))}}`;
  return `${name}: $0`;
}

const snippetText = (s: string) => s.replace(/[$}\\]/g, '\\$&');
const snippetChoice = (s: string) => s.replace(/[$}\\,|]/g, '\\$&');

/** A defaultSnippets body as block YAML (placeholders in strings kept as written). */
function snippetYaml(body: unknown, depth: number): string {
  const ind = '  '.repeat(depth);
  if (Array.isArray(body)) {
    if (body.every((x) => typeof x !== 'object' || x === null)) return ` [${body.map((x) => scalarSnippet(x)).join(', ')}]`;
    return body.map((x) => `\n${ind}-${snippetYaml(x, depth + 1).replace(/^\n\s*/, ' ')}`).join('');
  }
  if (body && typeof body === 'object') {
    return Object.entries(body).map(([k, x]) => `\n${ind}${k}:${snippetYaml(x, depth + 1)}`).join('');
  }
  return ` ${scalarSnippet(body)}`;
}

function scalarSnippet(v: unknown): string {
  if (typeof v === 'string') return /\$\{|\$\d/.test(v) ? v : snippetText(yamlScalar(v));
  return snippetText(JSON.stringify(v));
}

function valueEntries(ctx: CursorContext, root: JsonSchema, value: unknown, vd: ValidatedDoc | undefined, file: string, host: CompletionHost): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  const key = ctx.path[ctx.path.length - 1];
  const add = (label: string, kind: CompletionEntry['kind'], documentation?: string, detail?: string, sort = '1', insert = label) =>
    out.push({ label, kind, insertText: snippetText(insert), snippet: true, documentation, detail, sortText: `${sort}${label}`, replaceStart: ctx.prefixStart });

  const schemas = schemasAt(root, ctx.path, value);
  // Labels as users read them; insert text quoted where YAML 1.1 readers would misread it (`no`).
  for (const { value: v, doc } of allowedValues(schemas)) if (typeof v !== 'object' || v === null) add(String(v), 'enum', doc, undefined, '1', yamlScalar(v));

  if (key === 'gpu_type' || (key === 'gpus' && ctx.path.includes('resources'))) {
    for (const g of gpuCatalog) {
      const label = key === 'gpus' ? `${g.name}:1` : g.name;
      add(label, 'value', `${g.name} — ${g.arch}, ${g.memoryGb.join('/')} GB; bf16 ${g.bf16 ? 'yes' : 'no'}, fp8 ${g.fp8 ? 'yes' : 'no'}`, g.arch, '2');
    }
  }
  const kind = vd?.kind;
  if ((key === 'extends' && kind === 'experiment') || (key === 'experiment' && kind === 'sweep') || (ctx.path[0] === 'extends' && typeof key === 'number')) {
    for (const f of experimentFiles(path.dirname(file), host)) if (path.resolve(path.dirname(file), f) !== file) add(f, 'file', undefined, 'experiment file', '0');
  }
  if (key === 'target' || (key === 'default' && kind === 'targets')) {
    const targets = kind === 'targets' ? (value as { targets?: object })?.targets : vd?.targets?.targets;
    const names = new Set(['local', ...Object.keys(targets ?? {})]);
    for (const n of names) add(n, 'reference', undefined, 'target', '0');
  }
  if (key === 'context' && kind === 'targets' && ctx.path.length === 3 && ctx.path[0] === 'targets') {
    const target = at(value, 'targets', ctx.path[1]);
    const kubeconfig = own(target, 'kubeconfig');
    // Read from the file alone (no cluster is asked): what `kubectl config get-contexts` lists.
    const found = own(target, 'type') === 'local' ? undefined
      : targetContexts(typeof kubeconfig === 'string' ? kubeconfig : undefined, file, host, process.env, os.homedir());
    for (const n of found?.names ?? []) {
      const current = n === found?.current;
      add(n, 'reference', `Context \`${n}\` of ${found?.file}${current ? ' (its current-context, used when `context` is omitted)' : ''}.`,
        current ? 'current context' : 'kubeconfig context', current ? '0' : '1', yamlScalar(n));
    }
  }
  if (key === 'param' && ctx.path[ctx.path.length - 2] === 'on_oom') {
    for (const [p, v] of leafPaths(vd?.config)) if (typeof v === 'number') add(p, 'reference', undefined, `now ${v}`, '0');
  }
  if (!out.length) {
    const def = pick(schemas, 'default');
    if (def !== undefined && typeof def !== 'object') add(yamlScalar(def), 'value', 'Default value', 'default', '0');
    for (const ex of (pick(schemas, 'examples') as unknown[] | undefined) ?? []) if (typeof ex !== 'object' || ex === null) add(yamlScalar(ex), 'value', 'Example', 'example');
  }
  return out;
}

/** `*.experiment.yaml` files in a folder and its direct sub-folders, as `./relative` paths. */
function experimentFiles(dir: string, host: CompletionHost): string[] {
  const out: string[] = [];
  const isExp = (n: string) => /\.experiment\.ya?ml$|^experiment\.ya?ml$/.test(n);
  for (const e of host.listDir(dir)) {
    if (!e.dir && isExp(e.name)) out.push(`./${e.name}`);
    else if (e.dir && !e.name.startsWith('.') && e.name !== 'node_modules') {
      for (const s of host.listDir(path.join(dir, e.name))) if (!s.dir && isExp(s.name)) out.push(`./${e.name}/${s.name}`);
    }
  }
  for (const e of host.listDir(path.dirname(dir))) if (!e.dir && isExp(e.name)) out.push(`../${e.name}`);
  return out;
}

/** Dotted paths of a config's leaves that a sweep can vary (params, resources, launcher, …). */
export function leafPaths(config: unknown): Array<[string, unknown]> {
  const fixed = new Set(['name', 'description', 'extends', '$schema', 'command', 'shell', 'kubernetes', 'tags', 'metrics']);
  return configPaths(config, { maxDepth: 8, max: 2000 }).filter(([p, v]) => !isObj(v) && !fixed.has(p.split('.')[0]));
}
