// Each panel rendered in headless Chromium as VS Code would host it: the HTML from
// client/src/panels/html.ts under its CSP, the bundled script, a stub acquireVsCodeApi, an `init`
// with sample data. Checks the handshake, that nothing breaks the CSP, clicks and exports, re-theming
// on a body class change; screenshots go to test/.tmp/panels/ for a person to look at.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { campaignReport, loadCampaign } from '../../core/src/report';
import type { RunRecord, RunStatus } from '../../core/src/store/store';
import type { TelemetryRecord } from '../../core/src/runner/telemetry';
import { panelHtml } from '../../client/src/panels/html';
import { runRow } from '../../client/src/panels/data';
import type { InitMessage, PanelKind, PanelSettings, RunRow, Series, SweepInfo, ToWebview } from '../../webviews/src/contract';

const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const OUT = path.join('test', '.tmp', 'panels');
const DIST = path.join(OUT, 'dist');
const ORIGIN = 'https://webview.test';
const SETTINGS: PanelSettings = { liveUpdateMs: 1000, resamples: 500, seed: 1 };

let browser: Browser;
let context: BrowserContext;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run \`bash scripts/install-e2e.sh\` (or set E2E_CHROMIUM).`);
  fs.mkdirSync(OUT, { recursive: true });
  // The same entries and options as esbuild.mjs's webview build, into a folder of the test's own.
  await esbuild.build({
    // Minified as --production ships it (and quicker for the pages to parse).
    bundle: true, platform: 'browser', format: 'iife', target: 'chrome122', minify: true, logLevel: 'silent', outdir: DIST,
    entryPoints: {
      run: 'webviews/src/run/main.ts', sweep: 'webviews/src/sweep/main.ts', compare: 'webviews/src/compare/main.ts',
      campaign: 'webviews/src/campaign/main.ts', panels: 'webviews/media/panels.css',
    },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // One context for all pages: a context each would cost a second apiece on a busy machine.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => { await browser?.close(); });

// ---- themes: the variables VS Code sets on a webview's <html>, a few of each default theme ------------

const THEMES: Record<string, { cls: string; vars: Record<string, string> }> = {
  dark: {
    cls: 'vscode-dark',
    vars: {
      'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', foreground: '#cccccc', descriptionForeground: '#9d9d9d',
      'panel-border': '#2b2b2b', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
      'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
      'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'dropdown-background': '#313131',
      'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'focusBorder': '#0078d4', 'list-hoverBackground': '#2a2d2e',
      'list-inactiveSelectionBackground': '#37373d', 'editorWidget-background': '#202020', 'textCodeBlock-background': '#2b2b2b',
      'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-green': '#89d185', 'errorForeground': '#f85149',
      'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'editor-font-family': "'Droid Sans Mono', monospace",
    },
  },
  light: {
    cls: 'vscode-light',
    vars: {
      'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', foreground: '#3b3b3b', descriptionForeground: '#717171',
      'panel-border': '#e5e5e5', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
      'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
      'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece', 'dropdown-background': '#ffffff',
      'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'focusBorder': '#005fb8', 'list-hoverBackground': '#f2f2f2',
      'list-inactiveSelectionBackground': '#e4e6f1', 'editorWidget-background': '#f8f8f8', 'textCodeBlock-background': '#f8f8f8',
      'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-green': '#388a34', 'errorForeground': '#a1260d',
      'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'editor-font-family': "'Droid Sans Mono', monospace",
    },
  },
  hc: {
    cls: 'vscode-high-contrast',
    vars: {
      'editor-background': '#000000', 'editor-foreground': '#ffffff', foreground: '#ffffff', descriptionForeground: '#ffffff',
      'panel-border': '#6fc3df', 'contrastBorder': '#6fc3df', 'contrastActiveBorder': '#f38518', 'badge-background': '#000000', 'badge-foreground': '#ffffff',
      'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df', 'button-secondaryBackground': '#000000',
      'button-secondaryForeground': '#ffffff', 'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df',
      'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df', 'focusBorder': '#f38518',
      'editorWidget-background': '#0c141f', 'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-green': '#89d185',
      'errorForeground': '#f48771', 'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px',
    },
  },
};

// ---- sample data (seeded, so screenshots are the same on every run) -----------------------------------

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const T0 = Date.parse('2025-03-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function record(o: { id: string; sweep: string; index: number; name: string; params: Record<string, unknown>; status: RunStatus; startMs: number; durS: number; metrics: Record<string, number> }): RunRecord {
  const ended = o.status === 'running' ? undefined : iso(o.startMs + o.durS * 1000);
  return {
    schema_version: 1, id: o.id, sweep_id: o.sweep, experiment: 'train', experiment_file: '/w/train.experiment.yaml',
    trial: { index: o.index, key: `trial${o.index}`, name: o.name, repeat: 0 }, params: o.params, target: 'local', status: o.status,
    created: iso(o.startMs - 1000), started: iso(o.startMs), ended, duration_s: ended ? o.durS : undefined,
    attempts: [{
      n: 1, started: iso(o.startMs), ended, duration_s: ended ? o.durS : undefined,
      exit_code: o.status === 'failed' ? 1 : o.status === 'succeeded' ? 0 : undefined,
      failure_class: o.status === 'failed' ? 'oom' : undefined, message: o.status === 'failed' ? 'CUDA out of memory' : undefined,
    }],
    host: 'gpu-node-1', git: { commit: '3f2a9c1d0b7e', dirty: false }, gpus: [0, 1],
    summary: Object.fromEntries(Object.entries(o.metrics).map(([k, v]) => [k, { last: v, min: v * 0.9, max: v * 1.6, mean: v * 1.2, count: 100 }])),
  };
}

function sweepRuns(sweep: string, n: number, seed: number, o: { startMs?: number; parallel?: number; shift?: number } = {}): RunRecord[] {
  const r = rng(seed);
  const lrs = [1e-4, 5e-4, 1e-3];
  const sizes = [64, 128, 256];
  const fmts = ['avro', 'parquet'];
  const out: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    const lr = lrs[i % 3];
    const hidden = sizes[Math.floor(i / 3) % 3];
    const fmt = fmts[Math.floor(i / 9) % 2];
    const loss = 0.2 + Math.abs(Math.log10(lr) + 3.3) * 0.15 + (256 - hidden) / 2000 + (fmt === 'avro' ? 0.02 : 0) + (o.shift ?? 0) + r() * 0.05;
    const status: RunStatus = i % 17 === 5 ? 'failed' : i >= n - 2 ? 'running' : 'succeeded';
    const slot = Math.floor(i / (o.parallel ?? 4));
    out.push(record({
      id: `${sweep}-t${i}`, sweep, index: i, name: `lr${lr}_h${hidden}_${fmt}`, params: { 'params.learning_rate': lr, 'params.hidden_size': hidden, 'params.data_format': fmt },
      status, startMs: (o.startMs ?? T0) + slot * 600_000, durS: 500 + r() * 100, metrics: { val_loss: loss, loss: loss * 0.8, step: 100 },
    }));
  }
  return out;
}

function info(id: string, name: string, runs: RunRecord[], maxParallel: number): SweepInfo {
  const best = runs.filter((r) => r.status === 'succeeded').reduce((a, b) => (b.summary.val_loss.last < a.summary.val_loss.last ? b : a));
  const counts = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 };
  for (const r of runs) counts[r.status]++;
  return { id, name, metric: { name: 'val_loss', goal: 'minimize' }, maxParallel, total: runs.length, counts, best: { id: best.id, trial: best.trial.name, value: best.summary.val_loss.last as number }, live: counts.running > 0 };
}

