// The JSON Schemas in schemas/: they compile, document every field, agree with the TypeScript
// shape contract (core/src/config/types.ts), and accept / reject the fixtures in
// test/fixtures/schemas/ with the expected ajv errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import ts from 'typescript';

type Schema = { [key: string]: unknown };
type Kind = 'experiment' | 'sweep' | 'targets';

const root = resolve(__dirname, '../..');
const fixtures = join(root, 'test/fixtures/schemas');
const kinds: Kind[] = ['experiment', 'sweep', 'targets'];
const idOf = (kind: Kind) => `https://expctl.dev/schemas/${kind}.schema.json`;
const schemas = Object.fromEntries(
  kinds.map((k) => [k, JSON.parse(readFileSync(join(root, 'schemas', `${k}.schema.json`), 'utf8')) as Schema]),
) as Record<Kind, Schema>;
const byId = new Map<string, Schema>(kinds.map((k) => [idOf(k), schemas[k]]));

/** Keywords the editor and the validator read but ajv does not know. */
const annotationKeywords = [
  'markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions', 'patternErrorMessage', 'defaultSnippets',
];

function makeAjv(options: { discriminator?: boolean } = {}): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, ...options });
  for (const keyword of annotationKeywords) ajv.addKeyword({ keyword });
  for (const k of kinds) ajv.addSchema(schemas[k]);
  return ajv;
}
const ajv = makeAjv();

function kindOf(file: string): Kind {
  if (file.endsWith('.experiment.yaml')) return 'experiment';
  if (file.endsWith('.sweep.yaml')) return 'sweep';
  if (file.endsWith('targets.yaml')) return 'targets';
  throw new Error(`cannot tell the file kind of ${file}`);
}

function validate(kind: Kind, data: unknown): ErrorObject[] {
  const v = ajv.getSchema(idOf(kind));
  assert.ok(v, `schema ${kind} is registered`);
  return v(data) ? [] : [...(v.errors ?? [])];
}

const show = (errors: ErrorObject[]) =>
  errors.map((e) => `  ${e.instancePath || '(root)'} ${e.keyword} ${JSON.stringify(e.params)}`).join('\n');

// ---------------------------------------------------------------------------------------------
// Walking a schema: every subschema with its JSON pointer.

interface Visit { schema: Schema; pointer: string; kind: Kind; isProperty: boolean; isDef: boolean }

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

function* walk(schema: Schema, pointer: string, kind: Kind, isProperty = false, isDef = false): Generator<Visit> {
  yield { schema, pointer, kind, isProperty, isDef };
  for (const key of ['properties', '$defs', 'patternProperties', 'dependentSchemas']) {
    const map = schema[key];
    if (!isSchema(map)) continue;
    for (const [name, sub] of Object.entries(map)) {
      if (isSchema(sub)) yield* walk(sub, `${pointer}/${key}/${escapePointer(name)}`, kind, key === 'properties', key === '$defs');
    }
  }
  for (const key of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const [i, sub] of list.entries()) if (isSchema(sub)) yield* walk(sub, `${pointer}/${key}/${i}`, kind);
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'contains']) {
    const sub = schema[key];
    if (isSchema(sub)) yield* walk(sub, `${pointer}/${key}`, kind);
  }
}

const everySubschema = () => kinds.flatMap((k) => [...walk(schemas[k], '', k)]);
const nonEmptyString = (v: unknown) => typeof v === 'string' && v.trim().length > 0;

/** A validator for the subschema at `pointer` of schema `kind` (refs resolve as in the whole schema). */
function subValidator(kind: Kind, pointer: string) {
  const fragment = pointer.split('/').map(encodeURIComponent).join('/');
  return ajv.compile({ $ref: `${idOf(kind)}#${fragment}` });
}

