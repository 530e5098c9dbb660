// Hover: what a key means (title, description), its type, allowed values with their docs, its
// default — from our schemas or the user's own; on a sweep parameter the values it takes and the
// trial count of the whole sweep.
import type { Range } from '../diagnostic';
import type { Validation, ValidatedDoc } from '../validate';
import type { FileHost } from '../rules/api';
import type { Sweep, ParamSpec } from '../config/types';
import { builtinSchemas } from '../schema/registry';
import { schemaChoiceOf, schemaRootOf } from '../schema/user-schema';
import { allowedValues, pick, schemasAt } from '../schema/walk';
import { yamlScalar } from '../schema/errors';
import { countTrials, gridCount, gridValues } from '../sweep';
import { nodeSpan, pathAt, toRange } from '../yaml/document';

export interface HoverInfo { markdown: string; range?: Range }

/** `host` reads a user's schema file (as validation does); without it only our schemas are used. */
export function hover(v: Validation, offset: number, host?: FileHost): HoverInfo | undefined {
  const idx = v.parsed.docs.findLastIndex((d) => (d.doc.range?.[0] ?? 0) <= offset);
  const yd = v.parsed.docs[Math.max(0, idx)];
  const vd = v.docs[Math.max(0, idx)] as ValidatedDoc | undefined;
  const root = host ? schemaRootOf(schemaChoiceOf(v, Math.max(0, idx)), host) : vd?.kind && builtinSchemas[vd.kind];
  if (!yd || !root) return undefined;
  const at = pathAt(yd.doc, offset);
  if (!at.path.length) return undefined;
  const span = nodeSpan(at.inKey ? at.pair?.key as never : at.node as never);
  const range = span ? toRange(v.parsed.lines, span[0], span[1]) : undefined;
  const p = at.path;

  if (vd?.kind === 'sweep' && p[0] === 'parameters' && p.length >= 2) {
    const sweep = vd.config as Sweep;
    const spec = sweep.parameters?.[String(p[1])];
    if (spec && typeof spec === 'object') return { markdown: paramHover(String(p[1]), spec, sweep), range };
  }
  const schemas = schemasAt(root, p, yd.value);
  if (!schemas.length) return undefined;
  const name = p.filter((s) => typeof s === 'string').join('.');
  const lines: string[] = [];
  const type = pick(schemas, 'type');
  lines.push(`**${name}**${type ? ` — \`${Array.isArray(type) ? type.join(' | ') : String(type)}\`` : ''}`);
  const title = pick(schemas, 'title');
  const doc = pick(schemas, 'markdownDescription') ?? pick(schemas, 'description');
  if (typeof title === 'string' && title !== doc) lines.push('', `*${title}*`);
  if (typeof doc === 'string') lines.push('', doc);
  const values = allowedValues(schemas).filter((x) => typeof x.value !== 'boolean');
  if (values.length) {
    lines.push('', 'Allowed values:');
    for (const x of values) lines.push(`- \`${String(x.value)}\`${x.doc ? ` — ${x.doc}` : ''}`);
  }
  const def = pick(schemas, 'default');
  if (def !== undefined) lines.push('', `Default: \`${typeof def === 'object' ? JSON.stringify(def) : String(def)}\``);
  return { markdown: lines.join('\n'), range };
}

function safe<T>(fn: () => T): T | undefined {
  try { return fn(); } catch { return undefined; }
}

function paramHover(name: string, spec: ParamSpec, sweep: Sweep): string {
  const lines = [`**${name}** — sweep parameter`];
  // A huge range is counted, not listed; a malformed one is reported by the sweep rules.
  const n = safe(() => gridCount(spec));
  const grid = n !== undefined && n <= 1000 ? safe(() => gridValues(spec)) : undefined;
  if (n !== undefined) {
    const shown = grid ? `: ${grid.slice(0, 20).map((x) => `\`${yamlScalar(x)}\``).join(', ')}${n > 20 ? ', …' : ''}` : '';
    lines.push('', `${n.toLocaleString('en-US')} value${n === 1 ? '' : 's'}${shown}`);
  } else if ('distribution' in spec) {
    const d = spec as Record<string, unknown>;
    const bounds = d.distribution === 'normal' ? `μ=${String(d.mu)}, σ=${String(d.sigma)}` : `[${String(d.min)}, ${String(d.max)}]`;
    lines.push('', `Drawn from ${String(d.distribution)} ${bounds}${d.q ? `, quantised to ${String(d.q)}` : ''} (method random).`);
  }
  const c = countTrials(sweep);
  if (c.error) lines.push('', `Sweep cannot expand: ${c.error.message}`);
  else lines.push('', `Sweep total: ${c.count.toLocaleString('en-US')} trial${c.count === 1 ? '' : 's'}${c.exact ? '' : ' at most (before exclude rules)'} — method ${sweep.method ?? 'grid'}${(sweep.repeat ?? 1) > 1 ? `, repeat ${sweep.repeat}` : ''}.`);
  return lines.join('\n');
}
