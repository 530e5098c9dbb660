// `{…}` placeholders: template-var.
import type { Path } from '../../diagnostic';
import { templateVars } from '../../config/template';
import { isRunVariable, RUN_VARIABLES } from '../../runner/launch';
import { getDotted, isObj, own } from '../../util/object';
import type { Obj } from '../../util/object';
import { closeMatches, dottedPaths, fix, orList, rule } from './common';

function isKnownVariable(config: Obj, name: string): boolean {
  if (isRunVariable(name)) return true;
  if (name.startsWith('env.') && name.length > 4) return true;
  return getDotted(config, name) !== undefined;
}

export const templateVar = rule('template-var', (ctx, c) => {
  let candidates: string[] | undefined;
  const check = (s: unknown, path: Path, where: string) => {
    if (typeof s !== 'string') return;
    for (const v of templateVars(s)) {
      // `${HOME}` is shell or environment syntax, which rendering leaves alone.
      if (isKnownVariable(c, v.name) || s[v.start - 1] === '$') continue;
      candidates ??= [...dottedPaths(c), ...RUN_VARIABLES];
      const close = closeMatches(v.name, candidates);
      ctx.report({
        rule: 'template-var',
        severity: 'error',
        path,
        message: `Unknown template variable {${v.name}} in ${where}`
          + (close.length > 0 ? `; did you mean ${orList(close.map((n) => `{${n}}`))}?` : '')
          + '; use a dotted path of this experiment (such as {params.NAME}, {resources.gpus} or {name}) or a run variable '
          + `(${RUN_VARIABLES.map((r) => `{${r}}`).join(', ')}, {env.NAME}); write {{ and }} for literal braces`,
        fixes: close.length > 0
          ? close.map((n, k) => fix(`Change to {${n}}`, path, JSON.stringify(s.slice(0, v.start) + `{${n}}` + s.slice(v.end)), k === 0))
          : undefined,
      });
    }
  };
  const command = own(c, 'command');
  if (typeof command === 'string') check(command, ['command'], 'command');
  else if (Array.isArray(command)) command.forEach((a, i) => check(a, ['command', i], `command[${i}]`));
  const env = own(c, 'env');
  if (isObj(env)) for (const k of Object.keys(env)) check(env[k], ['env', k], `env.${k}`);
  // on_failure's env joins env: before a retry and is rendered the same way.
  const onFailure = own(c, 'on_failure');
  if (isObj(onFailure)) {
    for (const [cls, action] of Object.entries(onFailure)) {
      const e = own(action, 'env');
      if (isObj(e)) for (const k of Object.keys(e)) check(e[k], ['on_failure', cls, 'env', k], `on_failure.${cls}.env.${k}`);
    }
  }
  check(own(c, 'workdir'), ['workdir'], 'workdir');
  // Rendered too: a placeholder left as written would reach the launcher literally.
  const launcher = own(c, 'launcher');
  const args = own(launcher, 'args');
  if (Array.isArray(args)) args.forEach((a, i) => check(a, ['launcher', 'args', i], `launcher.args[${i}]`));
  check(own(launcher, 'rdzv_endpoint'), ['launcher', 'rdzv_endpoint'], 'launcher.rdzv_endpoint');
}, true);
