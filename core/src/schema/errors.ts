// ajv's errors → one clear message per problem, attached to a config path. For oneOf/anyOf only
// the closest branch's errors are kept, and the message says which branch was assumed.
import type { ErrorObject } from 'ajv';
import type { Fix, Path, Severity } from '../diagnostic';
import { closest, quote, shorten } from '../util/strings';
import { reachable, resolveRef, rootOf } from './graph';

export interface SchemaProblem {
  path: Path;
  target: 'key' | 'value';
  severity: Severity;
  message: string;
  fixes?: Fix[];
}

type Schema = Record<string, unknown>;

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => {
    const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : seg;
  });
}

/** Human name of what a path points at: `launcher.mixed_precision`, `offsets[2]`. */
export function describePath(path: Path): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${shorten(seg)}` : shorten(seg);
  return s || 'the document';
}

function show(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', null: 'null' };

export { yamlScalar } from '../util/yaml-scalar';
import { yamlScalar } from '../util/yaml-scalar';

/** A default value for a property, as YAML flow text, from its schema. */
function placeholderFor(schema: Schema | undefined): string {
  if (!schema) return '""';
  if (schema.default !== undefined) return flow(schema.default);
  if (Array.isArray(schema.examples) && schema.examples.length) return flow(schema.examples[0]);
  const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  return t === 'object' ? '{}' : t === 'array' ? '[]' : t === 'number' || t === 'integer' ? '0' : t === 'boolean' ? 'false' : '""';
}

function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }`;
  return yamlScalar(v);
}

// Users' schemas may have `true`/`false` where a schema object goes.
const isSchemaObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null;

/** A short label for a oneOf branch: its `title`, its discriminating const, or its required keys. */
function branchLabel(branch: Schema | undefined): string {
  if (!isSchemaObject(branch)) return 'one of the allowed forms';
  if (typeof branch.title === 'string') return branch.title;
  const props = (branch.properties ?? {}) as Record<string, Schema>;
  for (const [k, p] of Object.entries(props)) if (isSchemaObject(p) && 'const' in p) return `${k}: ${String(p.const)}`;
  if (Array.isArray(branch.required) && branch.required.length) return `the form with ${branch.required.map((r) => `\`${r}\``).join(', ')}`;
  if (typeof branch.type === 'string') return TYPE_WORDS[branch.type] ?? branch.type;
  return 'one of the allowed forms';
}

function discriminatorWritten(branch: Schema, data: unknown): boolean {
  if (!data || typeof data !== 'object') return false;
  const props = (branch.properties ?? {}) as Record<string, Schema>;
  return Object.entries(props).some(([k, p]) => isSchemaObject(p) && 'const' in p && (data as Record<string, unknown>)[k] === p.const);
}

/** How badly data misses a branch: a wrong discriminator (`type: const`) rules it out. */
function branchCost(errors: ErrorObject[], comboPath: string): number {
  let cost = 0;
  for (const e of errors) {
    if (e.keyword === 'const' && e.instancePath.startsWith(comboPath) && e.instancePath.split('/').length === comboPath.split('/').length + 1) cost += 1000;
    else if (e.keyword === 'type' && e.instancePath === comboPath) cost += 500;
    else if (e.keyword === 'additionalProperties') cost += 10;
    else if (e.keyword === 'required') cost += 20;
    else cost += 1;
  }
  return cost;
}

/**
 * Keeps, for every failed oneOf/anyOf, only the errors of its closest branch (outermost first).
 * ajv reports errors inside a `$ref`'d branch with the referenced schema's path, so errors are
 * attributed to branches by identity: an error belongs to a branch when the schema object that
 * failed (`parentSchema`, from `verbose`) is reachable from that branch.
 */
function pruneBranches(errors: ErrorObject[]): { kept: ErrorObject[]; labels: Map<ErrorObject, string> } {
  const alive = new Set(errors);
  const labels = new Map<ErrorObject, string>();
  const combos = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .sort((a, b) => a.instancePath.length - b.instancePath.length);
  for (const combo of combos) {
    if (!alive.has(combo)) continue;
    const branches = (Array.isArray(combo.schema) ? combo.schema : []) as Schema[];
    const root = rootOf(combo.parentSchema as Schema);
    const byBranch = new Map<number, ErrorObject[]>();
    branches.forEach((b, idx) => {
      if (!isSchemaObject(b)) return; // a boolean branch: nothing inside it to attribute
      const reach = reachable(b, root);
      const errs = [...alive].filter((e) => e !== combo && e.instancePath.startsWith(combo.instancePath) && reach.has(e.parentSchema as object));
      if (errs.length) byBranch.set(idx, errs);
    });
    if (byBranch.size === 0) continue; // "matches more than one branch": keep the combo error itself
    let best = -1;
    let bestCost = Infinity;
    for (const [idx, errs] of byBranch) {
      const c = branchCost(errs, combo.instancePath);
      if (c < bestCost) { bestCost = c; best = idx; }
    }
    const keep = new Set(byBranch.get(best));
    const chosen = resolveRef(branches[best], root);
    // Name the assumed branch, unless the user's own discriminator (`type: accelerate`) chose it.
    const label = byBranch.size > 1 && !discriminatorWritten(chosen, combo.data) ? branchLabel(chosen) : undefined;
    for (const errs of byBranch.values()) for (const e of errs) if (!keep.has(e)) alive.delete(e);
    if (label) for (const e of keep) if (!labels.has(e)) labels.set(e, label);
    alive.delete(combo);
  }
  return { kept: errors.filter((e) => alive.has(e)), labels };
}

export function mapSchemaErrors(errors: ErrorObject[] | null | undefined): SchemaProblem[] {
  if (!errors?.length) return [];
  const { kept, labels } = pruneBranches(errors);
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  // One message per value: the enum's (it lists what is allowed) beats the type and const ones that
  // the same bad value fails beside it (an empty `type:` fails all three).
  const valueKeyword = new Map<string, string>();
  for (const e of kept) {
    if (e.keyword === 'if') continue;
    // propertyNames: the inner error (with propertyName) says what is wrong with the key.
    if (e.keyword === 'propertyNames' && kept.some((x) => x !== e && (x as { propertyName?: string }).propertyName !== undefined)) continue;
    const p = problemFor(e);
    if (!p) continue;
    const label = labels.get(e);
    if (label) p.message += ` (checked as ${label})`;
    const id = `${describePath(p.path)}|${p.target}|${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (p.target === 'value' && (e.keyword === 'enum' || e.keyword === 'type' || e.keyword === 'const')) {
      const at = describePath(p.path);
      const prev = valueKeyword.get(at);
      if (prev === 'enum') continue;
      if (prev !== undefined) {
        if (e.keyword !== 'enum') continue;
        const i = out.findIndex((x) => x.target === 'value' && describePath(x.path) === at);
        out.splice(i, 1);
      }
      valueKeyword.set(at, e.keyword);
    }
    out.push(p);
  }
  return out;
}

