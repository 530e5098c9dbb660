// Terminal output of `expctl status` and the progress line of `expctl run`: colours and redraws on a
// TTY only (and never with NO_COLOR), plain lines everywhere else so logs and pipes stay readable.
import { problemSentences } from '../../core/src/runner/status';
import type { MetricProblems, SweepStatus } from '../../core/src/runner/status';
import { metricText } from '../../core/src/runner/metrics';
import { formatDuration, formatNumber } from '../../core/src/util/units';

export interface Style { color: boolean }

export function styleFor(stream: NodeJS.WriteStream): Style {
  return { color: !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb' };
}

const codes = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export function paint(st: Style, c: keyof typeof codes, s: string): string {
  return st.color ? `\x1b[${codes[c]}m${s}\x1b[0m` : s;
}

export const fmtNum = formatNumber;
export const fmtElapsed = (s: number) => formatDuration(Math.round(s));

/** `[██████░░░░]` of width `w` for done/total. */
export function bar(done: number, total: number, w = 20): string {
  const full = total > 0 ? Math.round((done / total) * w) : 0;
  return `${'█'.repeat(full)}${'░'.repeat(w - full)}`;
}

export function renderStatus(sweeps: SweepStatus[], st: Style, storeLabel: string): string {
  if (!sweeps.length) return `no runs in ${storeLabel} yet (start one with \`expctl run <file>\`)\n`;
  const out: string[] = [];
  for (const s of sweeps) {
    const c = s.counts;
    const done = c.succeeded + c.failed + c.cancelled;
    const runner = s.runner ? (s.runner.alive ? paint(st, 'green', `runner ${s.runner.pid} running`) : paint(st, 'dim', 'no runner')) : paint(st, 'dim', 'no runner');
    out.push(`${paint(st, 'bold', s.name)}  ${paint(st, 'dim', s.id)}  ${s.target ?? 'local'}  ${runner}`);
    const parts = [
      paint(st, 'green', `✓ ${c.succeeded}`), paint(st, 'red', `✗ ${c.failed}`), paint(st, 'cyan', `▶ ${c.running}`),
      ...(c.queued ? [`queued ${c.queued}`] : []), ...(c.cancelled ? [`■ ${c.cancelled} cancelled`] : []),
      ...(c.interrupted ? [paint(st, 'yellow', `${c.interrupted} interrupted (expctl run resumes them)`)] : []),
      ...(c.pending ? [`${c.pending} pending`] : []),
      ...(s.changed ? [paint(st, 'yellow', `${s.changed} changed (expctl run re-runs them)`)] : []),
    ];
    out.push(`  ${bar(done, s.total)} ${done}/${s.total}  ${parts.join('  ')}`);
    if (s.best && s.metric) out.push(`  best ${s.metric.name} (${s.metric.goal}): ${fmtNum(s.best.value)} — ${s.best.trial} (${s.best.id})`);
    for (const r of s.running) {
      const m = r.latest ? `  ${r.latest.name} ${metricText(r.latest.value)}${r.latest.step !== undefined ? ` @ step ${r.latest.step}` : ''}` : '';
      out.push(`  ${paint(st, 'cyan', '▶')} ${r.trial}  ${fmtElapsed(r.elapsedS)}  attempt ${r.attempt}${r.gpus?.length ? `  GPU ${r.gpus.join(',')}` : ''}${m}  ${paint(st, 'dim', r.id)}`);
    }
    for (const f of s.failed.slice(0, 5)) out.push(`  ${paint(st, 'red', '✗')} ${f.trial}  ${f.failure}${f.message ? ` — ${f.message}` : ''}  ${paint(st, 'dim', f.id)}`);
    if (s.failed.length > 5) out.push(`  … ${s.failed.length - 5} more failed (expctl ls --sweep ${s.id} --status failed)`);
    out.push(...problemLines(s.metricProblems, st, 5).map((l) => `  ${l}`));
    out.push('');
  }
  return out.join('\n');
}

/** MetricProblems (problemSentences) marked ⚠: `expctl status` per sweep, `expctl run` at its end. */
export function problemLines(p: MetricProblems, st: Style, max: number): string[] {
  return problemSentences(p, max).map((t) => `${paint(st, 'yellow', '⚠')} ${t}`);
}

/**
 * The last line of a TTY shows progress; event lines are printed above it. Without a TTY nothing
 * is redrawn: `line()` just prints.
 */
export class ProgressLine {
  private shown = false;
  private state = { done: 0, total: 0, ok: 0, failed: 0, running: 0 };
  private readonly t0 = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(private out: NodeJS.WriteStream, private st: Style) {
    if (this.st.color) { this.timer = setInterval(() => this.draw(), 1000); this.timer.unref(); }
  }

  /** Prints a line above the progress line, which then shows `p`. */
  line(s: string, p: Partial<ProgressLine['state']> = {}): void {
    Object.assign(this.state, p);
    if (this.st.color && this.shown) this.out.write('\r\x1b[2K');
    this.out.write(`${s}\n`);
    this.shown = false;
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.st.color && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(): void {
    if (!this.st.color) return;
    const { done, total, ok, failed, running } = this.state;
    const el = (Date.now() - this.t0) / 1000;
    const eta = done > 0 && done < total ? `  ETA ${fmtElapsed((el / done) * (total - done))}` : '';
    const text = `${bar(done, total, 24)} ${done}/${total}  ${paint(this.st, 'green', `✓ ${ok}`)} ${paint(this.st, 'red', `✗ ${failed}`)} ${paint(this.st, 'cyan', `▶ ${running}`)}  ${fmtElapsed(el)}${eta}`;
    this.out.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }
}
