// The experiment's target: unknown-target (the reference check is shared with targets.ts).
import type { Path } from '../../diagnostic';
import type { RuleContext } from '../api';
import { yamlString } from '../../util/yaml-scalar';
import { isObj, own } from '../../util/object';
import { closestName, fix, q, rule } from './common';

/** Names of the targets in a targets file, or [] when it has none readable. */
export function targetNames(targets: unknown): string[] {
  const t = own(targets, 'targets');
  return isObj(t) ? Object.keys(t) : [];
}

/** Reports `unknown-target` for a target reference that `names` lacks (`local` is always known). */
export function checkTargetReference(ctx: RuleContext, name: string, path: Path, label: string, names: string[], where: string): void {
  if (name === 'local' || names.includes(name)) return;
  const known = ['local', ...names.filter((n) => n !== 'local')];
  const guess = closestName(name, known);
  ctx.report({
    rule: 'unknown-target',
    severity: 'error',
    path,
    message: `${label} ${q(name)} is not defined in ${where}; known targets: ${known.join(', ')}`
      + (guess ? `. Did you mean ${q(guess)}?` : `. Define ${q(name)} under targets: or pick a known one`),
    fixes: guess ? [fix(`Change to ${q(guess)}`, path, yamlString(guess))] : undefined,
  });
}

export const unknownTarget = rule('unknown-target', (ctx, c) => {
  const target = own(c, 'target');
  if (typeof target !== 'string' || target === 'local' || target === '') return;
  if (ctx.targets == null) {
    ctx.report({
      rule: 'unknown-target',
      severity: 'warning',
      path: ['target'],
      message: `target ${q(target)} is set but no targets.yaml found next to this file or above; `
        + `create one that defines ${q(target)}, or use target: local`,
    });
    return;
  }
  checkTargetReference(ctx, target, ['target'], 'target', targetNames(ctx.targets), 'targets.yaml');
});
