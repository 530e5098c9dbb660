// Where a run's data and metrics come from: kafka-split-sum, kafka-offsets,
// kafka-partition-duplicate and metrics-source-kafka.
import type { Path } from '../../diagnostic';
import { at } from '../../util/object';
import { KAFKA_SOURCE_MESSAGE } from '../../runner/metrics';
import { fix, isNum, q, roundSig, rule } from './common';

/**
 * `rates` scaled to sum to 1, each rounded to 6 significant digits, with the last (or, if that
 * would go negative, the largest) element absorbing the rounding so the printed values sum to 1.
 */
export function normaliseSplit(rates: number[]): number[] | undefined {
  const sum = rates.reduce((a, b) => a + b, 0);
  if (rates.length === 0 || !(sum > 0) || rates.some((r) => !isNum(r) || r < 0)) return undefined;
  const out = rates.map((r) => roundSig(r / sum, 6));
  let adjust = out.length - 1;
  const rest = (i: number) => out.reduce((a, b, j) => (j === i ? a : a + b), 0);
  if (1 - rest(adjust) < 0) adjust = out.indexOf(Math.max(...out));
  out[adjust] = roundSig(1 - rest(adjust), 12);
  return out;
}

export const kafkaSplitSum = rule('kafka-split-sum', (ctx, c) => {
  const split = at(c, 'data', 'kafka', 'split');
  if (!Array.isArray(split) || split.length === 0 || !split.every(isNum)) return;
  const sum = split.reduce((a: number, b: number) => a + b, 0);
  if (Math.abs(sum - 1) <= 1e-6) return;
  const normalised = normaliseSplit(split);
  const path: Path = ['data', 'kafka', 'split'];
  ctx.report({
    rule: 'kafka-split-sum',
    severity: 'error',
    path,
    message: `data.kafka.split rates [${split.join(', ')}] sum to ${roundSig(sum, 10)}, not 1; `
      + 'the train/validation/test rates must add up to 1 (±1e-6)'
      + (normalised ? ` — normalised they are [${normalised.join(', ')}]` : '; make them non-negative with a positive sum'),
    fixes: normalised
      ? [{
        title: 'Normalise split rates to sum to 1',
        edits: normalised.map((v, i) => ({ path: [...path, i], target: 'value' as const, newText: String(v) })),
        preferred: true,
      }]
      : undefined,
  });
});

const OFFSET_RANGE = /^\s*(\d+)\s*:\s*(\d+)\s*:\s*(\d+)\s*$/;

export const kafkaOffsets = rule('kafka-offsets', (ctx, c) => {
  const offsets = at(c, 'data', 'kafka', 'offsets');
  if (!Array.isArray(offsets)) return;
  offsets.forEach((item, i) => {
    if (typeof item !== 'string') return; // the schema reports the type
    const path: Path = ['data', 'kafka', 'offsets', i];
    const m = OFFSET_RANGE.exec(item);
    if (!m) {
      ctx.report({
        rule: 'kafka-offsets',
        severity: 'error',
        path,
        message: `Offsets entry ${q(item)} is not "partition:start:end" with non-negative integers; write it like "0:0:19999" (inclusive offsets)`,
      });
      return;
    }
    const [partition, start, end] = [m[1], m[2], m[3]].map(Number);
    if (start > end) {
      const swapped = `${partition}:${end}:${start}`;
      ctx.report({
        rule: 'kafka-offsets',
        severity: 'error',
        path,
        message: `Offsets entry ${q(item)} starts at offset ${start}, after its end ${end}; the range is inclusive and needs start ≤ end, e.g. ${q(swapped)}`,
        fixes: [fix(`Swap start and end: ${q(swapped)}`, path, JSON.stringify(swapped))],
      });
    }
  });
});

export const kafkaPartitionDuplicate = rule('kafka-partition-duplicate', (ctx, c) => {
  const offsets = at(c, 'data', 'kafka', 'offsets');
  if (!Array.isArray(offsets)) return;
  const first = new Map<number, number>();
  offsets.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const m = OFFSET_RANGE.exec(item);
    if (!m) return;
    const partition = Number(m[1]);
    const j = first.get(partition);
    if (j === undefined) {
      first.set(partition, i);
      return;
    }
    ctx.report({
      rule: 'kafka-partition-duplicate',
      severity: 'error',
      path: ['data', 'kafka', 'offsets', i],
      message: `Partition ${partition} is listed twice: ${q(item)} here and ${q(offsets[j])} at data.kafka.offsets[${j}]; `
        + 'give each partition one start:end range',
    });
  });
});

// An error, not a warning: without metrics.kafka the runner cannot know which topic to consume.
export const metricsSourceKafka = rule('metrics-source-kafka', (ctx, c) => {
  const sources = at(c, 'metrics', 'sources');
  if (!Array.isArray(sources) || at(c, 'metrics', 'kafka') !== undefined) return;
  sources.forEach((s, i) => {
    if (s === 'kafka') ctx.report({ rule: 'metrics-source-kafka', severity: 'error', path: ['metrics', 'sources', i], message: KAFKA_SOURCE_MESSAGE });
  });
});
