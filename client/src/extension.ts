// VS Code extension entry: starts the bundled language server over IPC for expctl's YAML files.
// (Code lenses, the Experiments view and panels build on this client.)
import * as path from 'node:path';
import type { ExtensionContext } from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import type { InitOptions } from '../../server/src/protocol';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const initializationOptions: InitOptions = { diagnostics: 'pull' };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml', pattern: '**/*.{experiment,sweep}.{yaml,yml}' },
      { scheme: 'file', language: 'yaml', pattern: '**/{experiment,sweep,targets}.{yaml,yml}' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    synchronize: { configurationSection: 'expctl' },
    initializationOptions,
  };
  client = new LanguageClient('expctl', 'expctl', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
