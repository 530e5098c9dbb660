// The bundled language server (dist/server.js) driven by a real LSP client over stdio, as an
// editor drives it: diagnostics (push and pull), completion, hover, outline, code actions, the
// expctl/fileInfo request, settings pulled per resource, and re-checks across files.
// Every wait is on a notification or a response, never a sleep.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import type { CompletionItem, CompletionList, PublishDiagnosticsParams } from 'vscode-languageserver';
import { clientCapabilities, fileUri, messageOf, startServer } from '../helpers/lsp-client';
import type { LspClient, Settings } from '../helpers/lsp-client';
import type { PlanParams, PlanResponse } from '../../server/src/protocol';

const SERVER = path.resolve('dist/server.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-'));
const EXP = 'name: demo\ncommand: [python3, train.py, --bs, "{params.batch_size}"]\nparams: { batch_size: 64, lr: 0.01 }\n';
const write = (name: string, text: string) => { fs.writeFileSync(path.join(dir, name), text); return fileUri(path.join(dir, name)); };
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : r?.items ?? []);

let settings: Settings = { expctl: { validation: { debounceMs: 0 } } };
let server: LspClient;

before(async () => {
  write('train.py', '');
  write('train.experiment.yaml', EXP);
  write('targets.yaml', 'targets:\n  gpu-box: { type: local, max_parallel: 2 }\n');
  server = startServer('node', [SERVER, '--stdio'], {
    rootUri: fileUri(dir), initializationOptions: { diagnostics: 'both' },
    settings: (section, scope) => {
      const s = settings.expctl as Record<string, unknown>;
      return section === 'expctl' ? (scope?.endsWith('big.sweep.yaml') ? { validation: { debounceMs: 0, maxTrials: 5 } } : s) : null;
    },
  });
  const init = await server.initialize();
  assert.equal(init.serverInfo?.name, 'expctl-language-server');
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('diagnostics', () => {
  test('open: message, severity, range, rule code and source', async () => {
    const uri = write('bad.experiment.yaml', `${EXP}launcher: { type: accelerate, mixed_precision: fp32 }\n`);
    const wait = server.waitForDiagnostics(uri, 1);
    await server.open(uri, fs.readFileSync(new URL(uri), 'utf8'));
    const { diagnostics } = await wait;
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    assert.equal(messageOf(d), '"fp32" is not allowed for launcher.mixed_precision. Allowed: no, fp16, bf16, fp8.');
    assert.equal(d.severity, 1);
    assert.equal(d.code, 'schema');
    assert.equal(d.source, 'expctl');
    assert.deepEqual(d.range, { start: { line: 3, character: 47 }, end: { line: 3, character: 51 } });
  });

  test('pull: textDocument/diagnostic returns the same report', async () => {
    const uri = fileUri(path.join(dir, 'bad.experiment.yaml'));
    const report = await server.pullDiagnostics(uri);
    assert.equal(report.kind, 'full');
    assert.equal(report.kind === 'full' && report.items.length, 1);
  });

  test('edit: a fix clears the diagnostics for that version', async () => {
    const uri = fileUri(path.join(dir, 'bad.experiment.yaml'));
    const wait = server.waitForDiagnostics(uri, 2);
    await server.change(uri, `${EXP}launcher: { type: accelerate, mixed_precision: bf16 }\n`, 2);
    assert.deepEqual((await wait).diagnostics, []);
  });

  test('YAML syntax errors do not stop the server, and recover', async () => {
    const uri = fileUri(path.join(dir, 'bad.experiment.yaml'));
    let wait = server.waitForDiagnostics(uri, 3);
    await server.change(uri, 'name: [unclosed\ncommand: : :\n', 3);
    const broken = await wait;
    assert.ok(broken.diagnostics.some((d) => d.code === 'yaml-syntax'));
    wait = server.waitForDiagnostics(uri, 4);
    await server.change(uri, EXP, 4);
    assert.deepEqual((await wait).diagnostics, []);
  });

  test('debounce: rapid edits publish once, for the last version', async () => {
    settings = { expctl: { validation: { debounceMs: 150 } } };
    await server.notify('workspace/didChangeConfiguration', { settings: {} });
    const uri = write('fast.experiment.yaml', EXP);
    await server.open(uri, EXP);
    await server.waitForDiagnostics(uri, 1);
    const seen: PublishDiagnosticsParams[] = [];
    const last = server.waitForDiagnostics(uri, { predicate: (p) => { seen.push(p); return p.version === 6; }, since: 'now' });
    for (let v = 2; v <= 6; v++) await server.change(uri, `${EXP}repeat: ${v}\n`, v);
    await last;
    assert.deepEqual(seen.map((p) => p.version), [6], 'intermediate versions were published');
    settings = { expctl: { validation: { debounceMs: 0 } } };
    await server.notify('workspace/didChangeConfiguration', { settings: {} });
  });

  test('a sweep is re-checked when its experiment changes in the editor', async () => {
    const sweepUri = write('dep.sweep.yaml', 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.01] }\n');
    const expUri = fileUri(path.join(dir, 'train.experiment.yaml'));
    let wait = server.waitForDiagnostics(sweepUri, 1);
    await server.open(sweepUri, fs.readFileSync(new URL(sweepUri), 'utf8'));
    assert.deepEqual((await wait).diagnostics, []);
    await server.open(expUri, EXP);
    wait = server.waitForDiagnostics(sweepUri, { predicate: (p) => p.diagnostics.length > 0, since: 'now' });
    await server.change(expUri, EXP.replace('lr: 0.01', 'learning_rate: 0.01'), 2);
    const { diagnostics } = await wait;
    assert.equal(diagnostics[0].code, 'sweep-param-path');
    assert.match(messageOf(diagnostics[0]), /params\.lr is not set in experiment demo/);
    await server.close(expUri);
  });

  test('settings are pulled per resource: a per-file trial limit', async () => {
    const text = 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [1, 2, 3] }\n  params.batch_size: { values: [1, 2] }\n';
    const big = write('big.sweep.yaml', text);
    const small = write('small.sweep.yaml', text);
    const w1 = server.waitForDiagnostics(big, 1);
    const w2 = server.waitForDiagnostics(small, 1);
    await server.open(big, text);
    await server.open(small, text);
    assert.deepEqual((await w1).diagnostics.map((d) => d.code), ['sweep-size']);
    assert.deepEqual((await w2).diagnostics, []);
  });
});

