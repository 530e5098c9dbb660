// The one ajv configuration: for our schemas (compiled at build time) and for a user's schema files.
import Ajv2020 from 'ajv/dist/2020';
import Ajv2019 from 'ajv/dist/2019';
import AjvDraft7 from 'ajv';
import type { Options } from 'ajv';

/** VS Code's and our own annotation keywords: known to ajv so that it stays quiet about them. */
const ANNOTATIONS = ['markdownDescription', 'enumDescriptions', 'markdownEnumDescriptions', 'defaultSnippets',
  'patternErrorMessage', 'errorMessage', 'deprecationMessage', 'doNotSuggest', 'suggestSortText'];

export type AnyAjv = Ajv2020 | Ajv2019 | AjvDraft7;
export type Dialect = 'draft2020' | 'draft2019' | 'draft7';

/** `verbose`: errors carry the schema object that failed, which the error mapping follows. */
export function makeAjv(kind: Dialect, code: Options['code'] = {}): AnyAjv {
  const opts: Options = { allErrors: true, strict: false, verbose: true, allowUnionTypes: true, validateFormats: false, code };
  const ajv = kind === 'draft2020' ? new Ajv2020(opts) : kind === 'draft2019' ? new Ajv2019(opts) : new AjvDraft7(opts);
  for (const k of ANNOTATIONS) ajv.addKeyword(k);
  return ajv;
}
