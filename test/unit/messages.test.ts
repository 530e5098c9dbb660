// Messages stay readable: a user's value quoted into a diagnostic is shortened (issue 15 item 4),
// and a value that reaches a message unquoted cannot make it megabytes long either.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { QUOTE_MAX, levenshtein, quote, readable, shorten } from '../../core/src/util/strings';
import { validateText } from '../../core/src/validate';
import { memHost } from '../helpers/memfs';

const BIG = 'a'.repeat(4 * 1024 * 1024);

test('quote: short strings are JSON-quoted as before', () => {
  assert.equal(quote('grid'), '"grid"');
  assert.equal(quote('say "hi"\n'), '"say \\"hi\\"\\n"');
  assert.equal(quote(''), '""');
  const edge = 'x'.repeat(QUOTE_MAX);
  assert.equal(quote(edge), JSON.stringify(edge));
});

test('quote: a 4 MB value gives its start, an ellipsis and its full length', () => {
  const s = quote(BIG);
  assert.equal(s, `"${'a'.repeat(QUOTE_MAX - 1)}…" (4,194,304 characters)`);
  assert.ok(s.length < 120, s);
});

test('quote: escapes count toward the cap, and a surrogate pair is never split', () => {
  const nl = quote('\n'.repeat(1000));
  assert.ok(nl.length < 120, nl);
  assert.match(nl, /^"(\\n)+…" \(1,000 characters\)$/);
  const emoji = quote('😀'.repeat(100)); // 200 UTF-16 units
  assert.match(emoji, /^"(😀)+…" \(200 characters\)$/);
  assert.equal(quote('\n'.repeat(50)).endsWith('(50 characters)'), true, 'short but escaped past the cap: shortened too');
});

test('shorten: unquoted text past the cap, and a surrogate pair is kept whole', () => {
  assert.equal(shorten('params.lr'), 'params.lr');
  assert.equal(shorten(BIG), `${'a'.repeat(QUOTE_MAX - 1)}… (4,194,304 characters)`);
  const s = shorten(`${'b'.repeat(QUOTE_MAX - 2)}😀tail`);
  assert.equal(s, `${'b'.repeat(QUOTE_MAX - 2)}… (${QUOTE_MAX + 4} characters)`);
});

test('readable: sane messages pass unchanged; huge runs and huge messages are cut with the length said', () => {
  const msg = 'Script "/home/me/project/with a fairly long/path/train.py" not found (looked in /home/me/project); fix the path';
  assert.equal(readable(msg), msg);
  const path = `/${'d'.repeat(150)}/train.py`; // a long but real path stays whole
  assert.equal(readable(`Script not found (looked for ${path})`), `Script not found (looked for ${path})`);
  const token = readable(`unknown key env.${BIG} in env`);
  assert.ok(token.length < 150, token);
  assert.match(token, /^unknown key env\.a+… \(4,194,308 characters\) in env$/);
  const words = readable(`list: ${'ab '.repeat(1_000_000)}end`);
  assert.ok(words.length < 2100, String(words.length));
  assert.match(words, /… \(message shortened from 3,000,009 characters\)$/);
});

test('readable: linear on many runs just under the token limit', () => {
  const t0 = performance.now();
  readable(`${'x'.repeat(199)} `.repeat(20_000));
  assert.ok(performance.now() - t0 < 500, 'took too long');
});

test('levenshtein with a bound: lengths far apart answer at once, near ones exactly', () => {
  assert.equal(levenshtein(BIG, 'h100', 3), 4);
  assert.equal(levenshtein('h10', 'h100', 3), 1);
  assert.equal(levenshtein('gird', 'grid', 1), 1);
});

const D = '/w';
/**
 * Diagnostics of `file` with BIG placed by `make`, and with a short value in the same place: one
 * message per problem either way, besides `extra` problems only the size causes.
 */
function compare(file: string, make: (v: string) => string, files: Record<string, string> = {}, extra: string[] = []) {
  const run = (v: string) => {
    const text = make(v);
    return validateText(file, text, memHost({ [`${D}/train.py`]: '', ...files, [file]: text })).diagnostics;
  };
  const t0 = performance.now();
  const big = run(BIG);
  // A suggestion search once compared the 4 MB value with every GPU name in full: 21 s.
  assert.ok(performance.now() - t0 < 5000, `checking took ${Math.round(performance.now() - t0)} ms`);
  const small = run('zzz');
  assert.deepEqual(big.map((d) => d.rule).filter((r) => !extra.includes(r)), small.map((d) => d.rule), 'same problems with a short and a 4 MB value');
  assert.ok(big.length > 0, 'the 4 MB value is reported');
  // The 4 MB value costs its quoted start and its length, not more: ≤ 110 characters over a
  // 3-character one in each of at most two places (the value as written, and its absolute path).
  big.forEach((d) => {
    const base = small.find((x) => x.rule === d.rule)?.message.length ?? 200;
    assert.ok(d.message.length <= base + 220, `${d.rule}: ${d.message.length} characters: ${d.message.slice(0, 300)}`);
  });
  return big;
}

test('a 4 MB value in an enum, a key, a script, extends, a GPU type and a template variable: each problem once, each message short', () => {
  const exp = `${D}/a.experiment.yaml`;
  const enumD = compare(exp, (v) => `name: x\ncommand: [python, train.py]\nlauncher: { type: "${v}" }\n`);
  assert.ok(enumD.some((d) => d.message.includes('(4,194,304 characters)')), enumD.map((d) => d.message).join('\n'));
  const keyD = compare(exp, (v) => `name: x\ncommand: [python, train.py]\nretry: { ${v}: 1 }\n`);
  assert.ok(keyD.some((d) => d.rule === 'schema' && d.message.startsWith('Unknown property "aaa')), keyD.map((d) => d.message).join('\n'));
  // launch-limits: a 4 MB argument is also over the kernel's limit for one argument.
  const script = compare(exp, (v) => `name: x\ncommand: [python, ${v}.py]\n`, {}, ['launch-limits']);
  assert.ok(script.some((d) => d.rule === 'file-exists' && d.message.includes('(4,194,307 characters)')), script.map((d) => d.message).join('\n'));
  const ext = compare(exp, (v) => `extends: ./${v}.yaml\nname: x\ncommand: [python, train.py]\n`);
  assert.ok(ext.some((d) => d.rule === 'file-exists'), ext.map((d) => d.message).join('\n'));
  compare(exp, (v) => `name: x\ncommand: [python, train.py]\nresources: { gpus: 1, gpu_type: ${v} }\n`);
  // A name the rule writes unquoted ({params.…}): `readable` shortens it.
  compare(exp, (v) => `name: x\ncommand: [python, train.py, "{params.${v}}"]\n`, {}, ['launch-limits']);
});

test('a 4 MB value in a sweep: experiment path and parameter path', () => {
  const files = { [`${D}/t.experiment.yaml`]: 'name: t\ncommand: [python, train.py]\nparams: { lr: 0.1 }\n' };
  const sweep = `${D}/s.sweep.yaml`;
  compare(sweep, (v) => `experiment: ./${v}.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [1, 2] }\n`, files);
  // yaml-syntax: an implicit key over 1024 characters is also a YAML error.
  compare(sweep, (v) => `experiment: ./t.experiment.yaml\nmethod: grid\nparameters:\n  params.${v}: { values: [1, 2] }\n`, files, ['yaml-syntax']);
});
