// The telemetry accumulator, pure: readings and times go in, the run's summary comes out. GPU
// energy from nvidia-smi's counter or from power over time, extended to the attempt's wall time
// when readings bracket it; CPU package energy from RAPL with its wrap-around; and how an attempt
// killed over resources.memory is classified.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { classify } from '../../core/src/runner/failure';
import { parseGpuSamples, TelemetryAccumulator } from '../../core/src/runner/telemetry';
import type { GpuSample } from '../../core/src/runner/telemetry';

const MJ_PER_WH = 3.6e6;
const close = (actual: number | undefined, expected: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-6 + Math.abs(expected) * 1e-6, `${what}: ${actual} vs ${expected}`);
/** Two GPUs at `watts` each, their counters at `mj` (undefined: the board reports [N/A]). */
const gpus = (watts: number | undefined, mj: [number, number] | undefined): GpuSample[] =>
  [0, 1].map((index) => ({ index, util: 100, memMb: 10, powerW: watts, ...(mj ? { energyMj: mj[index] } : {}) }));

describe('nvidia-smi readings', () => {
  it('parse the energy counter; [N/A] and [Not Supported] leave it out', () => {
    assert.deepEqual(parseGpuSamples('0, 98, 1, 76.41, 123456789\n1, 100, 38742, [N/A], [N/A]\n2, 5, 7, 30.5, [Not Supported]\n'), [
      { index: 0, util: 98, memMb: 1, powerW: 76.41, energyMj: 123456789 },
      { index: 1, util: 100, memMb: 38742, powerW: undefined },
      { index: 2, util: 5, memMb: 7, powerW: 30.5 },
    ]);
  });
});

describe('GPU energy', () => {
  it("takes the counter's increase between the start and exit readings, scaled to the wall time: coverage 1", () => {
    const acc = new TelemetryAccumulator();
    acc.begin(1000, true);
    // Each nvidia-smi call answers ~50 ms after it is asked: the readings' window is 3050 ms of a 3000 ms attempt.
    const start = acc.add(1050, undefined, gpus(250, [1_000_000, 2_000_000]), { at: 'start' });
    assert.deepEqual(start, { t: new Date(1050).toISOString(), at: 'start', gpus: [
      { index: 0, util: 100, mem_mb: 10, power_w: 250, energy_mj: 1_000_000 }, { index: 1, util: 100, mem_mb: 10, power_w: 250, energy_mj: 2_000_000 }] });
    acc.add(2050, { cpuS: 1, rssBytes: 2 ** 20, procs: 1 }, gpus(250, [1_250_000, 2_250_000]));
    acc.add(4100, undefined, gpus(40, [1_700_000, 2_800_000]), { at: 'exit' });
    acc.end(4000);
    const s = acc.summary()!;
    close(s.energy_wh, (700_000 + 800_000) / MJ_PER_WH * 3000 / 3050, 'energy');
    assert.equal(s.energy_method, 'counter');
    assert.equal(s.energy_coverage, 1);
    assert.equal(s.samples, 3);
  });

  it('falls back to power integrated over the start, once-a-second and exit readings when the counter is [N/A]', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, true);
    acc.add(100, undefined, gpus(100, undefined), { at: 'start' });
    acc.add(1100, undefined, gpus(300, undefined));
    acc.add(2100, undefined, gpus(100, undefined), { at: 'exit' });
    acc.end(2000);
    const s = acc.summary()!;
    // Trapezoid over 2 GPUs: (200+600)/2 W for 1 s, twice = 800 J over the 2000 ms window, which is the wall time.
    close(s.energy_wh, 800 / 3600, 'energy');
    assert.deepEqual([s.energy_method, s.energy_coverage, s.power_w_peak], ['power_samples', 1, 300]);
  });

  it('a counter that went back (the driver reloaded) falls back to power', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, true);
    acc.add(0, undefined, gpus(100, [5_000_000, 5_000_000]), { at: 'start' });
    acc.add(1000, undefined, gpus(100, [10, 10]), { at: 'exit' });
    acc.end(1000);
    const s = acc.summary()!;
    close(s.energy_wh, 200 / 3600, 'energy');
    assert.equal(s.energy_method, 'power_samples');
  });

  it('without the start reading (nvidia-smi failed then), covers only the window it has, unscaled', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, true);
    assert.equal(acc.add(50, undefined, [], { at: 'start' }), undefined); // no GPU answer: no line
    acc.add(1000, undefined, gpus(250, [0, 0]));
    acc.add(4000, undefined, gpus(250, [750_000, 750_000]), { at: 'exit' });
    acc.end(4000);
    const s = acc.summary()!;
    close(s.energy_wh, 1_500_000 / MJ_PER_WH, 'energy');
    assert.deepEqual([s.energy_method, s.energy_coverage, s.samples], ['counter', 0.75, 2]);
  });

  it('does not scale up from a start reading that came too late', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, true);
    acc.add(2900, undefined, gpus(250, [0, 0]), { at: 'start' }); // a slow nvidia-smi: 2.9 s of a 3 s attempt
    acc.add(3100, undefined, gpus(250, [50_000, 50_000]), { at: 'exit' });
    acc.end(3000);
    const s = acc.summary()!;
    close(s.energy_wh, 100_000 / MJ_PER_WH, 'energy');
    assert.equal(s.energy_coverage, 0.067);
  });

  it('adds attempts up: energy and wall time; the method is the counter only if every attempt had it', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, true); // 1 s by the counter
    acc.add(0, undefined, gpus(100, [0, 0]), { at: 'start' });
    acc.add(1000, undefined, gpus(100, [100_000, 100_000]), { at: 'exit' });
    acc.end(1000);
    acc.begin(5000, true); // 3 s by power, its start reading lost: 2 s covered
    acc.add(6000, undefined, gpus(100, undefined));
    acc.add(8000, undefined, gpus(100, undefined), { at: 'exit' });
    acc.end(8000);
    acc.begin(9000, true); // 1 s with a single reading: nothing measured
    acc.add(10_000, undefined, gpus(100, undefined), { at: 'exit' });
    acc.end(10_000);
    const s = acc.summary()!;
    close(s.energy_wh, (200_000 / 1000 + 400) / 3600, 'energy');
    assert.deepEqual([s.energy_method, s.energy_coverage], ['power_samples', 0.6]); // 3 s of 5
  });

  it('a run without GPUs has no GPU energy; with nothing measured there is no summary', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, false);
    acc.end(300);
    assert.equal(acc.summary(), undefined);
    acc.begin(1000, false);
    acc.add(2000, { cpuS: 0.5, rssBytes: 2 ** 20, procs: 1 }, []);
    acc.end(2100);
    assert.deepEqual(acc.summary(), { samples: 1, rss_mb_peak: 1 });
  });
});

