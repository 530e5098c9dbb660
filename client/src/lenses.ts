// Code lenses on experiment and sweep files: "▶ Run", "▶ Run on <target>", "Results (N)", and for
// sweeps "▶ Run sweep (N trials, max P parallel)", "Preview trials", "Resume (k/N done)". What the
// file is and whether it has errors comes from the language server (`expctl/fileInfo`); run counts
// from the results store.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { FileInfoRequest } from '../../server/src/protocol';
import type { FileInfoParams, FileInfoResult } from '../../server/src/protocol';
import type { Results } from './results';
import { latestByTrial } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';

export const LENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'yaml', pattern: '**/*.{experiment,sweep}.{yaml,yml}' },
  { scheme: 'file', language: 'yaml', pattern: '**/{experiment,sweep}.{yaml,yml}' },
];

/** Trials whose newest run recorded another config hash than the file gives them now (see core/src/runner/resume.ts). */
export function changedTrials(runs: RunRecord[], hashes: Record<string, string>): number {
  const latest = latestByTrial(runs);
  let n = 0;
  for (const [key, hash] of Object.entries(hashes)) {
    const r = latest.get(key);
    if (r?.config_hash !== undefined && r.config_hash !== hash && (r.status === 'succeeded' || r.status === 'failed')) n++;
  }
  return n;
}

export class RunLenses implements vscode.CodeLensProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(private readonly client: LanguageClient, private readonly results: Results) {
    results.onDidChange(() => this.emitter.fire());
    // Errors come and go with edits; the server has validated by the time diagnostics change.
    vscode.languages.onDidChangeDiagnostics(() => this.emitter.fire());
    vscode.workspace.onDidGrantWorkspaceTrust(() => this.emitter.fire());
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    let info: FileInfoResult | null;
    try {
      info = await this.client.sendRequest<FileInfoResult | null>(FileInfoRequest, { uri: doc.uri.toString() } satisfies FileInfoParams, token);
    } catch {
      return []; // the server is restarting: lenses come back with the next refresh
    }
    if (!info || (info.kind !== 'experiment' && info.kind !== 'sweep')) return [];
    const at = new vscode.Range(info.line, 0, info.line, 0);
    const lens = (title: string, command: string, args: unknown[] = [], tooltip?: string) => new vscode.CodeLens(at, { title, command, arguments: args, tooltip });
    if (info.errors > 0) {
      return [lens(`⚠ Fix ${info.errors} error${info.errors === 1 ? '' : 's'} to run`, 'workbench.action.problems.focus', [], 'A file with errors cannot be run: see the Problems panel')];
    }
    const lenses: vscode.CodeLens[] = [];
    const trusted = vscode.workspace.isTrusted;
    const untrustedNote = trusted ? undefined : 'This workspace is not trusted: expctl will not launch runs here';
    const hit = info.sweepId ? this.results.sweep(info.sweepId) : undefined;
    const swept = hit?.status;
    const changed = hit && info.trialHashes ? changedTrials(this.results.runs(hit.view.root, hit.status.id), info.trialHashes) : 0;
    if (info.kind === 'sweep') {
      const n = info.trials ? `${info.trials.exact ? '' : '≤ '}${info.trials.count.toLocaleString('en-US')} trial${info.trials.count === 1 ? '' : 's'}` : 'trials';
      lenses.push(lens(`▶ Run sweep (${n}, max ${info.maxParallel ?? 1} parallel)`, 'expctl.run', [doc.uri], untrustedNote));
      lenses.push(lens('Preview trials', 'expctl.previewTrials', [doc.uri]));
      if (swept) {
        const done = swept.counts.succeeded - changed;
        if (changed > 0 && !swept.runner?.alive) {
          lenses.push(lens(`↻ Re-run changed (${changed})`, 'expctl.resume', [doc.uri], untrustedNote ?? `${changed} trial${changed === 1 ? '' : 's'} ran with another config or script than this one; run again to bring the results up to date`));
        } else if (done < swept.total && !swept.runner?.alive) lenses.push(lens(`Resume (${done}/${swept.total} done)`, 'expctl.resume', [doc.uri], untrustedNote));
        if (swept.counts.failed > 0 && !swept.runner?.alive) lenses.push(lens(`Retry failed (${swept.counts.failed})`, 'expctl.retryFailed', [doc.uri], untrustedNote));
      }
    } else {
      lenses.push(lens('▶ Run', 'expctl.run', [doc.uri], untrustedNote));
    }
    // Every target of targets.yaml, clusters included: what keeps a cluster run from starting (an
    // unreachable context, a missing namespace) is found by the CLI's preflight, and shown.
    for (const t of info.targets.filter((x) => x !== (info.defaultTarget ?? 'local'))) {
      lenses.push(lens(`▶ Run on ${t}`, 'expctl.run', [doc.uri, t], untrustedNote));
    }
    if (swept && info.sweepId) {
      const runs = Object.values(swept.counts).reduce((a, b) => a + b, 0) - swept.counts.pending;
      const live = swept.runner?.alive ? ` — ${swept.counts.running} running` : '';
      lenses.push(lens(`Results (${runs})${live}`, 'expctl.openResults', [info.sweepId]));
    }
    return lenses;
  }
}
