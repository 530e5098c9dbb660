// The expctl language server: a thin LSP adapter over core/. Validation results are cached per
// document version; files a validation read or looked for (extends bases, the sweep's experiment,
// targets.yaml, the script in `command`, schema files) are tracked, watched through the client
// (workspace/didChangeWatchedFiles), and editing, creating or deleting one re-checks its dependants.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createConnection, ProposedFeatures,
  CodeActionKind, CompletionItemKind, DiagnosticSeverity, DidChangeWatchedFilesNotification, DocumentDiagnosticReportKind, ErrorCodes, InsertTextFormat, InsertTextMode,
  MarkupKind, ResponseError, SymbolKind, TextDocumentSyncKind, TextDocuments,
} from 'vscode-languageserver/node';
import type {
  CodeAction, CompletionItem, Connection, Diagnostic as LspDiagnostic, Disposable, DocumentSymbol, FileSystemWatcher, InitializeResult, InlayHint, Position,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { emptyFileProblem, validateText } from '../../core/src/validate';
import type { Validation } from '../../core/src/validate';
import { defaultSettings } from '../../core/src/rules/api';
import type { ValidationSettings } from '../../core/src/rules/api';
import type { Diagnostic } from '../../core/src/diagnostic';
import { MAX_TEXT_LENGTH, parseYaml, reparseYaml } from '../../core/src/yaml/document';
import { complete } from '../../core/src/lang/completion';
import type { CompletionEntry, CompletionHost } from '../../core/src/lang/completion';
import { hover } from '../../core/src/lang/hover';
import { documentSymbols } from '../../core/src/lang/symbols';
import type { Symbol as CoreSymbol } from '../../core/src/lang/symbols';
import { fileInfo } from '../../core/src/lang/info';
import { builtinValidator, kindFromFileName, SKIPPED_DIRS } from '../../core/src/schema/registry';
import { diskHost, readTextFile } from '../../core/src/util/disk-host';
import { planFile } from '../../core/src/runner/runner';
import { planResult } from '../../core/src/contract';
import { resultHints, resultHover, resultsTarget } from '../../core/src/lang/results';
import type { ResultsOptions } from '../../core/src/lang/results';
import { StoreReader } from '../../core/src/store/reader';
import { storeDirFor } from '../../core/src/store/store';
import { alive } from '../../core/src/util/process';
import { FileInfoRequest, PlanRequest, ValidateWorkspaceRequest } from './protocol';
import { kafkaDiagnostics, kafkaHover, kafkaTopics } from '../../core/src/kafka/editor';
import { cursorContext } from '../../core/src/lang/context';
import { at as valueAt, isObj } from '../../core/src/util/object';
import type { FileInfoParams, InitOptions, PlanParams, PlanResponse, ServerSettings, ValidateWorkspaceParams, ValidateWorkspaceResult } from './protocol';

interface Entry { version: number; validation: Validation; deps: Set<string> }
interface Settings extends ValidationSettings {
  debounceMs: number;
  /** Absolute results store folder; '' = `.expctl` as the CLI finds it for the file. */
  resultsFolder: string;
  inlayHints: boolean;
  /** expctl.kafka.preflight: data.kafka checked against the live broker (opt-in: it reaches the network). */
  kafkaPreflight: boolean;
}

const DEFAULTS: Settings = { ...defaultSettings, debounceMs: 150, resultsFolder: '', inlayHints: true, kafkaPreflight: false };
/** How often the stores of open files are looked at for finished runs (a stat of the journal when nothing changed). */
const RESULTS_POLL_MS = 1000;
/** workspace/inlayHint/refresh at most this often. */
const HINT_REFRESH_MS = 1000;
/** While hints say how long ago a run ended, they are pulled again this often so that "3m ago" does not stay. */
const AGE_REFRESH_MS = 60_000;
/** Files watched for dependants at most; past it a file is re-read only when a dependant is edited. */
const MAX_WATCHED = 1000;
/** expctl/plan: trials made at most when the request does not say. */
const DEFAULT_PLAN_LIMIT = 2000;
/** Validate Workspace: files checked at most. */
const MAX_WORKSPACE_FILES = 5000;
/** Our own file names, watched while Validate Workspace shows closed files. */
const OWN_FILES = ['**/*.{experiment,sweep}.{yaml,yml}', '**/{experiment,sweep,targets}.{yaml,yml}'];

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
  let canWatch = false;
  let relativePatterns = false;
  let initialized = false;
  let folders: string[] = [];
  let canFolders = false;
  /** Closed files whose diagnostics Validate Workspace published, by path; deps unset while open in the editor. */
  const checked = new Map<string, { uri: string; deps?: Set<string> }>();

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
        (raw: ServerSettings | null) => shape(raw, uri),
        () => DEFAULTS,
      );
      settingsCache.set(uri, s);
    }
    return s;
  }

  function shape(raw: ServerSettings | null | undefined, uri: string): Settings {
    const v = raw?.validation ?? {};
    // expctl.schemas paths and globs are relative to the document's workspace folder (its own folder outside any).
    const file = uriToPath(uri);
    const root = folders.filter((f) => file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0] ?? path.dirname(file);
    const schemas = raw?.schemas && typeof raw.schemas === 'object' && !Array.isArray(raw.schemas) ? { root, schemas: raw.schemas } : undefined;
    const num = (x: unknown, d: number) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : d);
    const results = raw?.results ?? {};
    const folder = typeof results.folder === 'string' ? results.folder.trim() : '';
    return {
      maxTrials: num(v.maxTrials, DEFAULTS.maxTrials),
      debounceMs: num(v.debounceMs, DEFAULTS.debounceMs),
      checkFiles: typeof v.checkFiles === 'boolean' ? v.checkFiles : DEFAULTS.checkFiles,
      schemas,
      // expctl.results.folder is relative to the workspace folder, as the extension resolves it.
      resultsFolder: folder ? path.resolve(root, folder) : '',
      inlayHints: typeof results.inlayHints === 'boolean' ? results.inlayHints : DEFAULTS.inlayHints,
      kafkaPreflight: raw?.kafka?.preflight === true,
    };
  }

  function validate(doc: TextDocument, settings: Settings): Entry {
    const hit = cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const deps = new Set<string>();
    let validation: Validation;
    try {
      // The previous version's parse is patched when the edit allows it (one value retyped); the
      // previous entry is replaced below, so nothing reads the patched parse as the old version.
      const text = doc.getText();
      validation = validateText(uriToPath(doc.uri), text, host(deps), settings, reparseYaml(hit?.validation.parsed, text));
    } catch (e) {
      connection.console.error(`expctl: validation of ${doc.uri} failed: ${(e as Error).stack ?? String(e)}`);
      const parsed = parseYaml('');
      validation = { file: uriToPath(doc.uri), parsed, docs: [], diagnostics: [{
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'internal',
        message: `expctl could not check this file: ${(e as Error).message}`,
      }] };
    }
    // Editors send every YAML file (so a modeline or expctl.schemas can name a schema anywhere): a
    // file that is neither ours nor names a schema is another tool's — no diagnostics, not even syntax.
    if (!kindFromFileName(validation.file) && validation.docs.every((d) => d.schema.type === 'none')) validation.diagnostics = [];
    const entry = { version: doc.version, validation, deps };
    cache.set(doc.uri, entry);
    watchDeps();
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
    void connection.sendDiagnostics({ uri, version: entry.version, diagnostics: withKafka(uri, entry).map(toLsp) });
    if (settings.kafkaPreflight) startKafka(uri, entry, settings);
  }

  // Kafka preflight (expctl.kafka.preflight): computed after the document's own diagnostics are out,
  // and merged in when it answers — only if the document is still at the version it checked.
  const kafkaResults = new Map<string, { version: number; diagnostics: Diagnostic[] }>();
  const kafkaRunning = new Map<string, number>();
  function withKafka(uri: string, entry: Entry): Diagnostic[] {
    const k = kafkaResults.get(uri);
    return k && k.version === entry.version ? [...entry.validation.diagnostics, ...k.diagnostics] : entry.validation.diagnostics;
  }
  function startKafka(uri: string, entry: Entry, settings: Settings): void {
    if (kafkaRunning.get(uri) === entry.version || kafkaResults.get(uri)?.version === entry.version) return;
    kafkaRunning.set(uri, entry.version);
    const t0 = Date.now();
    kafkaDiagnostics(entry.validation, host(), settings).then((diagnostics) => {
      if (kafkaRunning.get(uri) === entry.version) kafkaRunning.delete(uri);
      const doc = documents.get(uri);
      if (!doc || doc.version !== entry.version || cache.get(uri) !== entry) return; // stale: dropped
      kafkaResults.set(uri, { version: entry.version, diagnostics: diagnostics ?? [] });
      if (diagnostics) connection.console.log(`expctl: kafka preflight of ${path.basename(uriToPath(uri))}: ${diagnostics.length} problem(s) in ${Date.now() - t0} ms`);
      if (mode === 'pull') refreshPull();
      else void connection.sendDiagnostics({ uri, version: entry.version, diagnostics: withKafka(uri, entry).map(toLsp) });
    }, (e: unknown) => {
      kafkaRunning.delete(uri);
      connection.console.error(`expctl: kafka preflight of ${uri} failed: ${(e as Error).stack ?? String(e)}`);
    });
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

  /** Re-checks open documents that read (or looked for) `file` during their last validation. */
  function revalidateDependents(file: string, except?: string): void {
    for (const [uri, entry] of cache) {
      if (uri === except || !entry.deps.has(file)) continue;
      entry.version = -1;
      if (mode === 'pull') refreshPull();
      else schedule(uri);
    }
  }

  // Watchers: the client reports changes to exactly the files the open documents (and the closed
  // files Validate Workspace checked) read or looked for — existing or not, so creating a missing
  // train.py clears its error. Re-registered as one set whenever that set changes.
  let watchedKey = '';
  let watchTimer: NodeJS.Timeout | undefined;
  let registration: Promise<Disposable | undefined> = Promise.resolve(undefined);

  function watchDeps(): void {
    if (!canWatch || !initialized) return;
    clearTimeout(watchTimer);
    watchTimer = setTimeout(syncWatchers, 50); // one registration per burst of validations
  }

  function syncWatchers(): void {
    const paths = new Set<string>();
    for (const e of cache.values()) for (const p of e.deps) paths.add(p);
    for (const c of checked.values()) for (const p of c.deps ?? []) paths.add(p);
    // While closed files are shown, OWN_FILES covers our files inside the folders: no watcher each.
    if (checked.size) for (const p of paths) if (kindFromFileName(p) && folders.some((f) => p.startsWith(f + path.sep))) paths.delete(p);
    const watchers = [...paths].sort().slice(0, MAX_WATCHED).map(watcherFor);
    if (checked.size) watchers.push(...OWN_FILES.map((globPattern) => ({ globPattern })));
    const key = JSON.stringify(watchers);
    if (key === watchedKey) return;
    watchedKey = key;
    if (paths.size > MAX_WATCHED) connection.console.warn(`expctl: ${paths.size} files to watch; watching the first ${MAX_WATCHED}. Others are re-read when a file that uses them is edited.`);
    // The new set is registered before the old one goes, so no change falls between the two.
    registration = registration.then(async (old) => {
      const next = watchers.length === 0 ? undefined : await connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).then(
        (d) => d,
        (e: unknown) => { connection.console.error(`expctl: could not register file watchers: ${String(e)}`); return undefined; },
      );
      old?.dispose();
      return next;
    });
  }

  /** A watcher for one file: relative to its workspace folder (or its own folder) when the client allows. */
  function watcherFor(file: string): FileSystemWatcher {
    if (!relativePatterns) return { globPattern: globLiteral(file.split(path.sep).join('/')) };
    const base = folders.find((f) => file.startsWith(f + path.sep)) ?? path.dirname(file);
    return { globPattern: { baseUri: pathToFileURL(base).href, pattern: globLiteral(path.relative(base, file).split(path.sep).join('/')) } };
  }

  /** Re-checks closed files Validate Workspace showed that read `changed` (or are it), one at a time. */
  const recheckQueue = new Set<string>();
  let draining = false;
  function recheckClosed(changed: string): void {
    for (const [file, c] of checked) if (c.deps?.has(changed)) recheckQueue.add(file);
    if (draining || !recheckQueue.size) return;
    draining = true;
    void (async () => {
      for (const file of recheckQueue) {
        recheckQueue.delete(file);
        await checkClosed(file).catch((e) => connection.console.error(`expctl: ${String(e)}`));
        await new Promise((r) => setImmediate(r)); // a changed targets.yaml may concern thousands: stay responsive
      }
      draining = false;
    })();
  }

  /**
   * Validates a closed file from disk and publishes its diagnostics, as `expctl validate` reports
   * them; a file that is gone has its diagnostics cleared and is forgotten.
   */
  async function checkClosed(file: string): Promise<Diagnostic[]> {
    const uri = checked.get(file)?.uri ?? pathToFileURL(file).href;
    const deps = new Set<string>([file]);
    // Read as the CLI reads it (the host's 5 MB cap is for referenced files): a file past the
    // parser's 8 MB gets its file-too-large note; only one past 64 MB is not even read.
    const read = readTextFile(file, 8 * MAX_TEXT_LENGTH);
    if ('missing' in read) {
      checked.delete(file);
      void connection.sendDiagnostics({ uri, diagnostics: [] });
      watchDeps();
      return [];
    }
    let diagnostics: Diagnostic[];
    if ('refused' in read) {
      diagnostics = [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'file-unreadable',
        message: `expctl cannot check this file: it is ${read.refused}.` }];
    } else {
      // Settings of the file's folder: one configuration request per folder, not per file.
      const v = validateText(file, read.text, host(deps), await settingsFor(pathToFileURL(path.dirname(file)).href));
      const empty = emptyFileProblem(file, v); // as `expctl validate` says of a file on disk
      diagnostics = empty ? [empty] : v.diagnostics;
    }
    if (documents.get(uri)) return diagnostics; // opened meanwhile: the editor's copy is what counts
    checked.set(file, { uri, deps });
    void connection.sendDiagnostics({ uri, diagnostics: diagnostics.map(toLsp) });
    watchDeps();
    return diagnostics;
  }

  /** Our files under the workspace folders, sorted, at most `limit` (and whether there were more). */
  async function workspaceFiles(limit: number): Promise<{ files: string[]; capped: boolean }> {
    const files: string[] = [];
    const walk = async (dir: string): Promise<boolean> => {
      let entries: fs.Dirent[];
      try { entries = await fs.promises.readdir(dir, { withFileTypes: true }); } catch { return true; }
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) { if (!SKIPPED_DIRS.has(e.name) && !(await walk(p))) return false; }
        else if (e.isFile() && kindFromFileName(p)) {
          if (files.length === limit) return false;
          files.push(p);
        }
      }
      return true;
    };
    for (const f of await workspaceFolders()) if (!(await walk(f))) return { files, capped: true };
    return { files, capped: false };
  }

  async function workspaceFolders(): Promise<string[]> {
    // Asked at each use: folders added since `initialize` count.
    if (canFolders) {
      const live = await connection.workspace.getWorkspaceFolders().catch(() => null);
      if (live) folders = live.map((f) => uriToPath(f.uri));
    }
    return folders;
  }

  async function validateWorkspace(params: ValidateWorkspaceParams | undefined): Promise<ValidateWorkspaceResult> {
    const limit = typeof params?.maxFiles === 'number' && params.maxFiles > 0 ? Math.floor(params.maxFiles) : MAX_WORKSPACE_FILES;
    const { files, capped } = await workspaceFiles(limit);
    const open = openByPath();
    const result: ValidateWorkspaceResult = { files: files.length, errors: 0, warnings: 0, filesWithErrors: 0, capped, limit };
    for (const file of files) {
      const doc = open.get(file);
      let diagnostics: Diagnostic[];
      if (doc) {
        diagnostics = (await current(doc.uri))?.entry.validation.diagnostics ?? [];
        checked.set(file, { uri: doc.uri }); // listed from disk again once closed
      } else {
        diagnostics = await checkClosed(file);
        await new Promise((r) => setImmediate(r)); // answer the editor between files
      }
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      result.errors += errors;
      result.warnings += diagnostics.filter((d) => d.severity === 'warning').length;
      if (errors) result.filesWithErrors++;
    }
    return result;
  }

  // Results inline in the YAML (issue 16 item 5). One incremental reader (core/src/store/reader.ts)
  // per store that open files' runs go to: after its first load a look is a stat of the journal and
  // reads of the runs its new lines name, all async — diagnostics never wait on the store.
  const stores = new Map<string, { reader: StoreReader; ready: Promise<unknown> }>();
  /** Open document → the store its hints and hovers read. */
  const docStores = new Map<string, string>();
  let canHintRefresh = false;
  let commandLinks = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let hintTimer: NodeJS.Timeout | undefined;
  let lastHintRefresh = 0;
  /** When hints with an age (`… 3m12s ago`) were last given. */
  let agesShown = 0;
  const host0 = os.hostname();
  const resultOptions = (): ResultsOptions => ({
    now: Date.now(), commandLinks,
    // Only a runner of this machine can be looked up; another host's run keeps the status it has.
    orphaned: (r) => r.host === host0 && !alive(r.runner_pid),
  });

  /** The store's runs as of now. Changes found after its first load ask the editor to pull hints again. */
  async function look(root: string): Promise<StoreReader> {
    let s = stores.get(root);
    if (!s) {
      const reader = new StoreReader(root);
      s = { reader, ready: reader.refresh().catch((e: unknown) => connection.console.error(`expctl: could not read the results store ${root}: ${String(e)}`)) };
      stores.set(root, s);
      // Finished runs show without an edit: look at the stores of open files every second.
      if (canHintRefresh) pollTimer ??= setInterval(poll, RESULTS_POLL_MS).unref();
      await s.ready;
      return reader;
    }
    await s.ready;
    if (await s.reader.refresh()) hintsChanged();
    return s.reader;
  }

  function poll(): void {
    if (agesShown && Date.now() - Math.max(agesShown, lastHintRefresh) >= AGE_REFRESH_MS) { agesShown = 0; hintsChanged(); }
    for (const root of stores.keys()) void look(root).catch((e) => connection.console.error(`expctl: could not read the results store ${root}: ${String(e)}`));
  }

  /** workspace/inlayHint/refresh, at most once per HINT_REFRESH_MS, only to a client that can take it. */
  function hintsChanged(): void {
    if (!canHintRefresh || hintTimer) return;
    hintTimer = setTimeout(() => {
      hintTimer = undefined;
      lastHintRefresh = Date.now();
      void connection.languages.inlayHint.refresh().catch(() => undefined);
    }, Math.max(0, lastHintRefresh + HINT_REFRESH_MS - Date.now()));
  }

  /** Stops reading stores no open file uses. */
  function untrack(uri: string): void {
    if (!docStores.delete(uri)) return;
    const used = new Set(docStores.values());
    for (const root of [...stores.keys()]) if (!used.has(root)) stores.delete(root);
    if (!stores.size) { clearInterval(pollTimer); pollTimer = undefined; }
  }

  /** A sweep or experiment file's validation (current as of the answer) and its runs; undefined for other files. */
  async function resultsOf(uri: string, settings: Settings) {
    const kind = kindFromFileName(uriToPath(uri));
    if ((kind !== 'sweep' && kind !== 'experiment') || !documents.get(uri)) return undefined;
    const root = settings.resultsFolder || storeDirFor(uriToPath(uri));
    docStores.set(uri, root);
    const reader = await look(root);
    // Validated after the await: positions are those of the text the editor has now.
    const cur = await current(uri);
    const target = cur && resultsTarget(cur.entry.validation);
    if (!cur || !target) return undefined;
    const ids = new Set(target.sweepIds);
    return { cur, target, runs: reader.all().filter((r) => ids.has(r.sweep_id)) };
  }

  connection.onInitialize((params): InitializeResult => {
    const caps = params.capabilities;
    canPullConfig = !!caps.workspace?.configuration;
    snippets = caps.textDocument?.completion?.completionItem?.snippetSupport ?? false;
    const opts = (params.initializationOptions ?? {}) as InitOptions;
    mode = opts.diagnostics ?? 'push';
    canRefresh = !!caps.workspace?.diagnostics?.refreshSupport;
    canWatch = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    relativePatterns = !!caps.workspace?.didChangeWatchedFiles?.relativePatternSupport;
    canFolders = !!caps.workspace?.workspaceFolders;
    canHintRefresh = !!caps.workspace?.inlayHint?.refreshSupport;
    commandLinks = opts.commandLinks === true;
    folders = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri }] : [])).map((f) => uriToPath(f.uri));
    warmUp();
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [':', ' ', '-', '.'], resolveProvider: false },
        hoverProvider: true,
        documentSymbolProvider: true,
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        ...(mode !== 'push' ? { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'expctl-language-server', version: '0.1.0' },
    };
  });

  // Compile the schemas while the editor is still starting, not on the first keystroke.
  connection.onInitialized(() => {
    initialized = true; // dynamic registration (file watchers) is allowed from now on
    watchDeps();
  });

  connection.onDidChangeConfiguration(() => {
    settingsCache.clear();
    for (const [uri, e] of cache) { e.version = -1; schedule(uri); }
    refreshPull();
    hintsChanged(); // expctl.results.* may have changed
  });

  documents.onDidOpen((e) => {
    schedule(e.document.uri, true);
    revalidateDependents(uriToPath(e.document.uri), e.document.uri);
    // A closed file Validate Workspace showed is now the editor's: drop what was pushed for it
    // (a pull-mode client would list both), unless the open document's push replaces it.
    const c = checked.get(uriToPath(e.document.uri));
    if (c) {
      c.deps = undefined;
      if (mode === 'pull' || c.uri !== e.document.uri) void connection.sendDiagnostics({ uri: c.uri, diagnostics: [] });
    }
  });
  documents.onDidChangeContent((e) => {
    if (e.document.version === 1 && !cache.has(e.document.uri)) return; // the open event schedules it
    schedule(e.document.uri);
    revalidateDependents(uriToPath(e.document.uri), e.document.uri);
  });
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    kafkaResults.delete(e.document.uri);
    kafkaRunning.delete(e.document.uri);
    cache.delete(e.document.uri);
    settingsCache.delete(e.document.uri);
    untrack(e.document.uri);
    // A file Validate Workspace showed stays in Problems, checked from disk again.
    if (checked.has(uriToPath(e.document.uri))) void checkClosed(uriToPath(e.document.uri));
    else if (mode !== 'pull') void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    revalidateDependents(uriToPath(e.document.uri));
    watchDeps();
  });
  connection.onDidChangeWatchedFiles((p) => {
    for (const c of p.changes) {
      const changed = uriToPath(c.uri);
      revalidateDependents(changed);
      recheckClosed(changed);
    }
  });

  connection.languages.diagnostics.on(async (params) => {
    const uri = params.textDocument.uri;
    const cur = await guard(() => current(uri), undefined);
    if (cur && (await settingsFor(uri)).kafkaPreflight) startKafka(uri, cur.entry, await settingsFor(uri));
    return { kind: DocumentDiagnosticReportKind.Full, items: cur ? withKafka(uri, cur.entry).map(toLsp) : [] };
  });

  connection.onCompletion((params) => guard(async () => {
    const cur = await current(params.textDocument.uri);
    if (!cur) return [];
    const offset = cur.doc.offsetAt(params.position);
    // A kafka `topic:` value: the broker's topics, asked now (bounded, cached 10 s) when the setting is on.
    let topics: CompletionHost['kafkaTopics'];
    const ctx = cursorContext(cur.entry.validation, offset);
    if (ctx?.type === 'value' && ctx.path[ctx.path.length - 1] === 'topic' && ctx.path[ctx.path.length - 2] === 'kafka' && (await settingsFor(params.textDocument.uri)).kafkaPreflight) {
      const vd = cur.entry.validation.docs[ctx.docIndex];
      const block = valueAt(vd?.config ?? cur.entry.validation.parsed.docs[ctx.docIndex]?.value, ...ctx.path.slice(0, -1));
      if (isObj(block)) topics = await kafkaTopics(cur.entry.validation, block as Record<string, unknown>).catch(() => undefined);
    }
    return complete(cur.entry.validation, offset, { ...host(), kafkaTopics: topics }).map((c) => toCompletion(c, cur.doc, params.position, snippets));
  }, []));

  connection.onHover((params) => guard(async () => {
    const uri = params.textDocument.uri;
    // The runs behind a swept value, a list trial or `name:`, below what the schema says of it.
    const res = await resultsOf(uri, await settingsFor(uri)).catch((e: unknown) => {
      connection.console.error(`expctl: results for the hover: ${String(e)}`);
      return undefined;
    });
    const cur = res?.cur ?? await current(uri);
    if (!cur) return null;
    const offset = cur.doc.offsetAt(params.position);
    const h = hover(cur.entry.validation, offset, host());
    const r = res && resultHover(cur.entry.validation, offset, res.target, res.runs, resultOptions());
    const k = (await settingsFor(uri)).kafkaPreflight ? await kafkaHover(cur.entry.validation, offset).catch(() => undefined) : undefined;
    const parts = [h?.markdown, k?.markdown, r?.markdown].filter((x): x is string => !!x);
    return parts.length ? { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') }, range: h?.range ?? r?.range } : null;
  }, null));

  connection.languages.inlayHint.on((params) => guard(async (): Promise<InlayHint[]> => {
    const uri = params.textDocument.uri;
    const settings = await settingsFor(uri);
    if (!settings.inlayHints) return [];
    const res = await resultsOf(uri, settings);
    if (!res) return [];
    const inside = (p: Position) => !before(p, params.range.start) && !before(params.range.end, p);
    const hints = resultHints(res.cur.entry.validation, res.target, res.runs, resultOptions()).filter((h) => inside(h.position));
    if (hints.some((h) => h.aged)) agesShown = Date.now();
    return hints.map((h) => ({ position: h.position, label: h.label, tooltip: h.tooltip, paddingLeft: true }));
  }, []));

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

  connection.onRequest(PlanRequest, (params: PlanParams) => guard(async (): Promise<PlanResponse> => {
    const file = uriToPath(params.uri);
    const limit = Math.max(1, Math.floor(params.limit ?? DEFAULT_PLAN_LIMIT));
    const { plan, diagnostics } = planFile(file, host(), { ...await settingsFor(params.uri), maxTrials: limit }, limit);
    if (plan) return { plan: planResult(plan) };
    const errors = diagnostics.map((d) => ({ line: d.range.start.line + 1, column: d.range.start.character + 1, message: d.message, rule: d.rule }));
    return { errors: errors.length ? errors : [{ line: 1, column: 1, message: 'holds no experiment or sweep', rule: 'file-kind' }] };
  }, { errors: [{ line: 1, column: 1, message: 'could not be planned: the language server failed (see the expctl output)', rule: 'internal' }] }));

  connection.onRequest(ValidateWorkspaceRequest, async (params: ValidateWorkspaceParams | undefined) => {
    try { return await validateWorkspace(params); } catch (e) {
      // Not a silent empty answer: the client shows why the check did not happen.
      connection.console.error(`expctl: ${(e as Error).stack ?? String(e)}`);
      throw new ResponseError(ErrorCodes.InternalError, `expctl could not check the workspace: ${(e as Error).message}`);
    }
  });

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

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
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
    textEdit: { range: { start: doc.positionAt(c.replaceStart), end: c.replaceEnd === undefined ? pos : doc.positionAt(c.replaceEnd) }, newText: text },
    insertTextFormat: snippets && c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    insertTextMode: InsertTextMode.adjustIndentation,
  };
}

