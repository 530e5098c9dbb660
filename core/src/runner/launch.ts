// What a run executes: the argv (never a shell string unless `shell: true`), its environment and
// working directory, built from a resolved experiment config. Pure: no process is started here.
import * as path from 'node:path';
import type { Experiment } from '../config/types';
import { getDotted, renderTemplate, templateVars } from '../config/template';
import { parseGpuRequest } from '../gpus';

export interface RunContext {
  /** Absolute path of the experiment file (relative paths resolve from its folder). */
  file: string;
  runId: string;
  runDir: string;
  trialName: string;
  index: number;
  repeat: number;
  attempt: number;
  paramsFile: string;
  metricsFile: string;
  /** GPU indices reserved for this run; undefined on a machine without GPUs. */
  gpus?: number[];
  /** A free TCP port picked for this attempt (the launcher's rendezvous, `{port}`); see needsPort. */
  port?: number;
  /** The environment the runner itself has (process.env). */
  baseEnv: Record<string, string | undefined>;
}

export interface LaunchSpec {
  /** argv[0] is the program; run without a shell. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

const PYTHON = /^python(\d+(\.\d+)?)?$/;

/** What `{…}` may name besides `env.NAME` and dotted paths of the config; the template-var rule accepts exactly these. */
export const RUN_VARIABLES = ['run_id', 'run_dir', 'trial', 'repeat', 'index', 'attempt', 'metrics_file', 'params_file', 'port'] as const;
type RunVariable = (typeof RUN_VARIABLES)[number];

export function isRunVariable(name: string): name is RunVariable {
  return (RUN_VARIABLES as readonly string[]).includes(name);
}

/** Renders `{…}` placeholders: run variables, `env.X`, and any dotted path of the config. */
export function runLookup(cfg: Experiment, ctx: RunContext): (name: string) => unknown {
  const vars: Record<RunVariable, unknown> = {
    run_id: ctx.runId, run_dir: ctx.runDir, trial: ctx.trialName, index: ctx.index, repeat: ctx.repeat,
    attempt: ctx.attempt, metrics_file: ctx.metricsFile, params_file: ctx.paramsFile, port: ctx.port,
  };
  return (name) => {
    if (isRunVariable(name)) return vars[name];
    if (name.startsWith('env.')) return ctx.baseEnv[name.slice(4)] ?? cfg.env?.[name.slice(4)];
    return getDotted(cfg, name);
  };
}

export function buildLaunch(cfg: Experiment, ctx: RunContext): LaunchSpec {
  const lookup = runLookup(cfg, ctx);
  const render = (s: string) => renderTemplate(s, lookup);
  const dir = path.dirname(ctx.file);
  const cwd = cfg.workdir ? path.resolve(dir, render(cfg.workdir)) : dir;

  let argv: string[];
  if (typeof cfg.command === 'string' || cfg.shell) {
    const text = typeof cfg.command === 'string' ? render(cfg.command) : cfg.command.map(render).join(' ');
    argv = ['/bin/sh', '-c', text];
  } else {
    argv = launcherArgv(cfg, cfg.command.map(render), ctx, render);
  }

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.baseEnv)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(cfg.env ?? {})) env[k] = render(String(v));
  Object.assign(env, {
    EXPCTL_RUN_ID: ctx.runId,
    EXPCTL_RUN_DIR: ctx.runDir,
    EXPCTL_PARAMS_FILE: ctx.paramsFile,
    EXPCTL_METRICS_FILE: ctx.metricsFile,
    EXPCTL_TRIAL: ctx.trialName,
    EXPCTL_REPEAT: String(ctx.repeat),
    EXPCTL_ATTEMPT: String(ctx.attempt),
  });
  // The run owns exactly the GPUs it was given; an empty list hides every GPU (CPU-only run).
  // CUDA numbers GPUs fastest first unless told otherwise: PCI order makes its indices
  // nvidia-smi's, which are the ones the scheduler reserved.
  if (ctx.gpus) Object.assign(env, { CUDA_VISIBLE_DEVICES: ctx.gpus.join(','), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
  return { argv, env, cwd };
}

/** `accelerate launch …` / `torchrun …` in front of the script, or the command as is. */
function launcherArgv(cfg: Experiment, command: string[], ctx: RunContext, render: (s: string) => string): string[] {
  const l = cfg.launcher;
  if (!l || l.type === 'none') return command;
  // Launchers take the script, not the interpreter: `python train.py` → `train.py`.
  const script = PYTHON.test(path.basename(command[0] ?? '')) ? command.slice(1) : command;
  const gpuCount = ctx.gpus?.length || gpusRequested(cfg) || 1;
  const args = (l.args ?? []).map(render);
  const port = (p: number | 'auto' | undefined) => (p === undefined || p === 'auto' ? ctx.port : p);
  if (l.type === 'accelerate') {
    const out = ['accelerate', 'launch', '--num_processes', String(l.num_processes ?? gpuCount)];
    if (l.num_machines !== undefined) out.push('--num_machines', String(l.num_machines));
    // accelerate replaces CUDA_VISIBLE_DEVICES with --gpu_ids: pinned GPUs were reserved as such,
    // so the ids it gets are the very GPUs the run holds.
    const pinned = pinnedGpus(cfg);
    if (pinned) out.push('--gpu_ids', (ctx.gpus ?? pinned).join(','));
    if (l.mixed_precision !== undefined) out.push('--mixed_precision', l.mixed_precision);
    const p = port(l.main_process_port);
    if (p !== undefined) out.push('--main_process_port', String(p));
    if ((l.num_processes ?? gpuCount) > 1) out.push('--multi_gpu');
    return [...out, ...args, ...script];
  }
  const out = ['torchrun', '--nproc-per-node', String(l.nproc_per_node ?? gpuCount)];
  if (l.nnodes !== undefined) out.push('--nnodes', String(l.nnodes));
  if (l.node_rank !== undefined) out.push('--node-rank', String(l.node_rank));
  if (l.rdzv_backend !== undefined) out.push('--rdzv-backend', l.rdzv_backend);
  // An endpoint names the rendezvous port itself (`localhost:{port}`); else the master port.
  if (l.rdzv_endpoint !== undefined) out.push('--rdzv-endpoint', render(l.rdzv_endpoint));
  else {
    const p = port(l.master_port);
    if (p !== undefined) out.push('--master-port', String(p));
  }
  return [...out, ...args, ...script];
}

/**
 * The physical GPUs `launcher.gpu_ids` pins the run to — a request the scheduler grants exactly and
 * exclusively — or undefined when unset or `all` (the run gets whichever GPUs are free).
 */
export function pinnedGpus(cfg: Experiment): number[] | undefined {
  const l = cfg.launcher;
  if (l?.type !== 'accelerate') return undefined;
  const ids = parseGpuIds(l.gpu_ids);
  return Array.isArray(ids) ? ids : undefined;
}

/**
 * `launcher.gpu_ids` as GPU indices (`"0,1,2"` or `[0, 1, 2]`), `'all'`, or undefined when unset or
 * neither (the schema and the launcher-gpu-ids rule say why). The rule reads it as pinnedGpus does.
 */
export function parseGpuIds(raw: unknown): number[] | 'all' | undefined {
  if (typeof raw === 'string') {
    if (raw.trim().toLowerCase() === 'all') return 'all';
    const parts = raw.split(',').map((p) => p.trim());
    return parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : undefined;
  }
  return Array.isArray(raw) && raw.every((v) => Number.isSafeInteger(v)) ? [...raw] : undefined;
}

/** Whether an attempt needs a free port picked for it: a launcher's rendezvous, or `{port}` anywhere it is rendered. */
export function needsPort(cfg: Experiment): boolean {
  const l = cfg.launcher;
  if (l?.type === 'accelerate' && (l.main_process_port === undefined || l.main_process_port === 'auto')) return true;
  if (l?.type === 'torchrun' && l.rdzv_endpoint === undefined && (l.master_port === undefined || l.master_port === 'auto')) return true;
  const texts = [cfg.command, cfg.workdir, Object.values(cfg.env ?? {}), l && 'args' in l ? l.args : undefined, l?.type === 'torchrun' ? l.rdzv_endpoint : undefined];
  return texts.flat().some((t) => typeof t === 'string' && templateVars(t).some((v) => v.name === 'port'));
}

/** GPUs a config asks for: `resources.gpus` as a count or `TYPE:N`, or the GPUs it pins; 0 when unset. */
export function gpusRequested(cfg: Experiment): number {
  const pinned = pinnedGpus(cfg);
  if (pinned) return pinned.length;
  return parseGpuRequest(cfg.resources?.gpus)?.count ?? 0;
}