describe('CPU energy (RAPL)', () => {
  it("adds each package's increases, across its wrap-around and across attempts; edges without GPUs write no line", () => {
    const acc = new TelemetryAccumulator();
    const max = 262_143_328_850;
    acc.begin(0, false);
    assert.equal(acc.add(0, undefined, [], { at: 'start', rapl: [{ zone: 'intel-rapl:0', uj: max - 1_000_000, maxUj: max }, { zone: 'intel-rapl:1', uj: 0, maxUj: max }] }), undefined);
    acc.add(1000, { cpuS: 1, rssBytes: 2 ** 20, procs: 1 }, [], { rapl: [{ zone: 'intel-rapl:0', uj: 2_000_000, maxUj: max }, { zone: 'intel-rapl:1', uj: 1_000_000, maxUj: max }] });
    acc.add(1500, undefined, [], { at: 'exit', rapl: [{ zone: 'intel-rapl:0', uj: 2_500_000, maxUj: max }] }); // zone 1 unreadable this time
    acc.end(1500);
    acc.begin(5000, false); // a short attempt: its two edges only
    acc.add(5000, undefined, [], { at: 'start', rapl: [{ zone: 'intel-rapl:0', uj: 10_000_000, maxUj: max }] });
    acc.add(5100, undefined, [], { at: 'exit', rapl: [{ zone: 'intel-rapl:0', uj: 10_360_000, maxUj: max }] });
    acc.end(5100);
    // 3 J + 0.5 J on package 0, 1 J on package 1, then 0.36 J: 4.86 J.
    close(acc.summary()!.cpu_energy_wh, 4.86 / 3600, 'cpu energy');
    assert.equal(acc.summary()!.samples, 1);
  });

  it('a single reading measures nothing: cpu_energy_wh is absent, not 0', () => {
    const acc = new TelemetryAccumulator();
    acc.begin(0, false);
    acc.add(0, undefined, [], { at: 'start', rapl: [{ zone: 'intel-rapl:0', uj: 5, maxUj: 10 }] });
    acc.end(10);
    assert.equal(acc.summary(), undefined);
  });
});

describe('resources.memory', () => {
  it('an attempt killed over the limit is oom, saying by how much — whatever its SIGKILL or a timeout would say', () => {
    const o = { exitCode: null, signal: 'SIGKILL' as const, timedOut: true, cancelled: false, stderrTail: '', program: 'python' };
    assert.deepEqual(classify({ ...o, memoryExceeded: { rssBytes: 1.2 * 2 ** 30, limit: '1Gi' } }),
      { class: 'oom', message: 'used 1.2 GiB (RSS of its processes), over resources.memory 1Gi: killed' });
    assert.equal(classify(o)!.class, 'timeout');
  });
});
