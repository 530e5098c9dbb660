// Differential tests of the fast YAML path (core/src/yaml/fast.ts) against the `yaml` library:
// whenever fastParse accepts a text, its document (node kinds, ranges, flow, scalar values, types,
// sources and formats), its plain value and its line starts must equal the library's, and the
// library must report no error or warning for that text.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isDocument, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import { fastParse } from '../../core/src/yaml/fast';
import { parseYaml, reparseYaml } from '../../core/src/yaml/document';
import { validateText } from '../../core/src/validate';
import { diskHost } from '../../core/src/util/disk-host';
import type { ParsedText } from '../../core/src/yaml/document';

const ROOT = path.resolve(__dirname, '../..');
const OPTIONS = { uniqueKeys: true, prettyErrors: false, logLevel: 'silent' } as const;

function libParse(text: string): { docs: Document.Parsed[]; lines: LineCounter } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { ...OPTIONS, lineCounter: lines }) as Document.Parsed[];
  return { docs: Array.isArray(docs) ? docs : [], lines };
}

type AnyNode = { range?: number[]; flow?: boolean; items?: unknown[] } & Record<string, unknown>;

function kindOf(n: unknown): string {
  return isMap(n) ? 'map' : isSeq(n) ? 'seq' : isScalar(n) ? 'scalar' : isPair(n) ? 'pair' : n === null ? 'null' : typeof n;
}

/** Structural comparison of two ASTs; pushes differences to out. */
function walk(a: unknown, b: unknown, at: string, out: string[]): void {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka !== kb) {
    out.push(`${at}: kind ${ka} ≠ ${kb}`);
    return;
  }
  if (a === null || out.length > 20) return;
  const x = a as AnyNode;
  const y = b as AnyNode;
  if (!isDeepStrictEqual(x.range, y.range)) out.push(`${at}: range ${JSON.stringify(x.range)} ≠ ${JSON.stringify(y.range)}`);
  for (const p of ['flow', 'tag', 'anchor']) if (!Object.is(x[p] ?? undefined, y[p] ?? undefined) && !(p === 'flow' && !x[p] && !y[p])) out.push(`${at}: ${p} ${String(x[p])} ≠ ${String(y[p])}`);
  // Same own enumerable properties (comments are not carried over by the fast path).
  const keys = (n: object) => Object.keys(n).filter((k) => !['comment', 'commentBefore', 'spaceBefore'].includes(k)).sort().join(',');
  if (keys(x) !== keys(y)) out.push(`${at}: properties ${keys(x)} ≠ ${keys(y)}`);
  if (!isScalar(a) && Object.getOwnPropertyDescriptor(x, 'schema')?.enumerable !== false) out.push(`${at}: no non-enumerable schema`);
  if (isScalar(a)) {
    for (const p of ['value', 'type', 'source', 'format', 'minFractionDigits']) {
      if (!Object.is(x[p], y[p])) out.push(`${at}: ${p} ${JSON.stringify(x[p])} ≠ ${JSON.stringify(y[p])}`);
    }
    return;
  }
  const xi = x.items!;
  const yi = y.items!;
  if (xi.length !== yi.length) {
    out.push(`${at}: ${xi.length} items ≠ ${yi.length}`);
    return;
  }
  for (let i = 0; i < xi.length; i++) {
    if (isMap(a)) {
      if (!isPair(xi[i]) || !isPair(yi[i])) {
        out.push(`${at}[${i}]: not a pair`);
        continue;
      }
      const p = xi[i] as { key: unknown; value: unknown };
      const q = yi[i] as { key: unknown; value: unknown };
      walk(p.key, q.key, `${at}.key(${i})`, out);
      walk(p.value, q.value, `${at}.${isScalar(p.key) ? String(p.key.value) : i}`, out);
    } else walk(xi[i], yi[i], `${at}[${i}]`, out);
  }
}

