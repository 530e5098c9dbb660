// Panel keys: what a panel shows, as the map of open panels and the restored webview state see it.
// Pure (no vscode), for tests.
import type { PanelKeys, PanelKind } from '../../../webviews/src/contract';

const ids = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...new Set(v as string[])].sort() : undefined;

/**
 * The key from untrusted JSON (a webview state saved by this or an older version): undefined unless
 * it has the fields this kind needs. Compare selections come back sorted and without duplicates.
 */
export function parseKey<K extends PanelKind>(kind: K, key: unknown): PanelKeys[K] | undefined {
  if (typeof key !== 'object' || key === null) return undefined;
  const k = key as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  let out: PanelKeys[PanelKind] | undefined;
  switch (kind) {
    case 'run': { const runId = str(k.runId); out = runId ? { runId } : undefined; break; }
    case 'sweep': { const sweepId = str(k.sweepId); out = sweepId ? { sweepId } : undefined; break; }
    case 'compare': {
      const runIds = ids(k.runIds ?? []);
      const sweepIds = ids(k.sweepIds ?? []);
      out = runIds && sweepIds && runIds.length + sweepIds.length > 0 ? { runIds, sweepIds } : undefined;
      break;
    }
    case 'campaign': { const csv = str(k.csv); out = csv ? { csv } : undefined; break; }
  }
  return out as PanelKeys[K] | undefined;
}

/** The key inside a state restored by a WebviewPanelSerializer (`{kind, key, ui}`). */
export function keyFromState<K extends PanelKind>(kind: K, state: unknown): PanelKeys[K] | undefined {
  if (typeof state !== 'object' || state === null || (state as { kind?: unknown }).kind !== kind) return undefined;
  return parseKey(kind, (state as { key?: unknown }).key);
}

/** One string per panel: the same selection, however ordered, is the same panel. */
export function keyId<K extends PanelKind>(kind: K, key: PanelKeys[K]): string {
  return `${kind}:${JSON.stringify(parseKey(kind, key))}`;
}
