// Diagnostics follow the disk (issue 15 item 3): the bundled server (dist/server.js), driven by a
// real LSP client over stdio, registers file watchers for what open documents depend on — the
// script in `command`, `extends` bases, a sweep's experiment, targets.yaml, a schema named by a
// modeline — and re-checks the dependants when the client reports one created, changed or deleted.
// Every wait is on a notification or a request from the server, never a sleep.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientCapabilities, FileSystemWatcher, PublishDiagnosticsParams, RegistrationParams, UnregistrationParams } from 'vscode-languageserver';
import { clientCapabilities, fileUri, messageOf, startServer, withTimeout } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';

const SERVER = path.resolve('dist/server.js');
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-watch-')));
const at = (name: string) => path.join(dir, name);
const write = (name: string, text: string) => { fs.writeFileSync(at(name), text); return fileUri(at(name)); };
const rules = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => String(d.code));

/** A client that watches files the way VS Code does: dynamic registration, relative patterns or not. */
function capabilities(relativePatternSupport: boolean): ClientCapabilities {
  return { ...clientCapabilities, workspace: { ...clientCapabilities.workspace, didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport } } };
}

/** The server's file-watcher registrations as they come and go, and waits on what they watch. */
class Watches {
  latest: FileSystemWatcher[] = [];
  private id: string | undefined;
  private waiters: Array<() => void> = [];
  constructor(server: LspClient) {
    // Answered as an editor does; these handlers take the two requests from the client's catch-all.
    server.connection.onRequest('client/registerCapability', (p: RegistrationParams) => {
      for (const r of p.registrations) {
        if (r.method !== 'workspace/didChangeWatchedFiles') continue;
        this.latest = (r.registerOptions as { watchers: FileSystemWatcher[] }).watchers;
        this.id = r.id;
      }
      this.wake();
      return null;
    });
    server.connection.onRequest('client/unregisterCapability', (p: UnregistrationParams) => {
      if (p.unregisterations.some((u) => u.id === this.id)) { this.latest = []; this.id = undefined; }
      this.wake();
      return null;
    });
  }

  private wake(): void {
    const ready = this.waiters;
    this.waiters = [];
    for (const w of ready) w();
  }

  /** The absolute file a watcher names (test paths hold no glob characters). */
  static fileOf(w: FileSystemWatcher): string {
    return typeof w.globPattern === 'string' ? w.globPattern : path.join(fileURLToPath(w.globPattern.baseUri as string), w.globPattern.pattern);
  }

  /** Watched for creation, change and deletion. */
  covers(file: string): boolean {
    return this.latest.some((w) => Watches.fileOf(w) === file && (w.kind === undefined || w.kind === 7));
  }

  /** Resolves once `cond` holds for the registrations, re-checked at each (un)registration. */
  async until(cond: () => boolean, what: string): Promise<void> {
    const wait = async () => {
      while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
    };
    await withTimeout(wait(), 10_000, () => `${what}; watching: ${this.latest.map(Watches.fileOf).join(', ') || 'nothing'}`);
  }

  watching(file: string): Promise<void> {
    return this.until(() => this.covers(file), `no watcher registered for ${file}`);
  }
}

let server: LspClient;
let watches: Watches;

/** Tell the server what happened on disk, and wait for the diagnostics of `uri` that satisfy `ok`. */
async function diskEvent(uri: string, changes: Array<{ file: string; type: 1 | 2 | 3 }>, ok: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
  const wait = server.waitForDiagnostics(uri, { since: 'now', predicate: ok });
  await server.notify('workspace/didChangeWatchedFiles', { changes: changes.map((c) => ({ uri: fileUri(c.file), type: c.type })) });
  return wait;
}

