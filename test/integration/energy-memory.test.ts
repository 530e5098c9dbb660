// Energy for every run and local memory limits, on real processes. No GPU here: a fake nvidia-smi
// (test/fixtures/nvidia-smi-clock) whose GPUs draw a constant 250 W and whose energy counter has
// counted that since a fixed epoch, so the true energy of an attempt is 250 W × GPUs × its wall
// time. CPU package energy from a fake powercap folder. Memory: a child that allocates past
// resources.memory is killed by the sampler's RSS check.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planFile, runPlan } from '../../core/src/runner/runner';
import { TelemetryAccumulator, TelemetrySampler } from '../../core/src/runner/telemetry';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import type { FileHost } from '../../core/src/rules/api';

const host: FileHost = {
  readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists: (p) => fs.existsSync(p),
};
const CLOCK_SMI = path.resolve(__dirname, '../fixtures/nvidia-smi-clock');
const WATTS = 250;

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-energy-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
  return dir;
}

/** Runs a file with the given environment changes (restored afterwards). */
async function run(dir: string, file: string, env: Record<string, string>, telemetryIntervalMs?: number): Promise<RunRecord[]> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const { plan, diagnostics } = planFile(path.join(dir, file), host);
    assert.ok(plan, JSON.stringify(diagnostics));
    const summary = await runPlan(plan, { store: new FileStore(path.join(dir, '.expctl')), graceS: 1, random: () => 0, telemetryIntervalMs });
    return summary.runs;
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

const SLEEPS = {
  'e.experiment.yaml': 'name: e\ncommand: [sleep, "{params.s}"]\nparams: { s: 1 }\nresources: { gpus: 1 }\n',
  // In parallel on 3 fake GPUs: a 0.3 s run on one, a 3 s run on two.
  's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: list\ntrials:\n  - { params.s: 0.3, resources.gpus: 1 }\n  - { params.s: 3, resources.gpus: 2 }\nmax_parallel: 2\nname_template: "s{params.s}"\n',
};

/** The energy a run's GPUs drew over its attempt's wall time, Wh. */
const truth = (r: RunRecord) => WATTS * r.gpus!.length * r.attempts[0].duration_s! / 3600;
const within = (r: RunRecord, pct: number) => {
  const want = truth(r);
  const got = r.telemetry?.energy_wh;
  assert.ok(got !== undefined && Math.abs(got - want) <= want * pct / 100, `${r.trial.name}: ${got} Wh vs ${want} Wh (±${pct}%), telemetry ${JSON.stringify(r.telemetry)}`);
};

