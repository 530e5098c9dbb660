// Cluster runs in a REAL VS Code (code-server + Chromium, the packaged expctl.vsix), without a
// cluster: a copy of examples/quickstart whose `cluster` target's kubeconfig names an API server
// nobody listens on (a cluster that is down), and a results store holding a sweep of cluster runs
// as the runner writes them (run.json with each attempt's `k8s`), its runner a live process.
// Checked: the Experiments view shows each pod's phase and node (and why one is pending), the
// attempts' Jobs; Cancel of a cluster run goes through `expctl cancel` and says why the cluster
// refused; "▶ Run on cluster" shows the CLI's whole preflight failure, not its first line.
//
// Run:  node --import tsx --test --test-concurrency=1 test/e2e/cluster.test.ts
//       (once: bash scripts/install-e2e.sh; the VSIX is rebuilt when older than its sources).
// Screenshots: test/.tmp/e2e/screens/cluster-*.png. The workspace (OS temp folder) is removed
// after a passing run; E2E_KEEP=1 keeps it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileStore } from '../../core/src/store/store';
import type { AttemptRecord, RunRecord } from '../../core/src/store/store';
import { freePort } from '../../core/src/util/net';
import { clearScreens, stepper, ensureVsix, quickstartCopy, findInstall, startVSCode, waitUntil, type VSCode } from './harness';

const SWEEP = 'hpo-cluster-sweep-0c0ffee0';
const UNSCHEDULABLE = 'unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.';

/** A cluster run as the runner leaves it while it goes on: status running, its attempts' Jobs. */
function clusterRun(ws: string, runner: number, index: number, name: string, attempts: AttemptRecord[]): RunRecord {
  const key = `${index}`.padStart(16, 'a');
  return {
    schema_version: 1, id: `${name}-${key.slice(0, 8)}`, sweep_id: SWEEP, experiment: 'quickstart-linear', experiment_file: path.join(ws, 'train.experiment.yaml'),
    trial: { index, key, name, repeat: 0 }, params: {}, target: 'cluster', status: 'running', created: attempts[0].started, started: attempts[0].started,
    attempts, host: os.hostname(), runner_pid: runner, summary: {},
  };
}

const job = (name: string, n: number, more: Partial<NonNullable<AttemptRecord['k8s']>>): NonNullable<AttemptRecord['k8s']> =>
  ({ kind: 'Job', namespace: 'training', name: `${name.replace(/[._]/g, '-')}-a${n}`, context: 'kind-expctl', pod: `${name.replace(/[._]/g, '-')}-a${n}-x7k2p`, ...more });

