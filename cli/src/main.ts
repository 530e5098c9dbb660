// `expctl` command line over core/. User errors print a clear message and exit non-zero, never a
// stack trace: 0 ok, 1 problems found in the inputs, 2 bad usage.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { emptyFileProblem, findTargets, validateText } from '../../core/src/validate';
import type { Validation } from '../../core/src/validate';
import { formatDiagnostic, severityRank } from '../../core/src/diagnostic';
import { kindFromFileName, SKIPPED_DIRS } from '../../core/src/schema/registry';
import { csvTable } from '../../core/src/util/csv';
import { cancelRuns, effectiveParallel, openStore, planDecisions, planFile, runPlan, MAX_SWEEP_TRIALS } from '../../core/src/runner/runner';
import { DEFAULT_RERUN, parseRerun } from '../../core/src/runner/resume';
import type { Decision, RerunPolicy } from '../../core/src/runner/resume';
import { CLI_JSON_VERSION, planResult } from '../../core/src/contract';
import type { CancelResult, DetachResult, ErrorResult, LsResult, StatusResult } from '../../core/src/contract';
import { resolveTarget, TargetError } from '../../core/src/targets';
import type { Target } from '../../core/src/targets/api';
import type { KubernetesTarget, TargetsFile } from '../../core/src/config/types';
import { ManifestError, workload } from '../../core/src/k8s/manifest';
import { PreflightError } from '../../core/src/k8s/preflight';
import { KubeError, messageOf } from '../../core/src/k8s/kube';
import { formatCount, trialConfig } from '../../core/src/sweep';
import { toYaml } from '../../core/src/yaml/emit';
import type { RunRecord, RunSource } from '../../core/src/store/store';
import { StoreReader } from '../../core/src/store/reader';
import { anyActive, metricProblems, storeStatus } from '../../core/src/runner/status';
import type { SweepStatus } from '../../core/src/runner/status';
import { metricText, runWarnings } from '../../core/src/runner/metrics';
import { KafkaMetricsError } from '../../core/src/runner/kafka-metrics';
import { problemLines, ProgressLine, renderStatus, styleFor } from './render';
import { spawn } from 'node:child_process';
import type { Plan } from '../../core/src/runner/runner';
import { FileStore, storeDirFor } from '../../core/src/store/store';
import { DiskFullError } from '../../core/src/store/atomic';
import { checkLock, LockedError, sweepLockFile } from '../../core/src/store/lock';
import { follow, localTarget } from '../../core/src/targets/local';
import { spawner } from '../../core/src/targets/spawner';
import { version } from '../../package.json';
import type * as Analyze from './analyze';
import type * as Server from '../../server/src/server';
import { diskHost, ensureDir, InputError, positiveInt, readInput, reportDamaged, resolveRunId, storeFrom, table, UsageError } from './common';
import { kafkaPreflight, timeoutMs } from './check';