/** undefined when fastParse falls back; otherwise the list of differences from the library (empty = agree). */
function differences(text: string): string[] | undefined {
  const lines = new LineCounter();
  const fast = fastParse(text, lines);
  if (!fast) return undefined;
  const out: string[] = [];
  const lib = libParse(text);
  if (lib.docs.length !== 1) return [`library found ${lib.docs.length} documents`];
  const d = lib.docs[0];
  if (d.errors.length > 0 || d.warnings.length > 0) out.push(`library reports ${[...d.errors, ...d.warnings].map((e) => e.code).join(', ')}`);
  if (!isDocument(fast.doc)) out.push('not a Document');
  if (fast.doc.errors.length !== 0 || fast.doc.warnings.length !== 0) out.push('fast doc has errors');
  if (!isDeepStrictEqual(lines.lineStarts, lib.lines.lineStarts)) out.push(`lineStarts ${JSON.stringify(lines.lineStarts)} ≠ ${JSON.stringify(lib.lines.lineStarts)}`);
  if (!isDeepStrictEqual(fast.doc.range, d.range)) out.push(`doc.range ${JSON.stringify(fast.doc.range)} ≠ ${JSON.stringify(d.range)}`);
  if (fast.doc.directives.docStart !== d.directives.docStart) out.push('directives.docStart');
  let js: unknown;
  try {
    js = d.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    out.push(`library toJS throws ${(e as Error).message}`);
  }
  if (!isDeepStrictEqual(fast.value, js)) out.push(`value ${JSON.stringify(fast.value)} ≠ ${JSON.stringify(js)}`);
  if (!isDeepStrictEqual(fast.doc.toJS({ maxAliasCount: 1000 }), js)) out.push('fast doc.toJS() ≠ library toJS()');
  walk(fast.doc.contents, d.contents, '$', out);
  return out;
}

function assertAgrees(text: string, context = ''): boolean {
  const diff = differences(text);
  if (diff && diff.length > 0) assert.fail(`${context}fast path disagrees with yaml for ${JSON.stringify(text)}:\n  ${diff.join('\n  ')}`);
  return diff !== undefined;
}

function assertAccepted(text: string, context = ''): void {
  assert.ok(assertAgrees(text, context), `${context}fast path fell back on ${JSON.stringify(text.length > 2000 ? text.slice(0, 2000) + '…' : text)}`);
}

// ---- hand-written corpus --------------------------------------------------------------------------

