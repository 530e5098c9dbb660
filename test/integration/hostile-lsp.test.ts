// Issue 17, items 9 and 10: the bundled language server (dist/server.js, over stdio) given hostile
// files — special files and huge files named in `extends`, `$schema`, `experiment:`, targets.yaml and
// kubeconfig, a 1 MB document with a syntax error, an `extends` diamond chain, catastrophic regex
// patterns. Each gets diagnostics within a bound, and the server still validates the next document.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PublishDiagnosticsParams } from 'vscode-languageserver';
import { fileUri, messageOf, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';

const SERVER = path.resolve('dist/server.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hostile-lsp-'));
const EXP = 'name: demo\ncommand: [python3, train.py]\n';
/** Each hostile input must be answered within this (today: never, or 10-20 s). */
const BOUND_MS = 5_000;

let server: LspClient;
let n = 0;

const write = (name: string, text: string) => { fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true }); fs.writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
const fifo = (name: string) => { const p = path.join(dir, name); fs.mkdirSync(path.dirname(p), { recursive: true }); execFileSync('mkfifo', [p]); return p; };

/** Opens a document and returns its diagnostics, failing if they take longer than `bound`. */
async function check(name: string, text: string, bound = BOUND_MS): Promise<{ diagnostics: PublishDiagnosticsParams['diagnostics']; ms: number }> {
  const uri = fileUri(path.join(dir, name));
  const started = Date.now();
  const wait = server.waitForDiagnostics(uri, { timeoutMs: bound });
  await server.open(uri, text);
  const { diagnostics } = await wait;
  return { diagnostics, ms: Date.now() - started };
}

/** The server is alive and still validates: a fresh document gets its usual diagnostic. */
async function stillValidates(): Promise<void> {
  const { diagnostics } = await check(`alive-${n++}.experiment.yaml`, 'name: alive\ncommand: [python3, train.py]\nprocesses: many\n');
  assert.ok(diagnostics.some((d) => d.code === 'schema' && /processes/.test(messageOf(d))), JSON.stringify(diagnostics));
  assert.equal(server.exitInfo, undefined, 'the server is still running');
}

const messages = (ds: PublishDiagnosticsParams['diagnostics']) => ds.map(messageOf).join('\n');

before(async () => {
  write('train.py', '');
  server = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } } });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('extends naming /dev/zero, /dev/urandom, a FIFO or a directory: refused with the reason', async () => {
  const pipe = fifo('pipe.yaml');
  fs.mkdirSync(path.join(dir, 'adir.yaml'));
  const cases: Array<[string, RegExp]> = [
    ['/dev/zero', /Base file "\/dev\/zero" is a character device, not a file/],
    ['/dev/urandom', /Base file "\/dev\/urandom" is a character device, not a file/],
    [pipe, /is a FIFO, not a file/],
    ['./adir.yaml', /Base file ".\/adir.yaml" is a directory, not a file/],
  ];
  for (const [target, want] of cases) {
    const { diagnostics } = await check(`special-${n++}.experiment.yaml`, `extends: ${target}\n${EXP}`);
    const d = diagnostics.find((x) => x.code === 'extends-invalid');
    assert.ok(d, `${target}: ${messages(diagnostics)}`);
    assert.match(messageOf(d), want);
    assert.equal(d.range.start.line, 0, 'on the extends value');
  }
  await stillValidates();
});

test('a base file over the size limit is refused with its size', async () => {
  write('huge.base.yaml', `# ${'x'.repeat(12 * 1024 * 1024)}\n`);
  const { diagnostics } = await check('sized.experiment.yaml', `extends: ./huge.base.yaml\n${EXP}`);
  assert.match(messages(diagnostics), /Base file "\.\/huge\.base\.yaml" is 12 MB, over the 5 MB limit/);
  await stillValidates();
});

