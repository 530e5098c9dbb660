// `report --derive NAME=EXPR`: a value per attempt computed from its fields or columns (load.ts),
// summarised over the report's attempts, overall and per resource. Attempts that get no value (a
// missing input, a division by zero) are counted with their reasons, never silently left out.
import type { Derivation } from '../stats/derive';
import { distribution } from './compute';
import type { Attempt } from './load';
import type { DerivedStats } from './types';

export function derivedStats(defs: readonly Derivation[], attempts: readonly Attempt[]): DerivedStats[] {
  return defs.map((d) => {
    const all: number[] = [];
    const byResource = new Map<string, number[]>();
    const reasons: Record<string, number> = {};
    for (const a of attempts) {
      const o = a.derived?.get(d.name);
      if (!o) continue;
      if (o.value === undefined) { reasons[o.reason] = (reasons[o.reason] ?? 0) + 1; continue; }
      all.push(o.value);
      const list = byResource.get(a.resource) ?? [];
      list.push(o.value);
      byResource.set(a.resource, list);
    }
    return {
      name: d.name,
      expression: d.text,
      overall: distribution(all),
      resources: [...byResource].sort(([x], [y]) => x.localeCompare(y)).map(([resource, v]) => ({ resource, values: distribution(v)! })),
      missing: attempts.length - all.length,
      reasons,
    };
  });
}
