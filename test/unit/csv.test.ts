// The CSV reader: RFC 4180 records, line numbers that survive multi-line fields, bad records
// reported and left out, and speed on a campaign-sized file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { csvTable, parseCsv, visitCsv } from '../../core/src/util/csv';

test('header, rows and the line each row starts on', () => {
  const p = parseCsv('a,b,c\n1,2,3\n4,5,6\n');
  assert.deepEqual(p.header, ['a', 'b', 'c']);
  assert.equal(p.headerLine, 1);
  assert.deepEqual(p.rows, [{ line: 2, cells: ['1', '2', '3'] }, { line: 3, cells: ['4', '5', '6'] }]);
  assert.deepEqual(p.problems, []);
});

test('quoted fields hold commas, doubled quotes and newlines; later line numbers stay right', () => {
  const p = parseCsv('name,note\n"a,b","say ""hi"""\n"multi\nline\r\ntext",x\nlast,"y"\n');
  assert.deepEqual(p.rows.map((r) => r.cells), [['a,b', 'say "hi"'], ['multi\nline\r\ntext', 'x'], ['last', 'y']]);
  assert.deepEqual(p.rows.map((r) => r.line), [2, 3, 6]);
});

test('CRLF, lone CR, no final newline, a UTF-8 BOM and blank lines', () => {
  assert.deepEqual(parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n3,4').rows, [{ line: 2, cells: ['1', '2'] }, { line: 4, cells: ['3', '4'] }]);
  assert.deepEqual(parseCsv('\uFEFFa,b\r\n').header, ['a', 'b'], 'the BOM is not part of the first name');
  assert.deepEqual(parseCsv('a,b\r1,2\r').rows, [{ line: 2, cells: ['1', '2'] }]);
  assert.deepEqual(parseCsv('\n\na\n\n1\n').rows, [{ line: 5, cells: ['1'] }]);
});

test('empty cells, empty quoted cells and a trailing delimiter', () => {
  const p = parseCsv('a,b,c\n,,\n"",x,\n');
  assert.deepEqual(p.rows.map((r) => r.cells), [['', '', ''], ['', 'x', '']]);
  assert.deepEqual(parseCsv('a\n""\n').rows, [{ line: 2, cells: [''] }], 'a quoted empty field is a record, not a blank line');
});

test('lenient like Python csv: text after a closing quote, quotes inside unquoted text', () => {
  assert.deepEqual(parseCsv('a,b\n"x"y,ab"c\n').rows[0].cells, ['xy', 'ab"c']);
});

test('a record with the wrong column count is reported with its line and skipped', () => {
  const p = parseCsv('a,b,c\n1,2,3\n1,2\n"x\ny",2,3,4\n7,8,9\n');
  assert.deepEqual(p.rows.map((r) => r.line), [2, 6]);
  assert.deepEqual(p.problems, [
    { line: 3, message: 'expected 3 columns, found 2', expected: 3, found: 2 },
    { line: 4, message: 'expected 3 columns, found 4', expected: 3, found: 4 },
  ]);
});

test('an unterminated quote is reported, not read as data', () => {
  const p = parseCsv('a,b\n1,2\n3,"open\n4,5\n');
  assert.deepEqual(p.rows.map((r) => r.cells), [['1', '2']]);
  assert.deepEqual(p.problems, [{ line: 3, message: 'quoted field not closed before the end of the file' }]);
});

test('empty text and a header-only file', () => {
  assert.deepEqual(parseCsv(''), { header: [], headerLine: 0, rows: [], problems: [] });
  assert.deepEqual(parseCsv('\uFEFF'), { header: [], headerLine: 0, rows: [], problems: [] });
  assert.deepEqual(parseCsv('a,b\n').rows, []);
});

test('visitCsv hands rows over one at a time; a throwing header callback stops the read', () => {
  const seen: [number, string[]][] = [];
  const scan = visitCsv('a,b\n1,2\n3\n4,5\n', { header: (h) => assert.deepEqual(h, ['a', 'b']), row: (cells, line) => seen.push([line, cells]) });
  assert.deepEqual(seen, [[2, ['1', '2']], [4, ['4', '5']]]);
  assert.deepEqual(scan, { header: ['a', 'b'], headerLine: 1, rows: 2, problems: [{ line: 3, message: 'expected 2 columns, found 1', expected: 2, found: 1 }] });
  let rows = 0;
  assert.throws(() => visitCsv('a\n1\n', { header: () => { throw new Error('no'); }, row: () => rows++ }), /no/);
  assert.equal(rows, 0);
});

test('another delimiter', () => {
  assert.deepEqual(parseCsv('a;b\n"1;2";3\n', { delimiter: ';' }).rows[0].cells, ['1;2', '3']);
});

test('reads back what csvTable writes', () => {
  const rows = [['plain', 'with,comma', 'with "quote"', 'two\nlines', ''], ['x', '', '"', ',', '\r\n']];
  const p = parseCsv(csvTable(['a', 'b', 'c', 'd', 'e'], rows));
  assert.deepEqual(p.rows.map((r) => r.cells), rows);
});

// Speed is measured in bench/report.ts; here: a big file parses completely and keeps line numbers.
test('100,000 rows parse with their line numbers', () => {
  const line = 'run12-train_epoch7,gb1_sweep,8412345,2,checkpointed,ospool,2025-03-04T10:20:30,2025-03-04T10:31:02,'
    + '2025-03-04T12:01:44,5442,6074,412345678,3456789012,1,"NVIDIA A100-SXM4-40GB",40960,8.0,,,,,'
    + '2025-03-04T10:29:40,2025-03-04T10:31:01,81,0\n';
  const text = 'h' + ',x'.repeat(24) + '\n' + line.repeat(100_000);
  const p = parseCsv(text);
  assert.equal(p.rows.length, 100_000);
  assert.equal(p.rows[99_999].line, 100_001);
  assert.equal(p.rows[5].cells[14], 'NVIDIA A100-SXM4-40GB');
});
