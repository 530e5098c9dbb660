// What every panel's script does the same way: say ready, route the extension's messages to the
// panel, keep the chart theme in step with VS Code's, save UI choices, and show export outcomes.
import type { ChartTheme } from '../../../core/src/charts';
import type { ExportFormat, FromWebview, InitMessage, PanelKind, PanelKeys, PanelUpdates, UiStates } from '../contract';
import { route, sameKey } from '../lib/messages';
import { panelTheme } from '../lib/theme';
import { h } from './dom';
import { connect } from './host';

export interface PanelView<K extends PanelKind> {
  /** Builds everything from scratch (the first init, and every one after a reset). */
  init(m: InitMessage<K>): void;
  update(data: PanelUpdates[K]): void;
  /** VS Code's colours changed: draw the charts again. */
  retheme(): void;
}

export interface PanelContext<K extends PanelKind> {
  /** The panel's content goes here (emptied on init). */
  readonly root: HTMLElement;
  theme(): ChartTheme;
  post(m: FromWebview): void;
  /** Asks the extension to save a file; the outcome shows in the status line. */
  exportFile(format: ExportFormat, name: string, data: string): void;
  /** UI choices saved before a reload (empty for a new panel). */
  ui(): UiStates[K];
  saveUi(ui: UiStates[K]): void;
}

export function start<K extends PanelKind>(kind: K, create: (ctx: PanelContext<K>) => PanelView<K>): void {
  const host = connect(kind);
  const app = document.getElementById('app')!;
  const status = h('div', { class: 'status-line', attrs: { role: 'status', 'aria-live': 'polite' } });
  const root = h('div', { class: 'panel' });
  app.replaceChildren(root, status);

  // Custom properties inherit: the body sees those VS Code sets on <html>.
  const readTheme = () => { const style = getComputedStyle(document.body); return panelTheme((name) => style.getPropertyValue(name), [...document.body.classList]); };
  let theme = readTheme();
  let key: PanelKeys[K] | undefined;
  let ui = {} as UiStates[K];
  let view: PanelView<K> | undefined;

  const ctx: PanelContext<K> = {
    root,
    theme: () => theme,
    post: (m) => host.post(m),
    exportFile: (format, name, data) => { status.textContent = `Exporting ${name}.${format}…`; host.post({ type: 'export', format, name, data }); },
    ui: () => ui,
    saveUi: (next) => { ui = next; if (key) host.save({ kind, key, ui } as Parameters<typeof host.save>[0]); },
  };

  window.addEventListener('message', (e: MessageEvent) => {
    const m = route(kind, e.data);
    if (!m) return;
    switch (m.type) {
      case 'init': {
        const saved = host.state();
        key = m.message.key;
        ui = saved && sameKey(saved.key, key) ? saved.ui : ({} as UiStates[K]);
        ctx.saveUi(ui);
        document.title = m.message.title;
        root.replaceChildren();
        status.textContent = '';
        view ??= create(ctx);
        view.init(m.message);
        break;
      }
      case 'update': view?.update(m.data); break;
      case 'missing': root.replaceChildren(h('p', { class: 'placeholder', text: m.message })); view = undefined; break;
      case 'exported': status.textContent = m.note ?? ''; break;
    }
  });

  // VS Code restyles a webview by its body class (light, dark, high contrast) and the variables on <html>.
  let frame = 0;
  const observer = new MutationObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => { theme = readTheme(); view?.retheme(); });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

  host.post({ type: 'ready' });
}
