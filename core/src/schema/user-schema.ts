// A document's own JSON Schema as an object, for completion and hover: read through the same
// FileHost as validation (open editor buffers first, then disk), with the schema files its `$ref`s
// name by relative path, parsed once per content.
import * as path from 'node:path';
import type { FileHost } from '../rules/api';
import type { Validation } from '../validate';
import { whyUnreadable } from '../util/disk-host';
import { eachObject } from '../util/object';
import { registerRoot } from './graph';
import { registerSchemaFile } from './walk';
import { builtinSchemas, chooseSchema, MAX_SCHEMA_BYTES, schemaReference } from './registry';
import type { JsonSchema, SchemaChoice } from './registry';

export interface UserSchema { root?: JsonSchema; error?: string }

interface Entry {
  text: string;
  result: UserSchema;
  /** Other schema files its relative `$ref`s named, with the text read then (undefined: missing). */
  refs: Map<string, string | undefined>;
}

const cache = new Map<string, Entry>();
/** Schema files kept parsed: a workspace names a handful. */
const MAX_CACHED = 50;
/** Other files followed from one schema by relative `$ref`, at most. */
const MAX_REF_FILES = 32;

/** The root of the user schema at `file` (absolute), or a message saying why it cannot be used. */
export function loadUserSchema(file: string, host: FileHost): UserSchema {
  const text = host.readFile(file);
  if (text === undefined) {
    const why = whyUnreadable(file);
    return { error: why ? `Schema file ${file} is ${why}; $schema must name a JSON Schema file.` : `Schema file ${file} not found.` };
  }
  const hit = cache.get(file);
  if (hit && hit.text === text && [...hit.refs].every(([f, t]) => host.readFile(f) === t)) return hit.result;
  const result = parseSchema(file, text);
  const refs = new Map<string, string | undefined>();
  if (result.root) loadRefs(file, result.root, host, refs);
  cache.delete(file);
  cache.set(file, { text, result, refs });
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return result;
}

function parseSchema(file: string, text: string): UserSchema {
  if (text.length > MAX_SCHEMA_BYTES) {
    return { error: `Schema ${file} is ${(text.length / 1048576).toFixed(1)} MB; expctl uses schema files up to ${MAX_SCHEMA_BYTES / 1048576} MB. Shrink it, or remove the $schema reference.` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { error: `Schema ${file} is not valid JSON: ${(e as Error).message}. Fix the file, or remove the $schema reference.` };
  }
  // `true` (or `{}`) allows anything; `false` allows nothing: neither declares keys to offer.
  const root = parsed === true || parsed === false ? {} : parsed;
  if (!root || typeof root !== 'object' || Array.isArray(root)) return { error: `Schema ${file} is not a JSON Schema: expected an object at its top level.` };
  registerRoot(root as JsonSchema);
  registerSchemaFile(root as JsonSchema, file);
  return { root: root as JsonSchema };
}

/** Reads and registers the schema files that `$ref`s name by relative path, transitively (a missing one is the validator's to report). */
function loadRefs(file: string, root: JsonSchema, host: FileHost, refs: Map<string, string | undefined>): void {
  const queue: Array<[string, JsonSchema]> = [[file, root]];
  while (queue.length) {
    const [from, schema] = queue.shift()!;
    for (const base of relativeRefs(schema)) {
      const target = path.resolve(path.dirname(from), base);
      if (target === file || refs.has(target)) continue;
      if (refs.size >= MAX_REF_FILES) return;
      const text = host.readFile(target);
      refs.set(target, text);
      const parsed = text === undefined ? undefined : parseSchema(target, text).root;
      if (parsed) queue.push([target, parsed]);
    }
  }
}

/** The file parts of the `$ref`s in a schema that are relative paths, not URIs (`common.json#/$defs/x` → `common.json`). */
function relativeRefs(root: JsonSchema): Set<string> {
  const out = new Set<string>();
  eachObject(root, (o) => {
    for (const k of ['$ref', '$dynamicRef']) {
      const v = o[k];
      const base = typeof v === 'string' ? v.split('#')[0] : '';
      if (base && !/^[a-z][a-z0-9+.-]*:/i.test(base)) out.add(base);
    }
  });
  return out;
}

/** The schema a document is checked against, as an object: ours, or the user's; undefined when none is usable. */
export function schemaRootOf(choice: SchemaChoice, host: FileHost): JsonSchema | undefined {
  if (choice.type === 'builtin') return builtinSchemas[choice.kind];
  if (choice.type === 'custom') return loadUserSchema(choice.file, host).root;
  return undefined;
}

/** The schema choice of a validated document; worked out again when its validation failed (a crash costs a diagnostic, not completion). */
export function schemaChoiceOf(v: Validation, docIndex: number): SchemaChoice {
  const vd = v.docs[docIndex];
  if (vd) return vd.schema;
  return chooseSchema(v.file, schemaReference(v.parsed.text, undefined) ?? schemaReference('', v.parsed.docs[docIndex]?.value));
}
