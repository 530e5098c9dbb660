// The expctl extension in a REAL VS Code: code-server with the packaged expctl.vsix installed into a
// fresh extensions folder, driven in headless Chromium. One session (a copy of examples/quickstart,
// workspace trusted) covers diagnostics, completion, running a sweep from its code lens, the
// Experiments view, a log terminal, the Run/Sweep/Compare panels' charts and the activation time; a
// second session (Workspace Trust on, folder not trusted: Restricted Mode) checks that nothing is
// launched there while validation still works; a third runs an extension-host test module
// (test/e2e/exthost-expctl/suite.cjs) with the repo root as the extension under development.
//
// Run:  node --import tsx --test --test-concurrency=1 test/e2e/extension.test.ts
//       (once: bash scripts/install-e2e.sh). The VSIX: expctl.vsix in the repo root is reused when
//       it is newer than everything it is built from, else `npm run package` builds it
//       (E2E_VSIX_REBUILD=1 always builds). The extension-host suite runs `node esbuild.mjs` first.
// Screenshots: test/.tmp/e2e/screens/extension-*.png; code-server logs: test/.tmp/e2e/extension*/.
// Workspaces are copies in the OS temp folder (runs write .expctl/ next to the files), removed
// after a passing run; E2E_KEEP=1 keeps them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame } from 'playwright-core';
import { REPO_ROOT, clearScreens, stepper, ensureVsix, quickstartCopy, findInstall, runExtensionTests, startVSCode, waitUntil, type VSCode } from './harness';

const BROKEN = 'name: b\ncommand: [python3, train.py]\nrepeat: 0\nmetrics: { goal: minimise }\n';
const GOAL_ERROR = '"minimise" is not allowed for metrics.goal';
const REPEAT_ERROR = 'repeat must be ≥ 1, got 0';
// Enum values under `launcher:` (line 4) and `metrics:` (line 6), values left empty for completion.
const COMPLETE = 'name: c\ncommand: [python3, train.py]\nlauncher:\n  type: \nmetrics:\n  goal: \n';
const TRIALS = ['lr0.01_bs16', 'lr0.01_bs64', 'lr0.05_bs16', 'lr0.05_bs64', 'lr0.1_bs16', 'lr0.1_bs64'];
const RUN_LENS = '▶ Run sweep (6 trials, max 2 parallel)';
const UNTRUSTED_WARNING = 'expctl does not launch runs in an untrusted workspace';
const UNTRUSTED_CANCEL = 'expctl does not cancel runs in an untrusted workspace';
// A one-trial run of the quickstart script that lasts about a minute (120 epochs, 0.5 s apart): the
// Experiments view updates live while it runs (the test kills, then cancels it, long before).
const SLOW = 'name: slow\ncommand: [python3, train.py, --epochs=120, --epoch-pause=0.5, --batch-size=64]\nmetrics: { primary: val_loss, goal: minimize, sources: [stdout] }\n';

const SETTINGS = {
  // xterm's DOM renderer: the terminal's rows are elements whose text can be read.
  'terminal.integrated.gpuAcceleration': 'off',
  // The view's title buttons (Compare Selected) show without hovering.
  'workbench.view.alwaysShowHeaderActions': true,
  'editor.minimap.enabled': false,
  // Small enough that a whole run's log (both attempts) fits the maximized terminal.
  'terminal.integrated.fontSize': 9,
};

const keep = !!process.env.E2E_KEEP;
const workspaces: string[] = [];
const timings: Array<[string, number]> = [];
let activationMs: number | undefined;
let failed = false;

/** A quickstart copy (harness.ts), removed when the file's tests end. */
function makeWorkspace(prefix: string, extra: Record<string, string> = {}): string {
  const ws = quickstartCopy(prefix, extra);
  workspaces.push(ws);
  return ws;
}

function runRecords(ws: string): Array<{ id: string; status: string; trial: { name: string }; attempts: unknown[] }> {
  const dir = path.join(ws, '.expctl', 'runs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((id) => {
    const f = path.join(dir, id, 'run.json');
    try { return [JSON.parse(fs.readFileSync(f, 'utf8'))]; } catch { return []; } // not written yet
  });
}

/** Pixels of each <canvas> in a frame: `painted` (alpha > 0) and `coloured` (opaque and saturated:
 * a data series in a chart colour, not the grey of axes, grid and text). */