const ACCEPT: string[] = [
  'a: 1\nb: 2\n',
  'a: 1\nb: 2',
  'a: 1\n\n',
  'a:',
  'a:\n',
  'a:   \n',
  'a: # c\nb:',
  'a:\nb: 1\n',
  'a:\n\n\nb: 1\n',
  'a:\n\n',
  'a:\n# c\nb: 1',
  'a:\n# c\n\n# d\nb: 1',
  'a:\n  # c\n\n  # d\n\nb: 1',
  'a:\n    # deep\n\nb: 1\n',
  'x:\n  a:\n  # c\n  b: 1',
  'x:\n  a:\n    # c\n  b: 1',
  'x:\n  a:\n    # c\n\n  b: 1',
  'x:\n  a:\n\n    # c\n\n\n  b: 1\n',
  'x:\n  a:\n  # c\ny: 1',
  'x:\n  a:\n\n\ny: 1\n',
  'x:\n  a: # c\n\n\ny: 1\n',
  'x:\n  a:\n# c\n',
  'a: 1\nb:\n  c: x\n  d: y\n\n# c\n\ne: 3\n',
  'a:\n  b: 1\n  # ind\nc: 2\n',
  'a:\n  b: 1\n# notind\nc: 2\n',
  'a:\n  b: 1\n    # deeper\nc: 2\n',
  'a:\n  b: 1\n\n    # deeper\n\n    # deeper 2\n  # same\n    # deeper 3\nc: 2\n',
  'a:\n  b: 1\n\n  # ind\n\n',
  'a:\n  b: 1\n  # ind\n',
  'a:\n  b: 1\n # one\nc: 2\n',
  'a:\n  # pre\n  b: 1\n',
  'a:\n  b:\n    c: 1\n    # x\n  d: 2',
  'a:\n  b:\n    c: 1\n   # x\n  d: 2',
  'a:\n  b:\n    c: 1\n  # x\n  d: 2',
  'a:\n  b:\n    c: 1\n      # x\n\n  d: 2\n',
  'a:\n  b:\n    c: 1\n\n\n',
  'a:\n  b:\n    c: 1\n    # x\n',
  'a:\n  b:\n    c: 1\n  # x\n',
  'a:\n- 1\n- 2\nb: 3\n',
  'a:\n- 1\n# c\n- 2\nb: 3\n',
  'a:\n- 1\n  # c\nb: 3\n',
  'a:\n  - x\n  # c\n  - y\n  # e\nb: 1',
  'a:\n  - x\n\n  # c\n\nb: 1',
  'a:\n  - x\n  -\n  # c\nb: 1',
  '- a\n- b: 1\n  c: 2\n- \n- [x, y]\n',
  '- a\n  # c\n- b\n# d\n',
  '- \n  # c\n- x',
  '-\n-',
  '-\n-\n',
  '- # c\n- x\n',
  '-\n  a: 1\n  b: 2\n-\n  - x\n  - y\n',
  '- - a\n  - b\n- c',
  '- - - a\n    - b\n  - c\n- d\n',
  '- -\n- x\n',
  '- a: 1\n  b:\n    c: 2\n  d:\n  - e\n- f: [1, 2]\n',
  '-   a: 1\n    b: 2\n-   c\n',
  '- a:\n  b: 1\n',
  '- a:\n- b\n',
  '- a:\n    b: 1\n  c: 2\n',
  '- a:\n  - x\n  b: 1\n',
  '- a: 1\n    # deep\n- b\n',
  'a: [1, 2]  # c\n    # deep\nb: 1',
  'a: [a, b,]',
  'a: [a, b, ]',
  'a: {a: 1,}',
  'a: []\nb: {}\nc: [ ]\nd: { }\n',
  'a: [[], {}, [[1]], {b: {c: d}}]\n',
  'a: { a : 1 , b: [x, y ] }',
  'a: {"x":1, \'y\':2, "z":[1], "w":{"v":null}}',
  'a: {a:[1], b:{c: d}}',
  'a: [a:b, http://x/y?q=1#f, -1, .5, "q", \'s\', a b  c]\n',
  'a: [ 1 , 2 ]   # c\n',
  'a: {"a" : 1}',
  '---\na: 1\n',
  '--- # c\na: 1\n',
  '---   \n\n# c\na: 1\n',
  '# c\n---\na: 1\n',
  '# c\n\n  # d\na: 1\n\n\n# end\n',
  '"a": 1\n\'b\': 2\n"c d": "e # f"\n\'g\'\'h\': \'i\'\'j\'\n',
  'a: "x" # c\nb: \'y\'   \n',
  'a b: c d\n',
  'a#b: c#d\n',
  'a:b: c:d\n',
  'url: http://example.com:8080/a?b=c#d\n',
  'path: C:\\Users\\x\n',
  'a: foo[1], {b}\n',
  'a: -x\nb: -1\nc: -.5\nd: x-y\n',
  'a: 0x1F\nb: 0o17\nc: 1.50\nd: 1e5\ne: .inf\nf: -.inf\ng: .nan\nh: yes\ni: 01\nj: +1\nk: 1.\nl: 1_000\nm: 0:0:19999\nn: -0\no: ~\np: Null\nq: TRUE\n',
  'a: 1e-4\nb: 1.0e-4\nc: .5e3\nd: +.inf\ne: .NaN\nf: .NAN\ng: 0x\nh: 0o8\ni: 0xFFg\nj: 1e\nk: e5\nl: 1.5.5\nm: --1\nn: +\no: .\np: 1E+3\nq: 007\nr: 0.10\ns: 10.0\nt: -0.0\n',
  'a: 123456789012345678901234567890\nb: 1e400\nc: -1e400\nd: 0o777777777777777777777\n',
  'a: False\nb: FALSE\nc: fAlse\nd: nULL\ne: ~x\nf: Yes\ng: on\nh: off\ni: n\nj: y\n',
  '1: a\n2.5: b\ntrue: c\n~: d\n0x10: e\n-1: f\n.inf: g\n',
  'a: "a\\tb\\u00e9\\x41\\U0001F600\\n\\"\\\\\\/\\0\\a\\b\\e\\f\\r\\v\\N\\_\\L\\P\\ \\\t"\n',
  "a: 'it''s'\nb: ''\nc: \"\"\nd: ''''\n",
  'a: "tab\there"\n',
  'a: x # tab\tin comment\n',
  '__proto__: 1\nconstructor: 2\ntoString: 3\n',
  'a:\n  __proto__:\n    b: 1\n',
  'a: {__proto__: 1}\n',
  'é: ü\n"日本": 語\n',
  'a: x > y | z\n',
  'a: x & y * z ! w % v @ u ` t\n',
  'k: v\n' + 'x'.repeat(999) + ': long key\n',
  'a:\n   b: 1\n   c:\n         d: 2\n   e: 3\n',
  'a: 1   \nb:    2\nc:     \n',
  'a: <<\nb: [<<, <<x]\n<<x: 1\n',
  'experiment: ./train.experiment.yaml\nmethod: list\nname_template: "run-{index}"\nmax_parallel: 4\ntrials:\n  - params.learning_rate: 0.001\n    params.batch_size: 64\n  - params.learning_rate: 0.0005\n    params.batch_size: 128\nmetric: { name: val_loss, goal: minimize }\n',
];

