// YAML parsing benchmark: the `yaml` library (parseAllDocuments + toJS, as core/src/yaml/document.ts
// did before the fast path) vs fastParse (core/src/yaml/fast.ts: Document + plain value in one pass),
// on generated `method: list` run lists of about 1k, 13k and 65k lines. Checks first that both
// produce the same value. Each size and parser: a full GC (so that neither pays for the other's
// garbage), a warm-up (3 runs, at least 300 ms), then the median of RUNS timed runs. Prints a
// table, writes nothing.
//
//   node --import tsx bench/yaml-parse.ts [--runs 5]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { fastParse } from '../core/src/yaml/fast';
import { generateSweep } from './gen-docs';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;
const SIZES = [1_000, 13_000, 65_000];

function library(text: string): unknown {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, logLevel: 'silent' }) as Document.Parsed[];
  return docs[0].toJS({ maxAliasCount: 1000 });
}

function fast(text: string): unknown {
  const r = fastParse(text, new LineCounter());
  if (!r) throw new Error('fast path fell back');
  return r.value;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Median milliseconds of fn(text). */
function measure(fn: (text: string) => unknown, text: string): number {
  gc();
  const t0 = Date.now();
  for (let i = 0; i < 3 || Date.now() - t0 < 300; i++) fn(text);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    fn(text);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

const yamlVersion = (JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', 'yaml', 'package.json'), 'utf8')) as { version: string }).version;
const pad = (s: string, n: number, right = true) => (right ? s.padStart(n) : s.padEnd(n));
const f1 = (x: number) => x.toFixed(x < 10 ? 2 : 1);

console.log(`YAML parse + plain value — median of ${RUNS} runs after a GC and a warm-up; node ${process.version}, yaml ${yamlVersion}`);
console.log(`${pad('document', 16, false)} ${pad('lines', 7)} ${pad('KiB', 6)} ${pad('yaml ms', 9)} ${pad('yaml MB/s', 10)} ${pad('fast ms', 8)} ${pad('fast MB/s', 10)} ${pad('speed-up', 9)}`);
for (const size of SIZES) {
  // The same run lists the language-server bench uses (their planted errors are schema errors: valid YAML).
  const text = generateSweep(size).text;
  const lines = text.split('\n').length - 1;
  if (!isDeepStrictEqual(fast(text), library(text))) throw new Error(`values differ for ${size} lines`);
  const lib = measure(library, text);
  const ours = measure(fast, text);
  const mb = text.length / 1e6;
  console.log(`${pad(`run list ${size / 1000}k`, 16, false)} ${pad(String(lines), 7)} ${pad((text.length / 1024).toFixed(0), 6)} ${pad(f1(lib), 9)} ${pad(f1(mb / (lib / 1000)), 10)} ` +
    `${pad(f1(ours), 8)} ${pad(f1(mb / (ours / 1000)), 10)} ${pad(`${(lib / ours).toFixed(1)}×`, 9)}`);
}
