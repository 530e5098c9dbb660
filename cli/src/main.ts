// `expctl` command line over core/. User errors print a clear message and exit non-zero, never a
// stack trace: 0 ok, 1 problems found in the inputs, 2 bad usage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { validateText } from '../../core/src/validate';
import type { Validation } from '../../core/src/validate';
import { defaultSettings } from '../../core/src/rules/api';
import type { FileHost } from '../../core/src/rules/api';
import { formatDiagnostic, severityRank } from '../../core/src/diagnostic';
import { kindFromFileName } from '../../core/src/schema/registry';
import { expandSweep } from '../../core/src/sweep';
import { csvTable } from '../../core/src/util/csv';
import type { Trial } from '../../core/src/sweep';
import type { Experiment, Sweep } from '../../core/src/config/types';
import { serve, transportGiven } from '../../server/src/server';
import { version } from '../../package.json';

class UsageError extends Error {}
class InputError extends Error {}

const HELP = `expctl ${version} — validate, plan and run GPU experiments kept as YAML

Usage:
  expctl validate <file|folder>...   Check experiment, sweep and targets files
        --json                       Machine-readable output
        --quiet                      Only errors (no warnings or information)
  expctl plan <sweep|experiment>     List the trials a sweep or experiment expands to
        --json | --csv               Output format (default: a table)
        --limit N                    Show at most N trials (default: all)
  expctl lsp --stdio                 Start the language server (also: expctl-language-server)
  expctl --version | --help

Files are recognised by name: *.experiment.yaml, *.sweep.yaml, targets.yaml (or a
'# yaml-language-server: $schema=…' modeline / a top-level $schema key).
`;

const diskHost: FileHost = {
  readFile(p) { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists(p) { return fs.existsSync(p); },
};

function readInput(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${file}: no such file` : code === 'EISDIR' ? `${file}: is a folder` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

/** Our files under a folder (skipping VCS, dependency and results folders). */
function collect(target: string): string[] {
  let stat: fs.Stats;
  try { stat = fs.statSync(target); } catch { throw new InputError(`${target}: no such file or folder`); }
  if (!stat.isDirectory()) return [target];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (!['node_modules', '.git', '.expctl', 'dist', '.cache'].includes(e.name)) walk(p); }
      else if (kindFromFileName(p)) out.push(p);
    }
  };
  walk(target);
  return out;
}

function cmdValidate(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, quiet: { type: 'boolean' } } });
  if (!positionals.length) throw new UsageError('validate needs at least one file or folder, e.g. `expctl validate examples/`');
  const files = positionals.flatMap(collect);
  if (!files.length) throw new InputError(`No experiment, sweep or targets files found in ${positionals.join(', ')} (looked for *.experiment.yaml, *.sweep.yaml, targets.yaml).`);
  const results: Array<{ file: string; v: Validation }> = files.map((file) => ({ file, v: validateText(path.resolve(file), readInput(file), diskHost) }));
  let errors = 0;
  let warnings = 0;
  const rows: object[] = [];
  for (const { file, v } of results) {
    const shown = v.diagnostics
      .filter((d) => !values.quiet || d.severity === 'error')
      .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || severityRank[a.severity] - severityRank[b.severity]);
    for (const d of shown) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      if (values.json) rows.push({ file, line: d.range.start.line + 1, column: d.range.start.character + 1, endLine: d.range.end.line + 1, endColumn: d.range.end.character + 1, severity: d.severity, rule: d.rule, message: d.message });
      else process.stdout.write(`${formatDiagnostic(file, d)}\n`);
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ files: files.length, errors, warnings, diagnostics: rows }, null, 2)}\n`);
  else process.stderr.write(`${files.length} file${files.length === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  return errors ? 1 : 0;
}

function cmdPlan(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, csv: { type: 'boolean' }, limit: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('plan needs one sweep or experiment file, e.g. `expctl plan examples/quickstart/grid.sweep.yaml`');
  if (values.json && values.csv) throw new UsageError('choose one of --json and --csv');
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive whole number, got "${values.limit}"`);
  const file = positionals[0];
  const v = validateText(path.resolve(file), readInput(file), diskHost, { ...defaultSettings, maxTrials: Number.MAX_SAFE_INTEGER });
  const vd = v.docs[0];
  const errs = v.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) {
    for (const d of errs) process.stderr.write(`${formatDiagnostic(file, d)}\n`);
    process.stderr.write(`${file}: cannot plan, ${errs.length} error${errs.length === 1 ? '' : 's'} (see above).\n`);
    return 1;
  }
  let trials: Trial[];
  let total: number;
  let excluded = 0;
  let header: string;
  if (vd?.kind === 'sweep') {
    const sweep = vd.config as Sweep;
    const ex = expandSweep(sweep, vd.experiment, { limit, sweepName: path.basename(file).replace(/\.sweep\.ya?ml$/, '') });
    ({ trials, total, excluded } = ex);
    header = `${file}: ${total} trial${total === 1 ? '' : 's'} (method ${sweep.method ?? 'grid'}${excluded ? `, ${excluded} excluded` : ''}, max_parallel ${sweep.max_parallel ?? 1})`;
  } else if (vd?.kind === 'experiment') {
    const exp = vd.config as Experiment;
    total = exp.repeat ?? 1;
    const single = expandSweep({ method: 'list', trials: [{}], repeat: total }, exp, { limit });
    trials = single.trials;
    header = `${file}: ${total} run${total === 1 ? '' : 's'} of experiment ${exp.name}`;
  } else {
    throw new InputError(`${file}: not a sweep or experiment file (name it *.sweep.yaml or *.experiment.yaml)`);
  }
  const columns = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, kind: vd.kind, total, excluded, trials: trials.map((t) => ({ index: t.index, name: t.name, key: t.key, repeat: t.repeat, params: t.params })) }, null, 2)}\n`);
  } else if (values.csv) {
    process.stdout.write(csvTable(['index', 'name', 'key', 'repeat', ...columns], trials.map((t) => [t.index, t.name, t.key, t.repeat, ...columns.map((c) => t.params[c])])));
  } else {
    process.stdout.write(`${header}\n`);
    const rows = trials.map((t) => [String(t.index), t.name, t.key, ...columns.map((c) => show(t.params[c]))]);
    process.stdout.write(table(['#', 'name', 'key', ...columns], rows));
    if (trials.length < total) process.stdout.write(`… ${total - trials.length} more (use --limit to change)\n`);
  }
  return 0;
}

const show = (x: unknown) => (x === undefined ? '' : typeof x === 'string' ? x : JSON.stringify(x));

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    case '-v': case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case 'validate': return cmdValidate(rest);
    case 'plan': return cmdPlan(rest);
    case 'lsp':
      if (!transportGiven(rest)) throw new UsageError('lsp needs a transport: --stdio, --node-ipc or --socket=PORT');
      serve();
      return -1; // keeps running
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

function run(): void {
  // `expctl plan … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  try {
    const code = main(process.argv.slice(2));
    if (code >= 0) process.exitCode = code;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`expctl: ${(e as Error).message}\nRun \`expctl --help\` for usage.\n`);
      process.exitCode = 2;
    } else if (e instanceof InputError) {
      process.stderr.write(`expctl: ${(e as Error).message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`expctl: internal error: ${(e as Error).stack ?? String(e)}\nPlease report this with the command you ran.\n`);
      process.exitCode = 70;
    }
  }
}

if (require.main === module) run();
