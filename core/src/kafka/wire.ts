// The few Kafka requests the preflight needs, each sent once per broker: one Metadata (all topics:
// existence, partitions, leaders, and the names for "did you mean"), one ListOffsets round (earliest
// and latest together, every partition of every topic the trials name, per leader) and one Fetch of
// the first record batch per topic (its codec and first record). kafkajs' public admin API costs a
// metadata refresh per topic and two sequential ListOffsets per topic, and has no fetch without a
// consumer group (which would leave groups on the user's broker), so this talks to kafkajs' cluster
// and broker objects directly. kafkajs is pinned (2.2.4); if its internals move, `openWire` throws
// WireUnavailable and the preflight says so instead of guessing.
import * as zlib from 'node:zlib';
import type { Kafka } from 'kafkajs';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs internals, loaded where used */
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export class WireUnavailable extends Error {}

export interface PartitionMeta { partition: number; leader: number }
export interface TopicMeta { topic: string; partitions: PartitionMeta[]; errorCode: number }
export interface Watermarks { partition: number; low: bigint; high: bigint }
/** What the first record batch of a partition says. */
export interface BatchSample {
  partition: number;
  offset: bigint;
  /** none, gzip, snappy, lz4, zstd. */
  codec: string;
  /** First bytes of the first record's value (undefined when the codec cannot be decoded here). */
  value?: Buffer;
  /** Why `value` is missing. */
  note?: string;
}

export interface Wire {
  metadata(): Promise<TopicMeta[]>;
  /** low/high watermarks of every partition, per topic; one earliest+latest ListOffsets pair per leader. */
  watermarks(topics: TopicMeta[]): Promise<Map<string, Watermarks[]>>;
  /** The first batch at `offset` of one partition per topic (in parallel; one Fetch per topic). */
  sample(items: Array<{ topic: string; partition: number; leader: number; offset: bigint }>): Promise<Map<string, BatchSample | { error: string }>>;
  close(): Promise<void>;
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const FETCH_API_KEY = 1;

/** A connected wire over a kafkajs client; `onRequest` sees every request sent (API name, broker). */
export async function openWire(kafka: Kafka, onRequest?: (api: string, broker: string) => void): Promise<Wire> {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new WireUnavailable('this kafkajs version does not expose its cluster; the preflight needs kafkajs 2.2.x');
  const Emitter = require('kafkajs/src/instrumentation/emitter') as new () => { addListener(e: string, f: (ev: { payload: Any }) => void): () => void };
  const emitter = new Emitter();
  if (onRequest) emitter.addListener('network.request', (ev) => onRequest(String(ev.payload.apiName), String(ev.payload.broker)));
  const cluster: Any = (kafka as Any)[sym]({ allowAutoTopicCreation: false, instrumentationEmitter: emitter, metadataMaxAge: 60_000 });
  await cluster.connect();
  const brokerOf = (nodeId: number) => cluster.findBroker({ nodeId });

  return {
    async metadata() {
      // One Metadata request for all topics; the pool keeps it, so leaders are found without another.
      await cluster.brokerPool.refreshMetadata([]);
      const md = cluster.brokerPool.metadata;
      return (md.topicMetadata as Any[]).map((t) => ({
        topic: String(t.topic),
        errorCode: Number(t.topicErrorCode ?? 0),
        partitions: (t.partitionMetadata as Any[]).map((p) => ({ partition: Number(p.partitionId), leader: Number(p.leader) })).sort((a, b) => a.partition - b.partition),
      }));
    },

    async watermarks(topics) {
      const byLeader = new Map<number, Map<string, number[]>>();
      for (const t of topics) {
        for (const p of t.partitions) {
          const m = byLeader.get(p.leader) ?? new Map<string, number[]>();
          byLeader.set(p.leader, m);
          m.set(t.topic, [...(m.get(t.topic) ?? []), p.partition]);
        }
      }
      const out = new Map<string, Watermarks[]>();
      await Promise.all([...byLeader].map(async ([leader, m]) => {
        const broker = await brokerOf(leader);
        const ask = (timestamp: number) => broker.listOffsets({ replicaId: -1, isolationLevel: 0,
          topics: [...m].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp })) })) });
        const [low, high] = await Promise.all([ask(-2), ask(-1)]); // -2 earliest, -1 latest
        for (const r of high.responses as Any[]) {
          const lows = new Map<number, string>(((low.responses as Any[]).find((x) => x.topic === r.topic)?.partitions ?? []).map((p: Any) => [Number(p.partition), String(p.offset)]));
          const list = out.get(r.topic) ?? [];
          for (const p of r.partitions as Any[]) list.push({ partition: Number(p.partition), high: BigInt(p.offset), low: BigInt(lows.get(Number(p.partition)) ?? '0') });
          out.set(r.topic, list.sort((a, b) => a.partition - b.partition));
        }
      }));
      return out;
    },

    async sample(items) {
      const out = new Map<string, BatchSample | { error: string }>();
      // kafkajs opens a broker's fetch connection lazily, and two fetches racing to open it leave
      // one socket behind: open it once per leader first, then fetch in parallel on it.
      for (const leader of new Set(items.map((it) => it.leader))) {
        try { await (await brokerOf(leader)).connectionPool.getConnection(1); } catch { /* reported by the fetch below */ }
      }
      await Promise.all(items.map(async (it) => {
        try {
          const broker = await brokerOf(it.leader);
          out.set(it.topic, await fetchFirstBatch(broker, it.topic, it.partition, it.offset));
        } catch (e) {
          out.set(it.topic, { error: (e as Error).message });
        }
      }));
      return out;
    },

    async close() { await cluster.disconnect(); },
  };
}

