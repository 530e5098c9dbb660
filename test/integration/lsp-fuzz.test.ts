// Robustness of expctl's language server (the bundle, dist/server.js — run `node esbuild.mjs` first).
//
// The issue: "The server never crashes and answers within bounded time on any input: a fuzz test
// feeds thousands of mutated documents, alias bombs, 10 MB files and 10,000-deep nesting; memory
// stays bounded; a failure in one document never affects another."
//
// One server for the whole file, as in an editor session. A small, valid "canary" sweep with one
// planted error stays open throughout; after every pathological input its diagnostics must be
// exactly what they were at the start (message and range), within a time bound.
//
// Reproduce a run: FUZZ_SEED=<seed printed on failure> (and FUZZ_DOCS=<n>, default 2400).
// Failing documents are written to test/.tmp/lsp-fuzz/<seed>/.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Diagnostic, Position, PublishDiagnosticsParams } from 'vscode-languageserver';
import { fileUri, messageOf, startServer, withTimeout, type LspClient } from '../helpers/lsp-client';
import { mulberry32 } from '../../core/src/sweep/prng';
import type { Rng } from '../../core/src/sweep/prng';

const ROOT = resolve(__dirname, '..', '..');
const SERVER = join(ROOT, 'dist', 'server.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'fuzz');

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const DOCS = Number(process.env.FUZZ_DOCS ?? 2400);
/** A live server answers a small request in far less; this only separates "slow" from "stuck". */
const ALIVE_MS = 5_000;
/** Bound for the canary's correct diagnostics after one pathological document. */
const PATHOLOGICAL_MS = 10_000;
/** RSS guard: the server idles at ~100 MB; a leak or an expanded alias bomb blows far past this. */
const RSS_LIMIT = 1.5 * 2 ** 30;
const PEAK_RSS_LIMIT = 3 * 2 ** 30;

// ---------------------------------------------------------------------------------------------
// A tiny seeded PRNG (mulberry32) and the mutators.

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

const UNICODE = [
  'é', 'ß', '漢字', '🚀', '👩‍👩‍👧', '\u0301', '\u200d', '\u200b', '\u202e', '\ufeff', '\u0000', '\u0085', '\u2028',
  '\u2029', '\ud800', '\udfff', '\r', '\r\n', '\u000b', '\u001b[31m', 'Ω', '\uffff', '\ufffd',
];
const YAML_TOKENS = [
  '&x ', '*x', '*undefined_anchor', '!!str ', '!!binary ', '!<tag:yaml.org,2002:map> ', '!custom ', '{', '}', '[', ']', ': ', '- ',
  '? ', '|', '>-', '|+2', '"', "'", '# ', '\n---\n', '\n...\n', '%YAML 1.2\n---\n', '%TAG ! tag:x,2000:\n', '<<: *x\n', ',', '@', '`',
  '"\\u', '"\\x', '\\', '~', 'null', '.inf', '-.nan', '0x7FFFFFFFFFFFFFFFF', '1e999', '-0', '0o777', '1_000', '2h30x', '99999999999999999999',
];

type Mutator = (s: string, r: Rng, others: string[]) => string;
const lines = (s: string): string[] => s.split('\n');

const MUTATORS: Record<string, Mutator> = {
  byteFlip(s, r) {
    const b = Buffer.from(s, 'utf8');
    if (b.length === 0) return s;
    for (let k = 1 + int(r, 3); k > 0; k--) b[int(r, b.length)] ^= 1 << int(r, 8);
    return b.toString('utf8');
  },
  lineDelete(s, r) {
    const l = lines(s);
    for (let k = 1 + int(r, 3); k > 0 && l.length > 0; k--) l.splice(int(r, l.length), 1 + int(r, 2));
    return l.join('\n');
  },
  lineDuplicate(s, r) {
    const l = lines(s);
    const i = int(r, l.length);
    l.splice(i, 0, ...Array(1 + int(r, 3)).fill(l[i]));
    return l.join('\n');
  },
  indentShift(s, r) {
    const l = lines(s);
    for (let k = 1 + int(r, 3); k > 0; k--) {
      const i = int(r, l.length);
      l[i] = r() < 0.5 ? ' '.repeat(1 + int(r, 4)) + l[i] : l[i].replace(/^ {1,4}/, '');
    }
    return l.join('\n');
  },
  unicode(s, r) {
    const at = int(r, s.length + 1);
    const cp = r() < 0.3 ? String.fromCodePoint(int(r, 0x110000)) /* any code point, lone surrogates too */ : pick(r, UNICODE);
    return s.slice(0, at) + cp + s.slice(at);
  },
  truncate(s, r) {
    return s.slice(0, int(r, s.length + 1));
  },
  tab(s, r) {
    const l = lines(s);
    const i = int(r, l.length);
    l[i] = r() < 0.6 ? '\t' + l[i] : l[i].replace(/ /, '\t');
    return l.join('\n');
  },
  yamlToken(s, r) {
    const at = int(r, s.length + 1);
    return s.slice(0, at) + pick(r, YAML_TOKENS) + s.slice(at);
  },
  swapLines(s, r) {
    const l = lines(s);
    const i = int(r, l.length);
    const j = int(r, l.length);
    [l[i], l[j]] = [l[j], l[i]];
    return l.join('\n');
  },
  splice(s, r, others) {
    // A line from another kind of file: keys that belong elsewhere.
    const l = lines(s);
    const from = lines(pick(r, others));
    l.splice(int(r, l.length + 1), 0, pick(r, from));
    return l.join('\n');
  },
  numbers(s, r) {
    return s.replace(/\b\d+(\.\d+)?\b/, () => pick(r, ['-1', '0', '1e999', '-0', '.nan', '0x1F', '1.5', '2147483648', '99999999999999999999', '"3"', '[]', '{}', 'null']));
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

/** 1–4 mutations of `base`; returns the text and the names applied (for the failure message). */
function mutate(base: string, r: Rng, others: string[]): { text: string; ops: string[] } {
  let text = base;
  const ops: string[] = [];
  for (let k = 1 + int(r, 4); k > 0; k--) {
    const name = pick(r, MUTATOR_NAMES);
    text = MUTATORS[name](text, r, others);
    ops.push(name);
  }
  return { text, ops };
}

// ---------------------------------------------------------------------------------------------
// Pathological documents.

function aliasBomb(levels = 9, width = 9): string {
  // billion laughs: 9 levels of 9 aliases each expand to 9^9 ≈ 387M strings.
  const out = ['name: laughs', 'command: [python, train.py]', 'params:', `  l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++) out.push(`  l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  out.push(`  boom: *l${levels - 1}`);
  return out.join('\n') + '\n';
}

function aliasBombSweep(levels = 9): string {
  const out = ['experiment: ./train.experiment.yaml', 'method: grid', 'x-anchors:', '  - &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]'];
  for (let i = 1; i < levels; i++) out.push(`  - &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  out.push('parameters:', `  params.batch_size: { values: *a${levels - 1} }`, `  params.lr: { values: [*a${levels - 1}, *a${levels - 1}] }`);
  return out.join('\n') + '\n';
}

/** A realistic list sweep of about `bytes` bytes. */
function bigSweep(bytes: number): string {
  const head = 'experiment: ./train.experiment.yaml\nmethod: list\nmax_parallel: 4\ntrials:\n';
  const parts = [head];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const t = `  - params.learning_rate: ${(i % 97) / 1000 + 0.0001}\n    params.batch_size: ${32 << i % 4}\n    params.optimizer: ${['adam', 'sgd'][i % 2]}\n    params.data_format: avro\n`;
    parts.push(t);
    size += t.length;
  }
  return parts.join('');
}

const deepFlowSeq = (n: number): string => `name: deep\ncommand: [python, train.py]\nparams: { x: ${'['.repeat(n)}1${']'.repeat(n)} }\n`;
const deepFlowMap = (n: number): string => `name: deep\ncommand: [python, train.py]\nparams: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`;
const deepBlockSeq = (n: number): string => `name: deep\ncommand: [python, train.py]\nparams:\n  x:\n    ${'- '.repeat(n)}1\n`;
function deepBlockMap(n: number): string {
  const out = ['name: deep', 'command: [python, train.py]', 'params:'];
  for (let i = 0; i < n; i++) out.push(`${' '.repeat(i + 1)}k${i}:`);
  out.push(`${' '.repeat(n + 1)}leaf`);
  return out.join('\n') + '\n';
}
function manyKeys(n: number, where: 'env' | 'top'): string {
  const out = where === 'env' ? ['name: many', 'command: [python, train.py]', 'env:'] : ['name: many', 'command: [python, train.py]'];
  const indent = where === 'env' ? '  ' : '';
  for (let i = 0; i < n; i++) out.push(`${indent}K${i.toString(36).toUpperCase()}_${i}: "${i}"`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

const CANARY = [
  '# A sweep with one planted error (max_parallel: 0 on line 5); nothing else may change its diagnostics.',
  'experiment: ./train.experiment.yaml',
  'method: grid',
  'parameters:',
  '  params.batch_size: { values: [64, 128] }',
  'max_parallel: 0',
  'metric: { name: val_loss, goal: minimize }',
].join('\n') + '\n';
const CANARY_ERROR_RANGE = { start: { line: 5, character: 14 }, end: { line: 5, character: 15 } };

interface Finding { kind: string; uri: string; detail: string; text?: string }

function rangeOk(d: Diagnostic, text: string): boolean {
  const last = lines(text).length - 1;
  const { start, end } = d.range;
  const inDoc = (p: Position) => Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0 && p.line <= last;
  return inDoc(start) && inDoc(end) && (start.line < end.line || (start.line === end.line && start.character <= end.character));
}

// Run on its own, the test builds the bundle it needs rather than skip (npm test builds it first).
if (!existsSync(SERVER)) execFileSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });

describe(`expctl language server robustness (seed ${SEED})`, () => {
  let dir: string;
  let server: LspClient;
  const canaryUri = (): string => fileUri(join(dir, 'canary.sweep.yaml'));
  let canaryVersion = 1;
  let canaryBaseline: Diagnostic[] = [];
  const findings: Finding[] = [];
  /** Why the server had to be replaced after a test (each is also that test's failure). */
  const restarts: string[] = [];
  let peakRss = 0;
  let shutDown = false;
  const failDir = join(ROOT, 'test', '.tmp', 'lsp-fuzz', String(SEED));

  function saveFailure(name: string, text: string): string {
    mkdirSync(failDir, { recursive: true });
    const p = join(failDir, name.replace(/[^\w.-]+/g, '_'));
    writeFileSync(p, text);
    return p;
  }

  /**
   * Edit the canary (a comment at the end; the error stays put) and expect its baseline diagnostics,
   * pushed and then pulled, both within `timeoutMs` of the edit. Returns the push latency.
   */
  async function checkCanary(context: string, timeoutMs = ALIVE_MS): Promise<number> {
    const v = ++canaryVersion;
    const t0 = performance.now();
    const published = server.waitForDiagnostics(canaryUri(), { version: v, timeoutMs });
    await server.change(canaryUri(), `${CANARY}# edit ${v}\n`, v);
    try {
      const got = await published;
      const ms = performance.now() - t0;
      assert.deepEqual(got.diagnostics, canaryBaseline, `[seed ${SEED}] canary diagnostics changed after ${context}`);
      const pulled = await server.pullDiagnostics(canaryUri(), Math.max(1, timeoutMs - (performance.now() - t0)));
      assert.deepEqual(pulled.kind === 'full' ? pulled.items : pulled, canaryBaseline, `[seed ${SEED}] pulled canary diagnostics after ${context}`);
      return ms;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      throw new Error(`[seed ${SEED}] canary (push, then pull, within ${timeoutMs} ms) after ${context}: ${(e as Error).message}`);
    }
  }

  async function assertAlive(context: string, uri = canaryUri()): Promise<void> {
    assert.ok(server.alive, `[seed ${SEED}] server died (${JSON.stringify(server.exitInfo)}) after ${context}${server.stderrTail()}`);
    try {
      await server.hover(uri, { line: 1, character: 2 }, ALIVE_MS);
    } catch (e) {
      throw new Error(`[seed ${SEED}] server not answering after ${context}: ${(e as Error).message}`);
    }
  }

  function checkPublished(p: PublishDiagnosticsParams, text: string, what: string): void {
    for (const d of p.diagnostics) {
      if (d.code === 'internal' || /could not check this file/.test(messageOf(d))) {
        findings.push({ kind: 'internal-error', uri: p.uri, detail: `${what}: ${messageOf(d)}`, text });
      }
      if (!rangeOk(d, text)) findings.push({ kind: 'range-outside-document', uri: p.uri, detail: `${what}: ${JSON.stringify(d.range)} ${messageOf(d)}`, text });
    }
  }

  /** Start a server and open the canary; the first boot records the baseline, later boots must match it. */
  async function boot(): Promise<void> {
    server = startServer(process.execPath, [SERVER, '--stdio'], {
      rootUri: fileUri(dir),
      cwd: dir,
      settings: { expctl: { validation: { debounceMs: 0, maxTrials: 10_000, checkFiles: true } } },
      initializationOptions: { diagnostics: 'both' },
      timeoutMs: ALIVE_MS,
    });
    await server.initialize();
    canaryVersion = 1;
    const first = server.waitForDiagnostics(canaryUri(), { version: 1 });
    await server.open(canaryUri(), CANARY);
    const diagnostics = (await first).diagnostics;
    if (restarts.length > 0) {
      assert.deepEqual(diagnostics, canaryBaseline);
      return;
    }
    canaryBaseline = diagnostics;
    // The planted error, exactly: one diagnostic, on the value 0 of max_parallel.
    assert.equal(canaryBaseline.length, 1, JSON.stringify(canaryBaseline));
    assert.deepEqual(canaryBaseline[0].range, CANARY_ERROR_RANGE);
    assert.match(messageOf(canaryBaseline[0]), /max_parallel/);
    assert.equal(canaryBaseline[0].severity, 1);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'expctl-lsp-fuzz-'));
    // root: the canary and its experiment; fuzz/: the mutated documents, with their own targets.yaml,
    // so a broken targets.yaml there is not the canary's (legitimate) dependency.
    mkdirSync(join(dir, 'fuzz'));
    for (const d of [dir, join(dir, 'fuzz')]) {
      copyFileSync(join(FIXTURES, 'train.experiment.yaml'), join(d, 'train.experiment.yaml'));
      writeFileSync(join(d, 'train.py'), 'print("@expctl {\\"step\\": 1, \\"val_loss\\": 0.5}")\n');
    }
    await boot();
  });

  // A test that left the server dead or stuck must not fail every test after it: note it, replace
  // the server (the failing test has already reported why), carry on.
  afterEach(async () => {
    if (shutDown) return;
    if (server.alive) peakRss = Math.max(peakRss, server.memory().peakRssBytes);
    let ok = server.alive;
    if (ok) ok = await server.hover(canaryUri(), { line: 1, character: 2 }, 2_000).then(() => true, () => false);
    if (ok) return;
    restarts.push(server.exitInfo ? `exited ${JSON.stringify(server.exitInfo)}` : 'unresponsive');
    server.kill();
    await server.exited;
    await boot();
  });

  after(async () => {
    if (server) {
      if (process.env.LSP_FUZZ_VERBOSE) process.stderr.write(server.stderr);
      await server.shutdown();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${DOCS} seeded mutations of experiment, sweep and targets documents`, async (t) => {
    const r = mulberry32(SEED);
    const seeds: Record<string, string> = {
      'train.experiment.yaml': readFileSync(join(FIXTURES, 'train.experiment.yaml'), 'utf8'),
      'grid.sweep.yaml': readFileSync(join(FIXTURES, 'grid.sweep.yaml'), 'utf8'),
      'list.sweep.yaml': readFileSync(join(FIXTURES, 'list.sweep.yaml'), 'utf8'),
      'targets.yaml': readFileSync(join(FIXTURES, 'targets.yaml'), 'utf8'),
    };
    const names = Object.keys(seeds);
    const others = Object.values(seeds);
    const state = new Map<string, { uri: string; text: string; version: number; ops: string[] }>();
    for (const name of names) {
      const uri = fileUri(join(dir, 'fuzz', name));
      state.set(name, { uri, text: seeds[name], version: 1, ops: [] });
      const published = server.waitForDiagnostics(uri, { version: 1 });
      await server.open(uri, seeds[name]);
      checkPublished(await published, seeds[name], `seed ${name}`);
    }
    const t0 = performance.now();
    const rss: number[] = [];
    let sent = 0;
    let requests = 0;
    while (sent < DOCS) {
      // A burst of 1–10 changes, then the latest version of every touched document must be published.
      const touched = new Set<string>();
      const burstStart = sent;
      for (let k = 1 + int(r, 10); k > 0 && sent < DOCS; k--, sent++) {
        const name = pick(r, names);
        const s = state.get(name)!;
        const roll = r();
        const base = roll < 0.65 || s.text.length > 64_000 ? seeds[name] : s.text; // sometimes keep drifting
        const m = roll > 0.98 ? { text: '', ops: ['empty'] } : mutate(base, r, others);
        s.text = m.text;
        s.ops = m.ops;
        s.version++;
        touched.add(name);
        await server.change(s.uri, s.text, s.version);
      }
      for (const name of touched) {
        const s = state.get(name)!;
        let p: PublishDiagnosticsParams;
        try {
          p = await server.waitForDiagnostics(s.uri, { version: s.version, timeoutMs: ALIVE_MS });
        } catch (e) {
          const saved = saveFailure(`doc-${sent}-${name}`, s.text);
          throw new Error(`[seed ${SEED}] document #${sent} (${name}, ops ${s.ops.join('+')}, saved to ${saved}): ${(e as Error).message}`);
        }
        checkPublished(p, s.text, `document #${sent} ${name} (${s.ops.join('+')})`);
      }
      // A random request on a random (probably broken) document, at a random (maybe invalid) position.
      const s = state.get(pick(r, names))!;
      const l = lines(s.text);
      const line = int(r, l.length + 2);
      const pos = { line, character: int(r, (l[line]?.length ?? 5) + 3) };
      const method = pick(r, ['completion', 'hover', 'symbols', 'codeActions', 'fileInfo', 'pull'] as const);
      try {
        const call = {
          completion: () => server.completion(s.uri, pos),
          hover: () => server.hover(s.uri, pos),
          symbols: () => server.symbols(s.uri),
          codeActions: () => server.codeActions(s.uri, { start: pos, end: pos }, server.latestDiagnostics(s.uri)?.diagnostics ?? []),
          fileInfo: () => server.request('expctl/fileInfo', { uri: s.uri }),
          pull: () => server.pullDiagnostics(s.uri),
        }[method];
        await call();
        requests++;
      } catch (e) {
        const saved = saveFailure(`request-${sent}-${method}`, s.text);
        throw new Error(`[seed ${SEED}] ${method} at ${JSON.stringify(pos)} after document #${sent} (saved to ${saved}): ${(e as Error).message}`);
      }
      if (Math.floor(sent / 100) !== Math.floor(burstStart / 100) || sent >= DOCS) {
        await assertAlive(`document #${sent}`);
        await server.completion(canaryUri(), { line: 6, character: 0 }, ALIVE_MS);
        rss.push(server.memory().rssBytes);
      }
    }
    await checkCanary(`${DOCS} mutated documents`);
    t.diagnostic(`seed ${SEED}: ${sent} documents, ${requests} random requests in ${Math.round(performance.now() - t0)} ms; ` +
      `RSS ${Math.round(rss[0] / 2 ** 20)} → ${Math.round(rss[rss.length - 1] / 2 ** 20)} MB`);
    for (const name of names) await server.close(state.get(name)!.uri);
  });

  const pathological: Array<[string, string, () => string]> = [
    ['alias bomb (9 levels × 9) in an experiment', 'bomb.experiment.yaml', () => aliasBomb()],
    ['alias bomb (9 levels × 9) in a sweep', 'bomb.sweep.yaml', () => aliasBombSweep()],
    ['10 MB sweep', 'ten-mb.sweep.yaml', () => bigSweep(10 * 2 ** 20)],
    ['7.5 MB sweep (parsed, under the server size cap)', 'big.sweep.yaml', () => bigSweep(7.5 * 2 ** 20)],
    ['10,000-deep flow sequences [[[…]]]', 'deep-seq.experiment.yaml', () => deepFlowSeq(10_000)],
    ['10,000-deep flow mappings {a: {a: …}}', 'deep-map.experiment.yaml', () => deepFlowMap(10_000)],
    ['10,000-deep block sequences - - - …', 'deep-block-seq.experiment.yaml', () => deepBlockSeq(10_000)],
    ['3,000-deep block mappings (4.5 MB of indentation)', 'deep-block-map.experiment.yaml', () => deepBlockMap(3_000)],
    ['100,000 keys in env', 'many-env.experiment.yaml', () => manyKeys(100_000, 'env')],
    ['100,000 unknown top-level keys', 'many-top.experiment.yaml', () => manyKeys(100_000, 'top')],
    ['10,000-deep flow sequences in targets.yaml', 'deep/targets.yaml', () => `targets: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`],
    ['a 7 MB single-line scalar', 'long-line.experiment.yaml', () => `name: "${'a'.repeat(7_000_000)}"\ncommand: [python, train.py]\n`],
    // Domain bombs: sizes that must be computed, never enumerated.
    ['a grid of 10^20 trials', 'huge-grid.sweep.yaml', () => `experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n${
      Array.from({ length: 20 }, (_, i) => `  params.p${i}: { values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }`).join('\n')}\n`],
    ['a range of ~10^21 values', 'huge-range.sweep.yaml', () =>
      'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { range: { min: 0, max: 1000000000000, step: 0.000000001 } }\n'],
    ['random sweep with 2^53 samples and q: 5e-324', 'huge-random.sweep.yaml', () =>
      'experiment: ./train.experiment.yaml\nmethod: random\nsamples: 9007199254740993\nparameters:\n  params.lr: { distribution: normal, mu: 0, sigma: 1e308, q: 5e-324 }\n'],
    ['an experiment with 10,000 extends entries', 'many-extends.experiment.yaml', () =>
      `name: x\nextends: [${Array(10_000).fill('./train.experiment.yaml').join(', ')}]\ncommand: [python, train.py]\n`],
  ];

  for (const [title, file, make] of pathological) {
    it(`answers for another document within ${PATHOLOGICAL_MS / 1000} s after: ${title}`, async (t) => {
      const text = make();
      const uri = fileUri(join(dir, file));
      mkdirSync(join(dir, file, '..'), { recursive: true });
      const own = server.waitForDiagnostics(uri, { version: 1, timeoutMs: PATHOLOGICAL_MS });
      own.catch(() => undefined); // awaited below, unless the canary check fails first
      const t0 = performance.now();
      await server.open(uri, text);
      // Sent right behind the bomb: the canary's correct diagnostics must come within the bound.
      const canaryMs = await checkCanary(title, PATHOLOGICAL_MS);
      let ownMs: number;
      try {
        const p = await own;
        ownMs = performance.now() - t0;
        checkPublished(p, text, title);
        t.diagnostic(`${(text.length / 2 ** 20).toFixed(2)} MB: canary ${Math.round(canaryMs)} ms, own diagnostics ${Math.round(ownMs)} ms ` +
          `(${p.diagnostics.length}: ${p.diagnostics.slice(0, 2).map((d) => `${d.code} ${messageOf(d).slice(0, 80)}`).join(' | ')}); ` +
          `peak RSS ${Math.round(server.memory().peakRssBytes / 2 ** 20)} MB`);
      } catch (e) {
        throw new Error(`[seed ${SEED}] ${title}: ${(e as Error).message}`);
      }
      // Requests on the pathological document itself answer too.
      await withTimeout(Promise.all([
        server.symbols(uri, PATHOLOGICAL_MS),
        server.hover(uri, { line: 2, character: 3 }, PATHOLOGICAL_MS),
        server.completion(uri, { line: 3, character: 4 }, PATHOLOGICAL_MS),
      ]), PATHOLOGICAL_MS, () => `requests on ${file}`);
      await server.close(uri);
      await assertAlive(title);
      assert.ok(ownMs < PATHOLOGICAL_MS, `${title}: own diagnostics took ${Math.round(ownMs)} ms (bound ${PATHOLOGICAL_MS} ms)`);
    });
  }

  it('keeps a normal document exactly right while a poisoned one churns next to it', async () => {
    const r = mulberry32(SEED ^ 0x9e3779b9);
    const uri = fileUri(join(dir, 'poison.experiment.yaml'));
    const experiment = readFileSync(join(FIXTURES, 'train.experiment.yaml'), 'utf8');
    const poisons = [
      () => aliasBomb(6, 9),
      () => deepFlowSeq(5_000),
      () => deepFlowMap(3_000),
      () => '\u0000\u0001\ufffd\ud800'.repeat(1000),
      () => ':\n'.repeat(2000),
      () => '&a [*a]\n',
      () => 'a: &a\n  b: *a\n',
      () => '<<: *nope\n<<: [*x, *y]\n',
      () => `name: ${'"'.repeat(3000)}\n`,
      () => '- '.repeat(8_000) + '\n',
      () => mutate(experiment, r, [experiment]).text,
      () => '%YAML 9.9\n%TAG ! !\n--- !!map\n? [a, {b: c}]\n: *d\n...\n---\n' + '\t'.repeat(100),
    ];
    let version = 1;
    await server.open(uri, 'name: poison\ncommand: [python, train.py]\n');
    for (let i = 0; i < 240; i++) {
      version++;
      await server.change(uri, pick(r, poisons)(), version);
      if (i % 40 === 39) await checkCanary(`poisoned document version ${version}`, PATHOLOGICAL_MS);
    }
    const last = await server.waitForDiagnostics(uri, { version, timeoutMs: PATHOLOGICAL_MS });
    assert.equal(last.uri, uri);
    await checkCanary('the poisoned document settled', PATHOLOGICAL_MS);
    // And the canary's own answers are still about the canary.
    const hover = await server.hover(canaryUri(), { line: 5, character: 3 });
    assert.match(JSON.stringify(hover?.contents ?? ''), /max_parallel/);
    await server.close(uri);
  });

  it(`keeps memory bounded (RSS < ${RSS_LIMIT / 2 ** 30} GB after the run, peak < ${PEAK_RSS_LIMIT / 2 ** 30} GB)`, async (t) => {
    await assertAlive('the whole run');
    const m = server.memory();
    const peak = Math.max(peakRss, m.peakRssBytes);
    t.diagnostic(`RSS ${Math.round(m.rssBytes / 2 ** 20)} MB, peak ${Math.round(peak / 2 ** 20)} MB` +
      (restarts.length ? `; the server was replaced ${restarts.length}× (${restarts.join(', ')}): RSS is of the last one` : ''));
    assert.ok(m.rssBytes < RSS_LIMIT, `RSS ${Math.round(m.rssBytes / 2 ** 20)} MB`);
    assert.ok(peak < PEAK_RSS_LIMIT, `peak RSS ${Math.round(peak / 2 ** 20)} MB`);
  });

  it('never hit an internal error or reported a range outside its document', (t) => {
    const byKind = new Map<string, Finding[]>();
    for (const f of findings) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
    const lines: string[] = [];
    for (const [kind, list] of byKind) {
      // The shortest offending document is the best repro.
      const shortest = [...list].sort((a, b) => (a.text?.length ?? 0) - (b.text?.length ?? 0))[0];
      const saved = shortest.text !== undefined ? saveFailure(`${kind}.yaml`, shortest.text) : '';
      lines.push(`${kind}: ${list.length}× — e.g. ${shortest.detail.slice(0, 300)} (shortest input saved to ${saved})`);
    }
    const logged = server.notifications.filter((n) => n.method === 'window/logMessage' && (n.params as { type: number }).type === 1);
    for (const n of logged.slice(0, 3)) lines.push(`logged error: ${(n.params as { message: string }).message.slice(0, 400)}`);
    for (const l of lines) t.diagnostic(l);
    assert.deepEqual(lines, [], `[seed ${SEED}]\n${lines.join('\n')}`);
  });

  it('shuts down cleanly without uncaught exceptions', async () => {
    shutDown = true;
    const exit = await server.shutdown();
    assert.equal(exit.code, 0, server.stderrTail());
    assert.doesNotMatch(server.stderr, /expctl-language-server: .*Error/, server.stderrTail());
  });
});