function problemFor(e: ErrorObject): SchemaProblem | undefined {
  const path = pointerToPath(e.instancePath);
  const where = describePath(path);
  const parent = (e.parentSchema ?? {}) as Schema;
  const data = e.data;
  const params = e.params as Record<string, unknown>;
  const keyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  // A key that fails propertyNames other than by its pattern (worded below): the key is what is wrong.
  if (keyName !== undefined && e.keyword !== 'pattern') {
    const allowed = e.keyword === 'enum' ? ` Allowed: ${((params.allowedValues as unknown[]) ?? []).map(String).join(', ')}.` : '';
    return { path: [...path, keyName], target: 'key', severity: 'error', message: `Invalid key ${quote(keyName)}${path.length ? ` in ${where}` : ''}: it ${e.message ?? 'is not allowed'}.${allowed}` };
  }
  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const propSchema = ((parent.properties ?? {}) as Record<string, Schema>)[missing];
      const text = `${missing}: ${placeholderFor(propSchema)}`;
      return {
        path, target: 'key', severity: 'error',
        message: `Missing required property "${missing}"${path.length ? ` in ${where}` : ''}.`,
        fixes: [{ title: `Add missing property "${missing}"`, edits: [{ path, target: 'insert', newText: text }], preferred: true }],
      };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as object);
      const guess = closest(key, known);
      const keyPath = [...path, key];
      return {
        path: keyPath, target: 'key', severity: 'error',
        message: `Unknown property ${quote(key)}${path.length ? ` in ${where}` : ''}.` +
          (guess ? ` Did you mean "${guess}"?` : known.length ? ` Allowed: ${known.filter((k) => k !== '$schema').join(', ')}.` : ''),
        fixes: guess ? [{ title: `Change to "${guess}"`, edits: [{ path: keyPath, target: 'key', newText: guess }], preferred: true }] : undefined,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const guess = typeof data === 'string' ? closest(data, allowed.filter((a): a is string => typeof a === 'string')) : undefined;
      return {
        path, target: 'value', severity: 'error',
        message: (data === null ? `${where} has no value. Allowed: ` : `${show(data)} is not allowed for ${where}. Allowed: `) +
          `${allowed.map((a) => String(a)).join(', ')}.` + (guess ? ` Did you mean "${guess}"?` : ''),
        fixes: (guess ? [guess] : allowed.length <= 6 ? allowed : []).map((v, i) => ({
          title: `Change to ${yamlScalar(v)}`, edits: [{ path, target: 'value' as const, newText: yamlScalar(v) }], preferred: i === 0 && !!guess,
        })),
      };
    }
    case 'const':
      return { path, target: 'value', severity: 'error', message: `${where} must be ${show(params.allowedValue)}, not ${show(data)}.` };
    case 'type': {
      const want = String(params.type).split(',').map((t) => TYPE_WORDS[t] ?? t).join(' or ');
      return { path, target: 'value', severity: 'error', message: `${where} must be ${want}, not ${typeName(data)}${typeof data === 'object' ? '' : ` ${show(data)}`}.` };
    }
    case 'pattern': {
      const hint = typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : `expected text matching ${String(params.pattern)}`;
      const propName = (e as ErrorObject & { propertyName?: string }).propertyName;
      if (propName !== undefined) {
        return { path: [...path, propName], target: 'key', severity: 'error', message: `Invalid key ${quote(propName)} in ${where}: ${hint}.`.replace(/\.\.$/, '.') };
      }
      return { path, target: 'value', severity: 'error', message: `Invalid value ${show(data)} for ${where}: ${hint}.`.replace(/\.\.$/, '.') };
    }
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      return { path, target: 'value', severity: 'error', message: `${where} must be ${op} ${String(params.limit)}, got ${show(data)}.` };
    }
    case 'multipleOf':
      return { path, target: 'value', severity: 'error', message: `${where} must be a multiple of ${String(params.multipleOf)}, got ${show(data)}.` };
    case 'minItems': case 'maxItems': {
      const op = e.keyword === 'minItems' ? 'at least' : 'at most';
      return { path, target: 'value', severity: 'error', message: `${where} must have ${op} ${String(params.limit)} item${params.limit === 1 ? '' : 's'}, has ${Array.isArray(data) ? data.length : 0}.` };
    }
    case 'minLength': case 'maxLength': {
      const op = e.keyword === 'minLength' ? 'at least' : 'at most';
      return { path, target: 'value', severity: 'error', message: `${where} must be ${op} ${String(params.limit)} character${params.limit === 1 ? '' : 's'} long.` };
    }
    case 'minProperties': case 'maxProperties': {
      const op = e.keyword === 'minProperties' ? 'at least' : 'at most';
      return { path, target: 'value', severity: 'error', message: `${where} must have ${op} ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}.` };
    }
    case 'uniqueItems':
      return { path: [...path, Number(params.i)], target: 'value', severity: 'error', message: `Duplicate item in ${where}: items ${String(params.j)} and ${String(params.i)} are equal.` };
    case 'oneOf': {
      const passing = params.passingSchemas as number[] | null;
      return { path, target: 'value', severity: 'error', message: passing ? `${where} matches more than one allowed form (${passing.map((i) => branchLabel((e.schema as Schema[])[i])).join(' and ')}); make it unambiguous.` : `${where} does not match any allowed form.` };
    }
    case 'anyOf':
      return { path, target: 'value', severity: 'error', message: `${where} does not match any allowed form.` };
    case 'not':
      return { path, target: 'value', severity: 'error', message: typeof parent.errorMessage === 'string' ? parent.errorMessage : `${where} is not allowed in this form.` };
    case 'dependentRequired':
      return { path, target: 'key', severity: 'error', message: `"${String(params.property)}" in ${where} also needs "${String(params.missingProperty)}".` };
    case 'false schema':
      return { path, target: 'key', severity: 'error', message: `${where} is not allowed here.` };
    case 'unevaluatedProperties': {
      const key = String(params.unevaluatedProperty);
      return { path: [...path, key], target: 'key', severity: 'error', message: `Unknown property ${quote(key)}${path.length ? ` in ${where}` : ''}.` };
    }
    default:
      return { path, target: 'value', severity: 'error', message: `${where} ${e.message ?? 'is invalid'}.` };
  }
}