describe('editing features', () => {
  const uri = () => fileUri(path.join(dir, 'edit.experiment.yaml'));
  const TEXT = `${EXP}launcher:\n  type: accelerate\n  mixed_precision: \nresources: { gpus: 1, memmory: 8Gi }\n`;

  before(async () => {
    write('edit.experiment.yaml', TEXT);
    const wait = server.waitForDiagnostics(uri(), 1);
    await server.open(uri(), TEXT);
    await wait;
  });

  test('completion: enum values as snippet text edits with docs', async () => {
    const res = items(await server.completion(uri(), { line: 5, character: 19 }));
    assert.deepEqual(res.map((i) => i.label), ['no', 'fp16', 'bf16', 'fp8']);
    const no = res[0];
    assert.equal(no.insertTextFormat, 2);
    assert.deepEqual(no.textEdit && 'range' in no.textEdit ? no.textEdit.newText : undefined, '"no"');
    assert.equal(typeof no.documentation === 'object' && no.documentation.kind, 'markdown');
  });

  test('completion: keys with snippets, inside a nested mapping', async () => {
    const res = items(await server.completion(uri(), { line: 4, character: 2 }));
    const labels = res.map((i) => i.label);
    assert.ok(labels.includes('num_processes') && labels.includes('gpu_ids'), labels.join());
  });

  test('hover: markdown with allowed values', async () => {
    const h = await server.hover(uri(), { line: 5, character: 5 });
    assert.ok(h && typeof h.contents === 'object' && 'kind' in h.contents);
    assert.match((h.contents as { value: string }).value, /^\*\*launcher\.mixed_precision\*\*/);
  });

  test('document symbols: the outline', async () => {
    const s = await server.symbols(uri());
    assert.deepEqual((s as { name: string }[]).map((x) => x.name), ['name', 'command', 'params', 'launcher', 'resources']);
  });

  test('code action: replace an unknown key with the closest one', async () => {
    const report = await server.pullDiagnostics(uri());
    const diag = report.kind === 'full' ? report.items.find((d) => messageOf(d).includes('memmory')) : undefined;
    assert.ok(diag);
    const actions = await server.codeActions(uri(), diag.range, [diag]);
    assert.equal(actions?.length, 1);
    const a = actions![0] as { title: string; kind: string; isPreferred: boolean; edit: { changes: Record<string, { newText: string; range: unknown }[]> } };
    assert.equal(a.title, 'Change to "memory"');
    assert.equal(a.kind, 'quickfix');
    assert.deepEqual(a.edit.changes[uri()], [{ range: diag.range, newText: 'memory' }]);
  });

  test('expctl/fileInfo: what the code lenses need', async () => {
    const info = await server.request('expctl/fileInfo', { uri: fileUri(path.join(dir, 'big.sweep.yaml')) }) as Record<string, unknown>;
    assert.equal(info.kind, 'sweep');
    assert.deepEqual(info.trials, { count: 6, exact: true });
    assert.deepEqual(info.targets, ['local', 'gpu-box']);
    const closed = await server.request('expctl/fileInfo', { uri: fileUri(path.join(dir, 'train.experiment.yaml')) }) as Record<string, unknown>;
    assert.equal(closed.kind, 'experiment', 'files not open are read from disk');
    assert.equal(closed.name, 'demo');
  });
});

