// The package's bins (package.json "bin": expctl, expctl-language-server) run as programs, the way
// `npm link` or a global install puts them on PATH: executable, with an interpreter line. Without
// it the shell ran the bundle as a shell script ("syntax error near unexpected token").
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');
const bins = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin as Record<string, string>;

test('every bin is an executable script with an interpreter line, and runs', () => {
  assert.deepEqual(Object.keys(bins).sort(), ['expctl', 'expctl-language-server']);
  for (const [name, rel] of Object.entries(bins)) {
    const file = path.join(ROOT, rel);
    assert.equal(fs.readFileSync(file, 'utf8').split('\n', 1)[0], '#!/usr/bin/env node', `${name}: first line`);
    assert.ok(fs.statSync(file).mode & 0o111, `${name}: executable`);
  }
  assert.match(execFileSync(path.join(ROOT, bins.expctl), ['--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+/);
  const lsp = spawnSync(path.join(ROOT, bins['expctl-language-server']), [], { encoding: 'utf8' });
  assert.equal(lsp.status, 2);
  assert.match(lsp.stderr, /Usage: expctl-language-server --stdio/);
});
