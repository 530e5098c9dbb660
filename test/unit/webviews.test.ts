// The webview panels' logic, in Node: the host side (HTML and CSP, keys, the ready gate, the
// throttle, exports, reading a results store incrementally) and the webview side (message routing,
// theme, tables, the models and chart configs of each panel). The DOM parts are exercised in
// Chromium by panels-render.test.ts.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore, type RunRecord, type RunStatus } from '../../core/src/store/store';
import { storeStatus } from '../../core/src/runner/status';
import { createTheme } from '../../core/src/charts';
import { campaignReport } from '../../core/src/report';
import { campaignTimes, describe as describeStats, runSpans } from '../../core/src/stats';
import { csp, newNonce, panelHtml } from '../../client/src/panels/html';
import { keyFromState, keyId, parseKey } from '../../client/src/panels/keys';
import { MessageGate } from '../../client/src/panels/gate';
import { throttle } from '../../client/src/panels/throttle';
import { exportContent, exportFileName } from '../../client/src/panels/export';
import {
  compareSelection, CurvesFeed, JsonLinesTail, MAX_CURVE_RUNS, RunFeed, runRow, SeriesSet, sweepInfo, type ResultsSource,
} from '../../client/src/panels/data';
import type { CompareData, RunRow, SweepInfo, ToWebview } from '../../webviews/src/contract';
import type { NamedChart } from '../../core/src/report/charts';
import { exportNote, route, sameKey } from '../../webviews/src/lib/messages';
import { modeOf, panelTheme } from '../../webviews/src/lib/theme';
import { filterRows, sortRows, tableCsv, toggleSort, type Column } from '../../webviews/src/lib/table';
import { appendSeries } from '../../webviews/src/lib/series';
import { localTime, paramLabel } from '../../webviews/src/lib/format';
import { metricChart, metricsCsv, RunModel, summaryRows, telemetryCharts, timeUnit } from '../../webviews/src/run/model';
import { paramsOf, primaryMetric, scatterChart, sweepUi, trialColumns, visibleRows } from '../../webviews/src/sweep/model';
import { axisOf, parallelConfig, type ParallelPoint } from '../../webviews/src/sweep/parallel';
import {
  BY_RUN, boxGroup, choose, compareCharts, CurveStore, curvesChart, fmtP, groupingsOf, rankingColumns, runComparison,
} from '../../webviews/src/compare/model';
import { dateValue, formFilters, RESOURCE_COLUMNS, sameFilters } from '../../webviews/src/campaign/model';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-webviews-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const T0 = Date.parse('2025-03-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function record(id: string, o: { sweep?: string; index?: number; params?: Record<string, unknown>; status?: RunStatus; startS?: number; durS?: number; metrics?: Record<string, number> } = {}): RunRecord {
  const status = o.status ?? 'succeeded';
  const start = T0 + (o.startS ?? 0) * 1000;
  const ended = status === 'running' ? undefined : iso(start + (o.durS ?? 60) * 1000);
  return {
    schema_version: 1, id, sweep_id: o.sweep ?? 'sw', experiment: 'train', experiment_file: '/w/train.experiment.yaml',
    trial: { index: o.index ?? 0, key: `trial${o.index ?? 0}`, name: `trial-${o.index ?? 0}`, repeat: 0 }, params: o.params ?? {}, target: 'local', status,
    created: iso(start - 1000), started: iso(start), ended, duration_s: ended ? o.durS ?? 60 : undefined,
    attempts: [{ n: 1, started: iso(start), ended, exit_code: status === 'failed' ? 1 : 0, failure_class: status === 'failed' ? 'oom' : undefined }],
    host: 'h', summary: Object.fromEntries(Object.entries(o.metrics ?? {}).map(([k, v]) => [k, { last: v, min: v, max: v, mean: v, count: 1 }])),
  };
}

const row = (id: string, o: Parameters<typeof record>[1] = {}): RunRow => runRow(record(id, o));

// ---- host: HTML and CSP -----------------------------------------------------------------------------

describe('panel HTML', () => {
  const html = panelHtml({
    kind: 'sweep', title: 'Sweep <b>&"x"</b>', cspSource: 'vscode-webview://abc', nonce: 'n0nce+/=',
    scriptUri: 'vscode-webview://abc/dist/webviews/sweep.js', styleUri: 'vscode-webview://abc/dist/webviews/panels.css',
  });
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1] ?? '';

  test('a strict CSP: nothing by default, script only by nonce, styles and fonts only from the extension', () => {
    assert.match(policy, /^default-src 'none'; /);
    assert.ok(policy.includes("script-src 'nonce-n0nce+/='"));
    assert.ok(policy.includes('style-src vscode-webview://abc;') || policy.includes('style-src vscode-webview://abc'));
    assert.ok(policy.includes('img-src vscode-webview://abc data:'));
    assert.ok(policy.includes('font-src vscode-webview://abc'));
    assert.equal(policy, csp('vscode-webview://abc', 'n0nce+/='));
    for (const bad of ['unsafe-eval', 'unsafe-inline', '*', 'http:', 'https:']) assert.ok(!policy.includes(bad), bad);
  });

  test('one script, carrying the nonce; no inline script or style; no remote URL; title escaped', () => {
    assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]), ['<script nonce="n0nce+/=" src="vscode-webview://abc/dist/webviews/sweep.js">']);
    assert.ok(!/<style\b/.test(html) && !/\sstyle=/.test(html) && !/\son[a-z]+=/.test(html));
    assert.ok(!/https?:\/\//.test(html));
    assert.ok(html.includes('<title>Sweep &#60;b&#62;&#38;&#34;x&#34;&#60;/b&#62;</title>'));
    assert.ok(html.includes('<body data-kind="sweep">'));
  });

  test('a new nonce per load', () => {
    const a = newNonce();
    assert.match(a, /^[A-Za-z0-9+/]{24}$/);
    assert.notEqual(a, newNonce());
  });
});

// ---- host: keys, gate, throttle, exports --------------------------------------------------------------

