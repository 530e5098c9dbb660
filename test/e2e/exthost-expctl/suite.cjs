// Extension-host test module for test/e2e/extension.test.ts ("extension host" suite): runs INSIDE
// code-server's remote extension host with the repo root as the extension under development (its
// dist/ bundles). Resolving run() exits with 0, throwing exits with 1. No mocha: plain asserts,
// one line of console output per check (it comes back to the node:test run through the harness).
/* eslint-disable @typescript-eslint/no-require-imports */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const BROKEN = 'broken.experiment.yaml'; // written into the workspace by the node:test side
const EXPECTED = '"minimise" is not allowed for metrics.goal';

/** Resolves once `holds()` is true, checking on each event of `onEvent` (and once now); rejects after `ms`. */
function whenTrue(holds, onEvent, ms, what) {
  return new Promise((resolve, reject) => {
    let sub;
    const timer = setTimeout(() => { sub?.dispose(); reject(new Error(`timed out after ${ms} ms waiting for ${what}`)); }, ms);
    const check = () => {
      if (!holds()) return false;
      clearTimeout(timer);
      sub?.dispose();
      resolve();
      return true;
    };
    if (!check()) sub = onEvent(check);
  });
}

/** Resolves with `probe()`'s first answer other than undefined, looking every 100 ms (files another process writes send no event here); rejects after `ms`. */
async function eventually(probe, ms, what) {
  for (const until = Date.now() + ms; ;) {
    let v;
    try { v = await probe(); } catch { /* not there yet */ }
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

exports.run = async () => {
  const ext = vscode.extensions.getExtension('expctl.expctl');
  assert.ok(ext, 'the extension under development (expctl.expctl) is loaded');
  const api = await ext.activate();
  assert.ok(ext.isActive, 'the extension is active');
  console.log(`expctl-exthost: VS Code ${vscode.version}; expctl ${ext.packageJSON.version} active from ${ext.extensionPath}; activationMs ${api && api.activationMs}`);

  // Every command the manifest contributes is registered by activate().
  const declared = ext.packageJSON.contributes.commands.map((c) => c.command);
  const registered = new Set(await vscode.commands.getCommands(true));
  const missing = declared.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `commands declared in package.json but not registered: ${missing.join(', ')}`);
  assert.ok(declared.length >= 13, `package.json declares ${declared.length} commands`);
  console.log(`expctl-exthost: all ${declared.length} commands registered: ${declared.join(' ')}`);

  // Diagnostics of a broken file, from the real language server, once it is open in an editor.
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  assert.ok(folder, 'a workspace folder is open');
  const uri = vscode.Uri.joinPath(folder.uri, BROKEN);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const ours = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'expctl');
  await whenTrue(() => ours().some((d) => d.message.includes(EXPECTED)), vscode.languages.onDidChangeDiagnostics, 60_000,
    `expctl's diagnostic "${EXPECTED}…" on ${BROKEN}`);
  const diags = ours();
  for (const d of diags) console.log(`expctl-exthost: ${BROKEN}:${d.range.start.line + 1}:${d.range.start.character + 1} ${vscode.DiagnosticSeverity[d.severity]} ${d.message} [${d.code}]`);
  const errors = diags.filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
  assert.equal(errors.length, 2, `2 errors on ${BROKEN}, got: ${diags.map((d) => d.message).join(' | ')}`);
  const goal = errors.find((d) => d.message.includes(EXPECTED));
  assert.equal(goal.range.start.line, 3, 'the metrics.goal error is on line 4');
  assert.ok(errors.some((d) => d.message.startsWith('repeat must be ≥ 1')), 'the repeat error is there');

  // Preview Trials: planned by the language server (expctl/plan), not by a validator in the extension's bundle.
  const opened = new Promise((resolve) => {
    const sub = vscode.workspace.onDidOpenTextDocument((d) => { if (d.languageId === 'markdown') { sub.dispose(); resolve(d); } });
  });
  await vscode.commands.executeCommand('expctl.previewTrials', vscode.Uri.joinPath(folder.uri, 'grid.sweep.yaml'));
  const preview = await opened;
  const head = preview.getText().split('\n')[0];
  console.log(`expctl-exthost: Preview Trials: ${head}`);
  assert.equal(head, '# grid: 6 trials (grid, max_parallel 2)');
  assert.equal(preview.getText().split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| #')).length, 6, 'a row per trial');

  // Run, then Cancel: both through the CLI's versioned JSON (run --detach --json, cancel --json), the run seen through the store.
  const slow = vscode.Uri.joinPath(folder.uri, 'slow.experiment.yaml');
  fs.writeFileSync(slow.fsPath, 'name: slow\ncommand: [sleep, "120"]\n');
  await vscode.commands.executeCommand('expctl.run', slow);
  const runs = path.join(folder.uri.fsPath, '.expctl', 'runs');
  const slowRun = () => fs.readdirSync(runs).filter((d) => d.startsWith('slow')).map((d) => JSON.parse(fs.readFileSync(path.join(runs, d, 'run.json'), 'utf8')))[0];
  const running = await eventually(() => { const r = slowRun(); return r && r.status === 'running' ? r : undefined; }, 60_000, 'the slow run running');
  console.log(`expctl-exthost: ${running.id} running (sweep ${running.sweep_id})`);
  await vscode.commands.executeCommand('expctl.refresh'); // resolves once the stores are read
  await vscode.commands.executeCommand('expctl.cancel', { kind: 'sweep', sweep: { id: running.sweep_id } });
  const cancelled = await eventually(() => { const r = slowRun(); return r.status === 'cancelled' ? r : undefined; }, 60_000, 'the slow run cancelled');
  console.log(`expctl-exthost: ${cancelled.id} ${cancelled.status}`);
  console.log('expctl-exthost: ok');
};
