// Kafka preflight: before a launch (expctl run / check) and, opt-in, in the editor, check that the
// data each trial reads is there. Trials are grouped by connection (brokers + security) and the
// cluster is asked once per group — one Metadata, one ListOffsets round (earliest and latest), one
// Fetch of a batch per topic — whatever the number of trials; answers are cached briefly so an
// editor typing in a file does not ask again on every keystroke.
import type { Diagnostic, Path } from '../diagnostic';
import type { KafkaData } from '../config/types';
import { brokersOf, connectionKey, effectiveSecurity, KafkaConfigError, kafkaClient, kafkaErrorText } from './client';
import type { KafkaConnection, KafkaSecurity } from './client';
import { openWire, sniffFormat, WireUnavailable } from './wire';
import type { BatchSample, Watermarks } from './wire';
import { closest } from '../util/strings';

/** One trial's (or one experiment's) data.kafka, with where its relative paths resolve from. */
export interface KafkaUse {
  kafka: KafkaData;
  /** Folder of the YAML file data.kafka came from (password_file, ca_file… resolve from it). */
  baseDir: string;
  /** The target's `kafka.security` (targets.yaml), used when data.kafka has none. */
  targetSecurity?: KafkaSecurity;
  /** Folder of the targets.yaml that targetSecurity came from. */
  targetBaseDir?: string;
  /** Index of the trial; problems list the trials they concern. */
  trial?: number;
}

export interface KafkaProblem {
  /** Field path from the experiment's root, e.g. ['data', 'kafka', 'offsets', 1]. */
  path: Path;
  severity: 'error' | 'warning';
  /** kafka-unreachable, kafka-auth, kafka-topic-missing, kafka-partition-missing, kafka-offset-range, kafka-split-sum, kafka-format, kafka-compression, kafka-config. */
  rule: string;
  message: string;
  /** Indices of the trials it concerns (in KafkaUse order when `trial` is unset). */
  trials: number[];
}

export interface TopicFacts {
  topic: string;
  exists: boolean;
  partitions: Watermarks[];
  sample?: BatchSample | { error: string };
}

/** What one connection (a group of trials) told us. */
export interface ClusterFacts {
  brokers: string[];
  reachable: boolean;
  /** Why not reachable / not usable (no secret in it). */
  error?: string;
  /** How long the connection was waited for, when it failed. */
  waitedMs?: number;
  /** All topic names on the cluster (for "did you mean" and completion). */
  topicNames: string[];
  /** Partitions per topic name (completion shows them). */
  partitionCounts: Record<string, number>;
  topics: Map<string, TopicFacts>;
  /** Requests sent for this answer, by API name (0 when it came from the cache). */
  requests: Record<string, number>;
  at: number;
}

export interface PreflightOptions {
  /** Whole-check budget per connection, connect included (default 5 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** How long answers are reused (default 10 s; 0 = always ask). */
  cacheMs?: number;
  /** Sees every request sent (tests count round trips with it). */
  onRequest?: (api: string, broker: string) => void;
  /** Skip the one-record sample (format/compression checks). */
  noSample?: boolean;
}

export interface PreflightGroup {
  brokers: string[];
  topics: string[];
  reachable: boolean;
  cached: boolean;
  requests: Record<string, number>;
  elapsedMs: number;
}

