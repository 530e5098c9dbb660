// The Kafka preflight for an editor (opt-in, expctl.kafka.preflight): diagnostics for an open
// document, topic names for completion and a hover on `topic:`. Everything here is async and
// bounded by a short timeout; the language server calls it after it has published the document's
// own diagnostics, so typing never waits for a broker.
import * as path from 'node:path';
import type { Diagnostic, Range } from '../diagnostic';
import type { Experiment, KafkaData, Sweep } from '../config/types';
import type { FileHost, ValidationSettings } from '../rules/api';
import type { Validation } from '../validate';
import { rangeOfPath } from '../validate';
import { planFile } from '../runner/runner';
import { nodeSpan, pathAt, toRange } from '../yaml/document';
import { at, isObj } from '../util/object';
import { checkPlan } from './check';
import { clusterFacts, connectionOf, holds, rangeCoverage, seconds } from './preflight';
import type { KafkaUse } from './preflight';
import { brokersOf, KafkaConfigError } from './client';

/** Per broker, in the editor: long enough for a remote broker, short enough to be a hint. */
export const EDITOR_TIMEOUT_MS = 3000;

const reads = (config: unknown) => isObj(at(config, 'data', 'kafka')) || isObj(at(config, 'base', 'data', 'kafka'));

/**
 * Diagnostics of the preflight for a validated document, or undefined when it reads no Kafka data
 * or cannot be planned (its own errors come first). Problems found in the sweep's experiment file
 * are put on the sweep's `experiment:` value, naming where they are.
 */
