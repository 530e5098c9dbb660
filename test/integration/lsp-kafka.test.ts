// The Kafka preflight in the editor (expctl.kafka.preflight), through the bundled language server
// and a real LSP client against a real broker: problems arrive as a second publish after the
// document's own diagnostics, on the data.kafka fields; a broker that does not answer costs one
// diagnostic, never the server's responsiveness; a stale answer is dropped; topic completion and
// the hover on `topic:` come from the live broker; with the setting off nothing reaches the network.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { CompletionItem, CompletionList, Hover, PublishDiagnosticsParams } from 'vscode-languageserver';
import { fileUri, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';
import { testBroker } from '../helpers/kafka';
import type { TestBroker } from '../helpers/kafka';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const SERVER = path.resolve('dist/server.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-kafka-'));
const SECRET = 'lsp-Sekr1t-passw0rd';
let b: TestBroker;
let server: LspClient;
const sockets: net.Socket[] = [];
let silentPort = 0;
const silent = net.createServer((s) => sockets.push(s));

const uriOf = (name: string) => fileUri(path.join(dir, name));
const kafkaDiags = (p: PublishDiagnosticsParams) => p.diagnostics.filter((d) => String(d.code).startsWith('kafka-'));
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : r?.items ?? []);
const markdown = (h: Hover | null): string => (h && typeof h.contents === 'object' && 'value' in h.contents ? String(h.contents.value) : '');
const exp = (name: string, kafka: string) => `name: ${name}\ncommand: [node, -e, "0"]\ndata:\n  kafka:\n${kafka.trim().split('\n').map((l) => `    ${l.trim()}`).join('\n')}\n`;

