// Grouped statistics in each chart kind (box, bar with CI, line over steps, scatter, heatmap) from
// one entry point, and group labels that are never cut inside a word. Every kind is rendered to
// test/.tmp/charts/kind-*.png for a person to look at.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { Scale } from 'chart.js';
import {
  boxPlotConfig, categoryLabels, chartGroup, ChartInputError, createTheme, errorBarsConfig, GROUP_CHART_KINDS, groupChartConfig,
  heatmapConfig, keysOfLabel, medianEstimate, rampColor, VIRIDIS, wrapLabel, type ChartGroup, type GroupChartInput, type HeatDatum,
} from '../../core/src/charts';
import { renderChart } from '../../core/src/charts/png';
import { describe as describeValues, type Description } from '../../core/src/stats';

const OUT = path.join('test', '.tmp', 'charts');
fs.mkdirSync(OUT, { recursive: true });
const light = createTheme();

function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const describe = (values: number[]) => describeValues(values) as Description;

test('wrapLabel breaks only after separators and never inside a word', () => {
  assert.deepEqual(wrapLabel('short', 24), ['short']);
  assert.deepEqual(wrapLabel('format=avro, compression=lz4, batch_size=192', 20), ['format=avro,', 'compression=lz4,', 'batch_size=192']);
  // every line is whole words of the label, in order
  const label = 'mnist-kafka-loading-avro-lz4-batch192-seed7';
  const lines = wrapLabel(label, 12, 5);
  assert.equal(lines.join(''), label);
  for (const l of lines) assert.ok(l.length <= 12, l);
  // a word longer than a line stays whole on its own line
  assert.deepEqual(wrapLabel('a supercalifragilistic b', 8), ['a', 'supercalifragilistic', 'b']);
  // too many lines: the last kept one ends after a whole word, with an ellipsis
  const cut = wrapLabel('one two three four five six seven', 9, 2);
  assert.deepEqual(cut, ['one two', 'three…'], 'the lines before the cut are whole');
});

test('categoryLabels names a shared dotted key prefix once and strips it from every label', () => {
  const r = categoryLabels(['data.kafka.format=avro, data.kafka.compression=lz4', 'data.kafka.format=json, data.kafka.compression=none']);
  assert.equal(r.prefix, 'data.kafka.');
  assert.deepEqual(r.lines, [['format=avro,', 'compression=lz4'], ['format=json,', 'compression=none']]);
  // keys that share only part of a name keep it: the prefix ends at a dot
  assert.equal(categoryLabels(['params.lr=0.1', 'params.layers=2']).prefix, 'params.');
  assert.equal(categoryLabels(['lr=0.1', 'layers=2']).prefix, '');
  // plain labels (run names): a shared start up to a separator
  const runs = categoryLabels(['mnist-kafka-loading-avro', 'mnist-kafka-loading-json']);
  assert.equal(runs.prefix, 'mnist-kafka-loading-');
  assert.deepEqual(runs.lines, [['avro'], ['json']]);
  // one label, or nothing left to show: nothing stripped
  assert.equal(categoryLabels(['data.kafka.format=avro']).prefix, '');
  assert.equal(categoryLabels(['run-1', 'run-12']).prefix, '');
});

test('box and bar axes carry the stripped prefix in their title and wrapped ticks', () => {
  const d = describe([1, 2, 3, 4, 5]);
  const labels = ['data.kafka.format=avro, data.kafka.compression=lz4', 'data.kafka.format=parquet, data.kafka.compression=zstd'];
  const box = boxPlotConfig({ groups: labels.map((label) => ({ ...chartGroup(label, d).box!, label, n: 5 })), valueTitle: 'Load time', groupTitle: 'Config' }, light);
  const x = box.options!.scales!.x as { title: { text: string }; ticks: { callback: (this: Partial<Scale>, v: number) => unknown } };
  assert.equal(x.title.text, 'Config (data.kafka.…)');
  assert.deepEqual(x.ticks.callback.call({ getLabelForValue: (i: number) => labels[i] }, 1), ['format=parquet,', 'compression=zstd', 'n=5']);
  assert.deepEqual(box.data.labels, labels, 'tooltips keep the whole label');
  const bars = errorBarsConfig({ categories: labels, series: [{ label: 'mean', values: [1, 2] }], valueTitle: 'x' }, light);
  assert.equal((bars.options!.scales!.x as { title: { text: string } }).title.text, 'data.kafka.…');
});

