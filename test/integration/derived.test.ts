// Derived metrics end to end (issue 12, item 1): a sweep whose experiment and sweep both define
// `metrics.derived`, run by the bundled CLI with real processes; the values land in run.json and
// runs.csv, one that cannot be computed is a warning of its run, and `stats` ranks by a derived one.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../../core/src/util/csv';
import type { RunRecord } from '../../core/src/store/store';

const CLI = path.resolve('dist/cli.js');
const cli = (cwd: string, args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('metrics.derived: computed as each run ends, stored like a metric, failures said in the run', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-derived-'));
  // tokens grow with the batch size; the energy the program reports is 0 for batch 1 (a division by zero).
  fs.writeFileSync(path.join(ws, 'gen.py'), 'import json, sys\nb = int(sys.argv[1])\nprint("@expctl " + json.dumps({"tokens": 3600 * b, "energy_wh": (b - 1) * 0.5}), flush=True)\n');
  fs.writeFileSync(path.join(ws, 'gen.experiment.yaml'), 'name: gen\ncommand: [python3, gen.py, "{params.batch}"]\nparams: { batch: 1 }\n' +
    'metrics:\n  primary: tokens_per_joule\n  goal: maximize\n  derived:\n    tokens_per_joule: tokens / (energy_wh * 3600)\n    joules_per_token: 1 / tokens_per_joule\n');
  fs.writeFileSync(path.join(ws, 'batch.sweep.yaml'), 'experiment: ./gen.experiment.yaml\nmethod: grid\nparameters:\n  params.batch: { values: [1, 2, 4] }\n' +
    'metrics:\n  derived: { per_batch: "tokens / params.batch" }\n');
  const run = cli(ws, ['run', 'batch.sweep.yaml']);
  assert.equal(run.code, 0, run.out + run.err);
  const runs = fs.readdirSync(path.join(ws, '.expctl', 'runs')).map((id) => JSON.parse(fs.readFileSync(path.join(ws, '.expctl', 'runs', id, 'run.json'), 'utf8')) as RunRecord)
    .sort((a, b) => a.trial.index - b.trial.index);
  const last = (r: RunRecord, m: string) => r.summary[m]?.last;
  assert.deepEqual(runs.map((r) => [last(r, 'tokens_per_joule'), last(r, 'joules_per_token'), last(r, 'per_batch')]), [[undefined, undefined, 3600], [4, 0.25, 3600], [2.6666666666666665, 0.375, 3600]]);
  const [w1, w2, w3, ...more] = runs[0].warnings ?? [];
  assert.equal(w1, 'never reported its primary metric "tokens_per_joule" — it reported tokens, energy_wh, per_batch', 'the primary can be derived: said when it has no value');
  assert.deepEqual([w2, w3, more], ['derived metric tokens_per_joule has no value: division by zero', 'derived metric joules_per_token has no value: no value for tokens_per_joule', []]);
  const csv = parseCsv(fs.readFileSync(path.join(ws, '.expctl', 'runs.csv'), 'utf8'));
  const col = csv.header.indexOf('tokens_per_joule.last');
  assert.ok(col >= 0, csv.header.join(','));
  assert.deepEqual(csv.rows.map((r) => r.cells[col]), ['', '4', '2.6666666666666665']);
  const stats = cli(ws, ['stats', 'batch.sweep.yaml', '--metric', 'tokens_per_joule', '--group-by', 'sweep_id', '--json']);
  assert.equal(stats.code, 0, stats.err);
  assert.match(stats.out, /"n": 2/);
});
