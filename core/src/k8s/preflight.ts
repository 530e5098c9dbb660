// Before anything is launched on a cluster: is it there, does the namespace exist, is there an
// image, may we create, watch, read logs and delete, and does any node have the GPUs the largest
// trial asks for. Every problem at once, each a sentence with its fix — an hour-long sweep should
// not find out at its first Job.
import type { Experiment, KubernetesTarget } from '../config/types';
import { findGpu } from '../gpus';
import { gpusRequested } from '../runner/launch';
import { GPU_PRODUCT_LABEL, GPU_RESOURCE, gpuTypeOf, settingsFor } from './manifest';
import type { K8sSettings } from './manifest';
import { messageOf, PYTORCHJOB, statusOf } from './kube';
import type { Kube } from './kube';

export class PreflightError extends Error {
  constructor(readonly problems: string[], readonly where: string, readonly notes: string[] = []) {
    super(`preflight on ${where} failed:\n${problems.map((p) => `  - ${p}`).join('\n')}${notes.map((n) => `\n  note: ${n}`).join('')}`);
  }
}

export interface PreflightResult {
  /** Product labels on the cluster's nodes per `gpu_type` as written (the manifest's node affinity). */
  gpuProducts: Map<string, string[]>;
  /** What could not be checked (no permission to list nodes), said rather than skipped silently. */
  notes: string[];
}

const REACH_TIMEOUT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000}s`)), ms); })]).finally(() => clearTimeout(t));
}

export async function preflight(kube: Kube, target: KubernetesTarget, configs: Experiment[]): Promise<PreflightResult> {
  const where = `context '${kube.context}' (${kube.server})`;
  const problems: string[] = [];
  const notes: string[] = [];
  const gpuProducts = new Map<string, string[]>();
  try {
    await withTimeout(kube.core.listNamespace({ limit: 1 }).catch((e) => { if (statusOf(e) === 0) throw e; }), REACH_TIMEOUT_MS, 'the API server');
  } catch (e) {
    throw new PreflightError([`cannot reach the API server: ${messageOf(e)} — is the cluster up, and is this the right context? (kubectl --context ${kube.context} get ns)`], where);
  }
  const settings = configs.map((c) => ({ c, s: settingsFor(c, target) }));
  if (settings.some(({ s }) => !s.image)) problems.push('no container image: set image: on the target in targets.yaml, or kubernetes.image in the experiment');
  const byNs = new Map<string, K8sSettings[]>();
  for (const { s } of settings) byNs.set(s.namespace, [...(byNs.get(s.namespace) ?? []), s]);

  for (const [ns, list] of byNs) {
    try {
      await kube.core.readNamespace({ name: ns });
    } catch (e) {
      // Many users may work in a namespace without being allowed to read the Namespace object itself.
      if (statusOf(e) === 403) notes.push(`namespace '${ns}': not allowed to read it, so its existence was not checked`);
      else {
        problems.push(statusOf(e) === 404 ? `namespace '${ns}' does not exist — create it (kubectl create namespace ${ns}) or set namespace: in targets.yaml`
          : `cannot read namespace '${ns}': ${messageOf(e)}`);
        continue;
      }
    }
    const kinds = new Set(list.map((s) => s.kind));
    const checks: Array<{ verb: string; group: string; resource: string; subresource?: string }> = [
      { verb: 'list', group: '', resource: 'pods' }, { verb: 'watch', group: '', resource: 'pods' },
      { verb: 'get', group: '', resource: 'pods', subresource: 'log' },
    ];
    for (const kind of kinds) {
      const [group, resource] = kind === 'Job' ? ['batch', 'jobs'] : [PYTORCHJOB.group, PYTORCHJOB.plural];
      checks.push({ verb: 'create', group, resource }, { verb: 'get', group, resource }, { verb: 'delete', group, resource });
    }
    const refused: string[] = [];
    await Promise.all(checks.map(async (c) => {
      try {
        const r = await kube.auth.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { namespace: ns, ...c } } } });
        if (!r.status?.allowed) refused.push(`${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''}`);
      } catch (e) {
        refused.push(`${c.verb} ${c.resource} (cannot ask: ${messageOf(e)})`);
      }
    }));
    if (refused.length) problems.push(`not allowed in namespace '${ns}': ${refused.sort().join(', ')} — ask your cluster admin for a Role with these verbs, or use another namespace`);
    if (kinds.has('PyTorchJob')) {
      try {
        await kube.custom.listNamespacedCustomObject({ ...PYTORCHJOB, namespace: ns, limit: 1 });
      } catch (e) {
        if (statusOf(e) === 404) problems.push('kind: PyTorchJob needs the Kubeflow training operator, and this cluster has no PyTorchJob resource (kubeflow.org/v1) — install it, or use kind: Job');
      }
    }
  }

  // GPUs: the largest trial must fit on some node its selector allows.
  const needs = settings.map(({ c, s }) => ({ gpus: gpusRequested({ ...c, resources: s.resources }), s, type: gpuTypeOf(s.resources) }));
  const biggest = needs.reduce((a, b) => (b.gpus > a.gpus ? b : a), needs[0]);
  if (biggest && biggest.gpus > 0) {
    try {
      const nodes = (await kube.core.listNode({})).items;
      for (const n of needs.filter((x) => x.type)) {
        const want = findGpu(n.type!);
        const labels = [...new Set(nodes.map((x) => x.metadata?.labels?.[GPU_PRODUCT_LABEL]).filter((x): x is string => !!x))];
        const match = labels.filter((l) => l === n.type || (want !== undefined && findGpu(l) === want));
        gpuProducts.set(n.type!, match);
      }
      const fits = (node: (typeof nodes)[number], x: (typeof needs)[number]) => {
        const labels = node.metadata?.labels ?? {};
        if (!Object.entries(x.s.node_selector ?? {}).every(([k, v]) => labels[k] === v)) return false;
        if (x.type && !(gpuProducts.get(x.type) ?? [x.type]).includes(labels[GPU_PRODUCT_LABEL] ?? '')) return false;
        return Number(node.status?.allocatable?.[GPU_RESOURCE] ?? 0) >= x.gpus;
      };
      if (!nodes.some((node) => fits(node, biggest))) {
        const most = Math.max(0, ...nodes.map((x) => Number(x.status?.allocatable?.[GPU_RESOURCE] ?? 0)));
        const sel = Object.entries(biggest.s.node_selector ?? {}).map(([k, v]) => `${k}=${v}`).concat(biggest.type ? [`gpu_type ${biggest.type}`] : []);
        problems.push(`no node${sel.length ? ` matching ${sel.join(', ')}` : ''} has ${biggest.gpus} allocatable ${GPU_RESOURCE} for the largest trial (the most any of the ${nodes.length} nodes has: ${most}) — lower resources.gpus, or change node_selector / gpu_type`);
      }
    } catch (e) {
      if (statusOf(e) === 403) notes.push(`GPU capacity not checked: not allowed to list nodes (${messageOf(e)})`);
      else notes.push(`GPU capacity not checked: ${messageOf(e)}`);
    }
  }
  if (problems.length) throw new PreflightError(problems, where, notes);
  return { gpuProducts, notes };
}
