// Completion, editor-agnostic: keys (with snippets), enum values with their docs, booleans,
// defaults, file paths for extends/experiment, sweep parameter paths from the experiment,
// GPU types, target names and the kubeconfig contexts of a Kubernetes target — in block and flow
// style alike, against our schemas or the user's own (keys, enum, const, default, examples).
import * as os from 'node:os';
import * as path from 'node:path';
import type { FileHost } from '../rules/api';
import type { Validation, ValidatedDoc } from '../validate';
import type { JsonSchema } from '../schema/registry';
import { schemaChoiceOf, schemaRootOf } from '../schema/user-schema';
import { allowedValues, pick, propertiesOf, schemasAt } from '../schema/walk';
import { yamlScalar } from '../schema/errors';
import { gpuCatalog } from '../gpus';
import { cursorContext, docIndexAt } from './context';
import { derivedParams } from '../rules/derived';
import { FUNCTIONS, RUN_FACTS } from '../stats/derive';
import { nodeSpan, pathAt } from '../yaml/document';
import type { CursorContext } from './context';
import { at, configPaths, isObj, own } from '../util/object';
import { targetContexts } from '../k8s/kubeconfig';

export interface CompletionHost extends FileHost {
  /** Entries of a folder (names only, folders flagged); [] when it does not exist. */
  listDir(dir: string): Array<{ name: string; dir: boolean }>;
  /** Topics of the live broker for a `kafka.topic` value, fetched beforehand by the caller (opt-in: expctl.kafka.preflight). */
  kafkaTopics?: Array<{ name: string; partitions: number }>;
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
  /** Offset where it ends: the end of the word the cursor is in (`max_‸parallel` replaces all of it); default the cursor. */
  replaceEnd?: number;
}

export function complete(v: Validation, offset: number, host: CompletionHost): CompletionEntry[] {
  const derived = derivedEntries(v, offset);
  if (derived) return derived;
  const ctx = cursorContext(v, offset);
  if (!ctx) return [];
  // The whole word is replaced, not only its part before the cursor; a key that already has its
  // `: value` after it gets only its name (`max_‸parallel: 18` → `name: 18`, not `name: …: 18`).
  const end = offset + ctx.suffix.length;
  const keyed = ctx.type === 'key' && /^[ \t]*:/.test(v.parsed.text.slice(end, end + 64));
  const all = entries(v, ctx, host).map((e) => ({ ...e, replaceEnd: end }));
  return keyed ? all.flatMap((e) => (e.kind === 'property' || e.kind === 'reference' ? [{ ...e, insertText: e.label, snippet: false }] : [])) : all;
}

function entries(v: Validation, ctx: CursorContext, host: CompletionHost): CompletionEntry[] {
  const vd = v.docs[ctx.docIndex] as ValidatedDoc | undefined;
  const root = schemaRootOf(schemaChoiceOf(v, ctx.docIndex), host);
  if (!root) return [];
  const kind = vd?.kind;
  const value = v.parsed.docs[ctx.docIndex]?.value;
  if (ctx.type === 'value') {
    const values = valueEntries(ctx, root, value, vd, v.file, host);
    if (values.length || !ctx.flow || !ctx.listItem) return values;
    // A new item of a flow sequence of mappings (`tolerations: [|]`): offered by its keys, as `{ key: … }`.
    return keyEntries({ ...ctx, type: 'key' }, root, value, vd, kind).map((e) => ({ ...e, insertText: `{ ${e.insertText} }` }));
  }
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

function keyEntries(ctx: CursorContext, root: JsonSchema, value: unknown, vd: ValidatedDoc | undefined, kind: string | undefined): CompletionEntry[] {
  const parentValue = at(value, ...ctx.path);
  const present = new Set(parentValue && typeof parentValue === 'object' && !Array.isArray(parentValue) ? Object.keys(parentValue) : []);
  for (const k of ctx.siblings) present.add(k);
  present.delete(ctx.prefix + ctx.suffix);
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
      label: name, kind: 'property', insertText: keyInsert(name, propSchemas, ctx.flow), snippet: true,
      detail: typeOf(propSchemas), documentation: describe(propSchemas), sortText: sort, replaceStart: ctx.prefixStart,
    });
    const snippets = pick(propSchemas, 'defaultSnippets') as Array<{ label?: string; description?: string; body?: unknown }> | undefined;
    for (const sn of snippets ?? []) {
      if (sn.body === undefined) continue;
      out.push({
        label: `${name}: ${sn.label ?? 'snippet'}`, kind: 'snippet', insertText: `${name}:${ctx.flow ? ` ${snippetFlow(sn.body)}` : snippetYaml(sn.body, 1)}`, snippet: true,
        detail: sn.description, documentation: sn.description ?? describe(propSchemas), sortText: `${sort}~${sn.label ?? ''}`, replaceStart: ctx.prefixStart,
      });
    }
  }
  return out;
}

