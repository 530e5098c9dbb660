// Rule `metrics-derived`: each `metrics.derived` expression of an experiment or a sweep parses, and
// the names it reads can have a value — `params.x` a param of the experiment (or swept), a name
// defined above it, a run fact, or else a metric the program reports (which only a run can tell;
// a name one typo away from a run fact gets a "did you mean").
import type { Experiment } from '../config/types';
import { metricNameProblem } from '../runner/metrics';
import { ExpressionError, namesOf, parseExpression, RUN_FACTS } from '../stats/derive';
import { configPaths, isObj } from '../util/object';
import { closest } from '../util/strings';
import type { Rule } from './api';

/** The params a derived expression can read in a file (rule checks, completion): the experiment's leaves, and a sweep's swept paths. */
export function derivedParams(f: { kind?: string; config: unknown; experiment?: Experiment }): Set<string> {
  const exp = (f.kind === 'sweep' ? f.experiment : f.config) as Experiment | undefined;
  // Leaves only: a mapping has no number to read.
  const out = new Set(configPaths(exp?.params).filter(([, v]) => v === null || typeof v !== 'object').map(([p]) => `params.${p}`));
  if (f.kind === 'sweep' && isObj(f.config)) {
    const c = f.config;
    if (isObj(c.parameters)) for (const k of Object.keys(c.parameters)) out.add(k);
    if (Array.isArray(c.trials)) for (const t of c.trials) if (isObj(t)) for (const k of Object.keys(t)) out.add(k);
  }
  return out;
}

export const metricsDerived: Rule = {
  id: 'metrics-derived',
  kinds: ['experiment', 'sweep'],
  check(ctx) {
    const metrics = isObj(ctx.config) ? ctx.config.metrics : undefined;
    const derived = isObj(metrics) ? metrics.derived : undefined;
    if (!isObj(derived)) return;
    // A sweep's experiment may be missing or broken: then params cannot be checked, only parsed.
    const params = ctx.kind === 'experiment' || ctx.experiment ? derivedParams(ctx) : undefined;
    const defined: string[] = [];
    const names = Object.keys(derived);
    for (const name of names) {
      const path = ['metrics', 'derived', name];
      const bad = metricNameProblem(name);
      if (bad) ctx.report({ rule: 'metrics-derived', severity: 'error', path, target: 'key', message: `The derived metric's name ${bad}` });
      const text = derived[name];
      if (typeof text !== 'string') { defined.push(name); continue; } // the schema says so
      let expr;
      try {
        expr = parseExpression(text);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        ctx.report({ rule: 'metrics-derived', severity: 'error', path, span: e.span, message: `${name}: ${e.message}` });
        defined.push(name);
        continue;
      }
      for (const { name: used, span } of namesOf(expr)) {
        if (used.startsWith('params.')) {
          if (!params || params.has(used)) continue;
          const guess = closest(used, params);
          ctx.report({ rule: 'metrics-derived', severity: 'error', path, span,
            message: `${used} is not a param of the experiment${guess ? `; did you mean ${guess}?` : ''}` });
        } else if (used === name) {
          ctx.report({ rule: 'metrics-derived', severity: 'error', path, span, message: `${name} uses itself` });
        } else if (!defined.includes(used) && names.includes(used)) {
          ctx.report({ rule: 'metrics-derived', severity: 'error', path, span, message: `${used} is derived below ${name}: define it above, since derived metrics are computed in order` });
        } else if (!defined.includes(used) && !Object.prototype.hasOwnProperty.call(RUN_FACTS, used)) {
          const fact = closest(used, Object.keys(RUN_FACTS));
          if (fact) {
            ctx.report({ rule: 'metrics-derived', severity: 'warning', path, span,
              message: `${used} is not a run fact; did you mean ${fact}? (If your program reports a metric named ${used}, ignore this.)` });
          }
        }
      }
      defined.push(name);
    }
  },
};
