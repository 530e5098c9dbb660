// The expctl language server: a thin LSP adapter over core/. Validation results are cached per
// document version; files a validation read (extends bases, the sweep's experiment, targets.yaml)
// are tracked so that editing one re-checks the documents that depend on it.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createConnection, ProposedFeatures,
  CodeActionKind, CompletionItemKind, DiagnosticSeverity, DocumentDiagnosticReportKind, InsertTextFormat, InsertTextMode,
  MarkupKind, SymbolKind, TextDocumentSyncKind, TextDocuments,
} from 'vscode-languageserver/node';
import type {
  CodeAction, CompletionItem, Connection, Diagnostic as LspDiagnostic, DocumentSymbol, InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { validateText } from '../../core/src/validate';
import type { Validation } from '../../core/src/validate';
import { defaultSettings } from '../../core/src/rules/api';
import type { ValidationSettings } from '../../core/src/rules/api';
import type { Diagnostic } from '../../core/src/diagnostic';
import { parseYaml } from '../../core/src/yaml/document';
import { complete } from '../../core/src/lang/completion';
import type { CompletionEntry, CompletionHost } from '../../core/src/lang/completion';
import { hover } from '../../core/src/lang/hover';
import { documentSymbols } from '../../core/src/lang/symbols';
import type { Symbol as CoreSymbol } from '../../core/src/lang/symbols';
import { fileInfo } from '../../core/src/lang/info';
import { builtinValidator } from '../../core/src/schema/registry';
import { diskHost } from '../../core/src/util/disk-host';
import { FileInfoRequest } from './protocol';
import type { FileInfoParams, InitOptions, ServerSettings } from './protocol';

interface Entry { version: number; validation: Validation; deps: Set<string> }
interface Settings extends ValidationSettings { debounceMs: number }

const DEFAULTS: Settings = { ...defaultSettings, debounceMs: 150 };

function uriToPath(uri: string): string {
  try { return uri.startsWith('file:') ? fileURLToPath(uri) : uri; } catch { return uri; }
}

export function transportGiven(argv: string[]): boolean {
  return argv.some((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'));
}

/** Starts the server on the transport named in argv. A bug costs a log line, never the server. */
export function serve(): void {
  const log = (e: unknown) => process.stderr.write(`expctl-language-server: ${(e as Error)?.stack ?? String(e)}\n`);
  process.on('uncaughtException', log);
  process.on('unhandledRejection', log);
  startServer(createConnection(ProposedFeatures.all));
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, Entry>();
  const settingsCache = new Map<string, Promise<Settings>>();
  const timers = new Map<string, NodeJS.Timeout>();
  let canPullConfig = false;
  let snippets = true;
  let mode: NonNullable<InitOptions['diagnostics']> = 'push';
  let canRefresh = false;

  /** Asks a pull-mode client to pull again (only if it said it can). */
  function refreshPull(): void {
    if (mode !== 'push' && canRefresh) void connection.languages.diagnostics.refresh().catch(() => undefined);
  }

  const openByPath = () => new Map(documents.all().map((d) => [uriToPath(d.uri), d]));

  /** Reads open documents from the editor, everything else from disk; records what it read. */
  function host(deps?: Set<string>): CompletionHost {
    const open = openByPath();
    return {
      readFile(p) {
        deps?.add(p);
        const d = open.get(p);
        if (d) return d.getText();
        return diskHost.readFile(p);
      },
      exists(p) {
        deps?.add(p);
        return open.has(p) || fs.existsSync(p);
      },
      listDir(dir) {
        try { return fs.readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() })); } catch { return []; }
      },
    };
  }

  function settingsFor(uri: string): Promise<Settings> {
    if (!canPullConfig) return Promise.resolve(DEFAULTS);
    let s = settingsCache.get(uri);
    if (!s) {
      s = connection.workspace.getConfiguration({ scopeUri: uri, section: 'expctl' }).then(
        (raw: ServerSettings | null) => shape(raw),
        () => DEFAULTS,
      );
      settingsCache.set(uri, s);
    }
    return s;
  }

  function shape(raw: ServerSettings | null | undefined): Settings {
    const v = raw?.validation ?? {};
    const num = (x: unknown, d: number) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : d);
    return {
      maxTrials: num(v.maxTrials, DEFAULTS.maxTrials),
      debounceMs: num(v.debounceMs, DEFAULTS.debounceMs),
      checkFiles: typeof v.checkFiles === 'boolean' ? v.checkFiles : DEFAULTS.checkFiles,
    };
  }

  function validate(doc: TextDocument, settings: Settings): Entry {
    const hit = cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const deps = new Set<string>();
    let validation: Validation;
    try {
      validation = validateText(uriToPath(doc.uri), doc.getText(), host(deps), settings);
    } catch (e) {
      connection.console.error(`expctl: validation of ${doc.uri} failed: ${(e as Error).stack ?? String(e)}`);
      const parsed = parseYaml('');
      validation = { file: uriToPath(doc.uri), parsed, docs: [], diagnostics: [{
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'internal',
        message: `expctl could not check this file: ${(e as Error).message}`,
      }] };
    }
    const entry = { version: doc.version, validation, deps };
    cache.set(doc.uri, entry);
    return entry;
  }

  /** Latest validation for requests: fresh if the cache is current, else validated now with cached settings. */
  async function current(uri: string): Promise<{ doc: TextDocument; entry: Entry } | undefined> {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    return { doc, entry: validate(doc, await settingsFor(uri)) };
  }

  async function publish(uri: string): Promise<void> {
    const doc = documents.get(uri);
    if (!doc) return;
    const settings = await settingsFor(uri);
    const entry = validate(doc, settings);
    if (documents.get(uri)?.version !== entry.version) return; // superseded while settings loaded
    void connection.sendDiagnostics({ uri, version: entry.version, diagnostics: entry.validation.diagnostics.map(toLsp) });
  }

  function schedule(uri: string, immediate = false): void {
    clearTimeout(timers.get(uri));
    timers.delete(uri);
    if (mode === 'pull') return;
    void settingsFor(uri).then((s) => {
      const run = () => { timers.delete(uri); void publish(uri).catch((e) => connection.console.error(String(e))); };
      if (immediate || s.debounceMs === 0) run();
      else timers.set(uri, setTimeout(run, s.debounceMs));
    });
  }

  /** Re-checks open documents that read `path` during their last validation. */
  function revalidateDependents(path: string, except?: string): void {
    for (const [uri, entry] of cache) {
      if (uri === except || !entry.deps.has(path)) continue;
      entry.version = -1;
      if (mode === 'pull') refreshPull();
      else schedule(uri);
    }
  }

  connection.onInitialize((params): InitializeResult => {
    const caps = params.capabilities;
    canPullConfig = !!caps.workspace?.configuration;
    snippets = caps.textDocument?.completion?.completionItem?.snippetSupport ?? false;
    const opts = (params.initializationOptions ?? {}) as InitOptions;
    mode = opts.diagnostics ?? 'push';
    canRefresh = !!caps.workspace?.diagnostics?.refreshSupport;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [':', ' ', '-', '.'], resolveProvider: false },
        hoverProvider: true,
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        ...(mode !== 'push' ? { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'expctl-language-server', version: '0.1.0' },
    };
  });

  // Compile the schemas while the editor is still starting, not on the first keystroke.
  connection.onInitialized(() => { setImmediate(() => { for (const k of ['experiment', 'sweep', 'targets'] as const) builtinValidator(k); }); });

  connection.onDidChangeConfiguration(() => {
    settingsCache.clear();
    for (const [uri, e] of cache) { e.version = -1; schedule(uri); }
    refreshPull();
  });

  documents.onDidOpen((e) => { schedule(e.document.uri, true); revalidateDependents(uriToPath(e.document.uri), e.document.uri); });
  documents.onDidChangeContent((e) => {
    if (e.document.version === 1 && !cache.has(e.document.uri)) return; // the open event schedules it
    schedule(e.document.uri);
    revalidateDependents(uriToPath(e.document.uri), e.document.uri);
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    cache.delete(e.document.uri);
    settingsCache.delete(e.document.uri);
    if (mode !== 'pull') void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    revalidateDependents(uriToPath(e.document.uri));
  });
  connection.onDidChangeWatchedFiles((p) => { for (const c of p.changes) revalidateDependents(uriToPath(c.uri)); });

  connection.languages.diagnostics.on(async (params) => {
    const cur = await guard(() => current(params.textDocument.uri), undefined);
    return { kind: DocumentDiagnosticReportKind.Full, items: cur ? cur.entry.validation.diagnostics.map(toLsp) : [] };
  });

  connection.onCompletion((params) => guard(async () => {
    const cur = await current(params.textDocument.uri);
    if (!cur) return [];
    const offset = cur.doc.offsetAt(params.position);
    return complete(cur.entry.validation, offset, host()).map((c) => toCompletion(c, cur.doc, params.position, snippets));
  }, []));

  connection.onHover((params) => guard(async () => {
    const cur = await current(params.textDocument.uri);
    if (!cur) return null;
    const h = hover(cur.entry.validation, cur.doc.offsetAt(params.position));
    return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: h.range } : null;
  }, null));

  connection.onDocumentSymbol((params) => guard(async () => {
    const cur = await current(params.textDocument.uri);
    return cur ? documentSymbols(cur.entry.validation).map(toSymbol) : [];
  }, []));

  connection.onCodeAction((params) => guard(async () => {
    const cur = await current(params.textDocument.uri);
    if (!cur) return [];
    const actions: CodeAction[] = [];
    const all = cur.entry.validation.diagnostics;
    for (const lsp of params.context.diagnostics) {
      const d = all.find((x) => x.message === lsp.message && sameRange(x.range, lsp.range));
      for (const f of d?.fixes ?? []) {
        actions.push({
          title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: f.preferred,
          edit: { changes: { [params.textDocument.uri]: f.edits } },
        });
      }
    }
    return actions;
  }, []));

  connection.onRequest(FileInfoRequest, (params: FileInfoParams) => guard(async () => {
    const cur = await current(params.uri);
    if (cur) return fileInfo(cur.entry.validation);
    // Not open in the editor: read it from disk.
    const p = uriToPath(params.uri);
    const text = host().readFile(p);
    return text === undefined ? null : fileInfo(validateText(p, text, host(), await settingsFor(params.uri)));
  }, null));

  async function guard<T>(fn: () => Promise<T> | T, fallback: T): Promise<T> {
    try { return await fn(); } catch (e) {
      connection.console.error(`expctl: ${(e as Error).stack ?? String(e)}`);
      return fallback;
    }
  }

  documents.listen(connection);
  connection.listen();
}

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint,
};