describe('panel keys', () => {
  test('parsed from untrusted state; compare selections sorted and deduplicated', () => {
    assert.deepEqual(parseKey('run', { runId: 'r1', extra: 1 }), { runId: 'r1' });
    assert.equal(parseKey('run', { runId: '' }), undefined);
    assert.equal(parseKey('sweep', 'sw'), undefined);
    assert.deepEqual(parseKey('compare', { runIds: ['b', 'a', 'b'] }), { runIds: ['a', 'b'], sweepIds: [] });
    assert.equal(parseKey('compare', { runIds: [], sweepIds: [] }), undefined);
    assert.equal(parseKey('compare', { runIds: [1] }), undefined);
    assert.deepEqual(parseKey('campaign', { csv: '/w/j.csv' }), { csv: '/w/j.csv' });
  });

  test('a restored state of another kind or version is refused', () => {
    assert.deepEqual(keyFromState('sweep', { kind: 'sweep', key: { sweepId: 's' }, ui: {} }), { sweepId: 's' });
    assert.equal(keyFromState('sweep', { kind: 'run', key: { sweepId: 's' } }), undefined);
    assert.equal(keyFromState('run', undefined), undefined);
    assert.equal(keyFromState('run', null), undefined);
  });

  test('one panel per selection, whatever its order', () => {
    assert.equal(keyId('compare', { runIds: ['b', 'a'], sweepIds: [] }), keyId('compare', { runIds: ['a', 'b'], sweepIds: [] }));
    assert.notEqual(keyId('run', { runId: 'a' }), keyId('run', { runId: 'b' }));
  });
});

describe('ready gate', () => {
  test('nothing reaches the webview before ready; then the init, then what waited, in order', () => {
    const sent: string[] = [];
    const gate = new MessageGate<string>((m) => sent.push(m));
    gate.post('exported-1');
    gate.post('exported-2');
    assert.deepEqual(sent, []);
    assert.equal(gate.isOpen, false);
    gate.ready('init');
    assert.deepEqual(sent, ['init', 'exported-1', 'exported-2']);
    gate.post('update');
    assert.deepEqual(sent.at(-1), 'update');
  });

  test('a hidden (destroyed) webview gets nothing until it is ready again: then its new init, then what waited', () => {
    const sent: string[] = [];
    const gate = new MessageGate<string>((m) => sent.push(m));
    gate.ready('init-1');
    gate.close();
    gate.post('exported');
    assert.deepEqual(sent, ['init-1']);
    gate.ready('init-2');
    assert.deepEqual(sent, ['init-1', 'init-2', 'exported']);
  });
});

describe('throttle', () => {
  test('at most once per interval: the first call at once, a burst once at the end of the pause', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const f = throttle(() => calls++, 250);
    f();
    assert.equal(calls, 1);
    for (let i = 0; i < 49; i++) { f(); t.mock.timers.tick(10); }
    // 490 ms of calls every 10 ms: the first at once, the burst's at 250 ms, then at the end of that pause.
    assert.equal(calls, 2);
    t.mock.timers.tick(10);
    assert.equal(calls, 3);
    t.mock.timers.tick(1000);
    assert.equal(calls, 3, 'no calls, nothing more');
  });

  test('4 a second at most under a constant stream of changes', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const f = throttle(() => calls++, 250);
    for (let ms = 0; ms < 10_000; ms += 5) { f(); t.mock.timers.tick(5); }
    assert.ok(calls <= 41 && calls >= 39, `${calls} calls in 10 s`);
  });

  test('a call from inside the function waits for the pause', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const f = throttle(() => { calls++; if (calls === 1) f(); }, 250);
    f();
    assert.equal(calls, 1);
    t.mock.timers.tick(250);
    assert.equal(calls, 2);
  });

  test('cancel drops the pending call', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const f = throttle(() => calls++, 250);
    f();
    f();
    f.cancel();
    t.mock.timers.tick(1000);
    assert.equal(calls, 1);
  });
});

describe('exports', () => {
  test('file names from panel suggestions are safe', () => {
    assert.equal(exportFileName('run-1-metric-val/loss', 'png'), 'run-1-metric-val-loss.png');
    assert.equal(exportFileName('../../etc/passwd', 'csv'), 'etc-passwd.csv');
    assert.equal(exportFileName('', 'json'), 'export.json');
  });

  test('PNG data is base64 of a PNG; text is written as it is', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    assert.deepEqual(Buffer.from(exportContent({ type: 'export', format: 'png', name: 'c', data: png.toString('base64') }) as Uint8Array), png);
    assert.throws(() => exportContent({ type: 'export', format: 'png', name: 'c', data: Buffer.from('GIF89a').toString('base64') }), /not a PNG/);
    assert.equal(exportContent({ type: 'export', format: 'csv', name: 't', data: 'a,b\n1,2\n' }), 'a,b\n1,2\n');
  });
});

// ---- host: reading the store --------------------------------------------------------------------------

