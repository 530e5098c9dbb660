// Chart configs (pure) and headless rendering: config shapes, the error-bar plugin's pixels, PNG/SVG
// output. Every chart kind is also written to test/.tmp/charts/ for a person to look at.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';
import type { ChartConfiguration, ChartType, Plugin, Scale } from 'chart.js';
import {
  abbreviate, boxPlotConfig, createTheme, dailyCountsConfig, errorBarsConfig, formatSI, gpuMixConfig,
  metricLinesConfig, parseColor, relativeLuminance, scatterConfig, statusBarsConfig, statusKey, utcDay,
  type BoxGroup, type ChartTheme, type MetricRun, type ScatterDatum, type StatusRow,
} from '../../core/src/charts';
import { renderChart, resolveFontFamily } from '../../core/src/charts/png';

const OUT = path.join('test', '.tmp', 'charts');
fs.mkdirSync(OUT, { recursive: true });
const light = createTheme();
const dark = createTheme({ mode: 'dark' });
const W = 1200;
const H = 700;

/** A seeded generator, so fixtures and images are the same on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

interface Pixels { width: number; height: number; data: Uint8ClampedArray }

async function decode(png: Buffer): Promise<Pixels> {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

const rgbAt = (p: Pixels, x: number, y: number) => {
  const i = (y * p.width + x) * 4;
  return { r: p.data[i], g: p.data[i + 1], b: p.data[i + 2], a: p.data[i + 3] };
};

/** Centres of the runs of rows in column x whose pixel matches. */
function rowRuns(p: Pixels, x: number, match: (c: { r: number; g: number; b: number }) => boolean): number[] {
  const runs: number[] = [];
  let start = -1;
  for (let y = 0; y <= p.height; y++) {
    const hit = y < p.height && match(rgbAt(p, x, y));
    if (hit && start < 0) start = y;
    if (!hit && start >= 0) { runs.push((start + y - 1) / 2); start = -1; }
  }
  return runs;
}

const magenta = ({ r, g, b }: { r: number; g: number; b: number }) => r > 180 && g < 110 && b > 180;

function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function save(name: string, image: Buffer): void {
  fs.writeFileSync(path.join(OUT, name), image);
}

const groups: BoxGroup[] = ['avro-lz4', 'avro-snappy', 'parquet-zstd', 'json-none-with-a-very-long-configuration-name', 'protobuf-gzip']
  .map((label, i) => ({
    label, min: 10 + i, q1: 14 + i, median: 16 + i * 1.5, q3: 19 + i, max: 40 + i * 3,
    whiskerMin: 11 + i, whiskerMax: 25 + i, mean: 17 + i, outliers: [32 + i, 40 + i * 3], n: 30,
  }));

function manyRuns(runs: number, points: number): MetricRun[] {
  const r = rng(7);
  return Array.from({ length: runs }, (_, i) => {
    let y = 2 + r();
    return { label: `run-${i}`, points: Array.from({ length: points }, (_, x) => ({ x, y: (y = Math.max(0.01, y * 0.9997 + (r() - 0.5) * 0.02)) })) };
  });
}

// --- theme and formatting ------------------------------------------------------------------------

test('theme: host overrides win, the mode follows the background, derived colours follow both', () => {
  const t = createTheme({ background: '#1e1e1e', foreground: '#cccccc', grid: '#333333', fontFamily: 'Segoe WPC, sans-serif', fontSize: 13 });
  assert.equal(t.mode, 'dark');
  assert.equal(t.background, '#1e1e1e');
  assert.equal(t.foreground, '#cccccc');
  assert.equal(t.grid, '#333333');
  assert.equal(t.font.family, 'Segoe WPC, sans-serif');
  assert.equal(t.font.size, 13);
  assert.ok(t.font.titleSize > t.font.size);
  assert.equal(createTheme({ background: 'rgb(255, 255, 255)' }).mode, 'light');
  // muted text lies between foreground and background
  const lum = (c: string) => relativeLuminance(parseColor(c)!);
  assert.ok(lum(t.muted) < lum(t.foreground) && lum(t.muted) > lum(t.background));
  assert.equal(light.palette.length, 8);
  assert.notDeepEqual(light.palette, dark.palette, 'black is no series colour on a dark background');
  assert.equal(statusKey('OUT_OF_MEMORY'), 'oom');
  assert.equal(statusKey('Completed'), 'succeeded');
  assert.equal(statusKey('canceled'), 'cancelled');
  assert.equal(statusKey('whatever'), undefined);
});

