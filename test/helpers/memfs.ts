// An in-memory file tree for core tests: absolute paths → text.
import * as path from 'node:path';
import type { CompletionHost } from '../../core/src/lang/completion';

export function memHost(files: Record<string, string>): CompletionHost & { files: Map<string, string> } {
  const map = new Map(Object.entries(files).map(([p, t]) => [path.resolve(p), t]));
  return {
    files: map,
    readFile: (p) => map.get(p),
    exists: (p) => map.has(p) || [...map.keys()].some((k) => k.startsWith(`${p}/`)),
    listDir(dir) {
      const out = new Map<string, boolean>();
      for (const k of map.keys()) {
        if (!k.startsWith(`${dir}/`)) continue;
        const rest = k.slice(dir.length + 1).split('/');
        out.set(rest[0], rest.length > 1);
      }
      return [...out].map(([name, d]) => ({ name, dir: d }));
    },
  };
}