function curve(n: number, seed: number, scale = 1): Series {
  const r = rng(seed);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) { x.push(i); y.push(scale * (2 / Math.sqrt(i + 1) + 0.1 + 0.05 * r())); }
  return { x, y };
}

function runInit(): InitMessage<'run'> {
  const run = sweepRuns('mnist', 20, 3)[18];
  run.attempts.unshift({ n: 1, started: iso(T0), ended: iso(T0 + 95_000), duration_s: 95, exit_code: 137, failure_class: 'oom', message: 'CUDA out of memory. Tried to allocate 2.00 GiB' });
  run.attempts[1].n = 2;
  // Metric lines it could not read, and a warning: the panel says so above everything.
  run.metrics_bad_lines = 3;
  run.metrics_first_bad = { source: 'stdout', line: 12, text: "@expctl {'loss': 0.31}", error: 'not JSON: a printed Python dict? use json.dumps' };
  run.warnings = ['no val_accuracy reported'];
  const telemetry: TelemetryRecord[] = [];
  const r = rng(9);
  for (let i = 0; i < 900; i++) {
    telemetry.push({
      t: iso(T0 + 100_000 + i * 1000), cpu_pct: 180 + 40 * r(), rss_mb: 5200 + i * 2, procs: 4,
      gpus: [0, 1].map((index) => ({ index, util: 70 + 25 * r() - index * 10, mem_mb: 30000 + index * 2000 + i * 3, power_w: 250 + 60 * r() })),
    });
  }
  return {
    type: 'init', kind: 'run', key: { runId: run.id }, title: `Run ${run.trial.name}`, settings: SETTINGS,
    data: {
      run, config: 'name: train\ncommand: [python, train.py]\nparams:\n  learning_rate: 0.001\n  hidden_size: 256\n', telemetry,
      sweep: info('mnist', 'mnist-sweep', sweepRuns('mnist', 20, 3), 4),
      metrics: { loss: curve(10_000, 1), val_loss: curve(100, 2, 1.2), accuracy: { x: curve(100, 3).x, y: curve(100, 3).y.map((v) => 1 - v / 3) } },
    },
  };
}