const FALLBACK: string[] = [
  '',
  '\n',
  '# only a comment\n',
  '---\n',
  '---\n# c\n',
  'just a scalar\n',
  '"quoted"\n',
  '[a, b]\n',
  '{a: 1}\n',
  '  a: 1\n', // indented top level
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'a: !tag x\n',
  'a: |\n  x\n',
  'a: >\n  x\n',
  'a: |-\n  x\n',
  'a: foo\n  bar\n',
  'a: foo\n\n  bar\n',
  'a: "foo\n  bar"\n',
  "a: 'foo\n  bar'\n",
  'a: [a,\n  b]\n',
  'a: {a: 1,\n  b: 2}\n',
  'a: [a, # c\n  b]\n',
  '? a\n: b\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: 1\n---\nb: 2\n',
  'a: 1\n...\n',
  '---\na: 1\n---\n',
  'a:\n\tb: 1\n',
  'a:\t1\n',
  'a: 1\t# c\n',
  'a: 1\nb: 2\na: 3\n',
  '1: a\n"1": b\n',
  '1: a\n1.0: b\n',
  '~: a\nnull: b\n',
  'a: {x: 1, x: 2}\n',
  '- - x\n - y\n', // bad indent
  '\uFEFFa: 1\n',
  'a: 1\rb: 2\n',
  'a: 1\r\r\nb: 2\n',
  'a: 1\nb: 2\r',
  'a: "x\ry"\n',
  'a: b: c\n',
  'a: - b\n',
  'a: -\n',
  'a: 1\n  b: 2\n',
  'a:\n  b: 1\n c: 2\n',
  'a:\n  b: 1\n    c: 2\n',
  'a : 1\n',
  '"a" : 1\n',
  "'a':1\n",
  'a:1\n',
  'a\n',
  'a: 1\nb\n',
  '- a\nb: 1\n',
  'a: 1\n- b\n',
  '- a\n  - b\n',
  '- a\n b\n',
  'a: "x"y\n',
  'a: \'x\'#c\n',
  'a: [x]#c\n',
  'a: [x] y\n',
  'a: [x]: y\n',
  '[a]: b\n',
  '{a: 1}: b\n',
  'a: [x: 1]\n',
  'a: [x:]\n',
  'a: {x}\n',
  'a: {x, y: 1}\n',
  'a: {x: }\n',
  'a: {x:1}\n',
  'a: [,]\n',
  'a: [a,,b]\n',
  'a: [a b\n',
  'a: "unterminated\n',
  'a: "bad \\q escape"\n',
  'a: "bad \\u12"\n',
  'a: "\\UFFFFFFFF"\n',
  'a: "line \\\n"\n',
  'a: @x\n',
  'a: `x\n',
  'a: %x\n',
  'a: ,x\n',
  'a: ]x\n',
  'a: }x\n',
  'a: *x\n',
  'a: ?x\n',
  'a: :x\n',
  '<<: {a: 1}\n',
  'a: {<<: 1}\n',
  'a: >x\n',
  'a: \u0001\n',
  'a: \u0085\n',
  'a: x\u2028y\n',
  'k: v\n' + 'x'.repeat(1100) + ': too long key\n',
  'a:\n' + Array.from({ length: 80 }, (_, i) => ' '.repeat(i + 1) + `k${i}:`).join('\n') + ' 1\n', // nesting
  'a: ' + '['.repeat(80) + ']'.repeat(80) + '\n',
  '---a: 1\n',
  '...: 1\n',
  '--- a: 1\n',
  '- a\n---\n',
];

const crlf = (text: string) => text.replace(/\n/g, '\r\n');

test('hand-written documents in the subset are accepted and agree with the library, also with CRLF line breaks', () => {
  for (const text of ACCEPT) {
    assertAccepted(text);
    assertAccepted(crlf(text), 'CRLF: ');
  }
});

test('hand-written documents outside the subset fall back, also with CRLF line breaks', () => {
  for (const text of FALLBACK) {
    assert.equal(fastParse(text, new LineCounter()), undefined, `expected a fallback for ${JSON.stringify(text)}`);
    assert.equal(fastParse(crlf(text), new LineCounter()), undefined, `expected a fallback for ${JSON.stringify(crlf(text))}`);
  }
});

// ---- files on disk ----------------------------------------------------------------------------------

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

