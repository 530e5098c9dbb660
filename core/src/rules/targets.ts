// Semantic rules for `targets.yaml`. Defensive like the experiment rules: the file may be
// schema-invalid in places, and no rule may throw.
import * as os from 'node:os';
import type { Rule, RuleContext } from './api';
import {
  checkK8sGpus, checkK8sTimeouts, checkKubernetesSpec, checkSecretEnv, checkShmSize, checkTargetReference, closestName, fix, q, targetNames,
} from './experiment';
import { targetContexts } from '../k8s/kubeconfig';
import { at, isObj, own } from '../util/object';
import type { Obj } from '../util/object';
import { yamlString } from '../util/yaml-scalar';

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

/** The Kubernetes targets as [name, target] pairs. */
function kubernetesTargets(config: Obj): Array<[string, Obj]> {
  return eachTarget(config).filter(([, t]) => own(t, 'type') === 'kubernetes');
}

// The top level of a Kubernetes target holds the same names as a `kubernetes:` block (namespace,
// labels, node_selector, service_account, priority_class), so the same checks apply to it.
const k8sName = rule('k8s-name', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    checkKubernetesSpec(ctx, t, ['targets', name]);
    checkKubernetesSpec(ctx, at(t, 'defaults', 'kubernetes'), ['targets', name, 'defaults', 'kubernetes']);
  }
});

const k8sSecretEnv = rule('k8s-secret-env', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    checkSecretEnv(ctx, at(t, 'defaults', 'kubernetes'), ['targets', name, 'defaults', 'kubernetes'],
      [{ env: at(t, 'defaults', 'env'), label: `targets.${name}.defaults.env` }]);
  }
});

const k8sQuantity = rule('k8s-quantity', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    // The memory limit these defaults run under, unless an experiment sets its own.
    const fromDefaults = at(t, 'defaults', 'resources', 'memory');
    const memory = fromDefaults !== undefined
      ? { value: fromDefaults, label: `targets.${name}.defaults.resources.memory` }
      : { value: at(t, 'resources', 'memory'), label: `targets.${name}.resources.memory` };
    checkShmSize(ctx, at(t, 'defaults', 'kubernetes'), ['targets', name, 'defaults', 'kubernetes'], memory);
  }
});

const k8sGpus = rule('k8s-gpus', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    checkK8sGpus(ctx, at(t, 'resources', 'gpus'), ['targets', name, 'resources', 'gpus'], 'a Kubernetes target');
    checkK8sGpus(ctx, at(t, 'defaults', 'resources', 'gpus'), ['targets', name, 'defaults', 'resources', 'gpus'], 'a Kubernetes target');
  }
});

const timeout = rule('timeout', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    checkK8sTimeouts(ctx, t, ['targets', name]);
    checkK8sTimeouts(ctx, at(t, 'defaults', 'kubernetes'), ['targets', name, 'defaults', 'kubernetes']);
  }
});

/** Contexts listed in a message, at most. */
const MAX_LISTED = 8;

// The kubeconfig is read from disk as this machine's user has it ($KUBECONFIG, ~) — no cluster is
// contacted. A kubeconfig that is not there is no error while editing: it may exist only where runs launch.
const k8sContext = rule('k8s-context', (ctx, c) => {
  for (const [name, t] of kubernetesTargets(c)) {
    const context = own(t, 'context');
    if (typeof context !== 'string' || context === '') continue;
    const kubeconfig = own(t, 'kubeconfig');
    const found = targetContexts(typeof kubeconfig === 'string' ? kubeconfig : undefined, ctx.file, ctx.host, process.env, os.homedir());
    if (!found || found.names.includes(context)) continue;
    const path = ['targets', name, 'context'];
    if (found.error) {
      ctx.report({
        rule: 'k8s-context', severity: 'warning', path,
        message: `targets.${name}.context ${q(context)} cannot be checked: the kubeconfig ${found.file} is ${found.error}`,
      });
      continue;
    }
    const guess = closestName(context, found.names);
    const listed = found.names.slice(0, MAX_LISTED).join(', ') + (found.names.length > MAX_LISTED ? ` and ${found.names.length - MAX_LISTED} more` : '');
    ctx.report({
      rule: 'k8s-context', severity: 'warning', path,
      message: `targets.${name}.context ${q(context)} is not a context of the kubeconfig ${found.file}`
        + (found.names.length ? ` (it has ${listed})` : ', which defines no contexts')
        + (guess ? `. Did you mean ${q(guess)}?` : '; runs on this target fail until it is added (kubectl config get-contexts lists them)'),
      fixes: guess ? [fix(`Change to ${q(guess)}`, path, yamlString(guess))] : undefined,
    });
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

export const targetsRules: Rule[] = [unknownTarget, k8sName, k8sSecretEnv, k8sQuantity, k8sGpus, timeout, k8sContext, targetGpus];
