// The extension's manifest agrees with its code: every setting the code reads is declared with the
// same default, every command it registers is contributed (and the other way round), activation is
// lazy, and untrusted workspaces are limited.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SETTINGS } from '../../client/src/settings-schema';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const props = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;

test('every setting the code reads is declared with the same default', () => {
  for (const s of Object.values(SETTINGS)) {
    assert.ok(props[`expctl.${s.key}`], `expctl.${s.key} is not in package.json`);
    assert.equal(props[`expctl.${s.key}`].default, s.default, `default of expctl.${s.key}`);
  }
});

test('registered commands and contributed commands are the same set', () => {
  const src = fs.readdirSync('client/src', { recursive: true }).filter((f) => String(f).endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join('client/src', String(f)), 'utf8')).join('\n');
  const registered = new Set([...src.matchAll(/command\('(expctl\.[\w.]+)'/g)].map((m) => m[1]));
  const contributed = new Set((pkg.contributes.commands as Array<{ command: string }>).map((c) => c.command));
  assert.deepEqual([...registered].sort(), [...contributed].sort());
});

test('activation is lazy and untrusted workspaces are limited', () => {
  assert.ok(!pkg.activationEvents.includes('*'));
  assert.ok(pkg.activationEvents.includes('onLanguage:yaml'));
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/*.sweep.yaml'));
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
});