test('every YAML file under examples/ and test/fixtures/ agrees when accepted; example experiments and sweeps are accepted', () => {
  const files = [...yamlFiles(path.join(ROOT, 'examples')), ...yamlFiles(path.join(ROOT, 'test/fixtures'))];
  assert.ok(files.length > 10);
  let accepted = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(ROOT, file);
    if (assertAgrees(text, `${rel}: `)) accepted++;
    else if (rel.startsWith('examples') && /\.(experiment|sweep)\.ya?ml$/.test(rel)) assert.fail(`fast path fell back on ${rel}`);
    // The same text with its lines indented into a nested map stays in the subset.
    assertAgrees('root:\n' + text.replace(/^(?=.)/gm, '  '), `${rel} (nested): `);
  }
  assert.ok(accepted >= files.length * 0.8, `only ${accepted}/${files.length} files accepted`);
});

// ---- run-list sweeps ------------------------------------------------------------------------------

function runList(trials: number): string {
  const opt = ['adam', 'sgd', 'adamw', 'lion'];
  const fmt = ['avro', 'json', 'parquet'];
  const comp = ['lz4', 'none', 'zstd', 'snappy'];
  let s = 'experiment: ./train.experiment.yaml\nmethod: list\nname_template: "run-{index}"\nmax_parallel: 4\ntrials:\n';
  for (let i = 0; i < trials; i++) {
    s += `  - params.learning_rate: ${(0.001 / (1 + (i % 7))).toPrecision(3)}\n`;
    s += `    params.batch_size: ${16 << (i % 5)}\n`;
    s += `    params.optimizer: ${opt[i % 4]}\n`;
    s += `    params.data_format: ${fmt[i % 3]}\n`;
    s += `    params.compression: ${comp[i % 4]}\n`;
  }
  return s + 'metric: { name: val_loss, goal: minimize }\n';
}

test('a run-list sweep is accepted and agrees with the library', () => {
  assertAccepted(runList(400));
  assertAccepted('# yaml-language-server: $schema=./sweep.schema.json\n---\n' + runList(50).replace(/\n/g, '  # c\n'));
});

test('parseYaml uses the fast path and falls back with a fresh line counter', () => {
  const text = runList(20);
  const fast = parseYaml(text);
  assert.equal(fast.docs.length, 1);
  assert.equal(fast.problems.length, 0);
  assert.deepEqual(fast.lines.lineStarts, libParse(text).lines.lineStarts);
  assert.deepEqual(fast.docs[0].value, libParse(text).docs[0].toJS());
  const bad = 'a: 1\nb: [x,\n  y]\nc: &a 1\na: 2\n';
  const slow = parseYaml(bad);
  assert.deepEqual(slow.lines.lineStarts, libParse(bad).lines.lineStarts);
  assert.equal(slow.problems.length, 1);
  assert.match(slow.problems[0].message, /DUPLICATE_KEY/);
});

// ---- random documents and mutants -----------------------------------------------------------------

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const WORDS = ['a', 'b', 'name', 'lr', 'params.batch_size', 'my key', 'x-y', 'gpu_type', 'a:b', 'a#b', 'k1', 'data', 'é', 'v2.1', 'on', 'yes', 'No', 'path/to', 'x_'];
const PLAIN_SCALARS = [
  'x', 'hello world', 'adam', 'a:b', 'a#b', 'http://h:80/p?q#f', 'C:\\dir', 'foo[1]', 'a, b', 'y{x}', 'x]', '-x', '-1', 'x-y',
  '0', '1', '-0', '+1', '01', '007', '12345678901234567890', '1_000', '0x1F', '0xff', '0o17', '0o8', '0x', '1.5', '1.50', '10.0', '-0.0', '.5', '+.5', '1.', '1e5',
  '1e-4', '1.0e-4', '.5e3', '1E+3', '1e', 'e5', '1.5.5', '.inf', '-.inf', '+.inf', '.Inf', '.nan', '.NaN', '.NAN', '+.nan',
  'true', 'True', 'TRUE', 'tRue', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'nUll', '~', '~x', 'yes', 'no', 'on', 'off', 'y', 'n',
  '0:0:19999', '1:30', '2024-01-01', '12:30:45', 'é', '日本語', 'a ~ b', 'x !y', 'x &y', 'x *y', 'x | y', 'x > y', "it's", 'say "hi"', 'x%', '<<x', '<<', '--flag', '--',
];
const DQ_SCALARS = ['""', '"x"', '"a b"', '"a\\tb"', '"\\u00e9\\x41"', '"q\\"q"', '"back\\\\slash"', '"\\/"', '"# not a comment"', '"a: b"', '"1"', '"true"', '"\\U0001F600"', '"\\0\\a\\b\\e\\f\\r\\v\\N\\_\\L\\P\\ "', '"tab\tin"'];
const SQ_SCALARS = ["''", "'x'", "'it''s'", "''''", "'a: b'", "'# x'", "'1'", "'\\n stays'", "'\"'"];