export interface PreflightReport {
  problems: KafkaProblem[];
  groups: PreflightGroup[];
  /** Trials that had data.kafka. */
  uses: number;
  elapsedMs: number;
  /** Things not checked, and why (said, never silent). */
  notes: string[];
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_MS = 10_000;

// connection key → topic → facts; the topic list and reachability per connection key.
const cache = new Map<string, { at: number; facts: ClusterFacts }>();

/** Forget cached answers (tests; the editor when the user asks to re-check). */
export function clearPreflightCache(): void {
  cache.clear();
}

/** Seconds as a user reads them: "0.12 s", "3.0 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 1000 ? 2 : 1)} s`;
}

const internal = (t: string) => t.startsWith('__');

/**
 * Facts about `topics` on one connection: from the cache when fresh and complete, else one wire
 * session (bounded by timeoutMs). Never throws for network trouble: `reachable: false` with why.
 */
export async function clusterFacts(conn: KafkaConnection, topics: string[], o: PreflightOptions & { baseDir?: string } = {}): Promise<ClusterFacts & { cached: boolean }> {
  const key = connectionKey(conn);
  const cacheMs = o.cacheMs ?? DEFAULT_CACHE_MS;
  const hit = cache.get(key);
  const fresh = hit && Date.now() - hit.at < cacheMs;
  if (fresh && (!hit.facts.reachable || topics.every((t) => hit.facts.topics.has(t) && (o.noSample || !hit.facts.topics.get(t)!.exists || hit.facts.topics.get(t)!.sample !== undefined || hit.facts.topics.get(t)!.partitions.every((p) => p.high <= p.low))))) {
    return { ...hit.facts, requests: {}, cached: true };
  }
  const facts = await ask(conn, topics, o);
  // Keep what an earlier answer knew about other topics (the editor asks topic by topic).
  if (fresh && facts.reachable) for (const [t, f] of hit.facts.topics) if (!facts.topics.has(t)) facts.topics.set(t, f);
  if (cacheMs > 0) cache.set(key, { at: facts.at, facts });
  return { ...facts, cached: false };
}

async function ask(conn: KafkaConnection, topics: string[], o: PreflightOptions & { baseDir?: string }): Promise<ClusterFacts> {
  const brokers = brokersOf(conn);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const requests: Record<string, number> = {};
  const facts: ClusterFacts = { brokers, reachable: false, topicNames: [], partitionCounts: {}, topics: new Map(), requests, at: Date.now() };
  const t0 = Date.now();
  const kafka = kafkaClient(conn, { baseDir: o.baseDir, env: o.env, connectionTimeoutMs: Math.min(timeoutMs, 3000), requestTimeoutMs: timeoutMs, retries: 0 });
  let wire: Awaited<ReturnType<typeof openWire>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${seconds(timeoutMs)}`)), timeoutMs); });
  try {
    await Promise.race([timeout, (async () => {
      wire = await openWire(kafka, (api, broker) => { requests[api] = (requests[api] ?? 0) + 1; o.onRequest?.(api, broker); });
      const meta = await wire.metadata();
      facts.reachable = true;
      facts.topicNames = meta.map((t) => t.topic).filter((t) => !internal(t)).sort();
      for (const t of meta) facts.partitionCounts[t.topic] = t.partitions.length;
      const wanted = meta.filter((t) => topics.includes(t.topic) && t.errorCode === 0);
      const marks = wanted.length ? await wire.watermarks(wanted) : new Map<string, Watermarks[]>();
      for (const t of topics) facts.topics.set(t, { topic: t, exists: wanted.some((w) => w.topic === t), partitions: marks.get(t) ?? [] });
      if (o.noSample) return;
      // One batch per topic: the first partition holding data, at its low watermark.
      const items = wanted.flatMap((t) => {
        const p = (marks.get(t.topic) ?? []).find((w) => w.high > w.low);
        const leader = p && t.partitions.find((x) => x.partition === p.partition)?.leader;
        return p && leader !== undefined ? [{ topic: t.topic, partition: p.partition, leader, offset: p.low }] : [];
      });
      const samples = items.length ? await wire.sample(items) : new Map();
      for (const [t, s] of samples) facts.topics.get(t)!.sample = s;
    })()]);
  } catch (e) {
    if (e instanceof KafkaConfigError) throw e;
    facts.waitedMs = Date.now() - t0;
    facts.error = e instanceof WireUnavailable ? e.message : kafkaErrorText(e);
    if (facts.reachable) facts.error = `the broker answered but then failed: ${facts.error}`;
    facts.reachable = false;
  } finally {
    clearTimeout(timer);
    // Not awaited on the failure path: a broker that does not answer must not hold the check up.
    const closing = (wire as { close(): Promise<void> } | undefined)?.close().catch(() => undefined);
    if (facts.reachable && closing) await closing;
  }
  facts.at = Date.now();
  return facts;
}

const RANGE = /^\s*(\d+)\s*:\s*(\d+)\s*:\s*(\d+)\s*$/;
const n = (x: bigint | number) => x.toLocaleString('en-US').replace(/,/g, '\u2009'); // thin space: 20 000
const plain = (x: bigint | number) => String(x);

/** "offsets 0–19999" or "no offsets yet" for a partition's [low, high). */
export function holds(w: Watermarks): string {
  return w.high > w.low ? `offsets ${plain(w.low)}–${plain(w.high - 1n)}` : `no records (low = high = ${plain(w.high)})`;
}

/**
 * The problems of one use against what the cluster said. Pure: the editor and the CLI share it, and
 * unit tests feed it facts without a broker.
 */
export function checkUse(use: KafkaUse, facts: ClusterFacts): Omit<KafkaProblem, 'trials'>[] {
  const k = use.kafka;
  const out: Omit<KafkaProblem, 'trials'>[] = [];
  const at = (...p: Path) => ['data', 'kafka', ...p];
  if (Array.isArray(k.split) && k.split.length && k.split.every((x) => typeof x === 'number')) {
    const sum = k.split.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) out.push({ path: at('split'), severity: 'error', rule: 'kafka-split-sum', message: `data.kafka.split [${k.split.join(', ')}] sums to ${Number(sum.toPrecision(10))}, not 1; the train/validation/test rates must add up to 1` });
  }
  if (!facts.reachable) return out; // said once per connection by the caller
  const where = facts.brokers.join(',');
  const t = facts.topics.get(k.topic);
  if (!t || !t.exists) {
    const near = closest(k.topic, facts.topicNames);
    const some = facts.topicNames.slice(0, 8).map((x) => `"${x}"`).join(', ');
    out.push({ path: at('topic'), severity: 'error', rule: 'kafka-topic-missing',
      message: `topic "${k.topic}" does not exist on ${where}${near ? ` — did you mean "${near}"?` : facts.topicNames.length ? `; it has ${facts.topicNames.length} topic${facts.topicNames.length === 1 ? '' : 's'}: ${some}${facts.topicNames.length > 8 ? ', …' : ''}` : '; it has no topics yet'} (create it, or fix data.kafka.topic)` });
    return out;
  }
  const parts = new Map(t.partitions.map((p) => [p.partition, p]));
  const ids = t.partitions.map((p) => p.partition);
  const partsText = ids.length === 1 ? `partition ${ids[0]}` : `partitions ${ids[0]}–${ids[ids.length - 1]}`;
  (Array.isArray(k.offsets) ? k.offsets : []).forEach((entry, i) => {
    const m = typeof entry === 'string' ? RANGE.exec(entry) : null;
    if (!m) return; // the static rule kafka-offsets reports the shape
    const [p, start, end] = [Number(m[1]), BigInt(m[2]), BigInt(m[3])];
    const w = parts.get(p);
    if (!w) {
      out.push({ path: at('offsets', i), severity: 'error', rule: 'kafka-partition-missing', message: `partition ${p} does not exist: topic "${k.topic}" has ${ids.length} partition${ids.length === 1 ? '' : 's'} (${partsText})` });
      return;
    }
    const why: string[] = [];
    if (w.high <= w.low) {
      out.push({ path: at('offsets', i), severity: 'error', rule: 'kafka-offset-range', message: `partition ${p} is empty (its low and high watermarks are both ${plain(w.high)}): no offset of "${entry}" exists yet` });
      return;
    }
    if (start < w.low) why.push(`offset ${plain(start)} is before the start of partition ${p} by ${plain(w.low - start)}`);
    if (end >= w.high) why.push(`offset ${plain(end)} is past the end of partition ${p} by ${plain(end - w.high + 1n)}`);
    if (why.length) out.push({ path: at('offsets', i), severity: 'error', rule: 'kafka-offset-range', message: `${why.join(' and ')}: the topic holds ${holds(w)} in partition ${p}` });
  });
  const s = t.sample;
  if (s && !('error' in s)) {
    const from = `the first record batch of partition ${s.partition} (offset ${plain(s.offset)})`;
    if (k.compression !== undefined && s.codec !== 'unknown' && s.codec !== k.compression) {
      out.push({ path: at('compression'), severity: 'error', rule: 'kafka-compression',
        message: `compression is ${k.compression}, but ${from} is ${s.codec === 'none' ? 'uncompressed' : `${s.codec}-compressed`}; set compression: ${s.codec}, or use a topic produced ${k.compression === 'none' ? 'without compression' : `with ${k.compression}`}` });
    }
    if (k.format !== undefined && s.value) {
      const f = sniffFormat(s.value);
      const mismatch = (k.format === 'avro' && f.format === 'json') || (k.format === 'json' && f.format !== 'json');
      if (mismatch) {
        out.push({ path: at('format'), severity: 'error', rule: 'kafka-format',
          message: `format is ${k.format}, but the first record of partition ${s.partition} (offset ${plain(s.offset)}) looks like ${f.detail}${f.format !== 'unknown' ? `; set format: ${f.format}` : ''}` });
      }
    }
  }
  return out;
}

/** Why the format/compression of a topic was not checked, if it was not (for notes). */
function sampleNote(t: TopicFacts | undefined, k: KafkaData): string | undefined {
  if (!t?.exists || (k.format === undefined && k.compression === undefined)) return undefined;
  const s = t.sample;
  if (!s) return t.partitions.every((p) => p.high <= p.low) ? `topic "${t.topic}": format/compression not checked: the topic has no records` : undefined;
  if ('error' in s) return `topic "${t.topic}": format/compression not checked: sampling a record failed (${s.error})`;
  if (s.note) return `topic "${t.topic}": ${s.codec !== 'unknown' ? `compression checked (${s.codec}); ` : ''}format not checked: ${s.note}`;
  return undefined;
}

/** The connection a use talks through: its own security, else the target's (with that file's folder). */
export function connectionOf(use: KafkaUse): { conn: KafkaConnection; baseDir: string; fromTarget: boolean } {
  const own = use.kafka.security;
  const security = effectiveSecurity(own, use.targetSecurity);
  const fromTarget = !own && !!use.targetSecurity;
  return { conn: { bootstrap_servers: use.kafka.bootstrap_servers, security }, baseDir: fromTarget ? use.targetBaseDir ?? use.baseDir : use.baseDir, fromTarget };
}

/** The preflight of a set of uses (a sweep's trials): grouped per connection, one session per group. */
export async function preflightKafka(uses: KafkaUse[], o: PreflightOptions = {}): Promise<PreflightReport> {
  const t0 = Date.now();
  const report: PreflightReport = { problems: [], groups: [], uses: uses.length, elapsedMs: 0, notes: [] };
  const merged = new Map<string, KafkaProblem>();
  const add = (p: Omit<KafkaProblem, 'trials'>, trials: number[]) => {
    const key = JSON.stringify([p.path, p.rule, p.message]);
    const had = merged.get(key);
    if (had) had.trials.push(...trials.filter((x) => !had.trials.includes(x)));
    else merged.set(key, { ...p, trials: [...trials] });
  };
  const groups = new Map<string, { conn: KafkaConnection; baseDir: string; fromTarget: boolean; uses: Array<{ use: KafkaUse; index: number }> }>();
  uses.forEach((use, i) => {
    if (!use.kafka || typeof use.kafka.topic !== 'string') return;
    const c = connectionOf(use);
    const key = `${connectionKey(c.conn)}\0${c.baseDir}`;
    const g = groups.get(key) ?? { ...c, uses: [] };
    groups.set(key, g);
    g.uses.push({ use, index: use.trial ?? i });
  });
  const notes = new Set<string>();
  await Promise.all([...groups.values()].map(async (g) => {
    const trials = g.uses.map((u) => u.index);
    const topics = [...new Set(g.uses.map((u) => u.use.kafka.topic))];
    const g0 = Date.now();
    let facts: ClusterFacts & { cached: boolean };
    try {
      facts = await clusterFacts(g.conn, topics, { ...o, baseDir: g.baseDir });
    } catch (e) {
      if (!(e instanceof KafkaConfigError)) throw e;
      // A missing secret: on the field that names it (in data.kafka), or on data.kafka when the target's.
      const field = e.field?.split('.') ?? [];
      add({ path: g.fromTarget ? ['data', 'kafka'] : ['data', 'kafka', ...field], severity: 'error', rule: 'kafka-config',
        message: g.fromTarget ? `${e.message} (the security comes from the target's kafka.security in targets.yaml)` : e.message }, trials);
      report.groups.push({ brokers: brokersOf(g.conn), topics, reachable: false, cached: false, requests: {}, elapsedMs: Date.now() - g0 });
      return;
    }
    report.groups.push({ brokers: facts.brokers, topics, reachable: facts.reachable, cached: facts.cached, requests: facts.requests, elapsedMs: Date.now() - g0 });
    if (!facts.reachable && /SASL|authenticat/i.test(facts.error ?? '')) {
      // It answered: the credentials (or the mechanism) are what is wrong, not the address.
      const user = g.conn.security?.sasl?.username;
      add({ path: ['data', 'kafka', 'security'], severity: 'error', rule: 'kafka-auth',
        message: `Kafka broker ${facts.brokers.join(', ')} refused to authenticate${user ? ` user "${user}"` : ''}: ${facts.error}; ${/SASL state/i.test(facts.error ?? '') ? 'its listener may not be a SASL one (check security.protocol and the port)' : 'check the mechanism, the username and the password its reference names'}${g.fromTarget ? ' (the security comes from the target\'s kafka.security in targets.yaml)' : ''}` }, trials);
    } else if (!facts.reachable) {
      const list = facts.brokers.join(', ');
      add({ path: ['data', 'kafka', 'bootstrap_servers'], severity: 'error', rule: 'kafka-unreachable',
        message: `Kafka broker${facts.brokers.length === 1 ? '' : 's'} ${list} not reachable (waited ${seconds(facts.waitedMs ?? 0)}): ${facts.error}; check bootstrap_servers and that the broker is up${g.conn.security ? ' and its security settings' : ''}` }, trials);
    }
    for (const { use, index } of g.uses) {
      for (const p of checkUse(use, facts)) add(p, [index]);
      const note = sampleNote(facts.topics.get(use.kafka.topic), use.kafka);
      if (note) notes.add(note);
    }
  }));
  report.problems = [...merged.values()];
  report.notes = [...notes];
  report.elapsedMs = Date.now() - t0;
  return report;
}