describe('expctl extension and cluster runs (code-server + Chromium, packaged VSIX, no cluster)', { timeout: 400_000 }, () => {
  let vs: VSCode | undefined;
  let ws = '';
  let runner: ChildProcess | undefined;
  let failed = false;

  before(async () => {
    findInstall();
    clearScreens('cluster');
    const v = ensureVsix();
    ws = quickstartCopy('expctl-e2e-cluster-');
    const port = await freePort();
    fs.writeFileSync(path.join(ws, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config', 'current-context: kind-expctl',
      `clusters: [{ name: down, cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: t0ken } }]',
      'contexts: [{ name: kind-expctl, context: { cluster: down, user: u } }]', '',
    ].join('\n'));
    fs.writeFileSync(path.join(ws, 'targets.yaml'), 'default: local\ntargets:\n  local: { type: local, max_parallel: 2 }\n'
      + '  cluster: { type: kubernetes, kubeconfig: ./kubeconfig, context: kind-expctl, namespace: training, image: python:3.11-slim, max_parallel: 8 }\n');

    // The sweep's runner: a live process, as a detached `expctl run` would be.
    runner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const pid = runner.pid!;
    const t0 = Date.now() - 125_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const store = new FileStore(path.join(ws, '.expctl'));
    store.load();
    store.writeSweep(SWEEP, { name: 'hpo-cluster', file: path.join(ws, 'grid.sweep.yaml'), trials: 3, target: 'cluster', runner_pid: pid, created: at(0) }, []);
    const runs = [
      clusterRun(ws, pid, 0, 'lr0.01_bs16', [{ n: 1, started: at(1), k8s: job('lr0.01_bs16', 1, { phase: 'Running', node: 'gpu-node-1' }) }]),
      clusterRun(ws, pid, 1, 'lr0.01_bs64', [{ n: 1, started: at(2), k8s: job('lr0.01_bs64', 1, { phase: 'Pending', detail: UNSCHEDULABLE }) }]),
      clusterRun(ws, pid, 2, 'lr0.05_bs16', [
        { n: 1, started: at(3), ended: at(44), duration_s: 41, failure_class: 'evicted', message: 'The node was low on resource: memory.', k8s: job('lr0.05_bs16', 1, { phase: 'Failed', node: 'gpu-node-2' }) },
        { n: 2, started: at(46), k8s: job('lr0.05_bs16', 2, { phase: 'Running', node: 'gpu-node-3' }) },
      ]),
    ];
    for (const r of runs) store.create(r, 'name: quickstart-linear\n');
    await store.flush();

    vs = await startVSCode({
      name: 'cluster', folder: ws, vsix: [v.vsix], disableWorkspaceTrust: true, timeoutMs: 120_000,
      settings: { 'workbench.view.alwaysShowHeaderActions': true, 'editor.minimap.enabled': false },
    });
  }, { timeout: 380_000 });

  after(async () => {
    await vs?.close();
    runner?.kill();
    if (!process.env.E2E_KEEP && !failed) fs.rmSync(ws, { recursive: true, force: true });
    else console.log(`[e2e] workspace kept: ${ws}`);
  });

  const step = stepper('cluster', () => vs, () => { failed = true; });

  it('shows each pod\'s phase and node, why one is pending, and the attempts\' Jobs', () => step('1-view', async (vs) => {
    await vs.openActivityBarItem('expctl');
    await waitUntil(async () => (await vs.sideBarTreeRows()).some((r) => r.level === 1 && r.label === 'hpo-cluster'), 'the sweep "hpo-cluster" in the Experiments view', 60_000);
    const sweepRow = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="1"]', { hasText: 'hpo-cluster' }).first();
    if ((await sweepRow.getAttribute('aria-expanded')) !== 'true') await sweepRow.locator('.monaco-tl-twistie').click();
    const retried = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: 'lr0.05_bs16' }).first();
    await retried.waitFor({ timeout: 30_000 });
    if ((await retried.getAttribute('aria-expanded')) !== 'true') await retried.locator('.monaco-tl-twistie').click();
    let rows: Awaited<ReturnType<VSCode['sideBarTreeRows']>> = [];
    await waitUntil(async () => (rows = await vs.sideBarTreeRows()).filter((r) => r.level === 3).length === 2, 'the two attempts of lr0.05_bs16', 30_000);
    console.log(`[e2e] tree:\n${rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label} — ${r.description}`).join('\n')}`);
    const row = (label: string) => rows.find((r) => r.label === label)?.description;
    // A running run's row ends with how long it has been running (`· 2m18s`, `· 4.2 s`).
    const running = (label: string) => {
      const d = row(label) ?? '';
      assert.match(d, / · (\d+h)?(\d+m)?\d+(\.\d+)? ?s$/, `${label}: ${d}`);
      return d.replace(/ · (\d+h)?(\d+m)?\d+(\.\d+)? ?s$/, '');
    };
    assert.equal(running('lr0.01_bs16'), 'running · Running on gpu-node-1');
    assert.equal(running('lr0.01_bs64'), `running · Pending: ${UNSCHEDULABLE}`);
    assert.equal(running('lr0.05_bs16'), 'running · Running on gpu-node-3');
    assert.equal(row('attempt 1'), 'evicted · lr0-05-bs16-a1 · on gpu-node-2 · 41.0 s · The node was low on resource: memory.');
    assert.equal(row('attempt 2'), 'running · lr0-05-bs16-a2 · Running on gpu-node-3');
    await vs.screenshot('cluster-1-experiments-view');
  }));

  it('cancels a cluster run through `expctl cancel`, and says why the cluster refused', () => step('2-cancel', async (vs) => {
    const row = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: 'lr0.01_bs16' }).first();
    await row.hover();
    await row.locator('.action-label[aria-label="Cancel"]').click();
    const said = await vs.waitForNotification('expctl could not cancel lr0.01_bs16', 60_000);
    assert.match(said, /^expctl could not cancel lr0\.01_bs16: cancel: the cluster refused: request to https:\/\/127\.0\.0\.1:\d+\/apis\/batch\/v1\/namespaces\/training\/jobs\/lr0-01-bs16-a1\?propagationPolicy=Background failed, reason: connect ECONNREFUSED .*\(the runs are marked; run expctl cancel again once it answers\)$/);
    await vs.screenshot('cluster-2-cancel-refused');
    assert.ok(runner && runner.exitCode === null && runner.signalCode === null, 'a run\'s cancel leaves its sweep\'s runner alone');
  }));

  it('"▶ Run on cluster" on a sweep shows the CLI\'s whole preflight failure', () => step('3-run-on-cluster', async (vs) => {
    await vs.runCommand('Notifications: Clear All Notifications');
    await vs.openFile('grid.sweep.yaml');
    const lens = await vs.waitForCodeLens('▶ Run on cluster', 60_000);
    await lens.click();
    const said = await vs.waitForNotification('expctl could not start grid.sweep.yaml', 60_000);
    assert.match(said, /^expctl could not start grid\.sweep\.yaml: grid: target cluster: preflight on context 'kind-expctl' \(https:\/\/127\.0\.0\.1:\d+\) failed: - cannot reach the API server: .*ECONNREFUSED.* nothing was started \(--no-preflight skips these checks\)$/);
    assert.doesNotMatch(said, /t0ken/);
    await vs.screenshot('cluster-3-run-on-cluster-preflight');
  }));
});
