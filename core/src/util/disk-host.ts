// The FileHost of the real file system (the language server has its own, over open documents).
import * as fs from 'node:fs';
import type { FileHost } from '../rules/api';

export const diskHost: FileHost = {
  readFile(p) { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists(p) { return fs.existsSync(p); },
};
