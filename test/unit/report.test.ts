// Campaign reports: per-resource figures against pandas, column mapping, bad rows, filters,
// job types, recommendations and the Markdown.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quantileSorted } from '../../core/src/stats/quantile';
import {
  buildReport, campaignReport, jobType, loadCampaign, parseTimestamp, renderMarkdown, ReportInputError,
  type CampaignReport, type EfficiencyStats, type ResourceStats,
} from '../../core/src/report';
import { reportCharts } from '../../core/src/report/charts';
import { byteUnit, bytes, hours, pct } from '../../core/src/report/format';
import { createTheme } from '../../core/src/charts';
import { FileStore, type RunRecord } from '../../core/src/store/store';
import { generateJobSummary } from '../../examples/campaign-report/generate';
import { parseDerivations } from '../../core/src/stats/derive';

const root = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(root, 'examples/campaign-report/job_summary.csv');
const fixture = (name: string) => fs.readFileSync(path.join(root, 'test/fixtures/report', name), 'utf8');
const exampleText = fs.readFileSync(EXAMPLE, 'utf8');
let exampleReport: CampaignReport | undefined;
const example = () => (exampleReport ??= campaignReport(exampleText));

function close(actual: number | null, expected: number | null, what: string): void {
  if (expected === null || actual === null) return assert.equal(actual, expected, what);
  const scale = Math.max(Math.abs(actual), Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= 1e-9 * scale, `${what}: ${actual} vs pandas ${expected}`);
}

interface Reference {
  rows: number;
  overall: RefStats;
  resources: Record<string, RefStats>;
  job_types: Record<string, RefEfficiency & { attempts: number }>;
  daily: Record<string, { bytes_received: number; bytes_sent: number; transfer_hours: number }>;
}
type RefDist = { count: number; min: number; mean: number; median: number; p95: number; max: number } | null;
interface RefUsage { attempts: number; requested_mean: number; used_mean: number; over_request: number; used_share: RefDist }
interface RefEfficiency {
  gpu_utilization: RefDist; gpu_efficiency: number | null; busy_gpu_hours: number; gpu_memory_used_mb: RefDist; gpu_memory_utilization: RefDist;
  transfer_share: number | null; transfer_rate: number | null;
  usage: { memory: RefUsage | null; cpus: RefUsage | null; disk: RefUsage | null };
}
interface RefStats extends RefEfficiency {
  attempts: number; successful_attempts: number; unsuccessful_attempts: number; epochs: number;
  hours: number; successful_hours: number; unsuccessful_hours: number; gpu_hours: number;
  success_rate: number | null; attempt_success_rate: number | null; bytes_sent: number; bytes_received: number;
  status_counts: Record<string, number>;
  gpu_mix: Record<string, { attempts: number; hours: number; gpu_hours: number }>;
  transfer_input: { count: number; mean: number; median: number; p95: number; max: number } | null;
}

function closeDist(ours: { count: number; min: number; mean: number; median: number; p95: number; max: number } | null, ref: RefDist, what: string): void {
  if (ref === null || ours === null) return assert.equal(ours, ref, what);
  assert.equal(ours.count, ref.count, `${what} count`);
  for (const k of ['min', 'mean', 'median', 'p95', 'max'] as const) close(ours[k], ref[k], `${what} ${k}`);
}

/** The optional-column figures (GPU utilisation, memory, transfer efficiency, requested vs used). */
function assertEfficiency(ours: EfficiencyStats, ref: RefEfficiency, name: string): void {
  closeDist(ours.gpuUtilization, ref.gpu_utilization, `${name} GPU utilisation`);
  close(ours.gpuEfficiency, ref.gpu_efficiency, `${name} GPU efficiency`);
  close(ours.busyGpuHours, ref.busy_gpu_hours, `${name} busy GPU-hours`);
  closeDist(ours.gpuMemoryUsedMb, ref.gpu_memory_used_mb, `${name} GPU memory used`);
  closeDist(ours.gpuMemoryUtilization, ref.gpu_memory_utilization, `${name} GPU memory used / total`);
  close(ours.transferShare, ref.transfer_share, `${name} transfer share`);
  close(ours.transferRate, ref.transfer_rate, `${name} transfer rate`);
  for (const k of ['memory', 'cpus', 'disk'] as const) {
    const o = ours.usage[k];
    const r = ref.usage[k];
    if (r === null || o === null) { assert.equal(o, r, `${name} ${k} usage`); continue; }
    assert.equal(o.attempts, r.attempts, `${name} ${k} attempts`);
    assert.equal(o.overRequest, r.over_request, `${name} ${k} over request`);
    close(o.requestedMean, r.requested_mean, `${name} ${k} requested`);
    close(o.usedMean, r.used_mean, `${name} ${k} used`);
    closeDist(o.usedShare, r.used_share, `${name} ${k} used / requested`);
  }
}

