// Smoke test of the e2e infrastructure: a real VS Code (code-server) in headless Chromium opens
// examples/quickstart, opens train.experiment.yaml through Quick Open, and shows it as YAML.
// Run: node --import tsx --test test/e2e/smoke.test.ts   (once: bash scripts/install-e2e.sh)
// Screenshots: test/.tmp/e2e/screens/smoke-*.png
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startVSCode, type VSCode } from './harness';

describe('e2e smoke: code-server + Chromium', { timeout: 180_000 }, () => {
  let vs: VSCode | undefined;

  // Never a silent skip: without the install, startVSCode throws "… run `bash scripts/install-e2e.sh` …",
  // this test fails with it, and so does every test after it.
  it('starts code-server and Chromium with examples/quickstart open', { timeout: 120_000 }, async () => {
    vs = await startVSCode({ name: 'smoke', folder: 'examples/quickstart' });
    await vs.screenshot('smoke-1-workbench');
  });

  after(async () => {
    await vs?.close();
  });

  // A failed step leaves a screenshot of the moment it failed.
  async function step(name: string, fn: (vs: VSCode) => Promise<void>): Promise<void> {
    assert.ok(vs, 'VS Code did not start (see the first test)');
    try {
      await fn(vs);
    } catch (e) {
      await vs.screenshot(`smoke-failure-${name}`).catch(() => {});
      throw e;
    }
  }

  it('opens train.experiment.yaml through Quick Open and shows its text', () => step('open', async (vs) => {
    await vs.openFile('train.experiment.yaml');
    await vs.waitForEditorText('command:');
    const lines = await vs.editorLines();
    assert.ok(lines.some((l) => l.startsWith('command:')), `no "command:" line among the visible lines:\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => l.includes('name: quickstart-linear')), `no "name: quickstart-linear" line:\n${lines.join('\n')}`);
    await vs.screenshot('smoke-2-editor');
  }));

  it('shows the built-in YAML language mode in the status bar', () => step('language-mode', async (vs) => {
    assert.equal(await vs.waitForLanguageMode('YAML'), 'YAML');
    await vs.screenshot('smoke-3-language-mode');
  }));

  it('runs a command from the palette and reads the Problems panel', () => step('problems', async (vs) => {
    // Built-in YAML support does not validate, and this session has no expctl extension: no problems.
    const rows = await vs.problems();
    assert.deepEqual(rows, []);
    await vs.page.locator('.markers-panel', { hasText: 'No problems have been detected' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(await vs.problemCounts(), { errors: 0, warnings: 0, infos: 0 });
    await vs.screenshot('smoke-4-problems');
  }));
});