const CANVAS_PIXELS = `[...document.querySelectorAll('canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0, coloured = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0) painted++;
    if (d[i + 3] > 128 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) coloured++;
  }
  return { chart: c.getAttribute('aria-label') || '', width: c.width, height: c.height, painted, coloured };
})`;
type CanvasPixels = { chart: string; width: number; height: number; painted: number; coloured: number };

/** Waits until a panel's frame has a canvas with a drawn data series; scrolls the first such canvas
 * into view (for the screenshot) and returns every canvas's pixel counts. */
async function waitForDrawnChart(frame: Frame, what: string, timeoutMs = 60_000): Promise<CanvasPixels[]> {
  let stats: CanvasPixels[] = [];
  await waitUntil(async () => {
    stats = (await frame.evaluate(CANVAS_PIXELS)) as CanvasPixels[];
    return stats.some((s) => s.painted > 0 && s.coloured > 50);
  }, `a chart with a drawn data series in the ${what} panel (canvases: ${JSON.stringify(stats)})`, timeoutMs, 250);
  const first = stats.findIndex((s) => s.coloured > 0);
  await frame.evaluate(`document.querySelectorAll('canvas')[${first}].closest('figure').scrollIntoView({ block: 'nearest' })`);
  return stats;
}

function logCharts(what: string, stats: CanvasPixels[]): void {
  const empty = stats.filter((s) => s.coloured === 0).map((s) => s.chart);
  console.log(`[e2e] ${what} panel: ${stats.length} chart canvases; with a drawn series: ${stats.filter((s) => s.coloured > 0).map((s) => s.chart).join(', ')}` +
    (empty.length ? `; no series pixels in: ${empty.join(', ')}` : ''));
}