const HELP = `expctl ${version} — validate, plan and run GPU experiments kept as YAML

Usage:
  expctl validate <file|folder>...   Check experiment, sweep and targets files
        --json                       Machine-readable output
        --quiet                      Only errors (no warnings or information)
  expctl check <sweep|experiment>    Check the data the trials read: Kafka broker reachable, topic, partitions,
                                     offset ranges within the watermarks, split, format and compression
        --timeout S                  Wait at most S seconds per broker (default 5)
        --targets FILE               The targets.yaml for kafka.security defaults (default: the nearest one)
  expctl plan <sweep|experiment>     List the trials a sweep or experiment expands to
        --json | --csv               Output format (default: a table)
        --limit N                    Show at most N trials (default: all, up to 100,000)
        --store DIR                  With a results store, a state column: new, succeeded, changed…
  expctl run <sweep|experiment>      Run every trial that has not succeeded yet (resume is automatic)
        --target NAME                A target from targets.yaml (default: the sweep's or
                                     experiment's target:, targets.yaml's default:, else local)
        --max-parallel N             Runs at once (default: the sweep's max_parallel)
        --gpus 0,1 | none            GPUs to use (default: the target's gpus:, else nvidia-smi)
        --targets FILE               The targets.yaml to use (default: the nearest one)
        --rerun changed|failed|all|none   Which trials that ran before run again (comma-separated;
                                     default changed: those whose config or script changed)
        --force                      Run every trial again (= --rerun all)
        --retry-failed               Also re-run trials that failed (= --rerun changed,failed)
        --dry-run                    Show what would run and why, start nothing
        --no-preflight               Skip the checks before launch (Kafka data, cluster target)
        --store DIR                  Results folder (default: .expctl next to the project)
        --detach                     Keep running in the background; the log goes to the store
        --json                       With --detach: one JSON object (sweep id, pid, log)
  expctl status [sweep-id]           Progress of each sweep: counts, running trials, latest metric, best
        -w, --watch                  Keep refreshing until nothing is running (--interval S, default 1)
        --json                       Machine-readable output (versioned, as plan, ls and cancel)
  expctl ls                          List runs in the store (newest last)
        --sweep ID  --status S       Only one sweep / status;  --json  machine-readable
  expctl logs <run-id>               Print a run's stdout and stderr
        -f, --follow                 Keep printing until the run ends
  expctl cancel <run-id|sweep-id>    Stop a run, or every run of a sweep (SIGTERM, then SIGKILL)
        --json                       Machine-readable: the runs being stopped
  expctl stats <runs>...             Statistics of a metric: n, mean, std, 95% CI, quartiles, outliers
        --metric NAME[,NAME]         The metric(s) (default: the sweep's primary metric)
        --group-by KEY[,KEY]         params.lr, target, repeat, a CSV column… (a sweep: its swept params)
        --reduce final|min|max|mean|all  One value per run (default final), or all: every report pooled
        --derive NAME=EXPR           A metric computed per run, e.g. 'tpj=tokens / (energy_wh * 3600)'
        --columns n,mean,iqr,fences,var,…  --percentiles 50,90,95,99   (stats only) table columns
        --all                        Include runs that did not succeed
        --json | --csv | --md        Output format (default: a table)
        --chart FILE.png|.svg        Also draw a chart: --chart-type box|bar|line|scatter|heatmap (--x KEY)
  expctl compare <runs> <runs>...    Rank groups, ratios to the best, Welch and Mann–Whitney p-values,
                                     bootstrap CI of the median difference, speedup and efficiency
        (the options of stats, and) --by median|mean  --goal minimize|maximize  --seed N
        --paired-by KEY[,KEY]        Two groups cell by cell: Wilcoxon signed-rank, paired t, wins/ties/losses
        --work METRIC                Speedup per unit of a metric (tokens…) rather than per trial
  expctl report [job_summary.csv]    Campaign report from a job-attempt CSV: charts, summary.md, .json
        --out DIR                    Where to write (default: reports)
        --from DATE --to DATE        Only attempts started in that range (UTC)
        --resource NAME[,NAME]       Only these resources
        --mapping auto|htcondor|expctl-runs   --column FIELD=Header   for other producers' CSVs
        --derive NAME=EXPR           A value per attempt from fields or columns, summarised per resource,
                                     e.g. 'gb_per_h=bytesReceived / 1e9 / (execSeconds / 3600)'
        --verbose                    List every skipped row
  <runs>: a sweep or experiment file, a sweep id, run ids (or unique prefixes), or a CSV
  with one row per run (our runs.csv or your own).
  expctl lsp --stdio                 Start the language server (also: expctl-language-server)
  expctl --version | --help

Files are recognised by name: *.experiment.yaml, *.sweep.yaml, targets.yaml (or a
'# yaml-language-server: $schema=…' modeline / a top-level $schema key).
`;

/** Our files under a folder (skipping VCS, dependency and results folders). */
function collect(target: string): string[] {
  let stat: fs.Stats;
  try { stat = fs.statSync(target); } catch { throw new InputError(`${target}: no such file or folder`); }
  if (!stat.isDirectory()) return [target];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (!SKIPPED_DIRS.has(e.name)) walk(p); }
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
  for (const { file, v } of results) {
    const empty = emptyFileProblem(file, v);
    if (empty) v.diagnostics.push(empty);
  }
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

/** The plan of a sweep or experiment file, or undefined after printing why it cannot be planned. */
function planOrReport(file: string, verb: string, limit?: number): Plan | undefined {
  const text = readInput(file);
  const { plan, diagnostics } = planFile(file, diskHost, undefined, limit);
  if (plan) return plan;
  // planFile reports nothing for a file with no document: there is nothing "above" to see.
  if (!diagnostics.length) {
    const empty = emptyFileProblem(file, validateText(path.resolve(file), text, diskHost));
    diagnostics.push(empty ?? { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'file-kind', message: 'holds no experiment or sweep' });
  }
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(file, d)}\n`);
  process.stderr.write(`${file}: cannot ${verb}, ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'} (see above).\n`);
  return undefined;
}

