// The Kubernetes target against kubectl, on a real control plane (kube-apiserver, controller-manager,
// scheduler, etcd; kwok fakes the nodes and drives each pod by its sim.test/* annotations: Running
// 100 ms after it is bound, Succeeded 1 s later). Pods never run: this measures the control loop —
// Job creation, scheduling, status, watch, logs — not training. Issue 13's bars in brackets:
//   wall: 200 one-pod Jobs at parallelism 50 — `expctl run` of a 200-trial sweep (preflight
//         included) vs `kubectl apply` + `kubectl wait` per Job under `xargs -P 50`         [ours/peer ≤ 1.0]
//   API requests per run: our run's requests (apiserver_request_total, only the verbs a client like
//         ours makes), the shared watch's LIST + WATCH pods taken off, / 200                  [≤ 5]
//   watches held: WATCH pods open during our run (apiserver_longrunning_requests) beyond those
//         the controllers held before it                                                      [1 per namespace]
// Each side gets a fresh namespace and fake node per repeat; BENCH_REPEATS (default 1) interleaved
// repeats, the order alternating; medians.
// Run: node esbuild.mjs && bash scripts/with-k8s.sh node --import tsx bench/k8s.ts   (writes bench/results/k8s.json)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../core/src/store/store';
import { apiserverMetrics, clusterLogs, metricsDelta, sandbox, testCluster, until, writeLog } from '../test/helpers/k8s';
import type { Sandbox } from '../test/helpers/k8s';
import { writeResults } from './meta';

const CLI = path.resolve(__dirname, '../dist/cli.js');
const N = 200;
const P = 50;
const IMAGE = 'registry.example/trainer:1';
const ANNOTATIONS = { 'sim.test/start-delay': '100ms', 'sim.test/run-duration': '1s' };
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
/** How often the open watches are read while a run is in flight (each read is a /metrics of ~1 MB). */
const SAMPLE_MS = 1000;
/**
 * The requests a client like ours makes for its runs: create, read, delete and list Jobs, pods and
 * their logs, and preflight's reads and access reviews. Everything else in the delta is the other
 * clients' work for the same Jobs — the Job controller (POST pods, PUT jobs/status), the scheduler
 * (POST pods/binding), kwok (PATCH pods/status), events, leases — and is not counted.
 */
