// Series as the extension sends them (x and y arrays) into the `{x, y}` points chart configs take.
import type { Point } from '../../../core/src/charts';
import type { Series } from '../contract';

/** Appends series points; returns the names that got any. Names of series over steps go into `steps`. */
export function appendSeries(into: Map<string, Point[]>, add: Record<string, Series>, steps?: Set<string>): string[] {
  const changed: string[] = [];
  for (const [name, s] of Object.entries(add)) {
    if (s.steps) steps?.add(name);
    let pts = into.get(name);
    if (!pts) into.set(name, (pts = []));
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) pts.push({ x: s.x[i], y: s.y[i] });
    if (n) changed.push(name);
  }
  return changed;
}

/** The x axis of metric charts: records without a `step` are plotted against the metric's count of reports. */
export function metricXTitle(steps: boolean): string {
  return steps ? 'Step' : 'Report #';
}
