// core/ stays editor-agnostic: the lint rule that enforces it must fire on editor imports there,
// and only there.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });
const lint = async (code: string, filePath: string) => (await eslint.lintText(code, { filePath }))[0].messages.map((m) => m.ruleId);

test('core/ may not import vscode or LSP packages', async () => {
  for (const mod of ['vscode', 'vscode-languageserver/node', 'vscode-languageclient/node', 'vscode-jsonrpc']) {
    const ids = await lint(`import * as x from '${mod}';\nexport const y = x;\n`, 'core/src/leak.ts');
    assert.deepEqual(ids, ['no-restricted-imports'], mod);
  }
});

test('server/ and client/ may', async () => {
  assert.deepEqual(await lint("import * as x from 'vscode-languageserver/node';\nexport const y = x;\n", 'server/src/ok.ts'), []);
  assert.deepEqual(await lint("import * as x from 'vscode';\nexport const y = x;\n", 'client/src/ok.ts'), []);
});