describe('expctl extension in VS Code (code-server + Chromium, packaged VSIX)', { timeout: 420_000 }, () => {
  let vs: VSCode | undefined;
  let ws = '';

  before(async () => {
    findInstall(); // without the toolchain: fails here with "run `bash scripts/install-e2e.sh` …"
    clearScreens('extension');
    const v = ensureVsix();
    timings.push([v.built ? 'npm run package (VSIX was out of date)' : 'VSIX reused (newer than its sources)', v.ms]);
    ws = makeWorkspace('expctl-e2e-', { 'broken.experiment.yaml': BROKEN, 'complete.experiment.yaml': COMPLETE, 'slow.experiment.yaml': SLOW });
    const t0 = Date.now();
    vs = await startVSCode({ name: 'extension', folder: ws, vsix: [v.vsix], disableWorkspaceTrust: true, settings: SETTINGS, timeoutMs: 120_000 });
    timings.push(['install VSIX + start code-server + workbench', Date.now() - t0]);
  }, { timeout: 400_000 });

  after(async () => {
    await vs?.close();
  });

  /** A step: times it, and leaves screens/extension-failure-<name>.png when it fails. */
  const step = stepper('extension', () => vs, () => { failed = true; }, (n, ms) => timings.push([n, ms]));

  it('shows the errors of a broken experiment file in Problems, and a "Fix N errors" lens', () => step('1-diagnostics', async (vs) => {
    await vs.openFile('broken.experiment.yaml');
    // The lens first, while the editor has focus: VS Code drops a pending lens refresh when the
    // editor loses focus (opening Problems does that) and asks again only when it gets focus back.
    await vs.waitForCodeLens('⚠ Fix 2 errors to run', 60_000);
    assert.deepEqual(await vs.codeLenses(), ['⚠ Fix 2 errors to run']);
    const rows = await vs.waitForProblems((r) => r.some((x) => x.includes(GOAL_ERROR)) && r.some((x) => x.includes(REPEAT_ERROR)),
      `"${GOAL_ERROR}" and "${REPEAT_ERROR}"`, 60_000);
    assert.ok(rows.some((r) => /^Error: "minimise" is not allowed for metrics\.goal\b.* at line 4 and character 18\. generated by expctl$/.test(r)),
      `the metrics.goal error with its position and source:\n${rows.join('\n')}`);
    assert.ok(rows.some((r) => /^Error: repeat must be ≥ 1, got 0\. at line 3 and character 9\. generated by expctl$/.test(r)), `the repeat error:\n${rows.join('\n')}`);
    assert.ok(rows.some((r) => r.startsWith('2 problems in file broken.experiment.yaml')), `2 problems in broken.experiment.yaml:\n${rows.join('\n')}`);
    await vs.screenshot('extension-1-diagnostics');
  }));

  it('activates and logs its activation time in the "expctl" output channel', () => step('7-activation', async (vs) => {
    let text = await vs.outputChannelText('expctl', 60_000);
    await waitUntil(async () => /expctl activated in \d+ ms/.test((text = await vs.outputText())), 'expctl activated in N ms in the output channel', 60_000);
    activationMs = Number(/expctl activated in (\d+) ms/.exec(text)![1]);
    console.log(`[e2e] activation time (output channel "expctl"): expctl activated in ${activationMs} ms`);
    assert.ok(activationMs > 0 && activationMs < 30_000, `activation took ${activationMs} ms`);
    await vs.screenshot('extension-7-output-activation');
  }));

  it('says why a run could not start (the CLI refuses a file with errors), never a silent no-op', () => step('1b-run-refused', async (vs) => {
    await vs.openFile('broken.experiment.yaml');
    await vs.activeEditor().locator('.view-lines').click();
    await vs.runCommand('expctl: Run');
    const refused = await vs.waitForNotification('expctl could not start broken.experiment.yaml', 60_000);
    assert.match(refused, /repeat must be ≥ 1, got 0/, `the CLI's reason in the notification: ${refused}`);
    await vs.screenshot('extension-1b-run-refused');
    await vs.runCommand('Notifications: Clear All Notifications');
  }));

  it('completes enum values (launcher.type, metrics.goal) in the suggest widget', () => step('2-completion', async (vs) => {
    await vs.openFile('complete.experiment.yaml');
    await vs.waitForEditorText('launcher:');
    const types = await vs.suggestAt(4);
    await vs.screenshot('extension-2-completion-launcher-type');
    await vs.page.keyboard.press('Escape');
    const goals = await vs.suggestAt(6);
    await vs.screenshot('extension-2-completion-metrics-goal');
    await vs.page.keyboard.press('Escape');
    const labels = (rows: string[]) => rows.map((r) => r.split(',')[0].trim()).sort();
    assert.deepEqual(labels(types), ['accelerate', 'none', 'torchrun'], `launcher.type suggestions: ${types.join(' | ')}`);
    assert.deepEqual(labels(goals), ['maximize', 'minimize'], `metrics.goal suggestions: ${goals.join(' | ')}`);
  }));

  it('runs grid.sweep.yaml from its "▶ Run sweep" lens; the Experiments view shows 6 succeeded runs', () => step('3-run-sweep', async (vs) => {
    await vs.openFile('grid.sweep.yaml');
    const lens = await vs.waitForCodeLens(RUN_LENS, 60_000);
    const lenses = await vs.codeLenses();
    assert.deepEqual(lenses.slice(0, 2), [RUN_LENS, 'Preview trials'], `lenses: ${lenses.join(' | ')}`);
    // Where the README says: above the first key (`experiment:`), below the comment that opens the file.
    const lensBox = (await lens.boundingBox())!;
    const lineBox = async (text: string) => (await vs.activeEditor().locator('.view-lines .view-line', { hasText: text }).first().boundingBox())!;
    const comment = await lineBox('# 3 learning rates');
    const first = await lineBox('experiment: ./train.experiment.yaml');
    assert.ok(lensBox.y >= comment.y + comment.height - 1 && lensBox.y + lensBox.height <= first.y + 1,
      `the lens (y ${lensBox.y}–${lensBox.y + lensBox.height}) between the comment line (ends ${comment.y + comment.height}) and "experiment:" (starts ${first.y})`);
    const t0 = Date.now();
    await lens.click();
    await vs.openActivityBarItem('expctl');
    // The sweep node: "grid" with "6/6 · best val_loss …" once every trial has finished.
    await waitUntil(async () => (await vs.sideBarTreeRows()).some((r) => r.level === 1 && r.label === 'grid' && r.description.startsWith('6/6')),
      'the sweep "grid" at 6/6 in the Experiments view', 180_000, 250);
    const sweepRow = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="1"]', { hasText: 'grid' }).first();
    if ((await sweepRow.getAttribute('aria-expanded')) !== 'true') await sweepRow.locator('.monaco-tl-twistie').click();
    let runs: Awaited<ReturnType<VSCode['sideBarTreeRows']>> = [];
    await waitUntil(async () => {
      runs = (await vs.sideBarTreeRows()).filter((r) => r.level === 2);
      return runs.length === 6 && runs.every((r) => r.description.startsWith('succeeded'));
    }, 'six succeeded runs under the sweep', 60_000, 250);
    console.log(`[e2e] sweep finished ${Date.now() - t0} ms after the lens click; tree:\n${(await vs.sideBarTreeRows()).map((r) => `${'  '.repeat(r.level - 1)}${r.label} — ${r.description}`).join('\n')}`);
    assert.deepEqual(runs.map((r) => r.label.replace(/^★ /, '')).sort(), TRIALS);
    assert.equal(runs.filter((r) => r.label.startsWith('★ ')).length, 1, 'one best run marked ★');
    for (const r of runs) assert.match(r.description, /^succeeded · \d.* · val_loss \d/, `run row ${r.label}: ${r.description}`);
    // The flaky trials (lr 0.1) failed once and were retried: only their rows can expand (attempts).
    assert.deepEqual(runs.filter((r) => r.expanded !== undefined).map((r) => r.label.replace(/^★ /, '')).sort(), ['lr0.1_bs16', 'lr0.1_bs64']);
    const sweep = (await vs.sideBarTreeRows()).find((r) => r.level === 1)!;
    assert.match(sweep.description, /^6\/6 · best val_loss \d/);
    // On disk: six run.json, all succeeded (the runner may still be writing the last one's summary).
    await waitUntil(() => runRecords(ws).length === 6 && runRecords(ws).every((r) => r.status === 'succeeded'),
      `6 succeeded run.json in ${ws}/.expctl/runs (now: ${JSON.stringify(runRecords(ws).map((r) => [r.trial.name, r.status]))})`, 30_000);
    const records = runRecords(ws);
    assert.deepEqual(records.map((r) => r.trial.name).sort(), TRIALS);
    assert.deepEqual(records.filter((r) => r.attempts.length > 1).map((r) => r.trial.name).sort(), ['lr0.1_bs16', 'lr0.1_bs64'], 'the two flaky trials took 2 attempts');
    // The lens counts the results too. VS Code drops a lens refresh while the editor has no focus
    // (the click on the view took it), and asks again when the editor gets it back.
    await vs.activeEditor().locator('.view-lines').click();
    await vs.waitForCodeLens(/^Results \(6\)$/, 30_000);
    await vs.screenshot('extension-3-experiments-view');
    // Run again: nothing to do, and the editor says so at once instead of a progress that never moves.
    await (await vs.waitForCodeLens(RUN_LENS, 30_000)).click();
    const said = await vs.waitForNotification('all 6 trials already succeeded', 30_000);
    assert.match(said, /grid — all 6 trials already succeeded\. Re-run\?/);
    const toast = vs.page.locator('.notifications-toasts .notification-toast', { hasText: 'all 6 trials already succeeded' }).first();
    const buttons = await toast.locator('.monaco-button').evaluateAll((els) => els.map((el) => (el.textContent ?? '').trim()));
    assert.deepEqual(buttons.filter((b) => b.startsWith('Re-run')), ['Re-run all (6)'], `its choices: ${buttons.join(' | ')}`);
    // The sweep's progress notification ended with its runner: none is left.
    const left = (await vs.notifications()).filter((n) => n.startsWith('expctl: grid.sweep.yaml'));
    assert.deepEqual(left, [], 'no progress notification left after the sweep finished');
    await vs.screenshot('extension-3-nothing-to-run');
    await vs.runCommand('Notifications: Clear All Notifications');
  }));

  it('shows a run\'s stdout and stderr attempt by attempt in an "expctl: <trial>" terminal (Show Logs)', () => step('4-log-terminal', async (vs) => {
    await vs.runCommandAndPick('expctl: Show Logs', 'Show the logs of which run?', 'lr0.1_bs64');
    await waitUntil(async () => (await vs.activeTerminalName()) === 'expctl: lr0.1_bs64', 'the terminal "expctl: lr0.1_bs64"', 30_000);
    await vs.runCommand('View: Toggle Maximized Panel');
    let text = '';
    await waitUntil(async () => /— succeeded after [\d.]+ s —/.test((text = await vs.terminalText())), 'the end of the log in the terminal', 30_000);
    console.log(`[e2e] terminal "${await vs.activeTerminalName()}":\n${text.trimEnd()}`);
    assert.match(text, /^lr0\.1_bs64 \(lr0\.1_bs64-[0-9a-f]+\) — .*\.expctl\/runs\/lr0\.1_bs64-/m, 'the header line names the run and its folder');
    // In attempt order, a marker before each: the first attempt's stderr, then the retry's metrics.
    const at = (re: RegExp) => { const m = re.exec(text); assert.ok(m, `${re} in the terminal:\n${text}`); return m.index; };
    const marks = [at(/^── attempt 1 ──$/m), at(/simulated transient failure: connection to rank 1 lost/), at(/^── attempt 2 \(retry after exit:3\) ──$/m),
      at(/@expctl \{"step": 0, "train_loss": /), at(/@expctl \{"step": \d+, "epoch": 4, "loss": [\d.e-]+, "val_loss": /), at(/@expctl \{"train_time_s": /)];
    assert.deepEqual([...marks].sort((a, b) => a - b), marks, 'attempt 1 (its stderr), then attempt 2 (its metrics), in order');
    for (let epoch = 0; epoch < 5; epoch++) at(new RegExp(`@expctl \\{"step": \\d+, "epoch": ${epoch}, "loss": `));
    await vs.screenshot('extension-4-log-terminal');
    await vs.runCommand('View: Toggle Maximized Panel');
  }));

  it('draws charts in the Run, Sweep and Compare panels (canvas pixels inside the webviews)', () => step('5-panels', async (vs) => {
    await vs.hidePanel();
    // Run panel: a click on a run in the Experiments view.
    await vs.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: 'lr0.05_bs16' }).first().click();
    await vs.page.locator('.tabs-container .tab.active', { hasText: 'Run lr0.05_bs16' }).waitFor({ timeout: 30_000 });
    const run = await vs.waitForWebviewFrame(`document.body.dataset.kind === 'run' && document.querySelector('canvas')`, 60_000);
    let runStats = await waitForDrawnChart(run, 'Run');
    assert.match((await run.locator('h1, h2').first().textContent()) ?? '', /lr0\.05_bs16/);
    logCharts('Run', runStats);
    // The quickstart reports per step: curves for loss, val_loss, train_loss; w, b and train_time_s
    // once, and a one-point chart shows its point (not an empty axis).
    await waitUntil(async () => ['train_loss', 'val_loss', 'loss', 'w', 'b', 'train_time_s'].every((m) => runStats.some((c) => c.chart === m && c.coloured > 0))
      || !(runStats = (await run.evaluate(CANVAS_PIXELS)) as CanvasPixels[]), `every metric chart drawn (${JSON.stringify(runStats)})`, 30_000);
    await vs.screenshot('extension-5-run-panel');

    // Sweep panel: a click on the sweep (it is then the view's selection, for Compare Selected).
    await vs.page.locator('.part.sidebar .monaco-list-row[aria-level="1"]', { hasText: 'grid' }).first().click();
    await vs.page.locator('.tabs-container .tab.active', { hasText: /^Sweep / }).waitFor({ timeout: 30_000 });
    const sweep = await vs.waitForWebviewFrame(`document.body.dataset.kind === 'sweep' && document.querySelector('canvas')`, 60_000);
    const sweepStats = await waitForDrawnChart(sweep, 'Sweep');
    logCharts('Sweep', sweepStats);
    await vs.screenshot('extension-5-sweep-panel');

    // Compare panel: the view title's "Compare Selected" with the sweep selected.
    await vs.page.locator('.part.sidebar .action-label[aria-label="Compare Selected"]').first().click();
    await vs.page.locator('.tabs-container .tab.active', { hasText: /^Compare/ }).waitFor({ timeout: 30_000 });
    const compare = await vs.waitForWebviewFrame(`document.body.dataset.kind === 'compare' && document.querySelector('canvas')`, 60_000);
    const compareStats = await waitForDrawnChart(compare, 'Compare');
    logCharts('Compare', compareStats);
    assert.match((await compare.locator('body').textContent()) ?? '', /Runs\s*6/);
    await vs.screenshot('extension-5-compare-panel');
  }));

  it('Compare Selected in the view\'s title bar compares the whole selection (two runs)', () => step('8-compare-selection', async (vs) => {
    const row = (name: string) => vs.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: name }).first();
    await row('lr0.01_bs16').click();
    await row('lr0.05_bs64').click({ modifiers: ['Control'] });
    await waitUntil(async () => (await vs.page.locator('.part.sidebar .monaco-list-row.selected').count()) === 2, 'two selected rows', 10_000);
    // The focused row is the last one clicked: VS Code hands a title action that row only.
    await vs.page.locator('.part.sidebar .action-label[aria-label="Compare Selected"]').first().click();
    const compare = await vs.waitForWebviewFrame(`document.body.dataset.kind === 'compare' && /Runs\\s*2/.test(document.body.textContent)`, 60_000);
    // The two runs differ in batch size: the panel groups by it, one run each.
    const body = (await compare.locator('body').textContent()) ?? '';
    assert.match(body, /batch_size=16\s*1\s*0\.01047/, 'lr0.01_bs16 (val_loss 0.01047) is one group');
    assert.match(body, /batch_size=64\s*1\s*0\.009933/, 'lr0.05_bs64 (val_loss 0.009933) is the other');
    const stats = await waitForDrawnChart(compare, 'Compare (2 runs)');
    logCharts('Compare (2 runs)', stats);
    await vs.screenshot('extension-8-compare-selection');
  }));

  it('Preview trials opens a read-only preview, never an Untitled buffer', () => step('9-preview', async (vs) => {
    await vs.openFile('grid.sweep.yaml');
    await (await vs.waitForCodeLens('Preview trials', 30_000)).click();
    await vs.page.locator('.tabs-container .tab.active', { hasText: 'grid.sweep.yaml.trials.md' }).waitFor({ timeout: 30_000 });
    const preview = await vs.waitForWebviewFrame(`document.body.textContent.includes('lr0.1_bs64') && document.body.textContent.includes('6 trials')`, 30_000);
    assert.match((await preview.locator('body').textContent()) ?? '', /grid: 6 trials \(grid, max_parallel 2\)/);
    const tabs = await vs.page.locator('.tabs-container .tab').evaluateAll((els) => els.map((el) => ({ label: el.getAttribute('aria-label') ?? '', dirty: el.classList.contains('dirty') })));
    assert.deepEqual(tabs.filter((t) => /untitled/i.test(t.label) || t.dirty), [], `no Untitled or unsaved tab: ${JSON.stringify(tabs)}`);
    await vs.screenshot('extension-9-preview-trials');
  }));

  it('live: rows that do not change keep their inline actions while another run updates; a killed runner ends its notification and says so', () => step('10-live', async (vs) => {
    await vs.openFile('slow.experiment.yaml');
    await (await vs.waitForCodeLens('▶ Run', 60_000)).click();
    await vs.waitForNotification('expctl: slow.experiment.yaml', 30_000);
    await vs.openActivityBarItem('expctl');
    const slowRow = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="1"]', { hasText: 'slow' }).first();
    await slowRow.waitFor({ timeout: 30_000 });
    if ((await slowRow.getAttribute('aria-expanded')) !== 'true') await slowRow.locator('.monaco-tl-twistie').click();
    // A finished run's row, hovered: its inline actions show, and its DOM is watched while the slow run ticks.
    const still = vs.page.locator('.part.sidebar .monaco-list-row[aria-level="2"]', { hasText: 'lr0.01_bs16' }).first();
    await still.hover();
    const logs = still.locator('.actions .action-label[aria-label="Show Logs"]');
    await logs.waitFor({ state: 'visible', timeout: 10_000 });
    await still.evaluate((el) => {
      const w = window as unknown as { __mutations: number; __obs?: MutationObserver };
      w.__mutations = 0;
      w.__obs = new MutationObserver((m) => { w.__mutations += m.length; });
      w.__obs.observe(el, { subtree: true, childList: true, attributes: true, characterData: true, attributeFilter: ['aria-label', 'class', 'title'] });
    });
    const descriptions = new Set<string>();
    await waitUntil(async () => {
      const r = (await vs.sideBarTreeRows()).find((x) => x.level === 2 && x.label === 'slow-0');
      if (r?.description.startsWith('running')) descriptions.add(r.description);
      return descriptions.size >= 4;
    }, `the slow run's row updated 4 times (${[...descriptions].join(' | ')})`, 60_000, 200);
    const mutations = await vs.page.evaluate(() => { const w = window as unknown as { __mutations: number; __obs?: MutationObserver }; w.__obs?.disconnect(); return w.__mutations; });
    console.log(`[e2e] live tree: the slow run's row showed ${[...descriptions].join(' | ')}; the finished row it did not touch saw ${mutations} DOM mutations`);
    assert.equal(mutations, 0, 'a row that did not change is not re-rendered by live updates');
    assert.ok(await logs.isVisible(), 'its inline actions are still there, under the pointer');
    await vs.screenshot('extension-10-live-tree');
    await logs.click();
    // Its terminal (a second terminal turns the panel's single tab into a list: read whichever shows, without waiting on either).
    await waitUntil(async () => (await vs.page.evaluate(() => [...document.querySelectorAll('.part.panel .terminal-tabs-entry, .part.panel .single-terminal-tab')]
      .map((el) => el.textContent ?? ''))).some((t) => t.includes('expctl: lr0.01_bs16')), 'the inline Show Logs opened the terminal "expctl: lr0.01_bs16"', 30_000);

    // The runner dies (SIGKILL: no chance to write anything): its notification ends and says so.
    const lock = fs.readdirSync(path.join(ws, '.expctl', 'sweeps')).map((d) => path.join(ws, '.expctl', 'sweeps', d, 'runner.lock')).find((f) => fs.existsSync(f));
    assert.ok(lock, 'the slow runner holds its sweep lock');
    const { pid } = JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid: number };
    const slowRun = runRecords(ws).find((r) => r.trial.name === 'slow-0') as unknown as { attempts: Array<{ pid?: number }> };
    process.kill(-pid, 'SIGKILL');
    const child = slowRun.attempts.at(-1)?.pid;
    if (child) try { process.kill(-child, 'SIGKILL'); } catch { /* already gone */ }
    const died = await vs.waitForNotification('stopped before finishing', 30_000);
    assert.match(died, new RegExp(`^expctl: the runner of slow\\.experiment\\.yaml \\(pid ${pid}\\) stopped before finishing`));
    await waitUntil(async () => !(await vs.notifications()).some((n) => n.startsWith('expctl: slow.experiment.yaml')), 'the progress notification of slow.experiment.yaml gone', 10_000);
    // Its row no longer claims to be running.
    await waitUntil(async () => (await vs.sideBarTreeRows()).some((x) => x.label === 'slow-0' && x.description.startsWith('interrupted (its runner is gone)')),
      'the slow run\'s row: interrupted (its runner is gone)', 10_000);
    await vs.screenshot('extension-10-runner-died');

    // Launched again (it resumes), then cancelled from its notification: the notification ends with the runner.
    await vs.runCommand('Notifications: Clear All Notifications');
    await vs.openFile('slow.experiment.yaml');
    await (await vs.waitForCodeLens('▶ Run', 30_000)).click();
    await vs.waitForNotification('expctl: slow.experiment.yaml', 30_000);
    await vs.page.locator('.notifications-toasts .notification-toast', { hasText: 'expctl: slow.experiment.yaml' }).first().locator('.monaco-button', { hasText: 'Cancel' }).click();
    await vs.waitForNotification('Cancelling slow', 30_000);
    await waitUntil(async () => !(await vs.notifications()).some((n) => n.startsWith('expctl: slow.experiment.yaml')), 'the progress notification gone after Cancel', 30_000);
    await waitUntil(() => runRecords(ws).some((r) => r.trial.name === 'slow-0' && r.status === 'cancelled'), 'the slow run cancelled in run.json', 30_000);
    await vs.screenshot('extension-10-cancelled');
  }));
});

