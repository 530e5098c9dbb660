// Document outline: one symbol per mapping key, nested; list items by index (named by their
// `name` key when they have one). Capped so a 65k-line run list stays cheap to send.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { Range } from '../diagnostic';
import type { Validation } from '../validate';
import { nodeSpan, toRange } from '../yaml/document';

export interface Symbol {
  name: string;
  detail?: string;
  kind: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'module';
  range: Range;
  selectionRange: Range;
  children?: Symbol[];
}

export const MAX_SYMBOLS = 5000;

export function documentSymbols(v: Validation): Symbol[] {
  const budget = { left: MAX_SYMBOLS };
  const lines = v.parsed.lines;
  const range = (from: Node | null | undefined, to: Node | null | undefined): Range | undefined => {
    const a = nodeSpan(from);
    const b = nodeSpan(to) ?? a;
    return a && b ? toRange(lines, a[0], Math.max(a[1], b[1])) : undefined;
  };
  const kindOf = (n: Node | null | undefined): Symbol['kind'] => {
    if (isMap(n)) return 'object';
    if (isSeq(n)) return 'array';
    if (isScalar(n)) return n.value === null ? 'null' : typeof n.value === 'number' ? 'number' : typeof n.value === 'boolean' ? 'boolean' : 'string';
    return 'null';
  };
  const detailOf = (n: Node | null | undefined): string | undefined => {
    if (isScalar(n)) return n.value === null ? undefined : String(n.value).slice(0, 80);
    if (isSeq(n)) return `${n.items.length} item${n.items.length === 1 ? '' : 's'}`;
    return undefined;
  };
  const children = (n: Node | null | undefined, depth: number): Symbol[] | undefined => {
    if (depth > 20) return undefined;
    const out: Symbol[] = [];
    if (isMap(n)) {
      for (const pair of n.items) {
        if (budget.left-- <= 0) break;
        const k = pair.key as Node | null;
        const val = pair.value as Node | null;
        const r = range(k, val);
        const sel = range(k, k);
        if (!r || !sel) continue;
        out.push({ name: isScalar(k) ? String(k.value) : '?', detail: detailOf(val), kind: kindOf(val), range: r, selectionRange: sel, children: children(val, depth + 1) });
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        if (budget.left-- <= 0) return;
        const node = item as Node;
        const r = range(node, node);
        if (!r) return;
        const named = isMap(node) ? node.get('name') : undefined;
        out.push({ name: typeof named === 'string' ? named : `[${i}]`, detail: detailOf(node), kind: kindOf(node), range: r, selectionRange: r, children: children(node, depth + 1) });
      });
    }
    return out.length ? out : undefined;
  };
  const docs = v.parsed.docs;
  if (docs.length === 1) return children(docs[0].doc.contents as Node, 0) ?? [];
  return docs.flatMap((d, i) => {
    const r = range(d.doc.contents as Node, d.doc.contents as Node);
    return r ? [{ name: `document ${i + 1}`, kind: 'module' as const, range: r, selectionRange: r, children: children(d.doc.contents as Node, 0) }] : [];
  });
}
