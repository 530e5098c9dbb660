// Our schemas' validators come compiled from the build (core/src/schema/precompile.ts →
// validators.gen.cjs). They must be those of the schemas as they are now, report exactly what
// ajv compiling the schemas at run time reports, and point errors at our own schema objects
// (the error mapping tells oneOf branches apart by them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { makeAjv } from '../../core/src/schema/ajv';
import { precompiledSource } from '../../core/src/schema/precompile';
import { builtinSchemas, builtinValidator } from '../../core/src/schema/registry';
import { rootOf } from '../../core/src/schema/graph';
import type { FileKind } from '../../core/src/config/types';

const root = resolve(__dirname, '../..');

test('validators.gen.cjs is generated from the schemas as they are now (run `npm run build` after editing them)', () => {
  assert.equal(readFileSync(join(root, 'core/src/schema/validators.gen.cjs'), 'utf8'), precompiledSource(builtinSchemas));
});

test('precompiled validators report what run-time compiled ones do, on every invalid fixture, pointing at our schema objects', () => {
  const ajv = makeAjv('draft2020');
  const copies = Object.fromEntries(Object.entries(builtinSchemas).map(([k, s]) => [k, structuredClone(s)]));
  for (const s of Object.values(copies)) ajv.addSchema(s);
  const shape = (errors: ErrorObject[] | null | undefined) =>
    (errors ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, schemaPath: e.schemaPath, params: e.params, parentSchema: e.parentSchema }));
  const dir = join(root, 'test/fixtures/schemas/invalid');
  const files = readdirSync(dir);
  assert.ok(files.length >= 10);
  let errors = 0;
  for (const f of files) {
    const kind: FileKind = f.endsWith('.sweep.yaml') ? 'sweep' : f.endsWith('targets.yaml') ? 'targets' : 'experiment';
    const data = parse(readFileSync(join(dir, f), 'utf8'));
    const pre = builtinValidator(kind);
    const run = ajv.getSchema(String(builtinSchemas[kind].$id))!;
    assert.equal(pre(data), false, f);
    assert.equal(run(data), false, f);
    assert.deepEqual(shape(pre.errors), shape(run.errors), f);
    for (const e of pre.errors!) assert.ok(rootOf(e.parentSchema as Record<string, unknown>), `${f}: ${e.schemaPath} points into a registered schema`);
    errors += pre.errors!.length;
  }
  assert.ok(errors > files.length);
});
