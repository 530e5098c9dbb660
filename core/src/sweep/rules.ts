// Semantic rules for *.sweep.yaml. ctx.config is the sweep as written (possibly malformed: the
// schema reports wrong types, these rules stay quiet about them and never throw); ctx.experiment
// is the experiment it sweeps, resolved, when it loaded.
//
// Rule                   Severity          Path (target)
// sweep-grid-continuous  error             ['parameters', key, 'distribution']
// sweep-range            error             ['parameters', key, 'range', 'step' | 'min'] or [..., 'range']
// sweep-param-spec       error             ['parameters', key, 'values' | 'probabilities' | 'min' | 'sigma' | 'q']
// sweep-method-fields    warning / error   ['samples'|'seed'|'trials'] (key) warnings; ['method'] error for list
//                                           without trials; ['parameters', key] error for a multi-valued list constant
// sweep-size             warning           grid: ['parameters'] (key); random: ['samples'] (value) or ['method'];
//                                           list: ['trials'] (key)
// duplicate-trial-name   error             ['name_template']
// template-var           error             ['name_template']
// sweep-param-path       warning           ['parameters', key] or ['trials', i, key] (key), with a rename fix
// exclude-unknown-param  warning           ['exclude', i, key] (key), with a rename fix
// parallel-exclusive     warning           ['max_parallel']: pinned gpu_ids or a fixed rendezvous port with max_parallel > 1
// experiment-invalid     error             ['experiment'] (value): names a sweep, or an empty file
import { basename, dirname, resolve } from 'node:path';
import type { Experiment, Sweep } from '../config/types';
import { getDotted, templateVars } from '../config/template';
import type { Fix, Path } from '../diagnostic';
import { builtinSchemas, kindFromFileName } from '../schema/registry';
import { knownPaths, schemasAt } from '../schema/walk';
import type { Report, Rule, RuleContext } from '../rules/api';
import { closest, quote } from '../util/strings';
import { checkSweep, countTrials, deepEqual, expandSweep, formatCount as fmt, type SweepErrorRule } from './expand';
import { configPaths, isObj } from '../util/object';

/** Every object and leaf path of a config (`params`, `params.batch_size`, `command.0`, …). */
const paths = (exp: unknown) => configPaths(exp, { lists: true }).map(([p]) => p);
import type { Obj } from '../util/object';

const SPECIAL_VARS = ['index', 'repeat', 'experiment', 'sweep'];

/** A rule whose check can never throw: a bug in a rule must not take validation down. */
function rule(id: string, check: (ctx: RuleContext, sweep: Obj) => void): Rule {
  return {
    id,
    kinds: ['sweep'],
    check(ctx) {
      if (!isObj(ctx.config)) return;
      try {
        check(ctx, ctx.config);
      } catch {
        // Deliberately quiet: the rule reports nothing rather than failing the whole pipeline.
      }
    },
  };
}

/** The experiment a sweep runs: resolved by the pipeline, or an inline `base:` that extends nothing. */
function experimentOf(ctx: RuleContext, sweep: Obj): Experiment | undefined {
  if (ctx.experiment) return ctx.experiment;
  if (isObj(sweep.base) && sweep.base.extends === undefined) return sweep.base as unknown as Experiment;
  return undefined;
}

/** Dotted paths a trial sets: `parameters` keys, plus `trials` entry keys for method list. */
function sweptKeys(sweep: Obj): string[] {
  const keys = new Set<string>();
  if (isObj(sweep.parameters)) for (const k of Object.keys(sweep.parameters)) keys.add(k);
  if (Array.isArray(sweep.trials)) for (const t of sweep.trials) if (isObj(t)) for (const k of Object.keys(t)) keys.add(k);
  return [...keys];
}


function renameFix(path: Path, to: string): Fix[] {
  return [{ title: `Change to ${to}`, edits: [{ path, target: 'key', newText: to }], preferred: true }];
}

/** Reports the expansion errors owned by `id`. */
function sweepErrorRule(id: SweepErrorRule): Rule {
  return rule(id, (ctx, sweep) => {
    for (const e of checkSweep(sweep as unknown as Sweep)) {
      if (e.rule === id) ctx.report({ rule: id, severity: 'error', path: e.path, message: e.message });
    }
  });
}

const gridContinuous = sweepErrorRule('sweep-grid-continuous');
const range = sweepErrorRule('sweep-range');
const paramSpec = sweepErrorRule('sweep-param-spec');

