// A Kubernetes cluster as a target: one Job (or PyTorchJob) per attempt, followed through one shared
// watch of the pods per namespace (and of PyTorchJobs where they are used) rather than by polling;
// logs streamed from the API server into the run's stdout.log; cancel = delete with Background
// propagation (without it the pods are orphaned and keep running). Names are deterministic per
// (run, attempt), so a runner that takes over adopts a Job instead of creating a second one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { Experiment, KubernetesTarget as KubernetesTargetConfig } from '../config/types';
import { containerName, LABEL, MANAGED_BY, settingsFor, workload, ManifestError, workloadName } from '../k8s/manifest';
import type { K8sSettings, Workload } from '../k8s/manifest';
import { connect, messageOf, PYTORCHJOB, SharedWatch, statusOf } from '../k8s/kube';
import type { Kube } from '../k8s/kube';
import { podVerdict, workloadEnd, workloadFailure } from '../k8s/status';
import type { PodLike, WorkloadLike } from '../k8s/status';
import type { AttemptOutcome, Failure } from '../runner/failure';
import type { AttemptRecord, K8sAttempt } from '../store/store';
import type { AttemptRef, InfoSink, LineSink, RunningAttempt, Target, TrialRef } from './api';
import { preflight } from '../k8s/preflight';

