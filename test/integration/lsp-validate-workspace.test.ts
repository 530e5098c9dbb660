// Validate Workspace (issue 15 item 5) through a real LSP client over stdio against the bundled
// server (dist/server.js): the `expctl/validateWorkspace` request checks closed files too, publishes
// what `expctl validate <folder>` reports for them, keeps them in step with the disk, hands a file
// over to the editor when it is opened, and says when it stopped at its cap.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PublishDiagnosticsParams, RegistrationParams } from 'vscode-languageserver';
import { fileUri, messageOf, startServer, withTimeout } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';
import { ValidateWorkspaceRequest } from '../../server/src/protocol';
import type { ValidateWorkspaceResult } from '../../server/src/protocol';

const SERVER = path.resolve('dist/server.js');
const CLI = path.resolve('dist/cli.js');
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-vw-')));
const at = (name: string) => path.join(dir, name);
const write = (name: string, text: string) => {
  fs.mkdirSync(path.dirname(at(name)), { recursive: true });
  fs.writeFileSync(at(name), text);
  return fileUri(at(name));
};
const GOOD = 'name: good\ncommand: [python, train.py]\nparams: { lr: 0.01 }\n';

let server: LspClient;
const registrations: RegistrationParams[] = [];
let registered: () => void = () => undefined;
/** Resolves once a file-watcher registration satisfying `ok` has arrived. */
async function registration(ok: (options: unknown) => boolean): Promise<void> {
  const found = () => registrations.flatMap((r) => r.registrations).some((r) => r.method === 'workspace/didChangeWatchedFiles' && ok(r.registerOptions));
  const wait = async () => { while (!found()) await new Promise<void>((r) => { registered = r; }); };
  await withTimeout(wait(), 10_000, () => `no such watcher registration; got ${JSON.stringify(registrations)}`);
}

before(async () => {
  write('train.py', '');
  write('good.experiment.yaml', GOOD);
  write('bad.experiment.yaml', 'name: bad\ncommand: [python, train.py]\nlauncher: { type: bogus }\nretry: { max_retries: -1 }\n');
  write('sub/grid.sweep.yaml', 'experiment: ../good.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.2] }\n');
  write('sub/targets.yaml', 'targets:\n  box: { type: local, colour: red }\n');
  write('edited.experiment.yaml', GOOD);
  write('sub/empty.experiment.yaml', '# to do\n');
  write('notes.yaml', 'launcher: { type: bogus }\n'); // not one of ours
  for (const skipped of ['node_modules/pkg', '.git', '.expctl/runs', 'dist', '.cache']) write(`${skipped}/x.experiment.yaml`, 'launcher: 3\n');
  server = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } } });
  server.connection.onRequest('client/registerCapability', (p: RegistrationParams) => { registrations.push(p); registered(); return null; });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

