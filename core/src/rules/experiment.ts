// Semantic rules for `*.experiment.yaml`. They run after JSON Schema validation, but the config can
// still be schema-invalid in places, so every rule checks types before use and never throws.
import * as nodePath from 'node:path';
import type { Fix, Path, Severity } from '../diagnostic';
import type { Report, Rule, RuleContext } from './api';
import { templateVars } from '../config/template';
import { findGpu, gpuCatalog, gpuKey, type GpuModel } from '../gpus';
import { formatDuration, parseDuration, parseQuantity } from '../util/units';
import { closest, levenshtein } from '../util/strings';
import { yamlString } from '../util/yaml-scalar';
import { at, configPaths, getDotted, hasOwn, isObj, own } from '../util/object';
import type { Obj } from '../util/object';
import { KAFKA_SOURCE_MESSAGE } from '../runner/metrics';
import { argProblem } from '../util/argv-limits';

// ---------------------------------------------------------------------------------------------
// Helpers shared with targets.ts (exported for it; not part of the rule contract).

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A value as quoted in a message: strings in double quotes, everything else as JSON (YAML for .nan / .inf). */
export function q(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf'; // as YAML writes them
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a", "a or b", "a, b or c". */
function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Case-insensitive closest match among candidates (via util/strings `closest`), in its original spelling. */
export function closestName(word: string, candidates: string[]): string | undefined {
  if (typeof word !== 'string' || word === '') return undefined;
  const lower = word.toLowerCase();
  const byLower = new Map<string, string>();
  for (const c of candidates) {
    if (typeof c !== 'string' || c === word) continue;
    if (c.toLowerCase() === lower) return c; // differs only in case
    if (!byLower.has(c.toLowerCase())) byLower.set(c.toLowerCase(), c);
  }
  const hit = closest(lower, byLower.keys());
  return hit === undefined ? undefined : byLower.get(hit);
}

/**
 * Up to `max` candidates close to `word`, best first: those with the same last dotted segment
 * (`batch_size` → `params.batch_size`), then those within the edit distance `closest` allows.
 */
function closeMatches(word: string, candidates: string[], max = 3): string[] {
  const lower = word.toLowerCase();
  const last = lower.split('.').pop() ?? lower;
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3))); // as util/strings closest
  const scored: Array<{ c: string; d: number }> = [];
  for (const c of new Set(candidates)) {
    const cl = c.toLowerCase();
    if (cl === lower) continue;
    const d = (cl.split('.').pop() ?? cl) === last ? -1 : levenshtein(lower, cl);
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((s) => s.c);
}

/** Dotted paths of every mapping key in `o` (arrays are leaves) whose value passes `filter`. */
function dottedPaths(o: unknown, filter: (v: unknown) => boolean = () => true): string[] {
  // on_failure's keys are themselves dotted paths (`on_failure.oom.scale.params.batch_size`): never a suggestion.
  return configPaths(o, { maxDepth: 6 }).filter(([p, v]) => filter(v) && !p.startsWith('on_failure.')).map(([p]) => p);
}

export function fix(title: string, path: Path, newText: string, preferred = true): Fix {
  return { title, edits: [{ path, target: 'value', newText }], preferred };
}

