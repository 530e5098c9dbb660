// The test cluster's side of the hpo-kubeflow example (run-on-test-cluster.sh starts it):
//   1. a namespace and three fake 8-GPU nodes (kwok) labelled for the `kwok` target's node_selector;
//   2. a log for each pod. kwok's pods never run — their phases come from the sim.test/* annotations —
//      so, playing the container runtime's part, this runs the pod's own command (train.py with the
//      pod's arguments) on this machine and makes kwok serve its output as the pod's log (a kwok
//      `Logs` object per pod). That is how each cluster run reports its own val_loss. The commands
//      of the Jobs in --jobs (`expctl run … --dry-run -o yaml`) run before `ready`: a pod's log must
//      be there before kwok ends the pod, 2 s after it appears, and 18 Pythons at once on a busy
//      machine can take longer than that.
//   3. on SIGTERM / SIGINT, or when the script that started it is gone: deletes what it created.
// Prints `ready` once the nodes are schedulable and those logs made; errors go to stderr with a non-zero exit.
//
//   KUBECONFIG=… node --import tsx test-cluster.ts --namespace NS --label KEY=VALUE --logs DIR [--jobs FILE]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { messageOf, statusOf } from '../../core/src/k8s/kube';
import { GPU_PRODUCT, until, writeLog } from '../../test/helpers/k8s';

const { values: o } = parseArgs({ options: {
  namespace: { type: 'string' }, label: { type: 'string' }, logs: { type: 'string' }, jobs: { type: 'string' }, nodes: { type: 'string', default: '3' },
} });
const [labelKey, labelValue] = o.label?.split('=') ?? [];
const nodeCount = Number(o.nodes);
if (!o.namespace || !labelKey || !labelValue || !o.logs || !(Number.isInteger(nodeCount) && nodeCount >= 1)) {
  process.stderr.write('usage: test-cluster.ts --namespace NS --label KEY=VALUE --logs DIR [--jobs FILE] [--nodes N]\n');
  process.exit(2);
}
const namespace = o.namespace;
const logsDir = path.resolve(o.logs);
const workdir = __dirname; // where the experiment's relative command (python3 train.py …) runs
const nodes = Array.from({ length: nodeCount }, (_, i) => `${namespace}-gpu-${i}`);
const KWOK = { group: 'kwok.x-k8s.io', version: 'v1alpha1' };

const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);

/** What setUp made, and so what tearDown deletes: never a namespace or node of someone else. */
const created = { namespace: false, nodes: [] as string[] };

async function setUp(): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e) => {
    if (statusOf(e) === 409) throw new Error(`namespace ${namespace} already exists on ${kc.getCurrentCluster()?.server}: another run of this example uses it (or left it: kubectl delete namespace ${namespace})`);
    throw e;
  });
  created.namespace = true;
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' };
  await Promise.all(nodes.map(async (name) => core.createNode({ body: {
    metadata: {
      name,
      labels: { [labelKey]: labelValue, 'kubernetes.io/hostname': name, 'nvidia.com/gpu.product': GPU_PRODUCT, type: 'kwok' },
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
    },
    status: { capacity, allocatable: capacity }, // kwok keeps the status given on create
  } }).then(() => created.nodes.push(name))));
  // Ready, and untainted: until the controller-manager has seen the node Ready, its not-ready taint
  // makes the scheduler refuse every pod.
  for (const name of nodes) {
    await until(async () => {
      const n = await core.readNode({ name });
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !n.spec?.taints?.length;
    }, `node ${name} Ready without taints`);
  }
  // Pods are refused until the namespace's `default` ServiceAccount exists.
  await until(() => core.readNamespacedServiceAccount({ name: 'default', namespace }), `ServiceAccount ${namespace}/default`);
}

type Container = Pick<k8s.V1Container, 'command' | 'args' | 'env'>;
const made = new Map<string, Promise<string>>();

