// A JSON Schema interpreter for users' own schemas (draft-07, 2019-09, 2020-12). Our schemas keep
// ajv's precompiled validators; a user's schema is interpreted instead because it must never hang
// or crash the language server: ajv generates code (new Function), recurses on the JS stack through
// recursive `$ref`s, and misses `$dynamicRef` and some `unevaluated*` cases. Here every `$ref` loop
// that consumes no data, every too-deep recursion and every too-long run ends in a SchemaLimitError
// that names the cause, and instance members are read as own properties only (`constructor`,
// `__proto__` are ordinary names). Errors have ajv's shape, so errors.ts maps them to messages.
import type { ErrorObject } from 'ajv';
import meta7 from 'ajv/dist/refs/json-schema-draft-07.json';
import meta2019 from 'ajv/dist/refs/json-schema-2019-09/schema.json';
import meta2019Applicator from 'ajv/dist/refs/json-schema-2019-09/meta/applicator.json';
import meta2019Content from 'ajv/dist/refs/json-schema-2019-09/meta/content.json';
import meta2019Core from 'ajv/dist/refs/json-schema-2019-09/meta/core.json';
import meta2019Format from 'ajv/dist/refs/json-schema-2019-09/meta/format.json';
import meta2019Metadata from 'ajv/dist/refs/json-schema-2019-09/meta/meta-data.json';
import meta2019Validation from 'ajv/dist/refs/json-schema-2019-09/meta/validation.json';
import meta2020 from 'ajv/dist/refs/json-schema-2020-12/schema.json';
import meta2020Applicator from 'ajv/dist/refs/json-schema-2020-12/meta/applicator.json';
import meta2020Content from 'ajv/dist/refs/json-schema-2020-12/meta/content.json';
import meta2020Core from 'ajv/dist/refs/json-schema-2020-12/meta/core.json';
import meta2020Format from 'ajv/dist/refs/json-schema-2020-12/meta/format-annotation.json';
import meta2020Metadata from 'ajv/dist/refs/json-schema-2020-12/meta/meta-data.json';
import meta2020Unevaluated from 'ajv/dist/refs/json-schema-2020-12/meta/unevaluated.json';
import meta2020Validation from 'ajv/dist/refs/json-schema-2020-12/meta/validation.json';
import { userRegExp } from './regexp';

export type Dialect = 'draft7' | 'draft2019' | 'draft2020';
type Schema = Record<string, unknown>;
type Node = Schema | boolean;

/** The schema itself loops, recurses too deep, or takes too long on a document: shown on the modeline. */
export class SchemaLimitError extends Error {}

/** Evaluation frames at most: deep enough for any real document, far below the JS stack. */
export const MAX_DEPTH = 500;
/** Schema-keyword evaluations per document at most (a pathological schema is exponential). */
export const MAX_STEPS = 1_000_000;
/** Milliseconds per document at most, checked every 1024 evaluations (one costs ~1 µs). */
export const MAX_MS = 1000;
/** Errors kept per schema evaluation: enough for every diagnostic shown (validate.ts shows 1000). */
const MAX_ERRORS = 1000;

/** Appends without spreading: a spread of a huge array overflows the stack. */
function addAll(into: ErrorObject[], from: ErrorObject[] | undefined): void {
  if (!from) return;
  for (const e of from) { if (into.length >= MAX_ERRORS) return; into.push(e); }
}

/** An instance location for a message: long ones keep their start and end. */
const shortPath = (p: string) => !p ? 'the document root' : p.length > 80 ? `${p.slice(0, 40)}…${p.slice(-36)}` : p;

const META: Array<[string, Schema]> = [
  ['http://json-schema.org/draft-07/schema', meta7],
  ['https://json-schema.org/draft/2019-09/schema', meta2019],
  ['https://json-schema.org/draft/2019-09/meta/core', meta2019Core],
  ['https://json-schema.org/draft/2019-09/meta/applicator', meta2019Applicator],
  ['https://json-schema.org/draft/2019-09/meta/validation', meta2019Validation],
  ['https://json-schema.org/draft/2019-09/meta/meta-data', meta2019Metadata],
  ['https://json-schema.org/draft/2019-09/meta/format', meta2019Format],
  ['https://json-schema.org/draft/2019-09/meta/content', meta2019Content],
  ['https://json-schema.org/draft/2020-12/schema', meta2020],
  ['https://json-schema.org/draft/2020-12/meta/core', meta2020Core],
  ['https://json-schema.org/draft/2020-12/meta/applicator', meta2020Applicator],
  ['https://json-schema.org/draft/2020-12/meta/unevaluated', meta2020Unevaluated],
  ['https://json-schema.org/draft/2020-12/meta/validation', meta2020Validation],
  ['https://json-schema.org/draft/2020-12/meta/meta-data', meta2020Metadata],
  ['https://json-schema.org/draft/2020-12/meta/format-annotation', meta2020Format],
  ['https://json-schema.org/draft/2020-12/meta/content', meta2020Content],
] as Array<[string, Schema]>;

