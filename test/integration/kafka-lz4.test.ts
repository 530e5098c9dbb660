// The pure-JS LZ4 codec against a real broker: a batch produced LZ4-compressed reads back equal,
// and the broker accepted it (it validates LZ4 frames; a bad frame is refused with CORRUPT_MESSAGE).
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { compressFrame, registerLz4 } from '../../core/src/kafka/lz4';
import { testBroker } from '../helpers/kafka';

test('LZ4 batches round-trip through a real broker', async (t) => {
  registerLz4();
  const b = await testBroker();
  const kafka = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'lz4-roundtrip', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'lz4-test' });
  t.after(() => Promise.all([producer.disconnect(), consumer.disconnect()]));
  await producer.connect();
  const values = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, pixels: 'x'.repeat(i % 97) }));
  await producer.send({ topic: 'lz4-roundtrip', compression: CompressionTypes.LZ4, messages: values.map((value) => ({ value })) });
  await consumer.connect();
  await consumer.subscribe({ topic: 'lz4-roundtrip', fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); if (got.length === values.length) resolve(); } }).catch(reject);
  });
  assert.deepEqual(got, values);
});

test('frames of any size decode to their input, incompressible and over one block', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { decompress } = require('lz4js') as { decompress(b: Uint8Array): Uint8Array };
  const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24));
  for (const input of [Buffer.alloc(0), Buffer.from('a'), random, Buffer.alloc(9 << 20, 'abc')]) {
    assert.deepEqual(Buffer.from(decompress(compressFrame(input))), input);
  }
});
