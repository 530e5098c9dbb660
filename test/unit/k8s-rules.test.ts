// The Kubernetes checks of experiments and targets.yaml through the whole validation pipeline
// (schema, then rules): names, secret_env, shm_size, GPU counts, the pod timeouts, a target's
// context against its kubeconfig, and the `evicted` failure class — each with the message, the
// range it underlines, and its quick fix.
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateText } from '../../core/src/validate';
import type { Diagnostic } from '../../core/src/diagnostic';
import { experimentRules } from '../../core/src/rules/experiment';
import { targetsRules } from '../../core/src/rules/targets';
import { defaultSettings } from '../../core/src/rules/api';
import type { RuleContext } from '../../core/src/rules/api';
import type { Experiment, FileKind, TargetsFile } from '../../core/src/config/types';
import { applyOnFailure, policyClass } from '../../core/src/runner/retry-policy';
import { memHost } from '../helpers/memfs';

// The context rule reads the kubeconfig as the user has it ($KUBECONFIG, ~): make that this test's.
const HOME = '/home/tester';
before(() => {
  process.env.HOME = HOME;
  delete process.env.KUBECONFIG;
});

const TARGETS_FILE = '/w/targets.yaml';
const EXP_FILE = '/w/exp/train.experiment.yaml';
const TARGETS = `targets:
  cluster:
    type: kubernetes
    namespace: training
    image: registry/trainer:1.2
    defaults:
      env: { NCCL_DEBUG: WARN }
      kubernetes: { secret_env: { HF_TOKEN: { secret: hf, key: token } } }
  box: { type: local }
`;

function check(file: string, text: string, files: Record<string, string> = {}): { text: string; ds: Diagnostic[] } {
  const host = memHost({ '/w/exp/train.py': '', [TARGETS_FILE]: TARGETS, ...files, [file]: text });
  return { text, ds: validateText(file, text, host).diagnostics };
}

/** The text a diagnostic (or a fix edit) underlines. */
function underlined(text: string, r: Diagnostic['range']): string {
  const lines = text.split('\n');
  const off = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return text.slice(off(r.start), off(r.end));
}

/** The one diagnostic of `rule`, with what it underlines and its fixes as [title, replaced text, new text]. */
function one(r: { text: string; ds: Diagnostic[] }, rule: string) {
  const ds = r.ds.filter((d) => d.rule === rule);
  assert.equal(ds.length, 1, `one ${rule} diagnostic expected, got ${JSON.stringify(r.ds, null, 1)}`);
  const d = ds[0];
  return {
    severity: d.severity, message: d.message, at: underlined(r.text, d.range),
    fixes: (d.fixes ?? []).map((f) => [f.title, ...f.edits.flatMap((e) => [underlined(r.text, e.range), e.newText])]),
  };
}

const exp = (kubernetes: string, extra = '') => `name: train
command: [python, train.py]
target: cluster
env: { WANDB_PROJECT: mnist }
resources: { gpus: 2, memory: 32Gi }
${extra}kubernetes:
${kubernetes}`;