test('formatSI, abbreviate, utcDay', () => {
  assert.equal(formatSI(0), '0');
  assert.equal(formatSI(1500), '1.5k');
  assert.equal(formatSI(100500), '100.5k');
  assert.equal(formatSI(2_500_000), '2.5M');
  assert.equal(formatSI(-12_000), '-12k');
  assert.equal(formatSI(999_999), '1M');
  assert.equal(formatSI(0.30000000000000004), '0.3');
  assert.equal(formatSI(0.00012), '1.2e-4');
  assert.equal(formatSI(42), '42');
  assert.equal(abbreviate('short', 24), 'short');
  const a = abbreviate('mnist-kafka-loading-avro-lz4-batch192', 20);
  assert.equal(a.length, 20);
  assert.ok(a.startsWith('mnist-kafk') && a.endsWith('batch192') && a.includes('…'));
  assert.equal(utcDay('2024-03-05'), Date.UTC(2024, 2, 5));
  assert.equal(utcDay('2024-03-05T23:59:00Z'), Date.UTC(2024, 2, 5));
  assert.equal(utcDay(Date.UTC(2024, 2, 5, 12)), Date.UTC(2024, 2, 5));
  assert.equal(utcDay('not a day'), undefined);
});

test('fonts: the theme family resolves to an installed font, unknown lists fall back to DejaVu Sans', () => {
  const family = resolveFontFamily(light.font.family);
  assert.ok(GlobalFonts.has(family), family);
  assert.equal(family, 'DejaVu Sans');
  assert.equal(resolveFontFamily("'No Such Font', sans-serif"), 'DejaVu Sans');
  assert.equal(resolveFontFamily('"DejaVu Serif", serif'), 'DejaVu Serif');
});

// --- config shapes -------------------------------------------------------------------------------

test('box plot: precomputed stats pass through unchanged, with labels, units and theme colours', () => {
  const input = structuredClone(groups);
  const cfg = boxPlotConfig({ title: 'Load time per format', groups: input, valueTitle: 'Load time', unit: 's', groupTitle: 'Format' }, light);
  assert.equal(cfg.type, 'boxplot');
  assert.deepEqual(cfg.data.labels, groups.map((g) => g.label));
  const ds = cfg.data.datasets[0];
  assert.deepEqual(ds.data, groups.map(({ label: _l, n: _n, ...stats }) => stats));
  assert.notEqual((ds.data[0] as BoxGroup).outliers, input[0].outliers, 'outlier arrays are copies (chart.js keeps what it is given)');
  assert.deepEqual(input, groups, 'input not mutated');
  const noMean = boxPlotConfig({ groups: [{ ...groups[0], mean: undefined }], valueTitle: 'x' }, light);
  assert.ok(!('mean' in (noMean.data.datasets[0].data[0] as object)), 'no mean key: the plugin would draw NaN as a mean');
  assert.deepEqual(ds.borderColor, light.palette.slice(0, 5));
  assert.equal(ds.medianColor, light.foreground);
  const y = cfg.options!.scales!.y as { title: { text: string; color: string }; suggestedMin: number; suggestedMax: number; type: string };
  assert.equal(y.title.text, 'Load time (s)');
  assert.equal(y.title.color, light.foreground);
  assert.equal(y.type, 'linear');
  assert.ok(y.suggestedMax > 52 && y.suggestedMin < 10, 'outliers and whiskers fit inside the axis');
  assert.equal((cfg.options!.scales!.x as { title: { text: string } }).title.text, 'Format');
  assert.equal(cfg.options!.plugins!.title!.text, 'Load time per format');
  assert.equal(cfg.options!.plugins!.background!.color, light.background);
  // long labels wrapped on the axis at separators, never cut inside a word; n under each
  const tick = (cfg.options!.scales!.x as { ticks: { callback: (this: Partial<Scale>, v: number) => unknown } }).ticks.callback;
  const scale = { getLabelForValue: (i: number) => groups[i].label };
  assert.deepEqual(tick.call(scale, 0), ['avro-lz4', 'n=30']);
  const long = tick.call(scale, 3) as string[];
  assert.deepEqual(long, ['json-none-with-a-very-', 'long-configuration-name', 'n=30']);
  // many groups: one colour, not a repeating palette
  const many = boxPlotConfig({ groups: Array.from({ length: 12 }, (_, i) => ({ ...groups[0], label: `g${i}` })), valueTitle: 'x' }, light);
  assert.deepEqual(new Set(many.data.datasets[0].borderColor as string[]), new Set([light.palette[0]]));
});

