// The validation pipeline: text → YAML documents with ranges → schema choice → resolved config
// (extends) → JSON Schema errors + semantic rules → diagnostics with exact ranges and fixes.
import * as path from 'node:path';
import type { Document } from 'yaml';
import { isMap } from 'yaml';
import type { Node } from 'yaml';
import type { Diagnostic, Fix, Path, Range, Severity } from './diagnostic';
import type { Experiment, FileKind, TargetsFile } from './config/types';
import { resolveExtends } from './config/extends';
import type { BaseFile } from './config/extends';
import { builtinValidator, chooseSchema, customValidator, isPartialExperiment, kindFromFileName, modeline as findModeline, schemaReference } from './schema/registry';
import { SchemaLimitError } from './schema/user-validator';
import type { SchemaChoice } from './schema/registry';
import { mapSchemaErrors } from './schema/errors';
import { whyUnreadable } from './util/disk-host';
import { quote, readable } from './util/strings';
import { defaultSettings } from './rules/api';
import type { FileHost, Report, Rule, RuleContext, ValidationSettings } from './rules/api';
import { allRules } from './rules';
import { locate, nodeSpan, parseYaml, toRange } from './yaml/document';
import type { ParsedText, YamlDoc } from './yaml/document';

export interface ValidatedDoc {
  ydoc: YamlDoc;
  schema: SchemaChoice;
  kind?: FileKind;
  /** The config as validated (resolved through extends for experiments). */
  config: unknown;
  /** Sweeps: the resolved experiment, when it could be loaded. */
  experiment?: Experiment;
  experimentFile?: string;
  targets?: TargetsFile;
  targetsFile?: string;
}

export interface Validation {
  file: string;
  parsed: ParsedText;
  docs: ValidatedDoc[];
  diagnostics: Diagnostic[];
}

export function validateText(file: string, text: string, host: FileHost, settings: ValidationSettings = defaultSettings, parsed = parseYaml(text)): Validation {
  const out: Validation = { file, parsed, docs: [], diagnostics: [...parsed.problems] };
  const modeline = findModeline(text);
  for (const ydoc of parsed.docs) {
    const sink = new Sink(out, ydoc, []);
    try {
      out.docs.push(validateDoc(out, ydoc, sink, modeline, host, settings));
      sink.flush();
    } catch (e) {
      // A bug in a rule must cost one diagnostic, never the whole file or the server.
      out.diagnostics.push({ range: docStart(out, ydoc), severity: 'error', rule: 'internal', message: `expctl could not check this document: ${(e as Error).message}` });
    }
  }
  return out;
}

/**
 * An experiment or sweep file with no document in it (empty, or only comments) has nothing the
 * schema could reject: an error for a file on disk (`expctl validate`, Validate Workspace) — in the
 * editor an empty file is one being written.
 */
export function emptyFileProblem(file: string, v: Validation): Diagnostic | undefined {
  const kind = kindFromFileName(file);
  if (v.docs.length || v.diagnostics.length || (kind !== 'experiment' && kind !== 'sweep')) return undefined;
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'file-empty',
    message: `the file is empty: ${kind === 'experiment' ? 'an experiment needs at least `command:`' : 'a sweep needs `experiment:` (or `base:`) and its trials (`parameters:`, or `trials:` for method list)'}` };
}

