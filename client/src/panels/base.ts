// What every panel does the same way: the webview (scripts on, resources only from dist/webviews,
// destroyed when hidden), the HTML under a nonce CSP, the ready handshake, live updates throttled to
// 4 a second (on Results.onDidChange, plus a poll of the run files while something runs), and
// exports through a save dialog and an atomic write. Subclasses say what the data is.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../../core/src/store/atomic';
import type { FromWebview, InitMessage, PanelData, PanelKeys, PanelKind, PanelSettings, PanelUpdates, ToWebview } from '../../../webviews/src/contract';
import type { Results } from '../results';
import { settings } from '../settings';
import { EXPORT_FILTERS, exportContent, exportFileName } from './export';
import { MessageGate } from './gate';
import { newNonce, panelHtml } from './html';
import { throttle } from './throttle';

/** Live updates at most 4 a second. */
export const MIN_UPDATE_MS = 250;

/** Bootstrap resamples in the Compare panel: fewer than the CLI's 5,000, as it recomputes live. */
const PANEL_RESAMPLES = 2000;

export interface PanelHost {
  extensionUri: vscode.Uri;
  results: Results;
  openRun(runId: string): void;
  showLogs(runId: string): void;
}

export type Snapshot<K extends PanelKind> = { title: string; data: PanelData[K] } | { missing: string };

/** An update, nothing new (undefined), or 'reset': send a whole init again. */
export type Delta<K extends PanelKind> = PanelUpdates[K] | 'reset' | undefined;

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews')],
    // A hidden panel is destroyed and rebuilt from init + getState: no memory held by background tabs.
    retainContextWhenHidden: false,
  };
}

export abstract class BasePanel<K extends PanelKind> implements vscode.Disposable {
  /** Called once, when the panel is closed or disposed. */
  onDispose?: () => void;
  protected readonly gate: MessageGate<ToWebview>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly push = throttle(() => this.sendUpdate(), MIN_UPDATE_MS);
  private timer?: NodeJS.Timeout;
  /** The last message said `missing`: the next change tries an init again. */
  private waiting = false;
  private disposed = false;

  constructor(readonly kind: K, readonly key: PanelKeys[K], readonly panel: vscode.WebviewPanel, protected readonly host: PanelHost) {
    const webview = panel.webview;
    // Restored panels come back with the options they were saved with; set ours either way.
    webview.options = webviewOptions(host.extensionUri);
    const media = vscode.Uri.joinPath(host.extensionUri, 'dist', 'webviews');
    webview.html = panelHtml({
      kind, title: panel.title, cspSource: webview.cspSource, nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, `${kind}.js`)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panels.css')).toString(),
    });
    // An export can finish after the panel closed: a disposed webview throws on postMessage.
    this.gate = new MessageGate((m) => { if (!this.disposed) void webview.postMessage(m); });
    this.subscriptions.push(
      webview.onDidReceiveMessage((m: FromWebview) => this.receive(m)),
      // Hidden = destroyed: what we post now is lost; the webview says ready again when shown.
      panel.onDidChangeViewState(() => { if (!panel.visible) this.gate.close(); }),
      panel.onDidDispose(() => this.dispose()),
      host.results.onDidChange(() => this.push()),
    );
    this.tick();
  }

  /** Everything the panel shows, now. */
  protected abstract snapshot(): Snapshot<K>;
  /** What changed since the last init or update. */
  protected abstract delta(): Delta<K>;
  /** Whether to look at run files every liveUpdateMs (something is running), beyond Results' changes. */
  protected polls(): boolean { return false; }
  /** Where the save dialog starts. */
  protected exportDir(): string { return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir(); }
  /** Messages only this kind of panel understands. */
  protected onMessage(_m: FromWebview): void { /* none by default */ }

  protected post(m: ToWebview): void { this.gate.post(m); }

  reveal(): void { this.panel.reveal(); }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.push.cancel();
    clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
    this.panel.dispose();
    this.onDispose?.();
  }

  private receive(m: FromWebview): void {
    switch (m.type) {
      case 'ready': this.gate.ready(this.initMessage()); break;
      case 'export': void this.export(m); break;
      case 'openRun': this.host.openRun(m.runId); break;
      case 'showLogs': this.host.showLogs(m.runId); break;
      default: this.onMessage(m);
    }
  }

  private initMessage(): ToWebview {
    const snap = this.snapshot();
    this.waiting = 'missing' in snap;
    if ('missing' in snap) return { type: 'missing', message: snap.missing };
    this.panel.title = snap.title;
    const settings: PanelSettings = { liveUpdateMs: liveUpdateMs(), resamples: PANEL_RESAMPLES, seed: 1 };
    return { type: 'init', kind: this.kind, key: this.key, title: snap.title, data: snap.data, settings } as InitMessage<K> as ToWebview;
  }

  private sendUpdate(): void {
    if (this.disposed || !this.gate.isOpen) return;
    const d = this.waiting ? 'reset' : this.delta();
    if (d === 'reset') {
      const wasWaiting = this.waiting;
      const m = this.initMessage();
      // Still missing: say so once, not on every change.
      if (m.type !== 'missing' || !wasWaiting) this.post(m);
    } else if (d !== undefined) {
      this.post({ type: 'update', kind: this.kind, data: d } as ToWebview);
    }
  }

  /** The poll of run files: a stat per file and tick while the panel is shown and something runs. */
  private tick = (): void => {
    if (this.disposed) return;
    if (this.panel.visible && this.gate.isOpen && this.polls()) this.push();
    this.timer = setTimeout(this.tick, liveUpdateMs());
  };

  private async export(m: Extract<FromWebview, { type: 'export' }>): Promise<void> {
    const name = exportFileName(m.name, m.format);
    try {
      const content = exportContent(m);
      const uri = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(this.exportDir(), name)), filters: EXPORT_FILTERS[m.format], saveLabel: 'Export', title: `Export ${name}`,
      });
      if (!uri) { this.post({ type: 'exported', ok: false, name }); return; }
      if (uri.scheme === 'file') writeFileAtomic(uri.fsPath, content);
      else await vscode.workspace.fs.writeFile(uri, typeof content === 'string' ? new TextEncoder().encode(content) : content);
      this.post({ type: 'exported', ok: true, name, file: uri.scheme === 'file' ? uri.fsPath : uri.toString() });
    } catch (e) {
      this.post({ type: 'exported', ok: false, name, message: (e as Error).message });
    }
  }
}

function liveUpdateMs(): number {
  return settings().liveUpdateMs;
}
