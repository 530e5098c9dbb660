// Which kubeconfig file a Kubernetes target uses, and the contexts it defines — read as plain YAML,
// without a Kubernetes client and without the network, so that the language server can complete
// and check `context:` (and the runner can find the same file). Credentials in the file are never
// looked at: only context names and current-context.
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { FileHost } from '../rules/api';

/** `~` or `~/…` → under `home`; anything else as written. */
function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/**
 * The kubeconfig file of a target, as kubectl would pick it: the target's `kubeconfig:` (`~`
 * expanded, relative paths against the folder of targets.yaml), else the first path of
 * `$KUBECONFIG` (a list separated by `path.delimiter`; relative paths against the working
 * directory, as kubectl does), else `~/.kube/config`.
 */
export function kubeconfigPath(
  targetKubeconfig: string | undefined,
  targetsFile: string,
  env: Record<string, string | undefined>,
  home: string,
): string {
  if (targetKubeconfig !== undefined && targetKubeconfig.trim() !== '') {
    return path.resolve(path.dirname(targetsFile), expandHome(targetKubeconfig.trim(), home));
  }
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).map((p) => p.trim()).find((p) => p !== '');
  if (first !== undefined) return path.resolve(expandHome(first, home));
  return path.join(home, '.kube', 'config');
}

export interface KubeconfigContexts {
  /** Context names in file order, each once. */
  names: string[];
  /** The file's `current-context`, when it sets one. */
  current?: string;
  /** Why the text is not a kubeconfig (not YAML, not a mapping, `contexts` not a list); names is then empty. */
  error?: string;
}

/** A name as Go's YAML→JSON reading gives it: scalars become strings (`name: 2024` is "2024"). */
function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** The context names and the current context of a kubeconfig's text. */
export function kubeconfigContexts(text: string): KubeconfigContexts {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { names: [], error: `not valid YAML: ${doc.errors[0].message.split('\n')[0].replace(/:$/, '')}` };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    return { names: [], error: (e as Error).message }; // an alias bomb, say
  }
  if (value === null || value === undefined) return { names: [] }; // an empty file: kubectl treats it as no contexts
  if (typeof value !== 'object' || Array.isArray(value)) return { names: [], error: 'not a mapping' };
  const o = value as Record<string, unknown>;
  const current = nameOf(o['current-context']);
  const contexts = o.contexts ?? [];
  if (!Array.isArray(contexts)) return { names: [], current, error: '"contexts" is not a list' };
  const names = new Set<string>();
  for (const c of contexts) {
    const n = c !== null && typeof c === 'object' ? nameOf((c as Record<string, unknown>).name) : undefined;
    if (n !== undefined) names.add(n);
  }
  return { names: [...names], ...(current !== undefined ? { current } : {}) };
}

/**
 * The contexts of the kubeconfig a target uses (see kubeconfigPath), read through `host`, with the
 * file's path; undefined when that file does not exist — no error while editing, as a kubeconfig
 * often comes later (or only on the machine that launches).
 */
export function targetContexts(
  targetKubeconfig: string | undefined,
  targetsFile: string,
  host: FileHost,
  env: Record<string, string | undefined>,
  home: string,
): (KubeconfigContexts & { file: string }) | undefined {
  const file = kubeconfigPath(targetKubeconfig, targetsFile, env, home);
  const text = host.readFile(file);
  return text === undefined ? undefined : { file, ...kubeconfigContexts(text) };
}