function validateDoc(out: Validation, ydoc: YamlDoc, sink: Sink, modeline: ReturnType<typeof findModeline>, host: FileHost, settings: ValidationSettings): ValidatedDoc {
  const { file } = out;
  const ref = modeline?.ref ?? schemaReference('', ydoc.value);
  const schema = chooseSchema(file, ref, settings.schemas);
  const vd: ValidatedDoc = { ydoc, schema, config: ydoc.value };
  if (ydoc.value === undefined) return vd; // unusable document, already reported
  // A problem with the schema itself: on the modeline that named it, else on the `$schema` key.
  const schemaProblem = (severity: Severity, message: string) => {
    if (modeline) out.diagnostics.push({ range: toRange(out.parsed.lines, modeline.start, modeline.end), severity, rule: 'schema-ref', message: readable(message) });
    else sink.add({ rule: 'schema-ref', severity, path: ['$schema'], target: 'value', message });
  };

  if (schema.type === 'remote') {
    schemaProblem('information', `Remote schema ${schema.url} is not fetched: expctl works offline. Save it next to this file and refer to it by path.`);
    return vd;
  }
  if (schema.type === 'custom') {
    const schemaText = host.readFile(schema.file);
    if (schemaText === undefined) {
      const why = whyUnreadable(schema.file);
      schemaProblem('error', why ? `Schema file ${schema.file} is ${why}; $schema must name a JSON Schema file.` : `Schema file ${schema.file} not found.`);
      return vd;
    }
    const v = customValidator(schema.file, schemaText, (f) => host.readFile(f));
    if (v.error || !v.check) {
      schemaProblem('error', v.error ?? 'Schema not usable.');
      return vd;
    }
    try {
      for (const p of mapSchemaErrors(v.check(ydoc.value))) sink.add({ rule: 'schema', ...p });
    } catch (e) {
      // A looping, too deep or combinatorial schema: said once, on the schema reference.
      if (!(e instanceof SchemaLimitError)) throw e;
      schemaProblem('error', `Schema ${schema.file} could not check this document: ${e.message}.`);
    }
    return vd;
  }
  if (schema.type === 'none') return vd;

  const kind = schema.kind;
  vd.kind = kind;
  let config: unknown = ydoc.value;
  if (kind === 'experiment') {
    const r = resolveExtends(file, ydoc.value, host);
    config = r.config;
    sink.bases = r.bases;
    for (const p of r.problems) sink.add({ ...p, severity: 'error', target: 'value' });
  }
  vd.config = config;

  const validate = builtinValidator(kind);
  validate(config);
  let problems = mapSchemaErrors(validate.errors);
  if (kind === 'experiment' && isPartialExperiment(file)) problems = problems.filter((p) => !(p.path.length === 0 && p.message.startsWith('Missing required')));
  for (const p of problems) sink.add({ rule: 'schema', ...p });

  const targetsFound = kind !== 'targets' ? findTargets(file, host) : undefined;
  vd.targets = targetsFound?.targets;
  vd.targetsFile = targetsFound?.file;
  if (targetsFound?.refused) {
    sink.add({ rule: 'targets-unreadable', severity: 'warning', path: [],
      message: `${targetsFound.file} is ${targetsFound.refused}; its targets are not checked. Make it a regular YAML file.` });
  }
  if (kind === 'sweep') loadSweepExperiment(vd, sink, file, config, host, settings);

  const ctx: RuleContext = {
    kind, file, config, settings, host, experiment: vd.experiment, targets: vd.targets,
    report: (r) => sink.add(r),
  };
  // A partial experiment (a base for extends) is completed by the files that extend it: rules
  // that need the whole experiment are checked there instead.
  const partial = kind === 'experiment' && isPartialExperiment(file);
  runRules(partial ? allRules.filter((r) => !r.wholeExperiment) : allRules, ctx);
  return vd;
}

/** Diagnostics per document, at most. */
export const MAX_DIAGNOSTICS = 1000;

export function runRules(rules: Rule[], ctx: RuleContext): void {
  for (const rule of rules) {
    if (!rule.kinds.includes(ctx.kind)) continue;
    try {
      rule.check(ctx);
    } catch (e) {
      ctx.report({ rule: rule.id, severity: 'error', path: [], message: `Rule ${rule.id} failed: ${(e as Error).message}. Please report this.` });
    }
  }
}

function loadSweepExperiment(vd: ValidatedDoc, sink: Sink, file: string, config: unknown, host: FileHost, settings: ValidationSettings): void {
  if (!config || typeof config !== 'object') return;
  const sweep = config as { experiment?: unknown; base?: unknown };
  if (typeof sweep.experiment === 'string') {
    const abs = path.resolve(path.dirname(file), sweep.experiment);
    vd.experimentFile = abs;
    const text = host.readFile(abs);
    if (text === undefined) {
      const why = whyUnreadable(abs);
      if (why) sink.add({ rule: 'experiment-invalid', severity: 'error', path: ['experiment'], target: 'value', message: `Experiment file ${quote(sweep.experiment)} is ${why} (${abs}); name an experiment YAML file.` });
      else if (settings.checkFiles) sink.add({ rule: 'file-exists', severity: 'error', path: ['experiment'], target: 'value', message: `Experiment file ${quote(sweep.experiment)} not found (looked for ${abs}).` });
      return;
    }
    const inner = validateText(abs, text, host, settings);
    const errors = inner.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const first = errors[0];
      sink.add({ rule: 'experiment-invalid', severity: 'warning', path: ['experiment'], target: 'value',
        message: `${sweep.experiment} has ${errors.length} error${errors.length > 1 ? 's' : ''}; first at ${first.range.start.line + 1}:${first.range.start.character + 1}: ${first.message}` });
    }
    const exp = inner.docs[0]?.config;
    if (exp && typeof exp === 'object') vd.experiment = exp as Experiment;
  } else if (sweep.base && typeof sweep.base === 'object') {
    vd.experiment = resolveExtends(file, sweep.base, host).config as Experiment;
  }
}

