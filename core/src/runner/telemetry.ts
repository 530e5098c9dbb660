// Telemetry of local runs: once a second, one nvidia-smi call for every GPU in use and one pass
// over /proc for every watched process group — however many runs are going — so sampling costs
// the same with 1 run or 64. Each run gets telemetry.jsonl (one line per sample) and a summary of
// peaks, means and energy (power integrated over time, trapezoid rule) in run.json.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { appendLine } from '../store/atomic';

export const TELEMETRY_QUERY = ['--query-gpu=index,utilization.gpu,memory.used,power.draw', '--format=csv,noheader,nounits'];

export interface GpuSample { index: number; util?: number; memMb?: number; powerW?: number }

/** Parses TELEMETRY_QUERY output; "[N/A]" (power on some boards) becomes undefined. */
export function parseGpuSamples(text: string): GpuSample[] {
  const num = (s: string | undefined) => (s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);
  const out: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const c = line.split(',').map((x) => x.trim());
    if (!/^\d+$/.test(c[0] ?? '')) continue;
    out.push({ index: Number(c[0]), util: num(c[1]), memMb: num(c[2]), powerW: num(c[3]) });
  }
  return out;
}

export interface ProcStat { pid: number; ppid: number; pgrp: number; cpuTicks: number; rssPages: number }

/** One /proc/<pid>/stat line. The command name may hold spaces and parentheses: fields start after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, pgrp 5, utime..cstime 14..17, rss 24.
  const n = (i: number) => Number(f[i - 3]);
  const pid = Number(text.slice(0, text.indexOf(' ')));
  if (!Number.isFinite(pid) || f.length < 22) return undefined;
  return { pid, ppid: n(4), pgrp: n(5), cpuTicks: n(14) + n(15) + n(16) + n(17), rssPages: n(24) };
}

export interface TelemetrySummary {
  samples: number;
  cpu_pct_peak?: number;
  cpu_pct_mean?: number;
  rss_mb_peak?: number;
  gpu_util_mean?: number;
  gpu_util_peak?: number;
  gpu_mem_mb_peak?: number;
  power_w_peak?: number;
  energy_wh?: number;
}

export interface TelemetryRecord {
  t: string;
  cpu_pct?: number;
  rss_mb?: number;
  procs?: number;
  gpus?: Array<{ index: number; util?: number; mem_mb?: number; power_w?: number }>;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** A run's samples folded into its summary (pure: times and readings come in). */
export class TelemetryAccumulator {
  private samples = 0;
  private cpuSum = 0;
  private cpuN = 0;
  private utilSum = 0;
  private utilN = 0;
  private energyWh = 0;
  private peaks = { cpu: -Infinity, rss: -Infinity, util: -Infinity, mem: -Infinity, power: -Infinity };
  private prev?: { tMs: number; cpuS?: number; powerW?: number };

  /** Forget the previous reading: the next one starts a new interval (a new attempt). */
  gap(): void { this.prev = undefined; }

  add(tMs: number, proc: { cpuS: number; rssBytes: number; procs: number } | undefined, gpus: GpuSample[]): TelemetryRecord {
    this.samples++;
    const rec: TelemetryRecord = { t: new Date(tMs).toISOString() };
    const dt = this.prev ? (tMs - this.prev.tMs) / 1000 : 0;
    if (proc) {
      rec.rss_mb = round(proc.rssBytes / 2 ** 20, 1);
      rec.procs = proc.procs;
      this.peaks.rss = Math.max(this.peaks.rss, rec.rss_mb);
      if (this.prev?.cpuS !== undefined && dt > 0) {
        // A child that exited unreaped by the group takes its ticks with it: never negative.
        rec.cpu_pct = round(Math.max(0, (proc.cpuS - this.prev.cpuS) / dt) * 100, 1);
        this.peaks.cpu = Math.max(this.peaks.cpu, rec.cpu_pct);
        this.cpuSum += rec.cpu_pct;
        this.cpuN++;
      }
    }
    let power: number | undefined;
    if (gpus.length) {
      rec.gpus = gpus.map((g) => ({ index: g.index, util: g.util, mem_mb: g.memMb, power_w: g.powerW }));
      for (const g of gpus) {
        if (g.util !== undefined) { this.utilSum += g.util; this.utilN++; this.peaks.util = Math.max(this.peaks.util, g.util); }
        if (g.memMb !== undefined) this.peaks.mem = Math.max(this.peaks.mem, g.memMb);
      }
      const watts = gpus.map((g) => g.powerW).filter((w): w is number => w !== undefined);
      if (watts.length) {
        power = watts.reduce((a, b) => a + b, 0);
        this.peaks.power = Math.max(this.peaks.power, ...watts);
        if (this.prev?.powerW !== undefined && dt > 0) this.energyWh += ((power + this.prev.powerW) / 2) * dt / 3600;
      }
    }
    this.prev = { tMs, cpuS: proc?.cpuS, powerW: power };
    return rec;
  }

