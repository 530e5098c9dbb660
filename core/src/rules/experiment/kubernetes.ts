// Kubernetes: object names, labels, secrets, shared memory and GPU requests of `kubernetes:` (the
// checks of a KubernetesSpec-shaped object are shared with targets.ts), and the rules k8s-name,
// k8s-pytorchjob, k8s-secret-env, k8s-quantity and k8s-gpus.
import type { Fix, Path, Severity } from '../../diagnostic';
import type { Report, RuleContext } from '../api';
import { parseQuantity } from '../../util/units';
import { yamlString } from '../../util/yaml-scalar';
import { at, hasOwn, isObj, own } from '../../util/object';
import type { Obj } from '../../util/object';
import { dotted, fix, isNum, q, rule } from './common';

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

export const k8sName = rule('k8s-name', (ctx, c) => {
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

export const k8sPytorchJob = rule('k8s-pytorchjob', (ctx, c) => {
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

export const k8sSecretEnv = rule('k8s-secret-env', (ctx, c) => {
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

export const k8sQuantity = rule('k8s-quantity', (ctx, c) => {
  checkShmSize(ctx, own(c, 'kubernetes'), ['kubernetes'], { value: at(c, 'resources', 'memory'), label: 'resources.memory' });
});

export const k8sGpus = rule('k8s-gpus', (ctx, c) => {
  const t = kubernetesTargetOf(ctx, c);
  if (t) checkK8sGpus(ctx, at(c, 'resources', 'gpus'), ['resources', 'gpus'], `Kubernetes target ${q(t.name)}`);
});
