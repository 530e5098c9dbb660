// A small, real LSP client over stdio for integration tests and benchmarks.
//
// It spawns a language server, speaks JSON-RPC to it through vscode-jsonrpc, answers the
// server→client requests a real editor answers (workspace/configuration, client/registerCapability,
// window/workDoneProgress/create, …), records every publishDiagnostics notification, and lets a
// test wait on exactly the notification or response it needs — never on a sleep.
//
//   const server = startServer('node', ['dist/server.js', '--stdio'], { settings: { expctl: {} } });
//   await server.initialize();
//   const diags = server.waitForDiagnostics(uri);   // register first …
//   server.open(uri, text);                         // … then cause it
//   const { diagnostics } = await diags;
//   await server.shutdown();
//
// Every wait has a timeout that rejects with the method, the uri, what arrived instead, and the
// tail of the server's stderr; if the server process exits, every pending wait rejects at once.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  ClientCapabilities,
  CodeAction,
  Command,
  CompletionItem,
  CompletionItemKind,
  CompletionList,
  ConfigurationParams,
  Diagnostic,
  DocumentDiagnosticReport,
  DocumentSymbol,
  Hover,
  InitializeResult,
  Position,
  PublishDiagnosticsParams,
  Range,
  SymbolInformation,
  SymbolKind,
} from 'vscode-languageserver';

/** Settings as an editor would hold them: `{ expctl: { validation: { debounceMs: 0 } }, yaml: {…} }`. */
export type Settings = Record<string, unknown>;
/** Or compute the answer for one `workspace/configuration` item yourself. */
export type SettingsResolver = (section: string | undefined, scopeUri: string | undefined) => unknown;

export interface StartOptions {
  /** Workspace root; default: the current directory as a file URI. */
  rootUri?: string;
  /** Answers to workspace/configuration (looked up by dotted section; missing → null). */
  settings?: Settings | SettingsResolver;
  initializationOptions?: unknown;
  /** Working directory of the server process; default process.cwd(). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default timeout for requests and waits, in ms (default 10,000). */
  timeoutMs?: number;
  /** Print every message to stderr (or set LSP_TRACE=1). */
  trace?: boolean;
}

export interface WaitOptions {
  /**
   * Match a notification for this document version. A server that sends `version` is matched on
   * it; one that does not (yaml-language-server) is matched on the client's latest version of
   * the document when the notification arrived.
   */
  version?: number;
  predicate?: (p: PublishDiagnosticsParams) => boolean;
  /**
   * 'edit' (default): notifications received since the last open/change of the uri count, so
   * awaiting `open()` before `waitForDiagnostics()` cannot miss a fast answer.
   * 'now': only notifications that arrive after this call.
   */
  since?: 'edit' | 'now';
  timeoutMs?: number;
}

export interface Memory {
  /** VmRSS of the server process, bytes. */
  rssBytes: number;
  /** VmHWM (peak RSS) of the server process, bytes. */
  peakRssBytes: number;
}

interface ReceivedDiagnostics {
  params: PublishDiagnosticsParams;
  /** The client's version of the document when this arrived. */
  clientVersion: number | undefined;
  /** The client's edit counter for the uri when this arrived. */
  editSeq: number;
  at: number;
}

interface DiagnosticsWaiter {
  uri: string;
  sinceNow: boolean;
  minEditSeq: number;
  opts: WaitOptions;
  resolve(p: PublishDiagnosticsParams): void;
  reject(e: Error): void;
}