async function openAndWait(uri: string, ok: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams> {
  const wait = server.waitForDiagnostics(uri, { predicate: ok });
  await server.open(uri, fs.readFileSync(fileURLToPath(uri), 'utf8'));
  return wait;
}

before(async () => {
  write('ok.py', '');
  server = startServer('node', [SERVER, '--stdio'], {
    rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } },
  });
  watches = new Watches(server);
  await server.initialize(capabilities(true));
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('diagnostics follow the files on disk', () => {
  test('the script in command: creating train.py clears "not found", deleting it brings it back', async () => {
    const uri = write('a.experiment.yaml', 'name: a\ncommand: [python, train.py]\n');
    const first = await openAndWait(uri, () => true);
    assert.deepEqual(rules(first), ['file-exists'], first.diagnostics.map(messageOf).join('\n'));
    await watches.watching(at('train.py'));
    const reg = watches.latest.find((w) => Watches.fileOf(w) === at('train.py'));
    assert.deepEqual(reg?.globPattern, { baseUri: fileUri(dir), pattern: 'train.py' }, 'relative to the workspace folder');

    write('train.py', 'print("hi")\n');
    await diskEvent(uri, [{ file: at('train.py'), type: 1 }], (p) => p.diagnostics.length === 0);
    fs.rmSync(at('train.py'));
    const back = await diskEvent(uri, [{ file: at('train.py'), type: 3 }], (p) => p.diagnostics.length > 0);
    assert.deepEqual(rules(back), ['file-exists']);
    assert.match(messageOf(back.diagnostics[0]), /Script "train\.py" not found/);
  });

  test('an extends base: appears, changes (its error shows as inherited), is fixed', async () => {
    const uri = write('b.experiment.yaml', 'extends: ./base.experiment.yaml\nname: b\ncommand: [python, ok.py]\n');
    const first = await openAndWait(uri, () => true);
    assert.deepEqual(rules(first), ['file-exists']);
    await watches.watching(at('base.experiment.yaml'));

    write('base.experiment.yaml', 'params: { lr: 0.1 }\n');
    await diskEvent(uri, [{ file: at('base.experiment.yaml'), type: 1 }], (p) => p.diagnostics.length === 0);
    write('base.experiment.yaml', 'launcher: { type: bogus }\n');
    const bad = await diskEvent(uri, [{ file: at('base.experiment.yaml'), type: 2 }], (p) => p.diagnostics.length > 0);
    assert.deepEqual(rules(bad), ['schema']);
    assert.match(messageOf(bad.diagnostics[0]), /"bogus" is not allowed for launcher\.type.*\(inherited from base\.experiment\.yaml:1\)/);
    assert.equal(bad.diagnostics[0].range.start.line, 0, 'underlined at the extends entry');
    write('base.experiment.yaml', 'launcher: { type: torchrun }\n');
    await diskEvent(uri, [{ file: at('base.experiment.yaml'), type: 2 }], (p) => p.diagnostics.length === 0);
  });

  test('targets.yaml: created with the target, then edited without it', async () => {
    const uri = write('c.experiment.yaml', 'name: c\ncommand: [python, ok.py]\ntarget: cluster\n');
    const first = await openAndWait(uri, () => true);
    assert.deepEqual(rules(first), ['unknown-target']);
    assert.match(messageOf(first.diagnostics[0]), /no targets\.yaml found/);
    await watches.watching(at('targets.yaml'));

    write('targets.yaml', 'targets:\n  cluster: { type: local, max_parallel: 2 }\n');
    await diskEvent(uri, [{ file: at('targets.yaml'), type: 1 }], (p) => p.diagnostics.length === 0);
    write('targets.yaml', 'targets:\n  gpu-box: { type: local }\n');
    const gone = await diskEvent(uri, [{ file: at('targets.yaml'), type: 2 }], (p) => p.diagnostics.length > 0);
    assert.deepEqual(rules(gone), ['unknown-target']);
    assert.match(messageOf(gone.diagnostics[0]), /"cluster" is not defined in targets\.yaml; known targets: local, gpu-box/);
    fs.rmSync(at('targets.yaml'));
  });

  test("a sweep's experiment: created after the sweep was opened", async () => {
    const uri = write('d.sweep.yaml', 'experiment: ./later.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.2] }\n');
    const first = await openAndWait(uri, () => true);
    assert.deepEqual(rules(first), ['file-exists']);
    await watches.watching(at('later.experiment.yaml'));
    write('later.experiment.yaml', 'name: later\ncommand: [python, ok.py]\nparams: { lr: 0.01 }\n');
    await diskEvent(uri, [{ file: at('later.experiment.yaml'), type: 1 }], (p) => p.diagnostics.length === 0);
  });

  test('a schema named by a modeline: created, then changed', async () => {
    const uri = write('service.yaml', '# yaml-language-server: $schema=./service.schema.json\nport: web\n');
    const first = await openAndWait(uri, () => true);
    assert.deepEqual(rules(first), ['schema-ref']);
    assert.match(messageOf(first.diagnostics[0]), /service\.schema\.json not found/);
    await watches.watching(at('service.schema.json'));

    write('service.schema.json', JSON.stringify({ type: 'object', properties: { port: { type: 'string' } } }));
    await diskEvent(uri, [{ file: at('service.schema.json'), type: 1 }], (p) => p.diagnostics.length === 0);
    write('service.schema.json', JSON.stringify({ type: 'object', properties: { port: { type: 'integer' } } }));
    const bad = await diskEvent(uri, [{ file: at('service.schema.json'), type: 2 }], (p) => p.diagnostics.length > 0);
    assert.deepEqual(rules(bad), ['schema']);
    assert.match(messageOf(bad.diagnostics[0]), /port must be an integer/);
  });

  test('closing every document leaves nothing watched', async () => {
    for (const name of ['a.experiment.yaml', 'b.experiment.yaml', 'c.experiment.yaml', 'd.sweep.yaml', 'service.yaml']) await server.close(fileUri(at(name)));
    await watches.until(() => watches.latest.length === 0, 'watchers left after closing every document');
  });
});

describe('a client without relative patterns', () => {
  test('gets absolute glob patterns, and revalidation works the same', async () => {
    const other = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } } });
    try {
      const w = new Watches(other);
      await other.initialize(capabilities(false));
      const uri = write('e.experiment.yaml', 'name: e\ncommand: [python, e_train.py]\n');
      const wait = other.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
      await other.open(uri, fs.readFileSync(at('e.experiment.yaml'), 'utf8'));
      await wait;
      await w.watching(at('e_train.py'));
      assert.ok(w.latest.some((x) => x.globPattern === at('e_train.py')), JSON.stringify(w.latest));
      write('e_train.py', '');
      const fixed = other.waitForDiagnostics(uri, { since: 'now', predicate: (p) => p.diagnostics.length === 0 });
      await other.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(at('e_train.py')), type: 1 }] });
      await fixed;
    } finally {
      await other.shutdown();
    }
  });
});