describe('expctl extension in an untrusted workspace (Restricted Mode)', { timeout: 300_000 }, () => {
  it('refuses to launch from the lens and from "expctl: Run", and still validates', { timeout: 280_000 }, async () => {
    const v = ensureVsix();
    const ws = makeWorkspace('expctl-e2e-untrusted-', { 'broken.experiment.yaml': BROKEN });
    const t0 = Date.now();
    const vs = await startVSCode({
      name: 'extension-untrusted', folder: ws, vsix: [v.vsix], disableWorkspaceTrust: false, timeoutMs: 120_000,
      // Trust stays on; no startup prompt: a folder never trusted opens in Restricted Mode.
      settings: { ...SETTINGS, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' },
    });
    timings.push(['untrusted: install VSIX + start', Date.now() - t0]);
    const t1 = Date.now();
    try {
      await vs.page.locator('.part.statusbar .statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });

      await vs.openFile('grid.sweep.yaml');
      await (await vs.waitForCodeLens(RUN_LENS, 60_000)).click();
      const msg = await vs.waitForNotification(UNTRUSTED_WARNING, 30_000);
      assert.match(msg, /^expctl does not launch runs in an untrusted workspace: a run executes the commands of its YAML files\. Trust the workspace to run\.$/);
      await vs.screenshot('extension-6-untrusted-lens');

      // The palette command says the same (after the first toast is cleared: identical toasts merge).
      await vs.runCommand('Notifications: Clear All Notifications');
      await vs.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: 30_000 });
      await vs.runCommand('expctl: Run');
      await vs.waitForNotification(UNTRUSTED_WARNING, 30_000);
      // Cancel says what it refused: cancelling, not launching.
      await vs.runCommand('expctl: Cancel');
      const cancel = await vs.waitForNotification(UNTRUSTED_CANCEL, 30_000);
      assert.match(cancel, /cancelling runs/);
      assert.doesNotMatch(cancel, /launch/);
      await vs.screenshot('extension-6-untrusted-cancel');

      // Validation works: the broken file's errors in Problems.
      await vs.openFile('broken.experiment.yaml');
      await vs.waitForCodeLens('⚠ Fix 2 errors to run', 60_000); // before Problems takes the focus (see step 1)
      const rows = await vs.waitForProblems((r) => r.some((x) => x.includes(GOAL_ERROR)) && r.some((x) => x.includes(REPEAT_ERROR)),
        `"${GOAL_ERROR}" and "${REPEAT_ERROR}" in Restricted Mode`, 60_000);
      assert.ok(rows.some((r) => r.startsWith('2 problems in file broken.experiment.yaml')), rows.join('\n'));
      await vs.screenshot('extension-6-untrusted-problems');

      // Nothing was launched: the extension logged why, never a `$ expctl run …`, and no store exists.
      // The Output view wraps long lines: compare with whitespace runs (and line breaks) as one space.
      const out = (await vs.outputChannelText('expctl')).replace(/\s+/g, ' ');
      assert.match(out, /workspace not trusted: validation, completion and panels work; launching runs does not/);
      assert.doesNotMatch(out, /\$ expctl run/);
      assert.equal(fs.existsSync(path.join(ws, '.expctl', 'runs')), false, 'no .expctl/runs in the untrusted workspace');
      assert.equal(fs.existsSync(path.join(ws, '.expctl')), false, 'no .expctl store at all');
    } catch (e) {
      failed = true;
      await vs.screenshot('extension-failure-6-untrusted').catch(() => {});
      throw e;
    } finally {
      timings.push(['6-untrusted', Date.now() - t1]);
      await vs.close();
    }
  });
});

