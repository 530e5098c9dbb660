// YAML text for plain data (what JSON can hold): the resolved config each run keeps as
// config.yaml. The `yaml` library's stringify builds a whole document model first, ~70 µs for a
// small config — per run, on the runner's thread. Block style, two-space indent, sequences
// indented under their key, as the library writes them; a string that YAML 1.1 or 1.2 could read
// as anything else (a number, a boolean, null, a date, syntax) is double-quoted in JSON's escapes,
// which YAML's double-quoted style shares. parse(toYaml(x)) equals x: see test/unit/yaml-emit.test.ts.

/** Strings safe unquoted: start with a letter, digit, `_`, `/` or `.`, then no YAML syntax. */
const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./ +@-]*$/;
/** Plain strings YAML 1.1 (PyYAML) or 1.2 would read as something else: booleans, null, numbers, dates. */
const AMBIGUOUS = /^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?(?:[0-9][0-9_,.:eE+-]*|\.[0-9_.eE+-]*|[eE][-+]?[0-9]+|\.inf|\.nan|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+)|\d{4}-\d\d?-\d\d?.*)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
  const s = String(v);
  return PLAIN.test(s) && !AMBIGUOUS.test(s) && !s.endsWith(' ') ? s : JSON.stringify(s);
}

const isCollection = (v: unknown): v is object => typeof v === 'object' && v !== null && (!Array.isArray(v) || v.length > 0) && (Array.isArray(v) || Object.keys(v).length > 0);

function emit(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isCollection(item)) {
        // `- ` then the collection's first line on the same line, the rest indented under it.
        const sub: string[] = [];
        emit(item, `${indent}  `, sub);
        out.push(`${indent}- ${sub[0].slice(indent.length + 2)}`, ...sub.slice(1));
      } else out.push(`${indent}- ${inline(item)}`);
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
    if (item === undefined) continue;
    if (isCollection(item)) {
      out.push(`${indent}${scalar(k)}:`);
      emit(item, `${indent}  `, out);
    } else out.push(`${indent}${scalar(k)}: ${inline(item)}`);
  }
}

const inline = (v: unknown) => (Array.isArray(v) ? '[]' : typeof v === 'object' && v !== null ? '{}' : scalar(v));

/** YAML text of plain data; ends with a newline. */
export function toYaml(value: unknown): string {
  if (!isCollection(value)) return `${inline(value)}\n`;
  const out: string[] = [];
  emit(value, '', out);
  return `${out.join('\n')}\n`;
}
