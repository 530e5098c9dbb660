// The extension-host suite (test/e2e/exthost-expctl/suite.cjs) in a desktop VS Code, for machines
// with network access: @vscode/test-electron downloads VS Code, which CI here cannot (CI runs the
// same suite in code-server: test/e2e/extension.test.ts). Usage:
//   npm install --no-save @vscode/test-electron && node esbuild.mjs && node scripts/test-desktop.mjs
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const { runTests } = await import('@vscode/test-electron').catch(() => {
  console.error('@vscode/test-electron is not installed: npm install --no-save @vscode/test-electron');
  process.exit(2);
});
const root = resolve(import.meta.dirname, '..');
const ws = mkdtempSync(join(tmpdir(), 'expctl-desktop-'));
cpSync(join(root, 'examples', 'quickstart'), ws, { recursive: true });
// The file the suite expects our two errors on (as test/e2e/extension.test.ts writes it).
writeFileSync(join(ws, 'broken.experiment.yaml'), 'name: b\ncommand: [python3, train.py]\nrepeat: 0\nmetrics: { goal: minimise }\n');
await runTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: join(root, 'test', 'e2e', 'exthost-expctl', 'suite.cjs'),
  launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'],
});