test('a client without snippet support gets plain text', async () => {
  const plain = startServer('node', [SERVER, '--stdio'], { settings: { expctl: { validation: { debounceMs: 0 } } } });
  const caps = structuredClone(clientCapabilities);
  caps.textDocument!.completion!.completionItem!.snippetSupport = false;
  await plain.initialize(caps);
  const uri = fileUri(path.join(dir, 'plain.experiment.yaml'));
  await plain.open(uri, 'name: x\n');
  const res = items(await plain.completion(uri, { line: 1, character: 0 }));
  const retry = res.find((i) => i.label === 'repeat')!;
  assert.equal(retry.insertTextFormat, 1);
  assert.ok(retry.textEdit && !/\$\{/.test(retry.textEdit.newText), retry.textEdit?.newText);
  await plain.shutdown();
});

test('`expctl lsp --stdio` is the same server', async () => {
  const cli = startServer('node', [path.resolve('dist/cli.js'), 'lsp', '--stdio'], { settings: { expctl: { validation: { debounceMs: 0 } } } });
  await cli.initialize();
  const uri = fileUri(path.join(dir, 'cli.sweep.yaml'));
  const wait = cli.waitForDiagnostics(uri, 1);
  await cli.open(uri, 'experiment: ./train.experiment.yaml\nmethod: gird\n');
  const { diagnostics } = await wait;
  assert.equal(messageOf(diagnostics[0]), '"gird" is not allowed for method. Allowed: grid, random, list. Did you mean "grid"?');
  await cli.shutdown();
});

test('IPC transport (--node-ipc), as VS Code starts it', async () => {
  const child = fork(SERVER, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  conn.listen();
  const uri = fileUri(path.join(dir, 'ipc.experiment.yaml'));
  const published = new Promise<PublishDiagnosticsParams>((resolve) => conn.onNotification('textDocument/publishDiagnostics', resolve));
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({ validation: { debounceMs: 0 } })));
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: clientCapabilities });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: 'name: x\ncommand: [python3, train.py]\nrepeat: 0\n' } });
  const p = await published;
  assert.equal(messageOf(p.diagnostics[0]), 'repeat must be ≥ 1, got 0.');
  await conn.sendRequest('shutdown');
  const exited = new Promise((r) => child.once('exit', r));
  await conn.sendNotification('exit');
  await exited;
  conn.dispose();
});

test('expctl/plan: the trials of the open text (unsaved edits included), as `expctl plan --json`; errors when it cannot run', async () => {
  const uri = write('plan.sweep.yaml', 'experiment: ./train.experiment.yaml\nparameters:\n  params.lr: { values: [0.1] }\n');
  await server.open(uri, 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.2, 0.3] }\nmax_parallel: 2\n');
  const r = await server.request('expctl/plan', { uri, limit: 2 } satisfies PlanParams) as PlanResponse;
  assert.ok('plan' in r, JSON.stringify(r));
  assert.deepEqual({ ...r.plan, trials: r.plan.trials.map((t) => t.params) }, {
    version: 1, file: path.join(dir, 'plan.sweep.yaml'), kind: 'sweep', name: 'plan', method: 'grid', max_parallel: 2, sweep_id: r.plan.sweep_id,
    total: 3, excluded: 0, trials: [{ 'params.lr': 0.1 }, { 'params.lr': 0.2 }],
  });
  const bad = write('bad-plan.sweep.yaml', 'experiment: ./missing.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1] }\n');
  const e = await server.request('expctl/plan', { uri: bad } satisfies PlanParams) as PlanResponse;
  assert.ok('errors' in e, JSON.stringify(e));
  assert.equal(e.errors[0].line, 1);
  assert.match(e.errors[0].message, /missing\.experiment\.yaml/);
});
