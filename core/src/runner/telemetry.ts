// Telemetry of local runs: once a second, one nvidia-smi call for every GPU in use and one pass
// over /proc for every watched process group — however many runs are going — so sampling costs
// the same with 1 run or 64. Each run gets telemetry.jsonl (one line per sample) and a summary of
// peaks, means and energy in run.json. Energy also needs readings at each attempt's edges, which
// the once-a-second beat misses (a 0.3 s run has no sample at all): a run with GPUs gets one
// nvidia-smi call as its attempt starts and one after it exits, and every run reads the CPU
// packages' RAPL counters then (two small sysfs reads, when readable). A CPU-only run pays no
// extra /proc pass for that. The same /proc pass enforces `resources.memory`.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendLine } from '../store/atomic';

const GPU_FIELDS = 'index,utilization.gpu,memory.used,power.draw';
const CSV = '--format=csv,noheader,nounits';
/**
 * What each GPU reading asks: utilisation, memory, power, the energy counter (mJ since the driver
 * loaded; Volta and newer), and when nvidia-smi read them — which can be a good part of a second
 * after it was asked.
 */
export const TELEMETRY_QUERY = [`--query-gpu=${GPU_FIELDS},total_energy_consumption,timestamp`, CSV];
/** The plain query, for an nvidia-smi that refuses a field of the first. */
export const TELEMETRY_QUERY_PLAIN = [`--query-gpu=${GPU_FIELDS}`, CSV];

/** One GPU's reading; `tMs`: when nvidia-smi read it, from its `timestamp` (local time, `2026/01/15 10:23:45.123`). */
export interface GpuSample { index: number; util?: number; memMb?: number; powerW?: number; energyMj?: number; tMs?: number }

const SMI_TIME = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?$/;

/** Parses TELEMETRY_QUERY output (or the plain query's); "[N/A]" and "[Not Supported]" become undefined. */
export function parseGpuSamples(text: string): GpuSample[] {
  const num = (s: string | undefined) => (s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);
  const out: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const c = line.split(',').map((x) => x.trim());
    if (!/^\d+$/.test(c[0] ?? '')) continue;
    const energyMj = num(c[4]);
    const t = SMI_TIME.exec(c[5] ?? '');
    const tMs = t ? new Date(+t[1], +t[2] - 1, +t[3], +t[4], +t[5], +t[6], +(t[7] ?? '0').padEnd(3, '0')).getTime() : undefined;
    out.push({ index: Number(c[0]), util: num(c[1]), memMb: num(c[2]), powerW: num(c[3]), ...(energyMj !== undefined ? { energyMj } : {}), ...(tMs !== undefined ? { tMs } : {}) });
  }
  return out;
}

/** One CPU package's RAPL energy counter (µJ), which wraps to 0 after maxUj. */
export interface RaplSample { zone: string; uj: number; maxUj: number }

interface RaplZone { zone: string; file: string; maxUj: number }

/**
 * The CPU packages under a powercap root (`intel-rapl:N` named `package-N`; `intel-rapl:N:M` are
 * their parts, `psys` the whole platform) whose counter this process may read — since Linux 5.10
 * only root may, by default. [] when there are none.
 */
export function raplZones(root: string): RaplZone[] {
  let entries: string[];
  try { entries = fs.readdirSync(root); } catch { return []; }
  const out: RaplZone[] = [];
  for (const zone of entries.filter((e) => /^intel-rapl:\d+$/.test(e)).sort()) {
    const dir = path.join(root, zone);
    try {
      if (!fs.readFileSync(path.join(dir, 'name'), 'utf8').startsWith('package')) continue;
      const maxUj = Number(fs.readFileSync(path.join(dir, 'max_energy_range_uj'), 'utf8'));
      const file = path.join(dir, 'energy_uj');
      fs.readFileSync(file); // readable?
      if (maxUj > 0) out.push({ zone, file, maxUj });
    } catch { /* not readable: no CPU energy from it */ }
  }
  return out;
}

