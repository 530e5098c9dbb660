import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findGpu, gpuCatalog, gpuKey } from '../../core/src/gpus';
import { formatDuration, parseDuration, parseQuantity } from '../../core/src/util/units';

describe('gpu catalog', () => {
  test('covers the models experiments ask for', () => {
    const required = ['K80', 'P100', 'P4', 'V100', 'T4', 'RTX 2080 Ti', 'A10', 'A10G', 'A30', 'A40', 'A100', 'A6000',
      'RTX 3090', 'RTX 4090', 'L4', 'L40', 'L40S', 'H100', 'H200', 'GH200', 'B200', 'MI250X', 'MI300X'];
    for (const name of required) assert.equal(findGpu(name)?.name, name, name);
  });

  test('entries are well-formed and names are unique', () => {
    const keys = new Map<string, string>();
    for (const g of gpuCatalog) {
      assert.ok(g.name && g.arch && g.computeCapability, g.name);
      assert.ok(g.memoryGb.length > 0 && g.memoryGb.every((m) => m > 0), g.name);
      assert.ok(!(g.fp8 && !g.bf16), `${g.name}: fp8 without bf16`);
      for (const n of [g.name, ...g.aliases]) {
        const k = gpuKey(n);
        if (keys.has(k)) assert.equal(keys.get(k), g.name, `${n} collides with ${keys.get(k)}`);
        keys.set(k, g.name);
        assert.equal(findGpu(n)?.name, g.name, n);
      }
    }
  });

  test('precision support follows the architecture', () => {
    const f = (n: string) => findGpu(n)!;
    for (const n of ['K80', 'P100', 'P4', 'V100', 'T4', 'RTX 2080 Ti']) assert.deepEqual([f(n).bf16, f(n).fp8], [false, false], n);
    for (const n of ['A10', 'A10G', 'A30', 'A40', 'A100', 'A6000', 'RTX 3090', 'MI250X']) assert.deepEqual([f(n).bf16, f(n).fp8], [true, false], n);
    for (const n of ['RTX 4090', 'L4', 'L40', 'L40S', 'H100', 'H200', 'GH200', 'B200', 'MI300X']) assert.deepEqual([f(n).bf16, f(n).fp8], [true, true], n);
    assert.deepEqual(f('A100').memoryGb, [40, 80]);
    assert.equal(f('V100').arch, 'Volta');
    assert.equal(f('V100').computeCapability, '7.0');
    assert.equal(f('H100').computeCapability, '9.0');
    assert.equal(f('MI300X').computeCapability, 'gfx942');
  });

  test('matches nvidia-smi, rocm-smi and Kubernetes label spellings', () => {
    const cases: Array<[string, string]> = [
      ['NVIDIA A100-SXM4-80GB', 'A100'],
      ['NVIDIA A100-PCIE-40GB', 'A100'],
      ['NVIDIA A100 80GB PCIe', 'A100'],
      ['Tesla V100-SXM2-16GB', 'V100'],
      ['Tesla V100-PCIE-32GB', 'V100'],
      ['Tesla P100-PCIE-16GB', 'P100'],
      ['Tesla T4', 'T4'],
      ['Tesla K80', 'K80'],
      ['NVIDIA H100 80GB HBM3', 'H100'],
      ['NVIDIA H100 PCIe', 'H100'],
      ['NVIDIA H100 NVL', 'H100'],
      ['NVIDIA H200', 'H200'],
      ['NVIDIA GH200 480GB', 'GH200'],
      ['NVIDIA B200', 'B200'],
      ['NVIDIA GeForce RTX 4090', 'RTX 4090'],
      ['NVIDIA GeForce RTX 3090', 'RTX 3090'],
      ['NVIDIA GeForce RTX 2080 Ti', 'RTX 2080 Ti'],
      ['NVIDIA RTX A6000', 'A6000'],
      ['NVIDIA A10G', 'A10G'],
      ['NVIDIA A10', 'A10'],
      ['NVIDIA L40S', 'L40S'],
      ['NVIDIA L4', 'L4'],
      ['NVIDIA-A100-SXM4-80GB', 'A100'],
      ['NVIDIA-GeForce-RTX-3090', 'RTX 3090'],
      ['Tesla-T4', 'T4'],
      ['NVIDIA A100-SXM4-40GB MIG 1g.5gb', 'A100'],
      ['AMD Instinct MI300X', 'MI300X'],
      ['AMD Instinct MI250X / MI250', 'MI250X'],
      ['AMD Instinct MI250', 'MI250X'],
      ['a100-80gb', 'A100'],
      ['h100', 'H100'],
      ['  l40s ', 'L40S'],
      ['rtx4090', 'RTX 4090'],
      ['2080ti', 'RTX 2080 Ti'],
    ];
    for (const [input, expected] of cases) assert.equal(findGpu(input)?.name, expected, input);
  });

  test('does not confuse neighbouring models or accept unknown names', () => {
    assert.equal(findGpu('A10')?.name, 'A10');
    assert.equal(findGpu('A10G')?.name, 'A10G');
    assert.equal(findGpu('L40')?.name, 'L40');
    assert.equal(findGpu('A1000'), undefined);
    for (const bad of ['', '   ', 'H10', 'H1000', 'NVIDIA', 'Tesla', 'GPU', 'A100X', 'TPU v4', '80GB']) {
      assert.equal(findGpu(bad), undefined, bad);
    }
    assert.equal(findGpu(undefined as unknown as string), undefined);
    assert.equal(findGpu(42 as unknown as string), undefined);
  });
});

