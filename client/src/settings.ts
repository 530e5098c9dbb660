// The extension's settings, read in one place with their types and defaults (settings-schema.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SETTINGS } from './settings-schema';
import type { Settings } from './settings-schema';

export type { Settings };

/** Settings for a resource (a file's folder may override the workspace's). */
export function settings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('expctl', scope);
  const str = (s: { key: string; default: string }) => c.get<string>(s.key, s.default).trim();
  const num = (s: { key: string; default: number }) => c.get<number>(s.key, s.default);
  return {
    resultsFolder: str(SETTINGS.resultsFolder),
    maxParallel: Math.max(0, Math.floor(num(SETTINGS.maxParallel))),
    gpus: str(SETTINGS.gpus),
    // Faster than 4 a second would only cost CPU: panels are throttled to that anyway.
    liveUpdateMs: Math.max(250, num(SETTINGS.liveUpdateMs)),
    targetsFile: str(SETTINGS.targetsFile),
  };
}

/** A setting's path made absolute against the workspace folder of `scope` (or the first one). */
export function resolvePath(p: string, scope?: vscode.Uri): string {
  if (!p || path.isAbsolute(p)) return p;
  const folder = (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, p) : path.resolve(p);
}
