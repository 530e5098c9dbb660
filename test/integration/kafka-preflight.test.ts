// The Kafka preflight against a real broker (test/helpers/kafka.ts): every problem it reports, the
// request count for a 120-trial sweep, an unreachable or silent broker within the timeout, and the
// CLI — `expctl check` and the check `expctl run` makes before launching (and --no-preflight).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { registerLz4 } from '../../core/src/kafka/lz4';
import { clearPreflightCache, preflightKafka } from '../../core/src/kafka/preflight';
import type { KafkaUse } from '../../core/src/kafka/preflight';
import type { KafkaData } from '../../core/src/config/types';
import { checkPlan } from '../../core/src/kafka/check';
import { planFile } from '../../core/src/runner/runner';
import { diskHost } from '../../core/src/util/disk-host';
import { testBroker } from '../helpers/kafka';
import type { TestBroker } from '../helpers/kafka';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const CLI = path.resolve('dist/cli.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-kafka-preflight-'));
let b: TestBroker;

// The seed's layout, small: JSON and Avro (single-object encoding), LZ4 and uncompressed, 2 partitions.
const TOPICS: Array<{ topic: string; format: 'json' | 'avro'; compression: 'none' | 'lz4' }> = [
  { topic: 'pf_json', format: 'json', compression: 'none' },
  { topic: 'pf_json_lz4', format: 'json', compression: 'lz4' },
  { topic: 'pf_avro', format: 'avro', compression: 'none' },
  { topic: 'pf_avro_lz4', format: 'avro', compression: 'lz4' },
];
const PER_PARTITION = 200;
const avro = (i: number) => Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from('0123456789abcdef'.slice(0, 8)), Buffer.from([i & 0x7f])]);

before(async () => {
  registerLz4();
  b = await testBroker();
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: TOPICS.map((t) => ({ topic: t.topic, numPartitions: 2 })), waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const t of TOPICS) {
      for (const partition of [0, 1]) {
        const messages = Array.from({ length: PER_PARTITION }, (_, i) => ({ partition, value: t.format === 'json' ? JSON.stringify({ i, label: i % 10 }) : avro(i) }));
        await producer.send({ topic: t.topic, compression: t.compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None, messages });
      }
    }
  } finally {
    await producer.disconnect();
  }
});

const use = (kafka: Partial<KafkaData>, trial?: number): KafkaUse => ({ kafka: { bootstrap_servers: [b.bootstrap], topic: 'pf_json', ...kafka } as KafkaData, baseDir: dir, trial });
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const write = (name: string, text: string) => { fs.writeFileSync(path.join(dir, name), text); return name; };
const experiment = (name: string, kafka: string) => write(`${name}.experiment.yaml`,
  `name: ${name}\ncommand: [node, -e, "console.log('@expctl ' + JSON.stringify({ load_time_s: 1 }))"]\ndata:\n  kafka:\n${kafka.trim().split('\n').map((l) => `    ${l.trim()}`).join('\n')}\n`);

test('a clean experiment has no problems; every topic of the layout matches its format and compression', async () => {
  clearPreflightCache();
  const r = await preflightKafka(TOPICS.map((t, i) => use({ topic: t.topic, format: t.format, compression: t.compression, offsets: ['0:0:199', '1:0:199'], split: [0.8, 0.1, 0.1] }, i)));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.notes, []);
  assert.equal(r.groups.length, 1);
  assert.equal(r.groups[0].reachable, true);
});

test('missing topic: "did you mean" among the broker\'s topics, on data.kafka.topic', async () => {
  const r = await preflightKafka([use({ topic: 'pf_jsno' })], { cacheMs: 0 });
  assert.equal(r.problems.length, 1);
  const p = r.problems[0];
  assert.deepEqual([p.rule, p.path], ['kafka-topic-missing', ['data', 'kafka', 'topic']]);
  assert.match(p.message, /topic "pf_jsno" does not exist on 127\.0\.0\.1:\d+ — did you mean "pf_json"\?/);
  // Nothing close: the topics it has are listed instead.
  const far = await preflightKafka([use({ topic: 'zzzzzzzz' })], { cacheMs: 0 });
  assert.match(far.problems[0].message, /it has 4 topics: "pf_avro", "pf_avro_lz4", "pf_json", "pf_json_lz4"/);
});

