// Values written back into a user's YAML by quick fixes and completion.
import { parse as parseYaml } from 'yaml';

const YAML_1_1_BOOL = /^(yes|no|on|off|y|n)$/i;

/**
 * A string as YAML source, usable in block and flow context: plain when it reads back as the same
 * string (and is not a YAML 1.1 boolean that other tools would misread), else double-quoted.
 */
export function yamlString(s: string): string {
  const plainCandidate = /^([A-Za-z0-9_/.]|-[A-Za-z-])[A-Za-z0-9_ ./:@+-]*$/.test(s)
    && !/[ :]$/.test(s) && !s.includes(': ') && !YAML_1_1_BOOL.test(s);
  if (plainCandidate) {
    try {
      if (parseYaml(s) === s && parseYaml(`[${s}]`)?.[0] === s) return s;
    } catch {
      // not plain-safe
    }
  }
  return JSON.stringify(s);
}

/** Any scalar as YAML source: strings as above, numbers, booleans and null as JSON writes them. */
export function yamlScalar(v: unknown): string {
  return typeof v === 'string' ? yamlString(v) : JSON.stringify(v);
}
