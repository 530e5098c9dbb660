// Results inline in the YAML (issue 16 item 5), end to end: a sweep run for real with the bundled
// CLI (dist/cli.js), then the bundled language server (dist/server.js), driven by a real LSP client,
// shows its results as inlay hints and hovers; a run that finishes later makes the server ask the
// editor to pull hints again (workspace/inlayHint/refresh). Build first: node esbuild.mjs.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Hover, InlayHint, MarkupContent } from 'vscode-languageserver';
import { runCli } from '../../client/src/cli';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { sweepIdOf } from '../../core/src/runner/resume';
import { trialKey } from '../../core/src/sweep';
import { fileUri, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';
import { waitFor } from '../helpers/wait';

const SERVER = path.resolve('dist/server.js');
const CLI = path.resolve('dist/cli.js');
const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-results-')));
const at = (name: string) => path.join(ws, name);

// loss = 10·lr + seed/100: lr 0.02 is the best learning rate, seed 1 the best seed.
const EXPERIMENT = [
  'name: tiny',
  'command: [node, -e, "console.log(\'@expctl \' + JSON.stringify({ loss: 10 * Number(process.argv[1]) + Number(process.argv[2]) / 100 }))", "{params.lr}", "{params.seed}"]',
  'params: { lr: 0.1, seed: 0 }',
  'metrics: { primary: loss, goal: minimize }',
  '',
].join('\n');
const SWEEP = [
  'experiment: ./tiny.experiment.yaml',
  'method: grid',
  'max_parallel: 4',
  'parameters:',
  '  params.lr: { values: [0.1, 0.02] }',
  '  params.seed:',
  '    values:',
  '      - 1',
  '      - 2',
  '',
].join('\n');

let server: LspClient;
const sweepUri = fileUri(at('lr.sweep.yaml'));
const expUri = fileUri(at('tiny.experiment.yaml'));
const whole = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
const hints = (uri: string) => server.request<InlayHint[] | null>('textDocument/inlayHint', { textDocument: { uri }, range: whole });
const labels = (hs: InlayHint[] | null) => (hs ?? []).map((h) => `${h.position.line}:${h.position.character} ${String(h.label)}`);
/** When each workspace/inlayHint/refresh arrived. */
const refreshTimes: number[] = [];
const refreshes = () => refreshTimes.length;
const hoverText = (h: Hover | null) => (h?.contents as MarkupContent | undefined)?.value ?? '';

async function cli(...args: string[]): Promise<void> {
  const r = await runCli(CLI, args, ws);
  assert.equal(r.code, 0, `expctl ${args.join(' ')}: ${r.out}${r.err}`);
}

before(async () => {
  fs.mkdirSync(at('.expctl')); // the store, where both the CLI and the server look for it
  fs.writeFileSync(at('tiny.experiment.yaml'), EXPERIMENT);
  fs.writeFileSync(at('lr.sweep.yaml'), SWEEP);
  await cli('run', 'lr.sweep.yaml');
  server = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(ws), settings: { expctl: {} }, initializationOptions: { commandLinks: true } });
  // Answered as an editor does; this handler takes the request from the client's catch-all.
  server.connection.onRequest('workspace/inlayHint/refresh', () => { refreshTimes.push(Date.now()); return null; });
  await server.initialize();
});

after(async () => {
  await server?.shutdown();
  fs.rmSync(ws, { recursive: true, force: true });
});

test('inlay hints beside each swept value: median of loss and n, the best value of each parameter starred', async () => {
  assert.ok(server.initializeResult?.capabilities.inlayHintProvider);
  await server.open(sweepUri, SWEEP);
  assert.deepEqual(labels(await hints(sweepUri)), [
    '4:27 ▸ 1.015 (n=2)',
    '4:33 ▸ 0.215 (n=2) ★',
    '7:9 ▸ 0.61 (n=2) ★',
    '8:9 ▸ 0.62 (n=2)',
  ]);
  // Only those inside the range asked for.
  const some = await server.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: sweepUri }, range: { start: { line: 7, character: 0 }, end: { line: 7, character: 20 } } });
  assert.deepEqual(labels(some), ['7:9 ▸ 0.61 (n=2) ★']);
});

