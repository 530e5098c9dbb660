// What happens to each trial of a plan, given what the store already holds — one decision shared by
// `expctl run`, `run --dry-run`, `plan`, `status` and the editor, so they can never disagree.
//
// A run records `config_hash`: what defines its result (the resolved command, launcher, env, params,
// resources, data, workdir) plus the content of the script its command runs. A trial whose last
// run succeeded (or failed) with another hash has `changed`: by default it runs again.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Experiment, Sweep } from '../config/types';
import { findScript } from '../rules/experiment';
import { canonicalJson } from '../sweep';
import type { Trial } from '../sweep';
import { slug } from '../store/store';
import type { RunRecord } from '../store/store';

/** Which trials that already ended run again: `changed` (the default), `failed`, `all`, or `none` of them. */
export interface RerunPolicy { changed: boolean; failed: boolean; all: boolean }

export const DEFAULT_RERUN: RerunPolicy = { changed: true, failed: false, all: false };

/** `--rerun changed,failed` → a policy; throws with the accepted words for anything else. */
export function parseRerun(text: string): RerunPolicy {
  const words = text.split(',').map((w) => w.trim()).filter(Boolean);
  const bad = words.filter((w) => !['changed', 'failed', 'all', 'none'].includes(w));
  if (bad.length || !words.length) throw new Error(`--rerun takes changed, failed, all or none (comma-separated), got "${text}"`);
  if (words.includes('none') && words.length > 1) throw new Error('--rerun none cannot be combined with other values');
  return { changed: words.includes('changed'), failed: words.includes('failed'), all: words.includes('all') };
}

/** What a trial's store history says about it. */
export type TrialState = 'new' | 'succeeded' | 'changed' | 'failed' | 'unfinished' | 'running';

export interface Decision {
  /** run: a new run; resume: its unfinished run continues (adopting a live attempt); skip. */
  action: 'run' | 'resume' | 'skip';
  state: TrialState;
  /** Why, in a few words (`succeeded before`, `config changed since run X`…). */
  reason: string;
  /** The trial's newest run, if any. */
  prev?: RunRecord;
}

/** A run a stopped runner left unfinished: its last attempt may be adopted, else it runs again. */
export const unfinished = (r: RunRecord) => r.status === 'running' || r.status === 'queued' || r.status === 'interrupted' || r.status === 'cancelled';

/**
 * The decision for one trial. `owned(prev)`: whether a live runner other than this one still owns
 * its run (then it is left alone). A run recorded without a hash (before hashes existed) counts
 * as unchanged: upgrading expctl must not re-run a whole history.
 */
export function decide(prev: RunRecord | undefined, hash: string, policy: RerunPolicy, owned: (r: RunRecord) => boolean): Decision {
  if (!prev) return { action: 'run', state: 'new', reason: 'no run yet' };
  if ((prev.status === 'running' || prev.status === 'queued') && owned(prev)) {
    return { action: 'skip', state: 'running', reason: `running in process ${prev.runner_pid}`, prev };
  }
  if (unfinished(prev)) return { action: 'resume', state: 'unfinished', reason: `${prev.status === 'cancelled' ? 'cancelled' : 'interrupted'} run ${prev.id} continues`, prev };
  const changed = prev.config_hash !== undefined && prev.config_hash !== hash;
  const state: TrialState = changed ? 'changed' : prev.status === 'succeeded' ? 'succeeded' : 'failed';
  if (policy.all) return { action: 'run', state, reason: '--rerun all', prev };
  if (changed) {
    return policy.changed
      ? { action: 'run', state, reason: `config or script changed since run ${prev.id}`, prev }
      : { action: 'skip', state, reason: `changed since run ${prev.id}, not re-run (--rerun none)`, prev };
  }
  if (prev.status === 'succeeded') return { action: 'skip', state, reason: 'succeeded before', prev };
  return policy.failed
    ? { action: 'run', state, reason: '--rerun failed', prev }
    : { action: 'skip', state, reason: 'failed before (--rerun failed runs it again)', prev };
}