/**
 * A file name as a glob that matches it. Glob syntax has no portable escape, so each special
 * character becomes `?` (any one character): the file is always matched, at worst with a neighbour.
 */
function globLiteral(p: string): string {
  return p.replace(/[*?[\]{}]/g, '?');
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


/** One small file of each kind, checked once while the editor waits for `initialize`. */
const WARM_UP: Array<[string, string]> = [
  ['/expctl-warm-up/w.experiment.yaml', 'name: w\ncommand: [python3, w.py, "{params.lr}"]\nparams: { lr: 0.1 }\nretry: { max_retries: 1, on: [oom] }\nresources: { gpus: 1 }\n'],
  ['/expctl-warm-up/w.sweep.yaml', 'base: { name: w, command: [python3, w.py] }\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.01] }\n  params.bs:\n    values: [1, 2]\n'],
  ['/expctl-warm-up/targets.yaml', 'targets:\n  box: { type: local, max_parallel: 2 }\n'],
];

/**
 * Compiles the validators and runs the parser, schema checks and rules once on tiny files, so that
 * the user's first file does not pay for V8 compiling them (a third of a 13k-line file's first
 * check). Done in `initialize`, whose answer the editor awaits while it starts anyway.
 */
function warmUp(): void {
  const none = { readFile: () => undefined, exists: () => false };
  for (const k of ['experiment', 'sweep', 'targets'] as const) builtinValidator(k);
  for (const [file, text] of WARM_UP) validateText(file, text, none);
}
