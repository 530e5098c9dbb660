// Durations: timeout, and the Kubernetes waits (shared with targets.ts).
import type { Path } from '../../diagnostic';
import type { RuleContext } from '../api';
import { formatDuration, parseDuration } from '../../util/units';
import { own } from '../../util/object';
import { dotted, fix, q, rule } from './common';

const LENIENT_UNITS: Array<[RegExp, string]> = [
  [/^(ms|msecs?|millis(econds?)?|milliseconds?)$/i, 'ms'],
  [/^(s|secs?|seconds?)$/i, 's'],
  [/^(m|mins?|minutes?)$/i, 'm'],
  [/^(h|hrs?|hours?)$/i, 'h'],
  [/^(d|days?)$/i, 'd'],
];

/** `2 hours`, `30mins`, `1hr 30min` → seconds, for a fix suggestion; undefined when unclear. */
function lenientDuration(s: string): number | undefined {
  const text = s.replace(/,|\band\b/g, ' ').trim();
  const part = /(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    part.lastIndex = pos;
    const m = part.exec(text);
    if (!m) return undefined;
    const unit = LENIENT_UNITS.find(([re]) => re.test(m[2]))?.[1];
    const size = unit === undefined ? undefined : parseDuration(`1${unit}`);
    if (size === undefined) return undefined;
    total += Number(m[1]) * size;
    pos = part.lastIndex;
  }
  return pos > 0 && Number.isFinite(total) && total > 0 ? total : undefined;
}

/** Reports (as `timeout`) a duration at `path` that does not parse or is not positive; `hint` says what to give instead. */
function checkDuration(ctx: RuleContext, t: unknown, path: Path, hint: string): void {
  if (typeof t !== 'string' && typeof t !== 'number') return;
  const label = dotted(path);
  const seconds = parseDuration(t);
  if (seconds === undefined) {
    const guess = typeof t === 'string' ? lenientDuration(t.trim()) : undefined;
    ctx.report({
      rule: 'timeout',
      severity: 'error',
      path,
      message: `${label} ${q(t)} is not a duration; write seconds (7200) or a duration such as 90s, 15m, 2h or 1h30m`
        + (guess !== undefined ? `, e.g. ${formatDuration(guess)}` : ''),
      fixes: guess !== undefined ? [fix(`Change to ${formatDuration(guess)}`, path, formatDuration(guess))] : undefined,
    });
  } else if (seconds <= 0) {
    ctx.report({
      rule: 'timeout',
      severity: 'error',
      path,
      message: `${label} ${q(t)} must be positive; ${hint}`,
    });
  }
}

/** The runner's waits for a pod (kubernetes.schedule_timeout, start_timeout) in a KubernetesSpec-shaped object at `base`. */
export function checkK8sTimeouts(ctx: RuleContext, spec: unknown, base: Path): void {
  checkDuration(ctx, own(spec, 'schedule_timeout'), [...base, 'schedule_timeout'],
    'give how long a pod may wait for a node, such as 10m, or remove it for the default 10m');
  checkDuration(ctx, own(spec, 'start_timeout'), [...base, 'start_timeout'],
    'give how long an image pull or container config error may last, such as 2m, or remove it for the default 2m');
}

export const timeout = rule('timeout', (ctx, c) => {
  checkDuration(ctx, own(c, 'timeout'), ['timeout'], 'give the longest a run may take, such as 2h, or remove timeout for no limit');
  checkK8sTimeouts(ctx, own(c, 'kubernetes'), ['kubernetes']);
});
