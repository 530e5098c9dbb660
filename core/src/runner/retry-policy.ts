// What changes before a retry: the `on_failure` action for the failure's class (or the older
// `on_oom`, which is `on_failure.oom` with one scaled parameter) turned into the next attempt's
// config. Pure: the runner keeps the changes of every attempt and records them.
import type { Experiment, FailureAction, FailureClass as PolicyClass } from '../config/types';
import type { FailureClass } from './failure';
import { getDotted } from '../util/object';
import type { Obj } from '../util/object';
import { deepEqual, setDotted } from '../sweep';

/** The `on_failure` class of a failure: `exit:N` is `nonzero`; spawn errors, cancels and the never-retried Kubernetes classes have none. */
export function policyClass(cls: FailureClass): PolicyClass | undefined {
  if (cls === 'oom' || cls === 'timeout' || cls === 'signal' || cls === 'evicted') return cls;
  return cls.startsWith('exit:') ? 'nonzero' : undefined;
}

/**
 * The action for a class and the field it comes from (for messages): `on_failure.<class>`, else
 * for `oom` the `on_oom` shorthand. (Both for oom is an error the `on-oom-param` rule reports.)
 */
export function failureAction(config: Experiment, cls: PolicyClass): { action: FailureAction; field: string } | undefined {
  const action = config.on_failure?.[cls];
  if (action) return { action, field: `on_failure.${cls}` };
  const oom = config.on_oom;
  if (cls !== 'oom' || !oom) return undefined;
  return { action: { scale: { [oom.param]: oom.factor ?? 0.5 }, ...(oom.min !== undefined ? { min: oom.min } : {}) }, field: 'on_oom' };
}

export interface Changes {
  /** The config for the next attempt. */
  config: Experiment;
  /** Dotted path → new value, for what this application changed. */
  params: Record<string, unknown>;
  /** Environment variables this application changed, as written. */
  env: Record<string, string>;
}

const show = (v: unknown) => JSON.stringify(v) ?? 'undefined';

/**
 * The config for the retry after a failure of class `failureClass`: undefined when no action
 * applies (retry unchanged); `exhausted` when the action scales parameters but nothing can change
 * any more — every scaled parameter at its minimum, `set` and `env` already in place — so another
 * attempt would fail the same way. An action without `scale` applies its `set` and `env` (once:
 * later retries find them in place) and never exhausts. `baseEnv` is the runner's environment:
 * a variable it already has with the same value is no change.
 */
export function applyOnFailure(config: Experiment, failureClass: FailureClass, baseEnv: Record<string, string | undefined> = {}): Changes | { exhausted: string } | undefined {
  const cls = policyClass(failureClass);
  const found = cls && failureAction(config, cls);
  if (!found) return undefined;
  const { action, field } = found;
  const out = structuredClone(config) as unknown as Obj;
  const params: Record<string, unknown> = {};
  const stuck: string[] = [];
  for (const [p, factor] of Object.entries(action.scale ?? {})) {
    const cur = getDotted(out, p);
    if (typeof cur !== 'number') { stuck.push(`${p} is ${show(cur)}, not a number`); continue; }
    const min = typeof action.min === 'number' ? action.min : action.min?.[p];
    let next = cur * factor;
    if (Number.isInteger(cur)) next = Math.floor(next);
    const down = factor < 1;
    if (down && min !== undefined) next = Math.max(next, min);
    if (down ? next < cur && next > 0 : next > cur) {
      setDotted(out, p, next);
      params[p] = next;
    } else {
      stuck.push(down && min !== undefined && cur <= min ? `${p} is ${show(cur)}, already at its minimum ${show(min)}`
        : `${p} cannot be scaled further (${show(cur)} × ${factor})`);
    }
  }
  for (const [p, v] of Object.entries(action.set ?? {})) {
    if (deepEqual(getDotted(out, p), v)) continue;
    setDotted(out, p, structuredClone(v));
    params[p] = v;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(action.env ?? {})) {
    if ((config.env?.[k] ?? baseEnv[k]) === v) continue;
    env[k] = v;
  }
  const changedNothing = Object.keys(params).length === 0 && Object.keys(env).length === 0;
  if (changedNothing && stuck.length > 0) {
    return { exhausted: `${field}: ${stuck.join('; ')} — nothing left to change, so another attempt would fail the same way` };
  }
  if (Object.keys(env).length) out.env = { ...config.env, ...env };
  return { config: out as unknown as Experiment, params, env };
}

/** The config with recorded changes (an attempt's `params` and `env`) applied: to take a run up again where it was. */
export function withChanges(config: Experiment, params: Record<string, unknown> | undefined, env: Record<string, string> | undefined): Experiment {
  const out = structuredClone(config) as unknown as Obj;
  for (const [p, v] of Object.entries(params ?? {})) setDotted(out, p, structuredClone(v));
  if (env && Object.keys(env).length) out.env = { ...config.env, ...env };
  return out as unknown as Experiment;
}
