// Reading plain config values (parsed YAML/JSON) safely: own properties only, so a key such as
// `constructor` or `__proto__` in a user's file never reaches Object.prototype.

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasOwn(o: unknown, key: string): boolean {
  return typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, key);
}

/** Own property of an object, or undefined (never inherited ones such as `constructor`). */
export function own(o: unknown, key: string): unknown {
  return hasOwn(o, key) ? (o as Obj)[key] : undefined;
}

/** Value at a config path, following own properties and array indices only. */
export function at(o: unknown, ...path: Array<string | number>): unknown {
  let cur = o;
  for (const p of path) {
    if (Array.isArray(cur)) {
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= cur.length) return undefined;
      cur = cur[p];
    } else if (isObj(cur)) {
      cur = own(cur, String(p));
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Value at a dotted path (`params.batch_size`, `command.0`) through own properties, or undefined. */
export function getDotted(o: unknown, dotted: string): unknown {
  let cur = o;
  for (const part of dotted.split('.')) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else if (isObj(cur)) {
      cur = own(cur, part);
    } else {
      return undefined;
    }
  }
  return cur;
}

/**
 * Every path of a config with its value, mappings and leaves alike (`params`, `params.lr`, …), in
 * document order. Lists are leaves unless `lists` (then `command.0`, … for lists up to 64 items).
 * Capped, and each shared (YAML alias) object is walked once.
 */
export function configPaths(obj: unknown, o: { lists?: boolean; max?: number; maxDepth?: number } = {}): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const max = o.max ?? 5000;
  const maxDepth = o.maxDepth ?? 12;
  const seen = new Set<object>();
  const walk = (v: unknown, prefix: string, depth: number): void => {
    if (out.length >= max || depth > maxDepth || typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    const entries: Array<[string, unknown]> = Array.isArray(v)
      ? (o.lists && v.length <= 64 ? v.map((x, i) => [String(i), x]) : [])
      : Object.entries(v);
    for (const [k, x] of entries) {
      if (out.length >= max) return;
      const p = prefix ? `${prefix}.${k}` : k;
      out.push([p, x]);
      walk(x, p, depth + 1);
    }
  };
  walk(obj, '', 0);
  return out;
}

/**
 * Calls `visit` once on every object (and array) of a JSON-like tree, shared subtrees and cycles
 * included, without recursion: a deep or self-referencing schema cannot overflow the stack.
 */
export function eachObject(root: unknown, visit: (o: Record<string, unknown>) => void): void {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length) {
    const o = stack.pop();
    if (!o || typeof o !== 'object' || seen.has(o)) continue;
    seen.add(o);
    visit(o as Record<string, unknown>);
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
}