function toLsp(d: Diagnostic): LspDiagnostic {
  return { range: d.range, severity: SEVERITY[d.severity], message: d.message, source: 'expctl', code: d.rule };
}

function sameRange(a: Diagnostic['range'], b: Diagnostic['range']): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

const COMPLETION_KIND: Record<CompletionEntry['kind'], CompletionItemKind> = {
  property: CompletionItemKind.Property, value: CompletionItemKind.Value, enum: CompletionItemKind.EnumMember,
  snippet: CompletionItemKind.Snippet, file: CompletionItemKind.File, reference: CompletionItemKind.Reference,
};

function toCompletion(c: CompletionEntry, doc: TextDocument, pos: { line: number; character: number }, snippets: boolean): CompletionItem {
  const text = snippets ? c.insertText : plain(c.insertText);
  return {
    label: c.label, kind: COMPLETION_KIND[c.kind], detail: c.detail, sortText: c.sortText,
    documentation: c.documentation ? { kind: MarkupKind.Markdown, value: c.documentation } : undefined,
    textEdit: { range: { start: doc.positionAt(c.replaceStart), end: pos }, newText: text },
    insertTextFormat: snippets && c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    insertTextMode: InsertTextMode.adjustIndentation,
  };
}

/** Snippet syntax → plain text, for clients without snippet support. */
function plain(s: string): string {
  return s.replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '').replace(/\\([$}\\,|])/g, '$1');
}

const SYMBOL_KIND: Record<CoreSymbol['kind'], SymbolKind> = {
  object: SymbolKind.Object, array: SymbolKind.Array, string: SymbolKind.String, number: SymbolKind.Number,
  boolean: SymbolKind.Boolean, null: SymbolKind.Null, module: SymbolKind.Module,
};

function toSymbol(s: CoreSymbol): DocumentSymbol {
  return { name: s.name || ' ', detail: s.detail, kind: SYMBOL_KIND[s.kind], range: s.range, selectionRange: s.selectionRange, children: s.children?.map(toSymbol) };
}

