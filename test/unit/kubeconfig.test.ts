// Which kubeconfig a Kubernetes target uses and the contexts it defines (core/src/k8s/kubeconfig.ts),
// and completion of a target's `context:` from it — read as YAML, no cluster, no client library.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { kubeconfigContexts, kubeconfigPath, targetContexts } from '../../core/src/k8s/kubeconfig';
import { validateText } from '../../core/src/validate';
import { complete } from '../../core/src/lang/completion';
import { memHost } from '../helpers/memfs';

const HOME = '/home/ada';
const TARGETS = '/w/proj/targets.yaml';

describe('kubeconfigPath', () => {
  test("the target's kubeconfig: relative to targets.yaml, ~ expanded, absolute as is", () => {
    assert.equal(kubeconfigPath('./kc.yaml', TARGETS, {}, HOME), '/w/proj/kc.yaml');
    assert.equal(kubeconfigPath('../shared/kc', TARGETS, { KUBECONFIG: '/elsewhere' }, HOME), '/w/shared/kc');
    assert.equal(kubeconfigPath('~/.kube/prod', TARGETS, {}, HOME), '/home/ada/.kube/prod');
    assert.equal(kubeconfigPath('~', TARGETS, {}, HOME), HOME);
    assert.equal(kubeconfigPath('/etc/kube/config', TARGETS, {}, HOME), '/etc/kube/config');
  });

  test('else the first path of $KUBECONFIG, else ~/.kube/config', () => {
    assert.equal(kubeconfigPath(undefined, TARGETS, { KUBECONFIG: `/a/one${path.delimiter}/b/two` }, HOME), '/a/one');
    assert.equal(kubeconfigPath(undefined, TARGETS, { KUBECONFIG: `${path.delimiter}/b/two` }, HOME), '/b/two', 'empty entries are skipped');
    assert.equal(kubeconfigPath(undefined, TARGETS, { KUBECONFIG: '~/kc' }, HOME), '/home/ada/kc');
    assert.equal(kubeconfigPath(undefined, TARGETS, { KUBECONFIG: 'rel/kc' }, HOME), path.resolve('rel/kc'), 'relative: against the working directory, as kubectl');
    assert.equal(kubeconfigPath(undefined, TARGETS, { KUBECONFIG: '' }, HOME), '/home/ada/.kube/config');
    assert.equal(kubeconfigPath('  ', TARGETS, {}, HOME), '/home/ada/.kube/config', 'a blank kubeconfig: is no choice');
    assert.equal(kubeconfigPath(undefined, TARGETS, {}, HOME), '/home/ada/.kube/config');
  });
});

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: { server: https://prod.example.com, certificate-authority-data: c2VjcmV0 }
contexts:
  - name: prod
    context: { cluster: prod, user: admin, namespace: training }
  - name: kind-expctl
    context: { cluster: kind, user: kind }
  - name: arn:aws:eks:us-west-2:123456789012:cluster/gpu
    context: { cluster: eks, user: eks }
  - name: 2024
    context: { cluster: old, user: old }
  - name: prod
    context: { cluster: dup, user: dup }
  - { context: { cluster: nameless } }
current-context: kind-expctl
users:
  - name: admin
    user: { token: s3cr3t-token }
`;

describe('kubeconfigContexts', () => {
  test('names in file order, each once, scalars as strings; the current context', () => {
    assert.deepEqual(kubeconfigContexts(KUBECONFIG), {
      names: ['prod', 'kind-expctl', 'arn:aws:eks:us-west-2:123456789012:cluster/gpu', '2024'],
      current: 'kind-expctl',
    });
  });

  test('JSON kubeconfigs, empty files, no contexts', () => {
    assert.deepEqual(kubeconfigContexts('{"contexts":[{"name":"a"}],"current-context":"a"}'), { names: ['a'], current: 'a' });
    assert.deepEqual(kubeconfigContexts(''), { names: [] });
    assert.deepEqual(kubeconfigContexts('apiVersion: v1\nkind: Config\n'), { names: [] });
    assert.deepEqual(kubeconfigContexts('current-context: ""\ncontexts: []\n'), { names: [] });
  });

  test('not a kubeconfig: an error, no names', () => {
    assert.match(kubeconfigContexts('contexts: [\n').error ?? '', /^not valid YAML: /);
    assert.deepEqual(kubeconfigContexts('- a\n- b\n'), { names: [], error: 'not a mapping' });
    assert.deepEqual(kubeconfigContexts('contexts: prod\ncurrent-context: prod\n'), { names: [], current: 'prod', error: '"contexts" is not a list' });
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`
      + 'contexts: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    assert.ok(kubeconfigContexts(bomb).error, 'an alias bomb is refused, not expanded');
  });

  test('targetContexts: read through the host; undefined when the file does not exist', () => {
    const host = memHost({ '/w/proj/kc.yaml': KUBECONFIG });
    assert.deepEqual(targetContexts('kc.yaml', TARGETS, host, {}, HOME)?.file, '/w/proj/kc.yaml');
    assert.equal(targetContexts('kc.yaml', TARGETS, host, {}, HOME)?.current, 'kind-expctl');
    assert.equal(targetContexts(undefined, TARGETS, host, {}, HOME), undefined);
  });
});

