// What the kernel refuses at exec: a NUL byte (C strings end there, so Node refuses it before
// exec) and one argument or environment entry over MAX_ARG_STRLEN. Shared by the `launch-limits`
// rule (as written) and the local target (as rendered), so both say the same.

/** Linux's MAX_ARG_STRLEN: the longest single argument or `NAME=value` environment entry, in bytes, NUL included. */
export const MAX_ARG_BYTES = 131072;

export interface ArgProblem {
  /** `argv` index, or the environment variable's name. */
  where: { arg: number } | { env: string };
  message: string;
}

/** Why this one argument (`what`: how to name it) cannot be passed to a program, or undefined. */
export function argProblem(value: string, what: string): string | undefined {
  const nul = value.indexOf('\0');
  if (nul >= 0) return `${what} contains a NUL byte (\\0) at character ${nul + 1}, which no program can receive: remove it`;
  // At most 3 bytes per UTF-16 unit: most values need no count (the rule runs on every edit).
  const bytes = value.length * 3 < MAX_ARG_BYTES ? 0 : utf8Bytes(value) + 1;
  if (bytes > MAX_ARG_BYTES) {
    return `${what} is ${bytes} bytes, over the kernel's limit of ${MAX_ARG_BYTES} bytes for one argument or environment entry: pass large values in a file instead`;
  }
  return undefined;
}

/** The first argument or environment entry a program cannot be started with, or undefined. */
export function launchProblem(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ArgProblem | undefined {
  for (let i = 0; i < argv.length; i++) {
    const message = argProblem(argv[i], `command argument ${i + 1}`);
    if (message) return { where: { arg: i }, message };
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const message = argProblem(`${k}=${v}`, `environment variable ${k}`);
    if (message) return { where: { env: k }, message };
  }
  return undefined;
}

/** UTF-8 length without Buffer (the rules also run outside Node). */
function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) { n += 4; i++; } // a surrogate pair
    else n += 3;
  }
  return n;
}
