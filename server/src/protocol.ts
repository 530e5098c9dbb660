// The one contract between the extension (client/) and the language server for expctl's own
// requests. Plain method names and JSON shapes, so any LSP client can call them too.
import type { FileInfo } from '../../core/src/lang/info';

/** Request `expctl/fileInfo`: what code lenses need about a document. */
export const FileInfoRequest = 'expctl/fileInfo';
export interface FileInfoParams { uri: string }
export type FileInfoResult = FileInfo;

/** Options the client may pass in `initializationOptions`. */
export interface InitOptions {
  /**
   * 'push' (default): publishDiagnostics after each (debounced) change — every LSP client has it.
   * 'pull': answer textDocument/diagnostic only (VS Code's client prefers this).
   * 'both': push and pull (tests).
   */
  diagnostics?: 'push' | 'pull' | 'both';
}

/** The `expctl` settings section the server pulls per resource (workspace/configuration). */
export interface ServerSettings {
  validation?: { maxTrials?: number; debounceMs?: number; checkFiles?: boolean };
}
