// Users' own JSON Schemas through the bundled language server (dist/server.js) and a real LSP
// client over stdio: modeline schemas give diagnostics with exact ranges, a looping or explosive
// schema gives one diagnostic on the modeline while the server keeps answering, and the
// `expctl.schemas` setting maps globs to schemas. Every wait is on a notification or a response.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileUri, messageOf, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';

const SERVER = path.resolve('dist/server.js');
const S2020 = 'https://json-schema.org/draft/2020-12/schema';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-user-schema-'));
const write = (name: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), text);
  return fileUri(path.join(dir, name));
};
let server: LspClient;

/** Opens a file as written on disk and waits for its first diagnostics. */
async function diagnose(uri: string) {
  const wait = server.waitForDiagnostics(uri, 1);
  await server.open(uri, fs.readFileSync(new URL(uri), 'utf8'));
  return (await wait).diagnostics;
}

const service = {
  $schema: S2020, type: 'object', additionalProperties: false, required: ['name'],
  properties: {
    name: { type: 'string' }, constructor: { enum: ['docker', 'podman'] },
    tree: { $ref: '#/$defs/node' },
  },
  $defs: { node: { $dynamicAnchor: 'node', type: 'object', properties: { label: { type: 'string' }, kids: { type: 'array', items: { $dynamicRef: '#node' } } }, unevaluatedProperties: false } },
};

before(async () => {
  write('schemas/service.json', JSON.stringify(service));
  write('schemas/loop.json', JSON.stringify({ $schema: S2020, $defs: { a: { $ref: '#/$defs/b' }, b: { anyOf: [{ $ref: '#/$defs/a' }] } }, $ref: '#/$defs/a' }));
  const expo: Record<string, unknown> = { $schema: S2020, $defs: { d40: { type: 'string' } }, $ref: '#/$defs/d0' };
  for (let i = 0; i < 40; i++) (expo.$defs as Record<string, unknown>)[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  write('schemas/expo.json', JSON.stringify(expo));
  server = startServer('node', [SERVER, '--stdio'], {
    rootUri: fileUri(dir), initializationOptions: { diagnostics: 'push' },
    settings: { expctl: { validation: { debounceMs: 0 }, schemas: { './schemas/service.json': ['*.svc.yaml'] } } },
  });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a modeline schema: diagnostics with exact ranges, JS-member names and $dynamicRef included', async () => {
  const uri = write('app.yaml', [
    '# yaml-language-server: $schema=./schemas/service.json',
    'name: web',
    'constructor: dokcer',
    'tree:',
    '  label: root',
    '  kids:',
    '    - label: a',
    '      lable: typo',
    '',
  ].join('\n'));
  const ds = await diagnose(uri);
  assert.deepEqual(ds.map((d) => [messageOf(d), d.code, d.range]), [
    ['"dokcer" is not allowed for constructor. Allowed: docker, podman. Did you mean "docker"?', 'schema',
      { start: { line: 2, character: 13 }, end: { line: 2, character: 19 } }],
    ['Unknown property "lable" in tree.kids[0].', 'schema', { start: { line: 7, character: 6 }, end: { line: 7, character: 11 } }],
  ]);
});

test('a looping schema and an explosive one: one diagnostic on the modeline; the server keeps answering', async () => {
  const modeline = '# yaml-language-server: $schema=./schemas/loop.json';
  const loop = write('loop.yaml', `${modeline}\na: 1\n`);
  const [d] = await diagnose(loop);
  assert.equal(d.code, 'schema-ref');
  assert.deepEqual(d.range, { start: { line: 0, character: 0 }, end: { line: 0, character: modeline.length } });
  assert.match(messageOf(d), /loop\.json could not check this document: \$ref "#\/\$defs\/[ab]" leads back to itself without going into the data \(an endless loop\)/);

  const expo = write('expo.yaml', '# yaml-language-server: $schema=./schemas/expo.json\n1\n');
  const ds = await diagnose(expo);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].range.start.line, 0);
  assert.match(messageOf(ds[0]), /expo\.json could not check this document: checking this document took more than/);

  // Still answering, and still checking other files.
  const symbols = await server.symbols(loop);
  assert.ok(Array.isArray(symbols));
  const ok = write('ok.yaml', '# yaml-language-server: $schema=./schemas/service.json\nname: 1\n');
  assert.deepEqual((await diagnose(ok)).map(messageOf), ['name must be a string, not integer 1.']);
});

test('expctl.schemas maps a glob to a schema; a modeline wins over it', async () => {
  const mapped = write('deploy/api.svc.yaml', 'name: api\nport: 80\n');
  const ds = await diagnose(mapped);
  assert.deepEqual(ds.map((d) => [messageOf(d), d.range.start.line]), [['Unknown property "port". Allowed: name, constructor, tree.', 1]]);

  const own = write('schemas/own.json', JSON.stringify({ type: 'object', required: ['own'] }));
  assert.ok(own);
  const overridden = write('deploy/other.svc.yaml', '# yaml-language-server: $schema=../schemas/own.json\nport: 80\n');
  assert.deepEqual((await diagnose(overridden)).map(messageOf), ['Missing required property "own".']);
});

test('a YAML file that is not ours and names no schema gets no diagnostics, not even syntax (VS Code sends every YAML file)', async () => {
  const other = await diagnose(write('.github/workflows/ci.yaml', 'on: [push\njobs: {}\n'));
  assert.deepEqual(other, []);
  const named = await diagnose(write('deploy.yaml', '# yaml-language-server: $schema=./schemas/service.json\nname: [unclosed\n'));
  assert.ok(named.some((d) => d.code === 'yaml-syntax'), JSON.stringify(named));
});
