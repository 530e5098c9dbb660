// examples/kafka-loading end to end (issue 14, item 5) against a real broker: fill.mjs creates and
// fills the four topics (2 × 2,000 records here), the bundled CLI runs smoke.sweep.yaml (4
// configurations × 2 iterations of the real loader, load.mjs), every run's recorded config names the
// topic, format and compression it really read, and `expctl compare` ranks the four with a box plot.
// The example is copied out as a user would; its node_modules is the checkout's (kafkajs, lz4js).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../core/src/store/store';
import { parse as parseYaml } from 'yaml';
import type { Experiment } from '../../core/src/config/types';
import { testBroker } from '../helpers/kafka';

const CLI = path.resolve('dist/cli.js');
const ENV = { ...process.env, NO_COLOR: '1', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
const run = (cwd: string, argv: string[]) => {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', env: ENV, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('examples/kafka-loading: fill, 4 configurations × 2 iterations through the CLI, each run recording what it read, ranked with a box plot', { timeout: 300_000 }, async () => {
  const b = await testBroker();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-example-kafka-'));
  fs.cpSync(path.resolve('examples/kafka-loading'), dir, { recursive: true });
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'));
  const exp = path.join(dir, 'loading.experiment.yaml');
  const text = fs.readFileSync(exp, 'utf8');
  assert.ok(text.includes('127.0.0.1:39092'), 'the experiment names the broker once, where a user points it elsewhere');
  fs.writeFileSync(exp, text.replace('127.0.0.1:39092', b.bootstrap));

  const fill = run(dir, [process.execPath, 'fill.mjs', '--bootstrap', b.bootstrap, '--records', '2000']);
  assert.equal(fill.code, 0, fill.out + fill.err);
  assert.match(fill.out, /^mnist_train_json: 2 × 2000 json records, uncompressed, in [\d.]+ s$/m);
  const again = run(dir, [process.execPath, 'fill.mjs', '--bootstrap', b.bootstrap, '--records', '2000']);
  assert.match(again.out, /^mnist_train_avro_lz4: already holds 2 × 2000 records$/m, 'filling again changes nothing');

  const r = run(dir, [process.execPath, CLI, 'run', 'smoke.sweep.yaml']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /8 trials: 8 succeeded, 0 failed/);
  const store = path.join(dir, '.expctl', 'runs');
  const runs = fs.readdirSync(store).filter((d) => !d.startsWith('.')).map((id) => JSON.parse(fs.readFileSync(path.join(store, id, 'run.json'), 'utf8')) as RunRecord);
  assert.equal(runs.length, 8);
  const seen = new Map<string, number>();
  for (const x of runs) {
    assert.equal(x.status, 'succeeded', x.id);
    // What the run recorded is what it read: the loader takes topic and format from the same config.
    const k = (parseYaml(fs.readFileSync(path.join(store, x.id, 'config.yaml'), 'utf8')) as Experiment).data!.kafka!;
    assert.equal(x.trial.name, `${k.format}-${k.compression}-r${x.trial.repeat}`);
    assert.equal(k.topic, `mnist_train_${k.format}${k.compression === 'lz4' ? '_lz4' : ''}`);
    const stdout = fs.readFileSync(path.join(store, x.id, 'stdout.log'), 'utf8');
    assert.ok(stdout.includes(`"records":4000`), `${x.id}: read both ranges whole`);
    assert.ok((x.summary.load_time_s.last as number) > 0);
    assert.ok((x.summary.records_per_s.last as number) > 0);
    seen.set(`${k.format}-${k.compression}`, (seen.get(`${k.format}-${k.compression}`) ?? 0) + 1);
  }
  assert.deepEqual([...seen.entries()].sort(), [['avro-lz4', 2], ['avro-none', 2], ['json-lz4', 2], ['json-none', 2]]);

  const png = path.join(dir, 'compare.png');
  const cmp = run(dir, [process.execPath, CLI, 'compare', 'smoke.sweep.yaml', '--group-by', 'data.kafka.format,data.kafka.compression', '--json', '--chart', png]);
  assert.equal(cmp.code, 0, cmp.err);
  const ranked = JSON.parse(cmp.out) as { metric: string; rows: Array<{ key: string; rank: number; n: number }> };
  assert.equal(ranked.metric, 'load_time_s');
  assert.deepEqual(ranked.rows.map((x) => x.rank), [1, 2, 3, 4]);
  assert.deepEqual(ranked.rows.map((x) => x.key).sort(), ['avro', 'json'].flatMap((f) => ['lz4', 'none'].map((c) => `data.kafka.format=${f}, data.kafka.compression=${c}`)));
  assert.ok(ranked.rows.every((x) => x.n === 2));
  assert.deepEqual([...fs.readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
});
