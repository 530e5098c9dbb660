// Series as the extension sends them (x and y arrays) into the `{x, y}` points chart configs take.
import type { Point } from '../../../core/src/charts';
import type { Series } from '../contract';

/** Appends series points; returns the names that got any. */
export function appendSeries(into: Map<string, Point[]>, add: Record<string, Series>): string[] {
  const changed: string[] = [];
  for (const [name, s] of Object.entries(add)) {
    let pts = into.get(name);
    if (!pts) into.set(name, (pts = []));
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) pts.push({ x: s.x[i], y: s.y[i] });
    if (n) changed.push(name);
  }
  return changed;
}