test('$schema, experiment: and targets.yaml naming special files are answered, with the reason', async () => {
  const pipe = fifo('schema-pipe.json');
  let r = await check('schema-fifo.yaml', `# yaml-language-server: $schema=${pipe}\na: 1\n`);
  assert.match(messages(r.diagnostics), /Schema file .*schema-pipe\.json is a FIFO, not a file; \$schema must name a JSON Schema file/);
  r = await check('exp-zero.sweep.yaml', 'experiment: /dev/zero\nname: s\nparams: { lr: [1, 2] }\n');
  assert.match(messages(r.diagnostics), /Experiment file "\/dev\/zero" is a character device, not a file/);
  // A FIFO where targets.yaml is looked up, and a kubeconfig on /dev/zero: no hang, no crash.
  fifo('sub/targets.yaml');
  r = await check('sub/t.experiment.yaml', 'name: t\ncommand: [python3, ../train.py]\nprocesses: many\n');
  assert.ok(r.diagnostics.some((d) => d.code === 'schema'), messages(r.diagnostics));
  assert.match(messages(r.diagnostics), /sub\/targets\.yaml is a FIFO, not a file; its targets are not checked/);
  r = await check('k/targets.yaml', 'targets:\n  c: { type: kubernetes, kubeconfig: /dev/zero, context: prod }\n');
  assert.ok(!r.diagnostics.some((d) => d.code === 'k8s-context'), 'a refused kubeconfig counts as absent');
  await stillValidates();
});

test('expctl/fileInfo on a FIFO or /dev/zero answers at once', async () => {
  const pipe = fifo('info.experiment.yaml');
  for (const p of [pipe, '/dev/zero']) {
    const info = await server.request('expctl/fileInfo', { uri: fileUri(p) }, BOUND_MS);
    assert.equal(info, null, p);
  }
  await stillValidates();
});

test('a 1 MB document with one syntax error is answered within the bound', async () => {
  let text = 'name: big\ncommand: [python3, train.py]\nenv:\n';
  for (let i = 0; text.length < 1024 * 1024; i++) text += `  KEY_${i}: value_${i}\n`;
  text += 'bad: [unclosed\n';
  const { diagnostics, ms } = await check('big.experiment.yaml', text, 8_000);
  assert.ok(diagnostics.some((d) => d.code === 'yaml-syntax'), messages(diagnostics));
  assert.ok(ms < 8_000, `${ms} ms`);
  await stillValidates();
});

test('duplicate keys in a large mapping are still reported (at the second key)', async () => {
  let text = 'name: dup\ncommand: [python3, train.py]\nenv:\n';
  for (let i = 0; i < 20_000; i++) text += `  KEY_${i}: v\n`;
  text += '  KEY_7: again\nbad: [unclosed\n';
  const { diagnostics } = await check('dup.experiment.yaml', text, 8_000);
  const dup = diagnostics.find((d) => /Map keys must be unique \(DUPLICATE_KEY\)/.test(messageOf(d)));
  assert.ok(dup, messages(diagnostics));
  assert.equal(dup.range.start.line, 3 + 20_000);
});

test('an extends diamond chain resolves each file once', async () => {
  // Level i has two files, both extending both files of level i+1: 2^24 paths through 48 files.
  const depth = 24;
  for (let i = 0; i < depth; i++) {
    for (const side of ['a', 'b']) {
      const ext = i + 1 < depth ? `extends: [./_l${i + 1}a.experiment.yaml, ./_l${i + 1}b.experiment.yaml]\n` : '';
      write(`diamond/_l${i}${side}.experiment.yaml`, `${ext}env: { L${i}${side}: "1" }\n`);
    }
  }
  const { diagnostics } = await check('diamond/top.experiment.yaml', `extends: [./_l0a.experiment.yaml, ./_l0b.experiment.yaml]\n${EXP.replace('train.py', '../train.py')}`);
  assert.deepEqual(diagnostics.map(messageOf), []);
  await stillValidates();
});