function sweepInit(n: number): InitMessage<'sweep'> {
  const runs = sweepRuns('mnist', n, 5);
  return { type: 'init', kind: 'sweep', key: { sweepId: 'mnist' }, title: 'Sweep mnist-sweep', settings: SETTINGS, data: { sweep: info('mnist', 'mnist-sweep', runs, 8), runs: runs.map(runRow) } };
}

function compareInit(): InitMessage<'compare'> {
  const a = sweepRuns('seq', 18, 11, { parallel: 1 });
  const b = sweepRuns('par4', 18, 12, { parallel: 4, shift: 0.02 });
  const c = sweepRuns('par8', 18, 13, { parallel: 8, shift: 0.06 });
  const runs: RunRow[] = [...a, ...b, ...c].map(runRow);
  const curves: Record<string, Series> = {};
  runs.slice(0, 30).forEach((r, i) => { curves[r.id] = curve(500, 20 + i, 1 + i / 60); });
  return {
    type: 'init', kind: 'compare', key: { runIds: [], sweepIds: ['par4', 'par8', 'seq'] }, title: 'Compare', settings: SETTINGS,
    data: { sweeps: [info('seq', 'sequential', a, 1), info('par4', 'parallel-4', b, 4), info('par8', 'parallel-8', c, 8)], runs, missing: [], curves: { metric: 'val_loss', runs: curves, reset: true, omitted: 24 } },
  };
}