describe('incremental JSON lines', () => {
  test('complete lines only, a torn line waits, a cut UTF-8 character survives, a replaced file starts over', () => {
    const file = path.join(tmp, 'tail.jsonl');
    fs.writeFileSync(file, '{"a":1}\n{"a":');
    const t = new JsonLinesTail<{ a: unknown }>(file);
    assert.deepEqual(t.read(), [{ a: 1 }]);
    assert.deepEqual(t.read(), []);
    const rest = Buffer.from('"é"}\nnot json\n{"a":3}\n');
    // Append the é's two bytes in two writes: the reader must not decode half a character.
    const cut = rest.indexOf(0xc3) + 1;
    fs.appendFileSync(file, rest.subarray(0, cut));
    assert.deepEqual(t.read(), []);
    fs.appendFileSync(file, rest.subarray(cut));
    assert.deepEqual(t.read(), [{ a: 'é' }, { a: 3 }]);
    assert.equal(t.bad, 1);
    fs.writeFileSync(file, '{"a":9}\n');
    assert.equal(t.read(), undefined, 'shrunk: replaced');
    assert.deepEqual(t.read(), [{ a: 9 }]);
  });

  test('a missing file is empty until it appears', () => {
    const t = new JsonLinesTail(path.join(tmp, 'none.jsonl'));
    assert.deepEqual(t.read(), []);
  });

  test('metric series over step, else over the metric\'s own count; step and ts are not metrics', () => {
    const s = new SeriesSet();
    s.add([{ step: 10, loss: 1, ts: 5 }, { step: 20, loss: 0.5, note: 'x' }, { val_loss: 0.7 }, { val_loss: 0.6 }, { step: 30, loss: Infinity }]);
    assert.deepEqual([...s.series.keys()], ['loss', 'val_loss']);
    assert.deepEqual(s.series.get('loss'), { x: [10, 20], y: [1, 0.5], steps: true });
    assert.deepEqual(s.series.get('val_loss'), { x: [0, 1], y: [0.7, 0.6] });
    const sent = new Map<string, number>();
    assert.deepEqual(Object.keys(s.since(sent)), ['loss', 'val_loss']);
    s.add([{ step: 40, loss: 0.25 }]);
    assert.deepEqual(s.since(sent), { loss: { x: [40], y: [0.25], steps: true } });
    assert.deepEqual(s.since(sent), {});
  });

  test('a series says whether its x are steps or the metric\'s count of reports', () => {
    const s = new SeriesSet();
    s.add([{ step: 10, loss: 1 }, { val_loss: 0.7 }, { val_loss: 0.6 }]);
    assert.deepEqual(s.since(new Map()), { loss: { x: [10], y: [1], steps: true }, val_loss: { x: [0, 1], y: [0.7, 0.6] } });
  });
});

describe('data from a results store', () => {
  const root = path.join(tmp, 'store', '.expctl');
  fs.mkdirSync(root, { recursive: true });
  const store = new FileStore(root);
  store.writeSweep('sw', { id: 'sw', name: 'grid', trials: 3, max_parallel: 4, metric: { name: 'val_loss', goal: 'minimize' } }, []);
  store.writeSweep('other', { id: 'other', name: 'other', trials: 1 }, []);
  const recs = [
    record('r0', { index: 0, params: { 'params.lr': 0.1 }, metrics: { val_loss: 0.5 } }),
    record('r1', { index: 1, params: { 'params.lr': 0.01 }, metrics: { val_loss: 0.3 }, startS: 30 }),
    record('r2', { index: 2, params: { 'params.lr': 0.001 }, status: 'running', startS: 60 }),
    record('o0', { sweep: 'other', metrics: { val_loss: 0.9 } }),
  ];
  before(async () => { for (const r of recs) await store.create(r, `name: ${r.id}\n`); });
  const source = (): ResultsSource => {
    const s = new FileStore(root);
    const sweeps = storeStatus(s);
    return {
      sweep: (id) => { const status = sweeps.find((x) => x.id === id); return status && { view: { root, store: s }, status }; },
      runs: (_root, id) => s.all().filter((r) => r.sweep_id === id),
      run: (id) => { const run = s.get(id); return run && { view: { root, store: s }, run }; },
    };
  };

  test('a run row keeps what tables and grouping need, not the attempts', () => {
    const r = runRow(record('x', { status: 'failed', params: { 'params.lr': 1 }, metrics: { loss: 2 } }));
    assert.equal(r.attempt_count, 1);
    assert.equal(r.failure_class, 'oom');
    assert.equal(r.exit_code, 1);
    assert.ok(!('attempts' in r));
    assert.deepEqual(r.summary.loss.last, 2);
  });

  test('sweep info with max_parallel from sweep.json', () => {
    const s = source().sweep('sw')!;
    const info = sweepInfo(s.view.store, s.status);
    assert.equal(info.maxParallel, 4);
    assert.deepEqual(info.metric, { name: 'val_loss', goal: 'minimize' });
    assert.equal(info.best?.id, 'r1');
    assert.equal(info.total, 3);
    assert.equal(sweepInfo(s.view.store, source().sweep('other')!.status).maxParallel, undefined);
  });

  test('a run feed: init has everything, updates what was appended, nothing when nothing changed', () => {
    const dir = store.runDir('r2');
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":0,"loss":1}\n{"step":1,"loss":0.8}\n');
    fs.writeFileSync(path.join(dir, 'telemetry.jsonl'), `${JSON.stringify({ t: iso(T0), cpu_pct: 100, gpus: [{ index: 0, util: 50 }] })}\n`);
    const feed = new RunFeed(dir);
    const run = source().run('r2')!.run;
    const init = feed.init(run);
    assert.equal(init.config, 'name: r2\n');
    assert.deepEqual(init.metrics, { loss: { x: [0, 1], y: [1, 0.8], steps: true } });
    assert.equal(init.telemetry.length, 1);
    assert.equal(feed.update(run), undefined, 'nothing new');
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"step":2,"loss":0.7,"acc":0.5}\n');
    fs.appendFileSync(path.join(dir, 'telemetry.jsonl'), `${JSON.stringify({ t: iso(T0 + 1000), cpu_pct: 90 })}\n`);
    const u = feed.update(run);
    assert.ok(u && u !== 'reset');
    assert.deepEqual(u.metrics, { loss: { x: [2], y: [0.7], steps: true }, acc: { x: [2], y: [0.5], steps: true } });
    assert.equal(u.telemetry.length, 1);
    assert.equal(u.run, undefined, 'the same record is not sent again');
    const changed = { ...run, status: 'succeeded' as const };
    assert.deepEqual((feed.update(changed) as { run?: RunRecord }).run?.status, 'succeeded');
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"step":0,"loss":5}\n');
    assert.equal(feed.update(changed), 'reset', 'a replaced file: send everything again');
    assert.deepEqual(feed.init(changed).metrics, { loss: { x: [0], y: [5], steps: true } });
  });

  test('a comparison selection: sweeps\' runs and single runs once each, their sweeps, what is missing', () => {
    const sel = compareSelection(source(), { sweepIds: ['sw', 'gone'], runIds: ['r1', 'o0', 'nope'] });
    assert.deepEqual(sel.runs.map((r) => r.id).sort(), ['o0', 'r0', 'r1', 'r2']);
    assert.deepEqual(sel.sweeps.map((s) => s.id).sort(), ['other', 'sw']);
    assert.deepEqual(sel.missing, ['sweep gone', 'run nope']);
    assert.equal(sel.dirs.get('o0'), store.runDir('o0'));
  });

  test('curves: one metric of many runs, capped, appended, all again for another metric', () => {
    for (const id of ['r0', 'r1']) fs.writeFileSync(path.join(store.runDir(id), 'metrics.jsonl'), '{"step":0,"val_loss":1,"loss":2}\n');
    const dirs = new Map(['r0', 'r1'].map((id) => [id, store.runDir(id)]));
    const feed = new CurvesFeed();
    const all = feed.all(dirs, 'val_loss');
    assert.deepEqual(all, { metric: 'val_loss', reset: true, omitted: 0, runs: { r0: { x: [0], y: [1], steps: true }, r1: { x: [0], y: [1], steps: true } } });
    assert.equal(feed.since(dirs), undefined);
    fs.appendFileSync(path.join(store.runDir('r1'), 'metrics.jsonl'), '{"step":1,"val_loss":0.5}\n');
    assert.deepEqual(feed.since(dirs), { metric: 'val_loss', reset: false, omitted: 0, runs: { r1: { x: [1], y: [0.5], steps: true } } });
    assert.deepEqual(feed.all(dirs, 'loss').runs, { r0: { x: [0], y: [2], steps: true }, r1: { x: [0], y: [2], steps: true } });
    const many = new Map(Array.from({ length: MAX_CURVE_RUNS + 5 }, (_, i) => [`x${i}`, path.join(tmp, 'none', String(i))]));
    assert.equal(feed.all(many, 'loss').omitted, 5);
  });
});