function cmdPlan(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, csv: { type: 'boolean' }, limit: { type: 'string' }, store: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('plan needs one sweep or experiment file, e.g. `expctl plan examples/quickstart/grid.sweep.yaml`');
  if (values.json && values.csv) throw new UsageError('choose one of --json and --csv');
  const limit = positiveInt('--limit', values.limit);
  const file = positionals[0];
  const plan = planOrReport(file, 'plan', limit);
  if (!plan) return 1;
  if (limit === undefined && plan.total > MAX_SWEEP_TRIALS) throw new InputError(`${file}: ${formatCount(plan.total)} trials, more than plan lists without --limit (${formatCount(MAX_SWEEP_TRIALS)}); \`expctl plan ${file} --limit 20\` shows the first ones`);
  const { total, trials } = plan;
  const kind = plan.method === 'experiment' ? 'experiment' : 'sweep';
  const header = kind === 'sweep'
    ? `${file}: ${total} trial${total === 1 ? '' : 's'} (method ${plan.method}${plan.excluded ? `, ${plan.excluded} excluded` : ''}, max_parallel ${plan.maxParallel})`
    : `${file}: ${total} run${total === 1 ? '' : 's'} of experiment ${plan.experiment.name}`;
  const columns = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  // With a results store: each trial's state there (new, succeeded, changed, failed…), as `run` sees it.
  const storeDir = path.resolve(values.store ?? storeDirFor(file));
  const states = fs.existsSync(storeDir) ? planDecisions({ ...plan, trials }, new FileStore(storeDir)).decisions.map((d) => d.state) : undefined;
  const state = (i: number) => (states ? [states[i]] : []);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(planResult({ ...plan, trials }, states), null, 2)}\n`);
  } else if (values.csv) {
    process.stdout.write(csvTable(['index', 'name', 'key', 'repeat', ...(states ? ['state'] : []), ...columns], trials.map((t, i) => [t.index, t.name, t.key, t.repeat, ...state(i), ...columns.map((c) => t.params[c])])));
  } else {
    process.stdout.write(`${header}\n`);
    const rows = trials.map((t, i) => [String(t.index), t.name, t.key, ...state(i), ...columns.map((c) => show(t.params[c]))]);
    process.stdout.write(table(['#', 'name', 'key', ...(states ? ['state'] : []), ...columns], rows));
    if (trials.length < total) process.stdout.write(`… ${total - trials.length} more (use --limit to change)\n`);
  }
  return 0;
}

const show = (x: unknown) => (x === undefined ? '' : typeof x === 'string' ? x : JSON.stringify(x));

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    'max-parallel': { type: 'string' }, 'retry-failed': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, store: { type: 'string' },
    detach: { type: 'boolean' }, target: { type: 'string' }, gpus: { type: 'string' }, targets: { type: 'string' },
    rerun: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, output: { type: 'string', short: 'o' },
    'no-preflight': { type: 'boolean' },
  } });
  if (positionals.length !== 1) throw new UsageError('run needs one sweep or experiment file, e.g. `expctl run examples/quickstart/grid.sweep.yaml`');
  if (values.output !== undefined && (values.output !== 'yaml' || !values['dry-run'])) throw new UsageError('-o yaml goes with --dry-run: it prints the Kubernetes manifests `run` would create');
  if (values.json && !values.detach) throw new UsageError('--json goes with --detach (the runner in the foreground prints its progress)');
  const maxParallel = positiveInt('--max-parallel', values['max-parallel']);
  const rerun = rerunPolicy(values);
  const file = positionals[0];
  // The helper that starts local attempts boots on the other core while the file is validated.
  if (!values.detach && !values['dry-run']) spawner().warm();
  const plan = planOrReport(file, 'run');
  if (!plan) return 1;
  if (plan.total > MAX_SWEEP_TRIALS) {
    throw new InputError(values['dry-run']
      ? `${file}: ${formatCount(plan.total)} trials, more than --dry-run lists (${formatCount(MAX_SWEEP_TRIALS)}); \`expctl plan ${file} --limit 20\` shows the first ones`
      : `${file}: ${formatCount(plan.total)} trials, more than one sweep runs (${formatCount(MAX_SWEEP_TRIALS)}); split it into several sweep files (e.g. one per value of a parameter) or sample it with method: random; nothing was started`);
  }
  const storeDir = path.resolve(values.store ?? storeDirFor(file));
  // Everything that can refuse the run happens here, in the foreground — also for --detach, whose
  // background runner would otherwise fail where nobody looks.
  const found = values.targets ? readTargets(values.targets) : findTargets(plan.experimentFile, diskHost);
  let target: Target;
  try { target = resolveTarget(values.target ?? plan.target, found?.targets, found?.file); } catch (e) {
    if (e instanceof TargetError) throw new InputError(e.message);
    throw e;
  }
  const gpus = gpuList(values.gpus) ?? await target.inventory();
  const o = { maxParallel, rerun, target, gpus };
  if (values.output === 'yaml') return manifests(plan, storeDir, o);
  if (values['dry-run']) return dryRun(plan, storeDir, o);
  // A store that cannot be written fails here, in one line — not in the runner's lock or first save.
  ensureDir(values.store ? '--store' : 'results store', storeDir);
  if (target.preflight && !values['no-preflight']) await preflightOrRefuse(plan, target);
  await kafkaOrRefuse(plan, storeDir, rerun, found, !!values['no-preflight']);
  if (values.detach) return detach(args, storeDir, plan, o, !!values.json);
  return runCommand(plan, storeDir, o);
}

/** `--rerun changed,failed|all|none`, `--force` (= all) and `--retry-failed` (= changed,failed) as one policy. */
function rerunPolicy(v: { rerun?: string; force?: boolean; 'retry-failed'?: boolean }): RerunPolicy {
  if ([v.rerun !== undefined, !!v.force, !!v['retry-failed']].filter(Boolean).length > 1) throw new UsageError('choose one of --rerun, --force and --retry-failed');
  if (v.force) return { changed: true, failed: true, all: true };
  if (v['retry-failed']) return { ...DEFAULT_RERUN, failed: true };
  if (v.rerun === undefined) return DEFAULT_RERUN;
  try { return parseRerun(v.rerun); } catch (e) { throw new UsageError((e as Error).message); }
}