/**
 * One Fetch (v4, the oldest version Kafka 4 still serves; brokers since 0.11 serve it) of a single
 * partition with max bytes 1: the broker still returns the first whole record batch (KIP-74). The
 * response is decoded here, not by kafkajs, to read the batch's codec from its attributes.
 */
async function fetchFirstBatch(broker: Any, topic: string, partition: number, offset: bigint): Promise<BatchSample> {
  const raw: Buffer = await rawFetch(broker).fetch({ maxWaitTime: 0, minBytes: 0, maxBytes: 1, isolationLevel: 0,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: 1 }] }] });
  return parseFetchV4(raw, partition, offset);
}

/**
 * The broker with its Fetch answered raw (v4 request, body not decoded by kafkajs). The broker
 * object belongs to this wire's private cluster, so changing its lookup affects nothing else; it is
 * changed once, and each call's arguments build its own request, so concurrent samples do not mix.
 */
function rawFetch(broker: Any): Any {
  if (broker.expctlRawFetch) return broker;
  const request = require('kafkajs/src/protocol/requests/fetch/v4/request') as (a: Any) => Any;
  const lookup = broker.lookupRequest.bind(broker);
  broker.lookupRequest = (apiKey: number, def: Any) => (apiKey !== FETCH_API_KEY ? lookup(apiKey, def) : (args: Any) => ({
    request: request({ ...args, replicaId: -1 }),
    response: { decode: async (raw: Buffer) => raw, parse: async (raw: Buffer) => raw },
    requestTimeout: 5000,
  }));
  broker.expctlRawFetch = true;
  return broker;
}