  summary(): TelemetrySummary {
    const s: TelemetrySummary = { samples: this.samples };
    const peak = (v: number) => (Number.isFinite(v) ? v : undefined);
    if (this.cpuN) { s.cpu_pct_peak = peak(this.peaks.cpu); s.cpu_pct_mean = round(this.cpuSum / this.cpuN, 1); }
    s.rss_mb_peak = peak(this.peaks.rss);
    if (this.utilN) { s.gpu_util_mean = round(this.utilSum / this.utilN, 1); s.gpu_util_peak = peak(this.peaks.util); }
    s.gpu_mem_mb_peak = peak(this.peaks.mem);
    s.power_w_peak = peak(this.peaks.power);
    if (Number.isFinite(this.peaks.power)) s.energy_wh = round(this.energyWh, 4);
    for (const k of Object.keys(s) as Array<keyof TelemetrySummary>) if (s[k] === undefined) delete s[k];
    return s;
  }
}

interface Watch { pgid: number; gpus?: number[]; acc: TelemetryAccumulator; file: string }

let sysconf: { pageSize: number; ticks: number } | undefined;
function sysConstants(): { pageSize: number; ticks: number } {
  if (!sysconf) {
    try {
      const [page, tck] = execFileSync('getconf', ['PAGESIZE', 'CLK_TCK'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split(/\s+/).map(Number);
      sysconf = { pageSize: page || 4096, ticks: tck || 100 };
    } catch {
      sysconf = { pageSize: 4096, ticks: 100 };
    }
  }
  return sysconf;
}

/** Samples every watched run once per interval; one instance per runner. */
export class TelemetrySampler {
  private watches = new Set<Watch>();
  private timer?: NodeJS.Timeout;
  private busy = false;
  private smiWorks = true;

  constructor(private o: { intervalMs?: number; nvidiaSmi?: string; procRoot?: string } = {}) {}

  /** Starts sampling a process group (and its GPUs) into `file`; returns the function that stops it. */
  watch(pgid: number, gpus: number[] | undefined, acc: TelemetryAccumulator, file: string): () => void {
    const w: Watch = { pgid, gpus: gpus?.length ? gpus : undefined, acc, file };
    acc.gap();
    this.watches.add(w);
    this.timer ??= setInterval(() => void this.tick(), this.o.intervalMs ?? 1000);
    this.timer.unref();
    return () => {
      this.watches.delete(w);
      if (!this.watches.size) { clearInterval(this.timer); this.timer = undefined; }
    };
  }

  private async tick(): Promise<void> {
    if (this.busy) return; // a slow nvidia-smi: skip a beat rather than pile up calls
    this.busy = true;
    try {
      const gpus = [...this.watches].some((w) => w.gpus) ? await this.gpuSamples() : [];
      const procs = this.procGroups(new Set([...this.watches].map((w) => w.pgid)));
      const t = Date.now();
      for (const w of this.watches) {
        const mine = w.gpus ? gpus.filter((g) => w.gpus!.includes(g.index)) : [];
        const rec = w.acc.add(t, procs.get(w.pgid), mine);
        try { appendLine(w.file, JSON.stringify(rec)); } catch { /* the run's folder went away: nothing to keep */ }
      }
    } finally {
      this.busy = false;
    }
  }

  private gpuSamples(): Promise<GpuSample[]> {
    if (!this.smiWorks) return Promise.resolve([]);
    return new Promise((resolve) => {
      execFile(this.o.nvidiaSmi ?? 'nvidia-smi', TELEMETRY_QUERY, { timeout: 5000 }, (err, stdout) => {
        // No nvidia-smi (a GPU override on a machine without the driver tools): stop asking.
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') this.smiWorks = false;
        resolve(err ? [] : parseGpuSamples(stdout));
      });
    });
  }

  /** CPU seconds, RSS and process count per watched process group, from one pass over /proc. */
  private procGroups(pgids: Set<number>): Map<number, { cpuS: number; rssBytes: number; procs: number }> {
    const root = this.o.procRoot ?? '/proc';
    const { pageSize, ticks } = sysConstants();
    const out = new Map<number, { cpuS: number; rssBytes: number; procs: number }>();
    let entries: string[] = [];
    try { entries = fs.readdirSync(root); } catch { return out; }
    for (const e of entries) {
      if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
      let st: ProcStat | undefined;
      try { st = parseProcStat(fs.readFileSync(`${root}/${e}/stat`, 'utf8')); } catch { continue; /* gone */ }
      if (!st || !pgids.has(st.pgrp)) continue;
      const g = out.get(st.pgrp) ?? { cpuS: 0, rssBytes: 0, procs: 0 };
      g.cpuS += st.cpuTicks / ticks;
      g.rssBytes += st.rssPages * pageSize;
      g.procs++;
      out.set(st.pgrp, g);
    }
    return out;
  }
}