const methodFields = rule('sweep-method-fields', (ctx, sweep) => {
  const id = 'sweep-method-fields';
  const method = sweep.method ?? 'grid';
  for (const e of checkSweep(sweep as unknown as Sweep)) {
    if (e.rule === id) ctx.report({ rule: id, severity: 'error', path: e.path, message: e.message });
  }
  for (const field of ['samples', 'seed']) {
    if (sweep[field] !== undefined && method !== 'random') {
      ctx.report({
        rule: id, severity: 'warning', path: [field], target: 'key',
        message: `\`${field}\` applies only to method: random; this ${String(method)} sweep ignores it`,
      });
    }
  }
  if (sweep.trials !== undefined && method !== 'list') {
    ctx.report({
      rule: id, severity: 'warning', path: ['trials'], target: 'key',
      message: `\`trials\` applies only to method: list; this ${String(method)} sweep ignores it`,
    });
  }
});

const size = rule('sweep-size', (ctx, sweep) => {
  const c = countTrials(sweep as unknown as Sweep);
  const max = ctx.settings.maxTrials;
  if (c.error || !(c.count > max)) return;
  const method = sweep.method ?? 'grid';
  let path: Path = ['method'];
  let target: 'key' | 'value' = 'value';
  let detail = '';
  if (method === 'grid' && isObj(sweep.parameters)) {
    path = ['parameters'];
    target = 'key';
    const counts = Object.values(sweep.parameters).map((spec) => countOf(spec));
    if (counts.every((n) => n !== undefined) && counts.length <= 8) {
      detail = `${counts.map((n) => fmt(n!)).join(' × ')}`;
      const repeat = typeof sweep.repeat === 'number' && sweep.repeat > 1 ? sweep.repeat : 1;
      if (repeat > 1) detail += ` × repeat ${fmt(repeat)}`;
      const all = counts.reduce((a, n) => a * n!, 1) * repeat;
      detail = all > c.count ? ` (${detail}, less ${fmt(all - c.count)} excluded)` : ` = ${detail}`;
    }
  } else if (method === 'random' && sweep.samples !== undefined) {
    path = ['samples'];
  } else if (method === 'list' && Array.isArray(sweep.trials)) {
    path = ['trials'];
    target = 'key';
  }
  const what = c.exact ? `${fmt(c.count)} trials` : `up to ${fmt(c.count)} trials before exclusions`;
  ctx.report({
    rule: 'sweep-size', severity: 'warning', path, target,
    message: `This sweep expands to ${what}${detail} (limit ${fmt(max)}, setting expctl.validation.maxTrials)`,
  });
});

/** Number of grid values of a spec, for the size breakdown. */
function countOf(spec: unknown): number | undefined {
  const c = countTrials({ method: 'grid', parameters: { p: spec } } as unknown as Sweep);
  return c.error ? undefined : c.count;
}

const duplicateNames = rule('duplicate-trial-name', (ctx, sweep) => {
  const template = sweep.name_template;
  if (typeof template !== 'string') return;
  if (checkSweep(sweep as unknown as Sweep).length) return;
  const exp = experimentOf(ctx, sweep);
  // `{sweep}` without a `name:` is the file's base name (`lr.sweep.yaml` → `lr`), as the CLI names it.
  const sweepName = basename(ctx.file).replace(/\.sweep\.ya?ml$/, '');
  const { trials, truncated } = expandSweep(sweep as unknown as Sweep, exp, { limit: ctx.settings.maxTrials, exactTotal: false, sweepName });
  const first = new Map<string, number>();
  let dup: [number, number] | undefined;
  let collisions = 0;
  for (const t of trials) {
    const seen = first.get(t.name);
    if (seen === undefined) first.set(t.name, t.index);
    else {
      collisions++;
      dup ??= [seen, t.index];
    }
  }
  if (!dup) return;
  const [a, b] = dup;
  const ta = trials[a];
  const tb = trials[b];
  const used = new Set(templateVars(template).map((v) => v.name));
  const differing = Object.keys(tb.params).filter((k) => !used.has(k) && !deepEqual(ta.params[k], tb.params[k]));
  let hint: string;
  if (differing.length) {
    hint = `add {${differing[0]}}${differing.length > 1 ? ` (or another parameter that varies)` : ''} to name_template`;
  } else if (ta.repeat !== tb.repeat) {
    hint = 'add {repeat} to name_template';
  } else {
    hint = 'the two trials have identical parameters; remove the duplicate, or add {index} to name_template';
  }
  // Only the first maxTrials trials are named: say so rather than claim a total.
  const more = collisions > 1 ? ` (${fmt(collisions)} collisions ${truncated ? `in the first ${fmt(trials.length)} trials` : 'in all'})` : '';
  ctx.report({
    rule: 'duplicate-trial-name', severity: 'error', path: ['name_template'],
    message: `Trials ${a} and ${b} are both named ${quote(ta.name)}${more}; ${hint}`,
  });
});