export async function kafkaDiagnostics(v: Validation, host: FileHost, settings: ValidationSettings, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Diagnostic[] | undefined> {
  const doc = v.docs[0];
  if (!doc || (doc.kind !== 'experiment' && doc.kind !== 'sweep')) return undefined;
  if (doc.kind === 'experiment' ? !reads(doc.config) : !reads(doc.experiment) && !JSON.stringify(doc.config ?? {}).includes('data.kafka')) return undefined;
  if (v.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const { plan } = planFile(v.file, host, settings, settings.maxTrials);
  if (!plan) return undefined;
  const { placed } = await checkPlan(plan, host, { validation: v, timeoutMs: o.timeoutMs ?? EDITOR_TIMEOUT_MS, env: o.env });
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const x of placed) {
    // The static rule already shows the split on the file itself, as the user types.
    if (x.problem.rule === 'kafka-split-sum' && x.file === v.file && doc.kind === 'experiment') continue;
    let d = x.diagnostic;
    if (x.file !== v.file) {
      const where = `${path.relative(path.dirname(v.file), x.file)}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
      d = { ...d, range: rangeOfPath(v, doc, ['experiment'], host).range, message: `${where}: ${d.message}` };
    }
    const key = JSON.stringify([d.range, d.message]);
    if (!seen.has(key)) { seen.add(key); out.push(d); }
  }
  return out;
}

/** The data.kafka-like block (data.kafka, metrics.kafka) whose `topic` the cursor is in, if any. */
export function kafkaTopicAt(v: Validation, offset: number): { block: Record<string, unknown>; path: Array<string | number>; range?: Range } | undefined {
  const idx = v.parsed.docs.findLastIndex((d) => (d.doc.range?.[0] ?? 0) <= offset);
  const yd = v.parsed.docs[Math.max(0, idx)];
  if (!yd) return undefined;
  const p = pathAt(yd.doc, offset);
  const i = p.path.lastIndexOf('kafka');
  if (i < 0 || p.path[i + 1] !== 'topic' || p.path.length !== i + 2) return undefined;
  const vd = v.docs[Math.max(0, idx)];
  const blockPath = p.path.slice(0, i + 1);
  const block = at(vd?.config ?? yd.value, ...blockPath) ?? at(yd.value, ...blockPath);
  if (!isObj(block) || block.bootstrap_servers === undefined) return undefined;
  const span = nodeSpan((p.inKey ? p.pair?.key : p.node) as never);
  return { block: block as Record<string, unknown>, path: p.path, range: span ? toRange(v.parsed.lines, span[0], span[1]) : undefined };
}

function useOf(v: Validation, block: Record<string, unknown>): KafkaUse {
  const vd = v.docs[0];
  const config = (vd?.kind === 'sweep' ? vd.experiment ?? (vd.config as Sweep).base : vd?.config) as Experiment | undefined;
  const name = config?.target ?? vd?.targets?.default;
  const target = name ? vd?.targets?.targets?.[name] : undefined;
  return { kafka: block as unknown as KafkaData, baseDir: path.dirname(v.file), targetSecurity: target?.kafka?.security, targetBaseDir: vd?.targetsFile ? path.dirname(vd.targetsFile) : undefined };
}

/** Topic names of the broker a kafka block names (with partition counts), or undefined when it cannot be asked. */
export async function kafkaTopics(v: Validation, block: Record<string, unknown>, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Array<{ name: string; partitions: number }> | undefined> {
  const c = connectionOf(useOf(v, block));
  if (!brokersOf(c.conn).length) return undefined;
  try {
    const f = await clusterFacts(c.conn, [], { timeoutMs: o.timeoutMs ?? EDITOR_TIMEOUT_MS, baseDir: c.baseDir, env: o.env, noSample: true });
    return f.reachable ? f.topicNames.map((name) => ({ name, partitions: f.partitionCounts[name] ?? 0 })) : undefined;
  } catch (e) {
    if (e instanceof KafkaConfigError) return undefined;
    throw e;
  }
}

/** Markdown for a hover on `topic:`: partitions, watermarks, and what each offsets range covers. */
export async function kafkaHover(v: Validation, offset: number, o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ markdown: string; range?: Range } | undefined> {
  const hit = kafkaTopicAt(v, offset);
  if (!hit || typeof hit.block.topic !== 'string') return undefined;
  const topic = hit.block.topic;
  const c = connectionOf(useOf(v, hit.block));
  let f;
  try {
    f = await clusterFacts(c.conn, [topic], { timeoutMs: o.timeoutMs ?? EDITOR_TIMEOUT_MS, baseDir: c.baseDir, env: o.env });
  } catch (e) {
    if (e instanceof KafkaConfigError) return { markdown: `**Kafka** — not asked: ${e.message}`, range: hit.range };
    throw e;
  }
  const where = f.brokers.join(', ');
  if (!f.reachable) return { markdown: `**Kafka** ${where} — not reachable (waited ${seconds(f.waitedMs ?? 0)}): ${f.error}`, range: hit.range };
  const t = f.topics.get(topic);
  if (!t?.exists) return { markdown: `**Kafka** — topic \`${topic}\` does not exist on ${where}`, range: hit.range };
  const total = t.partitions.reduce((a, p) => a + (p.high - p.low), 0n);
  const lines = [`**Kafka topic \`${topic}\`** on ${where} — ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}, ${total} records`, '',
    '| partition | low | high (exclusive) | holds |', '|---:|---:|---:|---|',
    ...t.partitions.map((p) => `| ${p.partition} | ${p.low} | ${p.high} | ${holds(p)} |`)];
  const offsets = Array.isArray(hit.block.offsets) ? hit.block.offsets.filter((x): x is string => typeof x === 'string') : [];
  if (offsets.length) {
    lines.push('', '**offsets**:');
    for (const e of offsets) {
      const m = /^\s*(\d+)\s*:/.exec(e);
      const cov = rangeCoverage(e, m ? t.partitions.find((p) => p.partition === Number(m[1])) : undefined);
      if (cov) lines.push(`- ${cov}`);
    }
  }
  const s = t.sample;
  if (s && !('error' in s)) lines.push('', `First batch (partition ${s.partition}, offset ${s.offset}): ${s.codec === 'none' ? 'uncompressed' : s.codec}.`);
  lines.push('', `_Asked ${f.cached ? 'within the last 10 s' : 'just now'}; expctl.kafka.preflight._`);
  return { markdown: lines.join('\n'), range: hit.range };
}