test('error bars: bounds travel with the dataset and the value axis reaches them', () => {
  const cfg = errorBarsConfig({
    title: 'Throughput', categories: ['bs=64', 'bs=128'], valueTitle: 'Throughput', unit: 'samples/s',
    series: [{ label: 'A100', values: [100, 200], lower: [90, 150], upper: [110, 300] }, { label: 'H100', values: [150, null], lower: [140, null] }],
  }, light);
  assert.equal(cfg.type, 'bar');
  assert.deepEqual(cfg.data.datasets[0].errorBars, [{ lower: 90, upper: 110 }, { lower: 150, upper: 300 }]);
  assert.deepEqual(cfg.data.datasets[1].errorBars, [null, null], 'an error bar needs both bounds');
  assert.deepEqual(cfg.data.datasets[1].data, [150, null]);
  assert.ok((cfg.options!.scales!.y as { suggestedMax: number }).suggestedMax >= 300);
  assert.equal((cfg.options!.scales!.y as { title: { text: string } }).title.text, 'Throughput (samples/s)');
  assert.equal(cfg.options!.plugins!.errorBars!.color, light.foreground);
  assert.equal(cfg.options!.plugins!.legend!.display, true);
});

test('error bars: fixed value bounds (a share) clamp the intervals and replace the padding', () => {
  const cfg = errorBarsConfig({
    categories: ['a', 'b', 'c'], valueTitle: 'Success rate', unit: '%', min: 0, max: 100,
    series: [{ label: 'share', values: [100, 97, 2], lower: [93, 90, -3], upper: [104, 101, 6] }],
  }, light);
  const y = cfg.options!.scales!.y as { min: number; max: number; suggestedMin?: number; suggestedMax?: number; beginAtZero: boolean };
  assert.equal(y.min, 0);
  assert.equal(y.max, 100);
  assert.equal(y.suggestedMin, undefined);
  assert.equal(y.suggestedMax, undefined);
  assert.deepEqual(cfg.data.datasets[0].errorBars, [{ lower: 93, upper: 100 }, { lower: 90, upper: 100 }, { lower: 0, upper: 6 }]);
  assert.deepEqual(cfg.data.datasets[0].data, [100, 97, 2], 'values are shown as they are');
  // horizontal: the same bounds on the x axis
  const h = errorBarsConfig({ categories: ['a'], valueTitle: 'Share', max: 100, horizontal: true, series: [{ label: 's', values: [99] }] }, light);
  assert.equal((h.options!.scales!.x as { max: number }).max, 100);
  assert.equal((h.options!.scales!.x as { min?: number }).min, undefined);
});

