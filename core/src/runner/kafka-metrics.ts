// Metrics from a Kafka topic (metrics.sources: [kafka], metrics.kafka): one consumer per runner, for
// its whole life, in the consumer group `expctl-<sweep id>`. A record belongs to a run by its key
// (the run's EXPCTL_RUN_ID) or a `run_id` field of its JSON value; it goes to that run's
// MetricsCollector — the very path stdout metrics take, so metrics.jsonl, the live views, the summary
// and runs.csv need nothing new. Delivery is at least once: offsets are committed by hand, only after
// the records are in the store (the run's metrics-kafka.jsonl), and a record delivered again, or
// produced twice, is dropped there (collector.ts). Nothing is dropped silently: records of runs
// outside the sweep, and records that came after their run ended, are counted and said.
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { MetricsKafka } from '../config/types';
import { brokersOf, kafkaClient, kafkaErrorText, KafkaConfigError } from '../kafka/client';
import type { RunRecord } from '../store/store';
import { closest } from '../util/strings';
import { appendToKafkaLog, type KafkaItem } from './collector';

/** The metrics topic cannot be consumed (unreachable broker, missing topic, bad security): nothing was started. */
export class KafkaMetricsError extends Error {
  constructor(message: string) { super(message); this.name = 'KafkaMetricsError'; }
}

/** Where a run's records go while its collector is live. */
export interface KafkaSink { kafkaRecords(items: readonly KafkaItem[]): void }

export interface KafkaMetricsOptions {
  conn: MetricsKafka;
  sweepId: string;
  /** The sweep's ids (legacy ones included): runs under them are this sweep's. */
  sweepIds: ReadonlySet<string>;
  /** A run of the store by id (the runner's own store: runs it creates are in it at once). */
  run: (id: string) => RunRecord | undefined;
  runDir: (id: string) => string;
  /** The sweep's runs when the runner starts: a new group starts where the first of them began. */
  existing: readonly RunRecord[];
  /** Relative password_file / TLS file paths are resolved against it (the experiment's folder). */
  baseDir: string;
  /** How long the start may take to reach the broker (default 10 s). */
  connectTimeoutMs?: number;
}

export interface KafkaMetricsStats {
  topic: string;
  group: string;
  /** Records taken from the topic. */
  records: number;
  /** Records whose run is not of this sweep (or that name no run); skipped. */
  unknown: number;
  /** Records that came after their run had ended: kept in its metrics-kafka.jsonl, not in its summary. */
  late: number;
  /** Dropped as already stored (counted by the runs' collectors). */
  duplicates: number;
}

/** A record's run: its key, else the `run_id` of its JSON value. */
export function runIdOf(key: Buffer | null, value: string): string | undefined {
  const k = key?.toString('utf8');
  if (k) return k;
  // Only a value that mentions run_id is parsed twice (here and by the collector).
  if (!value.includes('"run_id"')) return undefined;
  try {
    const v = JSON.parse(value) as { run_id?: unknown };
    return typeof v?.run_id === 'string' && v.run_id ? v.run_id : undefined;
  } catch { return undefined; }
}