describe('experiments', () => {
  test('every new field, well written: no diagnostics', () => {
    const r = check(EXP_FILE, exp(`  kind: PyTorchJob
  workers: 2
  priority_class: high-priority
  shm_size: 16Gi
  secret_env: { WANDB_API_KEY: { secret: wandb.keys, key: api-key } }
  schedule_timeout: 30m
  start_timeout: 300
`, 'retry: { max_retries: 2, on: [evicted, oom] }\non_failure: { evicted: { env: { RESUME: "1" } } }\n'));
    assert.deepEqual(r.ds, []);
  });

  test('k8s-name: priority class and Secret names are DNS-1123 subdomains, with a fix', () => {
    const pc = one(check(EXP_FILE, exp('  priority_class: High_Priority\n')), 'k8s-name');
    assert.deepEqual(pc, {
      severity: 'error', at: 'High_Priority',
      message: 'kubernetes.priority_class "High_Priority" is not a valid PriorityClass name: use lowercase letters, digits, \'-\' and \'.\', '
        + 'starting and ending with a letter or digit (DNS-1123 subdomain, at most 253 characters), e.g. "high-priority"',
      fixes: [['Change priority class to "high-priority"', 'High_Priority', 'high-priority']],
    });
    const r = check(EXP_FILE, exp('  secret_env:\n    WANDB_API_KEY: { secret: W&B, key: api-key }\n'));
    const secret = one(r, 'k8s-name');
    assert.equal(secret.at, 'W&B');
    assert.match(secret.message, /^kubernetes\.secret_env\.WANDB_API_KEY\.secret "W&B" is not a valid Secret name: /);
    assert.deepEqual(secret.fixes, [['Change secret to "w-b"', 'W&B', 'w-b']]);
    assert.deepEqual(r.ds.filter((d) => d.rule === 'schema'), [], "the rule's message replaces the schema's pattern error");
  });

  test('k8s-secret-env: variable names, EXPCTL_*, and names env also sets', () => {
    const bad = one(check(EXP_FILE, exp('  secret_env: { wandb-api-key: { secret: wandb, key: k } }\n')), 'k8s-secret-env');
    assert.deepEqual(bad, {
      severity: 'error', at: 'wandb-api-key',
      message: 'kubernetes.secret_env variable "wandb-api-key" is not a valid environment variable name: use letters, digits and \'_\', '
        + 'not starting with a digit, e.g. "wandb_api_key"',
      fixes: [['Rename to "wandb_api_key"', 'wandb-api-key', 'wandb_api_key']],
    });
    assert.deepEqual(one(check(EXP_FILE, exp('  secret_env: { 1TOKEN: { secret: t, key: k } }\n')), 'k8s-secret-env').fixes,
      [['Rename to "_1TOKEN"', '1TOKEN', '_1TOKEN']]);
    assert.equal(one(check(EXP_FILE, exp('  secret_env: { EXPCTL_RUN_ID: { secret: t, key: k } }\n')), 'k8s-secret-env').message,
      'kubernetes.secret_env variable "EXPCTL_RUN_ID" is one of expctl\'s own (EXPCTL_*), which it sets in every run; choose another name');
    const clash = one(check(EXP_FILE, exp('  secret_env: { WANDB_PROJECT: { secret: wandb, key: project } }\n')), 'k8s-secret-env');
    assert.equal(clash.at, 'WANDB_PROJECT');
    assert.equal(clash.message, 'kubernetes.secret_env variable "WANDB_PROJECT" is also set by env.WANDB_PROJECT; the pod would get the variable twice '
      + 'and one value would be ignored — set it in one place (secret_env for a value that must stay secret)');
    // Across files: the target's defaults.env, and the target's secret_env against this env.
    assert.match(one(check(EXP_FILE, exp('  secret_env: { NCCL_DEBUG: { secret: n, key: k } }\n')), 'k8s-secret-env').message,
      /is also set by targets\.yaml's targets\.cluster\.defaults\.env\.NCCL_DEBUG;/);
    const shadow = one(check(EXP_FILE, exp('  kind: Job\n').replace('env: { WANDB_PROJECT: mnist }', 'env: { HF_TOKEN: plain }')), 'k8s-secret-env');
    assert.equal(shadow.at, 'HF_TOKEN');
    assert.match(shadow.message, /^env\.HF_TOKEN is also set from a Secret by targets\.yaml's targets\.cluster\.defaults\.kubernetes\.secret_env; /);
    // On a local target the target's defaults do not apply.
    assert.deepEqual(check(EXP_FILE, exp('  kind: Job\n').replace('target: cluster', 'target: box').replace('WANDB_PROJECT: mnist', 'HF_TOKEN: x')).ds, []);
  });

  test('k8s-quantity: shm_size parses, is above 0, fits in memory, and /dev/shm is mounted once', () => {
    const r = check(EXP_FILE, exp('  shm_size: 16GB\n'));
    assert.deepEqual(one(r, 'k8s-quantity'), {
      severity: 'error', at: '16GB',
      message: 'kubernetes.shm_size "16GB" is not a Kubernetes quantity: write a number with a suffix Ki, Mi, Gi, Ti (powers of 1024) '
        + 'or k, M, G, T (powers of 1000), such as 16Gi; "16GB" is "16G"',
      fixes: [['Change to 16G', '16GB', '16G']],
    });
    assert.deepEqual(r.ds.filter((d) => d.rule === 'schema'), []);
    assert.deepEqual(one(check(EXP_FILE, exp('  shm_size: 2gib\n')), 'k8s-quantity').fixes, [['Change to 2Gi', '2gib', '2Gi']]);
    assert.deepEqual(one(check(EXP_FILE, exp('  shm_size: 512kb\n')), 'k8s-quantity').fixes, [['Change to 512k', '512kb', '512k']]);
    assert.deepEqual(one(check(EXP_FILE, exp('  shm_size: lots\n')), 'k8s-quantity').fixes, []);
    assert.equal(one(check(EXP_FILE, exp('  shm_size: "0"\n')), 'k8s-quantity').message,
      'kubernetes.shm_size "0" leaves no shared memory; give a size such as 1Gi, or remove it for the container\'s default 64 MiB');
    const big = one(check(EXP_FILE, exp('  shm_size: 64Gi\n')), 'k8s-quantity');
    assert.equal(big.severity, 'warning');
    assert.equal(big.message, 'kubernetes.shm_size "64Gi" is more than resources.memory "32Gi": /dev/shm is memory-backed and counts against '
      + 'the pod\'s memory limit, so filling it gets the pod OOMKilled before it is full; keep shm_size below resources.memory');
    const twice = one(check(EXP_FILE, exp('  shm_size: 8Gi\n  volumes:\n    - { name: shm, mount_path: /dev/shm, empty_dir: { medium: Memory } }\n')), 'k8s-quantity');
    assert.equal(twice.at, '/dev/shm');
    assert.match(twice.message, /^kubernetes\.volumes\[0\] is mounted at \/dev\/shm, where kubernetes\.shm_size "8Gi" already mounts a memory-backed volume;/);
    const named = one(check(EXP_FILE, exp('  shm_size: 8Gi\n  volumes:\n    - { name: dshm, mount_path: /scratch, empty_dir: true }\n')), 'k8s-quantity');
    assert.equal(named.at, 'dshm');
    assert.deepEqual(check(EXP_FILE, exp('  volumes:\n    - { name: shm, mount_path: /dev/shm, empty_dir: { medium: Memory } }\n')).ds, [],
      'a /dev/shm volume alone is fine');
  });

  test('k8s-gpus: whole GPUs on a Kubernetes target, with the fix', () => {
    const withGpus = (gpus: string, target = 'cluster') => check(EXP_FILE, exp('  kind: Job\n')
      .replace('gpus: 2', `gpus: ${gpus}`).replace('target: cluster', `target: ${target}`));
    const frac = withGpus('1.5');
    assert.deepEqual(one(frac, 'k8s-gpus'), {
      severity: 'error', at: '1.5',
      message: 'resources.gpus 1.5 is a fraction, but Kubernetes target "cluster" requests whole GPUs: nvidia.com/gpu cannot be split between pods '
        + '(GPU sharing such as MIG or time-slicing shows up as its own whole devices); request 2',
      fixes: [['Change to 2', '1.5', '2']],
    });
    assert.deepEqual(frac.ds.filter((d) => d.rule === 'schema'), []);
    assert.deepEqual(one(withGpus('"H100:0.5"'), 'k8s-gpus').fixes, [['Change to "H100:1"', '"H100:0.5"', '"H100:1"']]);
    assert.deepEqual(one(withGpus('H100'), 'k8s-gpus').fixes, [['Change to "H100:1"', 'H100', '"H100:1"']]);
    assert.deepEqual(one(withGpus('"2"'), 'k8s-gpus').fixes, [['Change to 2', '"2"', '2']]);
    assert.deepEqual(withGpus('"H100:2"').ds, []);
    assert.deepEqual(withGpus('0').ds, []);
    assert.deepEqual(withGpus('1.5', 'box').ds.map((d) => d.rule), ['schema'], 'on a local target the schema says it');
  });

  test('timeout: schedule_timeout and start_timeout parse and are positive', () => {
    assert.deepEqual(one(check(EXP_FILE, exp('  schedule_timeout: 10 minutes\n')), 'timeout'), {
      severity: 'error', at: '10 minutes',
      message: 'kubernetes.schedule_timeout "10 minutes" is not a duration; write seconds (7200) or a duration such as 90s, 15m, 2h or 1h30m, e.g. 10m',
      fixes: [['Change to 10m', '10 minutes', '10m']],
    });
    assert.equal(one(check(EXP_FILE, exp('  start_timeout: 0s\n')), 'timeout').message,
      'kubernetes.start_timeout "0s" must be positive; give how long an image pull or container config error may last, such as 2m, or remove it for the default 2m');
    assert.equal(one(check(EXP_FILE, exp('  kind: Job\n', 'timeout: 0s\n')), 'timeout').message,
      'timeout "0s" must be positive; give the longest a run may take, such as 2h, or remove timeout for no limit', 'the timeout rule says what it said before');
  });

  test('backoff_limit is gone: expctl owns retries', () => {
    const d = one(check(EXP_FILE, exp('  backoff_limit: 0\n')), 'schema');
    assert.equal(d.at, 'backoff_limit');
    assert.match(d.message, /^Unknown property "backoff_limit" in kubernetes/);
  });
});

describe('the evicted failure class', () => {
  test('retry.on lists it among the allowed classes', () => {
    const d = one(check(EXP_FILE, exp('  kind: Job\n', 'retry: { max_retries: 1, on: [evict] }\n')), 'schema');
    assert.match(d.message, /^"evict" is not allowed for retry\.on\[0\]\. Allowed: oom, timeout, nonzero, signal, evicted\./);
  });

  test('on_failure.evicted is what a retry after an eviction applies', () => {
    assert.equal(policyClass('evicted'), 'evicted');
    const config = { name: 'x', command: ['x'], env: {}, on_failure: { evicted: { env: { RESUME: '1' } } } } as Experiment;
    assert.deepEqual(applyOnFailure(config, 'evicted'), { config: { ...config, env: { RESUME: '1' } }, params: {}, env: { RESUME: '1' } });
    assert.equal(applyOnFailure(config, 'oom'), undefined);
  });
});

describe('targets.yaml', () => {
  const kubeconfig = (names: string[], current?: string) =>
    `apiVersion: v1\nkind: Config\ncontexts:\n${names.map((n) => `  - { name: ${n}, context: { cluster: c, user: u } }\n`).join('')}`
    + (current ? `current-context: ${current}\n` : '');
  const target = (fields: string) => `targets:\n  cluster:\n    type: kubernetes\n${fields}`;

  test('every top-level field, well written: no diagnostics', () => {
    const r = check(TARGETS_FILE, target(`    context: prod
    kubeconfig: ./kc.yaml
    namespace: training
    image: registry/trainer:1.2
    image_pull_policy: Always
    service_account: trainer
    max_parallel: 8
    resources: { gpus: "A100:1", cpus: 8, memory: 32Gi }
    labels: { team: vision }
    node_selector: { cloud.google.com/gke-nodepool: a100-pool }
    tolerations: [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }]
    priority_class: batch-low
    ttl_seconds_after_finished: 3600
    schedule_timeout: 30m
    start_timeout: 120
    defaults:
      env: { NCCL_DEBUG: WARN }
      kubernetes: { shm_size: 8Gi, secret_env: { HF_TOKEN: { secret: hf, key: token } } }
`), { '/w/kc.yaml': kubeconfig(['prod', 'staging'], 'prod') });
    assert.deepEqual(r.ds, []);
  });

  test('k8s-name on the top level: service account, priority class, labels, namespace', () => {
    const sa = one(check(TARGETS_FILE, target('    service_account: Trainer\n')), 'k8s-name');
    assert.equal(sa.at, 'Trainer');
    assert.match(sa.message, /^targets\.cluster\.service_account "Trainer" is not a valid service account name/);
    const pc = one(check(TARGETS_FILE, target('    priority_class: batch.low.\n')), 'k8s-name');
    assert.deepEqual([pc.at, pc.fixes], ['batch.low.', [['Change priority class to "batch.low"', 'batch.low.', 'batch.low']]]);
    const label = one(check(TARGETS_FILE, target('    labels: { "team!": vision }\n')), 'k8s-name');
    assert.equal(label.at, '"team!"');
    assert.match(one(check(TARGETS_FILE, target('    node_selector: { pool: "a b" }\n')), 'k8s-name').message,
      /^targets\.cluster\.node_selector\.pool value "a b" is not a valid Kubernetes label value/);
  });

  test('k8s-gpus on the target and its defaults', () => {
    const top = one(check(TARGETS_FILE, target('    resources: { gpus: 0.5 }\n')), 'k8s-gpus');
    assert.deepEqual([top.at, top.fixes], ['0.5', [['Change to 1', '0.5', '1']]]);
    assert.match(top.message, /^targets\.cluster\.resources\.gpus 0\.5 is a fraction, but a Kubernetes target requests whole GPUs/);
    const def = one(check(TARGETS_FILE, target('    defaults: { resources: { gpus: "A100:1.5" } }\n')), 'k8s-gpus');
    assert.deepEqual(def.fixes, [['Change to "A100:2"', '"A100:1.5"', '"A100:2"']]);
    assert.deepEqual(check(TARGETS_FILE, 'targets:\n  box: { type: local, max_parallel: 1 }\n').ds, []);
  });

  test('k8s-secret-env and k8s-quantity in defaults; the memory they run under', () => {
    const clash = one(check(TARGETS_FILE, target('    defaults:\n      env: { HF_TOKEN: x }\n      kubernetes: { secret_env: { HF_TOKEN: { secret: hf, key: t } } }\n')),
      'k8s-secret-env');
    assert.equal(clash.message, 'targets.cluster.defaults.kubernetes.secret_env variable "HF_TOKEN" is also set by targets.cluster.defaults.env.HF_TOKEN; '
      + 'the pod would get the variable twice and one value would be ignored — set it in one place (secret_env for a value that must stay secret)');
    const shm = one(check(TARGETS_FILE, target('    resources: { memory: 8Gi }\n    defaults:\n      kubernetes: { shm_size: 16Gi }\n')), 'k8s-quantity');
    assert.match(shm.message, /is more than targets\.cluster\.resources\.memory "8Gi"/);
    assert.deepEqual(check(TARGETS_FILE, target('    resources: { memory: 8Gi }\n    defaults:\n      resources: { memory: 32Gi }\n      kubernetes: { shm_size: 16Gi }\n')).ds, [],
      'defaults.resources.memory is the limit these defaults run under');
  });

  test('timeout: the target\'s schedule_timeout and start_timeout', () => {
    assert.deepEqual(one(check(TARGETS_FILE, target('    schedule_timeout: 2 hours\n')), 'timeout').fixes, [['Change to 2h', '2 hours', '2h']]);
    assert.match(one(check(TARGETS_FILE, target('    defaults: { kubernetes: { start_timeout: soon } }\n')), 'timeout').message,
      /^targets\.cluster\.defaults\.kubernetes\.start_timeout "soon" is not a duration/);
  });

  test('k8s-context: a context the kubeconfig lacks, with the closest one', () => {
    const files = { '/w/kc.yaml': kubeconfig(['prod', 'staging', 'kind-expctl'], 'staging') };
    const r = one(check(TARGETS_FILE, target('    kubeconfig: kc.yaml\n    context: prd\n'), files), 'k8s-context');
    assert.deepEqual(r, {
      severity: 'warning', at: 'prd',
      message: 'targets.cluster.context "prd" is not a context of the kubeconfig /w/kc.yaml (it has prod, staging, kind-expctl). Did you mean "prod"?',
      fixes: [['Change to "prod"', 'prd', 'prod']],
    });
    assert.equal(one(check(TARGETS_FILE, target('    kubeconfig: kc.yaml\n    context: gke-west\n'), files), 'k8s-context').message,
      'targets.cluster.context "gke-west" is not a context of the kubeconfig /w/kc.yaml (it has prod, staging, kind-expctl); '
      + 'runs on this target fail until it is added (kubectl config get-contexts lists them)');
    const many = kubeconfig(Array.from({ length: 10 }, (_, i) => `ctx-${i}`));
    assert.match(one(check(TARGETS_FILE, target('    kubeconfig: kc.yaml\n    context: other\n'), { '/w/kc.yaml': many }), 'k8s-context').message,
      /\(it has ctx-0, ctx-1, ctx-2, ctx-3, ctx-4, ctx-5, ctx-6, ctx-7 and 2 more\)/);
    assert.match(one(check(TARGETS_FILE, target('    kubeconfig: kc.yaml\n    context: prod\n'), { '/w/kc.yaml': 'kind: Config\n' }), 'k8s-context').message,
      /of the kubeconfig \/w\/kc\.yaml, which defines no contexts;/);
    assert.match(one(check(TARGETS_FILE, target('    kubeconfig: kc.yaml\n    context: prod\n'), { '/w/kc.yaml': 'contexts: [\n' }), 'k8s-context').message,
      /^targets\.cluster\.context "prod" cannot be checked: the kubeconfig \/w\/kc\.yaml is not valid YAML: .* at line 2, column 1$/);
  });

  test('k8s-context: $KUBECONFIG, then ~/.kube/config; nothing without a kubeconfig', () => {
    const text = target('    context: prod\n');
    assert.deepEqual(check(TARGETS_FILE, text).ds, [], 'no kubeconfig file: not an error in the editor');
    const home = { [`${HOME}/.kube/config`]: kubeconfig(['kind-dev']) };
    assert.match(one(check(TARGETS_FILE, text, home), 'k8s-context').message, /of the kubeconfig \/home\/tester\/\.kube\/config \(it has kind-dev\)/);
    process.env.KUBECONFIG = '/etc/kc';
    try {
      assert.deepEqual(check(TARGETS_FILE, text, { ...home, '/etc/kc': kubeconfig(['prod']) }).ds, []);
      assert.deepEqual(check(TARGETS_FILE, text, home).ds, [], '$KUBECONFIG names a file that is not there: nothing to check against');
    } finally {
      delete process.env.KUBECONFIG;
    }
    assert.deepEqual(check(TARGETS_FILE, target('    context: prod\n').replace('kubernetes', 'local'), home).ds.map((d) => d.rule), ['schema'],
      'a local target has no context to check');
  });
});

// The config can be schema-invalid anywhere: no rule may throw on the new fields.
test('robustness: malformed Kubernetes fields never make a rule throw', () => {
  const WEIRD: unknown[] = [null, 5, -1, 1.5, NaN, '', 'x', '0', 'H100:', ':3', [], [null], {}, { secret: 5 }, { a: null }, Object.create(null)];
  const fields = ['priority_class', 'shm_size', 'secret_env', 'schedule_timeout', 'start_timeout', 'volumes', 'service_account', 'labels'];
  const run = (kind: FileKind, config: unknown, targets?: unknown) => {
    const ctx: RuleContext = {
      kind, file: kind === 'targets' ? TARGETS_FILE : EXP_FILE, config, settings: defaultSettings, host: memHost({ '/w/kc.yaml': 'contexts: [{ name: a }]\n' }),
      targets: targets as TargetsFile | undefined, report: () => undefined,
    };
    for (const rule of [...experimentRules, ...targetsRules]) if (rule.kinds.includes(kind)) assert.doesNotThrow(() => rule.check(ctx), rule.id);
  };
  for (const w of WEIRD) {
    for (const f of fields) {
      run('experiment', { name: 'x', target: 'c', env: w, resources: { gpus: w, memory: w }, kubernetes: { [f]: w } },
        { default: w, targets: { c: { type: 'kubernetes', defaults: { env: w, kubernetes: { secret_env: w } } } } });
      run('targets', { targets: { c: { type: 'kubernetes', kubeconfig: 'kc.yaml', context: w, [f]: w, resources: w, defaults: { env: w, resources: { gpus: w }, kubernetes: { [f]: w } } } } });
    }
    run('experiment', { target: w, resources: { gpus: w } }, { targets: w });
    run('targets', { targets: { c: { type: 'kubernetes', context: 'b', kubeconfig: w } } });
  }
});
