// Users' own schemas (modeline, `$schema` key, `expctl.schemas` setting) through core's validate
// path, data written as YAML: the conformance classes where ajv failed users (JS-member property
// names, recursive $ref, $dynamicRef, unevaluated* beside contains/if/allOf), draft-07 and 2019-09
// basics, schemas that loop or explode, and the official suite's required draft 2020-12 cases.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { validateText } from '../../core/src/validate';
import { defaultSettings } from '../../core/src/rules/api';
import type { ValidationSettings } from '../../core/src/rules/api';
import type { Diagnostic } from '../../core/src/diagnostic';
import { chooseSchema } from '../../core/src/schema/registry';
import { UserValidator } from '../../core/src/schema/user-validator';
import { memHost } from '../helpers/memfs';

const D = '/w';
const S2020 = 'https://json-schema.org/draft/2020-12/schema';
const MODELINE = '# yaml-language-server: $schema=./s.json\n';

/** Validates YAML `body` (after a modeline naming ./s.json) against `schema`; extra files beside it. */
function check(schema: unknown, body: string, files: Record<string, string> = {}, settings: ValidationSettings = defaultSettings): Diagnostic[] {
  const text = MODELINE + body;
  const file = `${D}/data.yaml`;
  return validateText(file, text, memHost({ [`${D}/s.json`]: JSON.stringify(schema), ...files, [file]: text }), settings).diagnostics;
}

const messages = (ds: Diagnostic[]) => ds.map((d) => d.message);
const line = (d: Diagnostic) => d.range.start.line;

test('properties named like JS object members are ordinary names', () => {
  // Parsed, as a schema file is: in an object literal `__proto__` would set the prototype.
  const schema: unknown = JSON.parse(`{ "$schema": "${S2020}", "type": "object", "additionalProperties": false, "required": ["constructor"],
    "properties": { "constructor": { "type": "string" }, "toString": { "type": "integer" }, "__proto__": { "type": "number" }, "valueOf": { "const": 1 } } }`);
  assert.deepEqual(check(schema, 'constructor: x\ntoString: 3\n__proto__: 1.5\nvalueOf: 1\n'), []);
  const ds = check(schema, 'constructor: 1\ntoString: x\n__proto__: no\nhasOwnProperty: 1\n');
  assert.deepEqual(ds.map(line).sort(), [1, 2, 3, 4]);
  assert.match(ds.find((d) => line(d) === 1)!.message, /constructor must be a string, not integer 1/);
  assert.match(ds.find((d) => line(d) === 2)!.message, /toString must be an integer/);
  assert.match(ds.find((d) => line(d) === 3)!.message, /__proto__ must be a number/);
  assert.match(ds.find((d) => line(d) === 4)!.message, /Unknown property "hasOwnProperty"/);
  // Missing: `constructor` is not found on Object.prototype.
  const missing = check(schema, 'toString: 3\n');
  assert.deepEqual(messages(missing), ['Missing required property "constructor".']);
});

test('recursive $ref: errors deep in a tree land on their line', () => {
  const schema = {
    $schema: S2020, $ref: '#/$defs/node',
    $defs: { node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, additionalProperties: false } },
  };
  const body = 'name: a\nchildren:\n  - name: b\n    children:\n      - name: c\n        children:\n          - name: 4\n          - nmae: e\n';
  const ds = check(schema, body);
  assert.deepEqual(ds.map((d) => [line(d), d.message]), [
    [7, 'children[0].children[0].children[0].name must be a string, not integer 4.'],
    [8, 'Unknown property "nmae" in children[0].children[0].children[1]. Did you mean "name"?'],
  ]);
});