export const clientCapabilities: ClientCapabilities = {
  general: { positionEncodings: ['utf-16'] },
  window: { workDoneProgress: true, showMessage: { messageActionItem: { additionalPropertiesSupport: true } } },
  workspace: {
    applyEdit: true,
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] },
    diagnostics: { refreshSupport: true },
    codeLens: { refreshSupport: true },
    semanticTokens: { refreshSupport: true },
    inlayHint: { refreshSupport: true },
    symbol: { dynamicRegistration: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true, willSave: false, willSaveWaitUntil: false },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: true,
      tagSupport: { valueSet: [1, 2] },
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false },
    completion: {
      dynamicRegistration: true,
      contextSupport: true,
      completionItem: {
        snippetSupport: true,
        commitCharactersSupport: true,
        documentationFormat: ['markdown', 'plaintext'],
        deprecatedSupport: true,
        preselectSupport: true,
        insertReplaceSupport: true,
        labelDetailsSupport: true,
        tagSupport: { valueSet: [1] },
        resolveSupport: { properties: ['documentation', 'detail', 'additionalTextEdits'] },
        insertTextModeSupport: { valueSet: [1, 2] },
      },
      completionItemKind: { valueSet: Array.from({ length: 25 }, (_, i) => (i + 1) as CompletionItemKind) },
    },
    hover: { dynamicRegistration: true, contentFormat: ['markdown', 'plaintext'] },
    documentSymbol: {
      dynamicRegistration: true,
      hierarchicalDocumentSymbolSupport: true,
      symbolKind: { valueSet: Array.from({ length: 26 }, (_, i) => (i + 1) as SymbolKind) },
      labelSupport: true,
    },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] },
      codeActionLiteralSupport: {
        codeActionKind: {
          valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports', 'source.fixAll'],
        },
      },
    },
    codeLens: { dynamicRegistration: true },
    documentLink: { dynamicRegistration: true, tooltipSupport: true },
    foldingRange: { dynamicRegistration: true },
    formatting: { dynamicRegistration: true },
    definition: { dynamicRegistration: true, linkSupport: true },
  },
};

