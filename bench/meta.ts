// What every benchmark records next to its figures: the machine, the Node version, the commit (and
// whether the measured sources had uncommitted changes), so a figure can be traced and compared.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');

/** The commit measured, and whether `paths` had uncommitted changes (the bundle is built from them). */
export function gitState(paths: string[]): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', ...paths], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return undefined;
  }
}

/** Writes bench/results/<name>.json: the machine and commit first, then the benchmark's own fields. */
export function writeResults(name: string, sources: string[], body: Record<string, unknown>): void {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const head = {
    benchmark: name,
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30 * 100) / 100,
    os: `${osType()} ${release()}`,
    git: gitState(sources),
  };
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ ...head, ...body }, null, 2)}\n`);
}
