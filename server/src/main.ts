// Entry of the bundled language server (dist/server.js, bin `expctl-language-server`).
// Transport from argv: --stdio, --node-ipc or --socket=N (vscode-languageserver picks it).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

export function main(): void {
  if (!process.argv.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'))) {
    process.stderr.write('Usage: expctl-language-server --stdio | --node-ipc | --socket=PORT\n');
    process.exit(2);
  }
  // A bug must cost a log line, never the editor's language server.
  process.on('uncaughtException', (e) => process.stderr.write(`expctl-language-server: ${e.stack ?? String(e)}\n`));
  startServer(createConnection(ProposedFeatures.all));
}

if (require.main === module) main();