test('metric lines: decimation-ready data and options for 100 runs × 10,000 points', () => {
  const runs = manyRuns(100, 10_000);
  const cfg = metricLinesConfig({ title: 'Validation loss', runs, metric: 'val_loss' }, light);
  assert.equal(cfg.type, 'line');
  assert.equal(cfg.options!.parsing, false);
  assert.equal(cfg.options!.animation, false);
  assert.deepEqual(cfg.options!.plugins!.decimation, { enabled: true, algorithm: 'lttb' });
  assert.equal((cfg.options!.scales!.x as { type: string }).type, 'linear');
  assert.equal((cfg.options!.scales!.x as { title: { text: string } }).title.text, 'Step');
  assert.equal(cfg.data.datasets.length, 100);
  assert.equal(cfg.data.datasets[0].data.length, 10_000);
  assert.equal(cfg.data.datasets[0].indexAxis, 'x');
  assert.equal(cfg.data.datasets[0].pointRadius, 0);
  assert.equal(cfg.data.datasets[9].borderColor, light.palette[1], 'colours cycle through the palette');
  assert.equal(cfg.options!.plugins!.legend!.display, false, 'no legend for 100 runs');
  assert.equal(cfg.options!.plugins!.subtitle!.text, '100 runs');

  // unsorted and non-finite points: sorted copies without the gaps, the input left alone
  const messy = [{ x: 2, y: 1 }, { x: 0, y: 3 }, { x: 1, y: NaN }, { x: 3, y: Infinity }, { x: 1.5, y: 2 }];
  const before = structuredClone(messy);
  const small = metricLinesConfig({ runs: [{ label: 'r', points: messy }], metric: 'loss', log: true, samples: 500 }, light);
  assert.deepEqual(small.data.datasets[0].data, [{ x: 0, y: 3 }, { x: 1.5, y: 2 }, { x: 2, y: 1 }]);
  assert.deepEqual(messy, before);
  assert.equal((small.options!.scales!.y as { type: string }).type, 'logarithmic');
  assert.deepEqual(small.options!.plugins!.decimation, { enabled: true, algorithm: 'lttb', samples: 500 });
  assert.equal(small.options!.plugins!.legend!.display, true);
});

test('scatter: numeric x on a (log) value axis, categorical x in jittered columns', () => {
  const numeric = scatterConfig({ xTitle: 'learning_rate', yTitle: 'val_loss', logX: true, points: [
    { x: 1e-4, y: 0.5, series: 'h=64' }, { x: 1e-3, y: 0.4, series: 'h=128', label: 'run-2' }, { x: 1e-2, y: 0.45, series: 'h=64' }] }, light);
  assert.equal(numeric.type, 'scatter');
  assert.equal((numeric.options!.scales!.x as { type: string }).type, 'logarithmic');
  assert.deepEqual(numeric.data.datasets.map((d) => d.label), ['h=64', 'h=128']);
  assert.deepEqual(numeric.data.datasets[1].data, [{ x: 1e-3, y: 0.4, label: 'run-2' }]);
  assert.equal(numeric.data.datasets[1].borderColor, light.palette[1]);

  const cat = scatterConfig({ xTitle: 'data_format', yTitle: 'Load time', yUnit: 's', categories: ['json'], points: [
    ...Array.from({ length: 9 }, (_, i) => ({ x: 'avro', y: 10 + i })), { x: 'json', y: 20 }, { x: 'parquet', y: 15 }] }, light);
  const x = cat.options!.scales!.x as { type: string; min: number; max: number; ticks: { callback: (v: number) => string } };
  assert.equal(x.type, 'linear');
  assert.equal(x.min, -0.5);
  assert.equal(x.max, 2.5);
  assert.deepEqual([0, 1, 2].map((i) => x.ticks.callback(i)), ['json', 'avro', 'parquet'], 'given order first, then first appearance');
  const data = cat.data.datasets[0].data as ScatterDatum[];
  const avro = data.filter((d) => d.category === 'avro');
  assert.equal(avro.length, 9);
  assert.ok(avro.every((d) => Math.abs(d.x - 1) <= 0.3), 'jitter stays inside the column');
  assert.equal(new Set(avro.map((d) => d.x)).size, 9, 'equal columns do not stack on one pixel');
  assert.equal(data.find((d) => d.category === 'json')!.x, 0);
  assert.equal((cat.options!.scales!.y as { title: { text: string } }).title.text, 'Load time (s)');
});