/** Look a dotted section up in a settings object: 'expctl.validation' → settings.expctl.validation. */
export function lookupSection(settings: Settings, section: string | undefined): unknown {
  if (section === undefined || section === '') return settings;
  if (Object.prototype.hasOwnProperty.call(settings, section)) return settings[section];
  let cur: unknown = settings;
  for (const part of section.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return null;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined ? null : cur;
}

function unref(t: unknown): void {
  (t as { unref?: () => void }).unref?.();
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what()}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class LspClient {
  readonly process: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  /** Resolves when the server process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  initializeResult: InitializeResult | undefined;
  /** Every publishDiagnostics notification, per uri, in arrival order. */
  readonly diagnostics = new Map<string, ReceivedDiagnostics[]>();
  /** Other notifications from the server (logMessage, showMessage, telemetry, custom). */
  readonly notifications: Array<{ method: string; params: unknown }> = [];
  /** Server→client requests received, by method (configuration, registerCapability, …). */
  readonly serverRequests: Array<{ method: string; params: unknown }> = [];
  readonly timeoutMs: number;

  private stderrChunks: string[] = [];
  private stderrLength = 0;
  private readonly versions = new Map<string, number>();
  private readonly editSeqs = new Map<string, number>();
  private waiters: DiagnosticsWaiter[] = [];
  private requestWaiters: Array<{ method: string; resolve(p: unknown): void }> = [];
  private settings: Settings | SettingsResolver;
  readonly rootUri: string;
  private readonly initializationOptions: unknown;
  private readonly trace: boolean;
  private closed = false;

  constructor(cmd: string, args: string[], opts: StartOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.settings = opts.settings ?? {};
    this.rootUri = opts.rootUri ?? pathToFileURL(opts.cwd ?? process.cwd()).href;
    this.initializationOptions = opts.initializationOptions;
    this.trace = opts.trace ?? process.env.LSP_TRACE === '1';

    this.process = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.closed = true;
        const err = new Error(`server exited (code ${code}, signal ${signal})${this.stderrTail()}`);
        for (const w of this.waiters) w.reject(err);
        this.waiters = [];
        resolve({ code, signal });
      });
    });
    this.process.once('error', (e) => {
      this.pushStderr(`[spawn error] ${e.message}\n`);
    });
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (d: string) => this.pushStderr(d));
    // A dead server makes writes fail with EPIPE; surface that through `exited`, not as a crash.
    this.process.stdin.on('error', (e) => this.pushStderr(`[stdin error] ${e.message}\n`));

    this.connection = createMessageConnection(
      new StreamMessageReader(this.process.stdout),
      new StreamMessageWriter(this.process.stdin),
    );
    this.connection.onError(([e]) => this.pushStderr(`[connection error] ${e.message}\n`));
    this.connection.onClose(() => {
      this.closed = true;
    });

    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      if (this.trace) process.stderr.write(`[lsp ←] publishDiagnostics ${p.uri} v${p.version} (${p.diagnostics.length})\n`);
      this.onDiagnostics(p);
    });
    this.connection.onNotification((method: string, params: unknown) => {
      if (this.trace) process.stderr.write(`[lsp ←] ${method} ${JSON.stringify(params).slice(0, 300)}\n`);
      if (this.notifications.length < 10_000) this.notifications.push({ method, params });
    });

    this.connection.onRequest('workspace/configuration', (p: ConfigurationParams) => {
      this.recordServerRequest('workspace/configuration', p);
      return p.items.map((item) => this.resolveSetting(item.section, item.scopeUri));
    });
    this.connection.onRequest('workspace/workspaceFolders', () => [{ uri: this.rootUri, name: 'root' }]);
    // Everything else a real editor acknowledges with null: registerCapability, unregisterCapability,
    // window/workDoneProgress/create, */refresh, window/showMessageRequest, workspace/applyEdit (not applied).
    this.connection.onRequest((method: string, params: unknown) => {
      if (this.trace) process.stderr.write(`[lsp ←] request ${method}\n`);
      this.recordServerRequest(method, params);
      if (method === 'workspace/applyEdit') return { applied: false, failureReason: 'test client does not apply edits' };
      return null;
    });
    this.connection.listen();
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error('server process has no pid (spawn failed?)');
    return this.process.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined && !this.closed;
  }

  /** Everything the server wrote to stderr (last ~1 MB). */
  get stderr(): string {
    return this.stderrChunks.join('');
  }

  /** Resident memory of the server process from /proc/<pid>/status (Linux). */
  memory(): Memory {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  }

  /** Replace the settings and tell the server (workspace/didChangeConfiguration). */
  setSettings(settings: Settings | SettingsResolver): Promise<void> {
    this.settings = settings;
    const payload = typeof settings === 'function' ? {} : settings;
    return this.notify('workspace/didChangeConfiguration', { settings: payload });
  }

  async initialize(capabilities: ClientCapabilities = clientCapabilities): Promise<InitializeResult> {
    const result = await this.request<InitializeResult>('initialize', {
      processId: process.pid,
      clientInfo: { name: 'expctl-test-client', version: '0.1.0' },
      locale: 'en',
      rootUri: this.rootUri,
      rootPath: null,
      workspaceFolders: [{ uri: this.rootUri, name: 'root' }],
      capabilities,
      initializationOptions: this.initializationOptions,
      trace: 'off',
    });
    this.initializeResult = result;
    await this.notify('initialized', {});
    return result;
  }

  open(uri: string, text: string, languageId = 'yaml', version = 1): Promise<void> {
    this.versions.set(uri, version);
    this.bumpEdit(uri);
    return this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /** Full-document sync: the whole new text as one content change. */
  change(uri: string, text: string, version: number): Promise<void> {
    this.versions.set(uri, version);
    this.bumpEdit(uri);
    return this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  close(uri: string): Promise<void> {
    this.versions.delete(uri);
    this.bumpEdit(uri);
    return this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** The client's current version of a document. */
  version(uri: string): number | undefined {
    return this.versions.get(uri);
  }

  /** The most recent publishDiagnostics for a uri, if any. */
  latestDiagnostics(uri: string): PublishDiagnosticsParams | undefined {
    const list = this.diagnostics.get(uri);
    return list?.[list.length - 1]?.params;
  }

  /**
   * Resolve on the first publishDiagnostics for `uri` matching `version`/`predicate`
   * (see WaitOptions for which notifications count); reject on timeout or server exit.
   * Shorthands: a number is `{ version }`, a function is `{ predicate }`.
   */
  waitForDiagnostics(
    uri: string,
    opts: WaitOptions | number | ((p: PublishDiagnosticsParams) => boolean) = {},
  ): Promise<PublishDiagnosticsParams> {
    const o: WaitOptions = typeof opts === 'number' ? { version: opts } : typeof opts === 'function' ? { predicate: opts } : opts;
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    const list = this.diagnostics.get(uri) ?? [];
    const waiter: Omit<DiagnosticsWaiter, 'resolve' | 'reject'> = {
      uri,
      opts: o,
      sinceNow: o.since === 'now',
      minEditSeq: this.editSeqs.get(uri) ?? 0,
    };
    if (o.since !== 'now') {
      const hit = list.find((r) => this.matches(waiter, r));
      if (hit) return Promise.resolve(hit.params);
    }
    if (this.exitInfo) return Promise.reject(new Error(`server has exited; cannot wait for diagnostics of ${uri}${this.stderrTail()}`));
    let entry: DiagnosticsWaiter | undefined;
    const p = new Promise<PublishDiagnosticsParams>((resolve, reject) => {
      entry = { ...waiter, resolve, reject };
      this.waiters.push(entry);
    });
    return withTimeout(p, timeoutMs, () => {
      this.waiters = this.waiters.filter((w) => w !== entry);
      const got = (this.diagnostics.get(uri) ?? []).slice(-3)
        .map((r) => `v${r.params.version ?? '?'}(client v${r.clientVersion}, ${r.params.diagnostics.length} diags)`);
      const want = [o.version !== undefined ? `version ${o.version}` : '', o.predicate ? 'matching predicate' : ''].filter(Boolean).join(', ');
      return `no publishDiagnostics for ${uri}${want ? ` (${want})` : ''}; last received: ${got.join(', ') || 'none'}${this.stderrTail()}`;
    });
  }

  /**
   * Resolve when the server has sent (or already sent) a request with this method, e.g.
   * 'workspace/configuration' once it has pulled its settings. Returns its params.
   */
  waitForServerRequest(method: string, timeoutMs = this.timeoutMs): Promise<unknown> {
    const seen = this.serverRequests.find((r) => r.method === method);
    if (seen) return Promise.resolve(seen.params);
    let entry: { method: string; resolve(p: unknown): void } | undefined;
    const p = new Promise<unknown>((resolve) => {
      entry = { method, resolve };
      this.requestWaiters.push(entry);
    });
    return withTimeout(Promise.race([p, this.exited.then((e) => {
      throw new Error(`server exited (code ${e.code}, signal ${e.signal}) before sending ${method}${this.stderrTail()}`);
    })]), timeoutMs, () => {
      this.requestWaiters = this.requestWaiters.filter((w) => w !== entry);
      return `the server sent no ${method} request${this.stderrTail()}`;
    });
  }

  /** textDocument/diagnostic (pull). */
  pullDiagnostics(uri: string, timeoutMs?: number): Promise<DocumentDiagnosticReport> {
    return this.request('textDocument/diagnostic', { textDocument: { uri } }, timeoutMs);
  }

  completion(uri: string, position: Position, timeoutMs?: number): Promise<CompletionList | CompletionItem[] | null> {
    return this.request('textDocument/completion', { textDocument: { uri }, position, context: { triggerKind: 1 } }, timeoutMs);
  }

  hover(uri: string, position: Position, timeoutMs?: number): Promise<Hover | null> {
    return this.request('textDocument/hover', { textDocument: { uri }, position }, timeoutMs);
  }

  symbols(uri: string, timeoutMs?: number): Promise<DocumentSymbol[] | SymbolInformation[] | null> {
    return this.request('textDocument/documentSymbol', { textDocument: { uri } }, timeoutMs);
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[], timeoutMs?: number): Promise<Array<CodeAction | Command> | null> {
    return this.request('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics, triggerKind: 1 } }, timeoutMs);
  }

  /** Any request; cancelled ($/cancelRequest) and rejected after the timeout, rejected if the server exits. */
  async request<R = unknown>(method: string, params?: unknown, timeoutMs = this.timeoutMs): Promise<R> {
    if (this.exitInfo) throw new Error(`server has exited; cannot send ${method}${this.stderrTail()}`);
    if (this.trace) process.stderr.write(`[lsp →] request ${method}\n`);
    const cts = new CancellationTokenSource();
    const sent = params === undefined
      ? this.connection.sendRequest<R>(method, cts.token)
      : this.connection.sendRequest<R>(method, params, cts.token);
    const died = this.exited.then((e) => {
      throw new Error(`server exited (code ${e.code}, signal ${e.signal}) while waiting for ${method}${this.stderrTail()}`);
    });
    try {
      return await withTimeout(Promise.race([sent, died]), timeoutMs, () => `no response to ${method}${this.stderrTail()}`);
    } catch (e) {
      cts.cancel();
      throw e;
    } finally {
      died.catch(() => undefined);
      cts.dispose();
    }
  }

  async notify(method: string, params?: unknown): Promise<void> {
    if (this.exitInfo) throw new Error(`server has exited; cannot send ${method}${this.stderrTail()}`);
    if (this.trace) process.stderr.write(`[lsp →] ${method}\n`);
    await this.connection.sendNotification(method, params);
  }

  /** shutdown + exit; waits for the process to exit and kills it after the timeout. */
  async shutdown(timeoutMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitInfo) {
      try {
        await this.request('shutdown', undefined, timeoutMs);
        await this.notify('exit');
      } catch {
        // fall through to kill
      }
    }
    const exit = await Promise.race([this.exited, new Promise<undefined>((r) => unref(setTimeout(r, timeoutMs)))]);
    if (!exit) {
      this.process.kill('SIGKILL');
      await this.exited;
    }
    this.connection.dispose();
    return this.exitInfo ?? { code: null, signal: null };
  }

  /** Kill without ceremony (for cleanup in `after` hooks). */
  kill(): void {
    if (!this.exitInfo) this.process.kill('SIGKILL');
  }

  /** The last `chars` characters of stderr, formatted for an error message. */
  stderrTail(chars = 2_000): string {
    const s = this.stderr;
    if (!s.trim()) return '';
    return `\n--- server stderr (tail) ---\n${s.slice(-chars)}`;
  }

  private resolveSetting(section: string | undefined, scopeUri: string | undefined): unknown {
    if (typeof this.settings === 'function') return this.settings(section, scopeUri) ?? null;
    return lookupSection(this.settings, section);
  }

  private recordServerRequest(method: string, params: unknown): void {
    if (this.serverRequests.length < 10_000) this.serverRequests.push({ method, params });
    const ready = this.requestWaiters.filter((w) => w.method === method);
    this.requestWaiters = this.requestWaiters.filter((w) => w.method !== method);
    for (const w of ready) w.resolve(params);
  }

  private bumpEdit(uri: string): void {
    this.editSeqs.set(uri, (this.editSeqs.get(uri) ?? 0) + 1);
  }

  private matches(w: Omit<DiagnosticsWaiter, 'resolve' | 'reject'>, r: ReceivedDiagnostics): boolean {
    if (r.params.uri !== w.uri) return false;
    if (!w.sinceNow && r.editSeq < w.minEditSeq) return false;
    const v = w.opts.version;
    if (v !== undefined) {
      const got = r.params.version ?? r.clientVersion;
      if (got !== v) return false;
    }
    return w.opts.predicate ? w.opts.predicate(r.params) : true;
  }

  private onDiagnostics(p: PublishDiagnosticsParams): void {
    const rec: ReceivedDiagnostics = {
      params: p,
      clientVersion: this.versions.get(p.uri),
      editSeq: this.editSeqs.get(p.uri) ?? 0,
      at: performance.now(),
    };
    let list = this.diagnostics.get(p.uri);
    if (!list) this.diagnostics.set(p.uri, (list = []));
    list.push(rec);
    if (list.length > 200) list.splice(0, list.length - 100);
    const ready = this.waiters.filter((w) => this.matches(w, rec));
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(p);
  }

  private pushStderr(s: string): void {
    if (this.trace) process.stderr.write(`[server stderr] ${s}`);
    this.stderrChunks.push(s);
    this.stderrLength += s.length;
    while (this.stderrLength > 1_000_000 && this.stderrChunks.length > 1) {
      this.stderrLength -= this.stderrChunks.shift()!.length;
    }
  }
}

/** Spawn a language server speaking LSP on stdio. Call `initialize()` next. */
export function startServer(cmd: string, args: string[], opts?: StartOptions): LspClient {
  return new LspClient(cmd, args, opts);
}

/** A diagnostic's message as plain text (LSP 3.18 also allows MarkupContent). */
export function messageOf(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

/** A file URI for a path (absolute or relative to cwd). */
export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}
