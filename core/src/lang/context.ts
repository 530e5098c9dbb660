// Where the cursor is, in config terms: which mapping (by path) a key typed here would join, or
// which key's value is being typed. YAML being edited is often broken, so this reads the text
// around the cursor — indentation of the surrounding lines in block style, a small scanner for flow
// collections (`{ … }`, `[ … ]`) — and asks the parsed AST only about complete text before it.
import type { Document } from 'yaml';
import { nodeSpan, pathAt } from '../yaml/document';
import type { Validation } from '../validate';

export interface CursorContext {
  /** 'key': a key of the mapping at `path` is typed; 'value': the value at `path` is typed. */
  type: 'key' | 'value';
  path: (string | number)[];
  /** The partial word typed so far, and where it starts (offset). */
  prefix: string;
  prefixStart: number;
  /** The rest of that word after the cursor (`rep‸eat`: `eat`): a key being edited is still offered. */
  suffix: string;
  /** Column where a new key goes (for multi-line insertions). */
  column: number;
  /** The document under the cursor. */
  docIndex: number;
  /** true when the cursor line starts a new list item (`- `), or is an item of a flow sequence. */
  listItem: boolean;
  /** true inside `{ … }` or `[ … ]`: insertions must be single-line flow text. */
  flow: boolean;
  /** Keys already written in the flow mapping being completed (also when the text does not parse). */
  siblings: string[];
}

