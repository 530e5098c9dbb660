// `{params.batch_size}`-style placeholders in command arguments and name templates.
// `{{` and `}}` stand for literal braces.

export interface TemplateVar { name: string; start: number; end: number }

// `${VAR}` is shell syntax (left for the shell), not a placeholder.
const PLACEHOLDER = /\{\{|\}\}|(?<!\$)\{([A-Za-z_][\w.-]*)\}/g;

/** Every placeholder in `s`, with offsets of the whole `{…}` inside `s`. */
export function templateVars(s: string): TemplateVar[] {
  const out: TemplateVar[] = [];
  for (const m of s.matchAll(PLACEHOLDER)) {
    if (m[1] !== undefined) out.push({ name: m[1], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Substitutes placeholders; `lookup` returns undefined for an unknown name, which is left as written. */
export function renderTemplate(s: string, lookup: (name: string) => unknown): string {
  return s.replace(PLACEHOLDER, (whole, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const v = lookup(name!);
    if (v === undefined) return whole;
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

export { getDotted } from '../util/object';
