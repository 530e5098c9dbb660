// Creates and fills the benchmark's four topics (Avro/JSON × LZ4/none), the seed's layout:
// 2 partitions × 20,000 MNIST-like records each. A topic that already holds exactly that is left
// alone; one that holds something else is refused (delete it, or use --prefix).
//
//   node fill.mjs --bootstrap 127.0.0.1:39092 [--records 20000] [--partitions 2]
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs'; // CommonJS: no named exports for ESM

const { CompressionTypes, Kafka, logLevel } = kafkajs;
import { brokersOf, encodeAvro, encodeJson, image, registerLz4, TOPICS } from './codec.mjs';

const { values: o } = parseArgs({ options: {
  bootstrap: { type: 'string', default: '127.0.0.1:39092' },
  records: { type: 'string', default: '20000' },
  partitions: { type: 'string', default: '2' },
} });
const records = Number(o.records);
const partitions = Number(o.partitions);
registerLz4();
const kafka = new Kafka({ clientId: 'expctl-fill', brokers: brokersOf(o.bootstrap), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ allowAutoTopicCreation: false });
const t0 = Date.now();
try {
  await admin.connect();
  await producer.connect();
  const existing = new Set(await admin.listTopics());
  for (const { topic, format, compression } of TOPICS) {
    if (existing.has(topic)) {
      const w = await admin.fetchTopicOffsets(topic);
      if (w.length === partitions && w.every((p) => p.low === '0' && Number(p.high) === records)) {
        console.log(`${topic}: already holds ${partitions} × ${records} records`);
        continue;
      }
      throw new Error(`${topic} exists and holds ${w.map((p) => `partition ${p.partition}: offsets ${p.low}–${p.high}`).join(', ')}, not ${partitions} × ${records} records; delete it first`);
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    const encode = format === 'avro' ? encodeAvro : encodeJson;
    const t = Date.now();
    const codec = compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None;
    for (let p = 0; p < partitions; p++) {
      // Sends of at most ~512 KB: a batch over the broker's message.max.bytes (1 MB) is refused.
      let messages = [];
      let size = 0;
      for (let j = 0; j < records; j++) {
        const value = encode(image(p * records + j));
        messages.push({ partition: p, value });
        size += value.length;
        if (size >= 512 * 1024 || j === records - 1) {
          await producer.send({ topic, acks: -1, compression: codec, messages });
          messages = [];
          size = 0;
        }
      }
    }
    console.log(`${topic}: ${partitions} × ${records} ${format} records, ${compression === 'lz4' ? 'LZ4' : 'uncompressed'}, in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  console.log(`filled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`fill.mjs: ${e.message}`);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
}
