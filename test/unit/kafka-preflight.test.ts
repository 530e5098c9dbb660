// The pure parts of the Kafka preflight: the checks against given facts (no broker), the record
// sniffing and the Fetch response parsing, and the client's security options (secrets by reference).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { checkUse, holds, rangeCoverage, summaryLine } from '../../core/src/kafka/preflight';
import type { ClusterFacts, KafkaUse } from '../../core/src/kafka/preflight';
import { parseFetchV4, sniffFormat } from '../../core/src/kafka/wire';
import { brokersOf, connectionKey, KafkaConfigError, protocolOf, securityOptions } from '../../core/src/kafka/client';
import type { KafkaData } from '../../core/src/config/types';

const facts = (over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  brokers: ['b:9092'], reachable: true, topicNames: ['mnist_train_avro', 'mnist_train_json'], partitionCounts: {}, requests: {}, at: 0,
  topics: new Map([['mnist_train_avro', { topic: 'mnist_train_avro', exists: true, partitions: [{ partition: 0, low: 0n, high: 20000n }, { partition: 1, low: 100n, high: 20000n }, { partition: 2, low: 5n, high: 5n }],
    sample: { partition: 0, offset: 0n, codec: 'lz4', value: Buffer.from('{"x": 1}') } }]]),
  ...over,
});
const use = (k: Partial<KafkaData>): KafkaUse => ({ kafka: { bootstrap_servers: ['b:9092'], topic: 'mnist_train_avro', ...k } as KafkaData, baseDir: '/' });

describe('checks against the cluster\'s facts', () => {
  test('ranges: which end is out and by how much; missing and empty partitions', () => {
    const p = checkUse(use({ offsets: ['0:0:19999', '0:0:20000', '1:0:19999', '1:50:20010', '3:0:1', '2:0:0', 'junk'] }), facts());
    assert.deepEqual(p.map((x) => [x.path[3], x.rule, x.message]), [
      [1, 'kafka-offset-range', 'offset 20000 is past the end of partition 0 by 1: the topic holds offsets 0–19999 in partition 0'],
      [2, 'kafka-offset-range', 'offset 0 is before the start of partition 1 by 100: the topic holds offsets 100–19999 in partition 1'],
      [3, 'kafka-offset-range', 'offset 50 is before the start of partition 1 by 50 and offset 20010 is past the end of partition 1 by 11: the topic holds offsets 100–19999 in partition 1'],
      [4, 'kafka-partition-missing', 'partition 3 does not exist: topic "mnist_train_avro" has 3 partitions (partitions 0–2)'],
      [5, 'kafka-offset-range', 'partition 2 is empty (its low and high watermarks are both 5): no offset of "2:0:0" exists yet'],
    ]);
  });

  test('missing topic: did you mean, or the topics there are', () => {
    assert.match(checkUse(use({ topic: 'mnist_train_jsno' }), facts())[0].message, /did you mean "mnist_train_json"\?/);
    assert.match(checkUse(use({ topic: 'other' }), facts())[0].message, /it has 2 topics: "mnist_train_avro", "mnist_train_json"/);
    assert.match(checkUse(use({ topic: 'other' }), facts({ topicNames: [] }))[0].message, /it has no topics yet/);
  });

  test('format and compression against the sampled batch; split; unreachable says nothing per field', () => {
    const p = checkUse(use({ format: 'avro', compression: 'none', split: [0.5, 0.4] }), facts());
    assert.deepEqual(p.map((x) => x.rule).sort(), ['kafka-compression', 'kafka-format', 'kafka-split-sum']);
    assert.deepEqual(checkUse(use({ format: 'json', compression: 'lz4', split: [0.85715, 0.071425, 0.071425] }), facts()), []);
    // Not declared: not checked (the defaults are not guessed at).
    assert.deepEqual(checkUse(use({}), facts()), []);
    assert.deepEqual(checkUse(use({ topic: 'gone', offsets: ['9:0:1'] }), facts({ reachable: false })), []);
  });

  test('hover helpers and the summary line', () => {
    assert.equal(holds({ partition: 0, low: 0n, high: 20000n }), 'offsets 0–19999');
    assert.equal(rangeCoverage('0:0:19999', { partition: 0, low: 0n, high: 20000n }), '`0:0:19999`: 20,000 records of partition 0'.replace(',', '\u2009'));
    assert.match(rangeCoverage('0:0:20000', { partition: 0, low: 0n, high: 20000n })!, /outside offsets 0–19999/);
    assert.match(summaryLine({ problems: [], uses: 120, elapsedMs: 120, notes: [], groups: [{ brokers: ['127.0.0.1:9092'], topics: ['a', 'b'], reachable: true, cached: false, requests: { Metadata: 1, ListOffsets: 2 }, elapsedMs: 1 }] }),
      /^kafka: 2 topics on 127\.0\.0\.1:9092 checked in 0\.12 s \(120 trials, 3 requests\)$/);
  });
});