const CLIENT_KEYS = [
  'POST jobs', 'GET jobs', 'LIST jobs', 'WATCH jobs', 'DELETE jobs', 'PATCH jobs',
  'GET pods', 'LIST pods', 'WATCH pods', 'GET pods/log', 'DELETE pods',
  'POST selfsubjectaccessreviews', 'GET namespaces', 'LIST namespaces', 'LIST nodes',
];
/** The shared watch of the namespace's pods: its list and its watch, counted apart. */
const WATCH_KEYS = ['LIST pods', 'WATCH pods'];

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Runs `cmd`, reading the open long-running requests every SAMPLE_MS: wall seconds, output, and the most of each held at once beyond `base`. */
async function timed(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; base: Map<string, number> }) {
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (o.input !== undefined) child.stdin!.end(o.input);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b; });
  child.stderr!.on('data', (b: Buffer) => { out += b; });
  const exit = new Promise<number | null>((r) => child.on('exit', r));
  let running = true;
  void exit.then(() => { running = false; });
  const held = new Map<string, number>();
  const sampler = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      if (!running) break;
      for (const [k, v] of await apiserverMetrics('apiserver_longrunning_requests')) held.set(k, Math.max(held.get(k) ?? 0, v - (o.base.get(k) ?? 0)));
    }
  })();
  const code = await exit;
  const s = seconds(t0);
  await sampler;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-3000)}`);
  return { s, out, held };
}

/**
 * The counters before a run and what it opens: request totals, and the long-running requests
 * (watches, followed logs) open now — the controllers and kwok hold their own.
 */
async function before() {
  return { total: await apiserverMetrics(), open: await apiserverMetrics('apiserver_longrunning_requests') };
}

/** The requests since `b`, once the run's watches and log streams have closed (a long-running request is counted when it ends). */
async function since(b: { open: Map<string, number> }, total0: Map<string, number>) {
  await until(async () => {
    const open = await apiserverMetrics('apiserver_longrunning_requests');
    return ['WATCH pods', 'GET pods/log', 'WATCH jobs'].every((k) => (open.get(k) ?? 0) <= (b.open.get(k) ?? 0));
  }, 'the run\'s watches and log streams to close', 60_000);
  return Object.fromEntries([...metricsDelta(total0, await apiserverMetrics())].sort(([a], [b2]) => a.localeCompare(b2)));
}

/** Deletes the namespace and waits until it is gone (its Jobs and pods with it), then the node: the next run is measured on a quiet cluster. */
async function teardown(sb: Sandbox): Promise<void> {
  const c = await testCluster();
  await c.core.deleteNamespace({ name: sb.namespace, propagationPolicy: 'Background' });
  await until(() => c.core.readNamespace({ name: sb.namespace }).then(() => false, (e: { code?: number }) => e.code === 404), `namespace ${sb.namespace} deleted`, 300_000);
  await sb.cleanup();
}

const sum = (d: Record<string, number>, keys: string[]) => keys.reduce((a, k) => a + (d[k] ?? 0), 0);

async function ours(i: number) {
  const sb = await sandbox(`bench-k8s-ours-${i}`);
  const dir = tmp('expctl-bench-k8s-');
  // kwok serves this as every pod's log: the run streams it into stdout.log and parses the metric.
  const log = path.join(dir, 'pod.log');
  writeLog(log, ['epoch 1', '@expctl {"step": 1, "loss": 0.5}', 'done']);
  await clusterLogs(sb.namespace, log);
  const target = { type: 'kubernetes', kubeconfig: sb.kubeconfig, namespace: sb.namespace, image: IMAGE, node_selector: sb.nodeSelector, max_parallel: P };
  fs.writeFileSync(path.join(dir, 'targets.yaml'), `default: cluster\ntargets:\n  cluster: ${JSON.stringify(target)}\n`);
  fs.writeFileSync(path.join(dir, 'train.py'), 'print("hi")\n');
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'),
    `name: bench\ncommand: [python, train.py, "{params.i}"]\nparams: { i: 0 }\nkubernetes: { annotations: ${JSON.stringify(ANNOTATIONS)} }\n`);
  fs.writeFileSync(path.join(dir, 's.sweep.yaml'),
    `experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { range: { min: 1, max: ${N}, step: 1 } }\nmax_parallel: ${P}\nname_template: "t{params.i}"\n`);

  const b = await before();
  const r = await timed(process.execPath, [CLI, 'run', 's.sweep.yaml'], { cwd: dir, base: b.open });
  const delta = await since(b, b.total);

  // It did what it says: every trial succeeded once, one Job each, and the pod's log is the run's.
  const runs = new FileStore(path.join(dir, '.expctl')).all();
  const ok = runs.filter((x) => x.status === 'succeeded' && x.attempts.length === 1);
  if (runs.length !== N || ok.length !== N) throw new Error(`expctl: ${runs.length} runs, ${ok.length} succeeded with one attempt (want ${N})`);
  if (!fs.readFileSync(path.join(dir, '.expctl/runs', runs[0].id, 'stdout.log'), 'utf8').includes('done')) throw new Error(`${runs[0].id}: the pod's log is not in stdout.log`);
  const jobs = (await (await testCluster()).batch.listNamespacedJob({ namespace: sb.namespace })).items;
  if (jobs.length !== N) throw new Error(`expctl: ${jobs.length} Jobs in ${sb.namespace} (want ${N})`);

  await teardown(sb);
  fs.rmSync(dir, { recursive: true, force: true });
  const preflight = /preflight on cluster: ok in ([\d.]+) s/.exec(r.out);
  return { s: r.s, preflightS: preflight ? Number(preflight[1]) : undefined, delta, held: Object.fromEntries(r.held) };
}

async function peer(i: number) {
  const sb = await sandbox(`bench-k8s-peer-${i}`);
  const dir = tmp('expctl-bench-kubectl-');
  // The same Job as expctl's (image, annotations, node selector, backoffLimit 0, restartPolicy Never, argv).
  for (let j = 1; j <= N; j++) {
    fs.writeFileSync(path.join(dir, `job-${j}.yaml`), JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `bench-${j}`, namespace: sb.namespace },
      spec: { backoffLimit: 0, template: { metadata: { annotations: ANNOTATIONS }, spec: {
        restartPolicy: 'Never', nodeSelector: sb.nodeSelector,
        containers: [{ name: 'main', image: IMAGE, command: ['python', 'train.py', String(j)] }],
      } } },
    }));
  }
  const script = `kubectl apply -f "${dir}/job-$1.yaml" >/dev/null && kubectl -n ${sb.namespace} wait --for=condition=complete "job/bench-$1" --timeout=300s >/dev/null`;
  const b = await before();
  const r = await timed('xargs', ['-P', String(P), '-I{}', 'sh', '-c', script, 'sh', '{}'], {
    cwd: dir, env: { ...process.env, KUBECONFIG: sb.kubeconfig }, input: Array.from({ length: N }, (_, j) => `${j + 1}\n`).join(''), base: b.open,
  });
  const delta = await since(b, b.total);
  const jobs = (await (await testCluster()).batch.listNamespacedJob({ namespace: sb.namespace })).items;
  const complete = jobs.filter((j) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
  if (complete.length !== N) throw new Error(`kubectl: ${complete.length} of ${jobs.length} Jobs complete (want ${N})`);
  await teardown(sb);
  fs.rmSync(dir, { recursive: true, force: true });
  return { s: r.s, delta, held: Object.fromEntries(r.held) };
}