const KEY_LINE = /^(\s*)((?:-\s+)*)([^\s#'"{[\]}-][^#]*?|"[^"]*"|'[^']*')\s*:(\s|$)/;

interface LineInfo { start: number; indent: number; dashes: number; contentCol: number; key?: string; afterColon?: string; isDashOnly: boolean }

function lineInfo(text: string, start: number): LineInfo {
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const line = text.slice(start, end);
  const m = KEY_LINE.exec(line);
  const indent = line.length - line.trimStart().length;
  const dashMatch = /^(\s*)((?:-(?:\s+|$))*)/.exec(line)!;
  const contentCol = dashMatch[0].length;
  const info: LineInfo = { start, indent, dashes: (dashMatch[2].match(/-/g) ?? []).length, contentCol, isDashOnly: line.trim() === '-' };
  if (m) {
    info.key = m[3].replace(/^["']|["']$/g, '');
    info.afterColon = line.slice(m[0].length).trim();
  }
  return info;
}

export function docIndexAt(v: Validation, offset: number): number {
  let idx = 0;
  v.parsed.docs.forEach((d, i) => { if ((d.doc.range?.[0] ?? 0) <= offset) idx = i; });
  return idx;
}

export function cursorContext(v: Validation, offset: number): CursorContext | undefined {
  const text = v.parsed.text;
  const lineStart = lineStartOf(text, offset);
  const docIndex = docIndexAt(v, offset);
  const scan = scanFlow(text, flowScanStart(text, lineStart), offset);
  if (scan === 'comment') return undefined;
  if (scan.frames.length) return flowContext(v, offset, docIndex, scan);
  return blockContext(v, offset, lineStart, docIndex);
}

function blockContext(v: Validation, offset: number, lineStart: number, docIndex: number): CursorContext | undefined {
  const text = v.parsed.text;
  const before = text.slice(lineStart, offset);
  if (/#/.test(before.replace(/"[^"]*"|'[^']*'/g, ''))) return undefined; // in a comment
  const doc = v.parsed.docs[docIndex]?.doc;
  const base = { docIndex, flow: false, siblings: [], suffix: suffixAt(text, offset) };

  const valueMatch = /^(\s*)((?:-\s+)*)([^\s#:][^#:]*?)\s*:\s+(\S*)$/.exec(before);
  if (valueMatch) {
    const column = valueMatch[1].length + valueMatch[2].length;
    const parent = mappingPathAt(text, doc, lineStart, column, valueMatch[2].length > 0);
    if (!parent) return undefined;
    const key = valueMatch[3].replace(/^["']|["']$/g, '');
    const prefix = valueMatch[4].replace(/^["']/, '');
    return { ...base, type: 'value', path: [...parent, key], prefix, prefixStart: offset - prefix.length, column, listItem: valueMatch[2].length > 0 };
  }
  const keyMatch = /^(\s*)((?:-\s+)*)([^\s#:]*)$/.exec(before);
  if (!keyMatch) return undefined;
  const dashed = keyMatch[2].length > 0;
  const column = keyMatch[1].length + keyMatch[2].length;
  const prefix = keyMatch[3];
  if (dashed) {
    const seq = seqPathAt(text, doc, lineStart, keyMatch[1].length);
    if (!seq) return undefined;
    return { ...base, type: 'key', path: [...seq, itemIndex(v, docIndex, seq)], prefix, prefixStart: offset - prefix.length, column, listItem: true };
  }
  const parent = mappingPathAt(text, doc, lineStart, column, false);
  if (!parent) return undefined;
  return { ...base, type: 'key', path: parent, prefix, prefixStart: offset - prefix.length, column, listItem: false };
}

/** Start of the line holding `offset`. (`lastIndexOf` with a negative start still looks at index 0.) */
function lineStartOf(text: string, offset: number): number {
  return offset > 0 ? text.lastIndexOf('\n', offset - 1) + 1 : 0;
}

function suffixAt(text: string, offset: number): string {
  return /^[^\s:,[\]{}#"']*/.exec(text.slice(offset, offset + 256))![0];
}

/** A new list item's index: the current length of the list (schema lookups only need "an item"). */
function itemIndex(v: Validation, docIndex: number, seq: (string | number)[]): number {
  let cur: unknown = v.parsed.docs[docIndex]?.value;
  for (const s of seq) cur = cur && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[s] : undefined;
  return Array.isArray(cur) ? Math.max(0, cur.length - 1) : 0;
}

function prevLines(text: string, lineStart: number): Generator<LineInfo> {
  return (function* () {
    let pos = lineStart;
    while (pos > 0) {
      const start = lineStartOf(text, pos - 1);
      pos = start;
      const info = lineInfo(text, start);
      const rest = text.slice(start + info.indent, text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start)).trim();
      if (rest === '' || rest.startsWith('#')) continue;
      if (rest === '---' || rest === '...') return;
      yield info;
    }
  })();
}

/** The path of the mapping a key at `column` on the line at `lineStart` belongs to. */
function mappingPathAt(text: string, doc: Document.Parsed | undefined, lineStart: number, column: number, dashedLine: boolean): (string | number)[] | undefined {
  if (column === 0 && !dashedLine) return [];
  for (const L of prevLines(text, lineStart)) {
    if (L.contentCol === column && L.key !== undefined && !dashedLine) {
      // A sibling key: same mapping.
      const p = doc ? pathAt(doc, L.start + L.contentCol) : undefined;
      return p ? p.path.slice(0, -1) : undefined;
    }
    if (L.contentCol < column || (dashedLine && L.indent < column)) {
      if (L.key !== undefined && L.afterColon === '') {
        const p = doc ? pathAt(doc, L.start + L.contentCol) : undefined;
        if (!p) return undefined;
        // `key:` then a dashed line: a list under key; the mapping is its current item.
        return dashedLine ? [...p.path, 0] : p.path;
      }
      if (L.isDashOnly || (L.dashes > 0 && L.contentCol <= column)) {
        const p = doc ? pathAt(doc, L.start + L.contentCol) : undefined;
        return p ? p.path.slice(0, L.key !== undefined ? -1 : undefined) : undefined;
      }
      return column === 0 ? [] : undefined;
    }
  }
  return column === 0 ? [] : undefined;
}

/** The path of the list a new `- ` item at `dashCol` belongs to. */
function seqPathAt(text: string, doc: Document.Parsed | undefined, lineStart: number, dashCol: number): (string | number)[] | undefined {
  for (const L of prevLines(text, lineStart)) {
    if (L.indent === dashCol && L.dashes > 0) {
      // A sibling item: the list is the parent of that item.
      const p = doc ? pathAt(doc, L.start + L.contentCol) : undefined;
      if (!p) return undefined;
      const idx = p.path.findLastIndex((s, i) => typeof s === 'number' && i < p.path.length - (p.inKey && L.key !== undefined ? 1 : 0));
      return idx >= 0 ? p.path.slice(0, idx) : undefined;
    }
    if (L.contentCol <= dashCol && L.key !== undefined && L.afterColon === '') {
      const p = doc ? pathAt(doc, L.start + L.contentCol) : undefined;
      return p?.path;
    }
    if (L.indent < dashCol) return undefined;
  }
  return undefined;
}

/** One open flow collection, as the scanner leaves it at the cursor. */
interface Frame {
  open: '{' | '[';
  start: number;
  /** Where this collection sits in the enclosing one (undefined for the outermost, and for a collection used as a key). */
  seg?: (string | number)[];
  /** Entries before the current one. */
  index: number;
  entryStart: number;
  /** The current entry's key once its `:` is written, and where its value starts. */
  key?: string;
  valueStart: number;
  /** Keys written in this mapping so far. */
  keys: string[];
  /** The current entry's value is a collection that has already been closed. */
  closed: boolean;
}

interface FlowScan { frames: Frame[]; quoteStart?: number }

/** Flow collections spanning more lines than this are not looked for (keeps each request bounded). */
const MAX_FLOW_LINES = 300;

/**
 * Where scanning for open flow collections can start: the nearest line above the cursor whose
 * content starts at column 0 (flow content in block context must be indented, so such a line is
 * outside any flow collection), or MAX_FLOW_LINES up.
 */
function flowScanStart(text: string, lineStart: number): number {
  let s = lineStart;
  for (let n = 0; n < MAX_FLOW_LINES && s > 0; n++) {
    const c = text[s];
    if (c !== undefined && !' \t\r\n#}],'.includes(c)) return s;
    s = lineStartOf(text, s - 1);
  }
  return s;
}

const BLOCK_SCALAR = /(?:^\s*-|:)\s+[|>][-+1-9]{0,2}\s*(?:#.*)?$/;
/** The characters the flow scanner acts on, by char code. */
const SPECIAL = new Uint8Array(128);
for (const ch of '\n#"\'{}[],:|>') SPECIAL[ch.charCodeAt(0)] = 1;

/** Scans `text` from `from` (outside any flow collection) to `to`: the flow collections open there. */
function scanFlow(text: string, from: number, to: number): FlowScan | 'comment' {
  const frames: Frame[] = [];
  let lineStart = from;
  // A quote or a flow collection starts a value only at its beginning (`it's`, `a{b}` are plain).
  const valueStart = (i: number): boolean => {
    let p = i - 1;
    while (p >= lineStart && (text[p] === ' ' || text[p] === '\t')) p--;
    if (p < lineStart) return true;
    const c = text[p];
    if (frames.length && (c === ',' || c === '[' || c === '{' || c === ':')) return true;
    return (c === ':' || c === '-' || c === '?') && p + 1 < i;
  };
  let blockScalar = false;
  for (let i = from; i < to; i++) {
    // Most of a line is plain text: skip it by a table lookup.
    const code = text.charCodeAt(i);
    if (code >= 128 || !SPECIAL[code]) continue;
    const c = text[i];
    if (c === '|' || c === '>') { blockScalar = true; continue; }
    if (c === '\n') {
      const line = blockScalar && !frames.length ? text.slice(lineStart, i) : '';
      lineStart = i + 1;
      blockScalar = false;
      if (BLOCK_SCALAR.test(line)) {
        // A literal or folded scalar: its lines are text, not YAML; skip the lines indented deeper.
        const indent = line.length - line.trimStart().length;
        let j = lineStart;
        for (;;) {
          const end = text.indexOf('\n', j);
          const l = text.slice(j, end < 0 ? text.length : end);
          if (l.trim() !== '' && l.length - l.trimStart().length <= indent) break;
          if (end < 0 || end >= to) return { frames };
          j = end + 1;
        }
        lineStart = j;
        i = j - 1;
      }
      continue;
    }
    if (c === '#' && (i === lineStart || /\s/.test(text[i - 1]))) {
      const end = text.indexOf('\n', i);
      if (end < 0 || end >= to) return 'comment';
      i = end - 1;
      continue;
    }
    if ((c === '"' || c === "'") && valueStart(i)) {
      const close = quoteEnd(text, i, to);
      if (close < 0) return { frames, quoteStart: i };
      i = close;
      continue;
    }
    const top = frames[frames.length - 1];
    if ((c === '{' || c === '[') && (top || valueStart(i))) {
      let seg: (string | number)[] | undefined;
      if (top?.open === '{') seg = top.key !== undefined ? [top.key] : undefined;
      else if (top) seg = top.key !== undefined ? [top.index, top.key] : [top.index];
      frames.push({ open: c, start: i, seg, index: 0, entryStart: i + 1, valueStart: i + 1, keys: [], closed: false });
      continue;
    }
    if (!top) continue;
    if (c === '}' || c === ']') {
      frames.pop();
      if (frames.length) frames[frames.length - 1].closed = true;
    } else if (c === ',') {
      top.index++;
      top.key = undefined;
      top.entryStart = top.valueStart = i + 1;
      top.closed = false;
    } else if (c === ':' && top.key === undefined && (i + 1 >= text.length || /[\s,[\]{}]/.test(text[i + 1]) || /["']/.test(text[i - 1]))) {
      top.key = text.slice(top.entryStart, i).trim().replace(/^\?\s*/, '').replace(/^(["'])(.*)\1$/s, '$2');
      top.valueStart = i + 1;
      if (top.open === '{') top.keys.push(top.key);
    }
  }
  return { frames };
}

/** Offset of the quote closing the one at `start`, or -1 when it is still open at `to`. */
function quoteEnd(text: string, start: number, to: number): number {
  const q = text[start];
  for (let j = start + 1; j < to; j++) {
    if (q === '"' && text[j] === '\\') j++;
    else if (text[j] === q) {
      if (q === "'" && text[j + 1] === "'") j++;
      else return j;
    }
  }
  return -1;
}

function flowContext(v: Validation, offset: number, docIndex: number, scan: FlowScan): CursorContext | undefined {
  const text = v.parsed.text;
  const { frames } = scan;
  const top = frames[frames.length - 1];
  if (top.closed) return undefined; // after `]` or `}` of a value: nothing left to complete there
  const path = collectionPath(v, docIndex, frames[0].start);
  if (!path) return undefined;
  for (const f of frames.slice(1)) {
    if (!f.seg) return undefined;
    path.push(...f.seg);
  }
  const written = text.slice(top.key === undefined ? top.entryStart : top.valueStart, offset);
  let prefix = written.trimStart();
  if (scan.quoteStart !== undefined) {
    // The cursor is inside a quoted scalar: complete its text when it is the word being typed.
    if (!/^["']/.test(prefix)) return undefined;
    prefix = prefix.slice(1);
  }
  if (/[\s"']/.test(prefix)) return undefined;
  const ctx = { prefix, prefixStart: offset - prefix.length, suffix: suffixAt(text, offset), column: 0, docIndex, flow: true, siblings: top.keys };
  if (top.open === '{') {
    return top.key === undefined
      ? { ...ctx, type: 'key', path, listItem: false }
      : { ...ctx, type: 'value', path: [...path, top.key], listItem: false };
  }
  return top.key === undefined
    ? { ...ctx, type: 'value', path: [...path, top.index], listItem: true }
    : { ...ctx, type: 'value', path: [...path, top.index, top.key], listItem: false };
}

/** The path of the flow collection opened at `start`: from the parsed document, else from the block text before it. */
function collectionPath(v: Validation, docIndex: number, start: number): (string | number)[] | undefined {
  const doc = v.parsed.docs[docIndex]?.doc;
  if (doc) {
    const p = pathAt(doc, start);
    if (nodeSpan(p.node)?.[0] === start) return p.path;
  }
  // The parser gave up before this point: read the block structure around the opening bracket.
  const lineStart = lineStartOf(v.parsed.text, start);
  const blk = blockContext(v, start, lineStart, docIndex);
  return blk && blk.prefix === '' ? [...blk.path] : undefined;
}
