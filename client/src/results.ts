// The results stores the editor shows. Runs are written by runner processes (often detached,
// outliving the window), so the files are the only truth: each store is watched by core's
// incremental reader (core/src/store/reader.ts), which tails the store's journal and re-reads only
// the runs it names, with async file I/O — the extension host's thread never waits on the disk.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { storeDirFor } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { StoreReader } from '../../core/src/store/reader';
import { anyActive, storeStatus } from '../../core/src/runner/status';
import type { SweepStatus } from '../../core/src/runner/status';
import { resolvePath, settings } from './settings';

export interface StoreView { root: string; store: StoreReader; sweeps: SweepStatus[] }

export class Results implements vscode.Disposable {
  private readers = new Map<string, StoreReader>();
  private views = new Map<string, StoreView & { json: string }>();
  private extra = new Set<string>();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  /** A look asked for while one was under way: it runs after, so that it sees what was asked (a store just tracked). */
  private next?: Promise<void>;
  private disposed = false;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.schedule();
  }

  /** The store a file's runs go to (the setting, else as the CLI finds it). */
  storeFor(file: string): string {
    const configured = settings(vscode.Uri.file(file)).resultsFolder;
    return configured ? resolvePath(configured, vscode.Uri.file(file)) : storeDirFor(file);
  }

  /** Starts showing a store (one a run was just launched into). */
  track(root: string): void {
    if (!this.extra.has(root)) { this.extra.add(root); this.refresh(); }
  }

  all(): StoreView[] { return [...this.views.values()]; }

  sweep(sweepId: string): { view: StoreView; status: SweepStatus } | undefined {
    for (const view of this.views.values()) {
      const status = view.sweeps.find((s) => s.id === sweepId);
      if (status) return { view, status };
    }
    return undefined;
  }

  runs(root: string, sweepId: string): RunRecord[] {
    return (this.views.get(root)?.store.all() ?? []).filter((r) => r.sweep_id === sweepId);
  }

  run(runId: string): { view: StoreView; run: RunRecord } | undefined {
    for (const view of this.views.values()) {
      const run = view.store.get(runId);
      if (run) return { view, run };
    }
    return undefined;
  }

  /** Looks at the stores now (in the background); onDidChange fires if anything changed. */
  refresh(): void { void this.update(); }

  /** Takes in what changed in the stores; resolves once it has (and onDidChange has fired, if it did). */
  update(): Promise<void> {
    if (this.looking) return (this.next ??= this.looking.then(() => { this.next = undefined; return this.update(); }));
    this.looking = this.look().catch((e: unknown) => {
      this.log.error(`expctl: could not read the results stores: ${(e as Error).message}`);
    }).finally(() => { this.looking = undefined; });
    return this.looking;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.emitter.dispose();
  }

  private async look(): Promise<void> {
    const roots = this.roots();
    let changed = false;
    for (const root of [...this.readers.keys()]) if (!roots.includes(root)) this.readers.delete(root);
    const looked = await Promise.all(roots.map(async (root) => {
      let reader = this.readers.get(root);
      if (!reader) this.readers.set(root, (reader = new StoreReader(root)));
      return { root, reader, news: await reader.refresh() };
    }));
    const views = new Map<string, StoreView & { json: string }>();
    for (const { root, reader, news } of looked) {
      const cur = this.views.get(root);
      if (!reader.all().length) { if (cur) changed = true; continue; }
      // While something runs its elapsed time and latest metric change without a journal line.
      if (!news && cur && !anyActive(cur.sweeps)) { views.set(root, cur); continue; }
      const sweeps = storeStatus(reader);
      const json = JSON.stringify(sweeps);
      if (news || cur?.json !== json) changed = true;
      views.set(root, { root, store: reader, sweeps, json });
    }
    for (const root of this.views.keys()) if (!views.has(root)) changed = true;
    this.views = views;
    if (changed && !this.disposed) this.emitter.fire();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.update().finally(() => { if (!this.disposed) this.schedule(); });
    }, settings().liveUpdateMs);
  }

  private roots(): string[] {
    const out = new Set(this.extra);
    for (const f of vscode.workspace.workspaceFolders ?? []) {
      const configured = settings(f.uri).resultsFolder;
      out.add(configured ? resolvePath(configured, f.uri) : storeDirFor(path.join(f.uri.fsPath, 'x')));
      // A store right in the folder, even when a .git above it claims the default.
      out.add(path.join(f.uri.fsPath, '.expctl'));
    }
    return [...out];
  }
}