interface RunSetup { maxParallel?: number; rerun: RerunPolicy; target: Target; gpus?: number[] }

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "6 trials: 2 run (1 new, 1 changed), 4 skipped (4 succeeded)" — what a run would do, from the shared decisions. */
function describeDecisions(plan: Plan, d: ReturnType<typeof planDecisions>): string {
  const by = (action: Decision['action']) => {
    const counts = new Map<string, number>();
    for (const x of d.decisions) if (x.action === action) counts.set(x.state, (counts.get(x.state) ?? 0) + 1);
    return counts.size ? ` (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')})` : '';
  };
  return `${plural(plan.trials.length, 'trial')}: ${d.run + d.resume} to run${by('run')}${d.resume ? `, ${d.resume} resumed` : ''}, ${d.skip} skipped${by('skip')}`;
}

function header(plan: Plan, storeDir: string, o: RunSetup): string {
  const parallel = effectiveParallel(plan, o.target, o.maxParallel);
  const where = o.target.kind === 'kubernetes' ? 'GPUs placed by the cluster' : o.gpus?.length ? `GPUs ${o.gpus.join(',')}` : 'CPU only';
  return `${plan.name}: ${plural(plan.trials.length, 'trial')} on ${o.target.name}, max_parallel ${parallel}, ${where} — store ${path.relative(process.cwd(), storeDir) || '.'}`;
}

/** `expctl check FILE`: the Kafka preflight of every trial; exit 1 on problems. */
async function cmdCheck(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { timeout: { type: 'string' }, targets: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('check needs one sweep or experiment file, e.g. `expctl check examples/kafka-loading/formats.sweep.yaml`');
  const ms = timeoutMs(values.timeout);
  const plan = planOrReport(positionals[0], 'check');
  if (!plan) return 1;
  const errors = await kafkaPreflight(plan, { timeoutMs: ms, targets: values.targets ? readTargets(values.targets) : undefined });
  if (errors === undefined) {
    process.stderr.write(`${positionals[0]}: no trial reads from Kafka (no data.kafka); nothing to check\n`);
    return 0;
  }
  return errors ? 1 : 0;
}

/** Before launch: the Kafka preflight of the trials that will run; refuses the run on problems. */
async function kafkaOrRefuse(plan: Plan, storeDir: string, rerun: RerunPolicy, found: { file: string; targets?: TargetsFile } | undefined, skip: boolean): Promise<void> {
  const d = planDecisions(plan, new FileStore(storeDir), rerun);
  const trials = new Set(plan.trials.filter((_, i) => d.decisions[i].action !== 'skip').map((t) => t.index));
  if (!trials.size) return;
  const reads = plan.trials.some((t) => trials.has(t.index) && (plan.method === 'experiment' ? plan.experiment : trialConfig(plan.experiment, t)).data?.kafka);
  if (!reads) return;
  if (skip) { process.stderr.write('kafka: preflight skipped (--no-preflight)\n'); return; }
  const errors = await kafkaPreflight(plan, { trials, targets: found });
  if (errors) throw new InputError(`${plan.name}: the Kafka preflight found ${errors} problem${errors === 1 ? '' : 's'} (see above); nothing was started (--no-preflight skips these checks)`);
}

/** A cluster target checks, before anything is started, that the plan can run there (PreflightError lists why not). */
async function preflightOrRefuse(plan: Plan, target: Target): Promise<void> {
  const t0 = Date.now();
  try {
    const r = await target.preflight!(plan.trials.map((t) => trialConfig(plan.experiment, t)));
    for (const n of r.notes) process.stderr.write(`expctl: note: ${n}\n`);
    process.stderr.write(`preflight on ${target.name}: ok in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    if (e instanceof PreflightError || e instanceof KubeError) throw new InputError(`${plan.name}: target ${target.name}: ${e.message}\nnothing was started (--no-preflight skips these checks)`);
    throw e;
  }
}

/** `--dry-run -o yaml`: the Jobs / PyTorchJobs `run` would create now (first attempts), for review or `kubectl apply`. */
function manifests(plan: Plan, storeDir: string, o: RunSetup): number {
  const targetConfig = o.target.kind === 'kubernetes' ? (o.target as Target & { config: KubernetesTarget }).config : undefined;
  if (!targetConfig) throw new UsageError(`-o yaml prints Kubernetes manifests, and target ${o.target.name} is not a Kubernetes target (use --target)`);
  const store = new FileStore(storeDir);
  const d = planDecisions(plan, store, o.rerun);
  const docs: string[] = [];
  plan.trials.forEach((t, i) => {
    const x = d.decisions[i];
    if (x.action === 'skip') return;
    const prev = x.prev;
    const runId = x.action === 'resume' && prev ? prev.id : store.newRunId(t.name, t.key);
    const attempt = x.action === 'resume' && prev ? prev.attempts.length + 1 : 1;
    try {
      const w = workload({ config: trialConfig(plan.experiment, t), experimentFile: plan.experimentFile, target: targetConfig,
        run: { id: runId, sweepId: plan.sweepId, trialKey: t.key, trialName: t.name, index: t.index, repeat: t.repeat, attempt } });
      docs.push(`# ${t.name} (attempt ${attempt})\n${toYaml(w.body)}`);
    } catch (e) {
      if (e instanceof ManifestError) throw new InputError(`${plan.name}: ${e.message}`);
      throw e;
    }
  });
  process.stdout.write(docs.length ? `${docs.join('---\n')}` : `# nothing to run: ${describeDecisions(plan, d)}\n`);
  return 0;
}

