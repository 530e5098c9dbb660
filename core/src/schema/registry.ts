// Which JSON Schema a YAML file is checked against, and the validators. Our three schemas ship
// inside the bundle, their validators compiled at build time (precompile.ts); any other JSON Schema
// file can be named by a `# yaml-language-server: $schema=…` modeline, a top-level `$schema` key or
// the `expctl.schemas` setting, and is interpreted by user-validator.ts (indexed once, cached).
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import experimentSchema from '../../../schemas/experiment.schema.json';
import sweepSchema from '../../../schemas/sweep.schema.json';
import targetsSchema from '../../../schemas/targets.schema.json';
import type { FileKind } from '../config/types';
import { registerRoot, schemaAt } from './graph';
import { SchemaLimitError, UserValidator } from './user-validator';
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

/** Folders never searched for our files (`validate <folder>`, Validate Workspace): VCS, dependencies, results, builds. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git', '.expctl', 'dist', '.cache']);

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
  return modeline(text)?.ref ?? schemaKey(value);
}

/** The modeline (`# yaml-language-server: $schema=…`) and where it is: `start`/`end` offsets of its line. */
export function modeline(text: string): { ref: string; start: number; end: number } | undefined {
  // Only the leading comment block of the file counts, as in yaml-language-server.
  const m = MODELINE.exec(text.slice(0, 4096));
  return m ? { ref: m[1], start: m.index, end: m.index + m[0].length } : undefined;
}

function schemaKey(value: unknown): string | undefined {
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

/**
 * The `expctl.schemas` setting: schema path → globs of the files it applies to, both relative to
 * `root` (the workspace folder), as `yaml.schemas` does.
 */
export interface SchemaAssociations { root: string; schemas: Record<string, string[] | string> }

const escapeRe = (s: string) => s.replace(/[.+^$()|[\]\\{}]/g, '\\$&');

/** A glob (`*`, `**`, `?`, `{a,b}`) as a RegExp over `/`-separated relative paths. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const close = c === '{' ? glob.indexOf('}', i) : -1;
    if (glob.startsWith('**/', i)) { re += '(?:.*/)?'; i += 2; }
    else if (glob.startsWith('**', i)) { re += '.*'; i += 1; }
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (close > i) {
      re += `(?:${glob.slice(i + 1, close).split(',').map((alt) => escapeRe(alt).replace(/\*/g, '[^/]*')).join('|')})`;
      i = close;
    } else re += escapeRe(c);
  }
  // A glob without `/` matches the file name in any folder, as in yaml.schemas.
  return new RegExp(glob.includes('/') ? `^${re}$` : `(?:^|/)${re}$`);
}

/** The schema file the setting maps `file` to, if any (first match in the setting's order). */
export function associatedSchema(file: string, assoc: SchemaAssociations | undefined): string | undefined {
  if (!assoc) return undefined;
  const rel = path.relative(assoc.root, file).split(path.sep).join('/');
  if (rel.startsWith('../')) return undefined;
  for (const [schema, globs] of Object.entries(assoc.schemas)) {
    for (const g of Array.isArray(globs) ? globs : [globs]) {
      if (typeof g === 'string' && globRegExp(g.replace(/^\.\//, '')).test(rel)) return /^[a-z][a-z0-9+.-]+:/i.test(schema) ? schema : path.resolve(assoc.root, schema);
    }
  }
  return undefined;
}

/**
 * The schema of a document: its modeline, else its `$schema` key (both relative to `file`), else
 * the `expctl.schemas` setting, else the kind its file name says.
 */
export function chooseSchema(file: string, ref: string | undefined, assoc?: SchemaAssociations): SchemaChoice {
  const r = ref ?? associatedSchema(file, assoc);
  if (r) {
    for (const [kind, schema] of Object.entries(builtinSchemas) as [FileKind, JsonSchema][]) {
      const id = schema.$id as string;
      if (r === id || r.endsWith(`/${kind}.schema.json`) || r === `${kind}.schema.json`) return { type: 'builtin', kind };
    }
    if (/^https?:\/\//.test(r)) return { type: 'remote', url: r };
    const local = r.startsWith('file://') ? fileURLToPath(r) : path.resolve(path.dirname(file), r);
    return { type: 'custom', file: local };
  }
  const kind = kindFromFileName(file);
  return kind ? { type: 'builtin', kind } : { type: 'none' };
}

/** A user's schema, ready: `check` returns ajv-shaped errors (throws SchemaLimitError), or why it is unusable. */
export interface CustomSchema { check?: (data: unknown) => ErrorObject[]; error?: string }

interface CustomEntry extends CustomSchema {
  text: string;
  /** Other schema files its `$ref`s read, with the text read then (undefined: missing). */
  deps: Map<string, string | undefined>;
}

const customCache = new Map<string, CustomEntry>();

/** Largest user schema read (ours are ~100 KB): one that big is a generated dump, not a schema to check files with. */
export const MAX_SCHEMA_BYTES = 1024 * 1024;

function tooLarge(file: string, text: string): string | undefined {
  return text.length > MAX_SCHEMA_BYTES
    ? `Schema ${file} is ${(text.length / 1048576).toFixed(1)} MB; expctl uses schema files up to ${MAX_SCHEMA_BYTES / 1048576} MB. Shrink it, or remove the $schema reference.`
    : undefined;
}

/**
 * Indexes a user's schema file (cached by its content and that of the files its `$ref`s name);
 * returns a message when it is unusable. `readFile` reads those other files (relative `$ref`s).
 */
export function customValidator(file: string, text: string, readFile: (file: string) => string | undefined = () => undefined): CustomSchema {
  const hit = customCache.get(file);
  if (hit && hit.text === text && [...hit.deps].every(([f, t]) => readFile(f) === t)) return hit;
  const deps = new Map<string, string | undefined>();
  let entry: CustomEntry;
  const big = tooLarge(file, text);
  if (big) entry = { text, deps, error: big };
  else try {
    const schema = JSON.parse(text) as JsonSchema;
    const load = (uri: string): unknown => {
      if (!uri.startsWith('file:')) return undefined;
      const f = fileURLToPath(uri);
      const t = readFile(f);
      deps.set(f, t);
      if (t === undefined) return undefined;
      const why = tooLarge(f, t);
      if (why) throw new SchemaLimitError(why);
      try { return JSON.parse(t); } catch (e) { throw new SchemaLimitError(`${f} is not JSON: ${(e as Error).message}`); }
    };
    const v = new UserValidator(schema, { uri: pathToFileURL(file).href, load });
    registerRoot(schema);
    entry = { text, deps, check: (data) => v.validate(data) };
  } catch (e) {
    entry = { text, deps, error: `Schema ${file} is not usable: ${(e as Error).message}.`.replace(/\.\.$/, '.') };
  }
  customCache.set(file, entry);
  if (customCache.size > 50) customCache.delete(customCache.keys().next().value!);
  return entry;
}

export type { ErrorObject };
