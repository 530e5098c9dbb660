// The command and its script: command-shell, launch-limits and file-exists.
import * as nodePath from 'node:path';
import type { Fix, Path } from '../../diagnostic';
import { yamlString } from '../../util/yaml-scalar';
import { isObj, own } from '../../util/object';
import { argProblem } from '../../util/argv-limits';
import { fix, q, rule } from './common';

export const commandShell = rule('command-shell', (ctx, c) => {
  const command = own(c, 'command');
  const shell = own(c, 'shell');
  if (typeof command === 'string' && shell !== true) {
    const fixes: Fix[] = [];
    const words = command.trim().split(/\s+/).filter((w) => w !== '');
    // Only offer the argv conversion when splitting on blanks is what a shell would do too
    // ({params.x} placeholders are fine: /bin/sh has no brace expansion).
    if (words.length > 0 && !/[|&;<>()$`\\"'*?[\]#~=%!\n]/.test(command)) {
      fixes.push(fix('Write command as an argv list', ['command'], `[${words.map(yamlString).join(', ')}]`));
    }
    fixes.push(shell === undefined
      ? { title: 'Set shell: true', edits: [{ path: [], target: 'insert', newText: 'shell: true' }], preferred: fixes.length === 0 }
      : fix('Set shell: true', ['shell'], 'true', fixes.length === 0));
    ctx.report({
      rule: 'command-shell',
      severity: 'error',
      path: ['command'],
      message: 'command is a string, which runs through a shell only with `shell: true`; '
        + 'write it as an argv list such as [python, train.py] or set shell: true',
      fixes,
    });
  } else if (Array.isArray(command) && shell === true) {
    const joined = command.map((a) => (typeof a === 'string' ? a : q(a))).join(' ');
    ctx.report({
      rule: 'command-shell',
      severity: 'warning',
      path: ['command'],
      message: `command is a list but shell: true joins it into one shell command line (${q(joined)}), `
        + 'so quoting inside the items is lost; write command as a single string, or drop shell: true to run the list as argv',
      fixes: [
        fix('Write command as one shell string', ['command'], JSON.stringify(joined)),
        fix('Set shell: false', ['shell'], 'false', false),
      ],
    });
  }
}, true);

// launch-limits: what exec refuses (the local target refuses it again once params are rendered)

export const launchLimits = rule('launch-limits', (ctx, c) => {
  const report = (path: Path, message: string) => ctx.report({ rule: 'launch-limits', severity: 'error', path, message });
  const command = own(c, 'command');
  if (typeof command === 'string') {
    const message = argProblem(command, 'command');
    if (message) report(['command'], message);
  } else if (Array.isArray(command)) {
    command.forEach((a, i) => {
      const message = typeof a === 'string' ? argProblem(a, `command item ${i + 1}`) : undefined;
      if (message) report(['command', i], message);
    });
  }
  const env = own(c, 'env');
  if (isObj(env)) {
    for (const [k, v] of Object.entries(env)) {
      const message = typeof v === 'string' ? argProblem(`${k}=${v}`, `env.${k}`) : undefined;
      if (message) report(['env', k], message);
    }
  }
});

const SCRIPT = /\.(py|sh|bash|js|mjs|cjs|ts|rb|jl|R|r)$/;
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);

/** The script that a command runs, and where it is in the command, if one is recognisable. */
export function findScript(command: unknown): { script: string; path: Path } | undefined {
  let argv: Array<string | undefined>;
  let pathOf: (i: number) => Path;
  if (Array.isArray(command)) {
    argv = command.map((a) => (typeof a === 'string' ? a : typeof a === 'number' ? String(a) : undefined));
    pathOf = (i) => ['command', i];
  } else if (typeof command === 'string') {
    argv = command.trim().split(/\s+/).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'));
    pathOf = () => ['command'];
  } else {
    return undefined;
  }
  const program = nodePath.posix.basename(argv[0] ?? '');
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === undefined || t === '') continue;
    // Inline code or a change of directory: the script (if any) is not a path we can resolve.
    if (t === '-c' || t === '-e' || t === '--eval' || (SHELLS.has(program) && /^-[a-z]*c$/.test(t))) return undefined;
    if (typeof command === 'string' && (t === 'cd' || t === 'pushd')) return undefined;
    if (t === '-m') {
      i++; // python -m module: the next word is a module, later ones may be a script for it
      continue;
    }
    if (t.startsWith('-') || t.includes('=') || t.includes('://')) continue;
    if (!SCRIPT.test(t)) continue;
    if (t.includes('{') || t.includes('$') || t.startsWith('~')) return undefined;
    return { script: t, path: pathOf(i) };
  }
  return undefined;
}

export const fileExists = rule('file-exists', (ctx, c) => {
  if (!ctx.settings?.checkFiles || typeof ctx.file !== 'string' || ctx.file === '') return;
  const found = findScript(own(c, 'command'));
  if (!found) return;
  const fileDir = nodePath.dirname(ctx.file);
  const workdir = own(c, 'workdir');
  const dirs: string[] = [];
  if (typeof workdir === 'string' && workdir.trim() !== '') {
    if (/[{$~]/.test(workdir)) return; // resolved at run time
    dirs.push(nodePath.resolve(fileDir, workdir));
  }
  if (!dirs.includes(fileDir)) dirs.push(fileDir);
  const candidates = nodePath.isAbsolute(found.script) ? [found.script] : dirs.map((d) => nodePath.resolve(d, found.script));
  if (candidates.some((p) => ctx.host.exists(p))) return;
  const looked = nodePath.isAbsolute(found.script) ? [nodePath.dirname(found.script)] : dirs;
  ctx.report({
    rule: 'file-exists',
    severity: 'error',
    path: found.path,
    message: `Script ${q(found.script)} not found (looked in ${looked.join(', ')}); `
      + 'fix the path, or set workdir to the folder that contains it',
  });
});