function rule(id: string, check: (ctx: RuleContext, config: Obj) => void, wholeExperiment = false): Rule {
  return {
    id,
    kinds: ['experiment'],
    wholeExperiment,
    check(ctx) {
      if (isObj(ctx.config)) check(ctx, ctx.config);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Kubernetes names, shared with targets.ts.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/**
 * A lower-cased, sanitised version of `s` that is a DNS-1123 label (`dots: false`) or subdomain
 * (`dots: true`) of at most `max` characters; `letterFirst` for DNS-1035. Undefined if nothing is left.
 */
export function sanitizeK8sName(s: string, opts: { dots: boolean; max: number; letterFirst?: boolean }): string | undefined {
  let out = s.toLowerCase().replace(opts.dots ? /[^a-z0-9.-]+/g : /[^a-z0-9-]+/g, '-');
  out = out.replace(/-{2,}/g, '-');
  if (opts.dots) out = out.replace(/[.-]*\.[.-]*/g, '.');
  const trim = (t: string) => t.replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '');
  out = trim(out);
  if (opts.letterFirst && /^[0-9]/.test(out)) out = `x-${out}`;
  out = trim(out.slice(0, opts.max));
  return out === '' ? undefined : out;
}

/** Why `key` is not a valid Kubernetes label / annotation key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'it has more than one "/"';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '' || !isDns1123Subdomain(prefix)) {
      return `its prefix ${q(prefix)} must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)`;
    }
  }
  if (name === '') return 'its name part is empty';
  if (name.length > 63) return `its name part is ${name.length} characters, more than 63`;
  if (!LABEL_NAME.test(name)) {
    return "its name part must use only letters, digits, '-', '_' and '.', and start and end with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `it is ${value.length} characters, more than 63`;
  if (!LABEL_NAME.test(value)) return "it must use only letters, digits, '-', '_' and '.', and start and end with a letter or digit";
  return undefined;
}

/** Reports `k8s-name` problems in a KubernetesSpec-shaped object at `base` (namespace, volumes, labels…). */
export function checkKubernetesSpec(ctx: RuleContext, spec: unknown, base: Path): void {
  if (!isObj(spec)) return;
  const report = (path: Path, message: string, extra: Partial<Report> = {}) =>
    ctx.report({ rule: 'k8s-name', severity: 'error', path, message, ...extra });

  checkNamespace(ctx, own(spec, 'namespace'), [...base, 'namespace'], `${dotted(base)}.namespace`);

  const volumes = own(spec, 'volumes');
  if (Array.isArray(volumes)) {
    volumes.forEach((v, i) => {
      const name = own(v, 'name');
      if (typeof name !== 'string' || isDns1123Label(name)) return;
      const suggestion = sanitizeK8sName(name, { dots: false, max: 63 });
      report([...base, 'volumes', i, 'name'],
        `Volume name ${q(name)} is not a valid Kubernetes volume name: use at most 63 lowercase letters, digits and '-', `
        + `starting and ending with a letter or digit (DNS-1123 label)${suggestion ? `, e.g. ${q(suggestion)}` : ''}`,
        suggestion ? { fixes: [fix(`Rename volume to ${q(suggestion)}`, [...base, 'volumes', i, 'name'], yamlString(suggestion))] } : {});
    });
  }

  for (const field of ['node_selector', 'labels', 'annotations'] as const) {
    const map = own(spec, field);
    if (!isObj(map)) continue;
    for (const key of Object.keys(map)) {
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) {
        report([...base, field, key],
          `${dotted(base)}.${field} key ${q(key)} is not a valid Kubernetes ${field === 'annotations' ? 'annotation' : 'label'} key: `
          + `${keyProblem}; a key is an optional DNS-subdomain prefix and "/", then a name of at most 63 characters, e.g. "example.com/gpu-pool"`,
          { target: 'key' });
      }
      const value = map[key];
      if (field !== 'annotations' && typeof value === 'string') {
        const valueProblem = labelValueProblem(value);
        if (valueProblem) {
          report([...base, field, key],
            `${dotted(base)}.${field}.${key} value ${q(value)} is not a valid Kubernetes label value: ${valueProblem}`);
        }
      }
    }
  }

  const sa = own(spec, 'service_account');
  if (typeof sa === 'string' && !isDns1123Subdomain(sa)) {
    report([...base, 'service_account'],
      `${dotted(base)}.service_account ${q(sa)} is not a valid service account name: use lowercase letters, digits, '-' and '.', `
      + 'starting and ending with a letter or digit (DNS-1123 subdomain)');
  }
  const secrets = own(spec, 'image_pull_secrets');
  if (Array.isArray(secrets)) {
    secrets.forEach((s, i) => {
      if (typeof s === 'string' && !isDns1123Subdomain(s)) {
        report([...base, 'image_pull_secrets', i],
          `Image pull secret ${q(s)} is not a valid Secret name: use lowercase letters, digits, '-' and '.', `
          + 'starting and ending with a letter or digit (DNS-1123 subdomain)');
      }
    });
  }
  // Names the API server would refuse when the Job is created: better said while editing.
  const subdomain = (value: unknown, path: Path, what: string, rename: string) => {
    if (typeof value !== 'string' || isDns1123Subdomain(value)) return;
    const suggestion = sanitizeK8sName(value, { dots: true, max: 253 });
    report(path,
      `${dotted(path)} ${q(value)} is not a valid ${what}: use lowercase letters, digits, '-' and '.', `
      + `starting and ending with a letter or digit (DNS-1123 subdomain, at most 253 characters)${suggestion ? `, e.g. ${q(suggestion)}` : ''}`,
      suggestion ? { fixes: [fix(`${rename} ${q(suggestion)}`, path, yamlString(suggestion))] } : {});
  };
  subdomain(own(spec, 'priority_class'), [...base, 'priority_class'], 'PriorityClass name', 'Change priority class to');
  const secretEnv = own(spec, 'secret_env');
  if (isObj(secretEnv)) {
    for (const name of Object.keys(secretEnv)) {
      subdomain(own(secretEnv[name], 'secret'), [...base, 'secret_env', name, 'secret'], 'Secret name', 'Change secret to');
    }
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `k8s-secret-env`: the variables of `secret_env` (at `base`) are names a program can read (C
 * identifiers, as `env:` keys), not expctl's own `EXPCTL_*`, and not also set by `env` — the pod
 * would get the name twice and one value would silently lose. `envs`: the env maps the pod also gets.
 */
export function checkSecretEnv(ctx: RuleContext, spec: unknown, base: Path, envs: Array<{ env: unknown; label: string }>): void {
  const secretEnv = own(spec, 'secret_env');
  if (!isObj(secretEnv)) return;
  const report = (name: string, message: string, fixes?: Fix[]) =>
    ctx.report({ rule: 'k8s-secret-env', severity: 'error', path: [...base, 'secret_env', name], target: 'key', message, fixes });
  for (const name of Object.keys(secretEnv)) {
    const label = `${dotted(base)}.secret_env variable ${q(name)}`;
    if (!ENV_NAME.test(name)) {
      const suggestion = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^(?=\d)/, '_');
      const ok = ENV_NAME.test(suggestion);
      report(name, `${label} is not a valid environment variable name: use letters, digits and '_', not starting with a digit`
        + (ok ? `, e.g. ${q(suggestion)}` : ''),
      ok ? [{ title: `Rename to ${q(suggestion)}`, edits: [{ path: [...base, 'secret_env', name], target: 'key', newText: suggestion }], preferred: true }] : undefined);
    } else if (name.startsWith('EXPCTL_')) {
      report(name, `${label} is one of expctl's own (EXPCTL_*), which it sets in every run; choose another name`);
    } else {
      const clash = envs.find((e) => isObj(e.env) && hasOwn(e.env, name));
      if (clash) {
        report(name, `${label} is also set by ${clash.label}.${name}; the pod would get the variable twice and one value would be ignored — `
          + 'set it in one place (secret_env for a value that must stay secret)');
      }
    }
  }
}

/** Bytes a quantity such as `16GB`, `16gb` or `16GiB` was meant as, written the Kubernetes way (`16G`, `16Gi`). */
function quantityGuess(s: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp])(i?)b?\s*$/i.exec(s);
  if (!m) return undefined;
  const unit = m[2].toUpperCase();
  const guess = m[3] ? `${m[1]}${unit}i` : `${m[1]}${unit === 'K' ? 'k' : unit}`;
  return parseQuantity(guess) === undefined ? undefined : guess;
}

/**
 * `k8s-quantity`: `shm_size` (at `base`) parses as a quantity, is above 0, fits in `memory` (a
 * memory-backed /dev/shm counts against the pod's memory limit), and is not mounted twice.
 */
