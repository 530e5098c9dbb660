// What the Experiments view says about a run and its attempts, without the editor (so it is unit
// tested). A run on a cluster also says where its pod is: phase and node while it runs, why it
// waits while it is pending, the node it ran on once it ended; the tooltip names its Job.
import type { AttemptRecord, K8sAttempt, RunRecord, RunStatus } from '../../core/src/store/store';
import { formatDuration } from '../../core/src/util/units';
import { metricText, runWarnings } from '../../core/src/runner/metrics';

export const dur = (s: number | undefined): string => (s === undefined ? '' : s < 60 ? `${s.toFixed(1)} s` : formatDuration(Math.round(s)));

/**
 * An attempt's pod in a few words: `Running on gpu-node-1`, `Pending: unschedulable: 0/3 nodes …`
 * (`Job created` before its pod is seen) while it is live; `on gpu-node-1` once it ended.
 */
export function podText(k: K8sAttempt, live: boolean): string {
  if (!live) return k.node ? `on ${k.node}` : '';
  if (!k.phase) return `${k.kind} created`;
  return `${k.phase}${k.detail ? `: ${k.detail}` : k.node ? ` on ${k.node}` : ''}`;
}

/** The tooltip's lines about an attempt's Job or PyTorchJob: which object, its pod and node, the kubeconfig context, why it waits. */
export function clusterLines(k: K8sAttempt): string[] {
  const where = `${k.phase ? ` ${k.phase}` : ''}${k.node ? ` on node ${k.node}` : ''}`;
  return [
    `${k.kind} ${k.namespace}/${k.name}`,
    k.pod ? `pod ${k.pod}${where}` : where.trim(),
    k.context ? `context ${k.context}` : '',
    k.detail ?? '',
  ].filter(Boolean);
}

export interface RunText {
  description: string;
  /** The status whose icon the row gets: a running run whose pod is still Pending shows as queued. */
  icon: RunStatus;
  /** Tooltip lines about its newest attempt's Job (none for local runs). */
  cluster: string[];
  warnings: string[];
}

/**
 * A run's row: `running · Running on gpu-node-1 · 2m5s · val_loss 0.011` and its tooltip's extra
 * lines. With `now` (ms), a running run shows how long it has been running (run.json has no
 * duration until it ends). `runnerGone`: its sweep's runner is no longer alive, so a run that
 * run.json still calls running or queued is interrupted (the next run of the sweep takes it up).
 */
export function describeRun(r: RunRecord, metric?: string, o: { now?: number; runnerGone?: boolean } = {}): RunText {
  const last = r.attempts.at(-1);
  const recorded = r.status === 'running' || r.status === 'queued';
  const live = recorded && !o.runnerGone;
  const now = live ? o.now : undefined;
  // Between attempts (a retry's backoff) the last pod says nothing about the run.
  const pod = last?.k8s && (live ? !last.ended : true) ? podText(last.k8s, live) : '';
  const warnings = runWarnings(r);
  const description = [
    recorded && !live ? 'interrupted (its runner is gone)' : r.status,
    pod,
    dur(r.duration_s ?? (live && now !== undefined && r.started ? Math.max(0, (now - Date.parse(r.started)) / 1000) : undefined)),
    metric && r.summary[metric] ? `${metric} ${metricText(r.summary[metric].last)}` : '',
    r.status === 'failed' ? last?.failure_class : '',
    warnings.length ? `⚠ ${warnings[0]}` : '',
  ].filter(Boolean).join(' · ');
  const pending = live && r.status === 'running' && !last?.ended && last?.k8s?.phase === 'Pending';
  return { description, icon: recorded && !live ? 'interrupted' : pending ? 'queued' : r.status, cluster: last?.k8s ? clusterLines(last.k8s) : [], warnings };
}

/** An attempt's row: `evicted · grid-lr0-1-a1 · on gpu-node-2 · 41.0 s · The node was low on resource: memory.` */
export function describeAttempt(a: AttemptRecord): { description: string; cluster: string[] } {
  return {
    description: [a.failure_class ?? (a.ended ? 'ok' : 'running'), a.k8s?.name, a.k8s ? podText(a.k8s, !a.ended) : '', dur(a.duration_s), a.message].filter(Boolean).join(' · '),
    cluster: a.k8s ? clusterLines(a.k8s) : [],
  };
}
