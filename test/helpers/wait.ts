// Waiting on a condition that has no event to await (a file another process writes, a process
// that is not our child ending): probe until it holds, with a deadline and a clear message.
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  for (const until = Date.now() + timeoutMs; ;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The id of the first run in a results store whose stdout.log contains `text`. */
export function runPrinted(storeDir: string, text: string): Promise<string> {
  const runs = path.join(storeDir, 'runs');
  return waitFor(() => (fs.existsSync(runs) ? fs.readdirSync(runs) : []).filter((id) => !id.startsWith('.')).find((id) => {
    try { return fs.readFileSync(path.join(runs, id, 'stdout.log'), 'utf8').includes(text); } catch { return false; }
  }), `a run in ${storeDir} to print "${text}"`);
}