/** `--dry-run`: what `run` would do with each trial, decided exactly as the runner decides. */
function dryRun(plan: Plan, storeDir: string, o: RunSetup): number {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(header(plan, storeDir, o));
  const d = planDecisions(plan, new FileStore(storeDir), o.rerun);
  plan.trials.forEach((t, i) => {
    const x = d.decisions[i];
    say(`  ${x.action === 'skip' ? 'skip  ' : x.action === 'resume' ? 'resume' : 'run   '} ${t.name}${x.state === 'new' ? '' : ` — ${x.reason}`}`);
  });
  say(`dry run: ${describeDecisions(plan, d)}`);
  return 0;
}

/** `--targets FILE`: a targets.yaml elsewhere than the nearest; checked like any other. */
function readTargets(file: string): { file: string; targets?: TargetsFile } {
  const text = readInput(file);
  const v = validateText(path.resolve(file), text, diskHost);
  if (v.docs[0]?.kind !== 'targets') throw new InputError(`${file}: not a targets file (name it targets.yaml)`);
  const errors = v.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new InputError(errors.map((d) => formatDiagnostic(file, d)).join('\n'));
  return { file: path.resolve(file), targets: v.docs[0].config as TargetsFile };
}

/** `--gpus 0,1` or `--gpus none`: the GPUs to schedule on, instead of nvidia-smi's or the target's. */
function gpuList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  if (v.trim() === 'none') return [];
  const ids = v.split(',').map((x) => x.trim());
  if (!ids.every((x) => /^\d+$/.test(x))) throw new UsageError(`--gpus takes GPU indices like 0,1 or "none", got "${v}"`);
  return [...new Set(ids.map(Number))];
}

async function runCommand(plan: Plan, storeDir: string, o: RunSetup): Promise<number> {
  const { target, gpus } = o;
  const say = (s: string) => process.stdout.write(`${s}\n`);
  // A sweep another runner holds is refused before anything is printed or written (runPlan takes the lock).
  try { checkLock(sweepLockFile(storeDir, plan.sweepId)); } catch (e) { throw lockRefusal(e, plan, storeDir); }
  say(header(plan, storeDir, o));
  const store = openStore(storeDir);
  const ac = new AbortController();
  let stops = 0;
  const stop = (sig: string) => {
    if (++stops > 1) process.exit(130);
    process.stderr.write(`\n${sig}: stopping — terminating running trials (again to force)\n`);
    ac.abort();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const t0 = Date.now();
  const total = plan.trials.length;
  const progress = new ProgressLine(process.stdout, styleFor(process.stdout));
  const n = { done: 0, ok: 0, failed: 0, running: 0 };
  const show = (line: string) => progress.line(line, { ...n, total });
  const result = await runPlan(plan, {
    store, target, maxParallel: o.maxParallel, rerun: o.rerun, gpus, signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'skipped') {
        n.done++;
        if (e.reason === 'succeeded before') n.ok++;
        show(`[${n.done}/${total}] – ${e.trial.name}: skipped, ${e.reason}`);
      } else if (e.type === 'started') {
        n.running++;
        show(`        ▶ ${e.run.trial.name} (${e.run.id}${e.run.gpus?.length ? `, GPUs ${e.run.gpus.join(',')}` : ''})${e.reason ? ` — ${e.reason}` : ''}`);
      } else if (e.type === 'retry') {
        // What on_failure changed for it: values of params, names of env variables (they may be secret).
        const changes = [...Object.entries(e.params ?? {}).map(([k, v]) => `${k} → ${JSON.stringify(v)}`), ...(e.env ?? []).map((k) => `env ${k}`)];
        show(`        ↻ ${e.run.trial.name}: ${e.failure} — retry in ${e.waitS.toFixed(1)} s (attempt ${e.run.attempts.length + 1}${changes.length ? `, ${changes.join(', ')}` : ''})`);
      }
      else if (e.type === 'ended') {
        n.done++;
        n.running = Math.max(0, n.running - 1);
        const r = e.run;
        if (r.status === 'succeeded') n.ok++; else if (r.status === 'failed') n.failed++;
        const last = r.attempts[r.attempts.length - 1];
        const metric = plan.metric?.name;
        const m = metric && r.summary[metric] ? ` — ${metric} ${metricText(r.summary[metric].last)}` : '';
        const mark = r.status === 'succeeded' ? '✓' : r.status === 'cancelled' ? '■' : '✗';
        const why = r.status === 'succeeded' ? `succeeded in ${fmtSec(r.duration_s)}${r.attempts.length > 1 ? ` after ${r.attempts.length} attempts` : ''}${m}` : `${r.status}${last?.failure_class ? ` (${last.failure_class}: ${last.message})` : ''}`;
        show(`[${n.done}/${total}] ${mark} ${r.trial.name}: ${why}`);
        for (const w of runWarnings(r)) show(`        ⚠ ${r.trial.name}: ${w}`);
      }
    },
  }).catch((e: unknown) => { throw lockRefusal(e, plan, storeDir); });
  progress.stop();
  say(`${total} trial${total === 1 ? '' : 's'}: ${result.succeeded} succeeded, ${result.failed} failed, ${result.cancelled} cancelled, ${result.skipped} skipped in ${fmtSec((Date.now() - t0) / 1000)}`);
  for (const l of problemLines(metricProblems(result.runs), styleFor(process.stdout), 0)) say(l);
  for (const note of result.notes ?? []) say(`⚠ ${note}`);
  if (result.failed) say(`failures: ${path.relative(process.cwd(), path.join(storeDir, 'failed_runs.csv'))}; logs: ${path.relative(process.cwd(), path.join(storeDir, 'runs'))}/<run>/stderr.log`);
  return ac.signal.aborted ? 130 : result.failed ? 1 : 0;
}

