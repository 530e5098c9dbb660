// The cluster connection: a kubeconfig loaded once per target, the API clients, a shared watch per
// namespace and resource that survives disconnects, and errors turned into sentences. The only
// module (with the target) that imports @kubernetes/client-node: the editor's bundles never load it.
import * as fs from 'node:fs';
import type * as K8s from '@kubernetes/client-node';

// Loaded on first use (a bundle of its own in dist/, see esbuild.mjs): every other command of the
// CLI would pay to compile its 1.7 MB at start.
let loaded: typeof K8s | undefined;
const client = (): typeof K8s => {
  // Its dependencies use punycode and url.parse, which Node 22+ reports as deprecated on every
  // use — noise for a user who cannot act on it.
  process.noDeprecation = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@kubernetes/client-node') as typeof K8s);
};

export class KubeError extends Error {
  constructor(message: string, readonly code?: number) { super(message); }
}

export interface Kube {
  kc: K8s.KubeConfig;
  context: string;
  server: string;
  core: K8s.CoreV1Api;
  batch: K8s.BatchV1Api;
  custom: K8s.CustomObjectsApi;
  auth: K8s.AuthorizationV1Api;
  log: K8s.Log;
  watch: K8s.Watch;
}

/**
 * Loads `file` (else $KUBECONFIG, else ~/.kube/config) and picks `context` (else the current one).
 * Credentials stay inside the KubeConfig: nothing here prints or stores them.
 */
export function connect(file: string | undefined, context: string | undefined): Kube {
  const k8s = client();
  const kc = new k8s.KubeConfig();
  try {
    if (file) {
      if (!fs.existsSync(file)) throw new KubeError(`kubeconfig ${file} does not exist (set kubeconfig: in targets.yaml, or KUBECONFIG)`);
      kc.loadFromFile(file);
    } else kc.loadFromDefault();
  } catch (e) {
    if (e instanceof KubeError) throw e;
    throw new KubeError(`cannot read the kubeconfig${file ? ` ${file}` : ''}: ${(e as Error).message}`);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  if (context !== undefined) {
    if (!contexts.includes(context)) {
      throw new KubeError(`context '${context}' is not in the kubeconfig${file ? ` ${file}` : ''} (it has: ${contexts.join(', ') || 'none'}) — fix context: in targets.yaml`);
    }
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError(`the kubeconfig${file ? ` ${file}` : ''} has no current context; set context: in targets.yaml`);
  return {
    kc, context: kc.getCurrentContext(), server: cluster.server,
    core: kc.makeApiClient(k8s.CoreV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi),
    auth: kc.makeApiClient(k8s.AuthorizationV1Api), log: new k8s.Log(kc), watch: new k8s.Watch(kc),
  };
}

/** The status code of an API error (0 when the server was not reached). */
export function statusOf(e: unknown): number {
  const x = e as { code?: unknown; statusCode?: unknown };
  return typeof x?.code === 'number' ? x.code : typeof x?.statusCode === 'number' ? x.statusCode : 0;
}

/** The API server's own message (a Status object's `message`), else the error's. */
export function messageOf(e: unknown): string {
  const body = (e as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try { const m = (JSON.parse(body) as { message?: string }).message; if (m) return m; } catch { /* not JSON */ }
  } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  const err = e as { message?: string; cause?: { code?: string } };
  return err?.cause?.code ?? err?.message ?? String(e);
}

export const PYTORCHJOB = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' } as const;

export interface WatchHandler<T> {
  /** Every object the list returned, after each (re)list: what happened while nobody watched. */
  synced(items: T[]): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

/**
 * One watch of a resource in a namespace, by label selector: list, then watch from the list's
 * resourceVersion; after a disconnect, watch again from the last version seen (nothing is missed),
 * with backoff while the server is away; a version too old (410 Gone) means list again.
 */
export class SharedWatch<T extends { metadata?: { resourceVersion?: string } }> {
  private rv: string | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private delayMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly path: string,
    private readonly selector: string,
    private readonly list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>,
    private readonly handler: WatchHandler<T>,
  ) {}

  /** Resolves once the first list is in (events after it are not missed); rejects when that list fails. */
  start(): Promise<void> {
    this.ready ??= this.relist().then(() => this.connect());
    return this.ready;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    const l = await this.list();
    this.rv = l.metadata?.resourceVersion;
    this.handler.synced(l.items);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    let got = false;
    this.abort = await this.kube.watch.watch(this.path, { labelSelector: this.selector, resourceVersion: this.rv, allowWatchBookmarks: true },
      (type, obj: T & { code?: number }) => {
        got = true;
        if (type === 'ERROR') { if (obj?.code === 410) gone = true; return; }
        if (obj?.metadata?.resourceVersion) this.rv = obj.metadata.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.handler.event(type, obj);
      },
      (err) => {
        if (this.stopped) return;
        if (statusOf(err) === 410) gone = true;
        // A watch the server ended normally reconnects at once; a failed one backs off.
        this.delayMs = err && !got ? Math.min(Math.max(250, this.delayMs * 2), 5000) : 0;
        this.timer = setTimeout(() => { void this.reconnect(gone); }, this.delayMs);
      });
  }

  private async reconnect(gone: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      if (gone || this.rv === undefined) await this.relist();
      await this.connect();
    } catch {
      // The server is still away: the next try waits longer.
      this.delayMs = Math.min(Math.max(250, this.delayMs * 2), 5000);
      this.timer = setTimeout(() => { void this.reconnect(gone); }, this.delayMs);
    }
  }
}