test('status bars: success at the base, status colours, distinct shades for synonyms, shares to 100 %', () => {
  const rows: StatusRow[] = [
    { label: 'node-a', counts: { FAILED: 2, COMPLETED: 8, NODE_FAIL: 1, weird: 1 } },
    { label: 'node-b', counts: { COMPLETED: 5 } },
  ];
  const cfg = statusBarsConfig({ rows, categoryTitle: 'Node' }, light);
  assert.deepEqual(cfg.data.datasets.map((d) => d.label), ['COMPLETED', 'FAILED', 'NODE_FAIL', 'weird']);
  assert.equal(cfg.data.datasets[0].backgroundColor, light.status.succeeded);
  assert.equal(cfg.data.datasets[1].backgroundColor, light.status.failed);
  const colours = cfg.data.datasets.map((d) => d.backgroundColor);
  assert.equal(new Set(colours).size, colours.length);
  assert.deepEqual(cfg.data.datasets[1].data, [2, 0]);
  assert.equal((cfg.options!.scales!.x as { stacked: boolean }).stacked, true);
  assert.equal((cfg.options!.scales!.y as { stacked: boolean }).stacked, true);
  const label = cfg.options!.plugins!.tooltip!.callbacks!.label as (item: { datasetIndex: number; dataIndex: number }) => string;
  assert.equal(label({ datasetIndex: 1, dataIndex: 0 }), 'FAILED: 2 of 12 (16.7%)');
  const pct = statusBarsConfig({ rows, percent: true, horizontal: true }, light);
  assert.equal(pct.options!.indexAxis, 'y');
  const sum = pct.data.datasets.reduce((s, d) => s + d.data[0], 0);
  assert.ok(Math.abs(sum - 100) < 1e-9);
  assert.equal((pct.options!.scales!.x as { max: number; title: { text: string } }).max, 100);
  assert.equal((pct.options!.scales!.x as { title: { text: string } }).title.text, 'Share (%)');
});

test('GPU mix: counts and shares in the legend, empty slices dropped', () => {
  const cfg = gpuMixConfig({ title: 'GPU mix', unit: 'GPUs', slices: [{ label: 'H100', value: 6 }, { label: 'A100', value: 2 }, { label: 'none', value: 0 }] }, light);
  assert.equal(cfg.type, 'doughnut');
  assert.deepEqual(cfg.data.labels, ['H100  6 (75.0%)', 'A100  2 (25.0%)']);
  assert.deepEqual(cfg.data.datasets[0].backgroundColor, light.palette.slice(0, 2));
  assert.equal(cfg.options!.plugins!.subtitle!.text, '8 GPUs in total');
});

test('daily counts: every calendar day, cumulative totals, short day ticks', () => {
  const cfg = dailyCountsConfig({ title: 'Runs', series: [
    { label: 'succeeded', days: [{ day: '2024-12-30', count: 2 }, { day: '2025-01-02T10:00:00Z', count: 3 }, { day: '2024-12-30T23:00:00Z', count: 1 }] },
    { label: 'failed', days: [{ day: Date.UTC(2024, 11, 31, 5), count: 1 }] },
  ] }, light);
  assert.deepEqual(cfg.data.labels, ['2024-12-30', '2024-12-31', '2025-01-01', '2025-01-02']);
  const [ok, failed, okCum, failedCum] = cfg.data.datasets;
  assert.deepEqual(ok.data, [3, 0, 0, 3]);
  assert.deepEqual(failed.data, [0, 1, 0, 0]);
  assert.deepEqual(okCum.data, [3, 3, 3, 6]);
  assert.deepEqual(failedCum.data, [0, 1, 1, 1]);
  assert.equal(ok.type, 'bar');
  assert.equal(okCum.type, 'line');
  assert.equal(okCum.yAxisID, 'y1');
  assert.equal(ok.borderColor, light.status.succeeded);
  const x = cfg.options!.scales!.x as { title: { text: string }; ticks: { callback: (this: unknown, v: number) => string } };
  assert.equal(x.title.text, 'Day (UTC, 2024–2025)');
  assert.equal(x.ticks.callback.call(null, 2), 'Jan 1');
  const noCum = dailyCountsConfig({ series: [{ label: 'runs', days: [] }], cumulative: false }, light);
  assert.deepEqual(noCum.data.labels, []);
  assert.equal(noCum.options!.scales!.y1, undefined);
});

// --- rendering -----------------------------------------------------------------------------------

