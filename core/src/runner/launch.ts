// What a run executes: the argv (never a shell string unless `shell: true`), its environment and
// working directory, built from a resolved experiment config. Pure: no process is started here.
import * as path from 'node:path';
import type { Experiment } from '../config/types';
import { getDotted, renderTemplate } from '../config/template';

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

/** Renders `{…}` placeholders: run variables, `env.X`, and any dotted path of the config. */
export function runLookup(cfg: Experiment, ctx: RunContext): (name: string) => unknown {
  const vars: Record<string, unknown> = {
    run_id: ctx.runId, run_dir: ctx.runDir, trial: ctx.trialName, index: ctx.index, repeat: ctx.repeat,
    attempt: ctx.attempt, metrics_file: ctx.metricsFile, params_file: ctx.paramsFile,
  };
  return (name) => {
    if (name in vars) return vars[name];
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
    argv = launcherArgv(cfg, cfg.command.map(render), ctx);
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
  if (ctx.gpus) env.CUDA_VISIBLE_DEVICES = ctx.gpus.join(',');
  return { argv, env, cwd };
}

/** `accelerate launch …` / `torchrun …` in front of the script, or the command as is. */
function launcherArgv(cfg: Experiment, command: string[], ctx: RunContext): string[] {
  const l = cfg.launcher;
  if (!l || l.type === 'none') return command;
  // Launchers take the script, not the interpreter: `python train.py` → `train.py`.
  const script = PYTHON.test(path.basename(command[0] ?? '')) ? command.slice(1) : command;
  const gpuCount = ctx.gpus?.length || gpusRequested(cfg) || 1;
  if (l.type === 'accelerate') {
    const out = ['accelerate', 'launch', '--num_processes', String(l.num_processes ?? gpuCount)];
    if (l.num_machines !== undefined) out.push('--num_machines', String(l.num_machines));
    // Explicit gpu_ids win; otherwise accelerate sees the reserved GPUs through CUDA_VISIBLE_DEVICES.
    if (l.gpu_ids !== undefined) out.push('--gpu_ids', Array.isArray(l.gpu_ids) ? l.gpu_ids.join(',') : String(l.gpu_ids));
    if (l.mixed_precision !== undefined) out.push('--mixed_precision', l.mixed_precision);
    if (l.main_process_port !== undefined) out.push('--main_process_port', String(l.main_process_port));
    if ((l.num_processes ?? gpuCount) > 1) out.push('--multi_gpu');
    return [...out, ...(l.args ?? []), ...script];
  }
  const out = ['torchrun', '--nproc-per-node', String(l.nproc_per_node ?? gpuCount)];
  if (l.nnodes !== undefined) out.push('--nnodes', String(l.nnodes));
  if (l.node_rank !== undefined) out.push('--node-rank', String(l.node_rank));
  if (l.master_port !== undefined) out.push('--master-port', String(l.master_port));
  if (l.rdzv_backend !== undefined) out.push('--rdzv-backend', l.rdzv_backend);
  if (l.rdzv_endpoint !== undefined) out.push('--rdzv-endpoint', l.rdzv_endpoint);
  return [...out, ...(l.args ?? []), ...script];
}

/** GPUs a config asks for: `resources.gpus` as a count or `TYPE:N`; 0 when unset. */
export function gpusRequested(cfg: Experiment): number {
  const g = cfg.resources?.gpus;
  if (typeof g === 'number') return g;
  if (typeof g === 'string') {
    const n = Number(g.split(':').pop());
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}