export interface KubernetesTargetOptions {
  /** The kubeconfig to use (targets.yaml's `kubeconfig:` resolved), else $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
}

/** One attempt the target follows. */
interface Live {
  w: Workload;
  runDir: string;
  n: number;
  onLine?: LineSink;
  onInfo?: InfoSink;
  info: K8sAttempt;
  pod?: PodLike;
  /** The pod whose status is the run's (the Job's pod, the PyTorchJob's master). */
  podName?: string;
  /** The log stream of each pod of the attempt, by pod name. */
  logs: Map<string, PodLog>;
  /** What the pod said about a failure the workload's own status says less well (OOMKilled). */
  podFailure?: Failure;
  podExit?: number | null;
  createdMs: number;
  cancelled: boolean;
  cancelSentMs?: number;
  /** Stuck: its workload is being deleted before the attempt fails. */
  givingUp?: boolean;
  ending?: boolean;
  done: boolean;
  resolve(o: AttemptOutcome | undefined): void;
  promise: Promise<AttemptOutcome | undefined>;
}

/**
 * One pod's log: streamed into its own file in the run's folder and into stdout.log — the merged
 * view, where the lines of a PyTorchJob's workers carry their replica (`[worker-0] …`), so that
 * only the master's reach the metrics parser as `@expctl` lines.
 */
interface PodLog {
  pod: string;
  file: string;
  prefix: string;
  /** Lines of this pod already written (also by a runner that stopped: counted from its file). */
  seen: number;
  partial: string;
  abort?: AbortController;
  failed?: string;
}

const TICK_MS = 1000;
/** Answers that mean "not now" rather than "no": the server unreachable (0), throttling, unavailable. */
const TRANSIENT = new Set([0, 429, 500, 502, 503, 504]);
const CREATE_PATIENCE_MS = 120_000;

export function kubernetesTarget(name: string, config: KubernetesTargetConfig, o: KubernetesTargetOptions = {}): Target & { kube(): Kube; config: KubernetesTargetConfig } {
  let kube: Kube | undefined;
  const api = () => (kube ??= connect(o.kubeconfig, config.context));
  const lives = new Map<string, Live>();
  const podWatches = new Map<string, SharedWatch<PodLike & { metadata?: { resourceVersion?: string } }>>();
  const jobWatches = new Map<string, SharedWatch<WorkloadLike & { metadata?: { resourceVersion?: string; labels?: Record<string, string> } }>>();
  const key = (ns: string, n: string) => `${ns}/${n}`;
  let ticker: NodeJS.Timeout | undefined;
  /** What preflight found on the nodes for each gpu_type (else the manifest uses the type as written). */
  let gpuProducts = new Map<string, string[]>();

  const workloadOf = (ref: AttemptRef & TrialRef) => workload({
    config: ref.config, experimentFile: ref.experimentFile, target: config, gpuProducts,
    run: { id: ref.runId, sweepId: ref.sweepId, trialKey: ref.trial.key, trialName: ref.trial.name, index: ref.trial.index, repeat: ref.trial.repeat, attempt: ref.attempt },
  });

  // ---- watches -------------------------------------------------------------------------------
  async function ensureWatches(ns: string, kind: Workload['kind']): Promise<void> {
    const k = api();
    const selector = `${LABEL.managedBy}=${MANAGED_BY}`;
    if (!podWatches.has(ns)) {
      podWatches.set(ns, new SharedWatch(k, `/api/v1/namespaces/${ns}/pods`, selector,
        () => k.core.listNamespacedPod({ namespace: ns, labelSelector: selector }) as never,
        { synced: (items) => podsSynced(ns, items), event: (type, pod) => podEvent(ns, type, pod) }));
    }
    const waits = [podWatches.get(ns)!.start()];
    if (kind === 'PyTorchJob') {
      if (!jobWatches.has(ns)) {
        jobWatches.set(ns, new SharedWatch(k, `/apis/${PYTORCHJOB.group}/${PYTORCHJOB.version}/namespaces/${ns}/${PYTORCHJOB.plural}`, selector,
          () => k.custom.listNamespacedCustomObject({ ...PYTORCHJOB, namespace: ns, labelSelector: selector }) as never,
          { synced: (items) => items.forEach((w) => workloadEvent(ns, w)), event: (_t, w) => workloadEvent(ns, w) }));
      }
      waits.push(jobWatches.get(ns)!.start());
    }
    ticker ??= setInterval(tick, TICK_MS);
    ticker.unref();
    try {
      await Promise.all(waits);
    } catch (e) {
      // A watch that could not list is forgotten, so that the next attempt tries again.
      for (const m of [podWatches, jobWatches]) { const w = m.get(ns); if (w) { w.stop(); m.delete(ns); } }
      throw e;
    }
  }

  function podsSynced(ns: string, pods: PodLike[]): void {
    const present = new Set<string>();
    for (const p of pods) { present.add(p.metadata?.name ?? ''); podEvent(ns, 'ADDED', p); }
    // Pods that went away while nobody watched (the API server was down).
    for (const live of lives.values()) {
      if (live.w.namespace === ns && live.podName && !present.has(live.podName) && !live.done) void podGone(live);
    }
  }

  function podEvent(ns: string, type: string, pod: PodLike): void {
    const job = pod.metadata?.labels?.[LABEL.job];
    const live = job ? lives.get(key(ns, job)) : undefined;
    if (!live || live.done) return;
    const replica = pod.metadata?.labels?.[LABEL.replica];
    if (replica && replica !== 'master') {
      // A worker: its log joins the run's; the master's status speaks for the run.
      const phase = pod.status?.phase;
      if (type !== 'DELETED' && pod.metadata?.name && (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed')) startLogs(live, pod.metadata.name);
      return;
    }
    if (type === 'DELETED') { if (pod.metadata?.name === live.podName || !live.podName) void podGone(live); return; }
    live.pod = pod;
    live.podName = pod.metadata?.name;
    update(live);
  }

  function workloadEvent(ns: string, w: WorkloadLike & { metadata?: { name?: string } }): void {
    const live = lives.get(key(ns, w.metadata?.name ?? ''));
    if (!live || live.done || live.w.kind !== 'PyTorchJob') return;
    const end = workloadEnd(w);
    if (!end) return;
    void finish(live, end.succeeded ? { exitCode: 0 } : { exitCode: live.podExit ?? null, failure: live.podFailure ?? workloadFailure(end) });
  }

  /** Re-reads a live attempt's pod against the clock: pending too long is a failure even when nothing changes. */
  function update(live: Live): void {
    if (!live.pod || live.done || live.ending) return;
    const v = podVerdict(live.pod, Date.now(), { scheduleTimeoutS: live.w.settings.scheduleTimeoutS, startTimeoutS: live.w.settings.startTimeoutS });
    const info: K8sAttempt = { ...live.info, pod: live.podName, phase: v.phase, node: v.node, detail: v.state === 'pending' ? v.detail : undefined };
    if (info.phase !== live.info.phase || info.node !== live.info.node || info.detail !== live.info.detail || info.pod !== live.info.pod) {
      live.info = info;
      live.onInfo?.(info);
    }
    if (v.state === 'running' || v.state === 'ended') startLogs(live, live.podName!);
    if (v.state === 'stuck') giveUp(live, v.failure);
    else if (v.state === 'ended') {
      if (live.w.kind === 'Job') void finish(live, { exitCode: v.exitCode, failure: v.failure });
      else { live.podFailure = v.failure; live.podExit = v.exitCode; }
    }
  }

  /** Ends an attempt that cannot start (stuck pending): its workload is deleted, so it holds nothing on the cluster. */
  function giveUp(live: Live, failure: Failure): void {
    if (live.givingUp) return;
    live.givingUp = true;
    void remove(live.w)
      .catch((e) => note(live, `could not delete ${live.w.kind} ${live.w.namespace}/${live.w.name}: ${messageOf(e)} — delete it yourself`))
      .then(() => finish(live, { exitCode: null, failure }));
  }

  /** The pod is gone before it ended: cancelled, timed out (the Job's deadline), or deleted by someone else. */
  async function podGone(live: Live): Promise<void> {
    if (live.done || live.ending) return;
    if (live.cancelled) return void finish(live, { exitCode: null });
    // The Job controller deletes the pod before it writes why; give it a moment.
    for (let i = 0; i < 25 && !live.done; i++) {
      const w = await read(live.w).catch(() => undefined);
      if (w === null) break;
      const end = w && workloadEnd(w);
      if (end) return void finish(live, end.succeeded ? { exitCode: 0 } : { exitCode: null, failure: workloadFailure(end) });
      if (live.cancelled) return void finish(live, { exitCode: null });
      await new Promise((r) => setTimeout(r, 200));
    }
    if (live.done) return;
    await finish(live, { exitCode: null, failure: { class: 'cancelled', message: `${live.w.kind} ${live.w.namespace}/${live.w.name} was deleted outside expctl` } });
  }

  function tick(): void {
    for (const live of lives.values()) {
      if (live.done || live.ending) continue;
      if (live.pod) update(live);
      const age = (Date.now() - live.createdMs) / 1000;
      if (live.cancelled && live.cancelSentMs && !live.podName && Date.now() - live.cancelSentMs > 2000) void finish(live, { exitCode: null });
      else if (!live.podName && !live.cancelled && age > live.w.settings.scheduleTimeoutS && live.w.kind === 'Job') {
        giveUp(live, { class: 'unschedulable', message: `no pod was created for ${Math.round(age)}s (schedule_timeout ${live.w.settings.scheduleTimeoutS}s); see kubectl -n ${live.w.namespace} describe job ${live.w.name} (a ResourceQuota or LimitRange may refuse it)` });
      }
    }
  }

  // ---- logs ----------------------------------------------------------------------------------
  /** `pod` for a Job's one pod; `master-0`, `worker-1` … for a PyTorchJob's replicas (their pod names' tails). */
  const replicaOf = (live: Live, pod: string) => (live.w.kind === 'Job' ? 'pod' : pod.startsWith(`${live.w.name}-`) ? pod.slice(live.w.name.length + 1) : pod);

  function podLog(live: Live, pod: string): PodLog {
    let log = live.logs.get(pod);
    if (!log) {
      const replica = replicaOf(live, pod);
      const file = path.join(live.runDir, `attempt-${live.n}.${replica}.log`);
      let seen = 0;
      try { seen = fs.readFileSync(file, 'utf8').split('\n').length - 1; } catch { /* none yet */ }
      log = { pod, file, prefix: replica === 'pod' || replica.startsWith('master') ? '' : `[${replica}] `, seen, partial: '' };
      live.logs.set(pod, log);
    }
    return log;
  }

  function emitLines(live: Live, log: PodLog, lines: string[]): void {
    if (!lines.length) return;
    const shown = log.prefix ? lines.map((l) => log.prefix + l) : lines;
    // stdout.log first: a runner killed between the two appends repeats these lines on resume rather than lose them.
    fs.appendFileSync(path.join(live.runDir, 'stdout.log'), shown.join('\n') + '\n');
    fs.appendFileSync(log.file, lines.join('\n') + '\n');
    log.seen += lines.length;
    for (const l of shown) live.onLine?.('stdout', l);
  }

  /** Follows a pod's log once (again for the same pod does nothing). */
  function startLogs(live: Live, pod: string): void {
    if (live.logs.get(pod)?.abort !== undefined || live.logs.get(pod)?.failed !== undefined || live.done || live.ending) return;
    const log = podLog(live, pod);
    let skip = log.seen; // lines a stopped runner already wrote
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (live.done || live.ending) return cb();
        const parts = (log.partial + chunk.toString('utf8')).split('\n');
        log.partial = parts.pop() ?? '';
        const fresh = parts.map((l) => l.replace(/\r$/, '')).filter(() => (skip > 0 ? (skip--, false) : true));
        try { emitLines(live, log, fresh); } catch (e) { log.failed = `writing to ${log.file}: ${(e as Error).message}`; }
        cb();
      },
    });
    log.abort = new AbortController(); // taken until the stream's own controller arrives
    api().log.log(live.w.namespace, pod, containerName(live.w.kind), sink, { follow: true })
      .then((ac) => { if (live.done || live.ending) ac.abort(); else log.abort = ac; })
      .catch((e) => { log.failed = messageOf(e); });
  }