test('error-bar plugin draws each interval where its bounds are', async () => {
  const cfg = errorBarsConfig({ categories: ['a'], valueTitle: 'v', series: [{ label: 's', values: [5], lower: [2], upper: [8] }] }, light);
  cfg.options!.plugins!.errorBars = { color: '#FF00FF', lineWidth: 3, capWidth: 14 };
  // an opaque borderless bar, so that its rows are exactly value 0 to value 5
  Object.assign(cfg.data.datasets[0], { backgroundColor: '#00FF00', borderWidth: 0 });
  const p = await decode(renderChart(cfg, { width: 600, height: 400 }));
  const green = ({ r, g, b }: { r: number; g: number; b: number }) => g > 200 && r < 60 && b < 60;
  const cols = [...Array(p.width).keys()].filter((x) => green(rgbAt(p, x, Math.round(p.height * 0.8))));
  assert.ok(cols.length > 20, 'bar found');
  const centre = Math.round((cols[0] + cols[cols.length - 1]) / 2);
  const bars = rowRuns(p, cols[0] + 2, green);
  assert.equal(bars.length, 1);
  const barRows = [...Array(p.height).keys()].filter((y) => green(rgbAt(p, cols[0] + 2, y)));
  const y0 = barRows[barRows.length - 1] + 1;
  const perUnit = (y0 - barRows[0]) / 5;
  const at = (v: number) => y0 - v * perUnit;
  // the stem runs from 8 down to 2, over the bar
  const stem = [...Array(p.height).keys()].filter((y) => magenta(rgbAt(p, centre, y)));
  assert.ok(stem.length > 0, 'error bar drawn');
  assert.ok(Math.abs(stem[0] - at(8)) <= 3 && Math.abs(stem[stem.length - 1] - at(2)) <= 3, `stem ${stem[0]}..${stem[stem.length - 1]}, expected ${at(8)}..${at(2)}`);
  // caps at both ends, 14 px wide: seen 5 px beside the stem, not 10 px
  const caps = rowRuns(p, centre + 5, magenta);
  assert.equal(caps.length, 2);
  assert.ok(Math.abs(caps[0] - at(8)) <= 1.5 && Math.abs(caps[1] - at(2)) <= 1.5, `caps at ${caps}, expected ${at(8)}, ${at(2)}`);
  assert.deepEqual(rowRuns(p, centre + 10, magenta), []);
});

test('box plot renders the given whiskers, not recomputed ones', async () => {
  // q1=2, q3=4: a recomputing plugin would put the upper whisker at min(max, q3 + 1.5·IQR) = 7
  const box: BoxGroup = { label: 'g', min: 0.5, q1: 2, median: 3, q3: 4, max: 9, whiskerMin: 1, whiskerMax: 6, outliers: [9], mean: undefined };
  const theme: ChartTheme = { ...light, palette: ['#FF00FF'] };
  const cfg = boxPlotConfig({ groups: [box], valueTitle: 'v' }, theme);
  const p = await decode(renderChart(cfg, { width: 400, height: 600 }));
  // columns inside the box, off its stem: whisker cap, box top (q3), box bottom (q1), whisker cap
  const inside = [...Array(p.width).keys()].filter((c) => rowRuns(p, c, magenta).length === 4);
  assert.ok(inside.length > 10, 'box found');
  const [wMax, q3, q1, wMin] = rowRuns(p, inside[Math.floor(inside.length / 4)], magenta);
  const perUnit = (q1 - q3) / 2;
  assert.ok(Math.abs(wMax - (q3 - 2 * perUnit)) <= 2, `upper whisker at 6: ${wMax} vs ${q3 - 2 * perUnit}`);
  assert.ok(Math.abs(wMin - (q1 + 1 * perUnit)) <= 2, `lower whisker at 1: ${wMin} vs ${q1 + perUnit}`);
  assert.deepEqual(box.outliers, [9], 'stats object left alone');
});