/** Another runner holds the sweep: who, and how to follow or stop it (other errors pass through). */
function lockRefusal(e: unknown, plan: Plan, storeDir: string): unknown {
  if (e instanceof KafkaMetricsError) return new InputError(`${plan.name}: ${e.message}\nnothing was started`);
  if (!(e instanceof LockedError)) return e;
  if (e.reason !== 'running') return new InputError(`${plan.name}: ${e.message}`);
  const store = `--store ${path.relative(process.cwd(), storeDir) || '.'}`;
  return new InputError(`${plan.name}: ${e.message}\n  follow it: expctl status -w ${plan.sweepId} ${store}\n  stop it:   expctl cancel ${plan.sweepId} ${store}`);
}

/**
 * Starts this same command without --detach as a background process that outlives the shell —
 * unless there is nothing to run, which is said here rather than in a log nobody reads.
 */
function detach(args: string[], storeDir: string, plan: Plan, o: RunSetup, json: boolean): number {
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  // As in the foreground: a sweep another runner holds is refused, whatever is left to run.
  try { checkLock(sweepLockFile(storeDir, plan.sweepId)); } catch (e) { throw lockRefusal(e, plan, storeDir); }
  const d = planDecisions(plan, new FileStore(storeDir), o.rerun);
  const out = (r: DetachResult, text: string) => process.stdout.write(json ? `${JSON.stringify(r)}\n` : text);
  if (d.run + d.resume === 0) {
    const message = nothingToRun(plan, d);
    out({ version: CLI_JSON_VERSION, status: 'nothing-to-run', sweep_id: plan.sweepId, name: plan.name, store: storeDir, trials: plan.trials.length, states: d.states, message }, `${plan.name}: ${message}\n`);
    return 0;
  }
  fs.mkdirSync(path.join(storeDir, 'sweeps', plan.sweepId), { recursive: true });
  const log = path.join(storeDir, 'sweeps', plan.sweepId, 'runner.log');
  const fd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [process.argv[1], 'run', ...args.filter((a) => a !== '--detach' && a !== '--json'), '--store', storeDir],
    { detached: true, stdio: ['ignore', fd, fd], cwd: process.cwd(), env: process.env });
  fs.closeSync(fd);
  child.unref();
  out({ version: CLI_JSON_VERSION, status: 'started', sweep_id: plan.sweepId, name: plan.name, pid: child.pid!, log, store: storeDir, trials: plan.trials.length, to_run: d.run + d.resume },
    `${plan.name}: running in the background (pid ${child.pid}), sweep ${plan.sweepId} — ${describeDecisions(plan, d)}\n` +
    `  log:    ${rel(log)}\n  runs:   expctl ls --sweep ${plan.sweepId} --store ${rel(storeDir)}\n  stop:   expctl cancel ${plan.sweepId} --store ${rel(storeDir)}\n`);
  return 0;
}

/** "all 6 trials already succeeded (--rerun all runs them again)" and the like. */
function nothingToRun(plan: Plan, d: ReturnType<typeof planDecisions>): string {
  const n = plan.trials.length;
  const { succeeded, failed, running, changed } = d.states;
  if (succeeded === n) return `nothing to run: ${n === 1 ? 'its trial' : `all ${n} trials`} already succeeded (--rerun all runs ${n === 1 ? 'it' : 'them'} again)`;
  const parts = [succeeded && `${succeeded} succeeded`, failed && `${failed} failed (--rerun failed runs ${failed === 1 ? 'it' : 'them'} again)`,
    changed && `${changed} changed but --rerun none`, running && `${running} running in another runner`].filter(Boolean);
  return `nothing to run: of ${plural(n, 'trial')}, ${parts.join(', ')}`;
}

