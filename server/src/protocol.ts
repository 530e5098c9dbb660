// The one contract between the extension (client/) and the language server for expctl's own
// requests. Plain method names and JSON shapes, so any LSP client can call them too.
import type { FileInfo } from '../../core/src/lang/info';
import type { PlanResult } from '../../core/src/contract';

/**
 * Node flags the extension starts the server with (and bench/lsp.ts, to measure what users get):
 * parsing a large file allocates a tree that survives; a 64 MB young generation from the start
 * spares it the many small scavenges while the heap grows — ~25% of the CPU of a 65k-line
 * file's first check.
 */
export const SERVER_NODE_ARGS: readonly string[] = ['--max-semi-space-size=64', '--min-semi-space-size=64'];

/** Request `expctl/fileInfo`: what code lenses need about a document. */
export const FileInfoRequest = 'expctl/fileInfo';
export interface FileInfoParams { uri: string }
export type FileInfoResult = FileInfo;

/**
 * Request `expctl/validateWorkspace`: check every experiment, sweep and targets file under the
 * workspace folders (as `expctl validate <folder>` finds them), open or not, and publish the
 * diagnostics of closed ones so the Problems panel lists them; they follow the disk from then on.
 */
export const ValidateWorkspaceRequest = 'expctl/validateWorkspace';
export interface ValidateWorkspaceParams {
  /** Check at most this many files (default 5000); the result says when more were found. */
  maxFiles?: number;
}
export interface ValidateWorkspaceResult {
  /** Files checked (open and closed). */
  files: number;
  errors: number;
  warnings: number;
  /** Files with at least one error. */
  filesWithErrors: number;
  /** True when the folders hold more files than `limit`; only the first `limit` were checked. */
  capped: boolean;
  limit: number;
}

/**
 * Request `expctl/plan`: the trials a sweep or experiment file expands to — the open document's
 * text if it is open, else the file on disk — in the form `expctl plan --json` prints; or, when the
 * file cannot be planned, its errors (line and column 1-based, as `expctl validate --json`).
 */
export const PlanRequest = 'expctl/plan';
export interface PlanParams {
  uri: string;
  /** Make at most this many trials (default 2000); `plan.total` counts them all. */
  limit?: number;
}
export type PlanResponse = { plan: PlanResult } | { errors: PlanError[] };
export interface PlanError { line: number; column: number; message: string; rule: string }

/** Options the client may pass in `initializationOptions`. */
export interface InitOptions {
  /**
   * 'push' (default): publishDiagnostics after each (debounced) change — every LSP client has it.
   * 'pull': answer textDocument/diagnostic only (VS Code's client prefers this).
   * 'both': push and pull (tests).
   */
  diagnostics?: 'push' | 'pull' | 'both';
  /**
   * The editor runs `command:expctl.openRun?…` links in the server's hovers (VS Code with the
   * extension, which trusts that one command). Others get run ids as plain text.
   */
  commandLinks?: boolean;
}

/** The `expctl` settings section the server pulls per resource (workspace/configuration). */
export interface ServerSettings {
  validation?: { maxTrials?: number; debounceMs?: number; checkFiles?: boolean };
  /** `expctl.schemas`: JSON Schema file → globs of the YAML files it checks, relative to the workspace folder (as `yaml.schemas`). */
  schemas?: Record<string, string[] | string>;
  /**
   * `expctl.results.folder`: the results store ('' = `.expctl` as the CLI finds it; relative to the workspace folder);
   * `expctl.results.inlayHints`: results beside swept values and an experiment's name (default true).
   */
  results?: { folder?: string; inlayHints?: boolean };
  /** `expctl.kafka.preflight`: check data.kafka against the live broker (diagnostics, topic completion, hover); off by default, it reaches the network. */
  kafka?: { preflight?: boolean };
}