// ---- webview: messages, theme, tables ----------------------------------------------------------------

describe('webview messages', () => {
  test('only this kind\'s init and update are acted on', () => {
    const init = { type: 'init', kind: 'run', key: { runId: 'r' }, title: 't', data: {}, settings: {} };
    assert.equal(route('run', init)?.type, 'init');
    assert.equal(route('sweep', init), undefined);
    assert.equal(route('run', { type: 'update', kind: 'run', data: null }), undefined);
    assert.equal(route('run', { type: 'bogus' }), undefined);
    assert.equal(route('run', 'ready'), undefined);
    assert.deepEqual(route('run', { type: 'missing', message: 'gone' }), { type: 'missing', message: 'gone' });
  });

  test('export outcomes: saved, failed, cancelled (nothing to say)', () => {
    const m = (o: Partial<Extract<ToWebview, { type: 'exported' }>>) => ({ type: 'exported' as const, ok: false, name: 'c.png', ...o });
    assert.equal(exportNote(m({ ok: true, file: '/w/c.png' })), 'Saved /w/c.png');
    assert.equal(exportNote(m({ message: 'EACCES' })), 'Could not export c.png: EACCES');
    assert.equal(exportNote(m({})), undefined);
  });

  test('keys compare by content', () => {
    assert.ok(sameKey({ runIds: ['a'], sweepIds: [] }, { sweepIds: [], runIds: ['a'] }));
    assert.ok(!sameKey({ runId: 'a' }, { runId: 'b' }));
  });
});

describe('theme from VS Code variables', () => {
  const vars = (o: Record<string, string>) => (name: string) => o[name] ?? '';

  test('colours, font and mode from the variables and the body class', () => {
    const t = panelTheme(vars({ '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc', '--vscode-font-family': 'Segoe UI', '--vscode-font-size': '14px' }), ['vscode-dark']);
    assert.equal(t.mode, 'dark');
    assert.equal(t.background, '#1f1f1f');
    assert.equal(t.foreground, '#cccccc');
    assert.equal(t.font.family, 'Segoe UI');
    assert.equal(t.font.size, 14);
  });

  test('light, high contrast (stronger grid), and defaults when variables are missing', () => {
    assert.equal(modeOf(['vscode-light']), 'light');
    assert.equal(modeOf(['vscode-high-contrast-light']), 'light');
    assert.equal(modeOf(['vscode-high-contrast']), 'dark');
    const hc = panelTheme(vars({ '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff' }), ['vscode-high-contrast']);
    const dark = panelTheme(vars({ '--vscode-editor-background': '#000000', '--vscode-editor-foreground': '#ffffff' }), ['vscode-dark']);
    assert.notEqual(hc.grid, dark.grid);
    assert.equal(panelTheme(vars({ '--vscode-foreground': '#333333' }), []).foreground, '#333333');
    assert.equal(panelTheme(vars({}), []).mode, 'light');
  });
});

describe('tables', () => {
  interface R { name: string; v?: number }
  const cols: Column<R>[] = [{ id: 'name', label: 'Name', value: (r) => r.name }, { id: 'v', label: 'Value, "raw"', value: (r) => r.v, numeric: true }];
  const rows: R[] = [{ name: 'trial-10', v: 3 }, { name: 'trial-2' }, { name: 'trial-1', v: 1 }, { name: 'Trial-3', v: 3 }];

  test('sort: numbers by value, natural text order, missing last both ways, stable', () => {
    assert.deepEqual(sortRows(rows, cols, { column: 'name', desc: false }).map((r) => r.name), ['trial-1', 'trial-2', 'Trial-3', 'trial-10']);
    assert.deepEqual(sortRows(rows, cols, { column: 'v', desc: false }).map((r) => r.name), ['trial-1', 'trial-10', 'Trial-3', 'trial-2']);
    assert.deepEqual(sortRows(rows, cols, { column: 'v', desc: true }).map((r) => r.name), ['trial-10', 'Trial-3', 'trial-1', 'trial-2']);
    assert.deepEqual(sortRows(rows, cols, undefined), rows);
  });

  test('a header click toggles the direction, another column sorts ascending', () => {
    assert.deepEqual(toggleSort(undefined, 'v'), { column: 'v', desc: false });
    assert.deepEqual(toggleSort({ column: 'v', desc: false }, 'v'), { column: 'v', desc: true });
    assert.deepEqual(toggleSort({ column: 'v', desc: true }, 'name'), { column: 'name', desc: false });
  });

  test('filter: every word somewhere in the row, any case', () => {
    assert.deepEqual(filterRows(rows, cols, 'TRIAL 3').map((r) => r.name), ['trial-10', 'Trial-3']);
    assert.equal(filterRows(rows, cols, '  ').length, 4);
  });

  test('CSV of the rows as shown, raw values, quoted where needed', () => {
    assert.equal(tableCsv(cols, rows.slice(0, 2)), 'Name,"Value, ""raw"""\ntrial-10,3\ntrial-2,\n');
  });

  test('1,000 rows sort and filter fast enough for every keystroke', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({ name: `trial-${(i * 7919) % 1000}`, v: (i * 31) % 97 }));
    const t = performance.now();
    for (let i = 0; i < 20; i++) sortRows(filterRows(many, cols, `trial ${i}`), cols, { column: 'v', desc: i % 2 === 0 });
    assert.ok(performance.now() - t < 1000);
  });
});