async function cmdCancel(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { store: { type: 'string' }, json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError('cancel needs one run id or sweep id (see `expctl ls`)');
  const store = storeFrom(values.store);
  const given = positionals[0];
  const sweepRuns = store.all().filter((r) => r.sweep_id === given);
  const runs = sweepRuns.length ? sweepRuns : [store.get(resolveRunId(store, given))!];
  // Each run on the target it ran on (a cluster's Jobs are deleted through its API).
  const targets = new Map<string, Target>();
  const targetOf = (r: RunRecord): Target => {
    if (!targets.has(r.target)) {
      const found = findTargets(r.experiment_file, diskHost);
      let t: Target;
      try { t = resolveTarget(r.target, found?.targets, found?.file); } catch { t = localTarget(); }
      targets.set(r.target, t);
    }
    return targets.get(r.target)!;
  };
  let cancelled: string[];
  try {
    cancelled = await cancelRuns(store, runs, sweepRuns.length > 0, targetOf);
  } catch (e) {
    if (e instanceof KubeError) throw new InputError(`cancel: ${e.message}`);
    throw new InputError(`cancel: the cluster refused: ${messageOf(e)} (the runs are marked; run expctl cancel again once it answers)`);
  }
  if (values.json) {
    const result: CancelResult = { version: CLI_JSON_VERSION, id: sweepRuns.length ? given : runs[0].id, kind: sweepRuns.length ? 'sweep' : 'run', cancelled };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else process.stdout.write(cancelled.length ? `cancelling ${cancelled.join(', ')}\n` : `nothing to cancel: no run of ${given} is running\n`);
  return 0;
}

function cmdLs(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    sweep: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' }, store: { type: 'string' },
  } });
  if (positionals.length) throw new UsageError('ls takes no file; filter with --sweep ID or --status S');
  const store = storeFrom(values.store);
  const runs = store.all()
    .filter((r) => (!values.sweep || r.sweep_id === values.sweep) && (!values.status || r.status === values.status))
    .sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  reportDamaged(store);
  if (values.json) {
    const result: LsResult = { version: CLI_JSON_VERSION, store: store.root, runs, damaged: store.damaged };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const rows = runs.map((r) => {
    const last = r.attempts[r.attempts.length - 1];
    return [r.id, r.sweep_id, r.status, String(r.attempts.length), r.started?.replace('T', ' ').slice(0, 19) ?? '', fmtSec(r.duration_s), last?.failure_class ?? ''];
  });
  process.stdout.write(table(['run', 'sweep', 'status', 'attempts', 'started', 'duration', 'last failure'], rows));
  return 0;
}

/**
 * How many of a sweep's trials changed since their last run, re-planning its file (once per
 * status command) when the file is still there and still valid; undefined otherwise.
 */
function changedTrials(sw: SweepStatus, store: RunSource, plans: Map<string, Plan | undefined>): number | undefined {
  if (!sw.file) return undefined;
  if (!plans.has(sw.file)) plans.set(sw.file, fs.existsSync(sw.file) ? planFile(sw.file, diskHost).plan : undefined);
  const plan = plans.get(sw.file);
  return plan && plan.sweepId === sw.id ? planDecisions(plan, store).states.changed : undefined;
}

async function cmdStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    watch: { type: 'boolean', short: 'w' }, json: { type: 'boolean' }, store: { type: 'string' }, interval: { type: 'string' },
  } });
  if (positionals.length > 1) throw new UsageError('status takes at most one sweep id (see `expctl ls`)');
  const store = storeFrom(values.store);
  const intervalS = Number(values.interval ?? 1);
  if (!(intervalS > 0)) throw new UsageError(`--interval must be a positive number of seconds, got "${values.interval}"`);
  const label = path.relative(process.cwd(), store.root) || '.';
  const st = styleFor(process.stdout);
  const plans = new Map<string, Plan | undefined>();
  let damaged = '';
  // The runners write from other processes: the reader takes in what their journal lines name.
  const reader = new StoreReader(store.root);
  const look = async () => {
    await reader.refresh();
    const sweeps = storeStatus(reader, { sweep: positionals[0] });
    // Said once, and again only when it changes: a watch redraws every second.
    const now = reader.damaged.map((d) => d.file).join('\n');
    if (now !== damaged) { reportDamaged(reader); damaged = now; }
    if (positionals[0] && !sweeps.length) throw new InputError(`no sweep "${positionals[0]}" in ${label} (see \`expctl ls\`)`);
    for (const sw of sweeps) sw.changed = changedTrials(sw, reader, plans);
    return sweeps;
  };
  const print = (sweeps: SweepStatus[]) => values.json ? `${JSON.stringify({ version: CLI_JSON_VERSION, store: store.root, sweeps } satisfies StatusResult, null, 2)}\n` : renderStatus(sweeps, st, label);
  let sweeps = await look();
  if (!values.watch) { process.stdout.write(print(sweeps)); return 0; }
  // Watch: redraw in place on a terminal; elsewhere print a new block only when something changed.
  // Ends by itself once nothing can change any more (no live runner, nothing running).
  let last = '';
  for (;;) {
    const text = print(sweeps);
    if (st.color) process.stdout.write(`\x1b[H\x1b[2J${text}`);
    else if (text !== last) process.stdout.write(`${text}${values.json ? '' : '\n'}`);
    last = text;
    if (!anyActive(sweeps)) return 0;
    await new Promise((r) => setTimeout(r, intervalS * 1000));
    sweeps = await look();
  }
}

