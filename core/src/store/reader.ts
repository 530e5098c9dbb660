// An incremental, read-only view of a results store, for processes that watch runners they do not
// own (the extension, `expctl status --watch`). After one full read it tails the append-only
// journal and re-reads only the run.json files its new lines name: with 1,000 runs in the store and
// 50 running, a look costs a stat, the new journal bytes and a few small reads — not 1,000 parses.
// All file I/O is async (fs.promises), so an editor's thread is never blocked on a slow or network
// disk; and it never writes or deletes anything, whatever it finds.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { damage, STATE_DELAY_MS } from './store';
import { alive } from '../util/process';
import type { RunRecord, RunSource } from './store';

/** How long a run.json may lag its journal line: the runner writes a passing state within STATE_DELAY_MS; a killed runner never does. */
const LAG_MS = 30_000;
/** run.json files read at once: enough to keep a network disk busy, few enough for its file handles. */
const PARALLEL_READS = 32;

interface Pending {
  /** The status the journal gave last; undefined: read until run.json stops changing. */
  status?: string;
  until: number;
}

export class StoreReader implements RunSource {
  private runs = new Map<string, RunRecord>();
  /** run.json text per run: a re-read that finds the same text is no change. */
  private texts = new Map<string, string>();
  private bad = new Map<string, { file: string; why: string }>();
  /** Bytes of the journal taken in, and which journal file (a replaced store has a new one). */
  private seen = 0;
  private journalId?: string;
  private loaded = false;
  /** Runs whose run.json may not yet hold what the journal said. */
  private pending = new Map<string, Pending>();
  private busy?: Promise<boolean>;

  constructor(readonly root: string) {}

  runDir(id: string): string { return path.join(this.root, 'runs', id); }
  sweepDir(id: string): string { return path.join(this.root, 'sweeps', id); }
  get journalFile(): string { return path.join(this.root, 'journal.jsonl'); }

  all(): RunRecord[] { return [...this.runs.values()]; }
  get(id: string): RunRecord | undefined { return this.runs.get(id); }
  /** run.json files that could not be taken in, and why. */
  get damaged(): Array<{ file: string; why: string }> { return [...this.bad.values()]; }

  /**
   * Takes in what changed since the last call (everything, the first time, or when the journal was
   * replaced or truncated); resolves true when any run was added, changed or removed. Calls made
   * while one is under way share it.
   */
  refresh(): Promise<boolean> {
    this.busy ??= this.look().finally(() => { this.busy = undefined; });
    return this.busy;
  }

  private async look(): Promise<boolean> {
    const st = await fsp.stat(this.journalFile, { bigint: false }).catch(() => undefined);
    const id = st && `${st.dev}:${st.ino}`;
    if (!this.loaded || id !== this.journalId || (st && st.size < this.seen)) return this.reload(st?.size ?? 0, id);
    const now = Date.now();
    if (st && st.size > this.seen) {
      for (const e of await this.newEvents(st.size)) {
        if (typeof e.run_id === 'string' && !e.run_id.startsWith('.')) this.pending.set(e.run_id, { status: typeof e.status === 'string' ? e.status : undefined, until: now + LAG_MS });
      }
    }
    if (!this.pending.size) return false;
    const ids = [...this.pending.keys()];
    const changed = await this.readRuns(ids);
    for (const runId of ids) {
      const p = this.pending.get(runId);
      const rec = this.runs.get(runId);
      // Settled: run.json has the journal's status, or is gone, or the lag is past what a live runner leaves.
      if (p && (!rec || (p.status !== undefined && rec.status === p.status) || now > p.until)) this.pending.delete(runId);
    }
    return changed;
  }

  /** Reads every run.json; the journal's lines from here on name what changes next. */
  private async reload(size: number, id: string | undefined): Promise<boolean> {
    this.seen = size;
    this.journalId = id;
    this.loaded = true;
    this.pending.clear();
    const names = await fsp.readdir(path.join(this.root, 'runs')).catch(() => [] as string[]);
    // Folders starting with '.' are runs still being built (FileStore.create): not runs yet.
    const ids = names.filter((n) => !n.startsWith('.'));
    const present = new Set(ids);
    let changed = false;
    for (const gone of [...this.runs.keys(), ...this.bad.keys()]) if (!present.has(gone) && this.forget(gone)) changed = true;
    if (await this.readRuns(ids)) changed = true;
    // A live runner may have journalled a state before `size` that its run.json gets within STATE_DELAY_MS.
    const until = Date.now() + 3 * STATE_DELAY_MS;
    for (const r of this.runs.values()) if ((r.status === 'running' || r.status === 'queued') && alive(r.runner_pid)) this.pending.set(r.id, { until });
    return changed;
  }

  /** Reads these runs' run.json files, PARALLEL_READS at a time; true when any changed. */
  private async readRuns(ids: string[]): Promise<boolean> {
    let changed = false;
    let next = 0;
    const worker = async () => {
      while (next < ids.length) if (await this.readRun(ids[next++])) changed = true;
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, ids.length) }, worker));
    return changed;
  }

  private async readRun(id: string): Promise<boolean> {
    const file = path.join(this.runDir(id), 'run.json');
    let text: string;
    try { text = await fsp.readFile(file, 'utf8'); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // No run.json: deleted, or a run a crash interrupted before its first save.
      if (code === 'ENOENT' || code === 'ENOTDIR') return this.forget(id);
      return this.setBad(id, file, `cannot be read (${code ?? (e as Error).message})`);
    }
    if (this.texts.get(id) === text) return false;
    let rec: unknown;
    try { rec = JSON.parse(text); } catch (e) { return this.setBad(id, file, `not JSON (${(e as Error).message})`); }
    const why = damage(rec, id);
    if (why) return this.setBad(id, file, why);
    this.bad.delete(id);
    this.runs.set(id, rec as RunRecord);
    this.texts.set(id, text);
    return true;
  }

  private setBad(id: string, file: string, why: string): boolean {
    const had = this.runs.has(id) || this.bad.get(id)?.why !== why;
    this.runs.delete(id);
    this.texts.delete(id);
    this.bad.set(id, { file, why });
    return had;
  }

  private forget(id: string): boolean {
    const had = this.runs.has(id) || this.bad.has(id);
    this.runs.delete(id);
    this.texts.delete(id);
    this.bad.delete(id);
    return had;
  }

  /** The journal's complete lines from `seen` to `size`; a line still being appended is taken in next time, a torn one skipped. */
  private async newEvents(size: number): Promise<Array<{ run_id?: unknown; status?: unknown }>> {
    let fh: Awaited<ReturnType<typeof fsp.open>>;
    try { fh = await fsp.open(this.journalFile, 'r'); } catch { return []; }
    try {
      const buf = Buffer.alloc(size - this.seen);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.seen);
      const end = buf.subarray(0, bytesRead).lastIndexOf(10);
      if (end < 0) return [];
      this.seen += end + 1;
      const out: Array<{ run_id?: unknown; status?: unknown }> = [];
      for (const line of buf.toString('utf8', 0, end).split('\n')) {
        try { out.push(JSON.parse(line) as { run_id?: unknown; status?: unknown }); } catch { /* blank, or torn by a kill -9 */ }
      }
      return out;
    } finally {
      await fh.close();
    }
  }
}