describe('record sniffing and the raw Fetch response', () => {
  test('Avro single-object, Confluent framing, JSON, other', () => {
    assert.equal(sniffFormat(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9])).format, 'avro');
    assert.match(sniffFormat(Buffer.from([0, 0, 0, 0, 42, 2])).detail, /schema id 42/);
    assert.equal(sniffFormat(Buffer.from('  [1, 2]')).format, 'json');
    assert.equal(sniffFormat(Buffer.from([2, 4, 6])).format, 'unknown');
  });

  test('a v4 response with one uncompressed batch: codec and first value', () => {
    const value = Buffer.from('{"a":1}');
    const zz = (n: number) => (n << 1) ^ (n >> 31); // zig-zag, one byte for small numbers here
    const record = Buffer.concat([Buffer.from([0, zz(0), zz(0), zz(-1), zz(value.length)]), value, Buffer.from([zz(0)])]);
    const records = Buffer.concat([Buffer.from([zz(record.length)]), record]);
    const header = Buffer.alloc(61);
    header.writeBigInt64BE(7n, 0);
    header.writeInt32BE(49 + records.length, 8);
    header.writeInt8(2, 16); // magic
    header.writeInt16BE(0, 21); // attributes: no codec
    header.writeInt32BE(1, 57);
    const batch = Buffer.concat([header, records]);
    const topic = Buffer.from('t');
    const body = Buffer.alloc(4 + 4 + 2 + topic.length + 4 + 4 + 2 + 16 + 4 + 4);
    let at = 0;
    at = body.writeInt32BE(0, at); at = body.writeInt32BE(1, at); at = body.writeInt16BE(topic.length, at); at += topic.copy(body, at);
    at = body.writeInt32BE(1, at); at = body.writeInt32BE(0, at); at = body.writeInt16BE(0, at); at += 16; at = body.writeInt32BE(-1, at); body.writeInt32BE(batch.length, at);
    const s = parseFetchV4(Buffer.concat([body, batch]), 0, 7n);
    assert.equal(s.codec, 'none');
    assert.equal(s.offset, 7n);
    assert.equal(s.value?.toString(), '{"a":1}');
  });
});

describe('security: secrets by reference', () => {
  const sasl = { mechanism: 'plain' as const, username: 'u' };
  test('the protocol follows what is configured', () => {
    assert.equal(protocolOf(undefined), 'plaintext');
    assert.equal(protocolOf({ sasl: { ...sasl, password_env: 'P' } }), 'sasl_plaintext');
    assert.equal(protocolOf({ sasl: { ...sasl, password_env: 'P' }, tls: {} }), 'sasl_ssl');
    assert.equal(protocolOf({ tls: {} }), 'ssl');
    assert.deepEqual(brokersOf({ bootstrap_servers: ' a:1, b:2 ,' }), ['a:1', 'b:2']);
  });

  test('password_env and password_file are read when connecting; a missing one is named, its value never', () => {
    const o = securityOptions({ sasl: { ...sasl, password_env: 'KP' } }, { env: { KP: 's3cret' } });
    assert.deepEqual(o.sasl, { mechanism: 'plain', username: 'u', password: 's3cret' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-kafka-pw-'));
    fs.writeFileSync(path.join(dir, 'pw'), 'from-file\n');
    assert.equal((securityOptions({ sasl: { ...sasl, password_file: './pw' } }, { baseDir: dir }).sasl as { password: string }).password, 'from-file');
    assert.throws(() => securityOptions({ sasl: { ...sasl, password_env: 'KP' } }, { env: {} }), (e: Error) => e instanceof KafkaConfigError && /environment variable KP is not set/.test(e.message));
    assert.throws(() => securityOptions({ sasl: { ...sasl, password_file: './nope' } }, { baseDir: dir }), /security\.sasl\.password_file: the password file .*nope does not exist/);
    assert.throws(() => securityOptions({ protocol: 'plaintext', sasl: { ...sasl, password_env: 'KP' } }, { env: { KP: 'x' } }), /use sasl_plaintext or sasl_ssl/);
    // Grouping keys name the reference, not the value.
    assert.ok(!connectionKey({ bootstrap_servers: 'a:1', security: { sasl: { ...sasl, password_env: 'KP' } } }).includes('s3cret'));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
