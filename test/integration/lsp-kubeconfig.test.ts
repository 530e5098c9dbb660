// The bundled language server (dist/server.js) and a Kubernetes target's `context:`, as an editor
// meets it: completion from the user's kubeconfig ($KUBECONFIG, else ~/.kube/config) and a warning
// for a context the file lacks — read from disk, never from a cluster, and without the Kubernetes
// client library in the server or client bundle. Waits on responses and notifications only.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompletionItem, CompletionList } from 'vscode-languageserver';
import { fileUri, messageOf, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';

const SERVER = path.resolve('dist/server.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-kube-'));
const home = path.join(dir, 'home');
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : r?.items ?? []);
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: u, user: { token: never-shown } }]
contexts:
  - { name: prod, context: { cluster: c, user: u } }
  - { name: kind-expctl, context: { cluster: c, user: u } }
current-context: kind-expctl
`;

let server: LspClient;

before(async () => {
  fs.mkdirSync(path.join(home, '.kube'), { recursive: true });
  // ~/.kube/config has other contexts: $KUBECONFIG must win over it.
  fs.writeFileSync(path.join(home, '.kube', 'config'), 'contexts: [{ name: home-only }]\n');
  fs.writeFileSync(path.join(dir, 'kc.yaml'), KUBECONFIG);
  // The server's own environment is the user's: its HOME and KUBECONFIG, none of this machine's.
  server = startServer('node', [SERVER, '--stdio'], {
    rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } },
    env: { ...process.env, HOME: home, KUBECONFIG: path.join(dir, 'kc.yaml') },
  });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('completion of context: the kubeconfig contexts, current first', async () => {
  const uri = fileUri(path.join(dir, 'targets.yaml'));
  const text = 'targets:\n  cluster:\n    type: kubernetes\n    context: \n';
  await server.open(uri, text);
  const res = items(await server.completion(uri, { line: 3, character: 13 }));
  const sorted = [...res].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
  assert.deepEqual(sorted.map((i) => [i.label, i.detail]), [['kind-expctl', 'current context'], ['prod', 'kubeconfig context']]);
  await server.close(uri);
});

test('a context the kubeconfig lacks: a warning with the closest one and its quick fix', async () => {
  const uri = fileUri(path.join(dir, 'sub', 'targets.yaml'));
  const text = 'targets:\n  cluster: { type: kubernetes, kubeconfig: ../kc.yaml, context: prd }\n';
  const wait = server.waitForDiagnostics(uri);
  await server.open(uri, text);
  const { diagnostics } = await wait;
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
  const [d] = diagnostics;
  assert.equal(d.code, 'k8s-context');
  assert.equal(d.severity, 2);
  assert.equal(messageOf(d), `targets.cluster.context "prd" is not a context of the kubeconfig ${path.join(dir, 'kc.yaml')} (it has prod, kind-expctl). Did you mean "prod"?`);
  const col = text.split('\n')[1].indexOf('prd');
  assert.deepEqual(d.range, { start: { line: 1, character: col }, end: { line: 1, character: col + 3 } }, 'underlines the value');
  const actions = await server.codeActions(uri, d.range, [d]);
  const a = actions?.[0] as { title: string; edit: { changes: Record<string, Array<{ newText: string }>> } } | undefined;
  assert.equal(a?.title, 'Change to "prod"');
  assert.deepEqual(a?.edit.changes[uri].map((e) => e.newText), ['prod']);
  assert.ok(!JSON.stringify(diagnostics).includes('never-shown'), 'credentials never reach a message');
});

test('the Kubernetes client library stays out of the server and client bundles', () => {
  for (const bundle of ['dist/server.js', 'dist/client.js']) {
    assert.ok(!fs.readFileSync(bundle, 'utf8').includes('@kubernetes/client-node'), `${bundle} bundles @kubernetes/client-node`);
  }
});