test('partition missing, ranges past the end or before the start (which end, by how much), each on its offsets entry', async () => {
  const r = await preflightKafka([use({ offsets: ['0:0:199', '1:0:200', '2:0:1', '0:10:250'] })], { cacheMs: 0 });
  const by = Object.fromEntries(r.problems.map((p) => [JSON.stringify(p.path), p]));
  assert.equal(r.problems.length, 3, JSON.stringify(r.problems, null, 1));
  assert.equal(by['["data","kafka","offsets",1]'].message, 'offset 200 is past the end of partition 1 by 1: the topic holds offsets 0–199 in partition 1');
  assert.equal(by['["data","kafka","offsets",2]'].rule, 'kafka-partition-missing');
  assert.match(by['["data","kafka","offsets",2]'].message, /partition 2 does not exist: topic "pf_json" has 2 partitions \(partitions 0–1\)/);
  assert.match(by['["data","kafka","offsets",3]'].message, /offset 250 is past the end of partition 0 by 51/);
});

test('split that does not sum to 1; format and compression that disagree with the records', async () => {
  const r = await preflightKafka([use({ topic: 'pf_json_lz4', format: 'avro', compression: 'none', split: [0.8, 0.1] })], { cacheMs: 0 });
  const rules = Object.fromEntries(r.problems.map((p) => [p.rule, p]));
  assert.deepEqual(Object.keys(rules).sort(), ['kafka-compression', 'kafka-format', 'kafka-split-sum']);
  assert.match(rules['kafka-split-sum'].message, /sums to 0\.9, not 1/);
  assert.deepEqual(rules['kafka-format'].path, ['data', 'kafka', 'format']);
  assert.match(rules['kafka-format'].message, /format is avro, but the first record of partition 0 \(offset 0\) looks like JSON \(an object\); set format: json/);
  assert.match(rules['kafka-compression'].message, /compression is none, but the first record batch of partition 0 \(offset 0\) is lz4-compressed; set compression: lz4/);
  // Avro records in a topic declared JSON, and an uncompressed topic declared lz4.
  const a = await preflightKafka([use({ topic: 'pf_avro', format: 'json', compression: 'lz4' })], { cacheMs: 0 });
  assert.match(a.problems.find((p) => p.rule === 'kafka-format')!.message, /format is json, but .* looks like Avro single-object encoding \(magic C3 01\); set format: avro/);
  assert.match(a.problems.find((p) => p.rule === 'kafka-compression')!.message, /compression is lz4, but .* is uncompressed/);
});