test('energy from the counter: a 0.3 s run and a 3 s run get their true energy, coverage 1', async () => {
  const dir = workspace(SLEEPS);
  const runs = await run(dir, 's.sweep.yaml', { PATH: `${CLOCK_SMI}:${process.env.PATH}`, FAKE_NVIDIA_SMI_GPUS: '3' });
  assert.equal(runs.length, 2);
  for (const r of runs) {
    assert.equal(r.status, 'succeeded');
    assert.equal(r.gpus!.length, r.trial.name === 's0.3' ? 1 : 2);
    within(r, 3);
    assert.deepEqual([r.telemetry!.energy_method, r.telemetry!.energy_coverage], ['counter', 1]);
  }
  // The readings as the attempt started and after it exited are in telemetry.jsonl, with the counter.
  const short = runs.find((r) => r.trial.name === 's0.3')!;
  const lines = fs.readFileSync(path.join(dir, '.expctl', 'runs', short.id, 'telemetry.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.at), ['start', 'exit']);
  assert.ok(lines.every((l) => typeof l.gpus[0].energy_mj === 'number'), JSON.stringify(lines));
});

test('energy from power samples when the counter is [N/A]: start and exit samples cover a 3 s run', async () => {
  const dir = workspace({ ...SLEEPS, 's.sweep.yaml': SLEEPS['s.sweep.yaml'].replace('  - { params.s: 0.3, resources.gpus: 1 }\n', '') });
  const [r] = await run(dir, 's.sweep.yaml', { PATH: `${CLOCK_SMI}:${process.env.PATH}`, FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_ENERGY: 'na' });
  assert.equal(r.status, 'succeeded');
  within(r, 3);
  assert.deepEqual([r.telemetry!.energy_method, r.telemetry!.energy_coverage], ['power_samples', 1]);
});

test('CPU package energy from RAPL, across the counter wrapping; absent when there is no readable RAPL', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-powercap-'));
  const max = 262_143_328_850;
  const zone = (name: string, label: string, uj: number) => {
    fs.mkdirSync(path.join(root, name));
    fs.writeFileSync(path.join(root, name, 'name'), `${label}\n`);
    fs.writeFileSync(path.join(root, name, 'energy_uj'), `${uj}\n`);
    fs.writeFileSync(path.join(root, name, 'max_energy_range_uj'), `${max}\n`);
  };
  zone('intel-rapl:0', 'package-0', max - 1_000_000);
  zone('intel-rapl:0:0', 'core', 0); // a part of package 0: not counted twice
  zone('intel-rapl:1', 'psys', 0); // the whole platform: not a package
  // The "package" draws 2.5 J while the attempt runs: its counter wraps past max to 1.5 J.
  const script = `printf '1500000\\n' > ${path.join(root, 'intel-rapl:0', 'energy_uj')}; printf '99\\n' > ${path.join(root, 'intel-rapl:0:0', 'energy_uj')}; printf '99\\n' > ${path.join(root, 'intel-rapl:1', 'energy_uj')}`;
  const measure = async (powercapRoot: string) => {
    const sampler = new TelemetrySampler({ powercapRoot });
    const acc = new TelemetryAccumulator();
    const child = spawn('sh', ['-c', `read _; ${script}`], { detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const stop = sampler.watch(child.pid!, undefined, acc, path.join(root, 'telemetry.jsonl'));
    child.stdin!.end('go\n'); // the start reading is in: now the package "draws"
    await exited;
    stop();
    return sampler.summary(acc);
  };
  const s = await measure(root);
  assert.ok(s && Math.abs(s.cpu_energy_wh! - 2.5 / 3600) < 1e-6, JSON.stringify(s)); // µWh: the figure's precision
  assert.equal(s.energy_wh, undefined); // no GPUs
  assert.equal(fs.existsSync(path.join(root, 'telemetry.jsonl')), false); // edges without GPUs write no line
  assert.equal(await measure(path.join(root, 'absent')), undefined);
});

test('resources.memory holds: a child allocating past 100Mi is killed at once, recorded oom, and retried under retry.on: [oom]', async () => {
  const dir = workspace({
    // Attempt 1 holds 300 MB until it is killed (or gives up after 20 s: exit 3, and the test fails); attempt 2 needs little.
    'hog.js': 'const mb = process.env.EXPCTL_ATTEMPT === "1" ? 300 : 5;\nconst b = Buffer.alloc(mb * 2 ** 20, 1);\nconsole.log(`holding ${b.length >> 20} MB`);\nsetTimeout(() => process.exit(mb === 300 ? 3 : 0), mb === 300 ? 20_000 : 10);\n',
    'e.experiment.yaml': 'name: e\ncommand: [node, hog.js]\nresources: { memory: 100Mi }\nretry: { max_retries: 1, max_backoff_s: 0.01, on: [oom] }\n',
  });
  const started = Date.now();
  const [r] = await run(dir, 'e.experiment.yaml', {}, 200);
  assert.equal(r.status, 'succeeded', JSON.stringify(r.attempts));
  const [first, second] = r.attempts;
  assert.equal(first.failure_class, 'oom');
  assert.equal(first.signal, 'SIGKILL');
  assert.match(first.message!, /^used (\d+\.\d) MiB \(RSS of its processes\), over resources\.memory 100Mi: killed$/);
  assert.ok(Number(/used (\S+) MiB/.exec(first.message!)![1]) > 100, first.message);
  assert.equal(second.exit_code, 0);
  assert.ok(Date.now() - started < 15_000, 'killed well before it gave up');
  assert.ok(r.telemetry!.rss_mb_peak! > 100, `rss peak ${r.telemetry!.rss_mb_peak}`);
});
