// Messages from the extension, checked before a panel acts on them: a message of another kind or
// type (an older extension, a stray postMessage) is ignored rather than half-applied.
import type { InitMessage, PanelKind, PanelUpdates, ToWebview } from '../contract';

export type Routed<K extends PanelKind> =
  | { type: 'init'; message: InitMessage<K> }
  | { type: 'update'; data: PanelUpdates[K] }
  | { type: 'missing'; message: string }
  | { type: 'exported'; note: string | undefined };

export function route<K extends PanelKind>(kind: K, data: unknown): Routed<K> | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as ToWebview;
  switch (m.type) {
    case 'init': return m.kind === kind && typeof m.data === 'object' && m.data !== null ? { type: 'init', message: m as InitMessage<K> } : undefined;
    case 'update': return m.kind === kind && typeof m.data === 'object' && m.data !== null ? { type: 'update', data: m.data as PanelUpdates[K] } : undefined;
    case 'missing': return { type: 'missing', message: String(m.message) };
    case 'exported': return { type: 'exported', note: exportNote(m) };
    default: return undefined;
  }
}

/** What the status line says after an export; nothing when the user cancelled the dialog. */
export function exportNote(m: Extract<ToWebview, { type: 'exported' }>): string | undefined {
  if (m.ok) return `Saved ${m.file ?? m.name}`;
  return m.message ? `Could not export ${m.name}: ${m.message}` : undefined;
}

/** The same key, whatever the order of its fields. */
export function sameKey(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => (Array.isArray(v) ? v.map(norm) : typeof v === 'object' && v !== null
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm((v as Record<string, unknown>)[k])])) : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