function assertMatches(ours: ResourceStats, ref: RefStats, name: string): void {
  assertEfficiency(ours, ref, name);
  assert.equal(ours.attempts, ref.attempts, `${name} attempts`);
  assert.equal(ours.successfulAttempts, ref.successful_attempts, `${name} successful attempts`);
  assert.equal(ours.unsuccessfulAttempts, ref.unsuccessful_attempts, `${name} unsuccessful attempts`);
  close(ours.epochs, ref.epochs, `${name} epochs`);
  close(ours.hours, ref.hours, `${name} hours`);
  close(ours.successfulHours, ref.successful_hours, `${name} successful hours`);
  close(ours.unsuccessfulHours, ref.unsuccessful_hours, `${name} unsuccessful hours`);
  close(ours.gpuHours, ref.gpu_hours, `${name} GPU-hours`);
  close(ours.successRate, ref.success_rate, `${name} success rate`);
  close(ours.attemptSuccessRate, ref.attempt_success_rate, `${name} attempt success rate`);
  close(ours.bytesSent, ref.bytes_sent, `${name} bytes sent`);
  close(ours.bytesReceived, ref.bytes_received, `${name} bytes received`);
  assert.deepEqual({ ...ours.statusCounts }, ref.status_counts, `${name} status counts`);
  assert.deepEqual(ours.gpuMix.map((g) => g.device).sort(), Object.keys(ref.gpu_mix).sort(), `${name} GPU types`);
  for (const g of ours.gpuMix) {
    const r = ref.gpu_mix[g.device];
    assert.equal(g.attempts, r.attempts, `${name} ${g.device} attempts`);
    close(g.hours, r.hours, `${name} ${g.device} hours`);
    close(g.gpuHours, r.gpu_hours, `${name} ${g.device} GPU-hours`);
  }
  if (ref.transfer_input === null) assert.equal(ours.transferInput, null);
  else {
    const t = ours.transferInput!;
    assert.equal(t.count, ref.transfer_input.count, `${name} transfer count`);
    for (const k of ['mean', 'median', 'p95', 'max'] as const) close(t[k], ref.transfer_input[k], `${name} transfer ${k}`);
  }
}

test('per-resource figures equal pandas on the example campaign (1e-9 relative)', () => {
  const ref = JSON.parse(fixture('campaign-reference.json')) as Reference;
  const r = example();
  assert.equal(r.source.rowsRead, ref.rows);
  assert.equal(r.source.rowsSkipped, 0);
  assert.deepEqual(r.resources.map((x) => x.resource).sort(), Object.keys(ref.resources).sort());
  for (const res of r.resources) assertMatches(res, ref.resources[res.resource], res.resource);
  assertMatches(r.overall, ref.overall, 'overall');
});

test('per-job-type transfer efficiency and GPU figures, and data moved per day, equal pandas (1e-9 relative)', () => {
  const ref = JSON.parse(fixture('campaign-reference.json')) as Reference;
  const r = example();
  assert.deepEqual(r.jobTypes.map((j) => j.jobType).sort(), Object.keys(ref.job_types).sort());
  for (const j of r.jobTypes) {
    assert.equal(j.attempts, ref.job_types[j.jobType].attempts, `${j.jobType} attempts`);
    assertEfficiency(j, ref.job_types[j.jobType], j.jobType);
  }
  const days = new Map(r.daily.map((d) => [d.date, d]));
  for (const [day, want] of Object.entries(ref.daily)) {
    const d = days.get(day)!;
    close(d.bytesReceived, want.bytes_received, `${day} received`);
    close(d.bytesSent, want.bytes_sent, `${day} sent`);
    close(d.transferHours, want.transfer_hours, `${day} transfer hours`);
  }
  for (const d of r.daily) if (!(d.date in ref.daily)) assert.deepEqual([d.bytesReceived, d.bytesSent, d.transferHours], [0, 0, 0], `${d.date}: an empty day`);
  // the per-resource days add up to the day
  for (const d of r.daily) close(Object.values(d.byResource).reduce((t, c) => t + c.bytesReceived, 0), d.bytesReceived, `${d.date} by resource`);
});

