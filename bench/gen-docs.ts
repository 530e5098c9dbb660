// Deterministic documents for the language-server benchmark (bench/lsp.ts).
//
// A `method: list` sweep whose `trials:` is a long run list, with schema-checkable errors planted
// every ~500 lines (a trial that is a string instead of a mapping) and one top-level mistake
// (`metric: { goal: minimise }`: no `name`, and a goal outside minimize|maximize).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../core/src/sweep/prng';


export const TRIAL_KEYS = ['params.learning_rate', 'params.batch_size', 'params.optimizer', 'params.data_format', 'params.compression'] as const;

export interface Trial {
  /** 0-based line of the `- params.learning_rate:` line. */
  line: number;
  /** One line per key, in TRIAL_KEYS order. */
  keyLines: number[];
}

export interface PlantedError {
  line: number;
  kind: 'scalar-trial' | 'metric-goal';
}

export interface SweepDoc {
  text: string;
  lines: string[];
  trials: Trial[];
  planted: PlantedError[];
}

const HEADER = [
  'experiment: ./train.experiment.yaml',
  'method: list',
  'name_template: "run-{index}"',
  'max_parallel: 4',
  'metric: { goal: minimise }',
  'trials:',
];

/** A sweep of at least `targetLines` lines; identical output for identical arguments. */
export function generateSweep(targetLines: number, seed = 42): SweepDoc {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const lines = [...HEADER];
  const planted: PlantedError[] = [{ line: HEADER.indexOf('metric: { goal: minimise }'), kind: 'metric-goal' }];
  const trials: Trial[] = [];
  let nextError = 500;
  while (lines.length < targetLines) {
    if (lines.length >= nextError) {
      planted.push({ line: lines.length, kind: 'scalar-trial' });
      lines.push(`  - "lr=${pick(['0.1', '0.01', '0.001'])},bs=${pick([32, 64, 128])}"`);
      nextError += 500;
      continue;
    }
    const line = lines.length;
    const lr = (pick([1, 2, 5]) * 10 ** -pick([2, 3, 4])).toPrecision(1);
    lines.push(`  - params.learning_rate: ${lr}`);
    lines.push(`    params.batch_size: ${pick([32, 64, 128, 192, 256])}`);
    lines.push(`    params.optimizer: ${pick(['adam', 'adamw', 'sgd', 'lamb'])}`);
    lines.push(`    params.data_format: ${pick(['avro', 'json', 'parquet'])}`);
    lines.push(`    params.compression: ${pick(['none', 'gzip', 'snappy', 'lz4', 'zstd'])}`);
    trials.push({ line, keyLines: [line, line + 1, line + 2, line + 3, line + 4] });
  }
  return { text: lines.join('\n') + '\n', lines, trials, planted };
}

export const TRAIN_EXPERIMENT = `name: train
command: [python, train.py, --lr, "{params.learning_rate}", --batch-size, "{params.batch_size}"]
params:
  learning_rate: 0.001
  batch_size: 64
  optimizer: adam
  data_format: avro
  compression: lz4
resources: { gpus: 1 }
metrics: { primary: val_loss, goal: minimize }
`;

/**
 * A JSON Schema for sweeps, used for yaml-language-server only while schemas/sweep.schema.json
 * does not exist yet. It checks what the planted errors need: trials are mappings, metric has a
 * name and a goal in minimize|maximize.
 */
export const STAND_IN_SWEEP_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'expctl sweep (bench stand-in)',
  type: 'object',
  required: ['method'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    experiment: { type: 'string', description: 'Path of the experiment file, relative to this file.' },
    base: { type: 'object' },
    method: { enum: ['grid', 'random', 'list'], description: 'How trials are generated.' },
    parameters: { type: 'object', additionalProperties: { type: 'object' } },
    trials: {
      type: 'array',
      description: 'method: list — each entry maps dotted paths to values.',
      items: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z0-9_]+)*$' } },
    },
    samples: { type: 'integer', minimum: 1 },
    seed: { type: 'integer' },
    repeat: { type: 'integer', minimum: 1 },
    max_parallel: { type: 'integer', minimum: 1, description: 'How many trials run at once.' },
    name_template: { type: 'string' },
    metric: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string' }, goal: { enum: ['minimize', 'maximize'] } },
    },
    exclude: { type: 'array', items: { type: 'object' } },
    target: { type: 'string' },
  },
};

/** Write train.experiment.yaml, train.py and bench-<lines>.sweep.yaml for each size into `dir`. */
export function writeBenchWorkspace(dir: string, sizes: number[]): Map<number, { path: string; doc: SweepDoc }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.experiment.yaml'), TRAIN_EXPERIMENT);
  writeFileSync(join(dir, 'train.py'), 'print("@expctl {\\"step\\": 1, \\"val_loss\\": 0.5}")\n');
  const out = new Map<number, { path: string; doc: SweepDoc }>();
  for (const size of sizes) {
    const doc = generateSweep(size);
    const path = join(dir, `bench-${size}.sweep.yaml`);
    writeFileSync(path, doc.text);
    out.set(size, { path, doc });
  }
  return out;
}