test('hover on a swept value lists its runs with links that open their panels', async () => {
  const h = await server.hover(sweepUri, { line: 4, character: 30 }); // on 0.02
  const text = hoverText(h);
  assert.match(text, /\*\*params\.lr\*\* — sweep parameter/, 'what the schema says stays first');
  assert.match(text, /\*\*Results of `params\.lr` = `0\.02`\*\*\n\nloss \(minimize\): median 0\.215 of 2 trials/);
  const rows = text.split('\n').filter((l) => l.startsWith('| [')); // the runs, best first
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^\| \[([a-z0-9._-]+)\]\(command:expctl\.openRun\?%5B%22\1%22%5D "Open the run's panel"\) \| ✓ succeeded \| 0\.21 \| \d+(ms|s) \|$/);
  assert.match(rows[1], /\| 0\.22 \|/);
  assert.deepEqual(h?.range, { start: { line: 4, character: 29 }, end: { line: 4, character: 33 } });
});

test('a run that finishes later: the server asks for hints again, and the experiment shows its last outcome', async () => {
  await server.open(expUri, EXPERIMENT);
  assert.deepEqual(await hints(expUri), [], 'the experiment itself has not run yet');
  const before = refreshes();
  await cli('run', 'tiny.experiment.yaml');
  // The server follows the store's journal: its refresh request is the signal.
  await waitFor(() => refreshes() > before, 'workspace/inlayHint/refresh after the run finished', 10_000);
  const [h] = (await hints(expUri)) ?? [];
  assert.match(String(h?.label), /^✓ succeeded \d+s ago · loss 1$/);
  assert.deepEqual(h?.position, { line: 0, character: 10 });
  const hover = hoverText(await server.hover(expUri, { line: 0, character: 7 }));
  assert.match(hover, /\*\*Runs of this experiment\*\* — 1 run, newest first/);
  assert.equal(labels(await hints(sweepUri)).length, 4, 'the sweep\'s hints are unchanged');
});

test('many changes in a burst: at most one refresh a second, and one after the last change', async () => {
  // Another writer of the store (as a runner is): 8 changes of the experiment's run, 150 ms apart.
  const store = new FileStore(at('.expctl'));
  store.load();
  const run = store.all().find((r) => r.experiment === 'tiny' && Object.keys(r.params).length === 0 && r.sweep_id.startsWith('tiny-'))!;
  assert.ok(run, 'the experiment\'s run is in the store');
  const from = refreshTimes.length;
  let last = 0;
  for (let i = 1; i <= 8; i++) {
    store.save({ ...run, summary: { loss: { last: i, count: 1 } } }, 'edited');
    await store.flush();
    last = Date.now();
    await new Promise((r) => setTimeout(r, 150)); // the burst itself is spaced in time; the waits below are on signals
  }
  await waitFor(() => refreshTimes.slice(from).some((t) => t >= last), 'a refresh after the last change', 10_000);
  const burst = refreshTimes.slice(from);
  for (let i = 1; i < burst.length; i++) assert.ok(burst[i] - burst[i - 1] >= 990, `refreshes ${burst[i] - burst[i - 1]} ms apart`);
  assert.ok(burst.length <= 3, `${burst.length} refreshes for a burst of 1.2 s`);
  const [h] = (await hints(expUri)) ?? [];
  assert.match(String(h?.label), /· loss 8$/, 'the hint has the last change');
});

test('expctl.results.inlayHints: false turns the hints off; hovers still list runs', async () => {
  // The notification comes before the request: the server pulls the settings again for it.
  await server.setSettings({ expctl: { results: { inlayHints: false } } });
  assert.deepEqual(await hints(sweepUri), []);
  assert.match(hoverText(await server.hover(sweepUri, { line: 4, character: 30 })), /Results of `params\.lr`/);
  await server.setSettings({ expctl: {} });
  assert.equal(labels(await hints(sweepUri)).length, 4);
});

