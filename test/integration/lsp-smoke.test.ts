// Proves test/helpers/lsp-client.ts against a real, independent language server:
// yaml-language-server with a JSON schema associated through the `yaml.schemas` setting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompletionItem, CompletionList, DocumentSymbol } from 'vscode-languageserver';
import { fileUri, messageOf, startServer, type LspClient } from '../helpers/lsp-client';

const YLS_BIN = 'node_modules/yaml-language-server/bin/yaml-language-server';

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Name of the run.' },
    max_parallel: { type: 'integer', minimum: 1, description: 'How many trials run at once.' },
    method: { enum: ['grid', 'random', 'list'] },
  },
  required: ['name'],
  additionalProperties: false,
};

function items(r: CompletionList | CompletionItem[] | null): CompletionItem[] {
  if (!r) return [];
  return Array.isArray(r) ? r : r.items;
}

describe('lsp-client against yaml-language-server', () => {
  let dir: string;
  let server: LspClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'expctl-lsp-smoke-'));
    const schemaPath = join(dir, 'smoke.schema.json');
    writeFileSync(schemaPath, JSON.stringify(schema));
    server = startServer(process.execPath, [YLS_BIN, '--stdio'], {
      rootUri: fileUri(dir),
      settings: {
        yaml: {
          schemas: { [fileUri(schemaPath)]: '*.smoke.yaml' },
          validate: true,
          completion: true,
          hover: true,
          schemaStore: { enable: false },
        },
      },
    });
    const init = await server.initialize();
    assert.ok(init.capabilities.completionProvider, 'yaml-language-server advertises completion');
  });

  after(async () => {
    if (server) await server.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers workspace/configuration for the yaml section', async () => {
    const params = (await server.waitForServerRequest('workspace/configuration')) as { items: Array<{ section?: string }> };
    assert.ok(params.items.some((i) => i.section === 'yaml'), JSON.stringify(params));
  });

  it('publishes a schema diagnostic for a document that violates the schema', async () => {
    const uri = fileUri(join(dir, 'bad.smoke.yaml'));
    const text = 'name: demo\nmax_parallel: 0\nmethod: list\n';
    const diags = server.waitForDiagnostics(uri, { predicate: (p) => p.diagnostics.length > 0 });
    await server.open(uri, text);
    const { diagnostics } = await diags;
    const d = diagnostics.find((x) => x.range.start.line === 1);
    assert.ok(d, `a diagnostic on line 2, got ${JSON.stringify(diagnostics)}`);
    assert.match(messageOf(d), /minimum|1/i);
  });

  it('waits for the diagnostics of a given version after a full-document change', async () => {
    const uri = fileUri(join(dir, 'edit.smoke.yaml'));
    const first = server.waitForDiagnostics(uri, { version: 1 });
    await server.open(uri, 'name: ok\nmax_parallel: 2\n');
    assert.deepEqual((await first).diagnostics, []);

    const second = server.waitForDiagnostics(uri, { version: 2 });
    await server.change(uri, 'name: ok\nmax_parallel: 2\nunknown_key: 1\n', 2);
    const { diagnostics } = await second;
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].range.start.line, 2);
    assert.match(messageOf(diagnostics[0]), /not allowed/i);
  });

  it('pushes new settings with workspace/didChangeConfiguration', async () => {
    const uri = fileUri(join(dir, 'late.other.yaml'));
    const clean = server.waitForDiagnostics(uri, { version: 1 });
    await server.open(uri, 'max_parallel: 3\n');
    assert.deepEqual((await clean).diagnostics, [], 'no schema is associated with *.other.yaml yet');

    // Associate the schema with *.other.yaml too; the server pulls the new settings and revalidates.
    const schemaUri = fileUri(join(dir, 'smoke.schema.json'));
    const flagged = server.waitForDiagnostics(uri, { predicate: (p) => p.diagnostics.length > 0 });
    await server.setSettings({
      yaml: { schemas: { [schemaUri]: ['*.smoke.yaml', '*.other.yaml'] }, validate: true, schemaStore: { enable: false } },
    });
    const { diagnostics } = await flagged;
    assert.ok(diagnostics.some((d) => /name/.test(messageOf(d))), `missing "name" reported: ${JSON.stringify(diagnostics)}`);
  });

  it('completes, hovers and lists symbols', async () => {
    const uri = fileUri(join(dir, 'edit.smoke.yaml'));
    const completions = items(await server.completion(uri, { line: 3, character: 0 }));
    assert.ok(completions.some((c) => c.label === 'method'), `method among ${completions.map((c) => c.label).join(', ')}`);
    const hover = await server.hover(uri, { line: 1, character: 3 });
    assert.ok(hover && JSON.stringify(hover.contents).includes('How many trials'));
    const symbols = (await server.symbols(uri)) as DocumentSymbol[];
    assert.deepEqual(symbols.map((s) => s.name), ['name', 'max_parallel', 'unknown_key']);
  });

  it('rejects a wait with a clear message on timeout', async () => {
    const uri = fileUri(join(dir, 'never-opened.smoke.yaml'));
    await assert.rejects(server.waitForDiagnostics(uri, { timeoutMs: 100 }), /timeout after 100 ms: no publishDiagnostics for .*never-opened/);
  });

  it('reports the server process memory', () => {
    const m = server.memory();
    assert.ok(m.rssBytes > 10e6 && m.rssBytes < 2e9, `rss ${m.rssBytes}`);
    assert.ok(m.peakRssBytes >= m.rssBytes);
  });

  it('shuts the server down cleanly', async () => {
    const exit = await server.shutdown();
    assert.equal(exit.code, 0, server.stderr);
    assert.equal(server.alive, false);
  });
});
