// The CLI's terminal output: the progress line redraws only on a terminal, and never hides a line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bar, ProgressLine } from '../../cli/src/render';

const sink = () => {
  const chunks: string[] = [];
  return { chunks, stream: { write: (s: string) => { chunks.push(s); return true; } } as unknown as NodeJS.WriteStream };
};

test('bar: proportional, fixed width', () => {
  assert.equal(bar(0, 4, 8), '░░░░░░░░');
  assert.equal(bar(1, 4, 8), '██░░░░░░');
  assert.equal(bar(4, 4, 8), '████████');
  assert.equal(bar(0, 0, 4), '░░░░');
});

test('progress line: on a terminal, event lines go above a redrawn bar; cleared at the end', () => {
  const { chunks, stream } = sink();
  const p = new ProgressLine(stream, { color: true });
  p.line('▶ a', { done: 0, total: 2, running: 1 });
  p.line('[1/2] ✓ a', { done: 1, total: 2, ok: 1, running: 0 });
  p.stop();
  const text = chunks.join('');
  assert.match(text, /^▶ a\n\r\x1b\[2K░{24} 0\/2 .*▶ 1.*\r\x1b\[2K\[1\/2\] ✓ a\n\r\x1b\[2K█{12}░{12} 1\/2 /s);
  assert.ok(text.endsWith('\r\x1b[2K'), 'the bar is erased when done');
});

test('progress line: without a terminal, just the lines', () => {
  const { chunks, stream } = sink();
  const p = new ProgressLine(stream, { color: false });
  p.line('▶ a', { done: 0, total: 2 });
  p.line('[1/2] ✓ a', { done: 1, total: 2 });
  p.stop();
  assert.equal(chunks.join(''), '▶ a\n[1/2] ✓ a\n');
});