/**
 * The log of a container's command, run here once per argv (train.py's output depends on its
 * arguments alone; EXPCTL_RUN_ID and the like differ between a dry run and the run): a file kwok can
 * serve (CRI format).
 */
function logOf(c: Container): Promise<string> {
  const argv = [...c.command!, ...(c.args ?? [])];
  const key = JSON.stringify(argv);
  let log = made.get(key);
  if (!log) {
    const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    made.set(key, log = run(argv, env, path.join(logsDir, `${made.size}.log`)));
  }
  return log;
}

async function run(argv: string[], env: Record<string, string>, file: string): Promise<string> {
  fs.writeFileSync(file, '');
  const child = spawn(argv[0], argv.slice(1), { cwd: workdir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream].setEncoding('utf8').on('data', (s: string) => {
      const lines = (partial + s).split('\n');
      partial = lines.pop()!;
      if (lines.length) writeLog(file, lines, stream);
    }).on('end', () => { if (partial) writeLog(file, partial, stream); });
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve).on('error', (e) => { writeLog(file, `test-cluster.ts: ${e.message}`, 'stderr'); resolve(null); }));
  if (code !== 0) process.stderr.write(`test-cluster.ts: ${argv.join(' ')} exited with ${code}; its log: ${file}\n`);
  return file;
}

/** Makes kwok serve the output of the pod's command as its log, once that command has ended (so the log is whole). */
async function podLog(pod: k8s.V1Pod): Promise<void> {
  const name = pod.metadata!.name!;
  const logsFile = await logOf(pod.spec!.containers[0]);
  await custom.createNamespacedCustomObject({ ...KWOK, namespace, plural: 'logs',
    body: { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Logs', metadata: { name, namespace }, spec: { logs: [{ logsFile }] } } });
}

/** The container of every Job in a `--dry-run -o yaml` output. */
function jobContainers(file: string): Container[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as k8s.V1Job | null)
    .flatMap((j) => (j?.kind === 'Job' && j.spec?.template.spec?.containers[0]?.command ? [j.spec.template.spec.containers[0]] : []));
}

let stopping = false;
async function tearDown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const gone = (e: unknown) => { if (statusOf(e) !== 404) process.stderr.write(`test-cluster.ts: cleanup: ${messageOf(e)}\n`); };
    // The namespace first: kwok removes its pods only while their node exists.
    if (created.namespace) await core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' }).catch(gone);
    await Promise.all(created.nodes.map((name) => core.deleteNode({ name }).catch(gone)));
  }
  process.exit(code);
}

async function main(): Promise<void> {
  fs.mkdirSync(logsDir, { recursive: true });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void tearDown(0));
  // The script that started us was killed (kill -9 leaves no trap to stop us): clean up and go,
  // rather than follow a cluster that is being stopped.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void tearDown(0); }, 1000).unref();
  await setUp();
  if (o.jobs) {
    const containers = jobContainers(o.jobs);
    if (!containers.length) throw new Error(`${o.jobs}: no Job with a command (expected the output of expctl run … --dry-run -o yaml)`);
    await Promise.all(containers.map(logOf));
  }
  const seen = new Set<string>();
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace }));
  informer.on('add', (pod) => {
    const name = pod.metadata?.name;
    if (!name || seen.has(name) || !pod.spec?.containers[0]?.command?.length) return;
    seen.add(name);
    podLog(pod).catch((e) => process.stderr.write(`test-cluster.ts: pod ${name}: ${messageOf(e)}\n`));
  });
  // A watch that ends with an error starts again: the informer lists anew, and `seen` skips the pods it knew.
  informer.on('error', () => setTimeout(() => void informer.start(), 500));
  await informer.start();
  process.stdout.write(`ready: namespace ${namespace}, nodes ${nodes.join(', ')} (${labelKey}=${labelValue}, 8 × nvidia.com/gpu each), ${made.size} pod logs made\n`);
}

main().catch((e) => {
  process.stderr.write(`test-cluster.ts: ${messageOf(e)}\n`);
  void tearDown(1);
});
