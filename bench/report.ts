// Campaign report benchmark: a 100,000-row job_summary.csv (the example generator, seed 1) to the
// full report — CSV parse, typed rows, every figure, the summary and the Markdown. One warm-up,
// then the median of 3 runs. Peer: pandas read_csv + the per-resource groupby of
// scripts/reference/campaign.py on the same file (a subset of the report), timed inside Python.
// Then the product figure: `expctl report` end to end (process start, report, nine PNGs at 2×,
// summary.md and summary.json written), median of 3 — the target is under 10 s.
//
//   node --import tsx bench/report.ts [--rows N] [--no-write]     (writes bench/results/report.json)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, writeResults } from './meta';
import { buildReport, loadCampaign, renderMarkdown } from '../core/src/report';
import { parseCsv } from '../core/src/util/csv';
import { generateJobSummary } from '../examples/campaign-report/generate';

const RUNS = 3;
const SEED = 1;
const PYTHON = path.join(ROOT, '.cache/pyref/bin/python');

const args = process.argv.slice(2);
const rows = Number(args[args.indexOf('--rows') + 1] ?? 0) || 100_000;
const write = !args.includes('--no-write');

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number) => Math.round(x * 10) / 10;

function main(): void {
  const file = path.join(ROOT, 'bench/.work', `job_summary-${rows}.csv`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, generateJobSummary({ rows, seed: SEED }));
  const text = fs.readFileSync(file, 'utf8');

  // CPU time next to wall time: on a shared machine the wall figures carry the neighbours' load.
  const samples = { csv_parse_ms: [] as number[], load_ms: [] as number[], compute_ms: [] as number[], markdown_ms: [] as number[], total_ms: [] as number[], total_cpu_ms: [] as number[] };
  let summary = '';
  for (let run = -1; run < RUNS; run++) {
    let t = process.hrtime.bigint();
    parseCsv(text);
    const csv = ms(t);
    const cpu0 = process.cpuUsage();
    t = process.hrtime.bigint();
    const loaded = loadCampaign(text);
    const load = ms(t);
    t = process.hrtime.bigint();
    const report = buildReport(loaded);
    const compute = ms(t);
    t = process.hrtime.bigint();
    renderMarkdown(report);
    const md = ms(t);
    const cpu = process.cpuUsage(cpu0);
    if (run < 0) { summary = report.summary.headline; continue; } // warm-up
    samples.csv_parse_ms.push(csv);
    samples.load_ms.push(load);
    samples.compute_ms.push(compute);
    samples.markdown_ms.push(md);
    samples.total_ms.push(load + compute + md);
    samples.total_cpu_ms.push((cpu.user + cpu.system) / 1000);
  }
  const cli: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'report', file, '--out', path.join(ROOT, 'bench/.work/report-out')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`expctl report failed: ${r.stderr}`);
    cli.push(ms(t));
  }
  const results = { ...Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, round(median(v))])), cli_end_to_end_with_pngs_ms: round(median(cli)) } as Record<keyof typeof samples | 'cli_end_to_end_with_pngs_ms', number>;

  // The pandas peer, timed in-process over the same runs (interpreter start and imports excluded).
  let peer: Record<string, unknown> | undefined;
  if (fs.existsSync(PYTHON)) {
    const code = `import sys, time, json\nsys.path.insert(0, 'scripts/reference')\nimport campaign\nts = []\nfor i in range(${RUNS + 1}):\n    t = time.perf_counter(); campaign.reference(sys.argv[1]); ts.append((time.perf_counter() - t) * 1000)\nprint(json.dumps(ts[1:]))\n`;
    const p = spawnSync(PYTHON, ['-c', code, file], { cwd: ROOT, encoding: 'utf8' });
    if (p.status === 0) {
      const ts = JSON.parse(p.stdout) as number[];
      peer = { name: 'pandas read_csv + per-resource groupby (scripts/reference/campaign.py)', median_ms: round(median(ts)), samples_ms: ts.map(round) };
    } else console.error(`pandas peer failed: ${p.stderr}`);
  }

  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  console.log(`${rows.toLocaleString('en-US')} rows, ${(text.length / 1e6).toFixed(1)} MB — ${summary}`);
  console.table({
    'CSV parse only': results.csv_parse_ms,
    'load (parse + typed rows)': results.load_ms,
    'figures + summary': results.compute_ms,
    markdown: results.markdown_ms,
    'total (load + figures + markdown)': results.total_ms,
    'total, CPU time': results.total_cpu_ms,
    ...(peer ? { [String(peer.name)]: peer.median_ms as number } : {}),
    'expctl report end to end, with 9 PNGs': results.cli_end_to_end_with_pngs_ms,
  });
  console.log(`RSS after the runs: ${rssMb} MB`);
  if (!write) return;

  writeResults('report', ['core/src/report', 'core/src/util/csv.ts', 'core/src/charts', 'cli'], {
    command: 'node --import tsx bench/report.ts',
    method: { runs: RUNS, warmup: 1, aggregate: 'median of runs per figure', loadavg: os.loadavg().map(round) },
    input: { rows, bytes: text.length, generator: `examples/campaign-report/generate.ts --rows ${rows} --seed ${SEED}` },
    target: '100,000-row CSV to the full report with PNGs < 10 s (cli_end_to_end_with_pngs_ms)',
    results_ms: results,
    samples_ms: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.map(round)])),
    rss_mb: rssMb,
    ...(peer ? { peer } : {}),
  });
}

main();