/** "kafka: 2 topics on 127.0.0.1:9092 checked in 0.12 s (5 requests)". */
export function summaryLine(r: PreflightReport): string {
  const topics = new Set(r.groups.flatMap((g) => g.topics));
  const brokers = [...new Set(r.groups.map((g) => g.brokers.join(',')))].join('; ');
  const requests = r.groups.reduce((a, g) => a + Object.values(g.requests).reduce((x, y) => x + y, 0), 0);
  const cached = r.groups.some((g) => g.cached) ? ', partly from the last 10 s' : '';
  return `kafka: ${topics.size} topic${topics.size === 1 ? '' : 's'} on ${brokers} checked in ${seconds(r.elapsedMs)} (${r.uses} trial${r.uses === 1 ? '' : 's'}, ${requests} request${requests === 1 ? '' : 's'}${cached})`;
}

/** A problem as an editor diagnostic at a given range (the caller places it). */
export function toDiagnostic(p: KafkaProblem, range: Diagnostic['range'], suffix = ''): Diagnostic {
  return { range, severity: p.severity, rule: p.rule, message: `${p.message}${suffix}` };
}

/** For hover: how many records an inclusive range covers and whether it fits [low, high). */
export function rangeCoverage(entry: string, w: Watermarks | undefined): string | undefined {
  const m = RANGE.exec(entry);
  if (!m) return undefined;
  const [p, start, end] = [Number(m[1]), BigInt(m[2]), BigInt(m[3])];
  const count = end >= start ? end - start + 1n : 0n;
  if (!w) return `\`${entry}\`: ${n(count)} records — partition ${p} does not exist`;
  const inside = start >= w.low && end < w.high;
  return `\`${entry}\`: ${n(count)} records of partition ${p}${inside ? '' : ` — outside ${holds(w)}`}`;
}

