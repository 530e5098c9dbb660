// Where the cursor is, in config terms: which mapping (by path) a key typed here would join, or
// which key's value is being typed. YAML being edited is often broken, so this reads indentation
// of the surrounding lines and asks the parsed AST only about complete lines above the cursor.
import type { Document } from 'yaml';
import { pathAt } from '../yaml/document';
import type { Validation } from '../validate';

export interface CursorContext {
  /** 'key': a key of the mapping at `path` is typed; 'value': the value at `path` is typed. */
  type: 'key' | 'value';
  path: (string | number)[];
  /** The partial word typed so far, and where it starts (offset). */
  prefix: string;
  prefixStart: number;
  /** Column where a new key goes (for multi-line insertions). */
  column: number;
  /** The document under the cursor. */
  docIndex: number;
  /** true when the cursor line starts a new list item (`- `). */
  listItem: boolean;
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

function docIndexAt(v: Validation, offset: number): number {
  let idx = 0;
  v.parsed.docs.forEach((d, i) => { if ((d.doc.range?.[0] ?? 0) <= offset) idx = i; });
  return idx;
}

export function cursorContext(v: Validation, offset: number): CursorContext | undefined {
  const text = v.parsed.text;
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (/#/.test(before.replace(/"[^"]*"|'[^']*'/g, ''))) return undefined; // in a comment
  const docIndex = docIndexAt(v, offset);
  const doc = v.parsed.docs[docIndex]?.doc;

  const valueMatch = /^(\s*)((?:-\s+)*)([^\s#:][^#:]*?)\s*:\s+(\S*)$/.exec(before);
  if (valueMatch) {
    const column = valueMatch[1].length + valueMatch[2].length;
    const parent = mappingPathAt(text, doc, lineStart, column, valueMatch[2].length > 0);
    if (!parent) return undefined;
    const key = valueMatch[3].replace(/^["']|["']$/g, '');
    const prefix = valueMatch[4].replace(/^["']/, '');
    return { type: 'value', path: [...parent, key], prefix, prefixStart: offset - prefix.length, column, docIndex, listItem: valueMatch[2].length > 0 };
  }
  const keyMatch = /^(\s*)((?:-\s+)*)([^\s#:]*)$/.exec(before);
  if (!keyMatch) return undefined;
  const dashed = keyMatch[2].length > 0;
  const column = keyMatch[1].length + keyMatch[2].length;
  const prefix = keyMatch[3];
  if (dashed) {
    const seq = seqPathAt(text, doc, lineStart, keyMatch[1].length);
    if (!seq) return undefined;
    return { type: 'key', path: [...seq, itemIndex(v, docIndex, seq)], prefix, prefixStart: offset - prefix.length, column, docIndex, listItem: true };
  }
  const parent = mappingPathAt(text, doc, lineStart, column, false);
  if (!parent) return undefined;
  return { type: 'key', path: parent, prefix, prefixStart: offset - prefix.length, column, docIndex, listItem: false };
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
      const start = text.lastIndexOf('\n', pos - 2) + 1;
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