const templateVar = rule('template-var', (ctx, sweep) => {
  const template = sweep.name_template;
  if (typeof template !== 'string') return;
  // Without the experiment any other name might be one of its paths: stay quiet.
  const exp = experimentOf(ctx, sweep);
  if (!exp) return;
  const swept = sweptKeys(sweep);
  const expPaths = paths(exp);
  const known = new Set([...SPECIAL_VARS, ...swept, ...expPaths]);
  // `{params.opt.lr}` is fine when `params.opt` is swept (as an object).
  const isKnown = (name: string) => known.has(name) || swept.some((k) => name.startsWith(k + '.'));
  const shown = [...new Set([...swept, ...SPECIAL_VARS, ...expPaths.filter((p) => p.startsWith('params.'))])];
  for (const v of templateVars(template)) {
    if (isKnown(v.name)) continue;
    const suggestion = closest(v.name, known);
    const list = shown.slice(0, 8).map((n) => `{${n}}`).join(', ') + (known.size > 8 ? `, … (${fmt(known.size)} in all)` : '');
    const r: Report = {
      rule: 'template-var', severity: 'error', path: ['name_template'],
      message: `Unknown variable {${v.name}} in name_template; known: ${list}` + (suggestion ? `. Did you mean {${suggestion}}?` : ''),
    };
    if (suggestion) {
      const fixed = template.slice(0, v.start) + `{${suggestion}}` + template.slice(v.end);
      // A JSON string is a valid YAML double-quoted scalar, so braces need no further quoting.
      r.fixes = [{ title: `Change to {${suggestion}}`, edits: [{ path: ['name_template'], target: 'value', newText: JSON.stringify(fixed) }], preferred: true }];
    }
    ctx.report(r);
  }
});

const SCHEMA_PATHS = knownPaths(builtinSchemas.experiment);

/** Why `key` looks wrong for `exp`, or undefined when it is fine. */
function paramPathProblem(key: string, exp: Experiment, candidates: string[]): { message: string; suggestion?: string } | undefined {
  if (getDotted(exp, key) !== undefined) return undefined;
  const parts = key.split('.');
  // Never suggest the key's own parent (`params` for `params.x`).
  const suggestion = closest(key, candidates.filter((c) => !key.startsWith(`${c}.`)));
  const mean = suggestion ? `; did you mean ${suggestion}?` : '';
  const expName = typeof exp.name === 'string' ? ` ${exp.name}` : '';
  if (parts[0] === 'params') {
    return { message: `${key} is not set in experiment${expName}, so trials add a new parameter${mean}`, suggestion };
  }
  if (parts[0] === 'env') {
    // New environment variables are common; only a near-miss of an existing one is suspicious.
    return suggestion ? { message: `${key} is not set in experiment${expName}${mean}`, suggestion } : undefined;
  }
  // Fields the schema knows are fine to set even when the experiment leaves them out.
  for (let i = 1; i <= parts.length; i++) {
    if (!schemasAt(builtinSchemas.experiment, parts.slice(0, i), undefined).length) {
      const where = i === 1 ? 'an experiment field' : `a field of ${parts.slice(0, i - 1).join('.')}`;
      return { message: `${key} is not ${where}${mean}`, suggestion };
    }
  }
  return undefined;
}

const paramPath = rule('sweep-param-path', (ctx, sweep) => {
  const exp = experimentOf(ctx, sweep);
  if (!exp) return;
  const candidates = [...new Set([...paths(exp), ...SCHEMA_PATHS])];
  // A run list repeats the same few keys in every trial: each is judged once.
  const judged = new Map<string, ReturnType<typeof paramPathProblem>>();
  const check = (key: string, path: Path) => {
    if (!judged.has(key)) judged.set(key, paramPathProblem(key, exp, candidates));
    const p = judged.get(key);
    if (!p) return;
    ctx.report({
      rule: 'sweep-param-path', severity: 'warning', path, target: 'key', message: p.message,
      fixes: p.suggestion ? renameFix(path, p.suggestion) : undefined,
    });
  };
  if (isObj(sweep.parameters)) for (const key of Object.keys(sweep.parameters)) check(key, ['parameters', key]);
  if (Array.isArray(sweep.trials)) {
    sweep.trials.forEach((t, i) => {
      if (isObj(t)) for (const key of Object.keys(t)) check(key, ['trials', i, key]);
    });
  }
});

