// A real Kubernetes control plane for tests (scripts/k8s/: etcd, kube-apiserver, controller-manager,
// scheduler, and kwok faking the nodes and driving pods by their sim.test/* annotations — see
// scripts/k8s/pod-stages.yaml). `npm test` starts one cluster for the whole run (scripts/with-k8s.sh
// exports EXPCTL_TEST_K8S_ENV); a test file run alone starts its own, so it is never skipped.
// Each test works in its own namespace on its own fake GPU node (sandbox()).
import * as k8s from '@kubernetes/client-node';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { alive } from '../../core/src/util/process';

const ROOT = path.resolve(__dirname, '../..');
const CLUSTER_SH = path.join(ROOT, 'scripts/k8s/cluster.sh');
export const PYTORCHJOB_CRD = path.join(ROOT, 'scripts/k8s/pytorchjob-crd.yaml');
/** The label every sandbox node carries with its own name: pin pods with `nodeSelector`. */
export const NODE_LABEL = 'expctl-test/node';
export const GPU_PRODUCT = 'NVIDIA-A100-SXM4-80GB';

export interface TestCluster {
  /** Path of the admin kubeconfig (client certificate, server on 127.0.0.1). */
  kubeconfig: string;
  kc: k8s.KubeConfig;
  /** The API server's URL, https://127.0.0.1:PORT. */
  server: string;
  /** start.sh's state folder: env, pids, kwok/clusters/<name>/{logs,pids}. */
  stateDir: string;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
}

let cluster: Promise<TestCluster> | undefined;

/** The cluster of this test run, started (once per process) when EXPCTL_TEST_K8S_ENV is unset. */
export function testCluster(): Promise<TestCluster> {
  cluster ??= open(process.env.EXPCTL_TEST_K8S_ENV || undefined);
  return cluster;
}