async function main(): Promise<void> {
  const o: Awaited<ReturnType<typeof ours>>[] = [];
  const p: Awaited<ReturnType<typeof peer>>[] = [];
  for (let i = 0; i < REPEATS; i++) {
    // Alternating which goes first, so that a warm-up or a burst of load on the shared machine hits both.
    if (i % 2 === 0) { o.push(await ours(i)); p.push(await peer(i)); } else { p.push(await peer(i)); o.push(await ours(i)); }
    console.error(`repeat ${i + 1}/${REPEATS}: expctl ${o[i].s.toFixed(2)} s, kubectl ${p[i].s.toFixed(2)} s`);
  }
  const oursS = median(o.map((x) => x.s));
  const peerS = median(p.map((x) => x.s));
  // Requests: the repeat with the median count of counted requests.
  const counted = (d: Record<string, number>) => sum(d, CLIENT_KEYS);
  const perRun = o.map((x) => (counted(x.delta) - sum(x.delta, WATCH_KEYS)) / N);
  const mid = o[perRun.indexOf(median(perRun))];
  const watches = Math.max(...o.map((x) => x.held['WATCH pods'] ?? 0));
  const peerPerJob = median(p.map((x) => counted(x.delta) / N));
  const bars = [
    { figure: `wall seconds, ${N} Jobs at parallelism ${P}: expctl / kubectl`, value: Number((oursS / peerS).toFixed(3)), bar: '≤ 1.0', met: oursS / peerS <= 1 },
    { figure: 'API requests per run beyond the shared watch', value: Number(median(perRun).toFixed(3)), bar: '≤ 5', met: median(perRun) <= 5 },
    { figure: 'WATCH pods held by the run (one namespace)', value: watches, bar: '1', met: watches === 1 },
  ];
  const rows = [
    { figure: 'wall (s, median)', expctl: oursS, kubectl: peerS, ratio: oursS / peerS },
    { figure: 'preflight (s, median)', expctl: median(o.map((x) => x.preflightS ?? NaN)), kubectl: '', ratio: '' },
    { figure: 'client requests per Job (all counted / N)', expctl: counted(mid.delta) / N, kubectl: peerPerJob, ratio: '' },
    { figure: 'client requests per run beyond the shared watch', expctl: median(perRun), kubectl: '', ratio: '' },
    { figure: 'shared watch: LIST pods + WATCH pods', expctl: `${mid.delta['LIST pods'] ?? 0} + ${mid.delta['WATCH pods'] ?? 0}`, kubectl: '', ratio: '' },
    { figure: 'WATCH pods held (max)', expctl: watches, kubectl: Math.max(...p.map((x) => x.held['WATCH pods'] ?? 0)), ratio: '' },
    { figure: 'WATCH jobs held (max)', expctl: Math.max(...o.map((x) => x.held['WATCH jobs'] ?? 0)), kubectl: Math.max(...p.map((x) => x.held['WATCH jobs'] ?? 0)), ratio: '' },
    { figure: 'GET pods/log streams held (max)', expctl: Math.max(...o.map((x) => x.held['GET pods/log'] ?? 0)), kubectl: '', ratio: '' },
  ];
  const round = (x: unknown) => (typeof x === 'number' ? Number(x.toFixed(3)) : x);
  console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))));
  console.table(bars);
  writeResults('k8s', ['core/src/k8s', 'core/src/targets', 'core/src/runner', 'core/src/store', 'cli'], {
    command: 'node esbuild.mjs && bash scripts/with-k8s.sh node --import tsx bench/k8s.ts',
    method: `${N} one-pod Jobs (${JSON.stringify(ANNOTATIONS)}) at parallelism ${P}, each side in a fresh namespace on a fresh fake node; median of ${REPEATS} interleaved repeats`,
    peer: `xargs -P ${P}: kubectl apply -f job.yaml && kubectl wait --for=condition=complete job/NAME --timeout=300s (${'kubectl'} on PATH)`,
    loadavg: os.loadavg(), bars, rows: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))),
    requests: {
      counted: CLIENT_KEYS, shared_watch: WATCH_KEYS,
      note: 'apiserver_request_total after − before our run, summed by verb and resource; a long-running request (watch, followed log) is counted when it ends, so the "after" reading waits for them to close. Keys outside `counted` are other clients\' work.',
      per_run_beyond_watch: perRun,
    },
    samples: { expctl: o, kubectl: p },
  });
}

void main().catch((e) => { console.error(e); process.exitCode = 1; });
