// Schema objects as a graph: which root document an object belongs to, how a `$ref` resolves,
// and which schema objects are reachable from a given one. Used to tell which oneOf branch an ajv
// error came from (ajv reports errors inside `$ref`'d schemas with the target's own path).

type Schema = Record<string, unknown>;

const roots = new WeakMap<object, Schema>();
const byId = new Map<string, Schema>();

/** Registers a root schema: every object inside it learns its root; its `$id` becomes resolvable. */
export function registerRoot(root: Schema): void {
  if (typeof root.$id === 'string') byId.set(root.$id.replace(/#$/, ''), root);
  const stack: unknown[] = [root];
  while (stack.length) {
    const o = stack.pop();
    if (!o || typeof o !== 'object' || roots.has(o)) continue;
    roots.set(o, root);
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
}

export function rootOf(schema: Schema | undefined): Schema | undefined {
  return schema ? roots.get(schema) : undefined;
}

function pointer(root: Schema, frag: string): Schema | undefined {
  let cur: unknown = root;
  for (const raw of frag.split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur && typeof cur === 'object' ? cur as Schema : undefined;
}

/** The schema object at a JSON pointer inside a registered root (precompiled validators refer to ours so). */
export function schemaAt(id: string, ptr: string): Schema {
  const root = byId.get(id.replace(/#$/, ''));
  const found = root && (ptr ? pointer(root, ptr) : root);
  if (!found) throw new Error(`no schema at ${id}#${ptr}`);
  return found;
}

/** Follows `$ref` chains (local fragments and registered `$id`s); returns the schema itself otherwise. */
export function resolveRef(schema: Schema, root: Schema | undefined): Schema {
  let cur = schema;
  let r = root ?? rootOf(schema);
  for (let i = 0; i < 16 && typeof cur?.$ref === 'string'; i++) {
    const [base, frag = ''] = (cur.$ref as string).split('#');
    const target = base ? byId.get(base) ?? [...byId.values()].find((x) => String(x.$id).endsWith(`/${base.replace(/^\.\//, '')}`)) : r;
    const next = target ? (frag ? pointer(target, frag) : target) : undefined;
    if (!next) break;
    cur = next;
    r = target;
  }
  return cur;
}

const reachCache = new WeakMap<object, Set<object>>();

/** Every schema object reachable from `schema`, following `$ref`s. */
export function reachable(schema: Schema, root: Schema | undefined): Set<object> {
  const hit = reachCache.get(schema);
  if (hit) return hit;
  const seen = new Set<object>();
  const stack: Array<[unknown, Schema | undefined]> = [[schema, root ?? rootOf(schema)]];
  while (stack.length) {
    const [o, r] = stack.pop()!;
    if (!o || typeof o !== 'object' || seen.has(o)) continue;
    seen.add(o);
    const obj = o as Schema;
    if (typeof obj.$ref === 'string') {
      const target = resolveRef({ $ref: obj.$ref }, r);
      if (target.$ref === undefined) stack.push([target, rootOf(target) ?? r]);
    }
    for (const v of Object.values(obj)) if (v && typeof v === 'object') stack.push([v, r]);
  }
  reachCache.set(schema, seen);
  return seen;
}
