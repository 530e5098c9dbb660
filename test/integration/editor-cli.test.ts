// The editor's way to the CLI (client/src/cli.ts) with the real dist/cli.js (build it first: node
// esbuild.mjs): what the user is told when "▶ Run on <cluster>" meets a cluster that does not
// answer, and when Cancel of a cluster run cannot reach it. The cluster is a kubeconfig whose API
// server is a local port nobody listens on: a cluster that is down, as users meet it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliFailure, cliJson, runCli } from '../../client/src/cli';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { freePort } from '../../core/src/util/net';

const CLI = path.resolve('dist/cli.js');

async function workspace(): Promise<{ ws: string; store: string }> {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-editor-cli-'));
  const port = await freePort();
  fs.writeFileSync(path.join(ws, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config', 'current-context: test',
    `clusters: [{ name: down, cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
    'users: [{ name: u, user: { token: t0ken } }]',
    'contexts: [{ name: test, context: { cluster: down, user: u } }]', '',
  ].join('\n'));
  fs.writeFileSync(path.join(ws, 'targets.yaml'), 'targets:\n  cluster: { type: kubernetes, kubeconfig: ./kubeconfig, context: test, namespace: training, image: python:3.11-slim }\n');
  fs.writeFileSync(path.join(ws, 'train.py'), 'print("hi")\n');
  fs.writeFileSync(path.join(ws, 'train.experiment.yaml'), 'name: train\ncommand: [python3, train.py]\n');
  return { ws, store: path.join(ws, '.expctl') };
}

test('▶ Run on a cluster that does not answer: exit 1, and the message says why and that nothing started', async () => {
  const { ws, store } = await workspace();
  const r = await runCli(CLI, ['run', path.join(ws, 'train.experiment.yaml'), '--detach', '--json', '--store', store, '--target', 'cluster'], ws);
  assert.equal(r.code, 1, r.out + r.err);
  const answer = cliJson(r);
  assert.ok('error' in answer, 'no JSON answer: nothing started');
  const said = answer.error;
  // The first line alone ("… preflight on context 'test' (…) failed:") would hide the reason.
  assert.match(said, /^train: target cluster: preflight on context 'test' \(https:\/\/127\.0\.0\.1:\d+\) failed: - cannot reach the API server: .*ECONNREFUSED.* — is the cluster up, and is this the right context\? \(kubectl --context test get ns\) nothing was started \(--no-preflight skips these checks\)$/);
  assert.equal(fs.existsSync(path.join(store, 'runs')), false, 'no run in the store');
  assert.doesNotMatch(r.err, /t0ken/, 'credentials are never printed');
  fs.rmSync(ws, { recursive: true, force: true });
});

test('Cancel of a cluster run goes to the CLI, whose refusal is told whole', async () => {
  const { ws, store } = await workspace();
  const s = new FileStore(store);
  s.load();
  const now = new Date().toISOString();
  const run: RunRecord = {
    schema_version: 1, id: 'train-0a1b2c3d', sweep_id: 'train-experiment-0a1b2c3d', experiment: 'train', experiment_file: path.join(ws, 'train.experiment.yaml'),
    trial: { index: 0, key: '0a1b2c3d4e5f6a7b', name: 'train', repeat: 0 }, params: {}, target: 'cluster', status: 'running', created: now, host: os.hostname(), summary: {},
    attempts: [{ n: 1, started: now, k8s: { kind: 'Job', namespace: 'training', name: 'train-0a1b2c3d-a1', context: 'test', pod: 'train-0a1b2c3d-a1-x7k2p', phase: 'Running', node: 'gpu-node-1' } }],
  };
  s.create(run, 'name: train\n');
  await s.flush();
  // As the extension cancels every run: `expctl cancel --json`.
  const r = await runCli(CLI, ['cancel', run.id, '--json', '--store', store], store);
  assert.equal(r.code, 1, r.out + r.err);
  const answer = cliJson(r);
  assert.ok('error' in answer);
  // The CLI tried to delete the attempt's Job, in the background (its pods go with it).
  assert.match(answer.error, /^cancel: the cluster refused: request to https:\/\/127\.0\.0\.1:\d+\/apis\/batch\/v1\/namespaces\/training\/jobs\/train-0a1b2c3d-a1\?propagationPolicy=Background failed, reason: connect ECONNREFUSED .*\(the runs are marked; run expctl cancel again once it answers\)$/);
  fs.rmSync(ws, { recursive: true, force: true });
});

test('a CLI that cannot start at all is an error with the reason, not a silent exit', async () => {
  const r = await runCli(CLI, ['--version'], path.join(os.tmpdir(), 'expctl-no-such-folder'));
  assert.equal(r.code, 1);
  assert.match(cliFailure(r), /ENOENT/);
});