test('usage columns: absent, they give nulls and no charts; mapped with columns, they are read', () => {
  const plain = campaignReport(fixture('bad-rows.csv'));
  assert.deepEqual(plain.overall.usage, { memory: null, cpus: null, disk: null });
  assert.equal(plain.overall.gpuUtilization, null);
  assert.equal(plain.overall.gpuEfficiency, null);
  const names = reportCharts(plain, createTheme()).map((c) => c.name);
  for (const n of ['gpu-utilization', 'gpu-memory-utilization', 'requested-vs-used-memory', 'requested-vs-used-cpus', 'requested-vs-used-disk']) assert.ok(!names.includes(n), n);
  assert.doesNotMatch(renderMarkdown(plain), /## GPU utilisation|## Requested and used/);

  const csv = 'name,state,site,runtime_s,gpu_count,util,mem_req,mem_peak,cores,cpu_used,gpu_total,gpu_peak\n'
    + 'a,completed,lab,3600,2,50,4096,2048,4,3,81920,40960\n'
    + 'b,failed,lab,1800,1,,4096,6144,4,4,40960,40960\n';
  const r = campaignReport(csv, { columns: {
    jobName: 'name', status: 'state', resource: 'site', execSeconds: 'runtime_s', gpus: 'gpu_count', gpuUtilization: 'util',
    requestMemoryMb: 'mem_req', memoryUsedMb: 'mem_peak', requestCpus: 'cores', cpusUsed: 'cpu_used', gpuMemoryMb: 'gpu_total', gpuMemoryUsedMb: 'gpu_peak',
  } });
  const o = r.overall;
  assert.equal(o.gpuEfficiency, 0.5, 'only the attempt with a utilisation: 2 GPU-hours at 50 %');
  assert.deepEqual(o.gpuMemoryUtilization && [o.gpuMemoryUtilization.min, o.gpuMemoryUtilization.max], [0.5, 1]);
  assert.deepEqual(o.usage.memory, { attempts: 2, requestedMean: 4096, usedMean: 4096, usedShare: { count: 2, min: 0.5, mean: 1, median: 1, p95: 1.45, max: 1.5 }, overRequest: 1 });
  assert.equal(o.usage.cpus?.usedMean, 3.5);
  assert.equal(o.usage.disk, null);
  const md = renderMarkdown(r);
  assert.match(md, /\| lab \| memory \| 2 \| 4\.0 GiB \| 4\.0 GiB \| 100% \| 1 \|/);
  assert.match(md, /\| lab \| CPUs \| 2 \| 4\.00 \| 3\.50 \| 88% \| 0 \|/);
  assert.match(md, /## GPU utilisation\n\n\| Resource .*\n\|.*\n\| lab \| 1 \| 50\.0% \| 50\.0% \| 50\.0% \| 50% \|/);
  const charts = reportCharts(r, createTheme());
  const mem = charts.find((c) => c.name === 'requested-vs-used-memory')!;
  assert.equal((mem.config.options!.scales!.y as { title: { text: string } }).title.text, 'Memory (GiB)');
  assert.deepEqual(mem.config.data.datasets.map((d) => d.data), [[4], [4]]);
});

test('recommendations from the usage columns: idle GPUs, requests far above or below use', () => {
  const recs = example().summary.recommendations;
  const ospool = example().resources.find((x) => x.resource === 'ospool')!;
  const gpu = recs.find((x) => x.rule === 'gpu-efficiency')!;
  assert.equal(gpu.resource, 'ospool', 'the input-bound resource');
  assert.equal(gpu.numbers.gpuEfficiency, ospool.gpuEfficiency);
  close(gpu.numbers.allocatedGpuHours - gpu.numbers.hours, ospool.busyGpuHours, 'idle = allocated − busy');
  assert.match(gpu.text, /^GPUs on ospool were busy 63% of their allocated time \(median utilisation 63\.0%; idle: [\d.]+ h of [\d.]+ GPU-hours\)/);
  assert.ok(!recs.some((x) => x.rule === 'gpu-efficiency' && x.resource === 'delta'), 'a busy resource is not called out');
  const disk = recs.find((x) => x.rule === 'over-request')!;
  assert.match(disk.text, /^jobs use a median 14% of the disk they request \(mean 4\.9 GiB used of 42\.8 GiB requested, 3,966 attempts\)/);
  const mem = recs.find((x) => x.rule === 'under-request')!;
  assert.equal(mem.numbers.attempts, example().overall.usage.memory!.overRequest);
  assert.match(mem.text, /^674 attempts \(17%\) used more memory than they requested/);
});

test('one unit family: charts of data use the binary unit the tables use', () => {
  const r = example();
  assert.deepEqual(byteUnit(1023), { unit: 'B', factor: 1 });
  assert.deepEqual(byteUnit(1024 ** 4 * 3), { unit: 'TiB', factor: 1024 ** 4 });
  assert.equal(bytes(1024 ** 4 * 3), '3.0 TiB');
  const charts = reportCharts(r, createTheme());
  for (const c of charts) {
    const scales = Object.values(c.config.options?.scales ?? {}) as Array<{ title?: { text?: string } }>;
    for (const s of scales) assert.doesNotMatch(s.title?.text ?? '', /\b[kMGTP]B\b/, `${c.name}: a decimal unit`);
  }
  const byRes = charts.find((c) => c.name === 'bytes-by-resource')!;
  const unit = /\((\w+)\)/.exec((byRes.config.options!.scales!.y as { title: { text: string } }).title.text)![1];
  const max = Math.max(...r.resources.flatMap((x) => [x.bytesSent, x.bytesReceived]));
  assert.equal(unit, byteUnit(max).unit);
  assert.ok(renderMarkdown(r).includes(` ${bytes(max).split(' ')[1]} |`), 'the tables name the same unit');
  for (const n of ['gpu-utilization', 'gpu-memory-utilization', 'transfer-rate-by-job-type', 'transfer-share-by-job-type', 'data-received-per-day', 'requested-vs-used-memory', 'requested-vs-used-cpus', 'requested-vs-used-disk']) {
    assert.ok(charts.some((c) => c.name === n), `${n} chart`);
  }
});

test('the committed example CSV is what the generator writes for its defaults', () => {
  assert.equal(generateJobSummary(), exampleText, 'rerun: node --import tsx examples/campaign-report/generate.ts');
  assert.notEqual(generateJobSummary({ rows: 50, seed: 7 }), generateJobSummary({ rows: 50, seed: 8 }));
  assert.equal(generateJobSummary({ rows: 50, seed: 7 }).trimEnd().split('\n').length, 51);
});

test('headers match case-, space- and underscore-insensitively', () => {
  const csv = 'job_name,FINAL STATUS,targeted  resource,execution_duration_(seconds),number of gpus\nrun1-train_epoch1,Completed,delta,7200,2\n';
  const r = campaignReport(csv);
  assert.equal(r.source.mapping, 'htcondor');
  assert.deepEqual(r.source.columns, { jobName: 'job_name', status: 'FINAL STATUS', resource: 'targeted  resource', execSeconds: 'execution_duration_(seconds)', gpus: 'number of gpus' });
  assert.equal(r.resources[0].resource, 'delta');
  assert.equal(r.resources[0].gpuHours, 4);
  assert.equal(r.resources[0].statusCounts.completed, 1);
});

test('another producer\'s CSV: user columns override the mapping; canonical field names need none', () => {
  const csv = 'name,state,site,runtime_s,gpu_count,when\nrun1-train_epoch1,completed,lab,3600,1,2025-03-01T10:00:00\nrun1-train_epoch2,failed,lab,1800,1,2025-03-01T12:00:00\n';
  const r = campaignReport(csv, { columns: { jobName: 'name', status: 'state', resource: 'site', execSeconds: 'runtime_s', gpus: 'gpu_count', startTime: 'when' } });
  assert.equal(r.resources[0].resource, 'lab');
  assert.equal(r.resources[0].hours, 1.5);
  assert.equal(r.resources[0].successRate, 1 / 1.5);
  assert.equal(r.period.first, '2025-03-01T10:00:00Z');
  const own = campaignReport('jobName,status,resource,execSeconds\na,completed,x,36\n');
  assert.equal(own.overall.hours, 0.01);
  assert.throws(() => campaignReport(csv, { columns: { resource: 'Site Name' } }), (e: Error) => e instanceof ReportInputError && /"Site Name" \(given for resource\) is not in the file/.test(e.message));
});

test('expctl runs.csv is read with its own mapping', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-report-'));
  const store = new FileStore(dir);
  const rec = (id: string, status: RunRecord['status'], target: string, duration: number | undefined, gpus?: number[]): RunRecord => ({
    schema_version: 1, id, sweep_id: 'grid-1', experiment: 'demo', experiment_file: '/w/demo.experiment.yaml',
    trial: { index: 0, key: `${id}0123456789abcdef`, name: `lr0.1-${id}`, repeat: 0 }, params: {}, target, status,
    created: '2026-11-23T10:00:00.000Z', started: duration === undefined ? undefined : '2026-11-23T10:00:00.000Z',
    ended: duration === undefined ? undefined : new Date(Date.parse('2026-11-23T10:00:00Z') + duration * 1000).toISOString(),
    duration_s: duration, attempts: [{ n: 1, started: '2026-11-23T10:00:00.000Z' }], host: 'h', summary: {}, gpus,
  });
  await store.create(rec('a', 'succeeded', 'local', 3600, [0, 1]), 'name: demo\n');
  await store.create(rec('b', 'succeeded', 'local', 1800, [0, 1]), 'name: demo\n');
  await store.create(rec('c', 'failed', 'cluster', 600, [3]), 'name: demo\n');
  await store.create(rec('d', 'cancelled', 'cluster', 60), 'name: demo\n');
  await store.create(rec('e', 'queued', 'cluster', undefined), 'name: demo\n');
  store.writeTables();
  const r = campaignReport(fs.readFileSync(path.join(dir, 'runs.csv'), 'utf8'));
  assert.equal(r.source.mapping, 'expctl-runs');
  assert.equal(r.source.columns.resource, 'target');
  const local = r.resources.find((x) => x.resource === 'local')!;
  assert.equal(local.successfulHours, 1.5);
  assert.equal(local.gpuHours, 3, '"0 1" is two GPUs');
  const cluster = r.resources.find((x) => x.resource === 'cluster')!;
  assert.deepEqual(cluster.statusCounts, { aborted: 1, failed: 1, queued: 1 });
  assert.equal(cluster.pendingAttempts, 1);
  assert.equal(cluster.attemptSuccessRate, 0, 'the queued run is neither success nor failure');
  assert.equal(r.overall.epochs, 0);
  assert.equal(r.period.first, '2026-11-23T10:00:00Z');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('missing required columns are fatal, naming them and the columns found', () => {
  const csv = 'Job Name,Final Status,Site,Execution Duration (seconds)\na,completed,x,1\n';
  assert.throws(() => campaignReport(csv), (e: unknown) => {
    assert.ok(e instanceof ReportInputError);
    assert.match(e.message, /Missing required column for the htcondor mapping: "Targeted Resource" \(resource\)\./);
    assert.match(e.message, /Columns found: Job Name, Final Status, Site, Execution Duration \(seconds\)\./);
    assert.deepEqual(e.missing, ['"Targeted Resource" (resource)']);
    return true;
  });
  assert.throws(() => campaignReport('Job Name,Targeted Resource\na,x\n'), /Missing required columns .*"Final Status" \(status\); "Execution Duration \(seconds\)" \(execSeconds\), or "Start Time" \(startTime\) and "End Time" \(endTime\)/);
  assert.throws(() => campaignReport(''), /empty/);
});

test('bad rows and bad values are skipped, counted, and named by line and column', () => {
  const r = campaignReport(fixture('bad-rows.csv'));
  assert.equal(r.source.rowsRead, 12);
  assert.equal(r.source.rowsSkipped, 6);
  assert.equal(r.source.rowsUsed, 6);
  assert.equal(r.problems.total, 6);
  assert.deepEqual(r.problems.shown, [
    { line: 4, message: 'expected 25 columns, found 6' },
    { line: 5, column: 'Start Time', value: '2025-13-01T00:00:00', message: 'Start Time: not a date (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds, ms, µs or ns)' },
    { line: 6, column: 'Execution Duration (seconds)', value: '12o0', message: 'Execution Duration (seconds): not a number' },
    { line: 7, column: 'Number of GPUs', value: '-1', message: 'Number of GPUs: negative' },
    { line: 12, column: 'Held Time', value: 'yesterday', message: 'Held Time: not a date (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds, ms, µs or ns)' },
    { line: 13, message: 'expected 25 columns, found 26' },
  ]);

  const loaded = loadCampaign(fixture('bad-rows.csv'));
  assert.deepEqual(loaded.attempts.map((a) => a.line), [2, 3, 8, 9, 11, 14], 'the quoted two-line field keeps later lines right');
  const [, delta, rescued, evicted, held] = loaded.attempts;
  assert.equal(delta.gpuDevice, 'NVIDIA A100, 80GB "SXM"');
  assert.equal(rescued.status, 'rescued');
  assert.equal(rescued.startTime, Date.UTC(2025, 2, 2, 9), 'YYYY-MM-DD HH:MM:SS is UTC');
  assert.equal(evicted.dagSource, 'toy\nsecond line');
  assert.equal(evicted.startTime, 1740909600_000, 'epoch seconds');
  assert.equal(held.startTime, Date.UTC(2025, 2, 3, 8), 'offsets are applied');
  assert.equal(held.bytesSent, undefined, 'NaN is missing, not zero');
  assert.equal(held.gpus, undefined);

  const by = Object.fromEntries(r.resources.map((x) => [x.resource, x]));
  assert.equal(by.ospool.hours, 3);
  assert.equal(by.ospool.successfulHours, 1);
  assert.equal(by.ospool.unsuccessfulHours, 2);
  assert.equal(by.ospool.epochs, 1, 'the evicted attempt\'s "1" is not a completed epoch');
  assert.equal(by.ospool.successRate, 1 / 3);
  assert.equal(by.ospool.attemptSuccessRate, 0.5);
  assert.equal(by.delta.gpuHours, 1.5);
  assert.deepEqual(by.delta.statusCounts, { checkpointed: 1, rescued: 1 });
  assert.equal(by.aws.bytesSent, 10);
  assert.equal(by.aws.gpuHours, 600 / 3600, 'an attempt without a GPU count adds no GPU-hours');
  assert.deepEqual(by.ospool.transferInput, { count: 2, min: 90, mean: 165, median: 165, p95: 232.5, max: 240 });
  assert.deepEqual(by.aws.transferInput, null);
  assert.deepEqual(r.daily.map((d) => [d.date, d.attempts, d.epochs, d.cumulativeEpochs]),
    [['2025-03-01', 2, 1, 1], ['2025-03-02', 2, 0, 1], ['2025-03-03', 1, 0, 1], ['2025-03-04', 1, 0, 1]]);
  assert.deepEqual(r.daily[1].byResource.ospool, { attempts: 1, epochs: 0, cumulativeEpochs: 1, hours: 2, bytesSent: r.daily[1].byResource.ospool.bytesSent, bytesReceived: r.daily[1].byResource.ospool.bytesReceived, transferHours: r.daily[1].byResource.ospool.transferHours });
});

test('filters: a date range on Start Time (else Submit Time), and resources', () => {
  const loaded = loadCampaign(fixture('bad-rows.csv'));
  const range = buildReport(loaded, { from: '2025-03-02', to: '2025-03-03' });
  assert.equal(range.source.rowsUsed, 3, 'a bare `to` date includes its whole day');
  assert.equal(range.source.rowsFilteredOut, 3);
  assert.deepEqual(range.filters, { from: '2025-03-02', to: '2025-03-03' });
  assert.equal(range.period.first, '2025-03-02T09:00:00Z');
  assert.equal(range.period.last, '2025-03-03T08:00:00Z');
  const late = buildReport(loaded, { from: '2025-03-04T00:00:00' });
  assert.deepEqual(late.resources.map((x) => [x.resource, x.attempts]), [['aws', 1]], 'no Start Time: Submit Time places it');
  const toTime = buildReport(loaded, { to: '2025-03-03 08:00:00' });
  assert.equal(toTime.source.rowsUsed, 5, 'a full `to` time is inclusive');
  const res = buildReport(loaded, { resources: ['OSPOOL', 'aws '] });
  assert.deepEqual(res.resources.map((x) => x.resource).sort(), ['aws', 'ospool']);
  assert.equal(res.overall.attempts, 4);
  assert.throws(() => buildReport(loaded, { from: 'last week' }), /from: "last week" is not a date/);
});

test('job types: epoch and counters removed, words with digits kept', () => {
  const cases: [string, string][] = [
    ['run3-train_epoch12', 'train'],
    ['run12-evaluate_epoch4', 'evaluate'],
    ['resnet50_seed2_epoch7', 'resnet50'],
    ['resnet50_seed2_eval_epoch5', 'resnet50_eval'],
    ['gpt2-finetune-epoch-3', 'gpt2-finetune'],
    ['trainEpoch07', 'train'],
    ['preprocess', 'preprocess'],
    ['run0-preprocess', 'preprocess'],
    ['sweep_7_trial_12_fold3', 'sweep_trial'],
    ['run0-epoch1', 'run-epoch'],
    ['42', '42'],
  ];
  for (const [name, type] of cases) assert.equal(jobType(name), type, name);
  const types = example().jobTypes.map((j) => j.jobType).sort();
  assert.deepEqual(types, ['evaluate', 'preprocess', 'resnet50', 'resnet50_eval', 'resnet50_prep', 'train']);
});

test('timestamps: ISO 8601, space-separated, bare dates, epoch s/ms/µs/ns; impossible dates rejected', () => {
  assert.equal(parseTimestamp('2025-03-04T10:20:30'), Date.UTC(2025, 2, 4, 10, 20, 30));
  assert.equal(parseTimestamp('2025-03-04 10:20'), Date.UTC(2025, 2, 4, 10, 20));
  assert.equal(parseTimestamp('2025-03-04T10:20:30.250Z'), Date.UTC(2025, 2, 4, 10, 20, 30, 250));
  assert.equal(parseTimestamp('2025-03-04T10:20:30.123456'), Date.UTC(2025, 2, 4, 10, 20, 30) + 123.456);
  assert.equal(parseTimestamp('2025-03-04T10:20:30-05:30'), Date.UTC(2025, 2, 4, 15, 50, 30));
  assert.equal(parseTimestamp('2025-03-04T10:20:30+0100'), Date.UTC(2025, 2, 4, 9, 20, 30));
  assert.equal(parseTimestamp('2024-02-29'), Date.UTC(2024, 1, 29));
  assert.equal(parseTimestamp('1740909600'), 1740909600_000);
  assert.equal(parseTimestamp('1740909600.5'), 1740909600_500);
  // Finer epoch units by magnitude (an epoch-ms column read as seconds lands in the year 57139).
  assert.equal(parseTimestamp('1740909600500'), 1740909600_500);
  assert.equal(parseTimestamp('1740909600500250'), 1740909600_500.25);
  assert.equal(parseTimestamp('1740909600500250000'), 1740909600_500.25);
  assert.equal(parseTimestamp('99999999999'), 99999999999_000, 'below 1e11: still seconds (year 5138)');
  for (const bad of ['2025-02-29', '2025-04-31', '2025-03-04T24:00:00', '2025-03-04T10:60', '2025-03-04T10', '2025-3-4', 'yesterday', '2025-03-04T10:20:30 UTC', '0x10'])
    assert.ok(Number.isNaN(parseTimestamp(bad)), bad);
});

// The report's quantiles are core/src/stats's (checked against numpy in stats.test.ts); spot checks:
test('quantiles follow numpy\'s linear method', () => {
  const s = [1, 2, 3, 4, 10];
  assert.equal(quantileSorted(s, 0.5), 3);
  assert.equal(quantileSorted(s, 0.95), 8.799999999999999, 'numpy: 8.799999999999999');
  // numpy interpolates from the upper neighbour past the middle: 5.738800000000001 the naive way.
  assert.equal(quantileSorted([2.13, 3.391, 6.745, 7.827, 8.377, 9.322], 0.34), 5.7388);
  assert.equal(quantileSorted(s, 0.25), 2);
  assert.equal(quantileSorted([5], 0.95), 5);
  assert.throws(() => quantileSorted([], 0.5), /non-empty/);
});

test('without an epochs column, completed attempts of epoch-named jobs count; exec time from Start/End', () => {
  const csv = 'Job Name,Final Status,Targeted Resource,Start Time,End Time\n'
    + 'run0-epoch1,completed,x,2025-03-01T00:00:00,2025-03-01T01:00:00\n'
    + 'run0-epoch2,checkpointed,x,2025-03-01T01:00:00,2025-03-01T01:30:00\n'
    + 'run0-epoch2,completed,x,2025-03-01T02:00:00,2025-03-01T02:30:00\n'
    + 'run0-prep,completed,x,2025-03-01T03:00:00,\n';
  const r = campaignReport(csv);
  assert.equal(r.overall.epochs, 2);
  assert.equal(r.overall.hours, 2);
  assert.equal(r.overall.hoursPerEpoch, 1);
});

test('recommendations quote the numbers they rest on', () => {
  const rows = ['Job Name,Final Status,Targeted Resource,Execution Duration (seconds),Number of GPUs,GPU Device Name'];
  for (let i = 0; i < 8; i++) rows.push(`run${i}-train_epoch1,completed,ospool,3600,1,Tesla T4`);
  rows.push('run8-train_epoch1,evicted,ospool,3000,1,Tesla T4', 'run9-train_epoch1,evicted,ospool,4200,1,Tesla T4');
  for (let i = 0; i < 25; i++) rows.push(`run${i}-train_epoch2,completed,delta,3600,1,NVIDIA A100-SXM4-40GB`);
  const r = campaignReport(rows.join('\n'));
  const ev = r.summary.recommendations.find((x) => x.rule === 'eviction-cost')!;
  assert.equal(ev.resource, 'ospool');
  assert.equal(ev.severity, 'high');
  assert.equal(ev.text, 'evictions on ospool cost 2.0 h (20% of its hours; 2 attempts, evicted after a median 60.0 min): checkpoint more often or prefer delta whose success rate is 100%');
  assert.deepEqual(ev.numbers, { hours: 2, shareOfHours: 0.2, attempts: 2, medianSecondsBeforeEviction: 3600, alternativeSuccessRate: 1 });

  // On the example: every rule's text carries its figures as the report prints them.
  const ex = example();
  const rules = new Set(ex.summary.recommendations.map((x) => x.rule));
  for (const rule of ['eviction-cost', 'gpu-type', 'slow-transfer', 'rescued']) assert.ok(rules.has(rule), rule);
  for (const rec of ex.summary.recommendations) {
    if (rec.numbers.hours !== undefined) assert.ok(rec.text.includes(`${hours(rec.numbers.hours)} h`), rec.text);
    if (rec.numbers.shareOfHours !== undefined) assert.ok(rec.text.includes(pct(rec.numbers.shareOfHours)), rec.text);
  }
  const ospool = ex.resources.find((x) => x.resource === 'ospool')!;
  const evOs = ex.summary.recommendations.find((x) => x.rule === 'eviction-cost' && x.resource === 'ospool')!;
  assert.equal(evOs.numbers.hours, ospool.statusHours.evicted);
  assert.deepEqual(ex.summary.recommendations.map((x) => x.severity), [...ex.summary.recommendations.map((x) => x.severity)].sort((a, b) => ['high', 'medium', 'low'].indexOf(a) - ['high', 'medium', 'low'].indexOf(b)));
  assert.match(ex.summary.headline, /^4,000 attempts on 6 resources from 2025-03-\d\d to 2025-03-\d\d: [\d,.]+ execution hours/);
  assert.equal(ex.summary.insights.length, 6);
});

test('markdown: sections, well-formed tables, no undefined or NaN', () => {
  const md = renderMarkdown(example());
  assert.ok(md.startsWith('# Campaign report\n\n4,000 attempts'));
  const sections = md.split('\n').filter((l) => l.startsWith('## '));
  assert.deepEqual(sections, ['## Insights', '## Recommendations', '## Resources', '## Final status', '## GPU types', '## Data transfer',
    '## Input transfer per job type', '## GPU utilisation', '## Requested and used', '## Input transfer time', '## By day']);
  assert.doesNotMatch(md, /undefined|NaN|null|\[object/);
  // Each table: a header, a separator, and rows with as many cells.
  const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\|[-:|]+\|$/.test(lines[i])) continue;
    const n = cells(lines[i - 1]);
    assert.equal(cells(lines[i]), n);
    for (let j = i + 1; j < lines.length && lines[j].startsWith('|'); j++) assert.equal(cells(lines[j]), n, lines[j]);
  }
  const resources = md.slice(md.indexOf('## Resources'), md.indexOf('## Final status')).split('\n').filter((l) => l.startsWith('| '));
  assert.equal(resources.length, 1 + 6 + 1, 'header, six resources, all');
  assert.ok(md.includes(`- **${example().summary.recommendations[0].severity}** — ${example().summary.recommendations[0].text}`));

  const bad = renderMarkdown(campaignReport(fixture('bad-rows.csv'), { title: 'Toy', to: '2025-03-03' }));
  assert.ok(bad.startsWith('# Toy\n'));
  assert.match(bad, /Scope: 5 of 12 rows used \(htcondor columns\); 6 skipped as bad \(see Problems\); 1 outside the filters; filters: to 2025-03-03\./);
  assert.match(bad, /## Problems\n\n- line 4: expected 25 columns, found 6\n- line 5: Start Time: not a date .*\("2025-13-01T00:00:00"\)/);
  assert.match(bad, /\| delta \| NVIDIA A100, 80GB "SXM" \| 163,840 \|/);
});

test('success-rate chart: a share, so the value axis is 0–100 % and nothing is drawn above it', () => {
  // A resource at 100 %: padding past the largest value used to let chart.js round the axis up to 120.
  const r = example();
  const full: CampaignReport = { ...r, resources: r.resources.map((x, i) => (i === 0 ? { ...x, successRate: 1, attemptSuccessRate: 1 } : x)) };
  for (const report of [r, full]) {
    const chart = reportCharts(report, createTheme()).find((c) => c.name === 'success-rate')!;
    const y = chart.config.options!.scales!.y as { min?: number; max?: number; suggestedMax?: number };
    assert.equal(y.min, 0);
    assert.equal(y.max, 100);
    assert.equal(y.suggestedMax, undefined, 'fixed bounds leave nothing to suggest');
    for (const d of chart.config.data.datasets as Array<{ data: Array<number | null>; errorBars?: Array<{ lower: number; upper: number } | null> }>) {
      assert.ok(d.data.every((v) => v === null || (v >= 0 && v <= 100)), `${d.data.join(', ')}`);
      assert.ok((d.errorBars ?? []).every((b) => b === null || (b.lower >= 0 && b.upper <= 100)));
    }
  }
});

test('derived metrics: per attempt from fields and column headers, summarised per resource; missing inputs counted; unknown names refused', () => {
  const csv = 'Job Name,Final Status,Targeted Resource,Execution Duration (seconds),Total Bytes Received,Shards\n'
    + 'a_epoch1,completed,x,3600,2000000000,4\n'
    + 'b_epoch1,completed,x,1800,3000000000,2\n'
    + 'c_epoch1,failed,y,0,1000000000,1\n'
    + 'd_epoch1,completed,y,,5,1\n';
  const derive = parseDerivations([['gb_per_h', 'bytesReceived / 1e9 / (execSeconds / 3600)'], ['per_shard', 'gb_per_h / Shards']]);
  const r = campaignReport(csv, { derive });
  const [gb, shard] = r.derived!;
  assert.equal(gb.expression, 'bytesReceived / 1e9 / (execSeconds / 3600)');
  assert.deepEqual(gb.resources.map((x) => [x.resource, x.values.count, x.values.mean]), [['x', 2, (2 + 6) / 2]]);
  assert.equal(gb.overall!.median, 4);
  assert.equal(gb.missing, 2);
  assert.equal(Object.values(gb.reasons).reduce((a, b) => a + b, 0), 2, JSON.stringify(gb.reasons));
  // A derived name feeds a later one; a column header that is not a field works by its name.
  assert.deepEqual(shard.resources[0].values, { count: 2, min: 0.5, mean: 1.75, median: 1.75, p95: 2.875, max: 3 });
  assert.match(renderMarkdown(r), /## Derived metrics[\s\S]*\| gb_per_h \| x \| 2 \| 4 \|[\s\S]*no value for 2 attempts/);
  assert.equal(campaignReport(csv).derived, undefined, 'absent unless asked for');
  assert.throws(() => campaignReport(csv, { derive: parseDerivations([['z', 'bytesRecieved * 2']]) }),
    (e: Error) => e instanceof ReportInputError && /"bytesRecieved" \(did you mean bytesReceived\?\)/.test(e.message));
});