describe('formatting', () => {
  test('params lose their `params.` prefix in headings; times are local and readable', () => {
    assert.equal(paramLabel('params.lr'), 'lr');
    assert.equal(paramLabel('resources.gpus'), 'resources.gpus');
    assert.match(localTime('2025-03-01T09:00:00Z'), /^2025-03-0[12] \d\d:00:00$/);
    assert.equal(localTime(undefined), '');
    assert.equal(localTime('nope'), '');
  });
});

// ---- run panel -----------------------------------------------------------------------------------------

describe('run panel model', () => {
  const theme = createTheme({ mode: 'dark' });
  const data = () => ({
    run: record('r', { status: 'running', metrics: { loss: 0.5, step: 3 } }),
    config: '', sweep: { metric: { name: 'val_loss', goal: 'minimize' } } as SweepInfo,
    metrics: { loss: { x: [0, 1], y: [1, 0.9], steps: true }, val_loss: { x: [0], y: [2] }, acc: { x: [0], y: [0.1] } },
    telemetry: [
      { t: iso(T0), cpu_pct: 100, rss_mb: 1000, gpus: [{ index: 1, util: 80, mem_mb: 2000, power_w: 200 }, { index: 0, util: 90 }] },
      { t: iso(T0 + 600_000), cpu_pct: 120, rss_mb: 1100, gpus: [{ index: 0, util: 70 }] },
    ],
  });

  test('series append; the sweep\'s metric first, then by name', () => {
    const m = new RunModel(data());
    assert.deepEqual(m.metricNames(), ['val_loss', 'acc', 'loss']);
    const changed = m.apply({ metrics: { loss: { x: [2], y: [0.8] }, new: { x: [0], y: [1] } }, telemetry: [] });
    assert.deepEqual(changed, { metrics: ['loss', 'new'], telemetry: false, run: false });
    assert.deepEqual(m.metrics.get('loss')?.at(-1), { x: 2, y: 0.8 });
    assert.equal(m.apply({ run: { ...m.run, status: 'succeeded' }, metrics: {}, telemetry: [data().telemetry[0]] }).run, true);
    assert.equal(m.run.status, 'succeeded');
    assert.equal(m.telemetry.length, 3);
  });

  test('a metric chart: decimated lines, no legend for one run, the summary in the subtitle', () => {
    const m = new RunModel(data());
    const c = metricChart(m, 'loss', theme).config;
    assert.equal(c.options?.plugins?.decimation?.enabled, true);
    assert.equal(c.options?.parsing, false);
    assert.equal(c.options?.plugins?.legend?.display, false);
    assert.match(String(c.options?.plugins?.subtitle?.text), /^last 0\.5 · min 0\.5 · max 0\.5 · 2 points$/);
  });

  test('a metric chart\'s x axis: "Step" when the records have a step, else "Report #"', () => {
    const xTitle = (c: NamedChart) => (c.config.options?.scales?.x as { title: { text: string } }).title.text;
    const s = new SeriesSet();
    s.add([{ step: 100, loss: 1 }, { val_loss: 0.7 }, { step: 200, loss: 0.8 }, { val_loss: 0.6 }]);
    const m = new RunModel({ ...data(), metrics: s.since(new Map()) });
    assert.equal(xTitle(metricChart(m, 'loss', theme)), 'Step');
    assert.equal(xTitle(metricChart(m, 'val_loss', theme)), 'Report #');
    // a metric that gains steps later is plotted over them from then on
    m.apply({ metrics: { val_loss: { x: [300], y: [0.5], steps: true } }, telemetry: [] });
    assert.equal(xTitle(metricChart(m, 'val_loss', theme)), 'Step');
  });

  test('telemetry: per-GPU utilisation, memory and power, CPU and RSS, over minutes here', () => {
    const charts = telemetryCharts(data().telemetry, theme);
    assert.deepEqual(charts.map((c) => c.name), ['gpu-utilisation', 'gpu-memory', 'gpu-power', 'cpu', 'rss']);
    const util = charts[0].config.data.datasets;
    assert.deepEqual(util.map((d) => d.label), ['GPU 0', 'GPU 1']);
    assert.deepEqual(util[0].data, [{ x: 0, y: 90 }, { x: 10, y: 70 }]);
    assert.deepEqual(telemetryCharts([], theme), []);
    assert.deepEqual(timeUnit(30), { unit: 's', div: 1 });
    assert.deepEqual(timeUnit(3 * 3600), { unit: 'h', div: 3600 });
  });

  test('summary rows without step; metrics CSV in long form (a metric without steps numbered by report)', () => {
    const m = new RunModel(data());
    assert.deepEqual(summaryRows(m.run).map((r) => r.metric), ['loss']);
    assert.equal(metricsCsv(m), 'metric,step,report,value\nval_loss,,0,2\nacc,,0,0.1\nloss,0,,1\nloss,1,,0.9\n');
  });

  test('100 runs × 10,000 points: one decimated config, built quickly', () => {
    const store = new CurveStore();
    const runs: Record<string, { x: number[]; y: number[] }> = {};
    for (let r = 0; r < 100; r++) runs[`r${r}`] = { x: Array.from({ length: 10_000 }, (_, i) => i), y: Array.from({ length: 10_000 }, (_, i) => 1 / (i + 1) + r / 100) };
    store.apply({ metric: 'loss', runs, reset: true, omitted: 0 });
    const t = performance.now();
    const c = curvesChart(store, [], theme)!.config;
    assert.ok(performance.now() - t < 2000);
    assert.equal(c.data.datasets.length, 100);
    assert.equal(c.data.datasets[0].data.length, 10_000);
    assert.equal(c.options?.plugins?.decimation?.enabled, true);
    assert.equal(c.options?.animation, false);
  });
});