describe('parseDuration', () => {
  test('units and combinations', () => {
    const cases: Array<[string | number, number]> = [
      ['90s', 90], ['15m', 900], ['2h', 7200], ['1h30m', 5400], ['1h 30m', 5400], ['500ms', 0.5], ['1d', 86400],
      ['1d2h3m4s', 86400 + 7200 + 180 + 4], ['1.5h', 5400], ['.5m', 30], ['2m500ms', 120.5], [' 10s ', 10],
      ['90', 90], ['1.5', 1.5], [90, 90], [0, 0], ['0', 0], ['0s', 0],
    ];
    for (const [input, expected] of cases) assert.equal(parseDuration(input), expected, String(input));
  });

  test('negative numbers pass through; nonsense is undefined', () => {
    assert.equal(parseDuration(-5), -5);
    assert.equal(parseDuration('-5'), -5);
    for (const bad of ['', ' ', '2hrs', 'h', '1h30', '10 minutes', '-5m', '1x', 'abc', '1h-30m', '5e']) {
      assert.equal(parseDuration(bad), undefined, bad);
    }
    assert.equal(parseDuration(NaN), undefined);
    assert.equal(parseDuration(Infinity), undefined);
    assert.equal(parseDuration(null as unknown as string), undefined);
    assert.equal(parseDuration({} as unknown as string), undefined);
  });
});

describe('formatDuration', () => {
  test('formats and reads back', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'], [0.5, '500ms'], [1, '1s'], [90, '1m30s'], [900, '15m'], [3600, '1h'], [5400, '1h30m'],
      [86400, '1d'], [90061.25, '1d1h1m1s250ms'], [-90, '-1m30s'],
    ];
    for (const [input, expected] of cases) {
      assert.equal(formatDuration(input), expected, String(input));
      assert.equal(parseDuration(expected.replace(/^-/, '')), Math.abs(input), expected);
    }
    assert.equal(formatDuration(NaN), 'NaN');
    assert.equal(formatDuration(Infinity), 'Infinity');
  });
});

describe('parseQuantity', () => {
  test('binary and decimal suffixes', () => {
    const cases: Array<[string, number]> = [
      ['32Gi', 32 * 2 ** 30], ['500Mi', 500 * 2 ** 20], ['1Ki', 1024], ['1Ti', 2 ** 40], ['1Pi', 2 ** 50],
      ['1G', 1e9], ['1M', 1e6], ['1k', 1e3], ['1K', 1e3], ['2T', 2e12], ['1P', 1e15],
      ['1.5Gi', 1.5 * 2 ** 30], ['128974848', 128974848], ['129e6', 129e6], [' 1Gi ', 2 ** 30], ['0', 0],
    ];
    for (const [input, expected] of cases) assert.equal(parseQuantity(input), expected, input);
    assert.equal(parseQuantity(1024), 1024);
  });

  test('nonsense is undefined', () => {
    for (const bad of ['', 'Gi', '1GB', '1gi', '1 Gi x', '-1Gi', '1e3Gi', 'lots', '1iB']) {
      assert.equal(parseQuantity(bad), undefined, bad);
    }
    assert.equal(parseQuantity(-1), undefined);
    assert.equal(parseQuantity(null as unknown as string), undefined);
  });
});
