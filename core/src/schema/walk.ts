// Finding the sub-schemas that apply at a path of a document, for completion and hover.
// Follows $ref (local and by $id across our schemas), properties, patternProperties,
// additionalProperties, items, and oneOf/anyOf/allOf — narrowing oneOf branches by the value
// actually written (a `type: accelerate` launcher only offers accelerate's keys).
import type { Path } from '../diagnostic';
import type { JsonSchema } from './registry';
import { resolveRef, rootOf } from './graph';
import { userRegExp } from './regexp';

interface Scoped { schema: JsonSchema; root: JsonSchema }

/** A schema with its `$ref` followed; siblings of `$ref` (description, default) are kept too. */
function deref(s: Scoped): Scoped[] {
  const { schema, root } = s;
  if (!schema || typeof schema !== 'object') return [];
  if (typeof schema.$ref !== 'string') return [s];
  const target = resolveRef(schema, rootOf(schema) ?? root);
  if (target === schema) return [s];
  const { $ref: _ignored, ...rest } = schema;
  const own: Scoped[] = Object.keys(rest).length ? [{ schema: rest, root }] : [];
  return [...own, { schema: target, root: rootOf(target) ?? root }];
}

/** The sub-schemas at `path`, given the document `value` (used to pick oneOf branches). */
export function schemasAt(root: JsonSchema, path: Path, value: unknown): JsonSchema[] {
  let current = expand([{ schema: root, root }], value);
  let v: unknown = value;
  for (const seg of path) {
    v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
    const next: Scoped[] = [];
    for (const { schema, root: r } of current) {
      if (typeof seg === 'number') {
        if (schema.items && typeof schema.items === 'object') next.push({ schema: schema.items as JsonSchema, root: r });
        if (Array.isArray(schema.prefixItems) && typeof seg === 'number' && schema.prefixItems[seg]) next.push({ schema: schema.prefixItems[seg] as JsonSchema, root: r });
        continue;
      }
      const props = schema.properties as Record<string, JsonSchema> | undefined;
      if (props && props[seg]) { next.push({ schema: props[seg], root: r }); continue; }
      const pats = schema.patternProperties as Record<string, JsonSchema> | undefined;
      let matched = false;
      if (pats) {
        for (const [re, sub] of Object.entries(pats)) {
          if (safeTest(re, seg)) { next.push({ schema: sub, root: r }); matched = true; }
        }
      }
      // A free-form mapping (params, env, labels): any key, with the schema given, if any. (Not a
      // `$ref`'s sibling annotations, which have no type and declare nothing.)
      const extra = schema.additionalProperties;
      const freeForm = extra === true || (extra && typeof extra === 'object') || (extra === undefined && schema.type === 'object' && !props && !pats);
      if (!matched && freeForm) next.push({ schema: extra && typeof extra === 'object' ? extra as JsonSchema : {}, root: r });
    }
    current = expand(next, v);
    if (!current.length) return [];
  }
  return current.map((c) => c.schema);
}

function safeTest(re: string, s: string): boolean {
  try { return userRegExp(re, 'u').test(s); } catch { return false; }
}

/** Flattens $ref and allOf, and oneOf/anyOf (narrowed by discriminator consts when possible). */
function expand(list: Scoped[], value: unknown, depth = 0): Scoped[] {
  const out: Scoped[] = [];
  for (const item of list) {
    for (const s of deref(item)) {
      out.push(s);
      if (depth > 16) continue;
      const parts: Scoped[] = [];
      for (const key of ['allOf'] as const) {
        const arr = s.schema[key];
        if (Array.isArray(arr)) parts.push(...arr.map((x) => ({ schema: x as JsonSchema, root: s.root })));
      }
      for (const key of ['oneOf', 'anyOf'] as const) {
        const arr = s.schema[key];
        if (Array.isArray(arr)) parts.push(...narrow(arr.map((x) => ({ schema: x as JsonSchema, root: s.root })), value));
      }
      if (parts.length) out.push(...expand(parts, value, depth + 1));
    }
  }
  return out;
}

/**
 * Keeps the branches the written mapping can still be: no const/enum property contradicts it, and
 * (for branches told apart by a required key, like `range` or `values`) one of its required keys is
 * written. All branches when none fits, so completion still offers something.
 */
function narrow(branches: Scoped[], value: unknown): Scoped[] {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).length) return branches;
  const obj = value as Record<string, unknown>;
  const fit = branches.filter(({ schema, root }) => deref({ schema, root }).every(({ schema: r }) => {
    const props = (r.properties ?? {}) as Record<string, JsonSchema>;
    for (const [k, p] of Object.entries(props)) {
      if (!p || !(k in obj)) continue;
      if ('const' in p && obj[k] !== p.const) return false;
      if (Array.isArray(p.enum) && !p.enum.includes(obj[k])) return false;
    }
    const req = r.required as string[] | undefined;
    return !req?.length || req.some((k) => k in obj);
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
    const props = s.properties as Record<string, JsonSchema> | undefined;
    if (!props) continue;
    for (const [k, p] of Object.entries(props)) {
      const resolved = deref({ schema: p, root: s }).map((x) => x.schema);
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