test("a catastrophic pattern in a user's schema runs in linear time, or is refused with a reason", async () => {
  write('user.schema.json', JSON.stringify({ type: 'object', properties: { id: { type: 'string', pattern: '^(a+)+$' } } }));
  const slow = `${'a'.repeat(40)}!`;
  let r = await check('user1.yaml', `# yaml-language-server: $schema=./user.schema.json\nid: "${slow}"\n`);
  assert.equal(r.diagnostics.length, 1, messages(r.diagnostics));
  assert.equal(r.diagnostics[0].code, 'schema');
  assert.equal(r.diagnostics[0].range.start.line, 1, 'the value is checked against the pattern');
  write('backref.schema.json', JSON.stringify({ type: 'object', properties: { id: { type: 'string', pattern: '^(a+)+\\1$' } } }));
  r = await check('user2.yaml', `# yaml-language-server: $schema=./backref.schema.json\nid: "${slow}"\n`);
  assert.match(messages(r.diagnostics), /pattern "\^\(a\+\)\+\\1\$" repeats a group that itself repeats \(nested quantifiers\)/);
  await stillValidates();
});

test('a huge $schema file is refused with its size', async () => {
  const props: Record<string, unknown> = {};
  for (let i = 0; i < 40_000; i++) props[`p${i}`] = { type: 'string', description: 'x'.repeat(20) };
  write('huge.schema.json', JSON.stringify({ type: 'object', properties: props }));
  const { diagnostics } = await check('user3.yaml', '# yaml-language-server: $schema=./huge.schema.json\na: 1\n');
  assert.match(messages(diagnostics), /huge\.schema\.json is 2\.\d MB; expctl uses schema files up to 1 MB/);
  write('huger.schema.json', `{"a": "${'x'.repeat(12 * 1024 * 1024)}"}`);
  const r = await check('user4.yaml', '# yaml-language-server: $schema=./huger.schema.json\na: 1\n');
  assert.match(messages(r.diagnostics), /huger\.schema\.json is 12 MB, over the 5 MB limit/);
  await stillValidates();
});

test('a 10^9-trial grid with exclude rules and a name_template is answered at once, with its exact size', async () => {
  write('e.experiment.yaml', 'name: e\ncommand: [python3, train.py]\nparams: { a: 0, b: 0, c: 0 }\n');
  const range = '{ range: { min: 0, max: 999, step: 1 } }';
  const text = `experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.a: ${range}\n  params.b: ${range}\n  params.c: ${range}\n` +
    'exclude:\n  - { params.a: 1 }\n  - { params.b: [1, 2] }\nname_template: "t-{params.a}-{params.b}"\n';
  const { diagnostics, ms } = await check('huge.sweep.yaml', text, 2_000);
  assert.ok(ms < 2_000, `${ms} ms (it took ~2 min)`);
  assert.match(messages(diagnostics), /This sweep expands to 997,002,000 trials \(1,000 × 1,000 × 1,000, less 2,998,000 excluded\)/);
  assert.match(messages(diagnostics), /Trials 0 and 1 are both named "t-0-0" \(9,990 collisions in the first 10,000 trials\); add \{params\.c\} to name_template/);
  await stillValidates();
});

test('work on one heavy document does not hold up another beyond 2 s', async () => {
  let heavy = 'name: heavy\ncommand: [python3, train.py]\nenv:\n';
  for (let i = 0; heavy.length < 1024 * 1024; i++) heavy += `  KEY_${i}: value_${i}\n`;
  heavy += 'bad: [unclosed\n';
  const heavyUri = fileUri(path.join(dir, 'heavy.experiment.yaml'));
  const lightUri = fileUri(path.join(dir, 'light.experiment.yaml'));
  const heavyDone = server.waitForDiagnostics(heavyUri, { timeoutMs: 10_000 });
  const lightDone = server.waitForDiagnostics(lightUri, { timeoutMs: 10_000 });
  const started = Date.now();
  await server.open(heavyUri, heavy);
  await server.open(lightUri, 'name: light\ncommand: [python3, train.py]\nprocesses: 2\n');
  await lightDone;
  const light = Date.now() - started;
  await heavyDone;
  assert.ok(light < 2_000, `the light document waited ${light} ms`);
});