describe('expctl extension host (repo root as extension under development)', { timeout: 240_000 }, () => {
  it('activates, registers every command of package.json, and publishes diagnostics', { timeout: 220_000 }, async () => {
    findInstall();
    const t0 = Date.now();
    const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(build.status, 0, `node esbuild.mjs failed:\n${build.stdout}${build.stderr}`);
    const ws = makeWorkspace('expctl-e2e-exthost-', { 'broken.experiment.yaml': BROKEN });
    const r = await runExtensionTests({
      name: 'extension-exthost', folder: ws, extensionDevelopmentPath: '.',
      extensionTestsPath: 'test/e2e/exthost-expctl/suite.cjs', timeoutMs: 180_000,
    });
    timings.push(['extension host suite (build + run)', Date.now() - t0]);
    const lines = r.log.filter((l) => l.includes('expctl-exthost') || /error|fail|assert/i.test(l));
    console.log(`[e2e] extension host:\n${lines.join('\n')}`);
    if (r.exitCode !== 0) failed = true;
    assert.equal(r.exitCode, 0, `extension-host tests failed:\n${r.log.filter((l) => !l.includes('gallery')).join('\n')}`);
    assert.ok(r.log.some((l) => l.includes('expctl-exthost: ok')), `the suite did not finish:\n${r.log.join('\n')}`);
  });
});

after(() => {
  const total = timings.reduce((a, [, ms]) => a + ms, 0);
  console.log(`[e2e] timings:\n${timings.map(([n, ms]) => `  ${n.padEnd(48)} ${(ms / 1000).toFixed(1)} s`).join('\n')}\n  ${'sum'.padEnd(48)} ${(total / 1000).toFixed(1)} s`);
  if (activationMs !== undefined) console.log(`[e2e] expctl activated in ${activationMs} ms (output channel "expctl", code-server 4.139.1, packaged VSIX)`);
  if (!keep && !failed) for (const ws of workspaces) fs.rmSync(ws, { recursive: true, force: true });
  else if (workspaces.length) console.log(`[e2e] workspaces kept: ${workspaces.join(' ')}`);
});
