// Results inline in the YAML (issue 16 item 5) in a REAL VS Code: code-server with the packaged
// expctl.vsix, in headless Chromium, on a copy of examples/quickstart whose sweep has been run with
// the CLI. The sweep file shows each value's median val_loss and n as inlay hints (the best starred),
// a hover on a value lists its runs with links, a link opens the run's panel, and a run of the
// experiment finished while the file is open shows its outcome beside `name:` without an edit.
//
// Run:  node --import tsx --test --test-concurrency=1 test/e2e/inlay.test.ts
//       (once: bash scripts/install-e2e.sh; the VSIX is rebuilt when older than its sources).
// Screenshots: test/.tmp/e2e/screens/inlay-*.png. E2E_KEEP=1 keeps the workspace.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../client/src/cli';
import { REPO_ROOT, clearScreens, stepper, ensureVsix, quickstartCopy, findInstall, startVSCode, waitUntil, type VSCode } from './harness';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const SETTINGS = { 'editor.minimap.enabled': false, 'editor.inlayHints.enabled': 'on' };

describe('results inline in the YAML (code-server + Chromium, packaged VSIX)', { timeout: 420_000 }, () => {
  let vs: VSCode | undefined;
  let ws = '';
  let failed = false;

  before(async () => {
    findInstall();
    clearScreens('inlay');
    const v = ensureVsix();
    ws = quickstartCopy('expctl-e2e-inlay-');
    // The sweep's results, as a user who ran it from a terminal has them.
    const r = await runCli(CLI, ['run', 'grid.sweep.yaml'], ws);
    assert.equal(r.code, 0, `expctl run grid.sweep.yaml: ${r.out}${r.err}`);
    vs = await startVSCode({ name: 'inlay', folder: ws, vsix: [v.vsix], disableWorkspaceTrust: true, settings: SETTINGS, timeoutMs: 120_000 });
  }, { timeout: 400_000 });

  after(async () => {
    await vs?.close();
    if (!failed && !process.env.E2E_KEEP && ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  const step = stepper('inlay', () => vs, () => { failed = true; });

  /** The active editor's line holding `text`, with the inlay hints VS Code renders into it. */
  const lineWith = async (vs: VSCode, text: string) => (await vs.editorLines()).find((l) => l.includes(text)) ?? '';

  it('shows median val_loss and n beside each swept value, the best of each parameter starred', () => step('1-hints', async (vs) => {
    await vs.openFile('grid.sweep.yaml');
    let lr = '';
    let bs = '';
    await waitUntil(async () => {
      lr = await lineWith(vs, 'params.learning_rate');
      bs = await lineWith(vs, 'params.batch_size');
      return (lr.match(/▸/g) ?? []).length === 3 && (bs.match(/▸/g) ?? []).length === 2;
    }, `3 hints on the learning-rate line and 2 on the batch-size line (now: "${lr}" / "${bs}")`, 60_000);
    console.log(`[e2e] hints:\n  ${lr}\n  ${bs}`);
    // `0.01 ▸ 0.0105 (n=2)`: a value, then its hint.
    for (const v of ['0.01', '0.05', '0.1']) assert.match(lr, new RegExp(`${v.replace('.', '\\.')}\\s*▸ \\d[\\d.e-]* \\(n=2\\)`), `hint after ${v}: ${lr}`);
    for (const v of ['16', '64']) assert.match(bs, new RegExp(`${v}\\s*▸ \\d[\\d.e-]* \\(n=3\\)`), `hint after ${v}: ${bs}`);
    assert.equal((lr.match(/★/g) ?? []).length, 1, `one best learning rate: ${lr}`);
    assert.equal((bs.match(/★/g) ?? []).length, 1, `one best batch size: ${bs}`);
    await vs.screenshot('inlay-1-sweep-hints');
  }));

  it('hover on a value lists its runs; a run id opens its panel', () => step('2-hover', async (vs) => {
    const line = vs.activeEditor().locator('.view-lines .view-line', { hasText: 'params.learning_rate' }).first();
    await line.getByText('0.05', { exact: true }).first().hover();
    const hover = vs.page.locator('.monaco-hover:not(.hidden)', { hasText: 'Results of' }).first();
    await hover.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await hover.textContent()) ?? '';
    assert.match(text, /Results of params\.learning_rate = 0\.05/, text);
    assert.match(text, /val_loss \(minimize\): median [\d.e-]+ of 2 trials/, text);
    const links = hover.locator('a', { hasText: /^lr0\.05_bs(16|64)-/ });
    assert.equal(await links.count(), 2, `two run links in: ${text}`);
    await vs.screenshot('inlay-2-hover');
    const runId = ((await links.first().textContent()) ?? '').trim();
    await links.first().click();
    const panel = await vs.waitForWebviewFrame(`document.body.dataset.kind === 'run' && document.body.textContent.includes(${JSON.stringify(runId)})`, 60_000);
    assert.ok(panel, `the Run panel of ${runId}`);
    await vs.screenshot('inlay-3-run-panel');
  }));

  it('a run of the experiment that finishes while its file is open shows beside name:', () => step('3-experiment', async (vs) => {
    await vs.openFile('train.experiment.yaml');
    await vs.waitForEditorText('name: quickstart-linear');
    assert.doesNotMatch(await lineWith(vs, 'name: quickstart-linear'), /succeeded|failed/, 'not run yet');
    const r = await runCli(CLI, ['run', 'train.experiment.yaml'], ws);
    assert.equal(r.code, 0, `expctl run train.experiment.yaml: ${r.out}${r.err}`);
    let name = '';
    await waitUntil(async () => /✓ succeeded \S+ ago · val_loss \d/.test((name = await lineWith(vs, 'name: quickstart-linear'))),
      `"✓ succeeded … ago · val_loss …" beside name: (now: "${name}")`, 30_000);
    console.log(`[e2e] experiment: ${name}`);
    await vs.screenshot('inlay-4-experiment-outcome');
  }));
});