/** A load test: p95 latency per concurrency × input size, 5 runs per cell, with per-step series. */
function loadTest(): ChartGroup[] {
  const r = rng(7);
  const groups: ChartGroup[] = [];
  for (const c of [1, 4, 16, 64]) {
    for (const size of ['small', 'medium', 'large']) {
      const base = (size === 'small' ? 40 : size === 'medium' ? 90 : 200) * (1 + Math.log2(c) / 3);
      const values = Array.from({ length: 5 }, () => base * (0.9 + 0.2 * r()));
      const series = [0, 1].map(() => Array.from({ length: 40 }, (_, s) => ({ x: s * 10, y: base * (1.5 - 0.5 * (1 - Math.exp(-s / 8))) * (0.95 + 0.1 * r()) })));
      const label = `params.concurrency=${c}, params.input_size=${size}`;
      groups.push(chartGroup(label, describe(values), { series, points: values.map((y, i) => ({ x: c * (0.9 + 0.05 * i), y, label: `run${i}` })) }));
    }
  }
  return groups;
}

async function pixels(png: Buffer) {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

test('groupChartConfig: every kind from the same groups, rendered to PNG', async () => {
  const input: GroupChartInput = { groups: loadTest(), metric: 'p95 latency', unit: 'ms', groupTitle: 'concurrency × input size', xTitle: 'Concurrency' };
  for (const kind of GROUP_CHART_KINDS) {
    const cfg = groupChartConfig(kind, kind === 'line' ? { ...input, xTitle: 'Step' } : input, light);
    const png = renderChart(cfg, { width: 1200, height: 700, scale: 1 });
    fs.writeFileSync(path.join(OUT, `kind-${kind}.png`), png);
    const p = await pixels(png);
    assert.equal(p.width, 1200);
    // something other than the background was drawn in the middle of the plot
    let ink = 0;
    for (let y = 200; y < 500; y += 4) for (let x = 100; x < 1150; x += 4) { const i = (y * p.width + x) * 4; if (p.data[i] + p.data[i + 1] + p.data[i + 2] < 600) ink++; }
    assert.ok(ink > 50, `${kind}: the plot is empty (${ink})`);
  }
  // the heatmap on a dark theme too: cell text picks its own contrast, the scale the theme's colour
  fs.writeFileSync(path.join(OUT, 'kind-heatmap-dark.png'), renderChart(groupChartConfig('heatmap', input, createTheme({ mode: 'dark' })), { width: 1200, height: 700 }));
  const box = groupChartConfig('box', input, light);
  assert.equal(box.type, 'boxplot');
  const bar = groupChartConfig('bar', input, light);
  assert.equal(bar.type, 'bar');
  const ds = bar.data.datasets[0] as { data: number[]; errorBars: Array<{ lower: number; upper: number }> };
  assert.equal(ds.data[0], input.groups[0].estimate!.value);
  assert.deepEqual(ds.errorBars[0], { lower: input.groups[0].estimate!.low, upper: input.groups[0].estimate!.high });
  const line = groupChartConfig('line', input, light);
  assert.equal(line.data.datasets.length, 24, 'two runs per group');
  assert.equal(line.data.datasets[0].borderColor, line.data.datasets[1].borderColor, 'the runs of a group share its colour');
  assert.notEqual(line.data.datasets[0].borderColor, line.data.datasets[2].borderColor);
  const scatter = groupChartConfig('scatter', input, light);
  assert.equal(scatter.data.datasets.length, 12, 'one colour per group');
  const heat = groupChartConfig('heatmap', input, light);
  const cells = heat.data.datasets[0].data as unknown as HeatDatum[];
  assert.equal(cells.length, 12);
  const first = cells.find((c) => c.row === '1' && c.col === 'small')!;
  assert.equal(first.value, input.groups[0].estimate!.value);
  assert.equal((heat.options!.scales!.y as { title: { text: string } }).title.text, 'params.concurrency');
});

test('heatmap: numeric rows in numeric order, the lowest and highest cells at the ends of the scale, empty cells marked', async () => {
  const cfg = heatmapConfig({
    rowTitle: 'concurrency', colTitle: 'input size', valueTitle: 'Success rate', unit: '%',
    cells: [
      { row: 16, col: 'small', value: 90 }, { row: 2, col: 'small', value: 100 }, { row: 2, col: 'large', value: 40 }, { row: 16, col: 'large', value: null },
    ],
  }, light);
  const cells = cfg.data.datasets[0].data as HeatDatum[];
  const at = (row: string, col: string) => cells.find((c) => c.row === row && c.col === col)!;
  assert.equal(at('2', 'small').y, 0, 'rows sorted as numbers: 2 before 16');
  assert.equal(at('16', 'small').y, 1);
  assert.equal(at('2', 'large').color, rampColor(VIRIDIS, 0));
  assert.equal(at('2', 'small').color, rampColor(VIRIDIS, 1));
  assert.equal(at('16', 'large').text, '—');
  assert.equal(at('2', 'large').textColor, '#FFFFFF', 'light text on dark cells');
  assert.equal(at('2', 'small').textColor, '#000000', 'dark text on light cells');
  const png = renderChart(cfg, { width: 800, height: 500 });
  fs.writeFileSync(path.join(OUT, 'kind-heatmap-small.png'), png);
  const p = await pixels(png);
  // the top-left cell (2, small = 100) is yellow at its centre, away from its text
  const area = { left: 0, right: 0 };
  for (let x = 0; x < p.width; x++) {
    const i = (60 * p.width + x) * 4;
    const yellow = p.data[i] > 200 && p.data[i + 1] > 200 && p.data[i + 2] < 90;
    if (yellow && !area.left) area.left = x;
    if (yellow) area.right = x;
  }
  assert.ok(area.left > 0, 'a yellow (highest) cell is drawn');
});

test('bar of medians: the bootstrap interval of stats/bootstrap as error bars', () => {
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, NaN];
  const est = medianEstimate(values, { seed: 1, resamples: 2000 })!;
  assert.equal(est.value, 4, 'median of the finite values');
  assert.ok(est.low! <= 4 && est.high! >= 4 && est.low! < est.high!);
  assert.deepEqual(medianEstimate(values, { seed: 1, resamples: 2000 }), est, 'seeded: the same interval every time');
  assert.equal(medianEstimate([NaN]), undefined);
  const cfg = groupChartConfig('bar', { groups: [chartGroup('a', describe([1, 2, 3]), { estimate: est })], metric: 'm', statistic: 'median with 95% bootstrap CI' }, light);
  assert.equal(cfg.options!.plugins!.subtitle!.text, 'median with 95% bootstrap CI');
  assert.deepEqual((cfg.data.datasets[0] as { errorBars: unknown[] }).errorBars[0], { lower: est.low, upper: est.high });
});

test('chart kinds say what they are missing', () => {
  const g = chartGroup('a=1', describe([1, 2, 3]));
  assert.throws(() => groupChartConfig('line', { groups: [g], metric: 'm' }, light), (e: Error) => e instanceof ChartInputError && /line chart needs series for every group; missing for a=1/.test(e.message));
  assert.throws(() => groupChartConfig('heatmap', { groups: [g], metric: 'm' }, light), /heatmap needs two grouping keys \(e\.g\. --group-by .*\); the groups have a/);
  assert.throws(() => groupChartConfig('box', { groups: [], metric: 'm' }, light), /no groups/);
  assert.throws(() => groupChartConfig('pie' as never, { groups: [g], metric: 'm' }, light), /unknown chart type "pie": use box, bar, line, scatter, heatmap/);
  assert.deepEqual(keysOfLabel('params.c=4, params.size=large'), { 'params.c': '4', 'params.size': 'large' });
});