// Completion reads the kubeconfig the way the language server's user has it: $KUBECONFIG and ~.
describe('completion of a kubernetes target context', () => {
  const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
  after(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });

  /** Completion at the `|` marker of targets.yaml, with these other files. */
  function at(text: string, files: Record<string, string>) {
    const offset = text.indexOf('|');
    const clean = text.slice(0, offset) + text.slice(offset + 1);
    const host = memHost({ ...files, [TARGETS]: clean });
    return complete(validateText(TARGETS, clean, host), offset, host);
  }

  test("from the target's kubeconfig: every context, the current one first and marked", () => {
    const items = at('targets:\n  gpu:\n    type: kubernetes\n    kubeconfig: ./kc.yaml\n    context: |\n', { '/w/proj/kc.yaml': KUBECONFIG });
    const sorted = [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
    assert.deepEqual(sorted.map((i) => i.label), ['kind-expctl', '2024', 'arn:aws:eks:us-west-2:123456789012:cluster/gpu', 'prod']);
    assert.equal(sorted[0].detail, 'current context');
    assert.match(sorted[0].documentation ?? '', /^Context `kind-expctl` of \/w\/proj\/kc\.yaml \(its current-context/);
    assert.equal(items.find((i) => i.label === 'prod')?.detail, 'kubeconfig context');
    assert.equal(items.find((i) => i.label === '2024')?.insertText, '"2024"', 'quoted where YAML would read a number');
    assert.ok(!items.some((i) => i.label === 'gke_my-project_us-central1_gpu'), 'no schema examples when the kubeconfig answers');
  });

  test('from $KUBECONFIG, else ~/.kube/config', () => {
    const text = 'targets:\n  gpu: { type: kubernetes }\n  other:\n    type: kubernetes\n    context: |\n';
    process.env.KUBECONFIG = '/env/kc';
    process.env.HOME = '/home/ada';
    const home = { '/home/ada/.kube/config': 'contexts: [{ name: from-home }]\n' };
    assert.deepEqual(at(text, { ...home, '/env/kc': 'contexts: [{ name: from-env }]\n' }).map((i) => i.label), ['from-env']);
    delete process.env.KUBECONFIG;
    assert.deepEqual(at(text, home).map((i) => i.label), ['from-home']);
  });

  test('no kubeconfig, or a local target: the schema examples only', () => {
    process.env.HOME = '/home/nobody';
    delete process.env.KUBECONFIG;
    const missing = at('targets:\n  gpu:\n    type: kubernetes\n    context: |\n', {});
    assert.deepEqual(missing.map((i) => [i.label, i.detail]), [['prod', 'example'], ['gke_my-project_us-central1_gpu', 'example']]);
    const local = at('targets:\n  box:\n    type: local\n    context: |\n', { '/home/nobody/.kube/config': KUBECONFIG });
    assert.ok(!local.some((i) => i.label === 'kind-expctl'));
  });
});