async function cmdLogs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { follow: { type: 'boolean', short: 'f' }, store: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('logs needs one run id (see `expctl ls`)');
  const store = storeFrom(values.store);
  const id = resolveRunId(store, positionals[0]);
  const dir = store.runDir(id);
  const print = (stream: 'stdout' | 'stderr', line: string) => (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`);
  if (!values.follow) {
    for (const stream of ['stdout', 'stderr'] as const) {
      try { (stream === 'stdout' ? process.stdout : process.stderr).write(fs.readFileSync(path.join(dir, `${stream}.log`), 'utf8')); } catch { /* no output yet */ }
    }
    return 0;
  }
  // Follow: from the start of each log, until the run is no longer running.
  const logs = (['stdout', 'stderr'] as const).map((stream) => follow(path.join(dir, `${stream}.log`), stream, print, 0));
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      const r = new FileStore(store.root).get(id);
      if (!r || (r.status !== 'running' && r.status !== 'queued')) { clearInterval(t); resolve(); }
    }, 500);
  });
  for (const l of logs) l.stop();
  return 0;
}

// Whole seconds first, so that 119.7 s is 2 min 0 s, not 1 min 60 s.
const fmtSec = (s: number | undefined) => (s === undefined ? '?' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(Math.round(s) / 60)} min ${Math.round(s) % 60} s`);

// The analysis commands (chart.js, reports) and the language server are loaded by the commands that
// use them: every other command — `run` above all, which a sweep may start often — starts faster.
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loads; esbuild bundles them behind lazy initialisers */
const analysis = (): typeof Analyze => require('./analyze') as typeof Analyze;
const languageServer = (): typeof Server => require('../../server/src/server') as typeof Server;
/* eslint-enable @typescript-eslint/no-require-imports */

/** `expctl <command> --help`: that command's part of HELP (stats and compare share their options). */
function commandHelp(cmd: string): string | undefined {
  const lines = HELP.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  expctl ${cmd} `) || l === `  expctl ${cmd}`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end].startsWith('        ')) end++;
  const shared = cmd === 'compare' ? commandHelp('stats')?.split('\n').slice(2).join('\n') ?? '' : '';
  return `Usage:\n${lines.slice(start, end).join('\n')}\n${shared}`;
}

export function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd && (rest.includes('--help') || rest.includes('-h'))) {
    const help = commandHelp(cmd);
    if (help) { process.stdout.write(help); return 0; }
  }
  switch (cmd) {
    case undefined: case '-h': case '--help': case 'help':
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    case '-v': case '--version':
      process.stdout.write(`${version}\n`);
      return 0;
    case 'validate': return cmdValidate(rest);
    case 'plan': return cmdPlan(rest);
    case 'check': return cmdCheck(rest);
    case 'run': return cmdRun(rest);
    case 'ls': return cmdLs(rest);
    case 'status': return cmdStatus(rest);
    case 'stats': return analysis().cmdStats(rest);
    case 'compare': return analysis().cmdCompare(rest);
    case 'report': return analysis().cmdReport(rest);
    case 'logs': return cmdLogs(rest);
    case 'cancel': return cmdCancel(rest);
    case 'lsp': {
      const { serve, transportGiven } = languageServer();
      if (!transportGiven(rest)) throw new UsageError('lsp needs a transport: --stdio, --node-ipc or --socket=PORT');
      serve();
      return -1; // keeps running
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

/**
 * With --json, what the command says on stderr is kept, so that a failure is answered in JSON too
 * (ErrorResult): a program never has to read the human text. Node's own warnings are not the answer.
 */
function keepStderr(): { said: string[]; answered: boolean } {
  const kept = { said: [] as string[], answered: false };
  const err = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = String(chunk);
    if (!text.startsWith('(node:') && !text.startsWith('(Use `node --trace-')) kept.said.push(text);
    return err(chunk, ...rest);
  }) as typeof process.stderr.write;
  // A command that printed its answer (validate --json exits 1 on errors) has said it all.
  const out = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    kept.answered = true;
    return out(chunk, ...rest);
  }) as typeof process.stdout.write;
  return kept;
}

async function run(): Promise<void> {
  // `expctl plan … | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  const json = process.argv.includes('--json') ? keepStderr() : undefined;
  let thrown: string | undefined;
  try {
    const code = await main(process.argv.slice(2));
    if (code >= 0) process.exitCode = code;
  } catch (e) {
    thrown = (e as Error).message;
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`expctl: ${(e as Error).message}\nRun \`expctl --help\` for usage.\n`);
      process.exitCode = 2;
    } else if (e instanceof InputError) {
      process.stderr.write(`expctl: ${(e as Error).message}\n`);
      process.exitCode = 1;
    } else if (e instanceof DiskFullError) {
      thrown = `disk full: ${e.message}. Free space there and run the same command again: a run resumes, keeping the trials that finished.`;
      process.stderr.write(`expctl: ${thrown}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`expctl: internal error: ${(e as Error).stack ?? String(e)}\nPlease report this with the command you ran.\n`);
      process.exitCode = 70;
    }
  }
  const code = Number(process.exitCode ?? 0);
  if (json && !json.answered && (code === 1 || code === 2)) {
    // Thrown: its message; returned (a file that cannot run): what the command printed, its diagnostics first.
    const message = thrown ?? json.said.join('').trim().replace(/^expctl: /, '');
    process.stdout.write(`${JSON.stringify({ version: CLI_JSON_VERSION, status: 'error', exit_code: code, message } satisfies ErrorResult)}\n`);
  }
}

if (require.main === module) void run();
