// YAML text → documents that keep every node's source range, so that any problem found in the
// plain value can be underlined exactly where the user wrote it.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, YAMLParseError } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import type { Diagnostic, Path, Position, Range } from '../diagnostic';
import { fastParse } from './fast';
import { reparse } from './incremental';

/** Larger texts get one informational diagnostic instead of a parse (keeps the server responsive). */
export const MAX_TEXT_LENGTH = 8 * 1024 * 1024;
/** Aliases expanded per document before we call it a resource-exhaustion attack (billion laughs). */
const MAX_ALIAS_COUNT = 1000;

export interface YamlDoc {
  doc: Document.Parsed;
  /** Plain JS value, or undefined when the document could not be converted (alias bomb). */
  value: unknown;
}

export interface ParsedText {
  text: string;
  docs: YamlDoc[];
  lines: LineCounter;
  /** Syntax errors and warnings, already as diagnostics. */
  problems: Diagnostic[];
}

/** Documents the fast path built: only these may be patched by reparse(). */
const fastDocs = new WeakSet<Document>();

/**
 * The parse of `text`, given the parse of the document's previous version, which it may patch in
 * place (incremental.ts) — so `prev` must not be used afterwards.
 */
export function reparseYaml(prev: ParsedText | undefined, text: string): ParsedText {
  return (prev && text.length <= MAX_TEXT_LENGTH && reparse(prev, text, (d) => fastDocs.has(d))) || parseYaml(text);
}

export function parseYaml(text: string): ParsedText {
  const lines = new LineCounter();
  const problems: Diagnostic[] = [];
  const out: ParsedText = { text, docs: [], lines, problems };
  if (text.length > MAX_TEXT_LENGTH) {
    problems.push({
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: 'information',
      rule: 'file-too-large',
      message: `File is ${(text.length / 1048576).toFixed(1)} MB; expctl validates files up to ${MAX_TEXT_LENGTH / 1048576} MB. Split it, or use extends.`,
    });
    return out;
  }
  // Fast path: the common, error-free subset of YAML, parsed >10x faster into the same Document
  // and plain value (see fast.ts). Anything else goes to the library, with a fresh line counter.
  const fastLines = new LineCounter();
  const fast = fastParse(text, fastLines);
  if (fast) {
    fastDocs.add(fast.doc);
    out.lines = fastLines;
    out.docs.push(fast);
    return out;
  }
  let parsed: Document.Parsed[];
  try {
    // The library checks each key against all earlier ones (quadratic: 19 s for a 1 MB mapping);
    // duplicateKeys() does the same check with a set.
    parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false, logLevel: 'silent' }) as Document.Parsed[];
    if (!Array.isArray(parsed)) parsed = []; // EmptyStream
    for (const doc of parsed) duplicateKeys(doc);
  } catch (e) {
    // The parser recurses per nesting level; absurd nesting exhausts the stack.
    problems.push({
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: 'error',
      rule: 'yaml-syntax',
      message: e instanceof RangeError ? 'Document is nested too deeply to parse.' : `Cannot parse YAML: ${(e as Error).message}`,
    });
    return out;
  }
  for (const doc of parsed) {
    for (const err of doc.errors) problems.push(yamlProblem(lines, err.pos, err.message, 'error', err.code));
    for (const w of doc.warnings) problems.push(yamlProblem(lines, w.pos, w.message, 'warning', w.code));
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const r = doc.contents?.range;
      problems.push(yamlProblem(lines, r ? [r[0], r[0]] : [0, 0],
        e instanceof RangeError ? 'Document is nested too deeply.' : `Cannot use this document: ${(e as Error).message}`, 'error', 'ALIAS_LIMIT'));
    }
    out.docs.push({ doc, value });
  }
  return out;
}