async function open(envFile: string | undefined): Promise<TestCluster> {
  if (!envFile) envFile = path.join(await startOwnCluster(), 'env');
  else if (!fs.existsSync(envFile)) {
    throw new Error(`EXPCTL_TEST_K8S_ENV=${envFile} does not exist: run the tests under scripts/with-k8s.sh, or unset it to start a cluster for this process`);
  }
  const env = readEnvFile(envFile);
  const kubeconfig = env.KUBECONFIG;
  if (!kubeconfig || !env.K8S_API) throw new Error(`${envFile} has no KUBECONFIG= or K8S_API= line (it is written by scripts/k8s/start.sh)`);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    kubeconfig, kc, server: env.K8S_API, stateDir: path.dirname(envFile),
    core: kc.makeApiClient(k8s.CoreV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Starts a cluster for this process alone (the first time: builds the binaries, ~16 min). */
async function startOwnCluster(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-test-k8s-'));
  // The cluster's processes are detached. The guard stops them (and removes `dir`) when our end of
  // its stdin closes, which happens however this process ends, kill -9 included; on a normal exit
  // we stop them ourselves first, so that nothing outlives the process.
  const guard = spawn('bash', [CLUSTER_SH, 'guard', dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  guard.unref();
  (guard.stdin as unknown as { unref(): void }).unref();
  process.on('exit', () => {
    spawnSync('bash', [CLUSTER_SH, 'down', dir], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const up = spawn('bash', [CLUSTER_SH, 'up', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  up.stdout.on('data', (b: Buffer) => { output += b; });
  // A cold build's progress goes to our stderr: minutes of silence would look like a hang.
  up.stderr.on('data', (b: Buffer) => { output += b; process.stderr.write(b); });
  const code = await new Promise<number | null>((resolve) => up.on('close', resolve));
  if (code !== 0) throw new Error(`scripts/k8s/cluster.sh up ${dir} failed (exit ${code}):\n${output}`);
  return dir;
}

export interface Sandbox {
  namespace: string;
  /** The fake GPU node's name: 8 × nvidia.com/gpu, 32 CPUs, 256Gi, label nvidia.com/gpu.product, no taint. */
  node: string;
  /** Pins a pod to this sandbox's node: `{ 'expctl-test/node': node }`. */
  nodeSelector: Record<string, string>;
  kubeconfig: string;
  kc: k8s.KubeConfig;
  /** Deletes the namespace (Background propagation), the node and the namespace's ClusterLogs. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * A fresh namespace (its `default` ServiceAccount made) and a fresh Ready fake GPU node, with unique
 * names derived from the test's name. Given the TestContext, cleanup runs after the test by itself.
 */
export async function sandbox(t: TestContext | string): Promise<Sandbox> {
  const c = await testCluster();
  const name = typeof t === 'string' ? t : t.name;
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'test';
  const suffix = `${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 6)}`;
  const namespace = `${slug}-${suffix}`;
  const node = `gpu-${slug}-${suffix}`.slice(0, 63);
  const resources = { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' };
  let cleaned = false;
  const sb: Sandbox = {
    namespace, node, nodeSelector: { [NODE_LABEL]: node }, kubeconfig: c.kubeconfig, kc: c.kc,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      const gone = (e: unknown) => { if ((e as { code?: number }).code !== 404) throw e; };
      if (clusterLogsOf.delete(namespace)) {
        await c.custom.deleteClusterCustomObject({ ...KWOK, plural: 'clusterlogs', name: clusterLogsName(namespace) }).catch(gone);
      }
      // The namespace first: kwok removes its pods only while their node exists.
      await c.core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' }).catch(gone);
      await c.core.deleteNode({ name: node }).catch(gone);
    },
  };
  if (typeof t !== 'string') t.after(() => sb.cleanup());
  await Promise.all([
    c.core.createNamespace({ body: { metadata: { name: namespace } } }),
    c.core.createNode({ body: {
      metadata: {
        name: node,
        labels: { [NODE_LABEL]: node, 'kubernetes.io/hostname': node, 'nvidia.com/gpu.product': GPU_PRODUCT, type: 'kwok' },
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
      },
      // kwok keeps the status given on create (its node-initialize stage only adds to it)
      status: { capacity: resources, allocatable: resources },
    } }),
  ]);
  // Ready, and untainted: the controller-manager taints a new node not-ready until it sees Ready,
  // and until then the scheduler refuses every pod ("untolerated taint").
  await until(async () => {
    const n = await c.core.readNode({ name: node });
    return n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && !n.spec?.taints?.length;
  }, `node ${node} Ready without taints`);
  // Pods are refused until the service-account controller has made the namespace's `default`.
  await until(() => c.core.readNamespacedServiceAccount({ name: 'default', namespace }), `ServiceAccount ${namespace}/default`);
  return sb;
}

/**
 * Probes until `probe` gives a truthy value (an error counts as not yet) and returns it; after
 * `timeoutMs`, throws naming `what` and the last error. For cluster state that has no event to await.
 */
export async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  let last: unknown;
  for (const deadline = Date.now() + timeoutMs; ;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const KWOK = { group: 'kwok.x-k8s.io', version: 'v1alpha1' };
const clusterLogsOf = new Set<string>();
const clusterLogsName = (namespace: string) => `expctl-test-${namespace}`;

/**
 * Makes kwok serve `file` as the logs of every container of every pod in `namespace` (a kwok
 * ClusterLogs object; one per namespace — calling again points it at the new file). Creates the
 * file if missing; fill it with writeLog(). kwok picks the object up within moments: create it
 * before the pods start. sandbox's cleanup deletes it.
 */
export async function clusterLogs(namespace: string, file: string): Promise<void> {
  const c = await testCluster();
  const logsFile = touch(file);
  const name = clusterLogsName(namespace);
  const spec = { selector: { matchNamespaces: [namespace] }, logs: [{ logsFile }] };
  await c.custom.createClusterCustomObject({ ...KWOK, plural: 'clusterlogs',
    body: { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'ClusterLogs', metadata: { name }, spec } }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
    return c.custom.patchClusterCustomObject({ ...KWOK, plural: 'clusterlogs', name, body: { spec } }, mergePatch);
  });
  clusterLogsOf.add(namespace);
}

/**
 * Makes kwok serve `file` as the logs of one pod (a kwok Logs object named after the pod; all its
 * containers, or only `containers`). Takes precedence over the namespace's clusterLogs().
 */
export async function podLogs(namespace: string, pod: string, file: string, containers?: string[]): Promise<void> {
  const c = await testCluster();
  const logsFile = touch(file);
  await c.custom.createNamespacedCustomObject({ ...KWOK, namespace, plural: 'logs',
    body: { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs', metadata: { name: pod, namespace },
      spec: { logs: [{ logsFile, ...(containers ? { containers } : {}) }] } } });
}

function touch(file: string): string {
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.appendFileSync(abs, '');
  return abs;
}

/**
 * Appends lines to a log file in the CRI format kwok reads (`<RFC3339Nano> stdout F <text>`); a
 * plain-text file would make kwok answer "unsupported log format".
 */
export function writeLog(file: string, lines: string | string[], stream: 'stdout' | 'stderr' = 'stdout'): void {
  const at = new Date().toISOString().replace(/Z$/, '000000Z');
  const text = (typeof lines === 'string' ? [lines] : lines).map((l) => `${at} ${stream} F ${l}\n`).join('');
  fs.appendFileSync(file, text);
}

let crd: Promise<void> | undefined;

/** Applies scripts/k8s/pytorchjob-crd.yaml (kubeflow.org/v1 PyTorchJob) once and waits until it is served. */
export function installPyTorchJobCrd(): Promise<void> {
  crd ??= (async () => {
    const c = await testCluster();
    const apiext = c.kc.makeApiClient(k8s.ApiextensionsV1Api);
    const body = k8s.loadYaml<k8s.V1CustomResourceDefinition>(fs.readFileSync(PYTORCHJOB_CRD, 'utf8'));
    await apiext.createCustomResourceDefinition({ body }).catch((e) => { if ((e as { code?: number }).code !== 409) throw e; });
    const name = body.metadata!.name!;
    await until(async () => (await apiext.readCustomResourceDefinition({ name })).status?.conditions
      ?.some((x) => x.type === 'Established' && x.status === 'True'), `CRD ${name} Established`);
    // Established can come a moment before the new resource path answers.
    await until(() => c.custom.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' }), `${name} served`);
  })();
  return crd;
}

/** Content-Type for a JSON merge patch (the client's default for patches is a JSON patch). */
export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** GET `urlPath` from the API server with the kubeconfig's client certificate: status and body. */
export async function apiserverGet(urlPath: string): Promise<{ status: number; body: string }> {
  const c = await testCluster();
  const url = new URL(urlPath, c.server);
  const opts: https.RequestOptions = { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET' };
  await c.kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => { body += s; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The API server's request counters from /metrics, summed by verb and resource: keys like
 * `POST jobs`, `LIST pods`, `WATCH pods`, `GET pods/log`, `PATCH pytorchjobs/status`. A WATCH is
 * counted when it ends; for the watches open now pass `apiserver_longrunning_requests`.
 * Every client is counted (controller-manager, scheduler, kwok too): compare two readings
 * (metricsDelta) around what a test does, on resources only it touches.
 */
export async function apiserverMetrics(metric = 'apiserver_request_total'): Promise<Map<string, number>> {
  const { status, body } = await apiserverGet('/metrics');
  if (status !== 200) throw new Error(`GET /metrics answered ${status}: ${body.slice(0, 300)}`);
  const sums = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(metric.length + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return sums;
}

/** after − before for every key that changed. */
export function metricsDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) d.set(k, v - (before.get(k) ?? 0));
  return d;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Kills kube-apiserver (SIGKILL unless told otherwise) and starts it again with the same command
 * line, environment and working folder, detached, its output appended to the same log; updates the
 * pid files (so that stopping the cluster stops the new process) and resolves once /readyz answers.
 * Every client of the cluster sees the outage: watches end with an error, requests are refused.
 */
export async function restartApiserver(opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<{ oldPid: number; pid: number }> {
  const c = await testCluster();
  const env = readEnvFile(path.join(c.stateDir, 'env'));
  const cdir = path.join(env.KWOK_WORKDIR, 'clusters', env.KWOK_CLUSTER_NAME);
  const pidFile = path.join(cdir, 'pids', 'kube-apiserver.pid');
  const logFile = path.join(cdir, 'logs', 'kube-apiserver.log');
  const oldPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const proc = (f: string) => fs.readFileSync(`/proc/${oldPid}/${f}`, 'utf8').split('\0').filter((s) => s !== '');
  const argv = proc('cmdline');
  if (!argv[0] || path.basename(argv[0]) !== 'kube-apiserver') {
    throw new Error(`PID ${oldPid} from ${pidFile} is not kube-apiserver (${argv[0] ?? 'not running'})`);
  }
  const procEnv = Object.fromEntries(proc('environ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const cwd = fs.readlinkSync(`/proc/${oldPid}/cwd`);

  process.kill(oldPid, opts.signal ?? 'SIGKILL');
  // Not our child: nothing to wait on but /proc. And its main thread can be a zombie while other
  // threads still hold the listening socket; the new process would fail with "address already in use".
  const port = Number(new URL(c.server).port);
  await until(async () => !alive(oldPid) && await portFree(port), `kube-apiserver PID ${oldPid} to exit and free port ${port}`, opts.timeoutMs ?? 60_000);

  const log = fs.openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { cwd, env: procEnv, detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const pid = child.pid!;
  let exited: string | undefined;
  child.on('exit', (code, sig) => { exited = `exited (${sig ?? code})`; });
  child.unref();
  fs.writeFileSync(pidFile, String(pid));
  const pids = path.join(c.stateDir, 'pids');
  fs.writeFileSync(pids, fs.readFileSync(pids, 'utf8').replace(/^kube-apiserver \d+$/m, `kube-apiserver ${pid}`));

  const ready = await until(async () => exited ?? ((await apiserverGet('/readyz')).status === 200 && 'ready'),
    `the restarted kube-apiserver (PID ${pid}) to be ready (log: ${logFile})`, opts.timeoutMs ?? 60_000);
  if (ready !== 'ready') {
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
    throw new Error(`the restarted kube-apiserver ${ready}; the end of ${logFile}:\n${tail}`);
  }
  return { oldPid, pid };
}
