// Metrics from a Kafka topic (issue 14, item 3) through the bundled CLI (dist/cli.js; `npm run build`
// first) against a real broker: real trial processes (test/fixtures/kafka-metrics/produce.mjs) produce
// records keyed by their EXPCTL_RUN_ID; the runner consumes them into each run's metrics.jsonl and
// summary as it does stdout metrics — duplicates stored once, unreadable records and records of other
// runs counted and said — and a runner killed mid-run, then run again, neither loses nor duplicates.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { RunRecord } from '../../core/src/store/store';
import { testBroker } from '../helpers/kafka';
import { waitFor } from '../helpers/wait';

const CLI = path.resolve('dist/cli.js');
const PRODUCE = path.resolve('test/fixtures/kafka-metrics/produce.mjs');
const ENV = { ...process.env, NO_COLOR: '1', KAFKAJS_NO_PARTITIONER_WARNING: '1' };

const cli = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, env: ENV, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const runs = (dir: string): RunRecord[] => fs.readdirSync(path.join(dir, '.expctl', 'runs')).filter((id) => !id.startsWith('.'))
  .map((id) => JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'runs', id, 'run.json'), 'utf8')) as RunRecord)
  .sort((a, b) => a.trial.repeat - b.trial.repeat);
const jsonl = (dir: string, r: RunRecord, name: string) => fs.readFileSync(path.join(dir, '.expctl', 'runs', r.id, name), 'utf8')
  .trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function experiment(bootstrap: string, topic: string, args: string[], extra = ''): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-kafka-metrics-'));
  fs.writeFileSync(path.join(dir, 'km.experiment.yaml'), [
    'name: km',
    `command: [${[process.execPath, PRODUCE, ...args].map((a) => JSON.stringify(a)).join(', ')}]`,
    'env: { KAFKA_BOOTSTRAP: "{metrics.kafka.bootstrap_servers}", KAFKA_TOPIC: "{metrics.kafka.topic}", KAFKAJS_NO_PARTITIONER_WARNING: "1" }',
    'metrics:',
    '  primary: loss',
    '  sources: [stdout, kafka]',
    `  kafka: { topic: ${topic}, bootstrap_servers: [${bootstrap}] }`,
    extra,
  ].join('\n'));
  return dir;
}

test('records keyed by the run id land in metrics.jsonl and the summary; duplicates once; bad and foreign records counted and said', { timeout: 120_000 }, async () => {
  const b = await testBroker();
  await createTopic(b.bootstrap, 'km-basic');
  const dir = experiment(b.bootstrap, 'km-basic', ['basic'], 'repeat: 2');
  const r = cli(dir, 'run', 'km.experiment.yaml');
  assert.equal(r.code, 0, r.out + r.err);
  const [one, two] = runs(dir);
  for (const run of [one, two]) {
    assert.equal(run.status, 'succeeded');
    const lines = jsonl(dir, run, 'metrics.jsonl');
    // stdout and Kafka feed the same file; each step's metrics once, though each was produced twice.
    assert.deepEqual(lines.filter((l) => 'stdout_metric' in l), [{ stdout_metric: 1 }]);
    // The record tagged by run_id has no key: it may be on the other partition, so order is not compared.
    const sorted = (l: unknown[]) => l.map((x) => JSON.stringify(x)).sort();
    const fromKafka = lines.filter((l) => !('stdout_metric' in l));
    assert.deepEqual(sorted(fromKafka), sorted([
      ...[0, 1, 2, 3, 4].map((step) => ({ step, loss: 1 / (step + 1), acc: step / 10 })),
      { epoch_time_s: 3.5 }, { epoch_time_s: 3.5 }, // no step: nothing to tell a second report from a copy
      { step: 5, loss: 0.1 }, // tagged by run_id, which is not a metric
    ]));
    assert.deepEqual([run.summary.loss.min, run.summary.loss.max, run.summary.loss.count], [0.1, 1, 6]);
    assert.ok(Math.abs(run.summary.loss.mean! - (1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5 + 0.1) / 6) < 1e-12);
    assert.equal(run.summary.acc.count, 5);
    assert.equal(run.summary.step.max, 5);
    // The unreadable record: counted and located like a bad stdout line, and shown at the run's end.
    assert.equal(run.metrics_bad_lines, 1);
    assert.equal(run.metrics_first_bad?.source, 'kafka');
    assert.equal(run.metrics_first_bad?.text, '{"loss": nope}');
    assert.match(r.out, new RegExp(`⚠ ${run.trial.name}: 1 metric line could not be read; at Kafka partition \\d offset ${run.metrics_first_bad?.line}: \\{"loss": nope\\} — not JSON`));
    // The run's own copy of its records, from which metrics.jsonl can be derived again.
    assert.equal(jsonl(dir, run, 'metrics-kafka.jsonl').length, 14);
  }
  // The records for a run of no sweep: skipped, counted, said at the end and in sweep.json.
  assert.match(r.out, /⚠ metrics\.kafka: 2 records of topic km-basic did not belong to a run of this sweep and were skipped \(first: key "not-a-run-of-this-sweep" at partition \d offset \d+\)/);
  const sweep = JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'sweeps', one.sweep_id, 'sweep.json'), 'utf8')) as { metrics_kafka: Record<string, unknown> };
  // 15 records a run: 10 for 5 steps (5 of them copies), 2 without a step, 1 by run_id, 1 unreadable, 1 foreign.
  assert.deepEqual(sweep.metrics_kafka, { topic: 'km-basic', group: `expctl-${one.sweep_id}`, records: 30, unknown: 2, late: 0, duplicates: 10 });
  // runs.csv has the Kafka metrics as columns like any other.
  const csv = fs.readFileSync(path.join(dir, '.expctl', 'runs.csv'), 'utf8').split('\n');
  assert.ok(csv[0].split(',').includes('loss.last'), csv[0]);

  // Offsets were committed: running again reads nothing (the runs are skipped, the topic has nothing new).
  const before = [one, two].map((run) => fs.readFileSync(path.join(dir, '.expctl', 'runs', run.id, 'metrics.jsonl'), 'utf8'));
  const again = cli(dir, 'run', 'km.experiment.yaml');
  assert.equal(again.code, 0, again.out + again.err);
  assert.doesNotMatch(again.out, /metrics\.kafka/);
  const stats = () => (JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'sweeps', one.sweep_id, 'sweep.json'), 'utf8')) as { metrics_kafka: Record<string, unknown> }).metrics_kafka;
  assert.deepEqual(stats(), { topic: 'km-basic', group: `expctl-${one.sweep_id}`, records: 0, unknown: 0, late: 0, duplicates: 0 });

  // A runner killed after the store had the records but before it committed them leaves the group's
  // offsets behind: every record comes again, and none is stored twice.
  const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId: `expctl-${one.sweep_id}`, topic: 'km-basic', partitions: [{ partition: 0, offset: '0' }, { partition: 1, offset: '0' }] });
  } finally {
    await admin.disconnect();
  }
  const redelivered = cli(dir, 'run', 'km.experiment.yaml');
  assert.equal(redelivered.code, 0, redelivered.out + redelivered.err);
  assert.deepEqual(stats(), { topic: 'km-basic', group: `expctl-${one.sweep_id}`, records: 30, unknown: 2, late: 0, duplicates: 28 });
  assert.deepEqual([one, two].map((run) => fs.readFileSync(path.join(dir, '.expctl', 'runs', run.id, 'metrics.jsonl'), 'utf8')), before);
  assert.deepEqual([one, two].map((run) => jsonl(dir, run, 'metrics-kafka.jsonl').length), [14, 14]);
});