function campaignInit(): InitMessage<'campaign'> {
  const text = fs.readFileSync('examples/campaign-report/job_summary.csv', 'utf8');
  const loaded = loadCampaign(text);
  const times = loaded.attempts.map((x) => x.startTime ?? x.submitTime).filter((t): t is number => t !== undefined);
  return {
    type: 'init', kind: 'campaign', key: { csv: '/w/job_summary.csv' }, title: 'Report job_summary.csv', settings: SETTINGS,
    data: {
      file: 'job_summary.csv', filters: {}, resources: [...new Set(loaded.attempts.map((x) => x.resource))].sort(),
      period: { first: iso(Math.min(...times)), last: iso(Math.max(...times)) }, report: campaignReport(text, { title: 'Campaign report: job_summary.csv' }),
    },
  };
}

// ---- the page ------------------------------------------------------------------------------------------

interface Probe {
  posted: Array<{ type: string; [k: string]: unknown }>;
  csp: string[];
  state: unknown;
  /** When the last message started being handled, and how long the panel took over it (ms). */
  handled: number;
  took: number;
}

async function openPanel(kind: PanelKind, theme: keyof typeof THEMES, state?: unknown): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const p = new URL(route.request().url()).pathname.slice(1);
    if (p === 'index.html') {
      const html = panelHtml({ kind, title: kind, cspSource: ORIGIN, nonce: 'bm9uY2UtZm9yLXRlc3Rz', scriptUri: `${ORIGIN}/${kind}.js`, styleUri: `${ORIGIN}/panels.css` });
      return route.fulfill({ contentType: 'text/html', body: html });
    }
    const file = path.join(DIST, p);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ contentType: p.endsWith('.css') ? 'text/css' : 'text/javascript', body: fs.readFileSync(file) });
  });
  // tsx compiles with keepNames: functions sent to the page call its __name helper.
  await page.addInitScript({ content: 'window.__name = (f) => f;' });
  // What VS Code provides before the page's own script: the API, the theme variables, a CSP watch.
  await page.addInitScript(({ vars, cls, state }) => {
    const probe: Probe = { posted: [], csp: [], state, handled: 0, took: 0 };
    (window as unknown as { __probe: Probe }).__probe = probe;
    (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
      postMessage: (m: Probe['posted'][number]) => probe.posted.push(m),
      getState: () => probe.state,
      setState: (s: unknown) => { probe.state = s; },
    });
    // Registered before the panel's own listener: when a message starts being handled.
    window.addEventListener('message', () => { probe.handled = performance.now(); });
    document.addEventListener('securitypolicyviolation', (e) => probe.csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    // The variables on <html> and the class on <body> as soon as each exists, before any script of the page runs.
    new MutationObserver((_, o) => {
      if (document.documentElement && !document.documentElement.style.getPropertyValue('--vscode-foreground')) {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
      }
      if (document.body) { document.body.className = cls; o.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  }, { vars: THEMES[theme].vars, cls: THEMES[theme].cls, state: state ?? null });
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => (window as unknown as { __probe: Probe }).__probe.posted.some((m) => m.type === 'ready'));
  return { page, errors };
}

const probe = (page: Page) => page.evaluate(() => (window as unknown as { __probe: Probe }).__probe);

async function send(page: Page, message: ToWebview): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

/** Waits until `n` charts have drawn (a non-blank canvas), then two frames for layout. */
async function chartsDrawn(page: Page, n: number): Promise<void> {
  await page.waitForFunction((count) => {
    const drawn = [...document.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0);
    return drawn.length >= count;
  }, n, { timeout: 10_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

async function clean(page: Page, errors: string[]): Promise<void> {
  const p = await probe(page);
  assert.deepEqual(p.csp, [], 'nothing may break the CSP');
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
}

// ---- the panels ----------------------------------------------------------------------------------------

test('run panel: charts per metric and telemetry, attempts, show logs, PNG export', async () => {
  // Themes side by side, each in its own page.
  const init = runInit();
  await Promise.all((['dark', 'light'] as const).map(async (theme) => {
    const { page, errors } = await openPanel('run', theme);
    await send(page, init);
    await chartsDrawn(page, 3 + 5);
    const banner = await page.locator('.warnings').innerText();
    assert.match(banner, /3 metric lines could not be read; first at stdout line 12/);
    assert.match(banner, /no val_accuracy reported/);
    if (theme === 'dark') {
      await page.getByRole('button', { name: 'Show logs' }).click();
      await page.locator('figure.chart button.icon').first().click();
      const p = await probe(page);
      assert.ok(p.posted.some((m) => m.type === 'showLogs' && m.runId === init.data.run.id));
      const png = p.posted.find((m) => m.type === 'export') as unknown as { format: string; data: string; name: string };
      assert.equal(png.format, 'png');
      assert.equal(Buffer.from(png.data, 'base64').subarray(1, 4).toString(), 'PNG');
      assert.deepEqual(p.state, { kind: 'run', key: init.key, ui: {} }, 'the state a serializer restores from');
      // A live update: points appended to a chart, the record replaced.
      await send(page, { type: 'update', kind: 'run', data: { metrics: { val_loss: { x: [100, 101], y: [0.3, 0.29] } }, telemetry: [] } });
      await send(page, { type: 'exported', ok: true, name: 'x.png', file: '/w/x.png' });
      assert.equal(await page.locator('.status-line').textContent(), 'Saved /w/x.png');
    }
    await shoot(page, `run-${theme}`);
    await clean(page, errors);
  }));
});

test('sweep panel: 1,000 trials — windowed table, sort, filter, row click, scatter and parallel coordinates', async () => {
  await Promise.all((['dark', 'light', 'hc'] as const).map(async (theme) => {
    const { page, errors } = await openPanel('sweep', theme);
    // The 1,000-trial case once; the other themes need only the look.
    const init = sweepInit(theme === 'dark' ? 1000 : 200);
    // Registered after the panel's listener: the time the panel's handler took.
    await page.evaluate(() => window.addEventListener('message', () => { const p = (window as unknown as { __probe: Probe }).__probe; p.took = performance.now() - p.handled; }));
    await send(page, init);
    await chartsDrawn(page, 2);
    const { took } = await probe(page);
    // About 200 ms here; the bound leaves room for a busy machine.
    assert.ok(took < 1500, `the table and charts of ${init.data.runs.length} trials build in ${Math.round(took)} ms`);
    const rows = await page.locator('table.grid tbody tr[data-index]').count();
    assert.ok(rows > 10 && rows < 100, `only the rows in view are drawn (${rows})`);
    if (theme === 'dark') {
      await page.getByRole('button', { name: /^val_loss/ }).click();
      await page.waitForSelector('th[aria-sort="ascending"]');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-column')), 'metric', 'the header keeps the focus');
      const first = await page.locator('table.grid tbody tr[data-index]').first().locator('td').nth(1).textContent();
      await page.getByRole('searchbox').fill('parquet failed');
      const expected = init.data.runs.filter((r) => r.status === 'failed' && r.params['params.data_format'] === 'parquet').length;
      await page.waitForFunction((n) => document.querySelector('.toolbar .muted')?.textContent === `${n} of 1000 runs`, expected);
      await page.locator('table.grid tbody tr[data-index]').first().click();
      const p = await probe(page);
      assert.ok(p.posted.some((m) => m.type === 'openRun'), 'a row click opens the run');
      assert.deepEqual((p.state as { ui: unknown }).ui, { sort: { column: 'metric', desc: false }, text: 'parquet failed' });
      assert.match(first ?? '', /lr0\.0005_h256/, 'sorted by the metric, best first');
      await page.getByRole('searchbox').fill('');
    }
    await shoot(page, `sweep-${theme}`);
    await clean(page, errors);
  }));
});

test('compare panel: box plots, CI bars, ranking with p-values and speedup, curves; restores its choices; says when its runs are gone', async () => {
  const { page, errors } = await openPanel('compare', 'dark', { kind: 'compare', key: { runIds: [], sweepIds: ['par4', 'par8', 'seq'] }, ui: { rank: 'mean' } });
  await send(page, compareInit());
  await chartsDrawn(page, 3);
  const head = await page.locator('table.grid thead').textContent();
  for (const h of ['p Welch', 'p Mann–Whitney', 'Median diff', 'Speedup', 'Efficiency', 'mean']) assert.ok(head?.includes(h), `ranking shows ${h}`);
  const text = await page.locator('table.grid tbody').textContent();
  assert.match(text ?? '', /sequential/);
  assert.match(text ?? '', /of 8/, 'efficiency against the sweep\'s max_parallel');
  await shoot(page, 'compare-dark');
  // Re-theme: the body class changes, the charts draw on the new background.
  const before = await page.evaluate(() => document.querySelector('canvas')!.getContext('2d')!.getImageData(2, 2, 1, 1).data.join(','));
  await page.evaluate((vars) => {
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
    document.body.className = 'vscode-light';
  }, THEMES.light.vars);
  await page.waitForFunction((b) => document.querySelector('canvas')!.getContext('2d')!.getImageData(2, 2, 1, 1).data.join(',') !== b, before);
  await shoot(page, 'compare-light');
  // Another grouping: per data_format value, no speedup.
  await page.getByLabel('Group by').selectOption('params.data_format');
  await page.waitForFunction(() => document.querySelector('table.grid tbody')?.textContent?.includes('data_format=avro'));
  const p = await probe(page);
  assert.equal((p.state as { ui: { by: string; rank: string } }).ui.by, 'params.data_format');
  assert.equal((p.state as { ui: { rank: string } }).ui.rank, 'mean', 'restored choices are kept');
  // Group by run: each run is a group, its reports (the loaded curve) its values.
  await page.getByLabel('Group by').selectOption('run');
  await page.waitForFunction(() => /reports of val_loss/.test(document.querySelector('.toolbar + p')?.textContent ?? ''));
  // 30 runs have a curve (28 of them succeeded); the others are left out, and the note says so
  const withCurve = compareInit().data.runs.slice(0, 30).filter((r) => r.status === 'succeeded').length;
  const note = await page.locator('.toolbar + p').textContent() ?? '';
  assert.match(note, new RegExp(`^${withCurve} groups`), 'one group per run with a curve');
  assert.match(note, /runs? without a loaded curve left out/);
  assert.match(await page.locator('table.grid tbody').textContent() ?? '', /\)500/, 'a run with a curve has n = its 500 reports');
  assert.equal(((await probe(page)).state as { ui: { by: string } }).ui.by, 'run');
  // The selection is gone from the stores: the panel says so.
  await send(page, { type: 'missing', message: 'Not in a results store of this workspace (yet): sweep seq.' });
  assert.match(await page.locator('.placeholder').textContent() ?? '', /not in a results store/i);
  await clean(page, errors);
});

test('campaign panel: report charts, summary, filters ask the host again', async () => {
  // Themes side by side, each in its own page.
  const init = campaignInit();
  await Promise.all((['dark', 'light'] as const).map(async (theme) => {
    const { page, errors } = await openPanel('campaign', theme);
    await send(page, init);
    await chartsDrawn(page, 8);
    if (theme === 'dark') {
      await page.getByLabel('From').fill('2025-03-02');
      await page.getByRole('button', { name: 'Apply' }).click();
      const p = await probe(page);
      const m = p.posted.find((x) => x.type === 'refilter') as { filters: { from?: string } } | undefined;
      assert.equal(m?.filters.from, '2025-03-02');
      await send(page, { type: 'update', kind: 'campaign', data: { filters: { from: 'nope' }, report: init.data.report, error: 'from: "nope" is not a date' } });
      assert.match(await page.locator('.filters .error').textContent() ?? '', /not a date/);
    }
    await shoot(page, `campaign-${theme}`);
    await clean(page, errors);
  }));
});