const targetsCache = new Map<string, { text: string; targets?: TargetsFile }>();

/** The nearest targets.yaml in the file's folder or above. */
export function findTargets(file: string, host: FileHost): { file: string; targets?: TargetsFile; refused?: string } | undefined {
  let dir = path.dirname(file);
  for (let i = 0; i < 32; i++) {
    for (const name of ['targets.yaml', 'targets.yml']) {
      const f = path.join(dir, name);
      const text = host.readFile(f);
      if (text === undefined) {
        // There, but a FIFO, a device, a directory or too large: the nearest one, and not read.
        const refused = whyUnreadable(f);
        if (refused) return { file: f, refused };
        continue;
      }
      let hit = targetsCache.get(f);
      if (!hit || hit.text !== text) {
        const v = parseYaml(text).docs[0]?.value;
        hit = { text, targets: v && typeof v === 'object' && !Array.isArray(v) ? v as TargetsFile : undefined };
        targetsCache.set(f, hit);
      }
      return { file: f, targets: hit.targets };
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Where `p` is in a validated document, placed as diagnostics are (through extends: on the entry it
 * is inherited from, with a note). For checks that run after validation (the Kafka preflight).
 */
export function rangeOfPath(v: Validation, doc: ValidatedDoc, p: Path, host: FileHost): { range: Range; note?: string } {
  const bases = doc.kind === 'experiment' ? resolveExtends(v.file, doc.ydoc.value, host).bases : [];
  return new Sink(v, doc.ydoc, bases).rangeOf(p, 'value');
}

function docStart(out: Validation, ydoc: YamlDoc): Range {
  const r = ydoc.doc.contents?.range;
  const start = r ? r[0] : 0;
  const lineEnd = out.parsed.text.indexOf('\n', start);
  return toRange(out.parsed.lines, start, lineEnd < 0 ? out.parsed.text.length : lineEnd);
}

/**
 * Turns path-based reports into diagnostics with ranges in this document (or its extends entry).
 * Buffered until flush(): where a semantic rule reports an error on the same value as the schema,
 * the rule's message (more specific, often with a fix) is the one kept.
 */
class Sink {
  private pending: Report[] = [];
  constructor(private out: Validation, private ydoc: YamlDoc, public bases: BaseFile[]) {}

  add(r: Report): void {
    this.pending.push(r);
  }

  flush(): void {
    const key = (r: Report) => JSON.stringify(r.path);
    const ruled = new Set(this.pending.filter((r) => r.rule !== 'schema' && r.severity === 'error' && (r.target ?? 'value') === 'value').map(key));
    let shown = 0;
    for (const r of this.pending) {
      if (r.rule === 'schema' && (r.target ?? 'value') === 'value' && ruled.has(key(r))) continue;
      // Past this many, more diagnostics help nobody and cost the editor; say how many were left out.
      if (shown === MAX_DIAGNOSTICS) {
        this.emit({ rule: 'too-many-problems', severity: 'information', path: [], message: `Only the first ${MAX_DIAGNOSTICS} problems of this document are shown; fix those and the rest appear.` });
        break;
      }
      this.emit(r);
      shown++;
    }
    this.pending = [];
  }

  private emit(r: Report): void {
    const at = this.rangeOf(r.path, r.target ?? 'value');
    const { note } = at;
    const range = (r.span && !note && this.withinValue(r.path, r.span)) || at.range;
    // readable: values a rule put in its message unquoted (keys, names) must not make it megabytes long.
    const d: Diagnostic = { range, severity: r.severity as Severity, message: readable(note ? `${r.message} ${note}` : r.message), rule: r.rule };
    if (r.fixes?.length && !note) {
      const fixes = r.fixes.map((f) => this.fix(f)).filter((f): f is NonNullable<Diagnostic['fixes']>[number] => !!f);
      if (fixes.length) d.fixes = fixes;
    }
    this.out.diagnostics.push(d);
  }

  /** `span` (offsets in the string value at `p`) in the file, when the value is written as is — plain, or quoted without escapes. */
  private withinValue(p: Path, span: { start: number; end: number }): Range | undefined {
    const node = locate(this.ydoc.doc as Document.Parsed, p).value;
    const s = nodeSpan(node);
    const value = (node as { value?: unknown } | null | undefined)?.value;
    if (!s || typeof value !== 'string') return undefined;
    const written = this.out.parsed.text.slice(s[0], s[1]);
    const base = written === value ? s[0] : (written[0] === '"' || written[0] === "'") && written.slice(1, -1) === value ? s[0] + 1 : undefined;
    if (base === undefined) return undefined;
    // An empty span (the end of the text) underlines the last character.
    const start = span.end > span.start ? span.start : Math.max(0, Math.min(span.start, value.length - 1));
    return toRange(this.out.parsed.lines, base + start, base + Math.max(span.end, start + 1));
  }

  private span(node: Node | null | undefined): Range | undefined {
    const s = nodeSpan(node);
    return s ? toRange(this.out.parsed.lines, s[0], s[1]) : undefined;
  }

  rangeOf(p: Path, target: 'key' | 'value' | 'insert'): { range: Range; note?: string } {
    if (p.length === 0) return { range: docStart(this.out, this.ydoc) };
    const doc = this.ydoc.doc as Document.Parsed;
    const loc = locate(doc, p);
    if (loc.depth === p.length) {
      const primary = target === 'key' ? loc.key ?? loc.value : loc.value ?? loc.key;
      const r = this.span(primary) ?? this.span(loc.key) ?? this.span(loc.value);
      if (r) return { range: r };
    }
    for (const base of this.bases) {
      const bdoc = base.parsed.docs[0]?.doc;
      if (!bdoc || locate(bdoc, p).depth !== p.length) continue;
      const at = locate(doc, base.via);
      const r = this.span(at.value);
      const line = base.parsed.lines.linePos(nodeSpan(locate(bdoc, p).value ?? locate(bdoc, p).key)?.[0] ?? 0).line;
      if (r) return { range: r, note: `(inherited from ${path.relative(path.dirname(this.out.file), base.file)}:${line})` };
    }
    if (loc.depth > 0) {
      const r = this.span(loc.deepestPair?.key as Node | undefined) ?? this.span(loc.deepest);
      if (r) return { range: r };
    }
    return { range: docStart(this.out, this.ydoc) };
  }

  private fix(f: Fix): NonNullable<Diagnostic['fixes']>[number] | undefined {
    const edits: Array<{ range: Range; newText: string }> = [];
    for (const e of f.edits) {
      const doc = this.ydoc.doc as Document.Parsed;
      const loc = locate(doc, e.path);
      if (loc.depth !== e.path.length) return undefined;
      if (e.target === 'insert') {
        const edit = this.insertEdit(loc.value as Node | null, e.newText);
        if (!edit) return undefined;
        edits.push(edit);
      } else {
        const r = this.span(e.target === 'key' ? loc.key : loc.value);
        if (!r) return undefined;
        edits.push({ range: r, newText: e.newText });
      }
    }
    return { title: readable(f.title), edits, preferred: f.preferred };
  }

  /** Appends `key: value` as the last entry of a block mapping, at its indentation. */
  private insertEdit(node: Node | null, text: string): { range: Range; newText: string } | undefined {
    const lines = this.out.parsed.lines;
    if (isMap(node) && !node.flow && node.items.length) {
      const first = nodeSpan(node.items[0].key as Node);
      const last = node.items[node.items.length - 1];
      const end = nodeSpan((last.value ?? last.key) as Node);
      if (!first || !end) return undefined;
      const indent = ' '.repeat(lines.linePos(first[0]).col - 1);
      const pos = toRange(lines, end[1], end[1]);
      // A block scalar or nested block ends after its newline; insert before the next line then.
      const endsLine = this.out.parsed.text[end[1] - 1] === '\n';
      return endsLine ? { range: pos, newText: `${indent}${text}\n` } : { range: pos, newText: `\n${indent}${text}` };
    }
    return undefined; // flow or empty mappings: no safe place to insert; the message still says what is missing
  }
}