/** A snippet body with each `${1:text}` / `${1|a,b|}` replaced by its default; `^` values parsed as YAML scalars. */
function expandSnippet(body: unknown): unknown {
  if (typeof body === 'string') {
    const raw = body.startsWith('^');
    const text = (raw ? body.slice(1) : body)
      .replace(/\$\{\d+:([^}]*)\}/g, '$1')
      .replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1')
      .replace(/\$\{\d+\}|\$\d+/g, '');
    return raw ? parse(text) : text;
  }
  if (Array.isArray(body)) return body.map(expandSnippet);
  if (isSchema(body)) return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, expandSnippet(v)]));
  return body;
}

describe('schemas: structure and documentation', () => {
  test('each schema is 2020-12 with the expected $id', () => {
    for (const k of kinds) {
      assert.equal(schemas[k].$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(schemas[k].$id, idOf(k));
      assert.ok(nonEmptyString(schemas[k].description) && nonEmptyString(schemas[k].markdownDescription), k);
    }
  });

  test('the three schemas are valid JSON Schemas and compile together', () => {
    for (const k of kinds) {
      assert.ok(ajv.validateSchema(schemas[k]), `${k}: ${JSON.stringify(ajv.errors)}`);
      assert.equal(typeof ajv.getSchema(idOf(k)), 'function');
    }
  });

  test('every property has description, markdownDescription and examples', () => {
    const missing: string[] = [];
    for (const v of everySubschema()) {
      if (!v.isProperty) continue;
      const where = `${v.kind}#${v.pointer}`;
      if (!nonEmptyString(v.schema.description)) missing.push(`${where}: description`);
      if (!nonEmptyString(v.schema.markdownDescription)) missing.push(`${where}: markdownDescription`);
      if (!Array.isArray(v.schema.examples) || v.schema.examples.length === 0) missing.push(`${where}: examples`);
    }
    assert.deepEqual(missing, []);
  });

  test('every $defs entry has description and markdownDescription', () => {
    const missing = everySubschema()
      .filter((v) => v.isDef && !(nonEmptyString(v.schema.description) && nonEmptyString(v.schema.markdownDescription)))
      .map((v) => `${v.kind}#${v.pointer}`);
    assert.deepEqual(missing, []);
  });

  test('every enum has enumDescriptions and markdownEnumDescriptions of the same length', () => {
    const bad: string[] = [];
    for (const v of everySubschema()) {
      const values = v.schema.enum;
      if (values === undefined) continue;
      assert.ok(Array.isArray(values));
      for (const key of ['enumDescriptions', 'markdownEnumDescriptions']) {
        const d = v.schema[key];
        if (!Array.isArray(d) || d.length !== values.length || !d.every(nonEmptyString)) {
          bad.push(`${v.kind}#${v.pointer}: ${key}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });

  test('every pattern has a patternErrorMessage and compiles as a unicode RegExp', () => {
    const bad: string[] = [];
    for (const v of everySubschema()) {
      if (v.schema.pattern === undefined) continue;
      if (!nonEmptyString(v.schema.patternErrorMessage)) bad.push(`${v.kind}#${v.pointer}`);
      assert.doesNotThrow(() => new RegExp(v.schema.pattern as string, 'u'));
    }
    assert.deepEqual(bad, []);
  });

  test('every object we define closes its properties (except free-form maps)', () => {
    const open: string[] = [];
    for (const v of everySubschema()) {
      const s = v.schema;
      if (s.properties !== undefined && s.additionalProperties !== false && !Array.isArray(s.oneOf)) {
        open.push(`${v.kind}#${v.pointer}`);
      }
    }
    assert.deepEqual(open, []);
  });

  test('examples and defaults are valid against their own schema', () => {
    const bad: string[] = [];
    for (const v of everySubschema()) {
      const samples = [...(Array.isArray(v.schema.examples) ? v.schema.examples : [])];
      if ('default' in v.schema) samples.push(v.schema.default);
      if (samples.length === 0) continue;
      const check = subValidator(v.kind, v.pointer);
      for (const sample of samples) {
        if (!check(sample)) bad.push(`${v.kind}#${v.pointer} ${JSON.stringify(sample)}\n${show(check.errors ?? [])}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('defaultSnippets are labelled and their bodies, with placeholder defaults, are valid', () => {
    const bad: string[] = [];
    let count = 0;
    for (const v of everySubschema()) {
      const snippets = v.schema.defaultSnippets;
      if (snippets === undefined) continue;
      assert.ok(Array.isArray(snippets) && snippets.length > 0, `${v.kind}#${v.pointer}`);
      const check = subValidator(v.kind, v.pointer);
      for (const s of snippets as Schema[]) {
        count++;
        assert.ok(nonEmptyString(s.label) && nonEmptyString(s.description), `${v.kind}#${v.pointer} snippet`);
        const body = expandSnippet(s.body);
        if (!check(body)) bad.push(`${v.kind}#${v.pointer} "${String(s.label)}" ${JSON.stringify(body)}\n${show(check.errors ?? [])}`);
      }
    }
    assert.deepEqual(bad, []);
    assert.ok(count >= 10, `only ${count} snippets`);
  });

  test('snippets exist for the objects users fill often', () => {
    const exp = schemas.experiment.$defs as Record<string, Schema>;
    const sweep = schemas.sweep.$defs as Record<string, Schema>;
    const targets = schemas.targets.$defs as Record<string, Schema>;
    for (const s of [exp.launcher, exp.retry, exp.resources, exp.kafka, exp.kubernetes, exp.onOom, exp.metrics,
      sweep.paramSpec, targets.target]) {
      assert.ok(Array.isArray(s.defaultSnippets) && s.defaultSnippets.length > 0, String(s.description));
    }
    const labels = (s: Schema) => (s.defaultSnippets as Schema[]).map((x) => JSON.stringify(x.body));
    assert.ok(labels(exp.launcher).some((b) => b.includes('"accelerate"')));
    assert.ok(labels(exp.launcher).some((b) => b.includes('"torchrun"')));
    for (const form of ['"values"', '"range"', '"distribution"']) assert.ok(labels(sweep.paramSpec).some((b) => b.includes(form)), form);
    for (const t of ['"local"', '"kubernetes"']) assert.ok(labels(targets.target).some((b) => b.includes(t)), t);
  });
});

// ---------------------------------------------------------------------------------------------
// The schemas mirror core/src/config/types.ts: same fields, same required fields, same enum values.

interface Located { schema: Schema; docId: string }

function deref(schema: Schema, docId: string): Located {
  let cur: Located = { schema, docId };
  for (let guard = 0; typeof cur.schema.$ref === 'string'; guard++) {
    assert.ok(guard < 20, 'reference loop');
    const [uri, fragment = ''] = (cur.schema.$ref as string).split('#');
    const id = uri === '' ? cur.docId : uri;
    let node: unknown = byId.get(id);
    assert.ok(node, `unknown schema ${id}`);
    for (const part of fragment.split('/').slice(1)) {
      node = (node as Schema)[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    assert.ok(isSchema(node), `unresolved $ref ${String(cur.schema.$ref)}`);
    cur = { schema: node, docId: id };
  }
  return cur;
}

/** String values an instance may take by enum / const, through anyOf / oneOf branches. */
function schemaLiterals(at: Located): string[] {
  const { schema, docId } = deref(at.schema, at.docId);
  const out: string[] = [];
  if (Array.isArray(schema.enum)) out.push(...schema.enum.filter((x): x is string => typeof x === 'string'));
  if (typeof schema.const === 'string') out.push(schema.const);
  for (const key of ['anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) for (const b of list) if (isSchema(b) && !b.properties) out.push(...schemaLiterals({ schema: b, docId }));
  }
  return out.sort();
}

const source = ts.createSourceFile('types.ts', readFileSync(join(root, 'core/src/config/types.ts'), 'utf8'), ts.ScriptTarget.ES2022, true);
const interfaces = new Map<string, ts.InterfaceDeclaration>();
const aliases = new Map<string, ts.TypeAliasDeclaration>();
for (const st of source.statements) {
  if (ts.isInterfaceDeclaration(st)) interfaces.set(st.name.text, st);
  if (ts.isTypeAliasDeclaration(st)) aliases.set(st.name.text, st);
}

const experimentBody = (schemas.experiment.$defs as Record<string, Schema>).experimentBody;

class ShapeChecker {
  private found = new Set<string>();
  get problems(): string[] { return [...this.found]; }

  object(members: ts.NodeArray<ts.TypeElement>, at: Located, path: string): void {
    const { schema, docId } = deref(at.schema, at.docId);
    const props = schema.properties as Record<string, Schema> | undefined;
    if (!props) { this.found.add(`${path}: schema has no properties`); return; }
    const fields = members.filter(ts.isPropertySignature);
    const names = fields.map((m) => m.name.getText(source).replace(/^['"]|['"]$/g, ''));
    const extra = Object.keys(props).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !(n in props));
    if (extra.length) this.found.add(`${path}: in the schema only: ${extra.join(', ')}`);
    if (missing.length) this.found.add(`${path}: in types.ts only: ${missing.join(', ')}`);
    // The experiment body requires nothing; the experiment file adds `required` at the top.
    if (schema !== experimentBody) {
      const required = fields.filter((m) => !m.questionToken).map((m) => m.name.getText(source)).sort();
      const schemaRequired = [...((schema.required as string[] | undefined) ?? [])].sort();
      if (JSON.stringify(required) !== JSON.stringify(schemaRequired)) {
        this.found.add(`${path}: required ${JSON.stringify(schemaRequired)} in the schema, ${JSON.stringify(required)} in types.ts`);
      }
    }
    for (const [i, m] of fields.entries()) {
      if (m.type && props[names[i]]) this.type(m.type, { schema: props[names[i]], docId }, `${path}.${names[i]}`);
    }
  }

  /** String literals of a type, following aliases; undefined if it is not only literals and primitives. */
  literals(t: ts.TypeNode): string[] {
    if (ts.isParenthesizedTypeNode(t)) return this.literals(t.type);
    if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
    if (ts.isUnionTypeNode(t)) return t.types.flatMap((x) => this.literals(x));
    if (ts.isTypeReferenceNode(t) && aliases.has(t.typeName.getText(source))) {
      return this.literals(aliases.get(t.typeName.getText(source))!.type);
    }
    return [];
  }

  isObjectType(t: ts.TypeNode): boolean {
    if (ts.isTypeLiteralNode(t)) return true;
    if (!ts.isTypeReferenceNode(t)) return false;
    const name = t.typeName.getText(source);
    return interfaces.has(name) || (aliases.has(name) && this.isObjectType(aliases.get(name)!.type));
  }

  isArrayType(t: ts.TypeNode): boolean {
    return ts.isArrayTypeNode(t) || (ts.isTypeReferenceNode(t) && t.typeName.getText(source) === 'Array');
  }

  /** The branch of a union schema that is an object / an array, or the schema itself. */
  branch(at: Located, want: 'object' | 'array'): Located | undefined {
    const cur = deref(at.schema, at.docId);
    const fits = (s: Schema) => (want === 'object' ? s.properties !== undefined || s.oneOf !== undefined : s.items !== undefined);
    if (fits(cur.schema)) return cur;
    for (const key of ['anyOf', 'oneOf']) {
      const list = cur.schema[key];
      if (!Array.isArray(list)) continue;
      for (const b of list) {
        const r = deref(b as Schema, cur.docId);
        if (fits(r.schema)) return r;
      }
    }
    return undefined;
  }

  type(t: ts.TypeNode, at: Located, path: string): void {
    if (ts.isParenthesizedTypeNode(t)) return this.type(t.type, at, path);
    const lits = this.literals(t);
    if (lits.length) {
      const expected = [...new Set(lits)].sort();
      const actual = [...new Set(schemaLiterals(at))].sort();
      if (JSON.stringify(expected) !== JSON.stringify(actual)) {
        this.found.add(`${path}: values ${JSON.stringify(actual)} in the schema, ${JSON.stringify(expected)} in types.ts`);
      }
    }
    if (ts.isTypeLiteralNode(t)) return this.object(t.members, at, path);
    if (ts.isArrayTypeNode(t)) return this.items(t.elementType, at, path);
    if (ts.isTypeReferenceNode(t)) {
      const name = t.typeName.getText(source);
      const args = t.typeArguments ?? [];
      if (name === 'Array') return this.items(args[0], at, path);
      if (name === 'Record') {
        const value = args[1];
        if (value.kind === ts.SyntaxKind.UnknownKeyword || value.kind === ts.SyntaxKind.StringKeyword) return;
        const { schema, docId } = deref(at.schema, at.docId);
        if (!isSchema(schema.additionalProperties)) { this.found.add(`${path}: map without additionalProperties schema`); return; }
        return this.type(value, { schema: schema.additionalProperties, docId }, `${path}[*]`);
      }
      if (interfaces.has(name)) return this.object(interfaces.get(name)!.members, at, path);
      if (aliases.has(name)) return this.type(aliases.get(name)!.type, at, path);
      return;
    }
    if (ts.isUnionTypeNode(t)) {
      const objects = t.types.filter((x) => this.isObjectType(x));
      const arrays = t.types.filter((x) => this.isArrayType(x));
      if (objects.length > 1) {
        const { schema, docId } = deref(at.schema, at.docId);
        const branches = schema.oneOf as Schema[] | undefined;
        if (!branches || branches.length !== objects.length) {
          this.found.add(`${path}: ${objects.length} object branches in types.ts, oneOf of ${branches?.length ?? 0} in the schema`);
          return;
        }
        objects.forEach((o, i) => this.type(o, { schema: branches[i], docId }, `${path}|${i}`));
      } else if (objects.length === 1) {
        const b = this.branch(at, 'object');
        if (b) this.type(objects[0], b, path); else this.found.add(`${path}: no object branch in the schema`);
      }
      if (arrays.length === 1) {
        const b = this.branch(at, 'array');
        if (b) this.type(arrays[0], b, path); else this.found.add(`${path}: no array branch in the schema`);
      }
    }
  }

  items(element: ts.TypeNode, at: Located, path: string): void {
    if (element.kind === ts.SyntaxKind.UnknownKeyword) return;
    const b = this.branch(at, 'array');
    if (!b) { this.found.add(`${path}: no items in the schema`); return; }
    this.type(element, { schema: b.schema.items as Schema, docId: b.docId }, `${path}[]`);
  }
}

describe('schemas: mirror core/src/config/types.ts', () => {
  const members = (name: string) => interfaces.get(name)!.members;

  test('the experiment has the fields, required fields and enum values of Experiment', () => {
    const c = new ShapeChecker();
    c.object(members('Experiment'), { schema: schemas.experiment, docId: idOf('experiment') }, 'Experiment');
    assert.deepEqual(c.problems, []);
    const required = members('Experiment').filter(ts.isPropertySignature).filter((m) => !m.questionToken).map((m) => m.name.getText(source));
    assert.deepEqual([...(schemas.experiment.required as string[])].sort(), required.sort());
  });

  test('the sweep has the fields, required fields and enum values of Sweep', () => {
    const c = new ShapeChecker();
    c.object(members('Sweep'), { schema: schemas.sweep, docId: idOf('sweep') }, 'Sweep');
    assert.deepEqual(c.problems, []);
  });

  test('the targets file has the fields, required fields and enum values of TargetsFile', () => {
    const c = new ShapeChecker();
    c.object(members('TargetsFile'), { schema: schemas.targets, docId: idOf('targets') }, 'TargetsFile');
    assert.deepEqual(c.problems, []);
  });
});

// ---------------------------------------------------------------------------------------------
// Fixtures.

const yamlFiles = (dir: string) => readdirSync(join(fixtures, dir)).filter((f) => f.endsWith('.yaml')).sort();
const load = (dir: string, file: string): unknown => parse(readFileSync(join(fixtures, dir, file), 'utf8'));

describe('schemas: valid fixtures', () => {
  const files = yamlFiles('valid');

  test('cover every file kind and the required examples', () => {
    for (const f of ['full.experiment.yaml', 'minimal.experiment.yaml', 'grid.sweep.yaml', 'random.sweep.yaml',
      'list.sweep.yaml', 'targets.yaml']) {
      assert.ok(files.includes(f), f);
    }
  });

  for (const file of files) {
    test(`${file} has no errors`, () => {
      const errors = validate(kindOf(file), load('valid', file));
      assert.equal(errors.length, 0, `\n${show(errors)}`);
    });
  }

  test('the full experiment uses every experiment field', () => {
    const data = load('valid', 'full.experiment.yaml') as Schema;
    const defs = schemas.experiment.$defs as Record<string, Schema>;
    const keys = (s: Schema) => Object.keys(s.properties as Schema).sort();
    assert.deepEqual(Object.keys(data).sort(), keys(defs.experimentBody));
    for (const [field, def] of [['retry', 'retry'], ['metrics', 'metrics'], ['kubernetes', 'kubernetes'], ['resources', 'resources']]) {
      assert.deepEqual(Object.keys(data[field] as Schema).sort(), keys(defs[def]), field);
    }
    assert.deepEqual(Object.keys((data.data as Schema).kafka as Schema).sort(), keys(defs.kafka));
    assert.deepEqual(Object.keys(data.launcher as Schema).sort(), keys(defs.launcherAccelerate));
  });

  test('the random sweep uses every parameter form and distribution', () => {
    const specs = Object.values((load('valid', 'random.sweep.yaml') as Schema).parameters as Record<string, Schema>);
    for (const key of ['values', 'value', 'range']) assert.ok(specs.some((s) => key in s && !('distribution' in s)), key);
    for (const d of ['uniform', 'log_uniform', 'int_uniform', 'normal', 'choice']) {
      assert.ok(specs.some((s) => s.distribution === d), d);
    }
  });
});

interface Expected {
  instancePath: string;
  keyword: string;
  params?: Record<string, unknown>;
}

/** Per invalid fixture: errors that must be reported; `only` when they are all the errors. */
const invalid: Record<string, { expect: Expected[]; only?: boolean }> = {
  'unknown-key.experiment.yaml': {
    expect: [{ instancePath: '/resources', keyword: 'additionalProperties', params: { additionalProperty: 'gpu' } }], only: true,
  },
  'bad-enum.experiment.yaml': {
    expect: [{ instancePath: '/launcher/mixed_precision', keyword: 'enum', params: { allowedValues: ['no', 'fp16', 'bf16', 'fp8'] } }],
  },
  'bad-duration.experiment.yaml': { expect: [{ instancePath: '/timeout', keyword: 'pattern' }], only: true },
  'bad-memory.experiment.yaml': { expect: [{ instancePath: '/resources/memory', keyword: 'pattern' }], only: true },
  'bad-gpus.experiment.yaml': { expect: [{ instancePath: '/resources/gpus', keyword: 'pattern' }], only: true },
  'launcher-mixed.experiment.yaml': {
    expect: [
      { instancePath: '/launcher', keyword: 'additionalProperties', params: { additionalProperty: 'nproc_per_node' } },
      { instancePath: '/launcher', keyword: 'oneOf' },
    ],
  },
  'param-mixed.sweep.yaml': {
    expect: [
      { instancePath: '/parameters/params.lr', keyword: 'oneOf' },
      { instancePath: '/parameters/params.lr', keyword: 'additionalProperties', params: { additionalProperty: 'values' } },
      { instancePath: '/parameters/params.lr', keyword: 'additionalProperties', params: { additionalProperty: 'distribution' } },
    ],
  },
  'target-uppercase.targets.yaml': {
    expect: [
      { instancePath: '/targets', keyword: 'propertyNames', params: { propertyName: 'GPU-Cluster' } },
      { instancePath: '/targets', keyword: 'pattern' },
    ],
    only: true,
  },
  'missing-command.experiment.yaml': {
    expect: [{ instancePath: '', keyword: 'required', params: { missingProperty: 'command' } }], only: true,
  },
  'env-number.experiment.yaml': {
    expect: [{ instancePath: '/env/NCCL_TIMEOUT', keyword: 'type', params: { type: 'string' } }], only: true,
  },
  'kafka-offsets.experiment.yaml': {
    expect: [
      { instancePath: '/data/kafka/offsets/1', keyword: 'pattern' },
      { instancePath: '/data/kafka/split', keyword: 'maxItems' },
    ],
    only: true,
  },
  'retry-on.experiment.yaml': {
    expect: [
      { instancePath: '/retry/on/1', keyword: 'anyOf' },
      { instancePath: '/retry/on/2', keyword: 'maximum' },
    ],
  },
  'both-sources.sweep.yaml': { expect: [{ instancePath: '', keyword: 'oneOf', params: { passingSchemas: [0, 1] } }], only: true },
  'bad-param-path.sweep.yaml': {
    expect: [{ instancePath: '/parameters', keyword: 'propertyNames', params: { propertyName: 'params lr' } }],
  },
  'local-target-extra.targets.yaml': {
    expect: [{ instancePath: '/targets/workstation', keyword: 'additionalProperties', params: { additionalProperty: 'image' } }],
  },
};

function matches(e: ErrorObject, x: Expected): boolean {
  if (e.instancePath !== x.instancePath || e.keyword !== x.keyword) return false;
  return Object.entries(x.params ?? {}).every(([k, v]) => JSON.stringify((e.params as Record<string, unknown>)[k]) === JSON.stringify(v));
}

describe('schemas: invalid fixtures', () => {
  const files = yamlFiles('invalid');

  test('every invalid fixture has an expectation, and every expectation a fixture', () => {
    assert.deepEqual(files, Object.keys(invalid).sort());
  });

  for (const file of files) {
    test(`${file} is rejected with the expected errors`, () => {
      const errors = validate(kindOf(file), load('invalid', file));
      const { expect, only } = invalid[file] ?? { expect: [] };
      assert.ok(errors.length > 0, 'no errors');
      for (const x of expect) assert.ok(errors.some((e) => matches(e, x)), `missing ${JSON.stringify(x)} in\n${show(errors)}`);
      if (only) assert.equal(errors.length, expect.length, `unexpected extra errors\n${show(errors)}`);
      for (const e of errors.filter((e) => e.keyword === 'pattern')) {
        assert.ok(nonEmptyString((e.parentSchema as Schema).patternErrorMessage), `no patternErrorMessage for ${e.schemaPath}`);
      }
    });
  }

  test('with ajv discriminator: true, a wrong launcher or target field is the only error', () => {
    const strictAjv = makeAjv({ discriminator: true });
    const check = (kind: Kind, file: string) => {
      const v = strictAjv.getSchema(idOf(kind))!;
      assert.equal(v(load('invalid', file)), false);
      return (v.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    };
    assert.deepEqual(check('experiment', 'launcher-mixed.experiment.yaml'), ['/launcher additionalProperties']);
    assert.deepEqual(check('experiment', 'bad-enum.experiment.yaml'), ['/launcher/mixed_precision enum']);
    assert.deepEqual(check('targets', 'local-target-extra.targets.yaml'), ['/targets/workstation additionalProperties']);
    for (const file of yamlFiles('valid')) {
      const v = strictAjv.getSchema(idOf(kindOf(file)))!;
      assert.ok(v(load('valid', file)), `${file}\n${show(v.errors ?? [])}`);
    }
  });
});
