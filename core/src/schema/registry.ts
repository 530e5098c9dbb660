// Which JSON Schema a YAML file is checked against, and the validators. Our three schemas ship
// inside the bundle, their validators compiled at build time (precompile.ts); any other JSON Schema
// file can be named by a `# yaml-language-server: $schema=…` modeline or a top-level `$schema` key,
// and is compiled when first used (cached).
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as path from 'node:path';
import experimentSchema from '../../../schemas/experiment.schema.json';
import sweepSchema from '../../../schemas/sweep.schema.json';
import targetsSchema from '../../../schemas/targets.schema.json';
import type { FileKind } from '../config/types';
import { makeAjv } from './ajv';
import { userRegExp } from './regexp';
import { registerRoot, schemaAt } from './graph';
// Written by `npm run build` (esbuild.mjs); missing in a fresh checkout until then.
import precompiled from './validators.gen.cjs';

export type JsonSchema = Record<string, unknown>;

export const builtinSchemas: Record<FileKind, JsonSchema> = {
  experiment: experimentSchema as JsonSchema,
  sweep: sweepSchema as JsonSchema,
  targets: targetsSchema as JsonSchema,
};

for (const s of Object.values(builtinSchemas)) registerRoot(s);

let builtinValidators: Record<FileKind, ValidateFunction> | undefined;

/** The validator of one of our schemas. */
export function builtinValidator(kind: FileKind): ValidateFunction {
  builtinValidators ??= precompiled(schemaAt);
  return builtinValidators[kind];
}

let optimize = true;

/**
 * For one-shot processes (the CLI), which validate a document once: ajv's optimisation of the
 * code it generates takes about a third of compiling a schema and makes validation ~20% faster —
 * worth it only in a long-lived server. (Our own schemas come optimised from the build.)
 */
export function preferFastCompile(): void {
  optimize = false;
}

/** The kind of one of our files from its name alone. */
export function kindFromFileName(file: string): FileKind | undefined {
  const base = path.basename(file).toLowerCase();
  if (base === 'targets.yaml' || base === 'targets.yml') return 'targets';
  if (/(^|\.)experiment\.ya?ml$/.test(base)) return 'experiment';
  if (/(^|\.)sweep\.ya?ml$/.test(base)) return 'sweep';
  return undefined;
}

/** A base experiment meant only for `extends` (`base.experiment.yaml`, `_common.experiment.yaml`): required fields are not enforced. */
export function isPartialExperiment(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return base.startsWith('_') || base.startsWith('base.') || /\.base\.experiment\.ya?ml$/.test(base);
}

const MODELINE = /^#\s*yaml-language-server\s*:\s*\$schema\s*=\s*(\S+)/m;

/** The schema reference of a document: its modeline comment, else its top-level `$schema` key. */
export function schemaReference(text: string, value: unknown): string | undefined {
  // Only the leading comment block of the file counts, as in yaml-language-server.
  const m = MODELINE.exec(text.slice(0, 4096));
  if (m) return m[1];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const s = (value as Record<string, unknown>).$schema;
    if (typeof s === 'string') return s;
  }
  return undefined;
}

export type SchemaChoice =
  | { type: 'builtin'; kind: FileKind }
  | { type: 'custom'; file: string }
  | { type: 'remote'; url: string }
  | { type: 'none' };

/** Resolves a schema reference (relative to `file`) and falls back to the file name. */
export function chooseSchema(file: string, ref: string | undefined): SchemaChoice {
  if (ref) {
    for (const [kind, schema] of Object.entries(builtinSchemas) as [FileKind, JsonSchema][]) {
      const id = schema.$id as string;
      if (ref === id || ref.endsWith(`/${kind}.schema.json`) || ref === `${kind}.schema.json`) return { type: 'builtin', kind };
    }
    if (/^https?:\/\//.test(ref)) return { type: 'remote', url: ref };
    const local = ref.startsWith('file://') ? new URL(ref).pathname : path.resolve(path.dirname(file), ref);
    return { type: 'custom', file: local };
  }
  const kind = kindFromFileName(file);
  return kind ? { type: 'builtin', kind } : { type: 'none' };
}

const customCache = new Map<string, { text: string; validate?: ValidateFunction; error?: string }>();

/** Largest user schema compiled: a 10 MB schema took 16 s and 2.3 GB to compile (ours are ~100 KB). */
export const MAX_SCHEMA_BYTES = 1024 * 1024;

/** Compiles a user's schema file (cached by content); returns a message when it is unusable. */
export function customValidator(file: string, text: string): { validate?: ValidateFunction; error?: string } {
  const hit = customCache.get(file);
  if (hit && hit.text === text) return hit;
  let entry: { text: string; validate?: ValidateFunction; error?: string };
  if (text.length > MAX_SCHEMA_BYTES) {
    entry = { text, error: `Schema ${file} is ${(text.length / 1048576).toFixed(1)} MB; expctl uses schema files up to ${MAX_SCHEMA_BYTES / 1048576} MB. Shrink it, or remove the $schema reference.` };
  } else try {
    const schema = JSON.parse(text) as JsonSchema;
    const dialect = String(schema.$schema ?? '');
    const ajv = makeAjv(dialect.includes('2020-12') ? 'draft2020' : dialect.includes('2019-09') ? 'draft2019' : 'draft7', { optimize, regExp: userRegExp });
    registerRoot(schema);
    entry = { text, validate: ajv.compile(schema) };
  } catch (e) {
    entry = { text, error: `Schema ${file} is not usable: ${(e as Error).message}` };
  }
  customCache.set(file, entry);
  if (customCache.size > 50) customCache.delete(customCache.keys().next().value!);
  return entry;
}

export type { ErrorObject };