export function checkShmSize(ctx: RuleContext, spec: unknown, base: Path, memory: { value: unknown; label: string } | undefined): void {
  const shm = own(spec, 'shm_size');
  if (typeof shm !== 'string') return; // absent, or a type the schema reports
  const path: Path = [...base, 'shm_size'];
  const label = `${dotted(base)}.shm_size`;
  const report = (severity: Severity, p: Path, message: string, fixes?: Fix[]) => ctx.report({ rule: 'k8s-quantity', severity, path: p, message, fixes });
  const bytes = parseQuantity(shm);
  if (bytes === undefined) {
    const guess = quantityGuess(shm);
    report('error', path, `${label} ${q(shm)} is not a Kubernetes quantity: write a number with a suffix Ki, Mi, Gi, Ti (powers of 1024) `
      + `or k, M, G, T (powers of 1000), such as 16Gi${guess ? `; ${q(shm)} is ${q(guess)}` : ''}`,
    guess ? [fix(`Change to ${guess}`, path, guess)] : undefined);
    return;
  }
  if (bytes <= 0) {
    report('error', path, `${label} ${q(shm)} leaves no shared memory; give a size such as 1Gi, or remove it for the container's default 64 MiB`);
    return;
  }
  const limit = memory && typeof memory.value === 'string' ? parseQuantity(memory.value) : undefined;
  if (memory && limit !== undefined && bytes > limit) {
    report('warning', path, `${label} ${q(shm)} is more than ${memory.label} ${q(memory.value)}: /dev/shm is memory-backed and counts against `
      + `the pod's memory limit, so filling it gets the pod OOMKilled before it is full; keep shm_size below ${memory.label}`);
  }
  const volumes = own(spec, 'volumes');
  if (!Array.isArray(volumes)) return;
  volumes.forEach((v, i) => {
    const mount = own(v, 'mount_path');
    if (typeof mount === 'string' && /^\/dev\/shm\/*$/.test(mount)) {
      report('error', [...base, 'volumes', i, 'mount_path'], `${dotted(base)}.volumes[${i}] is mounted at /dev/shm, where ${label} ${q(shm)} already mounts `
        + 'a memory-backed volume; keep one of the two (shm_size is short for an emptyDir with medium: Memory and that size_limit)');
    } else if (own(v, 'name') === 'dshm') {
      report('error', [...base, 'volumes', i, 'name'], `${dotted(base)}.volumes[${i}] is named "dshm", the name of the /dev/shm volume that ${label} adds; rename it`);
    }
  });
}

/** `gpus: 3` or `"H100:3"` — whole GPUs, since `nvidia.com/gpu` is an extended resource, which cannot be split. */
export function checkK8sGpus(ctx: RuleContext, gpus: unknown, path: Path, where: string): void {
  if (gpus === undefined || gpus === null) return;
  const report = (message: string, newText?: string) => ctx.report({
    rule: 'k8s-gpus', severity: 'error', path, message,
    fixes: newText !== undefined ? [fix(`Change to ${newText}`, path, newText)] : undefined,
  });
  const label = `${dotted(path)} ${q(gpus)}`;
  if (typeof gpus === 'number') {
    if (Number.isSafeInteger(gpus) && gpus >= 0) return;
    if (!Number.isFinite(gpus) || gpus < 0) {
      report(`${label} is not a GPU count: ${where} requests whole GPUs (nvidia.com/gpu), 0 or more`);
      return;
    }
    const up = Math.ceil(gpus);
    report(`${label} is a fraction, but ${where} requests whole GPUs: nvidia.com/gpu cannot be split between pods `
      + `(GPU sharing such as MIG or time-slicing shows up as its own whole devices); request ${up}`, String(up));
    return;
  }
  if (typeof gpus !== 'string') return; // the schema reports the type
  const t = gpus.trim();
  if (/^\d+$/.test(t)) {
    report(`${label} is a string; write the GPU count as a number`, String(Number(t)));
    return;
  }
  const m = /^(.*\S)\s*:\s*(\S+)$/.exec(t);
  if (m && /^\d+$/.test(m[2])) return; // TYPE:N
  if (m && /^\d*\.\d+$/.test(m[2])) {
    const up = Math.ceil(Number(m[2]));
    report(`${label} asks for a fraction of a GPU, but ${where} requests whole GPUs (nvidia.com/gpu cannot be split); request ${m[1]}:${up}`,
      JSON.stringify(`${m[1]}:${up}`));
    return;
  }
  report(`${label} is not a GPU request: ${where} takes a whole number such as 2, or TYPE:N such as "H100:2"`
    + (m ? '' : `; for a GPU type alone write ${q(`${t}:1`)}`), m ? undefined : JSON.stringify(`${t}:1`));
}

export function checkNamespace(ctx: RuleContext, ns: unknown, path: Path, label: string): void {
  if (typeof ns !== 'string' || isDns1123Label(ns)) return;
  const suggestion = sanitizeK8sName(ns, { dots: false, max: 63 });
  ctx.report({
    rule: 'k8s-name',
    severity: 'error',
    path,
    message: `${label} ${q(ns)} is not a valid Kubernetes namespace: use at most 63 lowercase letters, digits and '-', `
      + `starting and ending with a letter or digit (DNS-1123 label)${suggestion ? `, e.g. ${q(suggestion)}` : ''}`,
    fixes: suggestion ? [fix(`Change namespace to ${q(suggestion)}`, path, yamlString(suggestion))] : undefined,
  });
}

function dotted(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}

// ---------------------------------------------------------------------------------------------
// command-shell

const commandShell = rule('command-shell', (ctx, c) => {
  const command = own(c, 'command');
  const shell = own(c, 'shell');
  if (typeof command === 'string' && shell !== true) {
    const fixes: Fix[] = [];
    const words = command.trim().split(/\s+/).filter((w) => w !== '');
    // Only offer the argv conversion when splitting on blanks is what a shell would do too
    // ({params.x} placeholders are fine: /bin/sh has no brace expansion).
    if (words.length > 0 && !/[|&;<>()$`\\"'*?[\]#~=%!\n]/.test(command)) {
      fixes.push(fix('Write command as an argv list', ['command'], `[${words.map(yamlString).join(', ')}]`));
    }
    fixes.push(shell === undefined
      ? { title: 'Set shell: true', edits: [{ path: [], target: 'insert', newText: 'shell: true' }], preferred: fixes.length === 0 }
      : fix('Set shell: true', ['shell'], 'true', fixes.length === 0));
    ctx.report({
      rule: 'command-shell',
      severity: 'error',
      path: ['command'],
      message: 'command is a string, which runs through a shell only with `shell: true`; '
        + 'write it as an argv list such as [python, train.py] or set shell: true',
      fixes,
    });
  } else if (Array.isArray(command) && shell === true) {
    const joined = command.map((a) => (typeof a === 'string' ? a : q(a))).join(' ');
    ctx.report({
      rule: 'command-shell',
      severity: 'warning',
      path: ['command'],
      message: `command is a list but shell: true joins it into one shell command line (${q(joined)}), `
        + 'so quoting inside the items is lost; write command as a single string, or drop shell: true to run the list as argv',
      fixes: [
        fix('Write command as one shell string', ['command'], JSON.stringify(joined)),
        fix('Set shell: false', ['shell'], 'false', false),
      ],
    });
  }
}, true);

// ---------------------------------------------------------------------------------------------
// launch-limits: what exec refuses (the local target refuses it again once params are rendered)

const launchLimits = rule('launch-limits', (ctx, c) => {
  const report = (path: Path, message: string) => ctx.report({ rule: 'launch-limits', severity: 'error', path, message });
  const command = own(c, 'command');
  if (typeof command === 'string') {
    const message = argProblem(command, 'command');
    if (message) report(['command'], message);
  } else if (Array.isArray(command)) {
    command.forEach((a, i) => {
      const message = typeof a === 'string' ? argProblem(a, `command item ${i + 1}`) : undefined;
      if (message) report(['command', i], message);
    });
  }
  const env = own(c, 'env');
  if (isObj(env)) {
    for (const [k, v] of Object.entries(env)) {
      const message = typeof v === 'string' ? argProblem(`${k}=${v}`, `env.${k}`) : undefined;
      if (message) report(['env', k], message);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// kafka-split-sum, kafka-offsets, kafka-partition-duplicate

/** `x` rounded to `digits` significant digits, as a number (no exponent artefacts like 0.30000000000000004). */
function roundSig(x: number, digits: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

/**
 * `rates` scaled to sum to 1, each rounded to 6 significant digits, with the last (or, if that
 * would go negative, the largest) element absorbing the rounding so the printed values sum to 1.
 */
export function normaliseSplit(rates: number[]): number[] | undefined {
  const sum = rates.reduce((a, b) => a + b, 0);
  if (rates.length === 0 || !(sum > 0) || rates.some((r) => !isNum(r) || r < 0)) return undefined;
  const out = rates.map((r) => roundSig(r / sum, 6));
  let adjust = out.length - 1;
  const rest = (i: number) => out.reduce((a, b, j) => (j === i ? a : a + b), 0);
  if (1 - rest(adjust) < 0) adjust = out.indexOf(Math.max(...out));
  out[adjust] = roundSig(1 - rest(adjust), 12);
  return out;
}

const kafkaSplitSum = rule('kafka-split-sum', (ctx, c) => {
  const split = at(c, 'data', 'kafka', 'split');
  if (!Array.isArray(split) || split.length === 0 || !split.every(isNum)) return;
  const sum = split.reduce((a: number, b: number) => a + b, 0);
  if (Math.abs(sum - 1) <= 1e-6) return;
  const normalised = normaliseSplit(split);
  const path: Path = ['data', 'kafka', 'split'];
  ctx.report({
    rule: 'kafka-split-sum',
    severity: 'error',
    path,
    message: `data.kafka.split rates [${split.join(', ')}] sum to ${roundSig(sum, 10)}, not 1; `
      + 'the train/validation/test rates must add up to 1 (±1e-6)'
      + (normalised ? ` — normalised they are [${normalised.join(', ')}]` : '; make them non-negative with a positive sum'),
    fixes: normalised
      ? [{
        title: 'Normalise split rates to sum to 1',
        edits: normalised.map((v, i) => ({ path: [...path, i], target: 'value' as const, newText: String(v) })),
        preferred: true,
      }]
      : undefined,
  });
});

const OFFSET_RANGE = /^\s*(\d+)\s*:\s*(\d+)\s*:\s*(\d+)\s*$/;

const kafkaOffsets = rule('kafka-offsets', (ctx, c) => {
  const offsets = at(c, 'data', 'kafka', 'offsets');
  if (!Array.isArray(offsets)) return;
  offsets.forEach((item, i) => {
    if (typeof item !== 'string') return; // the schema reports the type
    const path: Path = ['data', 'kafka', 'offsets', i];
    const m = OFFSET_RANGE.exec(item);
    if (!m) {
      ctx.report({
        rule: 'kafka-offsets',
        severity: 'error',
        path,
        message: `Offsets entry ${q(item)} is not "partition:start:end" with non-negative integers; write it like "0:0:19999" (inclusive offsets)`,
      });
      return;
    }
    const [partition, start, end] = [m[1], m[2], m[3]].map(Number);
    if (start > end) {
      const swapped = `${partition}:${end}:${start}`;
      ctx.report({
        rule: 'kafka-offsets',
        severity: 'error',
        path,
        message: `Offsets entry ${q(item)} starts at offset ${start}, after its end ${end}; the range is inclusive and needs start ≤ end, e.g. ${q(swapped)}`,
        fixes: [fix(`Swap start and end: ${q(swapped)}`, path, JSON.stringify(swapped))],
      });
    }
  });
});

const kafkaPartitionDuplicate = rule('kafka-partition-duplicate', (ctx, c) => {
  const offsets = at(c, 'data', 'kafka', 'offsets');
  if (!Array.isArray(offsets)) return;
  const first = new Map<number, number>();
  offsets.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const m = OFFSET_RANGE.exec(item);
    if (!m) return;
    const partition = Number(m[1]);
    const j = first.get(partition);
    if (j === undefined) {
      first.set(partition, i);
      return;
    }
    ctx.report({
      rule: 'kafka-partition-duplicate',
      severity: 'error',
      path: ['data', 'kafka', 'offsets', i],
      message: `Partition ${partition} is listed twice: ${q(item)} here and ${q(offsets[j])} at data.kafka.offsets[${j}]; `
        + 'give each partition one start:end range',
    });
  });
});

// An error, not a warning: `expctl run` refuses such an experiment (the sweep of one too), so the
// editor must not present it as runnable.
const metricsSourceKafka = rule('metrics-source-kafka', (ctx, c) => {
  const sources = at(c, 'metrics', 'sources');
  if (!Array.isArray(sources)) return;
  sources.forEach((s, i) => {
    if (s === 'kafka') ctx.report({ rule: 'metrics-source-kafka', severity: 'error', path: ['metrics', 'sources', i], message: KAFKA_SOURCE_MESSAGE });
  });
});

// ---------------------------------------------------------------------------------------------
// launcher-gpu-ids, gpu-count, gpu-type, precision-support

const launcherGpuIds = rule('launcher-gpu-ids', (ctx, c) => {
  const launcher = own(c, 'launcher');
  if (!isObj(launcher) || own(launcher, 'type') !== 'accelerate') return;
  const raw = own(launcher, 'gpu_ids');
  const path: Path = ['launcher', 'gpu_ids'];
  let ids: number[];
  let idPaths: Path[];
  if (typeof raw === 'string') {
    if (raw.trim().toLowerCase() === 'all') return;
    const parts = raw.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^\d+$/.test(p))) {
      ctx.report({
        rule: 'launcher-gpu-ids',
        severity: 'error',
        path,
        message: `launcher.gpu_ids ${q(raw)} is not a list of GPU indices; write "all" or comma-separated indices such as "0,1,2"`,
      });
      return;
    }
    ids = parts.map(Number);
    idPaths = ids.map(() => path);
  } else if (Array.isArray(raw)) {
    ids = [];
    idPaths = [];
    raw.forEach((v, i) => {
      if (isInt(v)) {
        ids.push(v);
        idPaths.push([...path, i]);
      }
    });
    if (ids.length !== raw.length) return; // non-integers: the schema reports them
  } else {
    return;
  }

  const seen = new Set<number>();
  ids.forEach((id, k) => {
    if (seen.has(id)) {
      ctx.report({
        rule: 'launcher-gpu-ids',
        severity: 'error',
        path: idPaths[k],
        message: `launcher.gpu_ids lists GPU ${id} twice (${q(raw)}); each process needs its own GPU, so list each index once`,
      });
    }
    seen.add(id);
  });

  const np = own(launcher, 'num_processes');
  if (isInt(np) && np !== ids.length) {
    ctx.report({
      rule: 'launcher-gpu-ids',
      severity: 'error',
      path,
      message: `launcher.gpu_ids ${q(raw)} lists ${plural(ids.length, 'GPU')} but launcher.num_processes is ${np}; `
        + `accelerate runs one process per GPU, so list ${plural(np, 'GPU id')} or set num_processes to ${ids.length}`,
      fixes: ids.length > 0 ? [fix(`Set launcher.num_processes to ${ids.length}`, ['launcher', 'num_processes'], String(ids.length))] : undefined,
    });
  }
});

interface GpuRequest { count: number; type?: string }

/** `3`, `"3"` or `"H100:3"`; undefined for anything else. */
function parseGpus(v: unknown): GpuRequest | undefined {
  if (isInt(v) && v >= 0) return { count: v };
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return { count: Number(t) };
  const m = /^(.*\S)\s*:\s*(\d+)$/.exec(t);
  return m ? { count: Number(m[2]), type: m[1] } : undefined;
}

interface Processes { perNode: number; field: Path; describe: string; machines: number }

/** Processes per node that the launcher starts, when it says so with numbers. */
function launcherProcesses(launcher: unknown): Processes | undefined {
  if (!isObj(launcher)) return undefined;
  const type = own(launcher, 'type');
  if (type === 'accelerate') {
    const np = own(launcher, 'num_processes');
    if (!isInt(np) || np < 1) return undefined;
    const nm = own(launcher, 'num_machines');
    // accelerate's num_processes is the total over all machines.
    if (isInt(nm) && nm > 1) {
      if (np % nm !== 0) return undefined;
      return { perNode: np / nm, field: ['launcher', 'num_processes'], machines: nm,
        describe: `launcher.num_processes is ${np} over ${nm} machines, ${np / nm} per machine` };
    }
    return { perNode: np, field: ['launcher', 'num_processes'], machines: 1, describe: `launcher.num_processes is ${np}` };
  }
  if (type === 'torchrun') {
    const n = own(launcher, 'nproc_per_node');
    if (!isInt(n) || n < 1) return undefined;
    return { perNode: n, field: ['launcher', 'nproc_per_node'], machines: 1, describe: `launcher.nproc_per_node is ${n}` };
  }
  return undefined;
}

function gpusText(raw: unknown, req: GpuRequest, count: number): string {
  return typeof raw === 'string' && req.type !== undefined ? JSON.stringify(`${req.type}:${count}`) : String(count);
}

function sameGpu(a: string, b: string): boolean {
  const ga = findGpu(a);
  return a.trim().toLowerCase() === b.trim().toLowerCase() || (ga !== undefined && ga === findGpu(b));
}

const gpuCount = rule('gpu-count', (ctx, c) => {
  const resources = own(c, 'resources');
  const rawGpus = own(resources, 'gpus');
  const req = parseGpus(rawGpus);
  const procs = launcherProcesses(own(c, 'launcher'));

  if (procs && rawGpus === undefined && procs.perNode > 1) {
    ctx.report({
      rule: 'gpu-count',
      severity: 'warning',
      path: ['launcher'],
      message: `${procs.describe} but resources.gpus is not set, so no GPUs are reserved for the ${procs.perNode} processes; `
        + `add resources.gpus: ${procs.perNode}`,
      fixes: [{
        title: `Add resources.gpus: ${procs.perNode}`,
        edits: [isObj(resources)
          ? { path: ['resources'], target: 'insert', newText: `gpus: ${procs.perNode}` }
          : { path: [], target: 'insert', newText: `resources: { gpus: ${procs.perNode} }` }],
        preferred: true,
      }],
    });
  }

  if (procs && req && req.count > 0) {
    const P = procs.perNode;
    const G = req.count;
    const shown = typeof rawGpus === 'string' ? q(rawGpus) : String(rawGpus);
    if (P > G) {
      ctx.report({
        rule: 'gpu-count',
        severity: 'error',
        path: ['resources', 'gpus'],
        message: `${P} ${P === 1 ? 'process needs' : 'processes need'} ${plural(P, 'GPU')} but resources.gpus is ${shown} `
          + `(${procs.describe}, one process per GPU); set resources.gpus to ${gpusText(rawGpus, req, P)} or launch at most ${plural(G, 'process', 'processes')}`,
        fixes: [fix(`Set resources.gpus to ${gpusText(rawGpus, req, P)}`, ['resources', 'gpus'], gpusText(rawGpus, req, P))],
      });
    } else if (P < G) {
      const newNp = G * procs.machines;
      ctx.report({
        rule: 'gpu-count',
        severity: 'warning',
        path: ['resources', 'gpus'],
        message: `resources.gpus is ${shown} but only ${plural(P, 'process', 'processes')} will use them (${procs.describe}), `
          + `so ${plural(G - P, 'GPU')} would sit idle; set ${procs.field.join('.')} to ${newNp} or resources.gpus to ${gpusText(rawGpus, req, P)}`,
        fixes: [
          fix(`Set ${procs.field.join('.')} to ${newNp}`, procs.field, String(newNp)),
          fix(`Set resources.gpus to ${gpusText(rawGpus, req, P)}`, ['resources', 'gpus'], gpusText(rawGpus, req, P), false),
        ],
      });
    }
  }

  const gpuType = own(resources, 'gpu_type');
  if (req?.type !== undefined && typeof gpuType === 'string' && gpuType.trim() !== '' && !sameGpu(req.type, gpuType)) {
    ctx.report({
      rule: 'gpu-count',
      severity: 'error',
      path: ['resources', 'gpu_type'],
      message: `resources.gpus ${q(rawGpus)} asks for ${req.type} but resources.gpu_type is ${q(gpuType)}; `
        + `name one GPU type: drop gpu_type or change it to ${q(req.type)}`,
      fixes: [fix(`Change gpu_type to ${q(req.type)}`, ['resources', 'gpu_type'], yamlString(req.type))],
    });
  }
}, true);

const gpuType = rule('gpu-type', (ctx, c) => {
  const resources = own(c, 'resources');
  const check = (type: string, path: Path, label: string, replacement: (name: string) => string) => {
    if (type.trim() === '' || findGpu(type)) return;
    const guesses = closestGpus(type);
    ctx.report({
      rule: 'gpu-type',
      severity: 'warning',
      path,
      message: `Unknown GPU type ${q(type)} in ${label}; `
        + (guesses.length > 0
          ? `did you mean ${orList(guesses)}?`
          : 'expected a model such as A100, H100, L40S, T4 or MI300X (completion lists them all); '
            + 'check the spelling, or ignore this if your cluster names GPUs its own way'),
      fixes: guesses.length > 0
        ? guesses.map((g, k) => fix(`Change to ${q(replacement(g))}`, path, yamlString(replacement(g)), k === 0))
        : undefined,
    });
  };
  const gpuType = own(resources, 'gpu_type');
  if (typeof gpuType === 'string') check(gpuType, ['resources', 'gpu_type'], 'resources.gpu_type', (n) => n);
  const raw = own(resources, 'gpus');
  const req = parseGpus(raw);
  if (req?.type !== undefined) {
    check(req.type, ['resources', 'gpus'], `resources.gpus ${q(raw)}`, (n) => `${n}:${req.count}`);
  }
});

/**
 * Catalog names closest to an unknown GPU name, comparing the tolerant keys (`nvidia h10` ~ `H100`):
 * those at the smallest edit distance (within the limit util/strings `closest` uses) that share
 * the longest prefix with it, so `H10` suggests H100 rather than A10, and `L40X` both L40 and L40S.
 */
function closestGpus(type: string): string[] {
  const key = gpuKey(type);
  if (key === '') return [];
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  const prefix = (a: string, b: string) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  let best: Array<{ name: string; d: number; p: number }> = [];
  for (const g of gpuCatalog) {
    for (const n of [g.name, ...g.aliases]) {
      const k = gpuKey(n);
      const d = levenshtein(key, k);
      if (d > limit) continue;
      const cand = { name: g.name, d, p: prefix(key, k) };
      if (best.length === 0 || d < best[0].d || (d === best[0].d && cand.p > best[0].p)) best = [cand];
      else if (d === best[0].d && cand.p === best[0].p && !best.some((b) => b.name === g.name)) best.push(cand);
    }
  }
  return best.slice(0, 3).map((b) => b.name);
}

function describeGpu(g: GpuModel): string {
  const cc = /^\d/.test(g.computeCapability) ? `compute capability ${g.computeCapability}` : g.computeCapability;
  return `${g.name} (${g.arch}, ${cc})`;
}

const precisionSupport = rule('precision-support', (ctx, c) => {
  const mp = at(c, 'launcher', 'mixed_precision');
  if (mp !== 'bf16' && mp !== 'fp8') return;
  const resources = own(c, 'resources');
  const typeField = own(resources, 'gpu_type');
  const fromGpus = parseGpus(own(resources, 'gpus'))?.type;
  let gpu: GpuModel | undefined;
  let source = '';
  if (typeof typeField === 'string' && findGpu(typeField)) {
    gpu = findGpu(typeField);
    source = 'resources.gpu_type';
  } else if (fromGpus !== undefined && findGpu(fromGpus)) {
    gpu = findGpu(fromGpus);
    source = 'resources.gpus';
  }
  if (!gpu) return;
  const path: Path = ['launcher', 'mixed_precision'];
  if (mp === 'bf16' && !gpu.bf16) {
    ctx.report({
      rule: 'precision-support',
      severity: 'error',
      path,
      message: `mixed_precision "bf16" needs bfloat16 support, which ${describeGpu(gpu)} from ${source} does not have `
        + '(bf16 needs NVIDIA Ampere / compute capability 8.0 or newer, or AMD CDNA 2+); use "fp16"',
      fixes: [fix('Use fp16', path, 'fp16')],
    });
  } else if (mp === 'fp8' && !gpu.fp8) {
    ctx.report({
      rule: 'precision-support',
      severity: 'error',
      path,
      message: `mixed_precision "fp8" needs FP8 tensor cores, which ${describeGpu(gpu)} from ${source} does not have `
        + '(fp8 needs NVIDIA Ada / Hopper / Blackwell, compute capability 8.9 or newer, or AMD MI300X); '
        + (gpu.bf16 ? `use "fp16", or "bf16" which ${gpu.name} supports` : 'use "fp16"'),
      fixes: gpu.bf16
        ? [fix('Use fp16', path, 'fp16', false), fix('Use bf16', path, 'bf16', true)]
        : [fix('Use fp16', path, 'fp16')],
    });
  }
}, true);

// ---------------------------------------------------------------------------------------------
// template-var

export const RUN_VARIABLES = ['run_id', 'run_dir', 'trial', 'repeat', 'index', 'attempt', 'metrics_file', 'params_file', 'port'];

function isKnownVariable(config: Obj, name: string): boolean {
  if (RUN_VARIABLES.includes(name)) return true;
  if (name.startsWith('env.') && name.length > 4) return true;
  return getDotted(config, name) !== undefined;
}

const templateVar = rule('template-var', (ctx, c) => {
  let candidates: string[] | undefined;
  const check = (s: unknown, path: Path, where: string) => {
    if (typeof s !== 'string') return;
    for (const v of templateVars(s)) {
      // `${HOME}` is shell or environment syntax, which rendering leaves alone.
      if (isKnownVariable(c, v.name) || s[v.start - 1] === '$') continue;
      candidates ??= [...dottedPaths(c), ...RUN_VARIABLES];
      const close = closeMatches(v.name, candidates);
      ctx.report({
        rule: 'template-var',
        severity: 'error',
        path,
        message: `Unknown template variable {${v.name}} in ${where}`
          + (close.length > 0 ? `; did you mean ${orList(close.map((n) => `{${n}}`))}?` : '')
          + '; use a dotted path of this experiment (such as {params.NAME}, {resources.gpus} or {name}) or a run variable '
          + `(${RUN_VARIABLES.map((r) => `{${r}}`).join(', ')}, {env.NAME}); write {{ and }} for literal braces`,
        fixes: close.length > 0
          ? close.map((n, k) => fix(`Change to {${n}}`, path, JSON.stringify(s.slice(0, v.start) + `{${n}}` + s.slice(v.end)), k === 0))
          : undefined,
      });
    }
  };
  const command = own(c, 'command');
  if (typeof command === 'string') check(command, ['command'], 'command');
  else if (Array.isArray(command)) command.forEach((a, i) => check(a, ['command', i], `command[${i}]`));
  const env = own(c, 'env');
  if (isObj(env)) for (const k of Object.keys(env)) check(env[k], ['env', k], `env.${k}`);
  // on_failure's env joins env: before a retry and is rendered the same way.
  const onFailure = own(c, 'on_failure');
  if (isObj(onFailure)) {
    for (const [cls, action] of Object.entries(onFailure)) {
      const e = own(action, 'env');
      if (isObj(e)) for (const k of Object.keys(e)) check(e[k], ['on_failure', cls, 'env', k], `on_failure.${cls}.env.${k}`);
    }
  }
  check(own(c, 'workdir'), ['workdir'], 'workdir');
  // Rendered too: a placeholder left as written would reach the launcher literally.
  const launcher = own(c, 'launcher');
  const args = own(launcher, 'args');
  if (Array.isArray(args)) args.forEach((a, i) => check(a, ['launcher', 'args', i], `launcher.args[${i}]`));
  check(own(launcher, 'rdzv_endpoint'), ['launcher', 'rdzv_endpoint'], 'launcher.rdzv_endpoint');
}, true);

// ---------------------------------------------------------------------------------------------
// file-exists

const SCRIPT = /\.(py|sh|bash|js|mjs|cjs|ts|rb|jl|R|r)$/;
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);

/** The script that a command runs, and where it is in the command, if one is recognisable. */
export function findScript(command: unknown): { script: string; path: Path } | undefined {
  let argv: Array<string | undefined>;
  let pathOf: (i: number) => Path;
  if (Array.isArray(command)) {
    argv = command.map((a) => (typeof a === 'string' ? a : typeof a === 'number' ? String(a) : undefined));
    pathOf = (i) => ['command', i];
  } else if (typeof command === 'string') {
    argv = command.trim().split(/\s+/).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
    pathOf = () => ['command'];
  } else {
    return undefined;
  }
  const program = nodePath.posix.basename(argv[0] ?? '');
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === undefined || t === '') continue;
    // Inline code or a change of directory: the script (if any) is not a path we can resolve.
    if (t === '-c' || t === '-e' || t === '--eval' || (SHELLS.has(program) && /^-[a-z]*c$/.test(t))) return undefined;
    if (typeof command === 'string' && (t === 'cd' || t === 'pushd')) return undefined;
    if (t === '-m') {
      i++; // python -m module: the next word is a module, later ones may be a script for it
      continue;
    }
    if (t.startsWith('-') || t.includes('=') || t.includes('://')) continue;
    if (!SCRIPT.test(t)) continue;
    if (t.includes('{') || t.includes('$') || t.startsWith('~')) return undefined;
    return { script: t, path: pathOf(i) };
  }
  return undefined;
}

const fileExists = rule('file-exists', (ctx, c) => {
  if (!ctx.settings?.checkFiles || typeof ctx.file !== 'string' || ctx.file === '') return;
  const found = findScript(own(c, 'command'));
  if (!found) return;
  const fileDir = nodePath.dirname(ctx.file);
  const workdir = own(c, 'workdir');
  const dirs: string[] = [];
  if (typeof workdir === 'string' && workdir.trim() !== '') {
    if (/[{$~]/.test(workdir)) return; // resolved at run time
    dirs.push(nodePath.resolve(fileDir, workdir));
  }
  if (!dirs.includes(fileDir)) dirs.push(fileDir);
  const candidates = nodePath.isAbsolute(found.script) ? [found.script] : dirs.map((d) => nodePath.resolve(d, found.script));
  if (candidates.some((p) => ctx.host.exists(p))) return;
  const looked = nodePath.isAbsolute(found.script) ? [nodePath.dirname(found.script)] : dirs;
  ctx.report({
    rule: 'file-exists',
    severity: 'error',
    path: found.path,
    message: `Script ${q(found.script)} not found (looked in ${looked.join(', ')}); `
      + 'fix the path, or set workdir to the folder that contains it',
  });
});

// ---------------------------------------------------------------------------------------------
// k8s-name, k8s-pytorchjob

const k8sName = rule('k8s-name', (ctx, c) => {
  const k8s = own(c, 'kubernetes');
  if (!isObj(k8s)) return;
  const name = own(c, 'name');
  if (typeof name === 'string' && name !== '') {
    const pytorchJob = own(k8s, 'kind') === 'PyTorchJob';
    const report = (severity: Severity, message: string, suggestion: string | undefined) => ctx.report({
      rule: 'k8s-name',
      severity,
      path: ['name'],
      message: message + (suggestion ? `, e.g. ${q(suggestion)}` : ''),
      fixes: suggestion ? [fix(`Rename to ${q(suggestion)}`, ['name'], yamlString(suggestion))] : undefined,
    });
    if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253) {
      report('error',
        `name ${q(name)} is not a valid Kubernetes object name, and the ${pytorchJob ? 'PyTorchJob' : 'Job'} name derives from it: `
        + "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (DNS-1123 subdomain, at most 253 characters)",
        sanitizeK8sName(name, pytorchJob ? { dots: false, max: 52, letterFirst: true } : { dots: true, max: 52 }));
    } else if (pytorchJob && !DNS1035_LABEL.test(name)) {
      report('error',
        `name ${q(name)} cannot name a PyTorchJob: the Kubeflow training operator requires a DNS-1035 label `
        + "(lowercase letters, digits and '-', starting with a letter, no '.')",
        sanitizeK8sName(name, { dots: false, max: 52, letterFirst: true }));
    } else if (name.length > 52) {
      report('warning',
        `name ${q(name)} is ${name.length} characters; the Job name derives from it and gets a suffix, and pod names are capped at 63, `
        + 'so keep it to 52 characters or fewer',
        sanitizeK8sName(name, { dots: !pytorchJob, max: 52, letterFirst: pytorchJob }));
    }
  }
  checkKubernetesSpec(ctx, k8s, ['kubernetes']);
});

const k8sPytorchJob = rule('k8s-pytorchjob', (ctx, c) => {
  const k8s = own(c, 'kubernetes');
  const kind = own(k8s, 'kind');
  const workers = own(k8s, 'workers');
  if (!isNum(workers)) return;
  if (kind === 'PyTorchJob' && workers < 1) {
    ctx.report({
      rule: 'k8s-pytorchjob',
      severity: 'warning',
      path: ['kubernetes', 'workers'],
      message: `kind: PyTorchJob with kubernetes.workers ${workers} starts no worker pods, only the master; `
        + 'set workers to 1 or more for multi-node training, or use kind: Job for a single pod',
      fixes: [fix('Use kind: Job', ['kubernetes', 'kind'], 'Job')],
    });
  } else if (kind === 'Job' && workers > 1) {
    ctx.report({
      rule: 'k8s-pytorchjob',
      severity: 'warning',
      path: ['kubernetes', 'workers'],
      message: `kubernetes.workers is ${workers} but a batch/v1 Job runs a single pod; use kind: PyTorchJob for multi-node`,
      fixes: [fix('Use kind: PyTorchJob', ['kubernetes', 'kind'], 'PyTorchJob')],
    });
  }
});

/** The experiment's target (its own `target:`, else targets.yaml's `default`) when targets.yaml defines it as a Kubernetes target. */
function kubernetesTargetOf(ctx: RuleContext, c: Obj): { name: string; target: Obj } | undefined {
  const name = own(c, 'target') ?? own(ctx.targets, 'default');
  if (typeof name !== 'string') return undefined;
  const target = at(ctx.targets, 'targets', name);
  return isObj(target) && own(target, 'type') === 'kubernetes' ? { name, target } : undefined;
}

const k8sSecretEnv = rule('k8s-secret-env', (ctx, c) => {
  const k8s = own(c, 'kubernetes');
  const t = kubernetesTargetOf(ctx, c);
  const targetDefaults = t && own(t.target, 'defaults');
  const envs = [{ env: own(c, 'env'), label: 'env' }];
  if (t) envs.push({ env: own(targetDefaults, 'env'), label: `targets.yaml's targets.${t.name}.defaults.env` });
  checkSecretEnv(ctx, k8s, ['kubernetes'], envs);
  // The other way round: a target's secret is not to be shadowed by this file's env.
  const targetSecrets = at(targetDefaults, 'kubernetes', 'secret_env');
  const env = own(c, 'env');
  if (!t || !isObj(targetSecrets) || !isObj(env)) return;
  for (const name of Object.keys(env)) {
    if (!hasOwn(targetSecrets, name) || (isObj(k8s) && hasOwn(own(k8s, 'secret_env'), name))) continue;
    ctx.report({
      rule: 'k8s-secret-env', severity: 'error', path: ['env', name], target: 'key',
      message: `env.${name} is also set from a Secret by targets.yaml's targets.${t.name}.defaults.kubernetes.secret_env; `
        + 'the pod would get the variable twice and one value would be ignored — set it in one place',
    });
  }
});

const k8sQuantity = rule('k8s-quantity', (ctx, c) => {
  checkShmSize(ctx, own(c, 'kubernetes'), ['kubernetes'], { value: at(c, 'resources', 'memory'), label: 'resources.memory' });
});

const k8sGpus = rule('k8s-gpus', (ctx, c) => {
  const t = kubernetesTargetOf(ctx, c);
  if (t) checkK8sGpus(ctx, at(c, 'resources', 'gpus'), ['resources', 'gpus'], `Kubernetes target ${q(t.name)}`);
});

// ---------------------------------------------------------------------------------------------
// on-oom-param, retry-backoff, unknown-target, timeout

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
const onOomParam = rule('on-oom-param', (ctx, c) => {
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

const retryBackoff = rule('retry-backoff', (ctx, c) => {
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

const unknownTarget = rule('unknown-target', (ctx, c) => {
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

const LENIENT_UNITS: Array<[RegExp, string]> = [
  [/^(ms|msecs?|millis(econds?)?|milliseconds?)$/i, 'ms'],
  [/^(s|secs?|seconds?)$/i, 's'],
  [/^(m|mins?|minutes?)$/i, 'm'],
  [/^(h|hrs?|hours?)$/i, 'h'],
  [/^(d|days?)$/i, 'd'],
];

/** `2 hours`, `30mins`, `1hr 30min` → seconds, for a fix suggestion; undefined when unclear. */
function lenientDuration(s: string): number | undefined {
  const text = s.replace(/,|\band\b/g, ' ').trim();
  const part = /(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    const unit = LENIENT_UNITS.find(([re]) => re.test(m[2]))?.[1];
    const size = unit === undefined ? undefined : parseDuration(`1${unit}`);
    if (size === undefined) return undefined;
    total += Number(m[1]) * size;
    pos = part.lastIndex;
  }
  return pos > 0 && Number.isFinite(total) && total > 0 ? total : undefined;
}

/** Reports (as `timeout`) a duration at `path` that does not parse or is not positive; `hint` says what to give instead. */
function checkDuration(ctx: RuleContext, t: unknown, path: Path, hint: string): void {
  if (typeof t !== 'string' && typeof t !== 'number') return;
  const label = dotted(path);
  const seconds = parseDuration(t);
  if (seconds === undefined) {
    const guess = typeof t === 'string' ? lenientDuration(t.trim()) : undefined;
    ctx.report({
      rule: 'timeout',
      severity: 'error',
      path,
      message: `${label} ${q(t)} is not a duration; write seconds (7200) or a duration such as 90s, 15m, 2h or 1h30m`
        + (guess !== undefined ? `, e.g. ${formatDuration(guess)}` : ''),
      fixes: guess !== undefined ? [fix(`Change to ${formatDuration(guess)}`, path, formatDuration(guess))] : undefined,
    });
  } else if (seconds <= 0) {
    ctx.report({
      rule: 'timeout',
      severity: 'error',
      path,
      message: `${label} ${q(t)} must be positive; ${hint}`,
    });
  }
}

/** The runner's waits for a pod (kubernetes.schedule_timeout, start_timeout) in a KubernetesSpec-shaped object at `base`. */
export function checkK8sTimeouts(ctx: RuleContext, spec: unknown, base: Path): void {
  checkDuration(ctx, own(spec, 'schedule_timeout'), [...base, 'schedule_timeout'],
    'give how long a pod may wait for a node, such as 10m, or remove it for the default 10m');
  checkDuration(ctx, own(spec, 'start_timeout'), [...base, 'start_timeout'],
    'give how long an image pull or container config error may last, such as 2m, or remove it for the default 2m');
}

const timeout = rule('timeout', (ctx, c) => {
  checkDuration(ctx, own(c, 'timeout'), ['timeout'], 'give the longest a run may take, such as 2h, or remove timeout for no limit');
  checkK8sTimeouts(ctx, own(c, 'kubernetes'), ['kubernetes']);
});

export const experimentRules: Rule[] = [
  commandShell,
  launchLimits,
  kafkaSplitSum,
  kafkaOffsets,
  kafkaPartitionDuplicate,
  metricsSourceKafka,
  launcherGpuIds,
  gpuCount,
  gpuType,
  precisionSupport,
  templateVar,
  fileExists,
  k8sName,
  k8sPytorchJob,
  k8sSecretEnv,
  k8sQuantity,
  k8sGpus,
  onOomParam,
  retryBackoff,
  unknownTarget,
  timeout,
];
