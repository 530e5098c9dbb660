// Semantic rules for `targets.yaml`. Defensive like the experiment rules: the file may be
// schema-invalid in places, and no rule may throw.
import type { Rule, RuleContext } from './api';
import { checkKubernetesSpec, checkNamespace, checkTargetReference, q, targetNames } from './experiment';
import { isObj, own } from '../util/object';
import type { Obj } from '../util/object';

function rule(id: string, check: (ctx: RuleContext, config: Obj) => void): Rule {
  return {
    id,
    kinds: ['targets'],
    check(ctx) {
      if (isObj(ctx.config)) check(ctx, ctx.config);
    },
  };
}

/** The targets mapping as [name, target] pairs, skipping entries that are not objects. */
function eachTarget(config: Obj): Array<[string, Obj]> {
  const targets = own(config, 'targets');
  if (!isObj(targets)) return [];
  return Object.keys(targets).flatMap((name): Array<[string, Obj]> => {
    const t = targets[name];
    return isObj(t) ? [[name, t]] : [];
  });
}

const unknownTarget = rule('unknown-target', (ctx, c) => {
  const def = own(c, 'default');
  if (typeof def !== 'string' || def === '') return;
  checkTargetReference(ctx, def, ['default'], 'default target', targetNames(c), 'this file');
});

const k8sName = rule('k8s-name', (ctx, c) => {
  for (const [name, t] of eachTarget(c)) {
    if (own(t, 'type') !== 'kubernetes') continue;
    checkNamespace(ctx, own(t, 'namespace'), ['targets', name, 'namespace'], `targets.${name}.namespace`);
    checkKubernetesSpec(ctx, own(own(t, 'defaults'), 'kubernetes'), ['targets', name, 'defaults', 'kubernetes']);
  }
});

const targetGpus = rule('target-gpus', (ctx, c) => {
  for (const [name, t] of eachTarget(c)) {
    if (own(t, 'type') !== 'local') continue;
    const gpus = own(t, 'gpus');
    if (!Array.isArray(gpus)) continue;
    const first = new Map<number, number>();
    gpus.forEach((g, i) => {
      const index = typeof g === 'number' ? g : own(g, 'index');
      if (typeof index !== 'number' || !Number.isInteger(index)) return;
      const j = first.get(index);
      if (j === undefined) {
        first.set(index, i);
        return;
      }
      ctx.report({
        rule: 'target-gpus',
        severity: 'error',
        path: ['targets', name, 'gpus', i],
        message: `GPU index ${index} is listed twice in target ${q(name)} (gpus[${j}] and gpus[${i}]); `
          + 'the runner hands each GPU to one run at a time, so list each index once',
      });
    });
  }
});

export const targetsRules: Rule[] = [unknownTarget, k8sName, targetGpus];