/** Whether a document has an unevaluated* keyword anywhere (also where only a JSON pointer reaches). */
function mentionsUnevaluated(doc: unknown): boolean {
  const stack = [doc];
  while (stack.length) {
    const o = stack.pop();
    if (!o || typeof o !== 'object') continue;
    if (!Array.isArray(o) && (hasOwn(o, 'unevaluatedProperties') || hasOwn(o, 'unevaluatedItems'))) return true;
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
  return false;
}

/** The dialect a `$schema` URI names, if it names one we know. */
export function dialectOf(uri: unknown): Dialect | undefined {
  if (typeof uri !== 'string') return undefined;
  if (uri.includes('2020-12')) return 'draft2020';
  if (uri.includes('2019-09')) return 'draft2019';
  if (/draft-0[4-7]\b/.test(uri)) return 'draft7';
  return undefined;
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

// Keywords whose values are subschemas, per shape: where `$id`s and anchors are looked for.
const ONE = ['additionalProperties', 'unevaluatedItems', 'unevaluatedProperties', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'contentSchema'];
const MANY = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

interface Resource {
  uri: string;
  root: Node;
  dialect: Dialect;
  anchors: Map<string, Node>;
  dynamic: Map<string, Node>;
  recursiveAnchor: boolean;
  /** Vocabularies off: `validation` when the metaschema's `$vocabulary` leaves it out. */
  noValidation: boolean;
}

interface Info { base: string; resource: Resource; dialect: Dialect }
/** Where a reference leads: the schema, its place, and the absolute URI written. */
interface Target { node: Node; info: Info | undefined; uri: string }

function splitUri(uri: string): [string, string] {
  const i = uri.indexOf('#');
  return i < 0 ? [uri, ''] : [uri.slice(0, i), uri.slice(i + 1)];
}

/** `ref` against `base`; URNs and other opaque URIs take fragment-only references too. */
function resolveUri(ref: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return ref;
  if (ref.startsWith('#')) return splitUri(base)[0] + ref;
  try {
    return new URL(ref, base).href;
  } catch {
    throw new SchemaLimitError(`cannot resolve "${ref}" against base URI "${base}"`);
  }
}

function decodePointerSegment(s: string): string {
  let t = s;
  try { t = decodeURIComponent(s); } catch { /* not %-encoded: taken as written */ }
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

const encodeSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export interface UserValidatorOptions {
  /** Dialect for a schema without `$schema` (default draft-07, as yaml-language-server). */
  defaultDialect?: Dialect;
  /** Base URI of the schema document (its file URL): relative `$ref`s resolve against it. */
  uri?: string;
  /** Other schema documents by URI (a `$ref` to another file); undefined when there is none. */
  load?: (uri: string) => unknown;
}

/** A compiled (indexed) user schema: `validate(data)` returns ajv-shaped errors, empty when valid. */
export class UserValidator {
  private resources = new Map<string, Resource>();
  private info = new WeakMap<object, Info>();
  private regexps = new Map<string, RegExp>();
  private pendingRefs: Array<[string, string]> = [];
  private root: Resource;
  /** Whether any unevaluated* keyword is in play: else what was evaluated need not be tracked. */
  tracks = false;

  constructor(schema: unknown, private opts: UserValidatorOptions = {}) {
    if (typeof schema !== 'boolean' && !isObj(schema)) throw new Error('a schema must be a JSON object or a boolean');
    const uri = opts.uri ?? 'urn:expctl:user-schema';
    const [doc] = splitUri(uri);
    this.tracks = mentionsUnevaluated(schema);
    this.root = this.index(schema, doc, dialectOf(isObj(schema) ? schema.$schema : undefined) ?? opts.defaultDialect ?? 'draft7', undefined);
    // Known by its file's URI too when its `$id` says otherwise (another file's `$ref` may use either).
    if (!this.resources.has(doc)) this.resources.set(doc, this.root);
    // Every static `$ref` must resolve now, so that a broken reference is reported as the
    // schema's problem up front, not only for documents that happen to reach it.
    for (let i = 0; i < this.pendingRefs.length; i++) {
      const [ref, base] = this.pendingRefs[i];
      this.resolve(resolveUri(ref, base), ref);
    }
  }

  private newResource(uri: string, root: Node, dialect: Dialect): Resource {
    const r: Resource = { uri, root, dialect, anchors: new Map(), dynamic: new Map(), recursiveAnchor: false, noValidation: false };
    if (isObj(root) && typeof root.$schema === 'string') r.noValidation = this.lacksValidationVocabulary(root.$schema);
    this.resources.set(uri, r);
    return r;
  }

  private lacksValidationVocabulary(metaUri: string): boolean {
    const [doc] = splitUri(metaUri);
    if (META.some(([u]) => u === doc)) return false;
    const meta = this.opts.load?.(doc);
    if (!isObj(meta) || !isObj(meta.$vocabulary)) return false;
    return !Object.keys(meta.$vocabulary).some((v) => /\/vocab\/validation$/.test(v));
  }

  /** Walks a schema document: base URIs, resources, anchors, regexps, the `$ref`s to check. */
  private index(node: Node, base: string, dialect: Dialect, resource: Resource | undefined): Resource {
    if (!isObj(node)) return resource ?? this.newResource(base, node, dialect);
    if (this.info.has(node)) return this.info.get(node)!.resource;
    let d = dialect;
    const ownDialect = dialectOf(node.$schema);
    const ignoresId = d === 'draft7' && typeof node.$ref === 'string';
    let res = resource;
    if (typeof node.$id === 'string' && !ignoresId) {
      const [idBase, frag] = splitUri(resolveUri(node.$id, base));
      if (d === 'draft7' && node.$id.startsWith('#')) {
        res ??= this.newResource(base, node, d);
        res.anchors.set(frag, node);
      } else {
        if (ownDialect) d = ownDialect;
        base = idBase;
        res = this.newResource(idBase, node, d);
        if (frag) res.anchors.set(frag, node);
      }
    }
    if (!res) {
      if (ownDialect) d = ownDialect;
      res = this.newResource(base, node, d);
    }
    this.info.set(node, { base, resource: res, dialect: d });
    if (d !== 'draft7') {
      if (typeof node.$anchor === 'string') res.anchors.set(node.$anchor, node);
      if (d === 'draft2020' && typeof node.$dynamicAnchor === 'string') {
        res.anchors.set(node.$dynamicAnchor, node);
        res.dynamic.set(node.$dynamicAnchor, node);
      }
      if (d === 'draft2019' && node.$recursiveAnchor === true && res.root === node) res.recursiveAnchor = true;
    }
    if (typeof node.$ref === 'string') this.pendingRefs.push([node.$ref, base]);
    if (d === 'draft2020' && typeof node.$dynamicRef === 'string') this.pendingRefs.push([node.$dynamicRef, base]);
    if (d === 'draft2019' && typeof node.$recursiveRef === 'string') this.pendingRefs.push([node.$recursiveRef, base]);
    if (typeof node.pattern === 'string') this.regexp(node.pattern);
    if (isObj(node.patternProperties)) for (const p of Object.keys(node.patternProperties)) this.regexp(p);
    const sub = (v: unknown) => { if (isObj(v) || typeof v === 'boolean') this.index(v, base, d, res); };
    for (const k of ONE) if (hasOwn(node, k)) sub(node[k]);
    for (const k of MANY) if (Array.isArray(node[k])) (node[k] as unknown[]).forEach(sub);
    for (const k of MAP) if (isObj(node[k])) Object.values(node[k] as Schema).forEach(sub);
    if (Array.isArray(node.items)) node.items.forEach(sub); else sub(node.items);
    if (d !== 'draft2020') sub(node.additionalItems);
    if (d === 'draft7' && isObj(node.dependencies)) Object.values(node.dependencies).forEach(sub);
    return res;
  }

  private regexp(pattern: string): RegExp {
    let re = this.regexps.get(pattern);
    if (!re) {
      try {
        re = userRegExp(pattern, 'u');
      } catch (e) {
        throw new SchemaLimitError(`pattern "${pattern}" is not usable: ${(e as Error).message}`);
      }
      this.regexps.set(pattern, re);
    }
    return re;
  }

  /** The schema an absolute URI names (document, JSON pointer or anchor); loads other documents. */
  private resolve(uri: string, written: string): { node: Node; info: Info | undefined } {
    const [doc, frag] = splitUri(uri);
    let res = this.resources.get(doc);
    if (!res) {
      const meta = META.find(([u]) => u === doc);
      const loaded = meta ? meta[1] : this.opts.load?.(doc);
      if (isObj(loaded) || typeof loaded === 'boolean') {
        this.tracks ||= mentionsUnevaluated(loaded);
        res = this.index(loaded, doc, dialectOf(isObj(loaded) ? loaded.$schema : undefined) ?? this.root.dialect, undefined);
        // Also known by the URI it was loaded from when its own `$id` says otherwise.
        if (!this.resources.has(doc)) this.resources.set(doc, res);
      }
    }
    if (!res) {
      throw new SchemaLimitError(doc.startsWith('file:')
        ? `$ref "${written}" names ${decodeURIComponent(new URL(doc).pathname)}, which is not there (or not a regular file)`
        : `$ref "${written}" names ${doc}, which expctl does not fetch (it works offline); save that schema as a file and refer to it by path`);
    }
    let node: Node | undefined;
    if (frag === '') node = res.root;
    else if (frag.startsWith('/')) {
      let cur: unknown = res.root;
      let base = res.uri;
      let d = res.dialect;
      for (const raw of frag.slice(1).split('/')) {
        const seg = decodePointerSegment(raw);
        if (Array.isArray(cur)) cur = /^(0|[1-9]\d*)$/.test(seg) ? cur[Number(seg)] : undefined;
        else if (isObj(cur)) {
          const i = this.info.get(cur);
          if (i) { base = i.base; d = i.dialect; }
          cur = hasOwn(cur, seg) ? cur[seg] : undefined;
        } else cur = undefined;
      }
      if (isObj(cur) && !this.info.has(cur)) this.index(cur, base, d, res);
      node = isObj(cur) || typeof cur === 'boolean' ? cur : undefined;
    } else node = res.anchors.get(frag);
    if (node === undefined) throw new SchemaLimitError(`$ref "${written}" points at nothing in ${doc}`);
    return { node, info: isObj(node) ? this.info.get(node) : undefined };
  }

  /** Errors of `data` against the schema, in ajv's shape; [] when valid. */
  validate(data: unknown): ErrorObject[] {
    const run = new Run(this);
    try {
      return run.ev(this.root.root, data, '', [this.root], undefined).errors ?? [];
    } catch (e) {
      // MAX_DEPTH keeps well inside the stack; this is the net under it.
      if (e instanceof RangeError) throw new SchemaLimitError(`the schema recursed too deep for this document (${e.message}); make its $ref recursion follow the data`);
      throw e;
    }
  }

  /** @internal */ infoOf(node: Schema): Info {
    let i = this.info.get(node);
    if (!i) { this.index(node, this.root.uri, this.root.dialect, this.root); i = this.info.get(node)!; }
    return i;
  }
  private resolved = new WeakMap<Schema, Map<string, Target>>();
  /** @internal */ resolveFrom(ref: string, node: Schema): Target {
    let byRef = this.resolved.get(node);
    if (!byRef) { byRef = new Map(); this.resolved.set(node, byRef); }
    let hit = byRef.get(ref);
    if (!hit) {
      const uri = resolveUri(ref, this.infoOf(node).base);
      hit = { ...this.resolve(uri, ref), uri };
      byRef.set(ref, hit);
    }
    return hit;
  }
  /** @internal */ re(p: string): RegExp { return this.regexp(p); }
}

/**
 * What one schema evaluation found: its errors, and what it evaluated. A failed evaluation keeps
 * what it evaluated too: applicators whose failure fails their parent (allOf, $ref, properties…)
 * still count it, so that unevaluatedProperties reports only really unknown names; anyOf, oneOf,
 * not and if, whose failing branches do not fail the parent, drop it as the spec says.
 */
interface Result {
  errors?: ErrorObject[];
  /** Properties evaluated: names, or all. */
  props?: Set<string> | true;
  /** Items evaluated: indices, or all. */
  items?: Set<number> | true;
}

function mergeInto(into: Result, r: Result): void {
  into.props = union(into.props, r.props);
  into.items = union(into.items, r.items);
}

/** a ∪ b, reusing (so changing) a or b: results are merged once, by the only owner left. */
function union<T>(a: Set<T> | true | undefined, b: Set<T> | true | undefined): Set<T> | true | undefined {
  if (a === true || b === true) return true;
  if (!a || !b) return a ?? b;
  for (const x of b) a.add(x);
  return a;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => hasOwn(b, k) && deepEqual((a as Schema)[k], (b as Schema)[k]));
}

function multipleOf(x: number, m: number): boolean {
  const q = x / m;
  if (!Number.isFinite(q)) return false;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, Math.abs(q));
}

const codePoints = (s: string) => { let n = 0; for (const _ of s) n++; return n; };

/** One validation of one document: the step budget and the `$ref` loop guard. */
class Run {
  private steps = 0;
  private started = Date.now();
  private depth = 0;
  /** `$ref` targets being evaluated, per instance location: re-entering one is an endless loop. */
  private active = new Map<Node, Set<string>>();

  constructor(private v: UserValidator) {}

  private err(keyword: string, ipath: string, schema: Schema, data: unknown, params: Record<string, unknown>, message: string, extra?: Partial<ErrorObject>): ErrorObject {
    return { keyword, instancePath: ipath, schemaPath: '', params, message, schema: schema[keyword], parentSchema: schema, data, ...extra } as ErrorObject;
  }

  /** `dyn`: the dynamic scope, outermost resource first. */
  ev(node: Node, data: unknown, ipath: string, dyn: Resource[], propertyName: string | undefined): Result {
    if (++this.steps > MAX_STEPS || ((this.steps & 1023) === 0 && Date.now() - this.started > MAX_MS)) {
      throw new SchemaLimitError(`checking this document took more than ${this.steps > MAX_STEPS ? `${MAX_STEPS.toLocaleString('en')} schema evaluations` : `${MAX_MS / 1000} s`} (anyOf/oneOf/$ref that nest combinatorially); simplify the schema`);
    }
    if (node === true) return {};
    if (node === false) return { errors: [{ keyword: 'false schema', instancePath: ipath, schemaPath: '', params: {}, message: 'is not allowed here', schema: false, parentSchema: false as unknown as Schema, data, ...(propertyName !== undefined ? { propertyName } : {}) } as ErrorObject] };
    if (!isObj(node)) return {};
    if (++this.depth > MAX_DEPTH) throw new SchemaLimitError(`the schema recursed more than ${MAX_DEPTH} levels deep at ${shortPath(ipath)}; make its $ref recursion follow the data`);
    try {
      return this.evObject(node, data, ipath, dyn, propertyName);
    } finally {
      this.depth--;
    }
  }

  /** `at`: the instance location (a property name under propertyNames is its own location). */
  private enter(node: Node, at: string, what: string, fn: () => Result): Result {
    let set = this.active.get(node);
    if (!set) { set = new Set(); this.active.set(node, set); }
    if (set.has(at)) throw new SchemaLimitError(`${what} leads back to itself without going into the data (an endless loop); make the recursion go through properties or items`);
    set.add(at);
    try { return fn(); } finally { set.delete(at); }
  }

  private evObject(s: Schema, data: unknown, ipath: string, dynIn: Resource[], propertyName: string | undefined): Result {
    const info = this.v.infoOf(s);
    const d = info.dialect;
    let dyn = dynIn;
    if (info.resource.root === s && dyn[dyn.length - 1] !== info.resource) dyn = [...dyn, info.resource];
    const out: Result = {};
    const errors: ErrorObject[] = [];
    const fail = (e: ErrorObject) => { errors.push(propertyName !== undefined ? { ...e, propertyName } as ErrorObject : e); };
    const inPlace = (n: unknown): Result => this.ev(n as Node, data, ipath, dyn, propertyName);
    const at = propertyName === undefined ? ipath : `${ipath}\u0000${propertyName}`;
    const take = (r: Result): boolean => {
      mergeInto(out, r);
      if (r.errors?.length) { addAll(errors, r.errors); return false; }
      return true;
    };

    // $ref: in draft-07 it replaces the whole schema object.
    if (typeof s.$ref === 'string') {
      const target = this.v.resolveFrom(s.$ref, s);
      const r = this.enter(target.node, at, `$ref "${s.$ref}"`, () => this.evRef(target, data, ipath, dyn, propertyName));
      if (d === 'draft7') return r;
      take(r);
    }
    if (d === 'draft2020' && typeof s.$dynamicRef === 'string') {
      let target = this.v.resolveFrom(s.$dynamicRef, s);
      const frag = splitUri(target.uri)[1];
      if (frag && !frag.startsWith('/') && isObj(target.node) && target.node.$dynamicAnchor === frag) {
        for (const r of dyn) {
          const hit = r.dynamic.get(frag);
          if (hit !== undefined) { target = { node: hit, info: isObj(hit) ? this.v.infoOf(hit) : undefined, uri: r.uri }; break; }
        }
      }
      take(this.enter(target.node, at, `$dynamicRef "${s.$dynamicRef}"`, () => this.evRef(target, data, ipath, dyn, propertyName)));
    }
    if (d === 'draft2019' && typeof s.$recursiveRef === 'string') {
      let target = this.v.resolveFrom(s.$recursiveRef, s);
      if (target.info?.resource.recursiveAnchor) {
        for (const r of dyn) if (r.recursiveAnchor) { target = { node: r.root, info: isObj(r.root) ? this.v.infoOf(r.root) : undefined, uri: r.uri }; break; }
      }
      take(this.enter(target.node, at, `$recursiveRef "${s.$recursiveRef}"`, () => this.evRef(target, data, ipath, dyn, propertyName)));
    }

    if (!info.resource.noValidation) this.assertions(s, data, ipath, d, fail);

    // In-place applicators.
    if (Array.isArray(s.allOf)) for (const b of s.allOf) take(inPlace(b));
    if (Array.isArray(s.anyOf)) {
      const failed: ErrorObject[] = [];
      let any = false;
      for (const b of s.anyOf) {
        const r = inPlace(b);
        if (r.errors?.length) addAll(failed, r.errors); else { any = true; mergeInto(out, r); }
      }
      if (!any) { addAll(errors, failed); fail(this.err('anyOf', ipath, s, data, {}, 'must match a schema in anyOf')); }
    }
    if (Array.isArray(s.oneOf)) {
      const failed: ErrorObject[] = [];
      const passing: number[] = [];
      const results: Result[] = [];
      s.oneOf.forEach((b, i) => {
        const r = inPlace(b);
        if (r.errors?.length) addAll(failed, r.errors); else { passing.push(i); results.push(r); }
      });
      if (passing.length === 1) mergeInto(out, results[0]);
      else {
        if (!passing.length) addAll(errors, failed);
        fail(this.err('oneOf', ipath, s, data, { passingSchemas: passing.length ? passing : null }, 'must match exactly one schema in oneOf'));
      }
    }
    if (hasOwn(s, 'not')) {
      const r = inPlace(s.not);
      if (!r.errors?.length) fail(this.err('not', ipath, s, data, {}, 'must NOT be valid'));
    }
    if (hasOwn(s, 'if')) {
      const r = inPlace(s.if);
      const ok = !r.errors?.length;
      if (ok) mergeInto(out, r);
      const branch = ok ? 'then' : 'else';
      if (hasOwn(s, branch)) {
        const b = inPlace(s[branch]);
        if (!take(b)) fail(this.err('if', ipath, s, data, { failingKeyword: branch }, `must match "${branch}" schema`));
      }
    }
    if (isObj(data)) this.objectApplicators(s, data, ipath, d, dyn, out, errors, fail, inPlace, take);
    if (Array.isArray(data)) this.arrayApplicators(s, data, ipath, d, dyn, out, errors, fail);

    // unevaluated*: after everything else at this location, from what valid subschemas evaluated.
    if (d !== 'draft7' && isObj(data) && hasOwn(s, 'unevaluatedProperties')) {
      for (const k of Object.keys(data)) {
        if (out.props === true || out.props?.has(k)) continue;
        const r = this.ev(s.unevaluatedProperties as Node, data[k], `${ipath}/${encodeSegment(k)}`, dyn, undefined);
        if (r.errors?.length) {
          if (s.unevaluatedProperties === false) fail(this.err('unevaluatedProperties', ipath, s, data, { unevaluatedProperty: k }, 'must NOT have unevaluated properties'));
          else addAll(errors, r.errors);
        }
      }
      out.props = true;
    }
    if (d !== 'draft7' && Array.isArray(data) && hasOwn(s, 'unevaluatedItems')) {
      for (let i = 0; i < data.length; i++) {
        if (out.items === true || out.items?.has(i)) continue;
        const r = this.ev(s.unevaluatedItems as Node, data[i], `${ipath}/${i}`, dyn, undefined);
        if (r.errors?.length) {
          if (s.unevaluatedItems === false) fail(this.err('unevaluatedItems', ipath, s, data, { limit: i }, `must not have item [${i}]: no schema here allows it (unevaluatedItems)`));
          else addAll(errors, r.errors);
        }
      }
      out.items = true;
    }
    if (errors.length) out.errors = errors;
    return out;
  }

  /** Follows a reference; the target's resource joins the dynamic scope. */
  private evRef(target: { node: Node; info: Info | undefined }, data: unknown, ipath: string, dyn: Resource[], propertyName: string | undefined): Result {
    const res = target.info?.resource;
    const scope = res && dyn[dyn.length - 1] !== res ? [...dyn, res] : dyn;
    return this.ev(target.node, data, ipath, scope, propertyName);
  }

  private assertions(s: Schema, data: unknown, ipath: string, d: Dialect, fail: (e: ErrorObject) => void): void {
    if (hasOwn(s, 'type')) {
      const types = Array.isArray(s.type) ? s.type as string[] : [s.type as string];
      if (!types.some((t) => hasType(data, t))) fail(this.err('type', ipath, s, data, { type: types.join(',') }, `must be ${types.join(',')}`));
    }
    if (Array.isArray(s.enum) && !s.enum.some((x) => deepEqual(x, data))) fail(this.err('enum', ipath, s, data, { allowedValues: s.enum }, 'must be one of the allowed values'));
    if (hasOwn(s, 'const') && !deepEqual(s.const, data)) fail(this.err('const', ipath, s, data, { allowedValue: s.const }, `must be ${JSON.stringify(s.const)}`));
    if (typeof data === 'number') {
      if (typeof s.minimum === 'number' && data < s.minimum) fail(this.err('minimum', ipath, s, data, { comparison: '>=', limit: s.minimum }, `must be >= ${s.minimum}`));
      if (typeof s.maximum === 'number' && data > s.maximum) fail(this.err('maximum', ipath, s, data, { comparison: '<=', limit: s.maximum }, `must be <= ${s.maximum}`));
      if (typeof s.exclusiveMinimum === 'number' && data <= s.exclusiveMinimum) fail(this.err('exclusiveMinimum', ipath, s, data, { comparison: '>', limit: s.exclusiveMinimum }, `must be > ${s.exclusiveMinimum}`));
      if (typeof s.exclusiveMaximum === 'number' && data >= s.exclusiveMaximum) fail(this.err('exclusiveMaximum', ipath, s, data, { comparison: '<', limit: s.exclusiveMaximum }, `must be < ${s.exclusiveMaximum}`));
      if (typeof s.multipleOf === 'number' && !multipleOf(data, s.multipleOf)) fail(this.err('multipleOf', ipath, s, data, { multipleOf: s.multipleOf }, `must be multiple of ${s.multipleOf}`));
    }
    if (typeof data === 'string') {
      if (typeof s.minLength === 'number' && codePoints(data) < s.minLength) fail(this.err('minLength', ipath, s, data, { limit: s.minLength }, `must be at least ${s.minLength} characters long`));
      if (typeof s.maxLength === 'number' && codePoints(data) > s.maxLength) fail(this.err('maxLength', ipath, s, data, { limit: s.maxLength }, `must be at most ${s.maxLength} characters long`));
      if (typeof s.pattern === 'string' && !this.v.re(s.pattern).test(data)) fail(this.err('pattern', ipath, s, data, { pattern: s.pattern }, `must match pattern "${s.pattern}"`));
    }
    if (Array.isArray(data)) {
      if (typeof s.minItems === 'number' && data.length < s.minItems) fail(this.err('minItems', ipath, s, data, { limit: s.minItems }, `must NOT have fewer than ${s.minItems} items`));
      if (typeof s.maxItems === 'number' && data.length > s.maxItems) fail(this.err('maxItems', ipath, s, data, { limit: s.maxItems }, `must NOT have more than ${s.maxItems} items`));
      if (s.uniqueItems === true) {
        outer: for (let i = 1; i < data.length; i++) {
          for (let j = 0; j < i; j++) {
            if (deepEqual(data[i], data[j])) { fail(this.err('uniqueItems', ipath, s, data, { i, j }, `must NOT have duplicate items (items ## ${j} and ${i} are identical)`)); break outer; }
          }
        }
      }
    }
    if (isObj(data)) {
      const n = Object.keys(data).length;
      if (typeof s.minProperties === 'number' && n < s.minProperties) fail(this.err('minProperties', ipath, s, data, { limit: s.minProperties }, `must NOT have fewer than ${s.minProperties} properties`));
      if (typeof s.maxProperties === 'number' && n > s.maxProperties) fail(this.err('maxProperties', ipath, s, data, { limit: s.maxProperties }, `must NOT have more than ${s.maxProperties} properties`));
      if (Array.isArray(s.required)) {
        for (const k of s.required as string[]) if (!hasOwn(data, k)) fail(this.err('required', ipath, s, data, { missingProperty: k }, `must have required property '${k}'`));
      }
      const depReq = d === 'draft7' ? undefined : s.dependentRequired;
      const deps = d === 'draft7' ? s.dependencies : undefined;
      for (const source of [depReq, deps]) {
        if (!isObj(source)) continue;
        for (const [k, need] of Object.entries(source)) {
          if (!hasOwn(data, k) || !Array.isArray(need)) continue;
          for (const m of need as string[]) if (!hasOwn(data, m)) fail(this.err(source === deps ? 'dependencies' : 'dependentRequired', ipath, s, data, { property: k, missingProperty: m }, `must have property ${m} when property ${k} is present`));
        }
      }
    }
  }

  private objectApplicators(s: Schema, data: Schema, ipath: string, d: Dialect, dyn: Resource[], out: Result, errors: ErrorObject[],
    fail: (e: ErrorObject) => void, inPlace: (n: unknown) => Result, take: (r: Result) => boolean): void {
    const keys = Object.keys(data);
    const evaluated = this.v.tracks ? new Set<string>() : undefined;
    const props = isObj(s.properties) ? s.properties : undefined;
    const patterns = isObj(s.patternProperties) ? Object.keys(s.patternProperties) : [];
    for (const k of keys) {
      const p = `${ipath}/${encodeSegment(k)}`;
      let matched = false;
      if (props && hasOwn(props, k)) {
        matched = true;
        evaluated?.add(k);
        const r = this.ev(props[k] as Node, data[k], p, dyn, undefined);
        if (r.errors?.length) addAll(errors, r.errors);
      }
      for (const pat of patterns) {
        if (!this.v.re(pat).test(k)) continue;
        matched = true;
        evaluated?.add(k);
        const r = this.ev((s.patternProperties as Schema)[pat] as Node, data[k], p, dyn, undefined);
        if (r.errors?.length) addAll(errors, r.errors);
      }
      if (!matched && hasOwn(s, 'additionalProperties')) {
        evaluated?.add(k);
        const r = this.ev(s.additionalProperties as Node, data[k], p, dyn, undefined);
        if (r.errors?.length) {
          if (s.additionalProperties === false) fail(this.err('additionalProperties', ipath, s, data, { additionalProperty: k }, 'must NOT have additional properties'));
          else addAll(errors, r.errors);
        }
      }
      if (hasOwn(s, 'propertyNames')) {
        const r = this.ev(s.propertyNames as Node, k, ipath, dyn, k);
        if (r.errors?.length) {
          addAll(errors, r.errors);
          fail(this.err('propertyNames', ipath, s, data, { propertyName: k }, `property name "${k}" is invalid`));
        }
      }
    }
    if (evaluated?.size) mergeInto(out, { props: evaluated });
    const dependent = d === 'draft7' ? s.dependencies : s.dependentSchemas;
    if (isObj(dependent)) {
      for (const [k, schema] of Object.entries(dependent)) {
        if (hasOwn(data, k) && !Array.isArray(schema)) take(inPlace(schema));
      }
    }
  }

  private arrayApplicators(s: Schema, data: unknown[], ipath: string, d: Dialect, dyn: Resource[], out: Result, errors: ErrorObject[],
    fail: (e: ErrorObject) => void): void {
    const evaluated = this.v.tracks ? new Set<number>() : undefined;
    const sub = (schema: unknown, i: number) => this.ev(schema as Node, data[i], `${ipath}/${i}`, dyn, undefined);
    const each = (schema: unknown, from: number, keyword: string) => {
      for (let i = from; i < data.length; i++) {
        evaluated?.add(i);
        const r = sub(schema, i);
        if (r.errors?.length) {
          if (schema === false) fail(this.err(keyword, ipath, s, data, { limit: from }, `must have at most ${from} item${from === 1 ? '' : 's'}`));
          else addAll(errors, r.errors);
        }
      }
    };
    const prefix = d === 'draft2020' ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
    let from = 0;
    if (Array.isArray(prefix)) {
      for (let i = 0; i < Math.min(prefix.length, data.length); i++) {
        evaluated?.add(i);
        const r = sub(prefix[i], i);
        if (r.errors?.length) addAll(errors, r.errors);
      }
      from = prefix.length;
    }
    if (d === 'draft2020') {
      if (hasOwn(s, 'items')) each(s.items, from, 'items');
    } else if (Array.isArray(s.items)) {
      if (hasOwn(s, 'additionalItems')) each(s.additionalItems, from, 'additionalItems');
    } else if (hasOwn(s, 'items')) each(s.items, 0, 'items');
    if (hasOwn(s, 'contains')) {
      let count = 0;
      for (let i = 0; i < data.length; i++) {
        const r = sub(s.contains, i);
        if (!r.errors?.length) { count++; if (d === 'draft2020') evaluated?.add(i); }
      }
      const min = d !== 'draft7' && typeof s.minContains === 'number' ? s.minContains : 1;
      const max = d !== 'draft7' && typeof s.maxContains === 'number' ? s.maxContains : Infinity;
      if (count < min) fail(this.err('contains', ipath, s, data, { minContains: min }, min === 1 ? 'must contain at least 1 valid item' : `must contain at least ${min} valid items, has ${count}`));
      if (count > max) fail(this.err('contains', ipath, s, data, { maxContains: max }, `must contain at most ${max} valid items, has ${count}`));
    }
    if (evaluated?.size) mergeInto(out, { items: evaluated });
  }
}
