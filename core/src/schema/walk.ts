// Finding the sub-schemas that apply at a path of a document, for completion and hover — of our
// schemas and of users' own. Follows $ref (JSON pointers, $anchor names, $id of embedded
// resources and of registered schemas, other schema files by relative path), $dynamicRef /
// $recursiveRef (approximately: to the anchor in the root), properties, patternProperties,
// additionalProperties, prefixItems/items, allOf, oneOf/anyOf — narrowing branches by the value
// actually written (a `type: accelerate` launcher only offers accelerate's keys) — and
// if/then/else. Recursive schemas are fine: each step visits a schema object once and the walk is
// capped in depth and breadth.
import * as path from 'node:path';
import type { Path } from '../diagnostic';
import type { JsonSchema } from './registry';
import { rootOf, schemaAt } from './graph';
import { userRegExp } from './regexp';
import { eachObject } from '../util/object';

interface Scoped { schema: JsonSchema; root: JsonSchema }

/** `$ref` hops followed per reference, and nesting of allOf/oneOf/if expanded, at most. */
const MAX_HOPS = 16;
/** Schemas applying at one path step, at most (a pathological schema may fan out exponentially). */
const MAX_SCHEMAS = 512;

const isSchema = (x: unknown): x is JsonSchema => !!x && typeof x === 'object' && !Array.isArray(x);

interface RootIndex { anchors: Map<string, JsonSchema>; dynamic: Map<string, JsonSchema>; ids: Array<[string, JsonSchema]> }
const indexes = new WeakMap<JsonSchema, RootIndex>();