test('an editor without command links gets run ids as plain text', async () => {
  const plain = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(ws), settings: { expctl: {} } });
  try {
    await plain.initialize();
    await plain.open(sweepUri, SWEEP);
    const text = hoverText(await plain.hover(sweepUri, { line: 4, character: 30 }));
    assert.match(text, /\| `[a-z0-9._-]+` \| ✓ succeeded \| 0\.21 \|/);
    assert.doesNotMatch(text, /command:/);
  } finally {
    await plain.shutdown();
  }
});

test('1,000 runs in a store named by expctl.results.folder: an inlay request answers in under 50 ms after the first load', async () => {
  const big = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-results-1000-')));
  try {
    const sweep = `experiment: ./tiny.experiment.yaml\nmax_parallel: 8\nparameters:\n  params.lr: { values: [${Array.from({ length: 100 }, (_, i) => (i + 1) / 1000).join(', ')}] }\n  params.seed: { values: [${Array.from({ length: 10 }, (_, i) => i).join(', ')}] }\n`;
    fs.writeFileSync(path.join(big, 'tiny.experiment.yaml'), EXPERIMENT);
    fs.writeFileSync(path.join(big, 'big.sweep.yaml'), sweep);
    // Not where the CLI would look: the setting (relative to the file's folder, outside any workspace folder) names it.
    const store = new FileStore(path.join(big, 'custom-store'));
    store.load();
    const sweepId = sweepIdOf('sweep', {}, 'tiny', ['params.lr', 'params.seed']);
    const now = new Date().toISOString();
    for (let i = 0; i < 1000; i++) {
      const params = { 'params.lr': (Math.floor(i / 10) + 1) / 1000, 'params.seed': i % 10 };
      const key = trialKey(params, 0);
      const rec: RunRecord = {
        schema_version: 1, id: `t${i}-${key.slice(0, 8)}`, sweep_id: sweepId, experiment: 'tiny', experiment_file: path.join(big, 'tiny.experiment.yaml'),
        trial: { index: i, key, name: `t${i}`, repeat: 0 }, params, target: 'local', status: i % 20 === 0 ? 'failed' : 'succeeded',
        created: now, started: now, ended: now, duration_s: 1, host: 'elsewhere', summary: { loss: { last: i / 1000, count: 1 } }, attempts: [{ n: 1, started: now, exit_code: 0 }],
      };
      store.create(rec, 'name: tiny\n');
    }
    await store.flush();
    const uri = fileUri(path.join(big, 'big.sweep.yaml'));
    await server.setSettings((section, scope) => (section === 'expctl' ? (scope?.startsWith(fileUri(big)) ? { results: { folder: 'custom-store' } } : {}) : null));
    await server.open(uri, sweep);
    const ask = () => server.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: whole });
    // The first request loads the store (async reads): an outline asked meanwhile does not wait for it.
    const t0 = performance.now();
    let symbolsMs = 0;
    const [first] = await Promise.all([ask(), server.symbols(uri).then(() => { symbolsMs = performance.now() - t0; })]);
    const firstMs = performance.now() - t0;
    assert.equal(first.length, 110, 'one hint per value');
    assert.ok(symbolsMs < firstMs, `the outline (${symbolsMs} ms) answered before the hints that load the store (${firstMs} ms)`);
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await ask();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    const median = ms[10];
    process.stdout.write(`# inlay request, 1,000 runs, 110 hints: first (loads the store) ${firstMs.toFixed(0)} ms (an outline asked with it: ${symbolsMs.toFixed(0)} ms); then median ${median.toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms\n`);
    assert.ok(median < 50, `median ${median} ms`);
    await server.close(uri);
  } finally {
    await server.setSettings({ expctl: {} });
    fs.rmSync(big, { recursive: true, force: true });
  }
});