/** Adds the library's DUPLICATE_KEY error (same message and place) for each repeated scalar key, in linear time. */
function duplicateKeys(doc: Document.Parsed): void {
  const found: YAMLParseError[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const item of node.items) {
        const k = item.key;
        if (isScalar(k)) {
          if (keys.has(k.value) && k.range) found.push(new YAMLParseError([k.range[0], k.range[0] + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
          keys.add(k.value);
        }
        stack.push(k, item.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  if (found.length) doc.errors.push(...found.sort((a, b) => a.pos[0] - b.pos[0]));
}

function yamlProblem(lines: LineCounter, pos: [number, number], message: string, severity: 'error' | 'warning', code: string): Diagnostic {
  // yaml's messages end with a code-frame after a colon on a new line; keep the first line.
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return { range: toRange(lines, pos[0], Math.max(pos[1], pos[0])), severity, rule: 'yaml-syntax', message: `${first} (${code})` };
}

export function toPosition(lines: LineCounter, offset: number): Position {
  const p = lines.linePos(offset);
  return { line: p.line - 1, character: p.col - 1 };
}

export function toRange(lines: LineCounter, start: number, end: number): Range {
  return { start: toPosition(lines, start), end: toPosition(lines, end) };
}

export function toOffset(lines: LineCounter, text: string, pos: Position): number {
  const starts = lines.lineStarts;
  if (pos.line >= starts.length) return text.length;
  return Math.min(starts[pos.line] + pos.character, pos.line + 1 < starts.length ? starts[pos.line + 1] : text.length);
}

/** [start, end) of a node's value in the text (without trailing comments). */
export function nodeSpan(node: Node | null | undefined): [number, number] | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

export interface Located {
  /** The pair whose key is the last path segment (for mapping entries). */
  pair?: Pair<Node, Node | null>;
  key?: Node;
  value?: Node | null;
  /** How many path segments were found (path.length when fully found). */
  depth: number;
  /** The deepest node found along the path (the document contents at depth 0). */
  deepest?: Node | null;
  /** The pair holding `deepest`, when it is a mapping entry. */
  deepestPair?: Pair<Node, Node | null>;
}

const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** The entry of a mapping with this key; large mappings get an index so lookups stay O(1). */
function findPair(map: YAMLMap, seg: string | number): Pair | undefined {
  const want = String(seg);
  if (map.items.length <= 16) {
    for (const item of map.items) if (keyText(item.key) === want) return item as Pair;
    return undefined;
  }
  let idx = keyIndex.get(map);
  if (!idx) {
    idx = new Map();
    for (const item of map.items) {
      const k = keyText(item.key);
      if (k !== undefined && !idx.has(k)) idx.set(k, item as Pair);
    }
    keyIndex.set(map, idx);
  }
  return idx.get(want);
}

function keyText(k: unknown): string | undefined {
  const v = isScalar(k) ? k.value : k;
  return v === null || v === undefined ? undefined : String(v);
}

/** Finds the node at `path` in a parsed document, following aliases. */
export function locate(doc: Document.Parsed, path: Path): Located {
  let node: Node | null | undefined = doc.contents as Node | null;
  let pair: Pair<Node, Node | null> | undefined;
  const res: Located = { depth: 0, deepest: node };
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc) as Node | undefined;
    const seg = path[i];
    pair = undefined;
    let next: Node | null | undefined;
    if (isMap(node)) {
      const item = findPair(node, seg);
      if (item) {
        pair = item as Pair<Node, Node | null>;
        next = item.value as Node | null;
      }
      if (!pair) return res;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      next = node.items[seg] as Node | null;
    } else {
      return res;
    }
    node = next;
    res.depth = i + 1;
    res.deepest = node;
    res.deepestPair = pair;
  }
  res.pair = pair;
  res.key = pair?.key ?? undefined;
  res.value = node;
  return res;
}

/**
 * The path to the node at `offset`, and whether the offset is on a key. Used by completion and
 * hover. `inKey` is also true on an empty line inside a mapping (where a new key would go).
 */
export interface PathAt { path: (string | number)[]; node?: Node | null; pair?: Pair; inKey: boolean }

export function pathAt(doc: Document.Parsed, offset: number): PathAt {
  const path: (string | number)[] = [];
  let node = doc.contents as Node | null;
  let lastPair: Pair | undefined;
  for (;;) {
    if (isMap(node)) {
      let found = false;
      for (const item of node.items) {
        const k = item.key as Node | null;
        const ks = nodeSpan(k);
        const v = item.value as Node | null;
        const vs = nodeSpan(v);
        const keyName = isScalar(k) ? String(k.value) : '';
        if (ks && offset >= ks[0] && offset <= ks[1]) return { path: [...path, keyName], node: k, pair: item, inKey: true };
        if (vs && offset >= vs[0] && offset <= vs[1]) {
          path.push(keyName);
          node = v;
          lastPair = item;
          found = true;
          break;
        }
      }
      if (!found) return { path, node, pair: lastPair, inKey: true };
    } else if (isSeq(node)) {
      let found = false;
      node.items.forEach((item, i) => {
        const s = nodeSpan(item as Node);
        if (!found && s && offset >= s[0] && offset <= s[1]) {
          path.push(i);
          node = item as Node;
          found = true;
        }
      });
      if (!found) return { path, node, pair: lastPair, inKey: false };
    } else {
      return { path, node, pair: lastPair, inKey: false };
    }
    if (isScalar(node) || node === null || isPair(node)) return { path, node, pair: lastPair, inKey: false };
  }
}