  /** Ends the follow streams (under kwok and some runtimes they never end by themselves) and reads what they had not delivered yet. */
  async function finalLogs(live: Live): Promise<void> {
    if (live.podName) podLog(live, live.podName);
    await Promise.all([...live.logs.values()].map(async (log) => {
      log.abort?.abort();
      try {
        const text = await whenServerAnswers(() => api().core.readNamespacedPodLog({ name: log.pod, namespace: live.w.namespace, container: containerName(live.w.kind) }));
        const lines = String(text ?? '').split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        emitLines(live, log, lines.slice(log.seen).map((l) => l.replace(/\r$/, '')));
        log.failed = undefined;
      } catch (e) {
        if (statusOf(e) !== 404) log.failed = messageOf(e);
      }
    }));
  }

  /** `call`, again with backoff while the server does not answer (TRANSIENT), for up to `patienceMs`. */
  async function whenServerAnswers<T>(call: () => Promise<T>, patienceMs = 30_000): Promise<T> {
    for (let wait = 250, t0 = Date.now(); ; wait = Math.min(wait * 2, 5000)) {
      try {
        return await call();
      } catch (e) {
        if (!TRANSIENT.has(statusOf(e)) || Date.now() - t0 > patienceMs) throw e;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** A line of our own in the run's stderr.log, where `expctl logs` and the editor show it. */
  function note(live: Live, text: string): void {
    try { fs.appendFileSync(path.join(live.runDir, 'stderr.log'), `expctl: ${text}\n`); } catch { /* the run's folder is gone */ }
  }

  async function finish(live: Live, r: { exitCode: number | null; failure?: Failure }): Promise<void> {
    if (live.done || live.ending) return;
    live.ending = true;
    try { await finalLogs(live); } catch (e) { note(live, `the last logs could not be written: ${(e as Error).message}`); }
    for (const log of live.logs.values()) if (log.failed) note(live, `the logs of pod ${log.pod} could not be read: ${log.failed}`);
    live.done = true;
    lives.delete(key(live.w.namespace, live.w.name));
    const program = `${live.w.kind} ${live.w.namespace}/${live.w.name}`;
    live.resolve({
      exitCode: r.failure && r.exitCode === 0 ? null : r.exitCode, signal: null,
      timedOut: r.failure?.class === 'timeout', cancelled: live.cancelled, stderrTail: '', program,
      ...(r.failure && r.failure.class !== 'timeout' ? { failure: r.failure } : {}),
    });
  }

  // ---- API calls -------------------------------------------------------------------------------
  async function create(w: Workload): Promise<void> {
    const k = api();
    if (w.kind === 'Job') await k.batch.createNamespacedJob({ namespace: w.namespace, body: w.body as never });
    else await k.custom.createNamespacedCustomObject({ ...PYTORCHJOB, namespace: w.namespace, body: w.body });
  }

  /** The workload as the server has it; null when it does not exist. */
  async function read(w: { kind: Workload['kind']; namespace: string; name: string }): Promise<WorkloadLike | null> {
    const k = api();
    try {
      return w.kind === 'Job' ? await k.batch.readNamespacedJob({ name: w.name, namespace: w.namespace })
        : await k.custom.getNamespacedCustomObject({ ...PYTORCHJOB, namespace: w.namespace, name: w.name }) as WorkloadLike;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  }

  async function remove(w: { kind: Workload['kind']; namespace: string; name: string }): Promise<void> {
    const k = api();
    try {
      if (w.kind === 'Job') await k.batch.deleteNamespacedJob({ name: w.name, namespace: w.namespace, propagationPolicy: 'Background' });
      else await k.custom.deleteNamespacedCustomObject({ ...PYTORCHJOB, namespace: w.namespace, name: w.name, propagationPolicy: 'Background' });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
  }

  /**
   * The pods of one workload, dispatched as watch events: for a workload the watch knew before this
   * runner cared. Without them the attempt would wait for an event that may never come.
   */
  async function catchUp(live: Live): Promise<void> {
    try {
      const pods = await whenServerAnswers(() => api().core.listNamespacedPod({ namespace: live.w.namespace, labelSelector: `${LABEL.job}=${live.w.name}` }));
      for (const p of pods.items) podEvent(live.w.namespace, 'ADDED', p as PodLike);
    } catch (e) {
      await finish(live, { exitCode: null, failure: { class: 'spawn_error', message: `cannot read the pods of ${live.w.kind} ${live.w.namespace}/${live.w.name}: ${messageOf(e)}` } });
    }
  }

  function register(w: Workload, ref: AttemptRef, onLine?: LineSink, onInfo?: InfoSink): Live {
    let resolve!: Live['resolve'];
    const promise = new Promise<AttemptOutcome | undefined>((r) => { resolve = r; });
    const live: Live = {
      w, runDir: ref.runDir, n: ref.attempt, onLine, onInfo, logs: new Map(), createdMs: Date.now(), cancelled: false, done: false, resolve, promise,
      info: { kind: w.kind, namespace: w.namespace, name: w.name, context: kube?.context ?? config.context },
    };
    lives.set(key(w.namespace, w.name), live);
    return live;
  }

  /** `again`: once more, for a cancel that came while the workload was being created. */
  function cancelLive(live: Live, again = false): void {
    if (live.done || (live.cancelled && !again)) return;
    live.cancelled = true;
    void remove(live.w).then(() => { live.cancelSentMs = Date.now(); }, (e) => {
      note(live, `cancel: could not delete ${live.w.kind} ${live.w.namespace}/${live.w.name}: ${messageOf(e)}`);
      live.cancelSentMs = Date.now();
    });
  }

  const failedAttempt = (req: AttemptRef, failure: Failure): RunningAttempt => ({
    pid: Promise.resolve(undefined), cancel() {}, kill() {},
    done: Promise.resolve({ exitCode: null, signal: null, timedOut: false, cancelled: false, stderrTail: '', program: `attempt ${req.attempt}`, failure }),
  });

  return {
    name,
    kind: 'kubernetes',
    maxParallel: config.max_parallel,
    config,
    kube: api,
    // The cluster places GPUs: the runner only limits how many attempts are out at once.
    async inventory() { return undefined; },
    submit(req, onLine, onInfo) {
      let w: Workload;
      try {
        w = workloadOf(req);
      } catch (e) {
        if (e instanceof ManifestError) return failedAttempt(req, { class: 'config_error', message: e.message });
        throw e;
      }
      const live = register(w, req, onLine, onInfo);
      void (async () => {
        try {
          await ensureWatches(w.namespace, w.kind);
        } catch (e) {
          return finish(live, { exitCode: null, failure: { class: 'spawn_error', message: `cannot watch pods in namespace ${w.namespace} on ${api().server}: ${messageOf(e)}` } });
        }
        if (live.cancelled) return finish(live, { exitCode: null });
        // An API server that is away for a moment (restarting, overloaded) is waited for; a refusal
        // (invalid, forbidden, quota) fails the attempt at once.
        try {
          await whenServerAnswers(() => create(w), CREATE_PATIENCE_MS);
        } catch (e) {
          // Already there: a runner that stopped created it (or our own create, whose answer was lost) — adopted as it is.
          if (statusOf(e) === 409) return catchUp(live);
          return finish(live, { exitCode: null, failure: { class: 'spawn_error', message: `cannot create ${w.kind} ${w.namespace}/${w.name}: ${messageOf(e)}` } });
        }
        // Cancelled while it was being created: the delete then found nothing to delete.
        if (live.cancelled) cancelLive(live, true);
      })();
      return { pid: Promise.resolve(undefined), done: live.promise, cancel: () => cancelLive(live), kill: () => cancelLive(live), handle: live.info };
    },
    async adopt(ref, signal, onLine, onInfo) {
      const w = workloadOf(ref);
      const live = register(w, ref, onLine, onInfo);
      live.createdMs = Date.parse(ref.record.started) || Date.now();
      await ensureWatches(w.namespace, w.kind);
      const there = await whenServerAnswers(() => read(w));
      if (!there) { lives.delete(key(w.namespace, w.name)); return undefined; }
      signal?.addEventListener('abort', () => cancelLive(live), { once: true });
      await catchUp(live);
      const end = workloadEnd(there);
      if (end && !live.done && !live.ending && !live.podName) {
        // Ended, and its pods are gone (cleaned up): its status is all there is.
        void finish(live, end.succeeded ? { exitCode: 0 } : { exitCode: null, failure: workloadFailure(end) });
      } else if (end && live.w.kind === 'PyTorchJob') workloadEvent(w.namespace, there as WorkloadLike & { metadata?: { name?: string } });
      return live.promise;
    },
    async leftTrace(ref) {
      const w = workloadOf(ref);
      return (await whenServerAnswers(() => read(w))) !== null;
    },
    async cancelAttempt(runId: string, last: AttemptRecord | undefined, next: number, cfg?: Experiment) {
      const n = last && !last.ended ? last.n : next;
      const s: K8sSettings = settingsFor(cfg ?? ({} as Experiment), config);
      const w = last?.k8s && !last.ended ? last.k8s : { kind: s.kind, namespace: s.namespace, name: workloadName(runId, n) };
      await remove(w);
    },
    async preflight(configs) {
      const r = await preflight(api(), config, configs);
      gpuProducts = r.gpuProducts;
      return r;
    },
    close() {
      clearInterval(ticker);
      ticker = undefined;
      for (const m of [podWatches, jobWatches]) { for (const w of m.values()) w.stop(); m.clear(); }
      for (const live of lives.values()) for (const log of live.logs.values()) log.abort?.abort();
    },
    async collect() { /* logs were streamed into the run's folder as they came */ },
  };
}
