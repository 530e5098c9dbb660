// How a pod (or a PyTorchJob) the runner watches stands: still waiting, running, ended — and, when
// it ended or is stuck, which failure class the runner records. Pure functions of the objects the
// watch delivers, so that every mapping is tested without a cluster.
import type { Failure } from '../runner/failure';

/** The parts of a v1 Pod we read (the API's objects satisfy it). */
export interface PodLike {
  metadata?: { name?: string; creationTimestamp?: Date | string; deletionTimestamp?: Date | string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name?: string;
      state?: {
        waiting?: { reason?: string; message?: string };
        terminated?: { exitCode?: number; signal?: number; reason?: string; message?: string };
        running?: unknown;
      };
    }>;
  };
}

export type PodVerdict =
  | { state: 'pending'; phase: string; node?: string; detail?: string }
  | { state: 'running'; phase: 'Running'; node?: string }
  | { state: 'ended'; phase: string; node?: string; exitCode: number | null; failure?: Failure }
  /** Pending past its grace (unschedulable, an image it cannot pull): the attempt fails without running. */
  | { state: 'stuck'; phase: string; node?: string; failure: Failure };

const IMAGE_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const CONFIG_ERRORS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

const ageS = (t: Date | string | undefined, nowMs: number) => (t === undefined ? 0 : (nowMs - new Date(t).getTime()) / 1000);

/**
 * `scheduleTimeoutS`: how long a pod may stay unschedulable; `startTimeoutS`: how long an image or
 * container-config error may last (both counted from the pod's creation).
 */
export function podVerdict(pod: PodLike, nowMs: number, o: { scheduleTimeoutS: number; startTimeoutS: number }): PodVerdict {
  const st = pod.status ?? {};
  const phase = st.phase ?? 'Pending';
  const node = pod.spec?.nodeName || undefined;
  const main = st.containerStatuses?.[0];
  const term = main?.state?.terminated;
  if (phase === 'Succeeded') return { state: 'ended', phase, node, exitCode: term?.exitCode ?? 0 };
  if (phase === 'Failed') {
    if (st.reason === 'Evicted' || st.reason === 'Preempting' || hasCondition(st, 'DisruptionTarget')) {
      const why = st.message || conditionOf(st, 'DisruptionTarget')?.message || st.reason || 'evicted';
      return { state: 'ended', phase, node, exitCode: term?.exitCode ?? null, failure: { class: 'evicted', message: `evicted from node ${node ?? '?'}: ${why}` } };
    }
    if (term?.reason === 'OOMKilled') {
      return { state: 'ended', phase, node, exitCode: term.exitCode ?? 137, failure: { class: 'oom', message: 'OOMKilled: the container went over its memory limit (resources.memory)' } };
    }
    if (st.reason === 'DeadlineExceeded') return { state: 'ended', phase, node, exitCode: term?.exitCode ?? null, failure: { class: 'timeout', message: 'exceeded its timeout (activeDeadlineSeconds) and was stopped' } };
    // Exit codes and the rest are classified as locally (exit:N, signals as 128+N).
    return { state: 'ended', phase, node, exitCode: term?.exitCode ?? null, ...(term ? {} : { failure: { class: 'exit:-1', message: `pod failed: ${st.reason ?? ''} ${st.message ?? ''}`.trim() } }) };
  }
  if (phase === 'Running') return { state: 'running', phase, node };
  // Pending: not yet scheduled, pulling, or stuck.
  const waiting = st.containerStatuses?.map((c) => c.state?.waiting).find((w) => w?.reason);
  const age = ageS(pod.metadata?.creationTimestamp, nowMs);
  if (waiting?.reason && (IMAGE_ERRORS.has(waiting.reason) || CONFIG_ERRORS.has(waiting.reason))) {
    const image = IMAGE_ERRORS.has(waiting.reason);
    const detail = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    if (age >= o.startTimeoutS) {
      return { state: 'stuck', phase, node, failure: {
        class: image ? 'image_error' : 'config_error',
        message: `${detail} (for ${Math.round(age)}s; start_timeout ${o.startTimeoutS}s) — ${image ? 'check kubernetes.image and image_pull_secrets' : 'check secret_env, volumes and config maps exist in the namespace'}`,
      } };
    }
    return { state: 'pending', phase, node, detail };
  }
  const sched = conditionOf(st, 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable') {
    if (age >= o.scheduleTimeoutS) {
      return { state: 'stuck', phase, node, failure: {
        class: 'unschedulable',
        message: `unschedulable for ${Math.round(age)}s (schedule_timeout ${o.scheduleTimeoutS}s): ${sched.message ?? 'no node fits'}`,
      } };
    }
    return { state: 'pending', phase, node, detail: `unschedulable: ${sched.message ?? ''}`.trim() };
  }
  return { state: 'pending', phase, node };
}

function conditionOf(st: NonNullable<PodLike['status']>, type: string) {
  return st.conditions?.find((c) => c.type === type);
}
function hasCondition(st: NonNullable<PodLike['status']>, type: string): boolean {
  return conditionOf(st, type)?.status === 'True';
}

/** The parts of a Job / PyTorchJob we read. */
export interface WorkloadLike {
  metadata?: { name?: string; deletionTimestamp?: Date | string };
  status?: { conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }> };
}

/** A workload's own end (Complete/Succeeded or Failed, with the controller's reason), if it has one. */
export function workloadEnd(w: WorkloadLike): { succeeded: boolean; reason?: string; message?: string } | undefined {
  const c = w.status?.conditions?.find((x) => x.status === 'True' && ['Complete', 'Succeeded', 'Failed'].includes(x.type ?? ''));
  if (!c) return undefined;
  return { succeeded: c.type !== 'Failed', reason: c.reason, message: c.message };
}

/** A PyTorchJob's or Job's failure condition, as a failure class. */
export function workloadFailure(end: { reason?: string; message?: string }): Failure {
  const reason = end.reason ?? '';
  if (reason === 'DeadlineExceeded') return { class: 'timeout', message: 'exceeded its timeout (activeDeadlineSeconds) and was stopped' };
  if (/OOMKilled/i.test(`${reason} ${end.message ?? ''}`)) return { class: 'oom', message: `OOMKilled: ${end.message ?? reason}` };
  if (/evict|preempt/i.test(`${reason} ${end.message ?? ''}`)) return { class: 'evicted', message: `${reason}: ${end.message ?? ''}`.trim() };
  const code = /exit(?:ed with)? code[:\s]+(\d+)/i.exec(end.message ?? '');
  if (code) return { class: `exit:${Number(code[1])}`, message: `exited with code ${code[1]} (${reason})` };
  return { class: 'exit:-1', message: `failed: ${reason}${end.message ? ` — ${end.message}` : ''}` };
}
