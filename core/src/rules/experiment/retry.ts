// What happens after a failure: on-oom-param (on_failure, on_oom) and retry-backoff.
import type { Path } from '../../diagnostic';
import type { RuleContext } from '../api';
import { yamlString } from '../../util/yaml-scalar';
import { at, getDotted, hasOwn, isObj, own } from '../../util/object';
import type { Obj } from '../../util/object';
import { closeMatches, dottedPaths, fix, isNum, q, roundSig, rule } from './common';

const FAILURE_WHEN: Record<string, string> = {
  oom: 'an out-of-memory failure', timeout: 'a timeout', nonzero: 'a non-zero exit', signal: 'a kill by a signal', evicted: 'an eviction or preemption',
};

/** Reports (as `on-oom-param`) a path to scale that does not name a numeric value of the experiment. */
function checkScaledPath(ctx: RuleContext, c: Obj, param: string, path: Path, target: 'key' | 'value', label: string, use: { scales: string; multiplies: string }): void {
  const value = param === '' ? undefined : getDotted(c, param);
  if (isNum(value)) return;
  const numeric = dottedPaths(c, isNum);
  const close = closeMatches(param, numeric, 1);
  const hint = close.length > 0
    ? `; did you mean ${q(close[0])}?`
    : numeric.some((p) => p.startsWith('params.'))
      ? `; numeric parameters here: ${numeric.filter((p) => p.startsWith('params.')).slice(0, 6).join(', ')}`
      : '';
  ctx.report({
    rule: 'on-oom-param',
    severity: 'error',
    path,
    target,
    message: value === undefined
      ? `${label} ${q(param)} does not name a value in this experiment; it must be the dotted path of a numeric parameter `
        + `that the runner ${use.scales}, such as "params.batch_size"${hint}`
      : `${label} ${q(param)} is ${q(value)}, not a number; the runner ${use.multiplies}, `
        + `so it must name a numeric parameter${hint}`,
    fixes: close.length > 0 ? [{ title: `Change to ${q(close[0])}`, edits: [{ path, target, newText: yamlString(close[0]) }], preferred: true }] : undefined,
  });
}

/** JSON's name for the type of a value, as messages say it. */
function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

/**
 * Values the runner reads once per run, not per attempt: a retry's change to them would be recorded
 * but not take effect — said rather than silently ignored.
 */
const FIXED_FOR_RUN: Array<[prefix: string, why: string]> = [
  ['resources.gpus', 'the run\'s GPUs are reserved once, when it starts'],
  ['resources.gpu_type', 'the run\'s GPUs are reserved once, when it starts'],
  ['launcher.gpu_ids', 'the run\'s GPUs are reserved once, when it starts'],
  ['retry.max_retries', 'the number of attempts is fixed when the run starts'],
  ['metrics', 'metrics sources and the primary metric are fixed for the run'],
  ['on_failure', 'the retry policy itself does not change between attempts'],
  ['on_oom', 'the retry policy itself does not change between attempts'],
  ['name', 'a run keeps its name'], ['target', 'a run stays on its target'], ['repeat', 'a run is one repeat'],
];

function fixedForRun(p: string): string | undefined {
  return FIXED_FOR_RUN.find(([prefix]) => p === prefix || p.startsWith(`${prefix}.`))?.[1];
}

