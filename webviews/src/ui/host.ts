// The webview's side of the contract: acquireVsCodeApi (callable once per load), typed.
import type { FromWebview, PanelKind, WebviewState } from '../contract';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Host<K extends PanelKind> {
  post(message: FromWebview): void;
  /** The state this panel saved before a reload, if it is one of this kind's. */
  state(): WebviewState<K> | undefined;
  save(state: WebviewState<K>): void;
}

export function connect<K extends PanelKind>(kind: K): Host<K> {
  const api = acquireVsCodeApi();
  return {
    post: (m) => api.postMessage(m),
    state: () => {
      const s = api.getState() as WebviewState<K> | undefined;
      return s && s.kind === kind ? s : undefined;
    },
    save: (s) => api.setState(s),
  };
}
