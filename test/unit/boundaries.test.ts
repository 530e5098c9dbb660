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

test('the extension\'s bundle carries no validator: it asks the language server or the CLI to plan and cancel', async () => {
  const { build } = await import('esbuild');
  const r = await build({
    entryPoints: ['client/src/extension.ts'], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent',
    outfile: 'client.js', external: ['vscode', '@napi-rs/canvas', 'dejavu-fonts-ttf', '@kubernetes/client-node'],
  });
  const inputs = Object.keys(r.metafile.inputs);
  const banned = inputs.filter((f) => /node_modules\/ajv|validators\.gen|core\/src\/validate\.ts|core\/src\/runner\/runner\.ts|core\/src\/schema\//.test(f));
  assert.deepEqual(banned, []);
  assert.ok(inputs.includes('core/src/store/reader.ts'), 'the store is read with core\'s incremental reader');
});