const text = (s: string, n = 60) => JSON.stringify(s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class KafkaMetrics {
  readonly stats: KafkaMetricsStats;
  private sinks = new Map<string, KafkaSink>();
  /** Next offset to take, per partition: what is below it is in the store. */
  private position = new Map<number, bigint>();
  private waiters = new Set<() => void>();
  private firstUnknown?: string;
  private firstLate?: string;
  private crash?: string;
  private stopped = false;

  private constructor(private readonly o: KafkaMetricsOptions, private readonly admin: Admin, private readonly consumer: Consumer) {
    this.stats = { topic: o.conn.topic, group: groupOf(o.sweepId), records: 0, unknown: 0, late: 0, duplicates: 0 };
  }

  /**
   * Connects, checks the topic, places a new group where the sweep's first run began (or at the
   * topic's end when it has none yet) and starts consuming. Throws KafkaMetricsError saying what to fix.
   */
  static async start(o: KafkaMetricsOptions): Promise<KafkaMetrics> {
    const { conn } = o;
    const brokers = brokersOf(conn).join(', ');
    const timeout = o.connectTimeoutMs ?? 10_000;
    let admin: Admin;
    let consumer: Consumer;
    try {
      // The start fails fast; the consumer retries as kafkajs does (a broker restarting mid-run).
      admin = kafkaClient(conn, { clientId: 'expctl-runner', baseDir: o.baseDir, connectionTimeoutMs: 3000, retries: 1 }).admin();
      consumer = kafkaClient(conn, { clientId: 'expctl-runner', baseDir: o.baseDir, connectionTimeoutMs: 3000 }).consumer({
        groupId: groupOf(o.sweepId), allowAutoTopicCreation: false,
        // A runner taking up a killed one's sweep waits for the dead member's session to expire.
        sessionTimeout: 10_000, heartbeatInterval: 3000,
      });
    } catch (e) {
      if (e instanceof KafkaConfigError) throw new KafkaMetricsError(`metrics.kafka${e.field ? `.${e.field}` : ''}: ${e.message}`);
      throw e;
    }
    const self = new KafkaMetrics(o, admin, consumer);
    try {
      await withTimeout(self.reach(), timeout, `metrics.kafka: the broker ${brokers} did not answer within ${timeout / 1000} s; check bootstrap_servers and that the broker is up`);
      // The group's first use on a new broker creates __consumer_offsets: slow on a busy machine.
      await withTimeout(self.place(), 60_000, `metrics.kafka: the broker ${brokers} did not place consumer group ${self.stats.group} within 60 s`);
    } catch (e) {
      await self.stop();
      if (e instanceof KafkaMetricsError) throw e;
      throw new KafkaMetricsError(`metrics.kafka: cannot consume topic ${o.conn.topic} on ${brokers}: ${kafkaErrorText(e)}`);
    }
    return self;
  }

  /** Connected, and the topic exists. */
  private async reach(): Promise<void> {
    const { topic } = this.o.conn;
    await this.admin.connect();
    const topics = await this.admin.listTopics();
    if (!topics.includes(topic)) {
      const near = closest(topic, topics.filter((t) => !t.startsWith('__')));
      throw new KafkaMetricsError(`metrics.kafka.topic: topic ${topic} does not exist on ${brokersOf(this.o.conn).join(', ')}${near ? ` (did you mean ${near}?)` : ''}; create it (the runner never creates topics)`);
    }
  }

  /** The group placed (before any attempt can produce) and the consumer running in it. */
  private async place(): Promise<void> {
    const { topic } = this.o.conn;
    const group = this.stats.group;
    const committed = (await this.admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
    const fresh = committed.filter((p) => Number(p.offset) < 0).map((p) => p.partition);
    if (fresh.length) {
      // Records of the sweep's runs cannot be older than its first run: a new group starts there
      // (a minute earlier, for producers' clocks), or at the topic's end when the sweep has no run yet.
      const created = this.o.existing.map((r) => Date.parse(r.created)).filter(Number.isFinite);
      const at = created.length
        ? await this.admin.fetchTopicOffsetsByTimestamp(topic, Math.min(...created) - 60_000)
        : (await this.admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }));
      const partitions = at.filter((p) => fresh.includes(p.partition));
      await this.admin.setOffsets({ groupId: group, topic, partitions });
      for (const p of partitions) this.position.set(p.partition, BigInt(p.offset));
    }
    for (const p of committed) if (Number(p.offset) >= 0) this.position.set(p.partition, BigInt(p.offset));
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.crash = `${kafkaErrorText(e.payload.error)}${e.payload.restart ? ' (it restarted)' : ''}`;
    });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (b) => this.batch(b) });
  }

  /** While a run's collector is live, its records go to it. */
  attach(runId: string, sink: KafkaSink): void { this.sinks.set(runId, sink); }
  detach(runId: string): void { this.sinks.delete(runId); }

  private async batch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const byRun = new Map<string, KafkaItem[]>();
    for (const m of batch.messages) {
      const value = m.value?.toString('utf8') ?? '';
      const id = runIdOf(m.key, value);
      const item = { partition: batch.partition, offset: m.offset, value };
      if (id === undefined || !this.ours(id)) {
        this.stats.unknown++;
        this.firstUnknown ??= `${id === undefined ? 'no key and no run_id' : `key ${text(id)}`} at partition ${batch.partition} offset ${m.offset}`;
        continue;
      }
      let list = byRun.get(id);
      if (!list) byRun.set(id, (list = []));
      list.push(item);
    }
    for (const [id, items] of byRun) {
      const sink = this.sinks.get(id);
      if (sink) { sink.kafkaRecords(items); continue; }
      // Its collector is gone (the run ended) or not there yet (a run to be taken up again reads its log then).
      const fresh = appendToKafkaLog(this.o.runDir(id), items);
      const r = this.o.run(id);
      if (fresh && r && (r.status !== 'queued' && r.status !== 'running' && r.status !== 'interrupted')) {
        this.stats.late += fresh;
        this.firstLate ??= `run ${id} at partition ${batch.partition} offset ${items[0].offset}`;
      }
      this.stats.duplicates += items.length - fresh;
    }
    this.stats.records += batch.messages.length;
    if (!batch.messages.length) return;
    const last = batch.messages[batch.messages.length - 1].offset;
    resolveOffset(last);
    // The store has every record up to `last`: only now may the group move past them.
    const next = (BigInt(last) + 1n).toString();
    await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    this.position.set(batch.partition, BigInt(next));
    for (const w of this.waiters) w();
    await heartbeat();
  }

  private ours(id: string): boolean {
    if (this.sinks.has(id)) return true;
    const r = this.o.run(id);
    return !!r && this.o.sweepIds.has(r.sweep_id);
  }

  /**
   * Waits until everything produced to the topic so far is in the store (an attempt has just
   * ended: its records may still be on their way). Returns undefined when caught up, else why not.
   */
  async caughtUp(timeoutMs = 20_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let high: Array<{ partition: number; high: string }> | undefined;
    while (!high) {
      try {
        high = await this.admin.fetchTopicOffsets(this.o.conn.topic);
      } catch (e) {
        if (Date.now() >= deadline || this.stopped) return `metrics from Kafka may be incomplete: the topic's end could not be read (${kafkaErrorText(e)})`;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const behind = () => high!.reduce((n, p) => n + Math.max(0, Number(BigInt(p.high) - (this.position.get(p.partition) ?? 0n))), 0);
    if (behind() === 0) return undefined;
    await new Promise<void>((resolve) => {
      const check = () => { if (behind() === 0 || this.stopped) done(); };
      const timer = setTimeout(() => done(), Math.max(0, deadline - Date.now()));
      const done = () => { clearTimeout(timer); this.waiters.delete(check); resolve(); };
      this.waiters.add(check);
    });
    const n = behind();
    return n ? `metrics from Kafka may be incomplete: ${n} record${n === 1 ? '' : 's'} of topic ${this.o.conn.topic} not yet consumed ${Math.round(timeoutMs / 1000)} s after the attempt ended (records that come later are kept in metrics-kafka.jsonl, not in this summary)` : undefined;
  }

  /** Sentences for the end of the sweep: what was skipped or came late, and whether the consumer failed. */
  notes(): string[] {
    const s = this.stats;
    const out: string[] = [];
    if (s.unknown) out.push(`metrics.kafka: ${s.unknown} record${s.unknown === 1 ? '' : 's'} of topic ${s.topic} did not belong to a run of this sweep and were skipped (first: ${this.firstUnknown}); key each record with its run's $EXPCTL_RUN_ID or give it a "run_id" field`);
    if (s.late) out.push(`metrics.kafka: ${s.late} record${s.late === 1 ? '' : 's'} came after their run had ended (first: ${this.firstLate}); they are in its metrics-kafka.jsonl but not in its summary`);
    if (this.crash) out.push(`metrics.kafka: the consumer failed: ${this.crash}`);
    return out;
  }

  /** Stops consuming and leaves the group (a later runner of the sweep takes over at once). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.waiters) w();
    // kafkajs' disconnect can wait on a join or a reconnect that never ends (a broker gone): bounded.
    await withTimeout(Promise.allSettled([this.consumer.disconnect(), this.admin.disconnect()]), 5000, 'disconnect').catch(() => undefined);
  }
}

/** The consumer group of a sweep. */
export const groupOf = (sweepId: string) => `expctl-${sweepId}`;

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new KafkaMetricsError(message)), ms); })])
    .finally(() => clearTimeout(timer));
}