// ---- sweep panel ---------------------------------------------------------------------------------------

describe('sweep panel model', () => {
  const theme = createTheme();
  const runs = [
    row('a', { index: 0, params: { 'params.lr': 0.1, 'params.fmt': 'avro' }, metrics: { val_loss: 0.5 } }),
    row('b', { index: 1, params: { 'params.lr': 0.01, 'params.fmt': 'parquet' }, metrics: { val_loss: 0.2 } }),
    row('c', { index: 2, params: { 'params.lr': 0.001, 'params.fmt': 'avro' }, status: 'failed' }),
    row('d', { index: 3, params: { 'params.lr': 0.01, 'params.fmt': 'avro' }, metrics: { val_loss: 0.3 } }),
  ];

  test('UI state reducer: sort toggles, filters, scatter parameter', () => {
    let ui = sweepUi({}, { type: 'sort', column: 'metric' });
    ui = sweepUi(ui, { type: 'sort', column: 'metric' });
    ui = sweepUi(ui, { type: 'status', status: '' });
    ui = sweepUi(ui, { type: 'text', text: 'avro' });
    assert.deepEqual(ui, { sort: { column: 'metric', desc: true }, status: undefined, text: 'avro' });
    assert.equal(sweepUi(ui, { type: 'scatterParam', param: 'params.lr' }).scatterParam, 'params.lr');
  });

  test('columns: trial, status, each parameter, the metric, duration, attempts; failure only when there is one', () => {
    const cols = trialColumns(runs, paramsOf(runs), 'val_loss');
    assert.deepEqual(cols.map((c) => c.label), ['#', 'Trial', 'Status', 'fmt', 'lr', 'val_loss', 'Duration', 'Attempts', 'Failure']);
    assert.equal(cols.find((c) => c.id === 'param:params.lr')?.numeric, true);
    assert.ok(!trialColumns(runs.slice(0, 2), ['params.lr'], undefined).some((c) => c.id === 'failure' || c.id === 'metric'));
  });

  test('visible rows: status, then words, then sort (missing metric last)', () => {
    const cols = trialColumns(runs, paramsOf(runs), 'val_loss');
    assert.deepEqual(visibleRows(runs, cols, { sort: { column: 'metric', desc: false } }).map((r) => r.id), ['b', 'd', 'a', 'c']);
    assert.deepEqual(visibleRows(runs, cols, { text: 'avro', status: 'succeeded' }).map((r) => r.id), ['a', 'd']);
  });

  test('the primary metric: the sweep\'s, else the first reported', () => {
    assert.deepEqual(primaryMetric({ metric: { name: 'acc', goal: 'maximize' } } as SweepInfo, runs), { name: 'acc', goal: 'maximize' });
    assert.deepEqual(primaryMetric(undefined, runs), { name: 'val_loss', goal: 'minimize' });
    assert.equal(primaryMetric(undefined, []), undefined);
  });

  test('scatter: runs with a value, the best one as its own series drawn on top', () => {
    const c = scatterChart(runs, 'params.fmt', { name: 'val_loss', goal: 'minimize' }, 'b', theme).config;
    const sets = c.data.datasets as Array<{ label?: string; data: unknown[]; order?: number }>;
    assert.deepEqual(sets.map((d) => [d.label, d.data.length]), [['trials', 2], ['best trial', 1]]);
    assert.equal(sets[1].order, -1);
  });

  test('parallel axes: numeric ranges, categories in natural order, missing values', () => {
    const n = axisOf('h', [64, 256, undefined, 128]);
    assert.equal(n.scale(64), 0);
    assert.equal(n.scale(128), 64 / 192);
    assert.equal(n.scale(undefined), undefined);
    assert.equal(n.range, '64–256');
    const lr = axisOf('lr', [0.1, 0.001, 0.01]);
    assert.equal(lr.scale(0.01), 0.5, 'decades evenly spaced');
    assert.equal(lr.range, '0.001–0.1 (log)');
    const c = axisOf('fmt', ['v10', 'v2', 'v2']);
    assert.equal(c.scale('v2'), 0);
    assert.equal(c.scale('v10'), 1);
    assert.equal(c.range, 'v2 · v10');
    assert.equal(axisOf('one', [5, 5]).scale(5), 0.5);
  });

  test('parallel coordinates: one dataset of all trials split by gaps, better ones last (on top), the best apart', () => {
    const c = parallelConfig({ runs, params: ['params.fmt', 'params.lr'], metric: { name: 'val_loss', goal: 'minimize' }, bestId: 'b' }, theme);
    const [trials, best] = c.data.datasets;
    const ys = (d: ParallelPoint[]) => d.map((p) => (p.y === null ? null : Math.round(p.y * 1e6) / 1e6));
    // a and d (c has no metric): 3 axes + a gap each; worse (a, 0.5) first. lr spans 10×: log axis.
    assert.deepEqual(trials.data.map((p) => p.x), [0, 1, 2, 2, 0, 1, 2, 2]);
    assert.deepEqual(ys(trials.data), [0, 1, 1, null, 0, 0, 0.333333, null]);
    assert.equal(best.label, 'best trial');
    assert.deepEqual(ys(best.data), [1, 0, 0]);
    const color = (trials.segment as { borderColor: (ctx: { p0DataIndex: number }) => string }).borderColor;
    assert.notEqual(color({ p0DataIndex: 0 }), color({ p0DataIndex: 4 }));
    assert.equal(color({ p0DataIndex: 0 }), color({ p0DataIndex: 2 }), 'one colour per trial');
  });

  test('1,000 trials: the parallel coordinates stay one dataset', () => {
    const many = Array.from({ length: 1000 }, (_, i) => row(`t${i}`, { index: i, params: { 'params.lr': 10 ** -(i % 4), 'params.h': 64 * (1 + (i % 3)) }, metrics: { val_loss: (i % 97) / 97 } }));
    const c = parallelConfig({ runs: many, params: ['params.h', 'params.lr'], metric: { name: 'val_loss', goal: 'minimize' } }, theme);
    assert.equal(c.data.datasets.length, 1);
    assert.equal(c.data.datasets[0].data.length, 4000);
  });
});