test('a schema whose $ref loops gives one diagnostic on the modeline, not a stack overflow', () => {
  for (const schema of [
    { $ref: '#' },
    { $schema: S2020, $defs: { a: { $ref: '#/$defs/b' }, b: { allOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' },
    { $schema: S2020, $dynamicAnchor: 'x', anyOf: [{ $dynamicRef: '#x' }] },
  ]) {
    const ds = check(schema, 'a: 1\n');
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.equal(ds[0].rule, 'schema-ref');
    assert.deepEqual([ds[0].range.start.line, ds[0].range.end.line], [0, 0]);
    assert.match(ds[0].message, /s\.json could not check this document: \$(dynamic)?[rR]ef "#[^"]*" leads back to itself without going into the data/);
  }
});

test('recursion deeper than the limit and combinatorial schemas end in a diagnostic, quickly', () => {
  const deep = { $schema: S2020, type: 'object', properties: { c: { $ref: '#' } } };
  let body = '';
  for (let i = 0; i < 600; i++) body += `${'  '.repeat(i)}c:\n`;
  const ds = check(deep, `${body}${'  '.repeat(600)}x: 1\n`);
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /recursed more than \d+ levels deep at \/c\/c\/c.*…/);
  assert.equal(line(ds[0]), 0);

  const expo: Record<string, unknown> = { $schema: S2020, $defs: {}, $ref: '#/$defs/d0' };
  for (let i = 0; i < 40; i++) (expo.$defs as Record<string, unknown>)[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  (expo.$defs as Record<string, unknown>).d40 = { type: 'string' };
  const t0 = Date.now();
  const slow = check(expo, '1\n');
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.equal(slow.length, 1);
  assert.match(slow[0].message, /took more than .* \(anyOf\/oneOf\/\$ref that nest combinatorially\); simplify the schema\.$/);
});

test('$dynamicRef / $dynamicAnchor: a strict tree extends a generic one', () => {
  const tree = {
    $schema: S2020, $id: 'https://example.com/tree', $dynamicAnchor: 'node', type: 'object',
    properties: { data: true, children: { type: 'array', items: { $dynamicRef: '#node' } } },
  };
  const strict = { $schema: S2020, $id: 'https://example.com/strict-tree', $dynamicAnchor: 'node', $ref: 'tree', unevaluatedProperties: false };
  // The generic tree is found by its $id inside the strict one's $defs.
  const schema = { ...strict, $defs: { tree } };
  assert.deepEqual(check(schema, 'data: 1\nchildren:\n  - data: 2\n    children: [{ data: 3 }]\n'), []);
  const ds = check(schema, 'data: 1\nchildren:\n  - data: 2\n    children: [{ daat: 3 }]\n');
  assert.deepEqual(ds.map((d) => [line(d), d.message]), [[4, 'Unknown property "daat" in children[0].children[0].']]);
  // A $dynamicRef whose initial target has no matching $dynamicAnchor acts as a $ref.
  const plain = { $schema: S2020, $defs: { s: { $anchor: 'items', type: 'string' } }, type: 'array', items: { $dynamicRef: '#items' } };
  assert.deepEqual(check(plain, '- a\n- 2\n').map((d) => [line(d), d.message]), [[2, '[1] must be a string, not integer 2.']]);
});

test('unevaluatedItems next to contains, and unevaluatedProperties next to if and allOf', () => {
  const items = { $schema: S2020, type: 'array', prefixItems: [{ type: 'string' }], contains: { type: 'boolean' }, unevaluatedItems: false };
  assert.deepEqual(check(items, '- a\n- true\n- false\n'), []);
  const bad = check(items, '- a\n- true\n- 3\n');
  assert.equal(bad.length, 1);
  assert.equal(line(bad[0]), 1);
  assert.equal(bad[0].message, 'the document must not have item [2]: no schema here allows it (unevaluatedItems).');

  const props = {
    $schema: S2020, type: 'object', properties: { kind: { enum: ['a', 'b'] } }, allOf: [{ properties: { common: { type: 'integer' } } }],
    if: { properties: { kind: { const: 'a' } } }, then: { properties: { alpha: true } }, else: { properties: { beta: true } },
    unevaluatedProperties: false,
  };
  assert.deepEqual(check(props, 'kind: a\ncommon: 1\nalpha: 1\n'), []);
  assert.deepEqual(check(props, 'kind: b\ncommon: 1\nbeta: 1\n'), []);
  assert.deepEqual(messages(check(props, 'kind: a\ncommon: 1\nbeta: 1\n')), ['Unknown property "beta".']);
  // Properties seen only by a failing `if` are not evaluated.
  const failingIf = { $schema: S2020, if: { properties: { foo: { const: 'x' } }, required: ['foo'] }, unevaluatedProperties: false };
  assert.deepEqual(messages(check(failingIf, 'foo: y\n')), ['Unknown property "foo".']);
});

test('a key that fails propertyNames is reported on the key', () => {
  const schema = { $schema: S2020, properties: { env: { propertyNames: { maxLength: 3 } } }, propertyNames: { enum: ['env', 'x'] } };
  assert.deepEqual(check(schema, 'env:\n  ABC: 1\n  TOOLONG: 2\nother: 1\n').map((d) => [line(d), d.range.start.character, d.message]), [
    [3, 2, 'Invalid key "TOOLONG" in env: it must be at most 3 characters long.'],
    [4, 0, 'Invalid key "other": it must be one of the allowed values. Allowed: env, x.'],
  ]);
});

test('draft-07: $ref replaces its siblings, items/additionalItems, dependencies, definitions', () => {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#', type: 'object',
    definitions: { port: { type: 'integer', maximum: 65535 } },
    properties: {
      port: { $ref: '#/definitions/port', type: 'string' },
      pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
    },
    dependencies: { tls: ['cert'], cert: { required: ['key'] } },
  };
  assert.deepEqual(check(schema, 'port: 80\npair: [a, 1]\n'), []);
  const ds = check(schema, 'port: 70000\npair: [a, 1, 2]\ntls: true\n');
  assert.deepEqual(messages(ds).sort(), [
    'pair must have at most 2 items.',
    'port must be ≤ 65535, got 70000.',
    'the document must have property cert when property tls is present.',
  ]);
  // 2020-12 keywords mean nothing in draft-07.
  assert.deepEqual(check({ $schema: 'http://json-schema.org/draft-07/schema#', prefixItems: [{ type: 'string' }] }, '[1]\n'), []);
});

test('2019-09: $recursiveRef, dependentRequired, unevaluatedProperties', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2019-09/schema', $recursiveAnchor: true, type: 'object',
    properties: { name: { type: 'string' }, id: { type: 'integer' }, sub: { $recursiveRef: '#' } }, dependentRequired: { name: ['id'] },
    unevaluatedProperties: false,
  };
  assert.deepEqual(check(schema, 'name: a\nid: 1\nsub:\n  sub: { id: 2 }\n'), []);
  const ds = check(schema, 'name: a\nid: 1\nsub:\n  sub: { name: b, extra: 1 }\n');
  assert.deepEqual(messages(ds).sort(), ['"name" in sub.sub also needs "id".', 'Unknown property "extra" in sub.sub.']);
});