function genScalar(g: Gen, inFlow: boolean): string {
  const k = g.int(10);
  if (k < 6) {
    let s = g.pick(PLAIN_SCALARS);
    // In flow context these characters end a plain scalar; keep generated flow documents valid.
    if (inFlow && /[,[\]{}]/.test(s)) s = 'x';
    return s;
  }
  if (k < 8) return g.pick(DQ_SCALARS);
  return g.pick(SQ_SCALARS);
}

function genFlow(g: Gen, depth: number): string {
  const sp = () => ' '.repeat(g.int(3) === 0 ? g.int(3) : g.int(2));
  const n = g.int(4);
  const items: string[] = [];
  if (g.chance(0.5)) {
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      let key = g.pick(['a', 'b', 'c', '"d"', "'e'", 'f g', '1', 'true']);
      if (used.has(key.replace(/["']/g, ''))) continue;
      used.add(key.replace(/["']/g, ''));
      const value = depth < 2 && g.chance(0.25) ? genFlow(g, depth + 1) : genScalar(g, true);
      // `"d":x` is a pair, `d:x` a plain scalar (a key without value, which we leave to the library).
      if (/^["']/.test(key) && g.chance(0.3)) key += ':';
      else key += sp() + ': ' + sp();
      items.push(key + value);
    }
    return '{' + sp() + items.join(sp() + ',' + (g.chance(0.8) ? ' ' : '') + sp()) + (items.length && g.chance(0.15) ? ',' : '') + sp() + '}';
  }
  for (let i = 0; i < n; i++) items.push(depth < 2 && g.chance(0.25) ? genFlow(g, depth + 1) : genScalar(g, true));
  return '[' + sp() + items.join(sp() + ',' + (g.chance(0.8) ? ' ' : '') + sp()) + (items.length && g.chance(0.15) ? ',' : '') + sp() + ']';
}

/** Blank and comment lines around a block at `indent`. */
function genTrivia(g: Gen, indent: number): string {
  let s = '';
  while (g.chance(0.25)) {
    if (g.chance(0.5)) s += ' '.repeat(g.chance(0.3) ? g.int(4) : 0) + '\n';
    else s += ' '.repeat(Math.max(0, indent + g.int(7) - 3)) + '#' + g.pick(['', ' c', ' key: v', ' - x', '#']) + '\n';
  }
  return s;
}

function eol(g: Gen): string {
  return (g.chance(0.15) ? ' '.repeat(1 + g.int(2)) : '') + (g.chance(0.15) ? ' # ' + g.pick(['c', 'x: y', '', '- z']) : '') + '\n';
}

function genInline(g: Gen): string {
  return g.chance(0.15) ? genFlow(g, 0) : genScalar(g, false);
}

function genKey(g: Gen, used: Set<string>): string | undefined {
  const k = g.int(10);
  const base = g.pick(WORDS);
  const key = k < 7 ? base : k < 8 ? JSON.stringify(base) : k < 9 ? `'${base}'` : g.pick(['1', '2.5', 'true', '~', '0x10', '-1', '.inf', 'null']);
  const js = key === '~' || key === 'null' ? '' : key === '0x10' ? '16' : key === '.inf' ? 'Infinity' : key.replace(/^["']|["']$/g, '');
  if (used.has(js)) return undefined;
  used.add(js);
  return key;
}

/** A block mapping whose keys are at column `col`; the first key is written at the current position. */
function genMap(g: Gen, col: number, depth: number): string {
  const used = new Set<string>();
  const n = 1 + g.int(4);
  let s = '';
  let first = true;
  for (let i = 0; i < n; i++) {
    const key = genKey(g, used);
    if (!key) continue;
    if (!first) s += genTrivia(g, col) + ' '.repeat(col);
    first = false;
    s += key + ':';
    const r = g.int(10);
    if (r < 5 || depth > 4) s += ' '.repeat(1 + (g.chance(0.2) ? g.int(3) : 0)) + genInline(g) + eol(g);
    else if (r < 6) s += eol(g); // empty value
    else if (r < 8) {
      const c = col + 1 + g.int(4);
      s += eol(g) + genTrivia(g, c) + ' '.repeat(c) + genMap(g, c, depth + 1);
    } else {
      const c = g.chance(0.4) ? col : col + 1 + g.int(3);
      s += eol(g) + genTrivia(g, c) + ' '.repeat(c) + genSeq(g, c, depth + 1);
    }
  }
  return s;
}

/** A block sequence whose dashes are at column `col`; the first dash is written at the current position. */
function genSeq(g: Gen, col: number, depth: number): string {
  const n = 1 + g.int(4);
  let s = '';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += genTrivia(g, col) + ' '.repeat(col);
    const sp = 1 + (g.chance(0.2) ? g.int(3) : 0);
    const r = g.int(10);
    if (r < 4 || depth > 4) s += '-' + ' '.repeat(sp) + genInline(g) + eol(g);
    else if (r < 5) s += '-' + (g.chance(0.5) ? ' '.repeat(sp) : '') + eol(g); // empty item
    else if (r < 7) s += '-' + ' '.repeat(sp) + genMap(g, col + 1 + sp, depth + 1); // compact mapping
    else if (r < 8) s += '-' + ' '.repeat(sp) + genSeq(g, col + 1 + sp, depth + 1); // `- - x`
    else {
      const c = col + 1 + g.int(4);
      s += '-' + eol(g) + genTrivia(g, c) + ' '.repeat(c) + (g.chance(0.6) ? genMap(g, c, depth + 1) : genSeq(g, c, depth + 1));
    }
  }
  return s;
}

function genDoc(g: Gen): string {
  let s = '';
  if (g.chance(0.2)) s += genTrivia(g, 0) + '---' + (g.chance(0.3) ? ' # doc' : '') + '\n';
  s += genTrivia(g, 0);
  s += g.chance(0.8) ? genMap(g, 0, 0) : genSeq(g, 0, 0);
  s += genTrivia(g, 0);
  if (g.chance(0.2)) s = s.replace(/\n$/, '');
  if (g.chance(0.15)) s = s.replace(/\n/g, () => (g.chance(0.9) ? '\r\n' : '\n')); // CRLF, sometimes mixed
  return s;
}

const MUTATION_CHARS = ':-#[]{},\'"&*!|> \t\n\r';

function mutate(g: Gen, text: string): string {
  let s = text;
  const count = 1 + g.int(3);
  for (let m = 0; m < count; m++) {
    const at = g.int(s.length + 1);
    switch (g.int(6)) {
      case 0:
      case 1:
        s = s.slice(0, at) + g.pick([...MUTATION_CHARS]) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + g.int(3));
        break;
      case 3: {
        // change the indentation of a line
        const ls = s.lastIndexOf('\n', at - 1) + 1;
        s = g.chance(0.5) ? s.slice(0, ls) + ' '.repeat(1 + g.int(2)) + s.slice(ls) : s[ls] === ' ' ? s.slice(0, ls) + s.slice(ls + 1) : s;
        break;
      }
      case 4: {
        // duplicate a line
        const ls = s.lastIndexOf('\n', at - 1) + 1;
        let le = s.indexOf('\n', at);
        if (le < 0) le = s.length;
        s = s.slice(0, le) + '\n' + s.slice(ls, le) + s.slice(le);
        break;
      }
      default: {
        // replace a character with a space
        if (at < s.length && s[at] !== '\n') s = s.slice(0, at) + ' ' + s.slice(at + 1);
      }
    }
  }
  return s;
}

const BASE_SEED = Number(process.env.YAML_FAST_SEED ?? 20240611);

test('random documents in the subset are accepted and agree with the library (2,000 documents)', () => {
  let lines = 0;
  for (let i = 0; i < 2000; i++) {
    const seed = BASE_SEED + i;
    const text = genDoc(new Gen(rng(seed)));
    lines += text.split('\n').length;
    const ctx = `seed ${seed} (YAML_FAST_SEED=${BASE_SEED}, document ${i}): `;
    const lib = libParse(text);
    assert.ok(lib.docs.length === 1 && lib.docs[0].errors.length === 0, `${ctx}generator produced an invalid document ${JSON.stringify(text)}: ${lib.docs[0]?.errors.map((e) => e.message).join('; ')}`);
    assertAccepted(text, ctx);
  }
  assert.ok(lines > 20_000);
});

test('mutated documents: whenever the fast path accepts one, the library finds no error and agrees (8,000 mutants)', () => {
  let accepted = 0;
  for (let i = 0; i < 8000; i++) {
    const seed = BASE_SEED + 1_000_000 + i;
    const g = new Gen(rng(seed));
    const text = mutate(g, genDoc(g));
    if (assertAgrees(text, `seed ${seed} (YAML_FAST_SEED=${BASE_SEED}, mutant ${i}): `)) accepted++;
  }
  // Many mutants stay valid; make sure both paths are exercised.
  assert.ok(accepted > 1000 && accepted < 7500, `${accepted} mutants accepted`);
});

// ---- incremental reparse (core/src/yaml/incremental.ts) ---------------------------------------------

/** Differences between a patched parse and a full parse of the same text (empty = the same). */
function parsedDifferences(got: ParsedText, want: ParsedText): string[] {
  const out: string[] = [];
  if (got.text !== want.text) out.push('text');
  if (got.problems.length !== want.problems.length) out.push(`${got.problems.length} problems ≠ ${want.problems.length}`);
  if (got.docs.length !== want.docs.length) return [...out, `${got.docs.length} docs ≠ ${want.docs.length}`];
  if (!isDeepStrictEqual(got.lines.lineStarts, want.lines.lineStarts)) out.push('lineStarts');
  for (let i = 0; i < got.docs.length; i++) {
    const [a, b] = [got.docs[i], want.docs[i]];
    if (!isDeepStrictEqual(a.value, b.value)) out.push(`value ${JSON.stringify(a.value)} ≠ ${JSON.stringify(b.value)}`);
    if (!isDeepStrictEqual(a.doc.range, b.doc.range)) out.push(`doc.range ${JSON.stringify(a.doc.range)} ≠ ${JSON.stringify(b.doc.range)}`);
    walk(a.doc.contents, b.doc.contents, '$', out);
  }
  return out;
}

/** A one-line edit inside a random line: retype part of a value, or type anything. */
function lineEdit(g: Gen, text: string): string | undefined {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const ls = g.pick(starts);
  let le = text.indexOf('\n', ls);
  if (le < 0) le = text.length;
  if (le === ls) return undefined;
  const from = ls + g.int(le - ls + 1);
  const to = Math.min(le, from + g.int(4));
  const alphabet = g.chance(0.7) ? '0123456789.eabxyz_-' : 'ab9 :#{}[],\'"-&*!|>~\t';
  let ins = '';
  for (let n = g.int(4); n > 0; n--) ins += alphabet[g.int(alphabet.length)];
  return text.slice(0, from) + ins + text.slice(to);
}

test('incremental reparse after a one-line edit equals a full parse, or declines (6,000 edits, documents validated in between)', () => {
  let patched = 0;
  let edits = 0;
  for (let i = 0; i < 3000; i++) {
    const seed = BASE_SEED + 2_000_000 + i;
    const g = new Gen(rng(seed));
    let text = i % 3 === 0 ? runList(20 + g.int(40)) : genDoc(g);
    let prev = parseYaml(text);
    for (let k = 0; k < 2; k++) {
      // The server validates each version before the next edit patches its parse: nothing the
      // validation does to the parse may leak into the patched one.
      if (i % 4 === 0) validateText(path.join(ROOT, 'test/.tmp/incremental.sweep.yaml'), text, diskHost, undefined, prev);
      const next = lineEdit(g, text);
      if (next === undefined || next === text) continue;
      edits++;
      const got = reparseYaml(prev, next);
      if (got === prev) { // patched; otherwise it is a full parse
        patched++;
        const diff = parsedDifferences(got, parseYaml(next));
        assert.deepEqual(diff, [], `seed ${seed} edit ${k}: ${JSON.stringify(text)} → ${JSON.stringify(next)}`);
      }
      text = next;
      prev = got;
    }
  }
  // Both outcomes are exercised: many edits are value retypes the patch takes, many are not.
  assert.ok(patched > edits * 0.1 && patched < edits * 0.9, `${patched} of ${edits} edits patched`);
  console.log(`incremental reparse: ${patched} of ${edits} edits patched`);
});

test('incremental reparse takes the bench edit (a value on line 40,000 of a run list) and keeps ranges right after it', () => {
  const text = runList(10_000);
  const prev = parseYaml(text);
  const at = text.indexOf('batch_size: ', Math.floor(text.length * 0.6)) + 'batch_size: '.length;
  const end = text.indexOf('\n', at);
  const next = `${text.slice(0, at)}1024${text.slice(end)}`;
  const got = reparseYaml(prev, next);
  assert.equal(got, prev, 'patched in place');
  assert.deepEqual(parsedDifferences(got, parseYaml(next)), []);
  // Edits the patch must decline: a line break, a key, a comment after the value, an emptied value.
  for (const t of [`${next.slice(0, at)}1\n${next.slice(at)}`, next.replace('batch_size: 1024', 'batch_sizes: 1024'), next.replace('1024', '1024 # c'), next.replace(': 1024', ':')]) {
    const base = parseYaml(next);
    assert.notEqual(reparseYaml(base, t), base);
  }
});
