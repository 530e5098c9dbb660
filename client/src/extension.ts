// VS Code extension entry: the language client over IPC to the bundled server, and — over the
// results store that runner processes write — code lenses, the Experiments view, the status bar,
// log terminals, panels and the commands that tie them together. Activation is lazy (package.json:
// YAML files, our file names, the view, the commands) and timed in the output channel.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { FileInfoRequest, PlanRequest, SERVER_NODE_ARGS, ValidateWorkspaceRequest } from '../../server/src/protocol';
import type { FileInfoParams, FileInfoResult, InitOptions, PlanParams, PlanResponse, ValidateWorkspaceParams, ValidateWorkspaceResult } from '../../server/src/protocol';
import { Results } from './results';
import { Launcher, trusted } from './launch';
import { LENS_SELECTOR, RunLenses } from './lenses';
import { ExperimentsTree, nodeId } from './tree';
import type { Node } from './tree';
import { showLogs } from './logs';
import { Panels } from './panels';

let client: LanguageClient | undefined;
/** Trials Preview Trials lists at most (a markdown table of more would not be read). */
const PREVIEW_TRIALS = 2000;


export async function activate(context: vscode.ExtensionContext): Promise<{ activationMs: number }> {
  const t0 = performance.now();
  const output = vscode.window.createOutputChannel('expctl', { log: true });
  context.subscriptions.push(output);

  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_ARGS] } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_ARGS, '--nolazy', '--inspect=6010'] } },
  };
  // commandLinks: the server's result hovers link run ids to expctl.openRun, the one command trusted below.
  const initializationOptions: InitOptions = { diagnostics: 'pull', commandLinks: true };
  const clientOptions: LanguageClientOptions = {
    // Every YAML file: any may name a schema (a modeline, `$schema`, the expctl.schemas setting).
    // The server stays silent on files that are neither ours nor name one.
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    synchronize: { configurationSection: 'expctl' },
    initializationOptions,
    outputChannel: output,
    markdown: { isTrusted: { enabledCommands: ['expctl.openRun'] } },
  };
  client = new LanguageClient('expctl', 'expctl', serverOptions, clientOptions);
  context.subscriptions.push(client);

  const results = new Results(output);
  context.subscriptions.push(results);
  const launcher = new Launcher(context, results, output);
  context.subscriptions.push(launcher);
  const panels = new Panels(context, results);
  const tree = new ExperimentsTree(results);
  const view = vscode.window.createTreeView('expctl.experiments', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(view);

  const status = vscode.window.createStatusBarItem('expctl.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'expctl runs';
  status.command = 'expctl.experiments.focus';
  const updateStatus = () => {
    let running = 0;
    let queued = 0;
    for (const v of results.all()) for (const s of v.sweeps) {
      running += s.counts.running;
      if (s.runner?.alive) queued += s.counts.queued + s.counts.pending;
    }
    status.text = `$(beaker) ${running} running${queued ? ` · ${queued} queued` : ''}`;
    status.tooltip = 'expctl: runs going on in this workspace (click for the Experiments view)';
    if (running || queued) status.show(); else status.hide();
  };
  results.onDidChange(updateStatus);
  context.subscriptions.push(status);

  const active = () => vscode.window.activeTextEditor?.document.uri;
  const fileArg = (uri?: vscode.Uri) => uri ?? active();
  // From a row's menu VS Code passes the row and the whole selection; from the view's title bar only
  // the focused row, or nothing: then the view's selection is what was meant (the row is in it).
  const selectedRuns = (node?: Node, nodes?: Node[]): Node[] => {
    if (nodes?.length) return nodes;
    const selection = [...view.selection];
    return !node || selection.some((n) => nodeId(n) === nodeId(node)) ? selection : [node];
  };
  const pickRun = async (placeHolder: string, running = false): Promise<string | undefined> => {
    const items = results.all().flatMap((v) => v.store.all())
      .filter((r) => !running || r.status === 'running' || r.status === 'queued')
      .sort((a, b) => (b.started ?? b.created).localeCompare(a.started ?? a.created))
      .map((r) => ({ label: r.trial.name, description: `${r.status} · ${r.id}`, id: r.id }));
    if (!items.length) { void vscode.window.showInformationMessage(running ? 'expctl: no run is going on.' : 'expctl: no runs yet.'); return undefined; }
    return (await vscode.window.showQuickPick(items, { placeHolder }))?.id;
  };

  const command = (id: string, fn: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  command('expctl.run', async (uri?: vscode.Uri, target?: string) => {
    const file = fileArg(uri);
    if (!file) { void vscode.window.showWarningMessage('expctl: open an experiment or sweep file to run it.'); return; }
    await launcher.run(file, { target });
  });
  command('expctl.runOn', async (uri?: vscode.Uri) => {
    const file = fileArg(uri);
    if (!file || !client) return;
    const info = await client.sendRequest<FileInfoResult | null>(FileInfoRequest, { uri: file.toString() } satisfies FileInfoParams);
    const target = await vscode.window.showQuickPick(info?.targets ?? ['local'], { placeHolder: 'Run on which target?' });
    if (target) await launcher.run(file, { target });
  });
  command('expctl.resume', async (uri?: vscode.Uri) => { const f = fileArg(uri); if (f) await launcher.run(f); });
  command('expctl.retryFailed', async (uri?: vscode.Uri) => { const f = fileArg(uri); if (f) await launcher.run(f, { rerun: 'failed' }); });
  command('expctl.cancel', async (node?: Node) => {
    if (!trusted('cancel')) return;
    if (node?.kind === 'sweep') return launcher.cancelSweep(node.sweep.id);
    if (node?.kind === 'run') return launcher.cancelRun(node.run, node.root);
    const id = await pickRun('Cancel which run?', true);
    const hit = id ? results.run(id) : undefined;
    if (hit) launcher.cancelRun(hit.run, hit.view.root);
  });
  command('expctl.showLogs', async (arg?: Node | string) => {
    const id = typeof arg === 'string' ? arg : arg?.kind === 'run' || arg?.kind === 'attempt' ? arg.run.id : await pickRun('Show the logs of which run?');
    if (id) showLogs(results, id);
  });
  command('expctl.openRun', (arg?: Node | string) => {
    const id = typeof arg === 'string' ? arg : arg?.kind === 'run' ? arg.run.id : undefined;
    if (id) panels.openRun(id);
  });
  command('expctl.openResults', async (arg?: string | Node) => {
    if (typeof arg === 'string') return panels.openSweep(arg);
    if (arg?.kind === 'sweep') return panels.openSweep(arg.sweep.id);
    if (arg?.kind === 'run') return panels.openRun(arg.run.id);
    const sweeps = results.all().flatMap((v) => v.sweeps);
    const pick = await vscode.window.showQuickPick(sweeps.map((s) => ({ label: s.name, description: s.id, id: s.id })), { placeHolder: 'Open the results of which sweep?' });
    if (pick) panels.openSweep(pick.id);
  });
  command('expctl.compare', (node?: Node, nodes?: Node[]) => {
    const sel = selectedRuns(node, nodes);
    panels.openCompare({
      runIds: sel.flatMap((n) => (n.kind === 'run' ? [n.run.id] : [])),
      sweepIds: sel.flatMap((n) => (n.kind === 'sweep' ? [n.sweep.id] : [])),
    });
  });
  command('expctl.openCampaignReport', async (uri?: vscode.Uri) => {
    const csv = uri ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Job table': ['csv'] }, openLabel: 'Open campaign report' }))?.[0];
    if (csv) panels.openCampaign(csv);
  });
  const preview = new PreviewDocuments();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, preview));
  command('expctl.previewTrials', async (uri?: vscode.Uri) => {
    const file = fileArg(uri);
    const lc = client;
    if (!file || !lc) return;
    // The language server plans it (it has the validator, and the unsaved text of an open file).
    const answer = await lc.sendRequest<PlanResponse>(PlanRequest, { uri: file.toString(), limit: PREVIEW_TRIALS } satisfies PlanParams);
    if ('errors' in answer) {
      const n = answer.errors.length;
      for (const e of answer.errors) output.appendLine(`${file.fsPath}:${e.line}:${e.column}: error: ${e.message} [${e.rule}]`);
      const first = answer.errors[0];
      void vscode.window.showErrorMessage(`expctl: ${path.basename(file.fsPath)} has ${n} error${n === 1 ? '' : 's'} (line ${first.line}: ${first.message}); fix ${n === 1 ? 'it' : 'them'} to preview its trials.`, 'Show Output')
        .then((pick) => { if (pick) output.show(); });
      return;
    }
    const { plan } = answer;
    const keys = [...new Set(plan.trials.flatMap((t) => Object.keys(t.params)))];
    const md = [`# ${plan.name}: ${plan.total} trial${plan.total === 1 ? '' : 's'} (${plan.method}, max_parallel ${plan.max_parallel})`, '',
      `| # | name | ${keys.join(' | ')} |`, `|---|---|${keys.map(() => '---').join('|')}|`,
      ...plan.trials.map((t) => `| ${t.index} | ${t.name} | ${keys.map((k) => JSON.stringify(t.params[k] ?? '')).join(' | ')} |`),
      ...(plan.total > plan.trials.length ? ['', `… and ${plan.total - plan.trials.length} more (\`expctl plan --csv\` lists them all)`] : [])].join('\n');
    // A read-only virtual document (never an Untitled buffer that asks to be saved on close).
    const doc = preview.show(file, md);
    await vscode.commands.executeCommand('markdown.showPreview', doc);
  });
  command('expctl.validateWorkspace', async () => {
    const lc = client;
    if (!lc) return; // deactivated
    // The server finds and checks every file, open or closed (as `expctl validate <folder>`), and
    // publishes the closed ones' diagnostics: nothing has to be opened for Problems to list them.
    let result: ValidateWorkspaceResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'expctl: checking the workspace…' },
        () => lc.sendRequest<ValidateWorkspaceResult>(ValidateWorkspaceRequest, {} satisfies ValidateWorkspaceParams));
    } catch (e) {
      void vscode.window.showErrorMessage(`expctl: Validate Workspace failed: ${(e as Error).message}`);
      return;
    }
    // Focus, not toggle: Problems stays open when it already is.
    await vscode.commands.executeCommand('workbench.action.problems.focus');
    const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
    const summary = `expctl: ${n(result.files, 'file')} checked — ${n(result.errors, 'error')}, ${n(result.warnings, 'warning')}.`;
    if (result.capped) void vscode.window.showWarningMessage(`${summary} Stopped at ${result.limit} files; run \`expctl validate <folder>\` on the rest.`);
    else void vscode.window.showInformationMessage(result.files ? summary : 'expctl: no *.experiment.yaml, *.sweep.yaml or targets.yaml in this workspace.');
  });
  command('expctl.refresh', () => results.update());

  context.subscriptions.push(vscode.languages.registerCodeLensProvider(LENS_SELECTOR, new RunLenses(client, results)));
  context.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => output.appendLine('workspace trusted: launching runs is enabled')));
  if (!vscode.workspace.isTrusted) output.appendLine('workspace not trusted: validation, completion and panels work; launching runs does not');

  await client.start();
  results.refresh();
  updateStatus();
  const activationMs = Math.round(performance.now() - t0);
  output.appendLine(`expctl activated in ${activationMs} ms`);
  return { activationMs };
}

const PREVIEW_SCHEME = 'expctl-preview';

/** Preview Trials' documents: `expctl-preview:/<file>.trials.md`, read-only, refreshed when previewed again. */
class PreviewDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  show(file: vscode.Uri, markdown: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `${file.path}.trials.md` });
    const again = this.texts.has(uri.toString());
    this.texts.set(uri.toString(), markdown);
    if (again) this.emitter.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? `# Preview gone\n\nRun *expctl: Preview Trials* on the sweep again.`;
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