before(async () => {
  b = await testBroker();
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'lk_json', numPartitions: 2 }, { topic: 'lk_other', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (const partition of [0, 1]) await producer.send({ topic: 'lk_json', messages: Array.from({ length: 100 }, (_, i) => ({ partition, value: JSON.stringify({ i }) })) });
  await producer.disconnect();
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
  // On for every file but those in off/ (settings are pulled per resource).
  server = startServer('node', [SERVER, '--stdio'], {
    rootUri: fileUri(dir), env: { ...process.env, KAFKA_PASSWORD: SECRET },
    settings: (section, scopeUri) => (section === 'expctl' ? { validation: { debounceMs: 0 }, kafka: { preflight: !scopeUri?.includes('/off/') } } : null),
  });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  for (const s of sockets) s.destroy();
  silent.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('problems arrive after the document\'s own diagnostics, on the offsets entry, the topic and the format', async () => {
  const uri = uriOf('a.experiment.yaml');
  const text = exp('a', `bootstrap_servers: [${b.bootstrap}]\ntopic: lk_json\noffsets: ["0:0:99", "1:0:100"]\nformat: avro`);
  const first = server.waitForDiagnostics(uri, 1);
  const withKafka = server.waitForDiagnostics(uri, { version: 1, predicate: (p) => kafkaDiags(p).length > 0 });
  const t0 = Date.now();
  await server.open(uri, text);
  const own = await first;
  const ownMs = Date.now() - t0;
  assert.deepEqual(kafkaDiags(own), [], 'the first publish does not wait for the broker');
  const k = kafkaDiags(await withKafka);
  const kafkaMs = Date.now() - t0;
  process.stdout.write(`# editor: own diagnostics after ${ownMs} ms, Kafka diagnostics after ${kafkaMs} ms\n`);
  const by = Object.fromEntries(k.map((d) => [String(d.code), d]));
  assert.deepEqual(Object.keys(by).sort(), ['kafka-format', 'kafka-offset-range']);
  assert.equal(by['kafka-offset-range'].message, 'offset 100 is past the end of partition 1 by 1: the topic holds offsets 0–99 in partition 1');
  assert.deepEqual(by['kafka-offset-range'].range, { start: { line: 6, character: 24 }, end: { line: 6, character: 33 } });
  assert.deepEqual(by['kafka-format'].range.start, { line: 7, character: 12 });
  // A typo in the topic, as the user types it: "did you mean", on the topic's value.
  const typo = server.waitForDiagnostics(uri, { version: 2, predicate: (p) => kafkaDiags(p).length > 0 });
  await server.change(uri, text.replace('topic: lk_json', 'topic: lk_jsno'), 2);
  const d = kafkaDiags(await typo);
  assert.equal(d.length, 1);
  assert.match(String(d[0].message), /topic "lk_jsno" does not exist on 127\.0\.0\.1:\d+ — did you mean "lk_json"\?/);
  assert.deepEqual(d[0].range, { start: { line: 5, character: 11 }, end: { line: 5, character: 18 } });
});

test('an unreachable broker: one diagnostic on bootstrap_servers, within the timeout; the server answers meanwhile', async () => {
  const uri = uriOf('down.experiment.yaml');
  const text = exp('down', `bootstrap_servers: [127.0.0.1:${silentPort}]\ntopic: lk_json\noffsets: ["0:0:1", "1:0:1"]\nformat: json`);
  const done = server.waitForDiagnostics(uri, { version: 1, predicate: (p) => kafkaDiags(p).length > 0, timeoutMs: 8000 });
  const t0 = Date.now();
  await server.open(uri, text);
  // While the preflight waits for the silent broker, requests are answered at once.
  const h0 = Date.now();
  const h = await server.hover(uri, { line: 1, character: 2 });
  assert.ok(Date.now() - h0 < 1000, `hover took ${Date.now() - h0} ms`);
  assert.match(markdown(h), /command/);
  const k = kafkaDiags(await done);
  const waited = Date.now() - t0;
  assert.equal(k.length, 1, JSON.stringify(k));
  assert.equal(k[0].code, 'kafka-unreachable');
  assert.match(String(k[0].message), /not reachable \(waited 3\.\d s\): no answer within 3\.0 s/);
  assert.equal(k[0].range.start.line, 4);
  assert.ok(waited < 5000, `answered after ${waited} ms`);
});

test('a stale answer is dropped: the document changed while its preflight was out', async () => {
  const uri = uriOf('stale.experiment.yaml');
  // Another silent peer (the first one's answer is cached for 10 s).
  const quiet = net.createServer((x) => sockets.push(x));
  await new Promise<void>((resolve) => quiet.listen(0, '127.0.0.1', resolve));
  after(() => { quiet.close(); });
  const down = exp('stale', `bootstrap_servers: [127.0.0.1:${(quiet.address() as net.AddressInfo).port}]\ntopic: lk_json`);
  await server.open(uri, down);
  // Fixed before the broker answered: v2 reads from the real broker and has no problem.
  const v2 = server.waitForDiagnostics(uri, 2);
  await server.change(uri, exp('stale', `bootstrap_servers: [${b.bootstrap}]\ntopic: lk_json`), 2);
  assert.deepEqual(kafkaDiags(await v2), []);
  // Wait out v1's preflight (3 s timeout): its "unreachable" must not be published for v2.
  const late = await server.waitForDiagnostics(uri, { predicate: (p) => kafkaDiags(p).length > 0, timeoutMs: 4500, since: 'now' }).then(() => true, () => false);
  assert.equal(late, false, 'a result for an old version was published');
});

test('completion of topic names from the live broker, and the hover on topic:', async () => {
  const uri = uriOf('c.experiment.yaml');
  const text = exp('c', `bootstrap_servers: [${b.bootstrap}]\ntopic: lk_json\noffsets: ["0:0:49", "1:50:149"]`);
  await server.open(uri, text);
  const r = await server.completion(uri, { line: 5, character: 11 });
  const topics = items(r).filter((i) => i.detail === 'Kafka topic').map((i) => i.label);
  assert.deepEqual(topics.sort(), ['lk_json', 'lk_other']);
  const h = markdown(await server.hover(uri, { line: 5, character: 13 }));
  assert.match(h, /\*\*Kafka topic `lk_json`\*\* on 127\.0\.0\.1:\d+ — 2 partitions, 200 records/);
  assert.match(h, /\| 0 \| 0 \| 100 \| offsets 0–99 \|/);
  assert.match(h, /`0:0:49`: 50 records of partition 0\n/);
  assert.match(h, /`1:50:149`: 100 records of partition 1 — outside offsets 0–99/);
});

test('with the setting off, nothing is asked: no Kafka diagnostics, no topic completion', async () => {
  fs.mkdirSync(path.join(dir, 'off'), { recursive: true });
  const uri = uriOf('off/x.experiment.yaml');
  const first = server.waitForDiagnostics(uri, 1);
  await server.open(uri, exp('x', `bootstrap_servers: [${b.bootstrap}]\ntopic: lk_jsno`));
  assert.deepEqual(kafkaDiags(await first), []);
  const r = await server.completion(uri, { line: 5, character: 11 });
  assert.deepEqual(items(r).filter((i) => i.detail === 'Kafka topic'), []);
  const late = await server.waitForDiagnostics(uri, { predicate: (p) => kafkaDiags(p).length > 0, timeoutMs: 1500, since: 'now' }).then(() => true, () => false);
  assert.equal(late, false);
});

test('a password given by reference is never in a diagnostic', async () => {
  const uri = uriOf('sasl.experiment.yaml');
  const done = server.waitForDiagnostics(uri, { version: 1, predicate: (p) => kafkaDiags(p).length > 0 });
  await server.open(uri, exp('sasl', `bootstrap_servers: [${b.bootstrap}]\nsecurity: { sasl: { mechanism: plain, username: u, password_env: KAFKA_PASSWORD } }\ntopic: lk_json`));
  const k = kafkaDiags(await done);
  assert.equal(k[0].code, 'kafka-auth'); // the test broker has no SASL listener
  assert.ok(!JSON.stringify(k).includes(SECRET));
});
