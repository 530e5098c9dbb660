// Entry of the bundled language server (dist/server.js, bin `expctl-language-server`).
// Transport from argv: --stdio, --node-ipc or --socket=N (vscode-languageserver picks it).
import { serve, transportGiven } from './server';

if (!transportGiven(process.argv)) {
  process.stderr.write('Usage: expctl-language-server --stdio | --node-ipc | --socket=PORT\n');
  process.exit(2);
}
serve();