/** `$anchor`, `$dynamicAnchor` and embedded `$id`s of a root schema, found once. */
function indexOf(root: JsonSchema): RootIndex {
  const hit = indexes.get(root);
  if (hit) return hit;
  const idx: RootIndex = { anchors: new Map(), dynamic: new Map(), ids: [] };
  eachObject(root, (o) => {
    if (!isSchema(o)) return;
    if (typeof o.$anchor === 'string' && !idx.anchors.has(o.$anchor)) idx.anchors.set(o.$anchor, o);
    if (typeof o.$dynamicAnchor === 'string') {
      // The outermost one stands in for dynamic scope; it is also a plain anchor.
      if (!idx.dynamic.has(o.$dynamicAnchor)) idx.dynamic.set(o.$dynamicAnchor, o);
      if (!idx.anchors.has(o.$dynamicAnchor)) idx.anchors.set(o.$dynamicAnchor, o);
    }
    if (typeof o.$id === 'string' && o !== root) idx.ids.push([o.$id.replace(/#$/, ''), o]);
  });
  indexes.set(root, idx);
  return idx;
}

function pointer(base: JsonSchema, frag: string): JsonSchema | undefined {
  let cur: unknown = base;
  for (const raw of frag.split('/').slice(1)) {
    let seg: string;
    try { seg = decodeURIComponent(raw); } catch { return undefined; }
    seg = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!cur || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return isSchema(cur) ? cur : undefined;
}

/** One reference of `schema` resolved, or undefined when it has none or it cannot be found. */
function refTarget(schema: JsonSchema, scope: JsonSchema): Scoped | undefined {
  const root = rootOf(schema) ?? scope;
  const idx = () => indexOf(root);
  if (typeof schema.$recursiveRef === 'string') return { schema: root, root };
  const dynamic = typeof schema.$dynamicRef === 'string';
  const ref = dynamic ? schema.$dynamicRef as string : schema.$ref;
  if (typeof ref !== 'string') return undefined;
  const hash = ref.indexOf('#');
  const base = hash < 0 ? ref : ref.slice(0, hash);
  const frag = hash < 0 ? '' : ref.slice(hash + 1);
  const within = (doc: JsonSchema, r: JsonSchema): Scoped | undefined => {
    if (!frag) return { schema: doc, root: r };
    if (frag.startsWith('/')) { const t = pointer(doc, frag); return t && { schema: t, root: r }; }
    const t = (dynamic ? idx().dynamic.get(frag) : undefined) ?? indexOf(r).anchors.get(frag);
    return t && { schema: t, root: r };
  };
  if (!base) return within(root, root);
  const embedded = idx().ids.find(([id]) => id === base || id.endsWith(`/${base.replace(/^\.\//, '')}`));
  if (embedded) return within(embedded[1], root);
  // Another registered schema (ours, by $id), else another schema file by relative path.
  const other = registered(base) ?? besideFile(root, base);
  return other && within(other, other);
}

const fileOf = new WeakMap<JsonSchema, string>();
const byFile = new Map<string, JsonSchema>();

/** Records where a user's schema file lives, so that `$ref`s by relative path from other files find it. */
export function registerSchemaFile(root: JsonSchema, file: string): void {
  fileOf.set(root, file);
  byFile.set(file, root);
}

function besideFile(root: JsonSchema, ref: string): JsonSchema | undefined {
  const from = fileOf.get(root);
  return from && !/^[a-z][a-z0-9+.-]*:/i.test(ref) ? byFile.get(path.resolve(path.dirname(from), ref)) : undefined;
}

function registered(id: string): JsonSchema | undefined {
  try { return schemaAt(id, ''); } catch { return undefined; }
}

/** A schema with its references followed; siblings of `$ref` (description, default, properties) are kept too. */
function deref(s: Scoped): Scoped[] {
  const out: Scoped[] = [];
  let cur: Scoped | undefined = s;
  const seen = new Set<JsonSchema>();
  for (let hop = 0; cur && isSchema(cur.schema) && !seen.has(cur.schema) && hop <= MAX_HOPS; hop++) {
    seen.add(cur.schema);
    const target = refTarget(cur.schema, cur.root);
    if (!target) { out.push(cur); break; }
    const { $ref: _r, $dynamicRef: _d, $recursiveRef: _rr, ...rest } = cur.schema;
    if (Object.keys(rest).length) out.push({ schema: rest, root: cur.root });
    cur = target;
  }
  return out;
}

/** The sub-schemas at `path`, given the document `value` (used to pick oneOf branches). */
export function schemasAt(root: JsonSchema, path: Path, value: unknown): JsonSchema[] {
  let current = expand([{ schema: root, root: rootOf(root) ?? root }], value);
  let v: unknown = value;
  for (const seg of path) {
    v = v && typeof v === 'object' && Object.hasOwn(v, seg) ? (v as Record<string | number, unknown>)[seg] : undefined;
    const next: Scoped[] = [];
    const add = (schema: unknown, r: JsonSchema) => { if (isSchema(schema)) next.push({ schema, root: r }); };
    for (const { schema, root: r } of current) {
      if (typeof seg === 'number') {
        const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : undefined;
        if (prefix && seg < prefix.length) add(prefix[seg], r);
        else if (Array.isArray(schema.items)) add(schema.additionalItems, r);
        else add(schema.items, r);
        continue;
      }
      const props = schema.properties as Record<string, JsonSchema> | undefined;
      if (props && Object.hasOwn(props, seg)) { add(props[seg], r); continue; }
      const pats = schema.patternProperties as Record<string, JsonSchema> | undefined;
      let matched = false;
      if (pats) {
        for (const [re, sub] of Object.entries(pats)) {
          if (safeTest(re, seg)) { add(sub, r); matched = true; }
        }
      }
      // A free-form mapping (params, env, labels): any key, with the schema given, if any. (Not a
      // `$ref`'s sibling annotations, which have no type and declare nothing.)
      const extra = schema.additionalProperties;
      const freeForm = extra === true || isSchema(extra) || (extra === undefined && schema.type === 'object' && !props && !pats);
      if (!matched && freeForm) next.push({ schema: isSchema(extra) ? extra : {}, root: r });
    }
    current = expand(next, v);
    if (!current.length) return [];
  }
  return current.map((c) => c.schema);
}

function safeTest(re: string, s: string): boolean {
  try { return userRegExp(re, 'u').test(s); } catch { return false; }
}

/** Flattens references, allOf, oneOf/anyOf (narrowed by discriminator consts when possible) and if/then/else. */
function expand(list: Scoped[], value: unknown): Scoped[] {
  const out: Scoped[] = [];
  const seen = new Set<JsonSchema>();
  let level = list;
  for (let depth = 0; level.length && depth <= MAX_HOPS; depth++) {
    const parts: Scoped[] = [];
    for (const item of level) {
      for (const s of deref(item)) {
        if (seen.has(s.schema) || out.length >= MAX_SCHEMAS) continue;
        seen.add(s.schema);
        out.push(s);
        const sub = (x: unknown): Scoped[] => (isSchema(x) ? [{ schema: x, root: s.root }] : []);
        if (Array.isArray(s.schema.allOf)) parts.push(...s.schema.allOf.flatMap(sub));
        for (const key of ['oneOf', 'anyOf'] as const) {
          const arr = s.schema[key];
          if (Array.isArray(arr)) parts.push(...narrow(arr.flatMap(sub), value));
        }
        if (isSchema(s.schema.if)) {
          const holds = fits(sub(s.schema.if), value);
          if (holds !== false) parts.push(...sub(s.schema.then));
          if (holds !== true) parts.push(...sub(s.schema.else));
        }
      }
    }
    level = parts;
  }
  return out;
}

/**
 * Whether the written mapping can still be this schema: false when a const/enum property
 * contradicts it; true when it has a required key or a const/enum property, all written and
 * matching; undefined when nothing tells.
 */
function fits(schemas: Scoped[], value: unknown): boolean | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const obj = value as Record<string, unknown>;
  let told = false;
  for (const { schema: r } of schemas.flatMap(deref)) {
    const props = (isSchema(r.properties) ? r.properties : {}) as Record<string, JsonSchema>;
    for (const [k, p] of Object.entries(props)) {
      if (!isSchema(p) || !Object.hasOwn(obj, k)) continue;
      if ('const' in p) { if (obj[k] !== p.const) return false; told = true; }
      if (Array.isArray(p.enum)) { if (!p.enum.includes(obj[k])) return false; told = true; }
    }
    const req = Array.isArray(r.required) ? r.required as string[] : [];
    if (req.length) { if (!req.every((k) => Object.hasOwn(obj, k))) return false; told = true; }
  }
  return told || undefined;
}

/**
 * Keeps the branches the written mapping can still be: no const/enum property contradicts it, and
 * (for branches told apart by a required key, like `range` or `values`) one of its required keys is
 * written. All branches when none fits, so completion still offers something.
 */
function narrow(branches: Scoped[], value: unknown): Scoped[] {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).length) return branches;
  const obj = value as Record<string, unknown>;
  const fit = branches.filter((b) => deref(b).every(({ schema: r }) => {
    const props = (isSchema(r.properties) ? r.properties : {}) as Record<string, JsonSchema>;
    for (const [k, p] of Object.entries(props)) {
      if (!isSchema(p) || !Object.hasOwn(obj, k)) continue;
      if ('const' in p && obj[k] !== p.const) return false;
      if (Array.isArray(p.enum) && !p.enum.includes(obj[k])) return false;
    }
    const req = r.required as string[] | undefined;
    return !Array.isArray(req) || !req.length || req.some((k) => Object.hasOwn(obj, k));
  }));
  return fit.length ? fit : branches;
}

/** First non-empty string among the schemas for `key`. */
export function pick(schemas: JsonSchema[], key: string): unknown {
  for (const s of schemas) if (s[key] !== undefined) return s[key];
  return undefined;
}

/** Property name → its schemas, merged over all schemas that apply. */
export function propertiesOf(schemas: JsonSchema[]): Map<string, JsonSchema[]> {
  const out = new Map<string, JsonSchema[]>();
  for (const s of schemas) {
    const props = s.properties;
    if (!isSchema(props)) continue;
    for (const [k, p] of Object.entries(props)) {
      const resolved = deref({ schema: p as JsonSchema, root: rootOf(s) ?? s }).map((x) => x.schema);
      out.set(k, [...(out.get(k) ?? []), ...resolved]);
    }
  }
  return out;
}

export interface EnumValue { value: unknown; doc?: string }

/** Allowed values at a schema: enum (with their descriptions), consts of branches, booleans. */
export function allowedValues(schemas: JsonSchema[]): EnumValue[] {
  const out: EnumValue[] = [];
  const seen = new Set<string>();
  const add = (value: unknown, doc?: string) => {
    const k = JSON.stringify(value);
    if (!seen.has(k)) { seen.add(k); out.push({ value, doc }); }
  };
  for (const s of schemas) {
    if (Array.isArray(s.enum)) {
      const docs = (s.markdownEnumDescriptions ?? s.enumDescriptions) as string[] | undefined;
      s.enum.forEach((v, i) => add(v, docs?.[i]));
    }
    if ('const' in s) add(s.const, (s.markdownDescription ?? s.description) as string | undefined);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.includes('boolean')) { add(true); add(false); }
  }
  return out;
}

const pathsCache = new WeakMap<JsonSchema, string[]>();

/** Dotted paths of every property a schema declares (free-form maps not descended into). */
export function knownPaths(root: JsonSchema, maxDepth = 4): string[] {
  const hit = pathsCache.get(root);
  if (hit) return hit;
  const out: string[] = [];
  const rec = (path: string[]) => {
    for (const k of propertiesOf(schemasAt(root, path, undefined)).keys()) {
      out.push([...path, k].join('.'));
      if (path.length + 1 < maxDepth) rec([...path, k]);
    }
  };
  rec([]);
  pathsCache.set(root, out);
  return out;
}