test('PNG: signature, requested size (and scale), theme background, non-empty plot, same bytes twice', async () => {
  const make = () => boxPlotConfig({ title: 'Load time', groups, valueTitle: 'Load time', unit: 's' }, light);
  const png = renderChart(make(), { width: 640, height: 480 });
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(pngSize(png), { width: 640, height: 480 });
  assert.ok(png.equals(renderChart(make(), { width: 640, height: 480 })), 'deterministic');
  assert.deepEqual(pngSize(renderChart(make(), { width: 640, height: 480, scale: 2 })), { width: 1280, height: 960 });

  const p = await decode(png);
  assert.deepEqual(rgbAt(p, 1, 1), { r: 255, g: 255, b: 255, a: 255 }, 'opaque theme background');
  let ink = 0;
  for (let y = Math.round(p.height * 0.2); y < p.height * 0.8; y++) {
    for (let x = Math.round(p.width * 0.2); x < p.width * 0.8; x++) {
      const c = rgbAt(p, x, y);
      if (c.r + c.g + c.b < 740) ink++;
    }
  }
  assert.ok(ink > 2000, `plot area has ${ink} drawn pixels`);

  const darkPng = await decode(renderChart(boxPlotConfig({ groups, valueTitle: 'Load time' }, dark), { width: 640, height: 480 }));
  for (const [x, y] of [[1, 1], [638, 478], [320, 2]]) {
    const c = rgbAt(darkPng, x, y);
    assert.ok(relativeLuminance(c) < 0.05 && c.a === 255, `dark background at ${x},${y}: ${JSON.stringify(c)}`);
  }
  assert.throws(() => renderChart(make(), { width: 0, height: 10 }), RangeError);
});

test('SVG: a self-contained document of the requested size', () => {
  const svg = renderChart(boxPlotConfig({ title: 'Load time', groups, valueTitle: 'Load time', unit: 's' }, light), { width: 800, height: 500, format: 'svg' }).toString('utf8');
  assert.match(svg, /^<\?xml[^>]*>\s*<svg[^>]*width="800" height="500"/);
  assert.doesNotMatch(svg, /<text/, 'text is outlined: no font needed to view it');
  assert.match(svg, /fill="white"/);
  save('boxplot-light.svg', Buffer.from(svg));
});

test('100 runs × 10,000 points render decimated', () => {
  const runs = manyRuns(100, 10_000);
  let drawn = 0;
  const probe: Plugin<'line'> = { id: 'probe', afterDatasetsDraw(chart) { drawn = chart.data.datasets[0].data.length; } };
  const cfg: ChartConfiguration<'line', { x: number; y: number }[]> = { ...metricLinesConfig({ title: 'Validation loss', runs, metric: 'val_loss' }, light), plugins: [probe] };
  const png = renderChart(cfg, { width: W, height: H });
  assert.ok(drawn > 0 && drawn <= W, `decimated to ${drawn} points per run`);
  save('lines-100x10k-light.png', png);
});