// ---- compare panel -------------------------------------------------------------------------------------

describe('compare panel model', () => {
  const sweeps: SweepInfo[] = [
    { id: 'seq', name: 'sequential', metric: { name: 'load_s', goal: 'minimize' }, maxParallel: 1, total: 6, counts: {} as SweepInfo['counts'], live: false },
    { id: 'par', name: 'parallel', metric: { name: 'load_s', goal: 'minimize' }, maxParallel: 3, total: 6, counts: {} as SweepInfo['counts'], live: false },
  ];
  // seq: 6 runs one after the other (60 s each); par: 3 at once, twice; par is a little slower per run.
  const runs: RunRow[] = [
    ...Array.from({ length: 6 }, (_, i) => row(`s${i}`, { sweep: 'seq', index: i, startS: i * 60, durS: 60, params: { 'params.fmt': i % 2 ? 'avro' : 'csv' }, metrics: { load_s: 10 + i * 0.1 } })),
    ...Array.from({ length: 6 }, (_, i) => row(`p${i}`, { sweep: 'par', index: i, startS: Math.floor(i / 3) * 60, durS: 60, params: { 'params.fmt': i % 2 ? 'avro' : 'csv' }, metrics: { load_s: 12 + i * 0.1 } })),
    row('pf', { sweep: 'par', index: 6, status: 'failed', startS: 0, durS: 5 }),
  ];
  const data: CompareData = { sweeps, runs, missing: [] };
  const settings = { resamples: 200, seed: 1 };

  test('defaults: the sweeps\' metric and goal, grouped by sweep; saved choices that still apply', () => {
    assert.deepEqual(choose(data, {}), { metric: 'load_s', by: 'sweep', goal: 'minimize', reduce: 'final', rank: 'median' });
    assert.deepEqual(choose(data, { metric: 'gone', by: 'params.fmt', rank: 'mean' }), { metric: 'load_s', by: 'params.fmt', goal: 'minimize', reduce: 'final', rank: 'mean' });
    const oneSweep = { ...data, runs: runs.filter((r) => r.sweep_id === 'seq') };
    assert.equal(choose(oneSweep, {})?.by, 'params.fmt', 'one sweep: the first parameter');
    assert.equal(choose({ ...data, runs: [] }, {}), undefined);
  });

  test('by sweep: ranking, tests against the best, wall time and speedup with max_parallel workers', () => {
    const res = runComparison(data, choose(data, {})!, settings);
    const [best, second] = res.comparison.rows;
    assert.equal(best.key, 'seq');
    assert.equal(res.labels.get('seq'), 'sequential');
    assert.equal(res.left, 1, 'the failed run gives no value');
    assert.ok(second.vsBest && second.vsBest.welchP! < 0.001 && second.vsBest.mannWhitneyP! < 0.01);
    assert.ok(second.vsBest.medianDiff!.low > 0);
    assert.equal(res.wall.get('seq'), 360);
    assert.equal(res.wall.get('par'), 120);
    assert.deepEqual({ speedup: second.speedup?.speedup, workers: second.speedup?.workers, baseline: second.speedup?.baseline }, { speedup: 3, workers: 3, baseline: 'seq' });
    assert.equal(second.speedup?.efficiency, 1);
    assert.deepEqual(rankingColumns(res).map((c) => c.id).slice(-3), ['wall', 'speedup', 'efficiency']);
  });

  test('by sweep, a sequential subset against the whole grid: speedup per trial, as the CLI', () => {
    // Only 3 of the 6 sequential trials ran (180 s): per trial that is still 60 s against 20 s.
    const subset = { ...data, runs: runs.filter((r) => r.sweep_id !== 'seq' || r.trial.index < 3) };
    const par = runComparison(subset, choose(subset, {})!, settings).comparison.rows.find((r) => r.key === 'par')!;
    assert.equal(par.speedup?.speedup, 3);
    assert.equal(par.speedup?.efficiency, 1);
  });

  test('by a parameter: groups by value, no speedup', () => {
    const res = runComparison(data, { ...choose(data, {})!, by: 'params.fmt' }, settings);
    assert.deepEqual(res.comparison.rows.map((r) => res.labels.get(r.key)).sort(), ['fmt=avro', 'fmt=csv']);
    assert.equal(res.wall.size, 0);
    assert.ok(!rankingColumns(res).some((c) => c.id === 'speedup'));
  });

  test('by run: two hand-picked runs compared on their reports; a run without a curve gives its summary value', () => {
    assert.ok(groupingsOf(runs).some((o) => o.value === BY_RUN), 'offered as a grouping');
    assert.equal(choose(data, {})?.by, 'sweep', 'not the default');
    const picked = { sweeps: [], runs: runs.filter((r) => r.id === 's0' || r.id === 'p0'), missing: [] };
    const curves = new CurveStore();
    curves.apply({ metric: 'load_s', reset: true, omitted: 0, runs: {
      s0: { x: [0, 1, 2, 3, 4, 5], y: [10, 10.2, 9.9, 10.1, 10, 9.8], steps: true },
      p0: { x: [0, 1, 2, 3, 4, 5], y: [12, 12.3, 11.8, 12.1, 12.2, 11.9], steps: true },
    } });
    const choice = { ...choose(picked, { by: BY_RUN })!, by: BY_RUN };
    const res = runComparison(picked, choice, settings, curves);
    assert.deepEqual(res.comparison.rows.map((r) => [res.labels.get(r.key), r.n]), [['trial-0 (s0)', 6], ['trial-0 (p0)', 6]]);
    const second = res.comparison.rows[1];
    assert.ok(second.vsBest && second.vsBest.welchP! < 0.001, 'six reports each: a test is possible');
    assert.equal(res.wall.size, 0, 'no speedup between runs');
    const box = compareCharts(res, createTheme())[0].config;
    assert.match(String(box.options?.plugins?.title?.text), /load_s by run/);
    assert.equal(res.withoutCurve, 0);
    // without curves each run is one value
    const bare = runComparison(picked, choice, settings);
    assert.deepEqual(bare.comparison.rows.map((r) => r.n), [1, 1]);
    // with only some curves loaded, the others are left out rather than one value ranked against many
    const some = new CurveStore();
    some.apply({ metric: 'load_s', reset: true, omitted: 0, runs: { s0: { x: [0, 1], y: [10, 11] } } });
    const part = runComparison(picked, choice, settings, some);
    assert.deepEqual(part.comparison.rows.map((r) => r.key), ['s0']);
    assert.equal(part.withoutCurve, 1);
  });

  test('box from a stats description, as boxPlotConfig wants it', () => {
    const d = describeStats([1, 2, 3, 4, 100]);
    assert.ok(!d.empty);
    if (d.empty) return;
    assert.deepEqual(boxGroup('g', d), { label: 'g', min: 1, max: 100, q1: 2, median: 3, q3: 4, whiskerMin: 1, whiskerMax: 4, mean: 22, outliers: [100], n: 5 });
  });

  test('charts: box plot and mean ± CI per group; none without rows', () => {
    const res = runComparison(data, choose(data, {})!, settings);
    const charts = compareCharts(res, createTheme());
    assert.deepEqual(charts.map((c) => c.name), ['boxplot', 'mean-ci']);
    assert.deepEqual(charts[1].config.data.labels, ['sequential', 'parallel']);
    const bars = charts[1].config.data.datasets[0] as { errorBars?: Array<{ lower: number; upper: number } | null> };
    assert.ok(bars.errorBars?.every((e) => e && e.lower < e.upper));
    assert.deepEqual(compareCharts(runComparison({ ...data, runs: [] }, choose(data, {})!, settings), createTheme()), []);
  });

  test('campaign wall time ignores runs without both ends', () => {
    assert.equal(campaignTimes(runSpans([row('x', { status: 'running' })])), undefined);
    assert.deepEqual(campaignTimes(runSpans(runs.filter((r) => r.sweep_id === 'par'))), { wallS: 120, trialS: [60, 60, 60, 60, 60, 60, 5] });
  });

  test('p-values as people read them', () => {
    assert.equal(fmtP(0.04567), '0.046');
    assert.equal(fmtP(0.00001), '<0.0001');
    assert.equal(fmtP(undefined), '');
  });

  test('curves: appended per run, cleared for another metric or a reset', () => {
    const s = new CurveStore();
    s.apply({ metric: 'a', runs: { r: { x: [0], y: [1] } }, reset: true, omitted: 0 });
    s.apply({ metric: 'a', runs: { r: { x: [1], y: [2] } }, reset: false, omitted: 0 });
    assert.equal(s.runs.get('r')?.length, 2);
    s.apply({ metric: 'b', runs: { q: { x: [0], y: [1] } }, reset: false, omitted: 3 });
    assert.deepEqual([...s.runs.keys()], ['q']);
    assert.match(String(curvesChart(s, [row('q')], createTheme())?.config.options?.plugins?.subtitle?.text), /3 more not drawn/);
  });

  test('curves over steps, or over the count of reports when the runs record no step', () => {
    const axis = (s: CurveStore) => {
      const c = curvesChart(s, [], createTheme())!.config;
      return [String(c.options?.plugins?.title?.text), (c.options?.scales?.x as { title: { text: string } }).title.text];
    };
    const s = new CurveStore();
    s.apply({ metric: 'val_loss', runs: { r: { x: [0, 1], y: [1, 0.5] } }, reset: true, omitted: 0 });
    assert.deepEqual(axis(s), ['val_loss over reports', 'Report #']);
    s.apply({ metric: 'val_loss', runs: { q: { x: [10], y: [1], steps: true } }, reset: false, omitted: 0 });
    assert.deepEqual(axis(s), ['val_loss over steps', 'Step']);
    s.apply({ metric: 'val_loss', runs: { r: { x: [0], y: [1] } }, reset: true, omitted: 0 });
    assert.deepEqual(axis(s), ['val_loss over reports', 'Report #'], 'a reset forgets the old runs\' steps');
  });
});