/** The parts of a resolved config that define what a run computes (retries, timeouts, metrics and tags do not). */
const DEFINING = ['command', 'shell', 'launcher', 'workdir', 'env', 'params', 'resources', 'data'] as const;

/**
 * Hashes the defining config of a trial and the content of its script (a file in the experiment's
 * folder or workdir, when the command names one). `scripts` caches script hashes by path: a sweep
 * of 10,000 trials reads its script once.
 */
export function configHash(config: Experiment, experimentFile: string, scripts = new Map<string, string>()): string {
  const defining: Record<string, unknown> = {};
  for (const k of DEFINING) if (config[k] !== undefined) defining[k] = config[k];
  const h = createHash('sha256').update(canonicalJson(defining));
  const script = scriptFile(config, experimentFile);
  if (script) {
    let s = scripts.get(script);
    if (s === undefined) {
      try { s = createHash('sha256').update(fs.readFileSync(script)).digest('hex'); } catch { s = 'unreadable'; }
      scripts.set(script, s);
    }
    h.update(`\0${s}`);
  }
  return h.digest('hex').slice(0, 16);
}

/** The script file a command runs, resolved as the file-exists rule does; undefined if none is recognisable. */
function scriptFile(config: Experiment, experimentFile: string): string | undefined {
  const found = findScript(config.command);
  if (!found) return undefined;
  const dir = path.dirname(experimentFile);
  const workdir = typeof config.workdir === 'string' && !/[{$~]/.test(config.workdir) ? path.resolve(dir, config.workdir) : undefined;
  const candidates = path.isAbsolute(found.script) ? [found.script] : [workdir, dir].filter((d): d is string => !!d).map((d) => path.resolve(d, found.script));
  return candidates.find((p) => { try { return fs.statSync(p).isFile(); } catch { return false; } });
}

/**
 * A sweep's id in the store. Its identity is its `name:` — or, without one, its experiment's name and
 * the parameters it sweeps — never the file's path: a sweep file moved or renamed keeps its history.
 * An experiment's identity is its name.
 */
export function sweepIdOf(kind: 'sweep' | 'experiment', config: { name?: unknown }, experimentName: string, sweptKeys: string[] = []): string {
  const named = typeof config.name === 'string' && config.name !== '' ? config.name : undefined;
  const identity = kind === 'experiment' ? `experiment:${experimentName}`
    : named !== undefined ? `sweep:${named}` : `sweep:${experimentName}:${[...sweptKeys].sort().join(',')}`;
  const readable = kind === 'experiment' ? experimentName : named ?? `${experimentName}-sweep`;
  return `${slug(readable).slice(0, 60)}-${createHash('sha256').update(identity).digest('hex').slice(0, 8)}`;
}

/** The dotted paths a sweep sets: its `parameters` and the keys of its `trials` (method list). */
export function sweptKeysOf(sweep: Sweep): string[] {
  const keys = [...Object.keys(sweep.parameters ?? {}), ...(Array.isArray(sweep.trials) ? sweep.trials : []).flatMap((t) => (t && typeof t === 'object' ? Object.keys(t) : []))];
  return [...new Set(keys)];
}

/** Decisions for every trial of a plan, with the counts per state and action (dry run, plan, status, lenses). */
export function decideAll(trials: Trial[], hashOf: (t: Trial) => string, latest: Map<string, RunRecord>, policy: RerunPolicy, owned: (r: RunRecord) => boolean):
  { decisions: Decision[]; states: Record<TrialState, number>; run: number; resume: number; skip: number } {
  const states: Record<TrialState, number> = { new: 0, succeeded: 0, changed: 0, failed: 0, unfinished: 0, running: 0 };
  const out = { decisions: [] as Decision[], states, run: 0, resume: 0, skip: 0 };
  for (const t of trials) {
    const d = decide(latest.get(t.key), hashOf(t), policy, owned);
    out.decisions.push(d);
    states[d.state]++;
    out[d.action]++;
  }
  return out;
}