function readRapl(zones: RaplZone[]): RaplSample[] {
  const out: RaplSample[] = [];
  for (const z of zones) {
    try {
      const uj = Number(fs.readFileSync(z.file, 'utf8'));
      if (Number.isFinite(uj)) out.push({ zone: z.zone, uj, maxUj: z.maxUj });
    } catch { /* a read that failed: the next one bridges it */ }
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

/** How a run's GPU energy was measured: nvidia-smi's energy counter, or power.draw integrated over time. */
export type EnergyMethod = 'counter' | 'power_samples';

export interface TelemetrySummary {
  samples: number;
  cpu_pct_peak?: number;
  cpu_pct_mean?: number;
  rss_mb_peak?: number;
  gpu_util_mean?: number;
  gpu_util_peak?: number;
  gpu_mem_mb_peak?: number;
  power_w_peak?: number;
  /** The run's GPUs' energy over its attempts, Wh. */
  energy_wh?: number;
  /** `counter` when every attempt had the counter, else `power_samples`. */
  energy_method?: EnergyMethod;
  /** The fraction of the attempts' wall time that energy_wh covers (1: all of it). */
  energy_coverage?: number;
  /** The CPU packages' energy (RAPL) over the attempts, Wh: everything running on them, not only this run. */
  cpu_energy_wh?: number;
}

export interface TelemetryRecord {
  t: string;
  /** A reading taken as an attempt started or after it exited, for its energy; the others come once a second. */
  at?: 'start' | 'exit';
  cpu_pct?: number;
  rss_mb?: number;
  procs?: number;
  gpus?: Array<{ index: number; util?: number; mem_mb?: number; power_w?: number; energy_mj?: number }>;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const MJ_PER_WH = 3.6e6;
const UJ_PER_WH = 3.6e9;

/** A reading that energy is measured from: its time, whether it was an edge, and what it held. */
interface Mark<T> { tMs: number; at?: 'start' | 'exit'; v: T }

/** What one attempt's readings add up to so far. */
interface AttemptEnergy {
  startMs: number;
  gpus: boolean;
  firstCounter?: Mark<Map<number, number>>;
  lastCounter?: Mark<Map<number, number>>;
  firstPower?: Mark<number>;
  lastPower?: Mark<number>;
  /** power.draw integrated between the readings that had it (trapezoid rule), Wh. */
  powerWh: number;
  rapl: Map<string, number>;
}

/**
 * Energy measured between two readings, for an attempt of `wallMs`. When the readings are the
 * ones at its start and exit, they cover all of it — the first is taken once its process runs,
 * the last after it ended, each an nvidia-smi call late — and the energy is scaled to the wall
 * time at the window's mean power. Otherwise (a reading failed) it covers the window only.
 */
function overWallTime(wh: number, first: Mark<unknown>, last: Mark<unknown>, wallMs: number): { wh: number; coverage: number } | undefined {
  const window = last.tMs - first.tMs;
  if (!(window > 0)) return undefined;
  // A start reading that came late (a slow nvidia-smi) leaves too short a window to scale from.
  if (first.at === 'start' && last.at === 'exit' && window >= wallMs / 2) return { wh: wh * wallMs / window, coverage: 1 };
  return { wh, coverage: wallMs > 0 ? Math.min(1, window / wallMs) : 1 };
}

/** The counter's increase over the attempt, when the first and last readings had it for the same GPUs and it did not go back (a driver reload). */
function counterWh(a: AttemptEnergy): number | undefined {
  const first = a.firstCounter?.v;
  const last = a.lastCounter?.v;
  if (!first || !last || first.size !== last.size) return undefined;
  let mj = 0;
  for (const [index, e0] of first) {
    const e1 = last.get(index);
    if (e1 === undefined || e1 < e0) return undefined;
    mj += e1 - e0;
  }
  return mj / MJ_PER_WH;
}

/** A run's samples folded into its summary (pure: times and readings come in). */
export class TelemetryAccumulator {
  private samples = 0;
  private cpuSum = 0;
  private cpuN = 0;
  private utilSum = 0;
  private utilN = 0;
  private peaks = { cpu: -Infinity, rss: -Infinity, util: -Infinity, mem: -Infinity, power: -Infinity };
  private prevProc?: { tMs: number; cpuS: number };
  private cur?: AttemptEnergy;
  /** GPU energy of the ended attempts: Wh, the wall time it covers and the wall time of attempts with GPUs (ms), the methods used. */
  private gpuEnergy = { wh: 0, coveredMs: 0, wallMs: 0, methods: new Set<EnergyMethod>() };
  private cpuEnergy?: { uj: number };

  /** An attempt starts (at `startMs`, with GPUs or not): the readings until end() are its own (a reading before any begin() starts one). */
  begin(startMs: number, gpus: boolean): void {
    this.cur = { startMs, gpus, powerWh: 0, rapl: new Map() };
    this.prevProc = undefined;
  }

  /**
   * One reading: once a second (processes, GPUs, RAPL), or at an attempt's edge (`at`: GPUs and
   * RAPL). Returns its line for telemetry.jsonl; none for an edge without GPUs.
   */
  add(tMs: number, proc: { cpuS: number; rssBytes: number; procs: number } | undefined, gpus: GpuSample[],
    o: { rapl?: RaplSample[]; at?: 'start' | 'exit' } = {}): TelemetryRecord | undefined {
    if (!this.cur) this.begin(tMs, gpus.length > 0);
    const a = this.cur!;
    for (const r of o.rapl ?? []) {
      const prev = a.rapl.get(r.zone);
      if (prev !== undefined) {
        this.cpuEnergy ??= { uj: 0 };
        // Past maxUj the counter starts again from 0 (every ~20–60 min under load).
        this.cpuEnergy.uj += r.uj >= prev ? r.uj - prev : Math.max(0, r.maxUj - prev + r.uj);
      }
      a.rapl.set(r.zone, r.uj);
    }
    if (o.at && !gpus.length) return undefined;
    this.samples++;
    const rec: TelemetryRecord = { t: new Date(tMs).toISOString(), ...(o.at ? { at: o.at } : {}) };
    if (proc) {
      rec.rss_mb = round(proc.rssBytes / 2 ** 20, 1);
      rec.procs = proc.procs;
      this.peaks.rss = Math.max(this.peaks.rss, rec.rss_mb);
      const dt = this.prevProc ? (tMs - this.prevProc.tMs) / 1000 : 0;
      if (this.prevProc && dt > 0) {
        // A child that exited unreaped by the group takes its ticks with it: never negative.
        rec.cpu_pct = round(Math.max(0, (proc.cpuS - this.prevProc.cpuS) / dt) * 100, 1);
        this.peaks.cpu = Math.max(this.peaks.cpu, rec.cpu_pct);
        this.cpuSum += rec.cpu_pct;
        this.cpuN++;
      }
      this.prevProc = { tMs, cpuS: proc.cpuS };
    }
    if (gpus.length) {
      rec.gpus = gpus.map((g) => ({ index: g.index, util: g.util, mem_mb: g.memMb, power_w: g.powerW, ...(g.energyMj !== undefined ? { energy_mj: g.energyMj } : {}) }));
      for (const g of gpus) {
        if (g.util !== undefined) { this.utilSum += g.util; this.utilN++; this.peaks.util = Math.max(this.peaks.util, g.util); }
        if (g.memMb !== undefined) this.peaks.mem = Math.max(this.peaks.mem, g.memMb);
      }
      // Energy is timed by when nvidia-smi read the GPUs, if it says (and its clock is ours: not
      // across a change from summer time), else by when it was asked.
      const read = gpus[0].tMs;
      const te = read !== undefined && Math.abs(read - tMs) < 60_000 ? read : tMs;
      if (gpus.every((g) => g.energyMj !== undefined)) {
        const m: Mark<Map<number, number>> = { tMs: te, at: o.at, v: new Map(gpus.map((g) => [g.index, g.energyMj!])) };
        a.firstCounter ??= m;
        a.lastCounter = m;
      }
      const watts = gpus.map((g) => g.powerW).filter((w): w is number => w !== undefined);
      if (watts.length) {
        const power = watts.reduce((x, y) => x + y, 0);
        this.peaks.power = Math.max(this.peaks.power, ...watts);
        // Between the readings that have power: one nvidia-smi call that failed is bridged.
        if (a.lastPower && te > a.lastPower.tMs) a.powerWh += ((power + a.lastPower.v) / 2) * (te - a.lastPower.tMs) / 3_600_000;
        a.firstPower ??= { tMs: te, at: o.at, v: power };
        a.lastPower = { tMs: te, at: o.at, v: power };
      }
    }
    return rec;
  }

  /** The attempt ended at `endMs` (its exit reading, if any, is in): its energy is added to the run's. */
  end(endMs: number): void {
    const a = this.cur;
    this.cur = undefined;
    this.prevProc = undefined;
    if (!a?.gpus) return;
    const wallMs = Math.max(0, endMs - a.startMs);
    const counter = counterWh(a);
    const byCounter = counter !== undefined ? overWallTime(counter, a.firstCounter!, a.lastCounter!, wallMs) : undefined;
    const byPower = byCounter || !a.firstPower ? undefined : overWallTime(a.powerWh, a.firstPower, a.lastPower!, wallMs);
    const e = this.gpuEnergy;
    e.wallMs += wallMs;
    if (byCounter || byPower) {
      const m = byCounter ?? byPower!;
      e.wh += m.wh;
      e.coveredMs += m.coverage * wallMs;
      e.methods.add(byCounter ? 'counter' : 'power_samples');
    } else if (a.firstPower || a.firstCounter) {
      e.methods.add('power_samples'); // one reading: nothing measured, the coverage says so
    }
  }

  /** The run's summary; undefined when nothing was measured (a run under a second, no GPU, no RAPL). */
  summary(): TelemetrySummary | undefined {
    const s: TelemetrySummary = { samples: this.samples };
    const peak = (v: number) => (Number.isFinite(v) ? v : undefined);
    if (this.cpuN) { s.cpu_pct_peak = peak(this.peaks.cpu); s.cpu_pct_mean = round(this.cpuSum / this.cpuN, 1); }
    s.rss_mb_peak = peak(this.peaks.rss);
    if (this.utilN) { s.gpu_util_mean = round(this.utilSum / this.utilN, 1); s.gpu_util_peak = peak(this.peaks.util); }
    s.gpu_mem_mb_peak = peak(this.peaks.mem);
    s.power_w_peak = peak(this.peaks.power);
    const e = this.gpuEnergy;
    if (e.methods.size) {
      s.energy_wh = round(e.wh, 6);
      s.energy_method = e.methods.has('power_samples') ? 'power_samples' : 'counter';
      s.energy_coverage = e.wallMs > 0 ? round(e.coveredMs / e.wallMs, 3) : 1;
    }
    if (this.cpuEnergy) s.cpu_energy_wh = round(this.cpuEnergy.uj / UJ_PER_WH, 6);
    for (const k of Object.keys(s) as Array<keyof TelemetrySummary>) if (s[k] === undefined) delete s[k];
    return this.samples || s.cpu_energy_wh !== undefined ? s : undefined;
  }
}

export interface WatchOptions {
  /** When the attempt started (ms since the epoch; default: now): GPU energy covers its wall time from then. */
  startedMs?: number;
  /** `resources.memory`: once the group's RSS is over `bytes`, `exceeded` is called (once). */
  memoryLimit?: { bytes: number; exceeded(rssBytes: number): void };
}

interface Watch {
  pgid: number;
  gpus?: number[];
  acc: TelemetryAccumulator;
  file: string;
  limit?: WatchOptions['memoryLimit'];
  /** Whether the reading at the attempt's start is in: samples must come after it. */
  ready: boolean;
}

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

const mine = (gpus: GpuSample[], w: Watch) => (w.gpus ? gpus.filter((g) => w.gpus!.includes(g.index)) : []);

/** Samples every watched run once per interval, and at each attempt's edges; one instance per runner. */
export class TelemetrySampler {
  private watches = new Set<Watch>();
  private timer?: NodeJS.Timeout;
  private busy = false;
  private smiWorks = true;
  private fullQuery = true;
  private zones?: RaplZone[];
  /** Per run: its last attempt's exit reading, until it is in. */
  private closing = new WeakMap<TelemetryAccumulator, Promise<void>>();

  constructor(private o: { intervalMs?: number; nvidiaSmi?: string; procRoot?: string; powercapRoot?: string } = {}) {}

  /**
   * Starts sampling a process group (and its GPUs) into `file`; returns the function that stops
   * it once the attempt has exited. The reading after the exit is taken then, without holding the
   * runner up: the next attempt's readings go into `acc` after it, and summary() waits for it.
   */
  watch(pgid: number, gpus: number[] | undefined, acc: TelemetryAccumulator, file: string, o: WatchOptions = {}): () => void {
    const w: Watch = { pgid, gpus: gpus?.length ? gpus : undefined, acc, file, limit: o.memoryLimit, ready: false };
    const startedMs = o.startedMs ?? Date.now();
    // Edge readings only where they measure something: GPUs (an nvidia-smi call) or RAPL (sysfs).
    const edges = w.gpus !== undefined || this.rapl().length > 0;
    const open = () => {
      acc.begin(startedMs, w.gpus !== undefined);
      return edges ? this.edge(w, 'start') : undefined;
    };
    const prior = this.closing.get(acc);
    const started = prior ? prior.then(open) : open();
    if (started) void started.then(() => { w.ready = true; });
    else w.ready = true;
    this.watches.add(w);
    this.timer ??= setInterval(() => void this.tick(), this.o.intervalMs ?? 1000);
    this.timer.unref();
    return () => {
      const endMs = Date.now();
      this.watches.delete(w);
      if (!this.watches.size) { clearInterval(this.timer); this.timer = undefined; }
      if (!started) { acc.end(endMs); return; }
      this.closing.set(acc, started.then(() => (edges ? this.edge(w, 'exit') : undefined)).then(() => acc.end(endMs)));
    };
  }

  /** A run's summary, once the reading after its last attempt's exit is in. */
  async summary(acc: TelemetryAccumulator): Promise<TelemetrySummary | undefined> {
    await this.closing.get(acc);
    return acc.summary();
  }

  private rapl(): RaplZone[] {
    return (this.zones ??= raplZones(this.o.powercapRoot ?? '/sys/class/powercap'));
  }

  /** A reading at an attempt's start or exit: RAPL at once, then the run's GPUs. */
  private async edge(w: Watch, at: 'start' | 'exit'): Promise<void> {
    const t = Date.now();
    const rapl = readRapl(this.rapl());
    const gpus = w.gpus ? mine(await this.gpuSamples(), w) : [];
    this.write(w, w.acc.add(t, undefined, gpus, { rapl, at }));
  }

  private write(w: Watch, rec: TelemetryRecord | undefined): void {
    if (!rec) return;
    try { appendLine(w.file, JSON.stringify(rec)); } catch { /* the run's folder went away: nothing to keep */ }
  }

  private async tick(): Promise<void> {
    const watches = [...this.watches];
    if (this.busy) {
      // A slow nvidia-smi holds back the samples, not the memory limits.
      const limited = watches.filter((w) => w.limit);
      if (limited.length) this.enforce(limited, this.procGroups(new Set(limited.map((w) => w.pgid))));
      return;
    }
    this.busy = true;
    try {
      const ready = watches.filter((w) => w.ready);
      const t = Date.now();
      const gpuCall = ready.some((w) => w.gpus) ? this.gpuSamples() : undefined; // answers while /proc is read
      const procs = this.procGroups(new Set(watches.map((w) => w.pgid)));
      this.enforce(watches, procs);
      const rapl = ready.length && this.rapl().length ? readRapl(this.rapl()) : undefined;
      const gpus = gpuCall ? await gpuCall : [];
      // An attempt that exited meanwhile has had its exit reading: nothing may come after it.
      for (const w of ready) if (this.watches.has(w)) this.write(w, w.acc.add(t, procs.get(w.pgid), mine(gpus, w), { rapl }));
    } finally {
      this.busy = false;
    }
  }

  /** Calls each limit that a group's RSS is over, once. */
  private enforce(watches: Watch[], procs: Map<number, { rssBytes: number }>): void {
    for (const w of watches) {
      const rss = procs.get(w.pgid)?.rssBytes;
      if (!w.limit || rss === undefined || rss <= w.limit.bytes) continue;
      const limit = w.limit;
      w.limit = undefined;
      limit.exceeded(rss);
    }
  }

  private gpuSamples(): Promise<GpuSample[]> {
    if (!this.smiWorks) return Promise.resolve([]);
    return new Promise((resolve) => {
      execFile(this.o.nvidiaSmi ?? 'nvidia-smi', this.fullQuery ? TELEMETRY_QUERY : TELEMETRY_QUERY_PLAIN, { timeout: 5000 }, (err, stdout, stderr) => {
        // No nvidia-smi (a GPU override on a machine without the driver tools): stop asking.
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') this.smiWorks = false;
        else if (err && this.fullQuery && /not a valid field/i.test(`${stdout}${stderr}`)) {
          // An nvidia-smi older than the energy counter refuses the whole query: ask the plain one from now on.
          this.fullQuery = false;
          return resolve(this.gpuSamples());
        }
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