test('a 120-trial sweep over the four topics: one Metadata, one ListOffsets round (earliest + latest), one Fetch per topic', async () => {
  clearPreflightCache();
  write('loading.experiment.yaml', `name: loading\ncommand: [node, -e, "0"]\ndata:\n  kafka: { bootstrap_servers: [${b.bootstrap}], topic: pf_json, offsets: ["0:0:199", "1:0:199"], format: json, compression: none }\n`);
  write('loading.sweep.yaml', `experiment: ./loading.experiment.yaml\nmethod: list\nrepeat: 30\ntrials:\n${TOPICS.map((t) => `  - { data.kafka.topic: ${t.topic}, data.kafka.format: ${t.format}, data.kafka.compression: ${t.compression} }`).join('\n')}\n`);
  const { plan } = planFile(path.join(dir, 'loading.sweep.yaml'), diskHost);
  assert.equal(plan?.trials.length, 120);
  const requests: string[] = [];
  const t0 = process.hrtime.bigint();
  const { report, placed } = await checkPlan(plan!, diskHost, { onRequest: (api) => requests.push(api) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.deepEqual(placed, []);
  const count = (api: string) => requests.filter((x) => x === api).length;
  assert.deepEqual({ Metadata: count('Metadata'), ListOffsets: count('ListOffsets'), Fetch: count('Fetch') }, { Metadata: 1, ListOffsets: 2, Fetch: 4 }, requests.join(' '));
  assert.equal(report.uses, 120);
  process.stdout.write(`# preflight of the 120-trial sweep: ${ms.toFixed(0)} ms, ${requests.length} requests (${requests.join(', ')})\n`);
  // Asked again within 10 s: from the cache, no request.
  requests.length = 0;
  const again = await checkPlan(plan!, diskHost, { onRequest: (api) => requests.push(api) });
  assert.deepEqual(requests, []);
  assert.equal(again.report.groups[0].cached, true);
  // The CLI, as a whole process: node start, planning the 120 trials, the preflight, the summary.
  const c0 = Date.now();
  const c = cli(['check', 'loading.sweep.yaml']);
  assert.equal(c.code, 0, c.out + c.err);
  assert.match(c.err, /^kafka: 4 topics on 127\.0\.0\.1:\d+ checked in \d+\.\d+ s \(120 trials, 8 requests\): ok\n$/);
  process.stdout.write(`# expctl check of the 120-trial sweep: ${Date.now() - c0} ms wall (whole process); ${c.err.trim()}\n`);
});

test('unreachable: a closed port fails at once, a broker that never answers within the timeout; one problem for every trial', async () => {
  const closed = await new Promise<number>((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
  const r = await preflightKafka([0, 1, 2].map((i) => ({ ...use({ bootstrap_servers: [`127.0.0.1:${closed}`], offsets: [`0:0:${i}`] }), trial: i })), { cacheMs: 0 });
  assert.equal(r.problems.length, 1);
  assert.deepEqual([r.problems[0].rule, r.problems[0].path, r.problems[0].trials], ['kafka-unreachable', ['data', 'kafka', 'bootstrap_servers'], [0, 1, 2]]);
  assert.match(r.problems[0].message, /127\.0\.0\.1:\d+ not reachable \(waited \d+\.\d+ s\): .*ECONNREFUSED/);
  // A silent peer: accepts the connection, never answers.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const t0 = Date.now();
    const s = await preflightKafka([use({ bootstrap_servers: [`127.0.0.1:${(silent.address() as net.AddressInfo).port}`] })], { cacheMs: 0, timeoutMs: 1500 });
    const waited = Date.now() - t0;
    assert.ok(waited >= 1400 && waited < 3000, `answered in ${waited} ms`);
    assert.match(s.problems[0].message, /not reachable \(waited 1\.\d s\): no answer within 1\.5 s/);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('expctl check: file:line:col problems, exit 1; a clean file exits 0 with the one-line summary', () => {
  experiment('bad', `bootstrap_servers: [${b.bootstrap}]\ntopic: pf_json\noffsets: ["0:0:199", "1:0:200"]\nformat: avro`);
  const r = cli(['check', 'bad.experiment.yaml']);
  assert.equal(r.code, 1, r.err);
  assert.equal(r.out, [
    'bad.experiment.yaml:7:26: error: offset 200 is past the end of partition 1 by 1: the topic holds offsets 0–199 in partition 1 [kafka-offset-range]',
    'bad.experiment.yaml:8:13: error: format is avro, but the first record of partition 0 (offset 0) looks like JSON (an object); set format: json [kafka-format]',
    '',
  ].join('\n'));
  assert.match(r.err, /^kafka: 1 topic on 127\.0\.0\.1:\d+ checked in \d+\.\d+ s \(1 trial, \d+ requests\): 2 problems\n$/);
  experiment('good', `bootstrap_servers: [${b.bootstrap}]\ntopic: pf_avro_lz4\noffsets: ["0:0:199"]\nformat: avro\ncompression: lz4`);
  const ok = cli(['check', 'good.experiment.yaml']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.equal(ok.out, '');
  assert.match(ok.err, /^kafka: 1 topic on 127\.0\.0\.1:\d+ checked in \d+\.\d+ s \(1 trial, \d+ requests\): ok\n$/);
  // A sweep whose list entry names a missing topic: on that entry, in the sweep, with the trials it concerns.
  write('typo.sweep.yaml', 'experiment: ./good.experiment.yaml\nmethod: list\nrepeat: 2\ntrials:\n  - { data.kafka.topic: pf_avro_lz4 }\n  - { data.kafka.topic: pf_avro_lz5 }\n');
  const s = cli(['check', 'typo.sweep.yaml']);
  assert.equal(s.code, 1);
  assert.match(s.out, /^typo\.sweep\.yaml:6:25: error: topic "pf_avro_lz5" does not exist on 127\.0\.0\.1:\d+ — did you mean "pf_avro_lz4"\? \(create it, or fix data\.kafka\.topic\) \(2 of 4 trials: .*\) \[kafka-topic-missing\]\n$/);
  const none = cli(['check', write('plain.experiment.yaml', 'name: plain\ncommand: [node, -e, "0"]\n')]);
  assert.equal(none.code, 0);
  assert.match(none.err, /no trial reads from Kafka \(no data\.kafka\); nothing to check/);
});

test('expctl run refuses to launch on preflight problems; --no-preflight says it skipped them and runs', () => {
  const store = path.join(dir, 'store');
  const r = cli(['run', 'bad.experiment.yaml', '--store', store]);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /bad\.experiment\.yaml:7:26: error: offset 200 is past the end of partition 1 by 1/);
  assert.match(r.err, /the Kafka preflight found 2 problems \(see above\); nothing was started \(--no-preflight skips these checks\)/);
  assert.ok(!fs.existsSync(path.join(store, 'runs')) || fs.readdirSync(path.join(store, 'runs')).length === 0, 'no run was started');
  const skipped = cli(['run', 'bad.experiment.yaml', '--store', store, '--no-preflight']);
  assert.equal(skipped.code, 0, skipped.out + skipped.err);
  assert.match(skipped.err, /kafka: preflight skipped \(--no-preflight\)/);
  assert.match(skipped.out, /1 trial: 1 succeeded/);
  const good = cli(['run', 'good.experiment.yaml', '--store', store]);
  assert.equal(good.code, 0, good.out + good.err);
  assert.match(good.err, /kafka: 1 topic on .* checked in .*: ok/);
});

test('security: a password given by reference never reaches run.json, config.yaml, logs, output or diagnostics', async () => {
  const secret = 'pa55-Sekr1t-value-42';
  const env = { ...process.env, KAFKA_PASSWORD: secret };
  fs.writeFileSync(path.join(dir, 'pw.txt'), `${secret}\n`);
  experiment('sasl', `bootstrap_servers: [${b.bootstrap}]\nsecurity: { sasl: { mechanism: plain, username: loader, password_env: KAFKA_PASSWORD } }\ntopic: pf_json`);
  experiment('saslfile', `bootstrap_servers: [${b.bootstrap}]\nsecurity: { protocol: sasl_plaintext, sasl: { mechanism: scram-sha-512, username: loader, password_file: ./pw.txt } }\ntopic: pf_json`);
  const outputs: string[] = [];
  // The test broker speaks PLAINTEXT only: the SASL handshake fails, and the error says so without the secret.
  for (const f of ['sasl.experiment.yaml', 'saslfile.experiment.yaml']) {
    const c = cli(['check', f], env);
    assert.equal(c.code, 1);
    assert.match(c.out, /refused to authenticate user "loader": .*its listener may not be a SASL one .*\[kafka-auth\]/);
    outputs.push(c.out, c.err);
  }
  // Not set: the variable is named, never guessed at.
  const unset = cli(['check', 'sasl.experiment.yaml'], { ...process.env, KAFKA_PASSWORD: '' });
  assert.match(unset.out, /sasl\.experiment\.yaml:6:\d+: error: security\.sasl\.password_env: the environment variable KAFKA_PASSWORD is not set; export it before running .*\[kafka-config\]/);
  const store = path.join(dir, 'store-sasl');
  const run = cli(['run', 'sasl.experiment.yaml', '--store', store, '--no-preflight'], env);
  assert.equal(run.code, 0, run.out + run.err);
  outputs.push(run.out, run.err, cli(['validate', '.'], env).out);
  const files: string[] = [];
  const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { if (e.isDirectory()) walk(path.join(d, e.name)); else files.push(path.join(d, e.name)); } };
  walk(store);
  assert.ok(files.some((f) => f.endsWith('run.json')) && files.some((f) => f.endsWith('config.yaml')), files.join(' '));
  for (const f of files) assert.ok(!fs.readFileSync(f, 'utf8').includes(secret), `${f} holds the password`);
  assert.ok(files.filter((f) => f.endsWith('config.yaml')).some((f) => fs.readFileSync(f, 'utf8').includes('password_env: KAFKA_PASSWORD')), 'the reference is recorded');
  for (const o of outputs) assert.ok(!o.includes(secret), `output holds the password: ${o}`);
  // The core report too (what the editor turns into diagnostics).
  const r = await preflightKafka([use({ security: { sasl: { mechanism: 'plain', username: 'u', password_env: 'KAFKA_PASSWORD' } } })], { env, cacheMs: 0, timeoutMs: 3000 });
  assert.ok(r.problems.length > 0 && !JSON.stringify(r).includes(secret));
});

test('a detached run checks in the foreground, before it detaches', () => {
  const r = cli(['run', 'bad.experiment.yaml', '--store', path.join(dir, 'store-detach'), '--detach']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, /nothing was started/);
});

test('SASL/PLAIN against a broker configured for it: the right password passes, a wrong one is refused, neither is printed', async (t) => {
  // A second broker with only a SASL_PLAINTEXT listener (scripts/kafka/server-sasl.properties.template).
  const port = await new Promise<number>((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-test-kafka-sasl-'));
  const sh = path.resolve('scripts/kafka/broker.sh');
  const started = spawnSync('bash', [sh, 'start', String(port), data], { encoding: 'utf8', env: { ...process.env, KAFKA_TEMPLATE: path.resolve('scripts/kafka/server-sasl.properties.template') } });
  t.after(() => { spawnSync('bash', [sh, 'stop', data]); fs.rmSync(data, { recursive: true, force: true }); });
  assert.equal(started.status, 0, `${started.stderr} (see ${data}/broker.log)`);
  const password = 'loader-test-password';
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'plain', username: 'loader', password }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: 'secure_json', numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'secure_json', messages: Array.from({ length: 10 }, (_, i) => ({ value: JSON.stringify({ i }) })) });
  await producer.disconnect();
  experiment('secure', `bootstrap_servers: [127.0.0.1:${port}]\nsecurity: { sasl: { mechanism: plain, username: loader, password_env: KAFKA_PASSWORD } }\ntopic: secure_json\noffsets: ["0:0:9"]\nformat: json\ncompression: none`);
  const ok = cli(['check', 'secure.experiment.yaml'], { ...process.env, KAFKA_PASSWORD: password });
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.err, /kafka: 1 topic on 127\.0\.0\.1:\d+ checked in .*: ok/);
  const wrong = 'not-the-Password-123';
  const bad = cli(['check', 'secure.experiment.yaml'], { ...process.env, KAFKA_PASSWORD: wrong });
  assert.equal(bad.code, 1);
  assert.match(bad.out, /secure\.experiment\.yaml:6:\d+: error: Kafka broker 127\.0\.0\.1:\d+ refused to authenticate user "loader": SASL PLAIN authentication failed.*\[kafka-auth\]/);
  for (const o of [ok.out, ok.err, bad.out, bad.err]) assert.ok(!o.includes(password) && !o.includes(wrong), o);
  // The same from targets.yaml: the target's kafka.security applies to an experiment without its own.
  const sub = path.join(dir, 'viatarget');
  fs.mkdirSync(sub, { recursive: true });
  fs.writeFileSync(path.join(sub, 'pw'), `${password}\n`);
  fs.writeFileSync(path.join(sub, 'targets.yaml'), 'default: here\ntargets:\n  here:\n    type: local\n    kafka: { security: { sasl: { mechanism: plain, username: loader, password_file: ./pw } } }\n');
  fs.writeFileSync(path.join(sub, 't.experiment.yaml'), `name: t\ncommand: [node, -e, "0"]\ndata:\n  kafka: { bootstrap_servers: [127.0.0.1:${port}], topic: secure_json, offsets: ["0:0:9"] }\n`);
  const viaTarget = cli(['check', 'viatarget/t.experiment.yaml']);
  assert.equal(viaTarget.code, 0, viaTarget.out + viaTarget.err);
});