test('schema choice: modeline > $schema key > expctl.schemas setting > file name', () => {
  const assoc = { root: D, schemas: { './schemas/svc.json': ['*.svc.yaml', 'deploy/**/*.yml'], './schemas/exp.json': '**/special.experiment.yaml' } };
  assert.deepEqual(chooseSchema(`${D}/a/b/web.svc.yaml`, undefined, assoc), { type: 'custom', file: `${D}/schemas/svc.json` });
  assert.deepEqual(chooseSchema(`${D}/deploy/x/y/z.yml`, undefined, assoc), { type: 'custom', file: `${D}/schemas/svc.json` });
  assert.deepEqual(chooseSchema(`${D}/deploy.yml`, undefined, assoc), { type: 'none' });
  assert.deepEqual(chooseSchema(`${D}/special.experiment.yaml`, undefined, assoc), { type: 'custom', file: `${D}/schemas/exp.json` });
  assert.deepEqual(chooseSchema(`${D}/other.experiment.yaml`, undefined, assoc), { type: 'builtin', kind: 'experiment' });
  assert.deepEqual(chooseSchema(`${D}/a/web.svc.yaml`, './mine.json', assoc), { type: 'custom', file: `${D}/a/mine.json` });
  assert.deepEqual(chooseSchema('/elsewhere/web.svc.yaml', undefined, assoc), { type: 'none' });

  const svc = JSON.stringify({ $schema: S2020, type: 'object', properties: { port: { type: 'integer' } } });
  const settings = { ...defaultSettings, schemas: assoc };
  const host = memHost({ [`${D}/schemas/svc.json`]: svc, [`${D}/own.json`]: JSON.stringify({ required: ['own'] }) });
  assert.deepEqual(messages(validateText(`${D}/web.svc.yaml`, 'port: x\n', host, settings).diagnostics), ['port must be an integer, not string "x".']);
  // The $schema key wins over the setting.
  assert.deepEqual(messages(validateText(`${D}/web.svc.yaml`, '$schema: ./own.json\nport: x\n', host, settings).diagnostics), ['Missing required property "own".']);
});