const summary = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code}`).sort();

describe('expctl/validateWorkspace', () => {
  test('checks closed files as `expctl validate` does, publishes them, counts the open one from the editor', async () => {
    // Open with an unsaved error: the editor's copy counts, not the disk's.
    const edited = fileUri(at('edited.experiment.yaml'));
    const openWait = server.waitForDiagnostics(edited, (p) => p.diagnostics.length === 1);
    await server.open(edited, `${GOOD}resources: { gpus: -2 }\n`);
    await openWait;

    const names = ['good.experiment.yaml', 'bad.experiment.yaml', 'sub/empty.experiment.yaml', 'sub/grid.sweep.yaml', 'sub/targets.yaml'];
    const published = names.map((n) => server.waitForDiagnostics(fileUri(at(n)), { since: 'now' }));
    const result = await server.request<ValidateWorkspaceResult>(ValidateWorkspaceRequest, {});
    const byName = new Map((await Promise.all(published)).map((p, i) => [names[i], p]));

    // What the CLI reports for the same folder, file by file (the open file differs on disk by design).
    const cli = spawnSync('node', [CLI, 'validate', dir, '--json'], { encoding: 'utf8' });
    const report = JSON.parse(cli.stdout) as { files: number; diagnostics: Array<{ file: string; line: number; column: number; rule: string; severity: string }> };
    assert.equal(report.files, 6, cli.stdout + cli.stderr);
    for (const name of names) {
      const fromCli = report.diagnostics.filter((d) => path.resolve(d.file) === at(name)).map((d) => `${d.line}:${d.column} ${d.rule}`).sort();
      assert.deepEqual(summary(byName.get(name)!), fromCli, `${name}: the editor shows what the CLI reports`);
    }
    assert.equal(byName.get('good.experiment.yaml')!.diagnostics.length, 0);
    assert.deepEqual(summary(byName.get('bad.experiment.yaml')!), ['3:19 schema', '4:23 schema']);
    assert.match(messageOf(byName.get('sub/targets.yaml')!.diagnostics[0]), /Unknown property "colour"/);

    assert.deepEqual(summary(byName.get('sub/empty.experiment.yaml')!), ['1:1 file-empty'], 'an empty file on disk is an error, as in the CLI');
    assert.deepEqual(result, { files: 6, errors: 5, warnings: 0, filesWithErrors: 4, capped: false, limit: 5000 });
    for (const skipped of ['notes.yaml', 'node_modules/pkg/x.experiment.yaml', '.git/x.experiment.yaml', '.expctl/runs/x.experiment.yaml', 'dist/x.experiment.yaml']) {
      assert.equal(server.latestDiagnostics(fileUri(at(skipped))), undefined, `${skipped} is not checked`);
    }
  });

  test('a checked closed file follows the disk', async () => {
    const uri = fileUri(at('bad.experiment.yaml'));
    // Our own file names are watched once closed files are shown.
    await registration((o) => JSON.stringify(o).includes('**/*.{experiment,sweep}.{yaml,yml}'));

    write('bad.experiment.yaml', GOOD);
    const fixed = server.waitForDiagnostics(uri, { since: 'now' });
    await server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
    assert.deepEqual((await fixed).diagnostics, []);

    // A dependency of a closed file: the sweep reads good.experiment.yaml.
    const sweep = fileUri(at('sub/grid.sweep.yaml'));
    write('good.experiment.yaml', `${GOOD}launcher: { type: nope }\n`);
    const warned = server.waitForDiagnostics(sweep, { since: 'now' });
    await server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(at('good.experiment.yaml')), type: 2 }] });
    assert.deepEqual((await warned).diagnostics.map((d) => d.code), ['experiment-invalid']);
    write('good.experiment.yaml', GOOD);

    fs.rmSync(at('sub/targets.yaml'));
    const cleared = server.waitForDiagnostics(fileUri(at('sub/targets.yaml')), { since: 'now' });
    await server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(at('sub/targets.yaml')), type: 3 }] });
    assert.deepEqual((await cleared).diagnostics, [], 'a deleted file leaves Problems');
  });

  test('closing a checked file keeps its problems listed, checked from disk', async () => {
    const uri = fileUri(at('edited.experiment.yaml'));
    write('edited.experiment.yaml', `${GOOD}retry: { max_retries: -1 }\n`);
    const after = server.waitForDiagnostics(uri, { since: 'now' });
    await server.close(uri);
    assert.deepEqual((await after).diagnostics.map((d) => d.code), ['schema'], 'the disk copy, not an empty list');
  });

  test('stops at maxFiles and says so', async () => {
    const result = await server.request<ValidateWorkspaceResult>(ValidateWorkspaceRequest, { maxFiles: 2 });
    assert.equal(result.capped, true);
    assert.equal(result.files, 2);
    assert.equal(result.limit, 2);
  });
});

describe('files too large to check', () => {
  test('a file over 8 MB gets the note the CLI gives, and leaves Problems when deleted', async () => {
    const uri = write('huge/huge.experiment.yaml', `# ${'x'.repeat(9 * 1024 * 1024)}\n`);
    const got = server.waitForDiagnostics(uri, { since: 'now' });
    await server.request(ValidateWorkspaceRequest, {});
    const { diagnostics } = await got;
    assert.deepEqual(diagnostics.map((d) => [d.code, messageOf(d)]), [['file-too-large', 'File is 9.0 MB; expctl validates files up to 8 MB. Split it, or use extends.']]);
    fs.rmSync(at('huge'), { recursive: true });
    const cleared = server.waitForDiagnostics(uri, { since: 'now' });
    await server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 3 }] });
    assert.deepEqual((await cleared).diagnostics, []);
  });
});

describe('a pull-mode client (VS Code)', () => {
  test('opening a checked file drops what was pushed for it; the pulled report takes over', async () => {
    write('pull.experiment.yaml', 'name: p\ncommand: [python, train.py]\nlauncher: { type: bogus }\n');
    const pull = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(dir), initializationOptions: { diagnostics: 'pull' } });
    try {
      await pull.initialize();
      const uri = fileUri(at('pull.experiment.yaml'));
      const pushed = pull.waitForDiagnostics(uri, { since: 'now' });
      await pull.request(ValidateWorkspaceRequest, {});
      assert.equal((await pushed).diagnostics.length, 1);
      const cleared = pull.waitForDiagnostics(uri, { since: 'now' });
      await pull.open(uri, fs.readFileSync(at('pull.experiment.yaml'), 'utf8'));
      assert.deepEqual((await cleared).diagnostics, []);
      const report = await pull.pullDiagnostics(uri);
      assert.equal(report.kind === 'full' ? report.items.length : -1, 1);
      const again = pull.waitForDiagnostics(uri, { since: 'now' });
      await pull.close(uri);
      assert.equal((await again).diagnostics.length, 1, 'closed again: pushed from disk');
    } finally {
      await pull.shutdown();
    }
  });
});

describe('messages stay readable (issue 15 item 4)', () => {
  test('a 4 MB value gives one short message, in an open document and in a closed file', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    const text = `name: big\ncommand: [python, ../train.py]\nlauncher: { type: ${big} }\n`;
    const closed = write('big/closed.experiment.yaml', text);
    const open = fileUri(at('big/open.experiment.yaml'));
    const opened = server.waitForDiagnostics(open, (p) => p.diagnostics.length > 0);
    await server.open(open, text);
    const pushed = server.waitForDiagnostics(closed, { since: 'now' });
    await server.request(ValidateWorkspaceRequest, {});
    for (const p of [await opened, await pushed]) {
      assert.equal(p.diagnostics.length, 1, p.diagnostics.map((d) => messageOf(d).slice(0, 200)).join('\n'));
      const m = messageOf(p.diagnostics[0]);
      assert.ok(m.length < 300, `${m.length} characters: ${m.slice(0, 300)}`);
      assert.equal(m, `"${'x'.repeat(79)}…" (4,194,304 characters) is not allowed for launcher.type. Allowed: none, accelerate, torchrun.`);
    }
    await server.close(open);
  });
});
