// Metrics from Kafka, the part without a broker: a run's records through MetricsCollector — stored
// in metrics-kafka.jsonl before they count, de-duplicated by offset and by (step, name), unreadable
// ones counted with their partition and offset — and the same result when metrics.jsonl is derived
// again from that log (a killed runner's run taken up). The broker side: test/integration/kafka-metrics.test.ts.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendToKafkaLog, KAFKA_LOG, MetricsCollector, readKafkaLog } from '../../core/src/runner/collector';
import { runIdOf } from '../../core/src/runner/kafka-metrics';
import { badLinesSentence } from '../../core/src/runner/metrics';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-kafka-unit-'));
const lines = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const item = (offset: number, v: unknown, partition = 0) => ({ partition, offset: String(offset), value: typeof v === 'string' ? v : JSON.stringify(v) });

describe('MetricsCollector: Kafka records', () => {
  test('stored once: a copy at another offset keeps only new names; the same offset again is dropped', () => {
    const dir = tmp();
    const c = new MetricsCollector(dir, ['kafka']);
    c.kafkaRecords([item(0, { step: 1, loss: 0.5 }), item(1, { step: 1, loss: 0.5 }), item(2, { step: 1, loss: 0.4, acc: 0.9, run_id: 'x' })]);
    c.kafkaRecords([item(2, { step: 1, loss: 0.4, acc: 0.9 }), item(3, '{nope'), item(4, { epoch_s: 2 }), item(5, { epoch_s: 2 })]);
    assert.deepEqual(lines(path.join(dir, 'metrics.jsonl')), [{ step: 1, loss: 0.5 }, { step: 1, acc: 0.9 }, { epoch_s: 2 }, { epoch_s: 2 }]);
    assert.equal(readKafkaLog(path.join(dir, KAFKA_LOG)).length, 6, 'offsets 0–5, each once');
    const m = c.finish();
    assert.equal(m.summary.loss.count, 1);
    assert.equal(m.kafkaDuplicates, 2);
    assert.equal(m.badLines, 1);
    assert.deepEqual({ ...m.firstBad, error: undefined }, { source: 'kafka', line: 3, partition: 0, text: '{nope', error: undefined });
    assert.match(badLinesSentence(m.badLines, m.firstBad), /^1 metric line could not be read; at Kafka partition 0 offset 3: \{nope — not JSON/);
  });

  test('derived again from metrics-kafka.jsonl: the same records, summary and counts', () => {
    const dir = tmp();
    const c = new MetricsCollector(dir, ['kafka']);
    c.kafkaRecords([item(0, { step: 0, loss: 1 }), item(1, { step: 0, loss: 1 }), item(2, 'bad'), item(3, { step: 1, loss: 0.5 })]);
    const first = c.finish();
    const before = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8');
    // A record the killed runner stored but never committed comes again: dropped by its offset.
    const again = new MetricsCollector(dir, ['kafka'], true);
    again.beginAttempt();
    again.kafkaRecords([item(3, { step: 1, loss: 0.5 }), item(4, { step: 2, loss: 0.25 })]);
    again.endAttempt();
    const m = again.finish();
    assert.equal(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8'), `${before}${JSON.stringify({ step: 2, loss: 0.25 })}\n`);
    assert.equal(m.summary.loss.count, first.summary.loss.count + 1);
    assert.deepEqual([m.badLines, m.kafkaDuplicates], [1, 2], 'the copy of step 0 (counted again from the log) and the redelivered offset 3');
  });

  test('records for a run no collector holds go to its log once; a line a crash cut short is skipped and ended', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, KAFKA_LOG), `${JSON.stringify({ p: 0, o: '0', v: '{"a":1}' })}\n{"p":0,"o":"1","v":"{\\"a`);
    assert.equal(appendToKafkaLog(dir, [item(0, { a: 1 }), item(1, { a: 2 }), item(1, { a: 2 }, 1)]), 2);
    assert.deepEqual(readKafkaLog(path.join(dir, KAFKA_LOG)).map((i) => `${i.partition}:${i.offset}`), ['0:0', '0:1', '1:1']);
    assert.equal(appendToKafkaLog(dir, [item(1, { a: 2 })]), 0);
  });

  test('without kafka in metrics.sources the records are not metrics', () => {
    const dir = tmp();
    const c = new MetricsCollector(dir, ['stdout']);
    c.kafkaRecords([item(0, { loss: 1 })]);
    assert.deepEqual(c.finish().summary, {});
    assert.equal(fs.existsSync(path.join(dir, KAFKA_LOG)), false);
  });
});

test('runIdOf: the key, else a run_id string of the JSON value', () => {
  assert.equal(runIdOf(Buffer.from('r-1'), '{"run_id": "r-2"}'), 'r-1');
  assert.equal(runIdOf(null, '{"run_id": "r-2", "loss": 1}'), 'r-2');
  assert.equal(runIdOf(Buffer.from(''), '{"run_id": 3}'), undefined);
  assert.equal(runIdOf(null, '{"loss": 1}'), undefined);
  assert.equal(runIdOf(null, 'not json "run_id"'), undefined);
});