test('a missing topic or an unreachable broker: one line naming the field, and nothing started', { timeout: 60_000 }, async () => {
  const b = await testBroker();
  await createTopic(b.bootstrap, 'km-metrics');
  const missing = experiment(b.bootstrap, 'km-metric', ['basic']);
  const r = cli(missing, 'run', 'km.experiment.yaml');
  assert.equal(r.code, 1);
  assert.match(r.err, /^expctl: km: metrics\.kafka\.topic: topic km-metric does not exist on 127\.0\.0\.1:\d+ \(did you mean km-metrics\?\); create it \(the runner never creates topics\)\nnothing was started$/m);
  assert.equal(fs.existsSync(path.join(missing, '.expctl', 'runs')), false);
  const t0 = Date.now();
  const down = experiment('127.0.0.1:1', 'km-metrics', ['basic']);
  const d = cli(down, 'run', 'km.experiment.yaml');
  assert.equal(d.code, 1);
  assert.match(d.err, /metrics\.kafka: (the broker 127\.0\.0\.1:1 did not answer within 10 s|cannot consume topic km-metrics on 127\.0\.0\.1:1: .*)/);
  assert.ok(Date.now() - t0 < 30_000, 'within the timeout');
});

test('a runner killed mid-run and run again: every step once, none lost', { timeout: 180_000 }, async () => {
  const b = await testBroker();
  await createTopic(b.bootstrap, 'km-resume');
  const dir = experiment(b.bootstrap, 'km-resume', ['slow', '60', '100']);
  const first = spawn(process.execPath, [CLI, 'run', 'km.experiment.yaml'], { cwd: dir, env: ENV, stdio: 'ignore' });
  const log = () => path.join(dir, '.expctl', 'runs', fs.readdirSync(path.join(dir, '.expctl', 'runs')).find((d) => !d.startsWith('.')) ?? 'none', 'metrics-kafka.jsonl');
  // Killed once it has stored some records and the trial is still producing.
  await waitFor(() => { try { return fs.readFileSync(log(), 'utf8').split('\n').length > 10; } catch { return false; } }, 'the runner to store 10 records', 60_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const r = cli(dir, 'run', 'km.experiment.yaml');
  assert.equal(r.code, 0, r.out + r.err);
  const [run] = runs(dir);
  assert.equal(run.status, 'succeeded');
  const lines = jsonl(dir, run, 'metrics.jsonl');
  assert.deepEqual(lines.map((l) => l.step), Array.from({ length: 60 }, (_, i) => i), 'each step once, in order');
  assert.equal(run.summary.loss.count, 60);
  assert.equal(run.summary.loss.min, 41);
});

