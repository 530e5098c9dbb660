// The data-loading benchmark's stand-in loader: reads the configured offset ranges of a topic with
// kafkajs, decodes every record (Avro or JSON), and reports one iteration's figures with the metrics
// protocol: load_time_s (first fetch after joining → last record decoded), records_per_s, mb_per_s,
// and join_time_s (connecting and joining the consumer group, not part of load_time_s).
//
//   node load.mjs --bootstrap HOSTS --topic T --format avro|json --compression lz4|none
//                 [--offsets '["0:0:19999","1:0:19999"]'] [--split '[0.85715,0.071425,0.071425]']
// The experiment passes these from its data.kafka with "{data.kafka.topic}"-style placeholders, so
// what a run read is what its recorded config says.
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs'; // CommonJS: no named exports for ESM

const { Kafka, logLevel } = kafkajs;
import { brokersOf, decodeAvro, decodeJson, registerLz4 } from './codec.mjs';

const { values: o } = parseArgs({ options: {
  bootstrap: { type: 'string' }, topic: { type: 'string' }, format: { type: 'string' }, compression: { type: 'string', default: 'none' },
  offsets: { type: 'string' }, split: { type: 'string' }, timeout: { type: 'string', default: '300' },
} });
const fail = (msg) => { console.error(`load.mjs: ${msg}`); process.exit(1); };
if (!o.bootstrap || !o.topic || !['avro', 'json'].includes(o.format)) fail('--bootstrap, --topic and --format avro|json are required');
registerLz4(); // LZ4 batches are decoded whatever --compression says: the broker's batches decide
const decode = o.format === 'avro' ? decodeAvro : decodeJson;
const kafka = new Kafka({ clientId: 'expctl-loader', brokers: brokersOf(o.bootstrap), logLevel: logLevel.NOTHING });
const topic = o.topic;

// The ranges: PARTITION:START:END inclusive; without --offsets, every partition whole.
const admin = kafka.admin();
const t0 = performance.now();
await admin.connect();
const marks = await admin.fetchTopicOffsets(topic);
await admin.disconnect();
const ranges = new Map();
const given = o.offsets && o.offsets !== '{data.kafka.offsets}' ? JSON.parse(o.offsets) : undefined;
for (const entry of given ?? marks.filter((m) => Number(m.high) > Number(m.low)).map((m) => `${m.partition}:${m.low}:${Number(m.high) - 1}`)) {
  const [p, s, e] = entry.split(':').map(Number);
  const w = marks.find((m) => m.partition === p);
  if (!w) fail(`${topic} has no partition ${p}`);
  if (e >= Number(w.high)) fail(`${topic} partition ${p} ends at offset ${Number(w.high) - 1}; ${entry} asks for more`);
  ranges.set(p, { start: s, end: e, next: s });
}
const total = [...ranges.values()].reduce((n, r) => n + r.end - r.start + 1, 0);

const consumer = kafka.consumer({ groupId: `expctl-loader-${process.env.EXPCTL_RUN_ID ?? process.pid}-${Date.now()}`, allowAutoTopicCreation: false, maxBytes: 32 << 20, maxBytesPerPartition: 16 << 20 });
let joined;
let records = 0;
let bytes = 0;
let pixelSum = 0;
let finish;
const done = new Promise((resolve) => { finish = resolve; });
consumer.on(consumer.events.GROUP_JOIN, () => { joined ??= performance.now(); });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatch: async ({ batch }) => {
    const r = ranges.get(batch.partition);
    if (!r || r.next > r.end) return;
    for (const m of batch.messages) {
      const off = Number(m.offset);
      if (off < r.next || off > r.end) continue;
      let rec;
      try { rec = decode(m.value); } catch (e) { fail(`partition ${batch.partition} offset ${off} of ${topic}: ${e.message} — is data.kafka.format (${o.format}) right for this topic?`); }
      pixelSum += rec.pixels[400];
      bytes += m.value.length;
      records++;
      r.next = off + 1;
    }
    if (r.next > r.end) {
      consumer.pause([{ topic, partitions: [batch.partition] }]);
      if ([...ranges.values()].every((x) => x.next > x.end)) finish(performance.now());
    }
  },
});
for (const [partition, r] of ranges) consumer.seek({ topic, partition, offset: String(r.start) });
const others = marks.map((m) => m.partition).filter((p) => !ranges.has(p));
if (others.length) consumer.pause([{ topic, partitions: others }]);
const timer = setTimeout(() => fail(`read ${records} of ${total} records in ${o.timeout} s`), Number(o.timeout) * 1000);
const end = total ? await done : performance.now();
clearTimeout(timer);
await consumer.disconnect();

const start = joined ?? t0;
const load = (end - start) / 1000;
const split = o.split && o.split !== '{data.kafka.split}' ? JSON.parse(o.split) : undefined;
console.log(`@expctl ${JSON.stringify({
  load_time_s: load, records_per_s: records / load, mb_per_s: bytes / 1e6 / load, join_time_s: (start - t0) / 1000, records,
  ...(split ? { train_records: Math.floor(records * split[0]) } : {}), pixel_checksum: pixelSum,
})}`);