/** `on_failure` (and `on_oom`, its older form for oom): every path it scales or sets names a value of the right type. */
export const onOomParam = rule('on-oom-param', (ctx, c) => {
  const param = at(c, 'on_oom', 'param');
  if (typeof param === 'string') {
    checkScaledPath(ctx, c, param, ['on_oom', 'param'], 'value', 'on_oom.param',
      { scales: 'scales after an out-of-memory failure', multiplies: 'multiplies it by on_oom.factor after an out-of-memory failure' });
    const why = fixedForRun(param);
    if (why) {
      ctx.report({
        rule: 'on-oom-param', severity: 'warning', path: ['on_oom', 'param'],
        message: `on_oom.param ${q(param)}: ${why}, so a retry would record the new value without running with it; scale a value the command, env or launcher uses instead`,
      });
    }
  }
  const onFailure = own(c, 'on_failure');
  if (!isObj(onFailure)) return;
  if (isObj(own(c, 'on_oom')) && isObj(own(onFailure, 'oom'))) {
    ctx.report({
      rule: 'on-oom-param',
      severity: 'error',
      path: ['on_failure', 'oom'],
      target: 'key',
      message: 'on_oom and on_failure.oom both say what to change after an out-of-memory failure; keep one: on_oom '
        + '{ param: P, factor: F, min: M } is on_failure.oom { scale: { P: F }, min: M } (when on_oom comes from an extended file, set on_oom: null here)',
    });
  }
  for (const [cls, action] of Object.entries(onFailure)) {
    if (!isObj(action)) continue;
    const when = FAILURE_WHEN[cls] ?? cls;
    for (const field of ['scale', 'set']) {
      const paths = own(action, field);
      if (!isObj(paths)) continue;
      for (const p of Object.keys(paths)) {
        const why = fixedForRun(p);
        if (why) {
          ctx.report({
            rule: 'on-oom-param', severity: 'warning', path: ['on_failure', cls, field, p], target: 'key',
            message: `on_failure.${cls}.${field} changes ${q(p)}, but ${why}: a retry would record the new value without running with it; `
              + 'change a value the command, env, launcher, timeout or resources.memory uses instead',
          });
        }
      }
    }
    const scale = own(action, 'scale');
    if (isObj(scale)) {
      for (const [p, factor] of Object.entries(scale)) {
        checkScaledPath(ctx, c, p, ['on_failure', cls, 'scale', p], 'key', `on_failure.${cls}.scale`,
          { scales: `scales before a retry after ${when}`, multiplies: `multiplies it by ${q(factor)} before a retry after ${when}` });
      }
    }
    const min = own(action, 'min');
    if (isObj(min)) {
      for (const p of Object.keys(min)) {
        if (isObj(scale) && hasOwn(scale, p)) continue;
        ctx.report({
          rule: 'on-oom-param',
          severity: 'warning',
          path: ['on_failure', cls, 'min', p],
          target: 'key',
          message: `on_failure.${cls}.min gives a minimum for ${q(p)}, which on_failure.${cls}.scale does not scale, so it has no effect; `
            + `add ${q(p)} to scale or remove it here`,
        });
      }
    }
    const set = own(action, 'set');
    if (!isObj(set)) continue;
    for (const [p, v] of Object.entries(set)) {
      const cur = p === '' ? undefined : getDotted(c, p);
      const path: Path = ['on_failure', cls, 'set', p];
      if (cur === undefined) {
        const close = closeMatches(p, dottedPaths(c), 1);
        ctx.report({
          rule: 'on-oom-param',
          severity: 'error',
          path,
          target: 'key',
          message: `on_failure.${cls}.set ${q(p)} does not name a value in this experiment; set changes an existing value before a retry after ${when}`
            + (close.length > 0 ? `; did you mean ${q(close[0])}?` : ''),
          fixes: close.length > 0 ? [{ title: `Change to ${q(close[0])}`, edits: [{ path, target: 'key', newText: yamlString(close[0]) }], preferred: true }] : undefined,
        });
      } else if (jsonType(cur) !== jsonType(v)) {
        ctx.report({
          rule: 'on-oom-param',
          severity: 'error',
          path,
          message: `on_failure.${cls}.set ${q(p)} is ${q(v)}, a ${jsonType(v)}, but ${p} is ${q(cur)}, a ${jsonType(cur)}; `
            + `a retry would run with a ${jsonType(v)} where the experiment has a ${jsonType(cur)} — give a ${jsonType(cur)}`,
        });
      }
    }
  }
}, true);

const DEFAULT_MAX_BACKOFF_S = 300;

export const retryBackoff = rule('retry-backoff', (ctx, c) => {
  const retry = own(c, 'retry');
  if (!isObj(retry)) return;
  const n = own(retry, 'max_retries');
  const baseRaw = own(retry, 'backoff_base_s');
  const initialRaw = own(retry, 'backoff_initial_s');
  const capRaw = own(retry, 'max_backoff_s');
  const cap = isNum(capRaw) ? capRaw : DEFAULT_MAX_BACKOFF_S;
  const base = isNum(baseRaw) ? baseRaw : 2;
  const initial = isNum(initialRaw) ? initialRaw : 1;
  if (isNum(n) && n > 0 && (isNum(baseRaw) || isNum(initialRaw)) && base > 0) {
    // Retry k waits initial × base^(k-1): the last retry waits the longest.
    const longest = initial * base ** (n - 1);
    if (longest > cap) {
      ctx.report({
        rule: 'retry-backoff',
        severity: 'information',
        path: ['retry', isNum(baseRaw) ? 'backoff_base_s' : 'backoff_initial_s'],
        message: `Retry backoff reaches backoff_initial_s × backoff_base_s^(max_retries-1) = ${initial} × ${base}^${n - 1} = ${roundSig(longest, 6)} s before the last retry, above `
          + `max_backoff_s ${cap}${isNum(capRaw) ? '' : ' (the default)'}, so the cap applies and the longest waits are ${cap} s; `
          + 'raise retry.max_backoff_s if you want longer waits, or lower backoff_initial_s, backoff_base_s or max_retries',
      });
    }
  }
  const on = own(retry, 'on');
  if (isNum(n) && n > 0 && Array.isArray(on) && on.length === 0) {
    ctx.report({
      rule: 'retry-backoff',
      severity: 'warning',
      path: ['retry', 'on'],
      message: `retry.max_retries is ${n} but retry.on is empty, so no failure is ever retried; `
        + 'list the failure classes (oom, timeout, nonzero, signal, evicted) or exit codes to retry on, e.g. [oom, timeout, nonzero]',
      fixes: [fix('Retry on oom, timeout and nonzero exits', ['retry', 'on'], '[oom, timeout, nonzero]')],
    });
  }
});