test('a relative $ref to another schema file is read, and its changes are seen', () => {
  const schema = { $schema: S2020, type: 'object', properties: { port: { $ref: 'common.json#/$defs/port' } } };
  const files = { [`${D}/common.json`]: JSON.stringify({ $defs: { port: { type: 'integer', minimum: 1 } } }) };
  assert.deepEqual(messages(check(schema, 'port: 0\n', files)), ['port must be ≥ 1, got 0.']);
  files[`${D}/common.json`] = JSON.stringify({ $defs: { port: { type: 'integer', minimum: 0 } } });
  assert.deepEqual(check(schema, 'port: 0\n', files), []);
  const gone = check(schema, 'port: 0\n', {});
  assert.equal(gone.length, 1);
  assert.equal(line(gone[0]), 0);
  assert.equal(gone[0].message, 'Schema /w/s.json is not usable: $ref "common.json#/$defs/port" names /w/common.json, which is not there (or not a regular file).');
  // URLs are never fetched.
  assert.equal(messages(check({ $ref: 'https://example.com/x.json' }, 'a: 1\n'))[0],
    'Schema /w/s.json is not usable: $ref "https://example.com/x.json" names https://example.com/x.json, which expctl does not fetch (it works offline); save that schema as a file and refer to it by path.');
});

test('a nested-quantifier pattern in a user schema cannot hang validation', () => {
  const schema = { $schema: S2020, properties: { id: { pattern: '^(a+)+$' } } };
  const t0 = Date.now();
  const ds = check(schema, `id: ${'a'.repeat(40)}b\n`);
  assert.ok(Date.now() - t0 < 2000);
  // Either run in linear time (an ordinary mismatch) or refused up front with a message.
  assert.equal(ds.length, 1);
  assert.match(ds[0].message, /Invalid value "a+b" for id|nested quantifiers/);
});

interface SuiteCase { description: string; data: unknown; valid: boolean }
interface SuiteGroup { description: string; schema: unknown; tests: SuiteCase[] }
const suite = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/json-schema-test-suite/draft2020-12.json'), 'utf8')) as
  { files: Record<string, SuiteGroup[]>; remotes: Record<string, unknown> };

test('official JSON Schema Test Suite, draft 2020-12 required tests: every case passes', () => {
  const failures: string[] = [];
  let n = 0;
  for (const [file, groups] of Object.entries(suite.files)) {
    for (const g of groups) {
      let v: UserValidator | undefined;
      try {
        v = new UserValidator(g.schema, { defaultDialect: 'draft2020', uri: 'http://localhost:1234/root.json', load: (u) => suite.remotes[u] });
      } catch (e) {
        failures.push(`${file}: ${g.description}: ${(e as Error).message}`);
        continue;
      }
      for (const t of g.tests) {
        n++;
        if ((v.validate(t.data).length === 0) !== t.valid) failures.push(`${file}: ${g.description} / ${t.description}`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(n >= 1299, `only ${n} cases`);
});

test('official suite, draft 2020-12: the same cases with the data written as YAML, through validateText', () => {
  const failures: string[] = [];
  let n = 0;
  for (const [file, groups] of Object.entries(suite.files)) {
    for (const g of groups) {
      // Cases that need the suite's remote (http) schemas are covered above: expctl never fetches URLs.
      // So are those naming a metaschema that is only there (vocabulary.json).
      try { new UserValidator(g.schema, { defaultDialect: 'draft2020' }); } catch { continue; }
      if (typeof g.schema === 'object' && g.schema && String((g.schema as { $schema?: unknown }).$schema ?? S2020) !== S2020) continue;
      const schema = typeof g.schema === 'object' && g.schema && !('$schema' in g.schema) ? { $schema: S2020, ...g.schema } : g.schema;
      for (const t of g.tests) {
        const ds = check(schema, stringify(t.data));
        const schemaErrors = ds.filter((d) => d.rule === 'schema');
        if (ds.length !== schemaErrors.length) failures.push(`${file}: ${g.description} / ${t.description}: ${ds[0].message}`);
        else if ((schemaErrors.length === 0) !== t.valid) failures.push(`${file}: ${g.description} / ${t.description}`);
        n++;
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(n >= 1200, `only ${n} cases through YAML`);
});
