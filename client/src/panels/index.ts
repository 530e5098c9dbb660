// The extension's webview panels: Run, Sweep, Compare and Campaign report. One panel per thing shown
// (opening it again reveals it), restored after a reload or restart by a WebviewPanelSerializer per
// kind from the state the webview keeps (`{kind, key, ui}`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { VIEW_TYPES } from '../../../webviews/src/contract';
import type { PanelKeys, PanelKind } from '../../../webviews/src/contract';
import type { Results } from '../results';
import { webviewOptions, type BasePanel, type PanelHost } from './base';
import { keyFromState, keyId, parseKey } from './keys';
import { CampaignPanel, ComparePanel, RunPanel, SweepPanel } from './kinds';

const KINDS: readonly PanelKind[] = ['run', 'sweep', 'compare', 'campaign'];

export class Panels implements vscode.Disposable {
  private readonly open = new Map<string, BasePanel<PanelKind>>();
  private readonly host: PanelHost;

  constructor(context: vscode.ExtensionContext, results: Results) {
    this.host = { extensionUri: context.extensionUri, results, openRun: (id) => this.openRun(id), showLogs: (id) => void vscode.commands.executeCommand('expctl.showLogs', id) };
    for (const kind of KINDS) {
      context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPES[kind], {
        deserializeWebviewPanel: async (panel, state) => {
          const key = keyFromState(kind, state);
          // A state this version cannot read (or none: the panel closed before its first init).
          if (!key) { panel.dispose(); return; }
          this.show(kind, key, panel);
        },
      }));
    }
    context.subscriptions.push(this);
  }

  openRun(runId: string): void { this.show('run', { runId }); }

  openSweep(sweepId: string): void { this.show('sweep', { sweepId }); }

  openCompare(sel: { runIds?: string[]; sweepIds?: string[] }): void {
    const key = parseKey('compare', { runIds: sel.runIds ?? [], sweepIds: sel.sweepIds ?? [] });
    if (key) this.show('compare', key);
    else void vscode.window.showWarningMessage('expctl: select runs or sweeps to compare.');
  }

  openCampaign(csv: vscode.Uri): void { this.show('campaign', { csv: csv.fsPath }); }

  dispose(): void {
    for (const p of [...this.open.values()]) p.dispose();
  }

  private show<K extends PanelKind>(kind: K, key: PanelKeys[K], restored?: vscode.WebviewPanel): void {
    const id = keyId(kind, key);
    const cur = this.open.get(id);
    if (cur) {
      if (restored) restored.dispose();
      else cur.reveal();
      return;
    }
    const panel = restored ?? vscode.window.createWebviewPanel(VIEW_TYPES[kind], placeholderTitle(kind, key), vscode.ViewColumn.Active, webviewOptions(this.host.extensionUri));
    const p = create(kind, key, panel, this.host);
    p.onDispose = () => this.open.delete(id);
    this.open.set(id, p);
  }
}

function create<K extends PanelKind>(kind: K, key: PanelKeys[K], panel: vscode.WebviewPanel, host: PanelHost): BasePanel<PanelKind> {
  switch (kind) {
    case 'run': return new RunPanel('run', key as PanelKeys['run'], panel, host) as BasePanel<PanelKind>;
    case 'sweep': return new SweepPanel('sweep', key as PanelKeys['sweep'], panel, host) as BasePanel<PanelKind>;
    case 'compare': return new ComparePanel('compare', key as PanelKeys['compare'], panel, host) as BasePanel<PanelKind>;
    default: return new CampaignPanel('campaign', key as PanelKeys['campaign'], panel, host) as BasePanel<PanelKind>;
  }
}

function placeholderTitle<K extends PanelKind>(kind: K, key: PanelKeys[K]): string {
  const k = key as Partial<PanelKeys['run'] & PanelKeys['sweep'] & PanelKeys['campaign']>;
  switch (kind) {
    case 'run': return `Run ${k.runId}`;
    case 'sweep': return `Sweep ${k.sweepId}`;
    case 'compare': return 'Compare';
    default: return `Report ${path.basename(k.csv ?? '')}`;
  }
}