// ---- campaign panel ------------------------------------------------------------------------------------

describe('campaign panel model', () => {
  test('filters from the form: blanks left out, every resource ticked = no resource filter', () => {
    assert.deepEqual(formFilters('', '', ['a', 'b'], ['a', 'b']), {});
    assert.deepEqual(formFilters('2025-03-01', '', ['a'], ['a', 'b']), { from: '2025-03-01', resources: ['a'] });
    assert.ok(sameFilters({ resources: ['b', 'a'] }, { resources: ['a', 'b'] }));
    assert.ok(!sameFilters({ from: '2025-03-01' }, {}));
    assert.equal(dateValue('2025-03-05T10:00:00.000Z'), '2025-03-05');
    assert.equal(dateValue(null), '');
  });

  test('the resources table from a report', () => {
    const csv = fs.readFileSync('examples/campaign-report/job_summary.csv', 'utf8');
    const r = campaignReport(csv);
    const table = tableCsv(RESOURCE_COLUMNS, r.resources);
    assert.equal(table.split('\n')[0], 'Resource,Attempts,Attempt success,Hours,Success (hours),Lost hours,GPU-hours,Epochs,h / epoch');
    assert.equal(table.trim().split('\n').length, r.resources.length + 1);
  });
});

describe('series', () => {
  test('x and y arrays become points; the shorter array bounds them', () => {
    const m = new Map();
    assert.deepEqual(appendSeries(m, { a: { x: [1, 2, 3], y: [4, 5] }, b: { x: [], y: [] } }), ['a']);
    assert.deepEqual(m.get('a'), [{ x: 1, y: 4 }, { x: 2, y: 5 }]);
  });
});