function keyInsert(name: string, schemas: JsonSchema[], flow: boolean): string {
  const values = allowedValues(schemas).filter((x) => typeof x.value !== 'object');
  if (values.length) return `${name}: \${1|${values.map((x) => snippetChoice(String(x.value))).join(',')}|}`;
  const t = typeOf(schemas) ?? '';
  // Inside `{ … }` or `[ … ]` a nested collection must be flow too, on one line.
  if (t === 'object') return flow ? `${name}: { $0 }` : `${name}:\n  $0`;
  if (t === 'array') return flow ? `${name}: [$0]` : `${name}:\n  - $0`;
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

/** A defaultSnippets body as one line of flow YAML, for insertion inside `{ … }` or `[ … ]`. */
function snippetFlow(body: unknown): string {
  if (Array.isArray(body)) return `[${body.map(snippetFlow).join(', ')}]`;
  if (body && typeof body === 'object') return `{ ${Object.entries(body).map(([k, x]) => `${k}: ${snippetFlow(x)}`).join(', ')} }`;
  // Plain text in flow ends at `,` `[` `]` `{` `}`: a placeholder whose default holds one is quoted.
  if (typeof body === 'string' && !body.startsWith('^') && /\$\{|\$\d/.test(body) && /[,[\]{}#]/.test(snippetShown(body))) return `"${body}"`;
  return scalarSnippet(body);
}

/** The text a snippet inserts before the user edits it: placeholders replaced by their defaults (first choice). */
function snippetShown(s: string): string {
  return s.replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');
}

function scalarSnippet(v: unknown): string {
  // A leading `^` marks a value written as is (a number placeholder), as in yaml-language-server.
  if (typeof v === 'string' && v.startsWith('^')) return v.slice(1);
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

  const kind = vd?.kind;
  // What follows knows our file formats; a user's own schema gets only what it declares.
  if (!kind) return withDefaults(out, schemas, add);
  if (key === 'gpu_type' || (key === 'gpus' && ctx.path.includes('resources'))) {
    for (const g of gpuCatalog) {
      const label = key === 'gpus' ? `${g.name}:1` : g.name;
      add(label, 'value', `${g.name} — ${g.arch}, ${g.memoryGb.join('/')} GB; bf16 ${g.bf16 ? 'yes' : 'no'}, fp8 ${g.fp8 ? 'yes' : 'no'}`, g.arch, '2');
    }
  }
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
  if (key === 'topic' && ctx.path[ctx.path.length - 2] === 'kafka') {
    for (const t of host.kafkaTopics ?? []) add(t.name, 'reference', `Topic on the broker, ${t.partitions} partition${t.partitions === 1 ? '' : 's'}.`, 'Kafka topic', '0', yamlScalar(t.name));
  }
  if (key === 'param' && ctx.path[ctx.path.length - 2] === 'on_oom') {
    for (const [p, v] of leafPaths(vd?.config)) if (typeof v === 'number') add(p, 'reference', undefined, `now ${v}`, '0');
  }
  return withDefaults(out, schemas, add);
}

/** Where nothing more specific is offered: the schema's default and examples. */
function withDefaults(out: CompletionEntry[], schemas: JsonSchema[], add: (label: string, kind: CompletionEntry['kind'], documentation?: string, detail?: string, sort?: string) => void): CompletionEntry[] {
  if (out.length) return out;
  const def = pick(schemas, 'default');
  if (def !== undefined && typeof def !== 'object') add(yamlScalar(def), 'value', 'Default value', 'default', '0');
  const examples = pick(schemas, 'examples');
  for (const ex of Array.isArray(examples) ? examples : []) if (typeof ex !== 'object' || ex === null) add(yamlScalar(ex), 'value', 'Example', 'example');
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

/**
 * Inside a `metrics.derived` expression (`tpj: tokens / (ener‸`): the names it can read for the
 * word being typed — run facts, params, derived metrics above it, the primary metric — and the
 * functions. Undefined elsewhere.
 */
function derivedEntries(v: Validation, offset: number): CompletionEntry[] | undefined {
  const docIndex = docIndexAt(v, offset);
  const doc = v.parsed.docs[docIndex]?.doc;
  const vd = v.docs[docIndex] as ValidatedDoc | undefined;
  if (!doc || (vd?.kind !== 'experiment' && vd?.kind !== 'sweep')) return undefined;
  const at = pathAt(doc, offset);
  if (at.inKey || at.path.length !== 3 || at.path[0] !== 'metrics' || at.path[1] !== 'derived') return undefined;
  const span = nodeSpan(at.node);
  if (!span || offset < span[0] || typeof (at.node as { value?: unknown } | null | undefined)?.value !== 'string') return undefined;
  const before = v.parsed.text.slice(span[0], offset);
  const word = /[A-Za-z_][\w.]*$/.exec(before)?.[0] ?? '';
  const replaceEnd = offset + (/^[\w.]*/.exec(v.parsed.text.slice(offset, offset + 256))?.[0].length ?? 0);
  // Right after a name or a number an operator comes, not another name.
  if (!word && /[\w.)`]\s*$/.test(before) && !/^["']?\s*$/.test(before)) return [];
  const replaceStart = offset - word.length;
  const out: CompletionEntry[] = [];
  const add = (label: string, kind: CompletionEntry['kind'], detail: string, sort: string, insertText = label, snippet = false) =>
    out.push({ label, kind, insertText, snippet, detail, sortText: `${sort}${label}`, replaceStart, replaceEnd });
  const config = vd.config as { metrics?: { primary?: string; derived?: Record<string, unknown> } } | undefined;
  const experiment = (vd.kind === 'sweep' ? vd.experiment : vd.config) as { metrics?: { primary?: string } } | undefined;
  const self = String(at.path[2]);
  for (const name of Object.keys(config?.metrics?.derived ?? {})) {
    if (name === self) break; // only those above: derived metrics are computed in order
    add(name, 'reference', 'derived metric', '0');
  }
  const primary = experiment?.metrics?.primary;
  if (primary && primary !== self) add(primary, 'reference', 'primary metric', '0');
  for (const p of derivedParams(vd)) add(p, 'reference', 'param', '1');
  for (const [fact, doc] of Object.entries(RUN_FACTS)) add(fact, 'value', doc, '2');
  for (const [fn, { doc }] of Object.entries(FUNCTIONS)) add(`${fn}()`, 'snippet', doc, '3', `${fn}($1)`, true);
  return out;
}