const excludeUnknown = rule('exclude-unknown-param', (ctx, sweep) => {
  if (!Array.isArray(sweep.exclude)) return;
  const swept = sweptKeys(sweep);
  const set = new Set(swept);
  sweep.exclude.forEach((r, i) => {
    if (!isObj(r)) return;
    for (const key of Object.keys(r)) {
      if (set.has(key)) continue;
      const suggestion = closest(key, swept);
      const path: Path = ['exclude', i, key];
      ctx.report({
        rule: 'exclude-unknown-param', severity: 'warning', path, target: 'key',
        message: `${key} is not a swept parameter, so this exclude rule never matches` + (suggestion ? `; did you mean ${suggestion}?` : ''),
        fixes: suggestion ? renameFix(path, suggestion) : undefined,
      });
    }
  });
});

/**
 * Trials that run at once must not share GPUs or a rendezvous port. Pinned GPUs cannot be shared
 * (the scheduler makes such trials wait for each other, so max_parallel is moot); a fixed port
 * would make the second trial fail with "address already in use".
 */
const parallelExclusive = rule('parallel-exclusive', (ctx, sweep) => {
  const mp = sweep.max_parallel;
  const exp = experimentOf(ctx, sweep);
  if (typeof mp !== 'number' || mp <= 1 || !exp || !isObj(exp.launcher)) return;
  // A sweep over the launcher's own fields may give each trial different ones.
  if (sweptKeys(sweep).some((k) => k.startsWith('launcher.'))) return;
  const l = exp.launcher as Obj;
  const report = (message: string) => ctx.report({ rule: 'parallel-exclusive', severity: 'warning', path: ['max_parallel'], message });
  const ids = l.type === 'accelerate' ? l.gpu_ids : undefined;
  if (ids !== undefined && !(typeof ids === 'string' && ids.trim().toLowerCase() === 'all')) {
    report(`every trial pins GPUs ${Array.isArray(ids) ? ids.join(',') : String(ids)} (launcher.gpu_ids), so trials run one at a time whatever max_parallel says; `
      + 'remove gpu_ids to let expctl give each trial its own free GPUs');
  }
  for (const [field, type] of [['main_process_port', 'accelerate'], ['master_port', 'torchrun']] as const) {
    if (l.type === type && typeof l[field] === 'number' && !(type === 'torchrun' && l.rdzv_endpoint !== undefined)) {
      report(`every trial uses port ${l[field]} (launcher.${field}), so trials running at the same time would fail with "address already in use"; `
        + `set ${field}: auto (the default) to give each attempt a free port`);
    }
  }
  if (l.type === 'torchrun' && typeof l.rdzv_endpoint === 'string' && !templateVars(l.rdzv_endpoint).some((v) => v.name === 'port')) {
    report(`every trial uses the rendezvous endpoint ${l.rdzv_endpoint} (launcher.rdzv_endpoint), so trials running at the same time would collide; `
      + 'write localhost:{port} to give each attempt a free port');
  }
});

/**
 * `experiment:` names a file that is no experiment: another sweep (sweeps do not nest), or an empty
 * file — either would otherwise pass, with nothing to run or a sweep's fields as the experiment.
 */
const experimentKind = rule('experiment-invalid', (ctx, sweep) => {
  if (typeof sweep.experiment !== 'string') return;
  const abs = resolve(dirname(ctx.file), sweep.experiment);
  const report = (message: string) => ctx.report({ rule: 'experiment-invalid', severity: 'error', path: ['experiment'], target: 'value', message });
  if (kindFromFileName(abs) === 'sweep' || (isObj(ctx.experiment) && ('parameters' in ctx.experiment || 'method' in ctx.experiment))) {
    report(`${quote(sweep.experiment)} is a sweep, not an experiment: a sweep's experiment: names an *.experiment.yaml file (sweeps do not nest; put both sweeps' parameters in one)`);
  } else if (ctx.experiment === undefined && ctx.host.readFile(abs)?.replace(/#.*$/gm, '').trim() === '') {
    report(`${quote(sweep.experiment)} is empty: write the experiment there (at least \`command:\`), or name another file`);
  }
});

/** The sweep rules, in the order their diagnostics are most useful. */
export const sweepRules: Rule[] = [
  experimentKind, gridContinuous, range, paramSpec, methodFields, size, duplicateNames, templateVar, paramPath, excludeUnknown, parallelExclusive,
];