test('every chart kind renders in light and dark (images in test/.tmp/charts/)', () => {
  const r = rng(1);
  for (const theme of [light, dark]) {
    const kinds: Record<string, ChartConfiguration<ChartType, unknown[], unknown>> = {
      boxplot: boxPlotConfig({ title: 'Load time per data format', groups, valueTitle: 'Load time', unit: 's', groupTitle: 'Format' }, theme),
      'boxplot-horizontal': boxPlotConfig({ title: 'Load time per data format', groups, valueTitle: 'Load time', unit: 's', horizontal: true }, theme),
      errorbars: errorBarsConfig({
        title: 'Throughput (mean ± 95% CI)', categories: ['bs=64', 'bs=128', 'bs=256', 'bs=512'], valueTitle: 'Throughput', unit: 'samples/s', categoryTitle: 'Batch size',
        series: [
          { label: 'A100', values: [1200, 2300, 4100, 7000], lower: [1100, 2100, 3900, 6500], upper: [1300, 2500, 4300, 7600] },
          { label: 'H100', values: [2000, 3900, 7500, 13500], lower: [1800, 3600, 7000, 12000], upper: [2200, 4200, 8000, 15000] },
        ],
      }, theme),
      'lines-few': metricLinesConfig({
        title: 'Training loss', metric: 'loss', log: true,
        runs: [1e-4, 5e-4, 1e-3, 5e-3, 1e-2].map((lr, i) => ({ label: `lr=${lr}`, points: Array.from({ length: 2000 }, (_, s) => ({ x: s * 50, y: 3 * Math.exp(-s / (300 + i * 200)) + 0.1 + r() * 0.05 })) })),
      }, theme),
      'scatter-numeric': scatterConfig({
        title: 'Learning rate vs validation loss', xTitle: 'learning_rate', yTitle: 'val_loss', logX: true,
        points: Array.from({ length: 60 }, (_, i) => ({ x: [1e-4, 5e-4, 1e-3, 5e-3][i % 4] * (1 + r() * 0.2), y: 0.3 + r() * 0.2, series: `hidden=${[64, 128, 256][i % 3]}` })),
      }, theme),
      'scatter-categorical': scatterConfig({
        title: 'Data format vs load time', xTitle: 'data_format', yTitle: 'Load time', yUnit: 's',
        points: Array.from({ length: 90 }, (_, i) => ({ x: ['avro', 'parquet', 'json'][i % 3], y: 10 + (i % 3) * 5 + r() * 3 })),
      }, theme),
      status: statusBarsConfig({
        title: 'Job outcomes per node', categoryTitle: 'Node',
        rows: Array.from({ length: 14 }, (_, i) => ({
          label: `gpu-node-${String(i).padStart(3, '0')}.cluster.example.org`,
          counts: { COMPLETED: Math.round(20 + r() * 30), FAILED: Math.round(r() * 6), OUT_OF_MEMORY: Math.round(r() * 3), TIMEOUT: Math.round(r() * 2), CANCELLED: Math.round(r() * 2), NODE_FAIL: Math.round(r()), PREEMPTED: Math.round(r() * 3) },
        })),
      }, theme),
      'status-percent': statusBarsConfig({
        title: 'Outcomes per experiment', horizontal: true, percent: true,
        rows: ['mnist', 'cifar10-resnet50', 'imagenet-vit-large-patch16-224-finetune'].map((label) => ({ label, counts: { succeeded: Math.round(r() * 40), failed: Math.round(r() * 10), cancelled: Math.round(r() * 5), interrupted: 2 } })),
      }, theme),
      gpumix: gpuMixConfig({ title: 'GPU mix', unit: 'GPUs', slices: [{ label: 'H100', value: 48 }, { label: 'A100-80GB', value: 32 }, { label: 'A100-40GB', value: 16 }, { label: 'L40S', value: 8 }, { label: 'V100', value: 4 }] }, theme),
      daily: dailyCountsConfig({
        title: 'Runs per day',
        series: [1, 0.3].map((k, j) => ({
          label: ['succeeded', 'failed'][j],
          days: Array.from({ length: 50 }, (_, d) => ({ day: Date.UTC(2024, 10, 20 + d, 3), count: Math.round(r() * 20 * k) })),
        })),
      }, theme),
    } as Record<string, ChartConfiguration<ChartType, unknown[], unknown>>;
    for (const [name, cfg] of Object.entries(kinds)) {
      const png = renderChart(cfg, { width: W, height: H });
      assert.deepEqual(pngSize(png), { width: W, height: H }, name);
      save(`${name}-${theme.mode}.png`, png);
    }
  }
});

test('metric lines: a metric reported once draws its value as a dot, not an empty axis (one run, and beside a curve)', async () => {
  const one = metricLinesConfig({ title: 'b', runs: [{ label: 'r', points: [{ x: 1, y: 1.004 }] }], metric: 'b' }, light);
  assert.equal(one.data.datasets[0].pointRadius, 4);
  const mixed = metricLinesConfig({ title: 'val_loss', metric: 'val_loss', runs: [
    { label: 'once', points: [{ x: 640, y: 0.0105 }] },
    { label: 'curve', points: [0, 1, 2, 3].map((i) => ({ x: 128 * (i + 1), y: 0.01 - i * 1e-4 })) },
  ] }, light);
  assert.deepEqual(mixed.data.datasets.map((d) => d.pointRadius), [4, 0], 'the lone point is a dot; the curve stays a line');
  // Drawn: pixels of the series colour — without the legend, whose swatch has that colour too.
  one.options!.plugins!.legend!.display = false;
  const px = await decode(await renderChart(one as ChartConfiguration, { width: 400, height: 250 }) as Buffer);
  const [r, g, b] = [parseColor(light.palette[0])!.r, parseColor(light.palette[0])!.g, parseColor(light.palette[0])!.b];
  let hits = 0;
  for (let i = 0; i < px.data.length; i += 4) if (Math.abs(px.data[i] - r) + Math.abs(px.data[i + 1] - g) + Math.abs(px.data[i + 2] - b) < 30) hits++;
  assert.ok(hits >= 20, `the dot is drawn in the series colour (${hits} pixels)`);
});
