// Extension-host tests inside code-server: a test module (exports run()) runs in the REAL remote
// extension host with an extension under development, and its exit code comes back to node:test.
// Run: node --import tsx --test test/e2e/exthost.test.ts   (once: bash scripts/install-e2e.sh)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExtensionTests } from './harness';

const probe = 'test/e2e/fixtures/exthost-probe';

test('an extension-host test module runs in code-server and reports its exit code', { timeout: 150_000 }, async () => {
  const r = await runExtensionTests({
    name: 'exthost-probe',
    folder: `${probe}/workspace`,
    extensionDevelopmentPath: `${probe}/extension`,
    extensionTestsPath: `${probe}/suite.cjs`,
  });
  assert.equal(r.exitCode, 0, `extension tests failed:\n${r.log.filter((l) => !l.includes('gallery')).join('\n')}`);
  assert.ok(r.log.some((l) => l.includes('exthost-probe: VS Code 1.')), `the test module's console output did not come back:\n${r.log.join('\n')}`);
});