/** Exported for unit tests: a Fetch v4 response body → the first data batch of the partition. */
export function parseFetchV4(raw: Buffer, partition: number, offset: bigint): BatchSample {
  let at = 4; // throttle_time_ms
  const i16 = () => { const v = raw.readInt16BE(at); at += 2; return v; };
  const i32 = () => { const v = raw.readInt32BE(at); at += 4; return v; };
  const topics = i32();
  for (let t = 0; t < topics; t++) {
    at += 2 + raw.readInt16BE(at); // topic name
    const parts = i32();
    for (let p = 0; p < parts; p++) {
      const id = i32();
      const error = i16();
      at += 16; // high watermark, last stable offset
      const aborted = i32();
      if (aborted > 0) at += aborted * 16;
      const size = i32();
      const records = size > 0 ? raw.subarray(at, at + size) : Buffer.alloc(0);
      at += Math.max(0, size);
      if (id !== partition) continue;
      if (error !== 0) throw new Error(`the broker answered the sample fetch with error code ${error}`);
      return firstBatch(records, partition, offset);
    }
  }
  throw new Error('the broker returned no data for the sampled partition');
}

function firstBatch(buf: Buffer, partition: number, offset: bigint): BatchSample {
  let at = 0;
  while (at + 61 <= buf.length) {
    const base = buf.readBigInt64BE(at);
    const len = buf.readInt32BE(at + 8);
    const magic = buf.readInt8(at + 16);
    const end = at + 12 + len;
    if (magic !== 2) return { partition, offset: base, codec: 'unknown', note: `message format v${magic} (pre-0.11) is not inspected` };
    const attributes = buf.readInt16BE(at + 21);
    const control = (attributes & 0x20) !== 0;
    if (!control) {
      const codec = CODECS[attributes & 7] ?? `codec ${attributes & 7}`;
      if (end > buf.length) return { partition, offset: base, codec, note: 'the first batch arrived truncated' };
      const body = buf.subarray(at + 61, end);
      let records: Buffer;
      try {
        records = decompress(codec, body);
      } catch (e) {
        return { partition, offset: base, codec, note: (e as Error).message };
      }
      return { partition, offset: base, codec, value: firstValue(records) };
    }
    at = end;
  }
  return { partition, offset, codec: 'unknown', note: 'no record batch at that offset' };
}

function decompress(codec: string, body: Buffer): Buffer {
  if (codec === 'none') return body;
  if (codec === 'gzip') return zlib.gunzipSync(body);
  if (codec === 'lz4') return Buffer.from((require('lz4js') as { decompress(b: Uint8Array): Uint8Array }).decompress(body));
  throw new Error(`${codec} batches are not decoded by expctl, so the record format was not checked`);
}

/** The value of the first record in a v2 batch's records section (zig-zag varints). */
function firstValue(b: Buffer): Buffer | undefined {
  let at = 0;
  const varint = (): number => {
    let shift = 0;
    let result = 0;
    for (;;) {
      if (at >= b.length) throw new RangeError('record truncated');
      const byte = b[at++];
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
      shift += 7;
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  try {
    varint(); // record length
    at += 1; // attributes
    varint(); // timestamp delta
    varint(); // offset delta
    const keyLen = varint();
    if (keyLen > 0) at += keyLen;
    const valueLen = varint();
    if (valueLen < 0) return Buffer.alloc(0);
    return b.subarray(at, at + Math.min(valueLen, 256));
  } catch {
    return undefined;
  }
}

/** What a record value looks like: Avro (single-object or Confluent framing), JSON, or unknown. */
export function sniffFormat(value: Buffer): { format: 'avro' | 'json' | 'unknown'; detail: string } {
  if (value.length >= 10 && value[0] === 0xc3 && value[1] === 0x01) return { format: 'avro', detail: 'Avro single-object encoding (magic C3 01)' };
  if (value.length >= 5 && value[0] === 0x00) return { format: 'avro', detail: `Confluent Avro framing (magic byte 0, schema id ${value.readInt32BE(1)})` };
  const text = value.toString('utf8').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return { format: 'json', detail: `JSON (${text[0] === '{' ? 'an object' : 'an array'})` };
  return { format: 'unknown', detail: `${value.length ? `bytes ${value.subarray(0, 4).toString('hex').replace(/(..)/g, '$1 ').trim()}` : 'an empty value'}` };
}
