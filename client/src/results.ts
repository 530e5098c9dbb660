// The results stores the editor shows, kept fresh by polling: runs are written by runner processes
// (often detached, outliving the window), so the files are the only truth. A store is re-read when
// its journal changed, and every tick while something in it is active — run.json is written just
// after its journal line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FileStore, storeDirFor } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { anyActive, storeStatus } from '../../core/src/runner/status';
import type { SweepStatus } from '../../core/src/runner/status';
import { resolvePath, settings } from './settings';

export interface StoreView { root: string; store: FileStore; sweeps: SweepStatus[] }

export class Results implements vscode.Disposable {
  private views = new Map<string, StoreView & { stamp: string }>();
  private extra = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor() {
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

  /** Re-reads what changed now; fires onDidChange if anything did. */
  refresh(): void {
    let changed = false;
    const roots = this.roots();
    for (const root of [...this.views.keys()]) if (!roots.includes(root)) { this.views.delete(root); changed = true; }
    for (const root of roots) {
      const stamp = stampOf(root);
      const cur = this.views.get(root);
      if (stamp === undefined) { if (cur) { this.views.delete(root); changed = true; } continue; }
      if (cur && cur.stamp === stamp && !anyActive(cur.sweeps)) continue;
      const store = new FileStore(root);
      const sweeps = storeStatus(store);
      if (!cur || cur.stamp !== stamp || JSON.stringify(cur.sweeps) !== JSON.stringify(sweeps)) changed = true;
      this.views.set(root, { root, store, sweeps, stamp });
    }
    if (changed) this.emitter.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.emitter.dispose();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      try { this.refresh(); } finally { this.schedule(); }
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

/** Size and time of the store's journal (every event appends to it); undefined = no store. */
function stampOf(root: string): string | undefined {
  try {
    const st = fs.statSync(path.join(root, 'journal.jsonl'));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}
