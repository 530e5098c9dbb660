// The module esbuild.mjs generates from precompile.ts: our schemas' validate functions by kind,
// given `at`, which finds a schema object by its root's $id and a JSON pointer.
import type { ValidateFunction } from 'ajv';

declare function precompiled(at: (id: string, pointer: string) => object): Record<'experiment' | 'sweep' | 'targets', ValidateFunction>;
export = precompiled;
