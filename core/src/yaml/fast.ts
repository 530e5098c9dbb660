// Fast path for the subset of YAML that configuration files use: block mappings and sequences,
// single-line flow collections, plain and quoted single-line scalars, comments.
//
// It builds the very same `yaml` Document (YAMLMap / YAMLSeq / Pair / Scalar, with identical
// `range`s, scalar `type`/`source`/`format`) that `parseAllDocuments()` would, plus the plain JS
// value, in one pass over the text, roughly 10-20x faster than the library. Anything outside the
// subset, or anything it is not certain about, makes it return `undefined` so the caller falls back
// to the library: that includes every syntax error, anchors, aliases, tags, block scalars,
// multi-line scalars and flow collections, directives, several documents, tabs outside quotes and
// comments, CR characters other than in CRLF line breaks, control characters, duplicate keys and
// top-level scalars.
//
// Node ranges follow the library's CST rules (yaml 2.x parser.ts / composer), which decide where
// trailing blank lines and comments belong:
//  - a value on a key/`-` line owns the rest of its line, newline included (`range[2]`), plus any
//    following comment lines indented deeper than its collection (and the blank lines between);
//  - other trailing blank/comment lines form a "trailing item" of the innermost collection; when
//    that collection ends it is handed to the parent unless it holds a comment indented at least
//    as deep as the collection (then it stays: the collection's `range[2]` is its end). The
//    top-level collection hands it to the document (`doc.range[2]`);
//  - an empty value (`key:` / `-`) is a null scalar right after the indicator and its spaces; its
//    `range[2]` reaches over the comments after it (see resolveEmpty()).
// Comments themselves are not attached to nodes (`comment`/`commentBefore`/`spaceBefore` stay unset);
// nothing in expctl reads them.
import { Document, isMap, isPair, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { LineCounter } from 'yaml';

export interface FastResult {
  doc: Document.Parsed;
  value: unknown;
}

type Node = Scalar | YAMLMap | YAMLSeq;

const NL = 10;
const SP = 32;
const DQ = 34; // "
const HASH = 35; // #
const SQ = 39; // '
const COMMA = 44;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const LBRACK = 91;
const BSLASH = 92;
const RBRACK = 93;
const LBRACE = 123;
const RBRACE = 125;
const TAB = 9;
const CR = 13;

/** Plain-scalar stops. */
const STOP_EOL = 0;
const STOP_COMMENT = 1;
const STOP_COLON = 2;
const STOP_FLOW = 3;

/** Item states of a block collection's last item. */
const ST_VALUE = 0; // has a value (a scalar / flow collection on its line, or a finished child)
const ST_PENDING = 1; // `key:` or `-` with nothing after it yet
const ST_NESTED = 2; // value is a child block collection that is still open

/** Nesting (block + flow) beyond which we let the library decide (it recurses, and may overflow). */
const MAX_DEPTH = 64;
/** The library rejects implicit keys longer than 1024 chars; stay well clear. */
const MAX_KEY_LENGTH = 1000;

/**
 * Characters we never accept: C0 controls except tab, LF and CR, DEL and C1 controls (incl. NEL),
 * line/paragraph separators, BOM and non-characters. CR only as part of CRLF.
 */
const FORBIDDEN = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]/;
const LONE_CR = /\r(?!\n)/;

// The library's node constructors define the node-type symbol on every instance with
// Object.defineProperty, which makes building a large tree several times slower. Ours inherit from
// Scalar / Pair / YAMLMap / YAMLSeq and carry the same (non-enumerable) symbol on their prototype,
// so isScalar() & co., instanceof, toJS() and toString() behave the same.
const NODE_TYPE = Object.getOwnPropertySymbols(new Scalar(null))[0];

function nodePrototype(base: object, probe: object): object {
  return Object.create(base, {
    [NODE_TYPE]: { value: (probe as Record<symbol, unknown>)[NODE_TYPE] },
    constructor: { value: (base as { constructor: unknown }).constructor, writable: true, configurable: true },
  });
}

interface ScalarCtor {
  new (value: unknown): Scalar;
}
interface CollectionCtor<T> {
  new (schema: SchemaDescriptor): T;
}
interface PairCtor {
  new (key: Scalar, value: Node | null): Pair<Scalar, Node | null>;
}

const FastScalar = function FastScalar(this: Scalar, value: unknown) {
  this.value = value;
  this.range = undefined;
  this.source = undefined;
  this.type = undefined;
} as unknown as ScalarCtor;
FastScalar.prototype = nodePrototype(Scalar.prototype, new Scalar(null)) as Scalar;

const FastPair = function FastPair(this: Pair, key: Scalar, value: Node | null) {
  this.key = key;
  this.value = value;
} as unknown as PairCtor;
FastPair.prototype = nodePrototype(Pair.prototype, new Pair(null)) as Pair<Scalar, Node | null>;

interface SchemaDescriptor {
  value: unknown;
  configurable: true;
  enumerable: false;
  writable: true;
}

/** The collection's `schema`: a non-enumerable own property, as the library's Collection defines it. */
function schemaDescriptor(schema: unknown): SchemaDescriptor {
  return { value: schema, configurable: true, enumerable: false, writable: true };
}

const FastMap = function FastMap(this: YAMLMap, schema: SchemaDescriptor) {
  Object.defineProperty(this, 'schema', schema);
  this.items = [];
} as unknown as CollectionCtor<YAMLMap>;
FastMap.prototype = nodePrototype(YAMLMap.prototype, new YAMLMap()) as YAMLMap;

const FastSeq = function FastSeq(this: YAMLSeq, schema: SchemaDescriptor) {
  Object.defineProperty(this, 'schema', schema);
  this.items = [];
} as unknown as CollectionCtor<YAMLSeq>;
FastSeq.prototype = nodePrototype(YAMLSeq.prototype, new YAMLSeq()) as YAMLSeq;

/** Whether this version of `yaml` recognises our nodes as its own; if not, we always fall back. */
const SUPPORTED = isScalar(new FastScalar(null)) && isPair(new FastPair(new FastScalar(null), null)) && isMap(new FastMap(schemaDescriptor(null))) && isSeq(new FastSeq(schemaDescriptor(null)));

class Bail {}
const BAIL = new Bail();

const hasOwn = Object.prototype.hasOwnProperty;

/** obj[key] = value, where `__proto__` is an own property, as the library's toJS makes it. */
export function setProp(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

class Frame {
  isMap = false;
  indent = 0;
  offset = 0;
  node!: YAMLMap | YAMLSeq;
  obj: Record<string, unknown> | null = null;
  arr: unknown[] | null = null;
  state = ST_VALUE;
  /** Value node of the last item. */
  last: Node | null = null;
  /** Pending map item. */
  pair: Pair | null = null;
  key = '';
  /** Pending item: position of the empty scalar, end of the separator tokens so far. */
  p = 0;
  sepEnd = 0;
  /** Pending item: first comment, newlines since the last "deep" comment, the second one's offset. */
  firstCmt = -1;
  nlCount = 0;
  nl2 = -1;
  /** Trailing item (blank/comment lines after the last value): its end (-1: none), comments. */
  tEnd = -1;
  tHasCmt = false;
  tMax = -1;

  /** Frames are reused (one per depth), so everything is (re)set here. */
  init(isMap: boolean, indent: number, offset: number, node: YAMLMap | YAMLSeq, obj: Record<string, unknown> | null, arr: unknown[] | null): void {
    this.isMap = isMap;
    this.indent = indent;
    this.offset = offset;
    this.node = node;
    this.obj = obj;
    this.arr = arr;
    this.state = ST_VALUE;
    this.last = null;
    this.pair = null;
    this.key = '';
    this.p = 0;
    this.sepEnd = 0;
    this.firstCmt = -1;
    this.nlCount = 0;
    this.nl2 = -1;
    this.tEnd = -1;
    this.tHasCmt = false;
    this.tMax = -1;
  }
}

/** Forgets the trailing item (it became the start of a new item, or part of a value). */
function clearTrailing(f: Frame): void {
  f.tEnd = -1;
  f.tHasCmt = false;
  f.tMax = -1;
}

const DQ_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', e: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029', ' ': ' ', '"': '"', '/': '/', '\\': '\\', '\t': '\t',
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isFlowChar(c: number): boolean {
  return c === COMMA || c === LBRACK || c === RBRACK || c === LBRACE || c === RBRACE;
}

/**
 * A plain scalar resolved with the YAML 1.2 core schema exactly as the `yaml` library does
 * (schema/core: null, bool, int (oct, dec, hex), float (nan/inf, exp, fixed); else string).
 */
function plainScalar(src: string): Scalar {
  const n = src.length;
  const c0 = src.charCodeAt(0);
  switch (c0) {
    case 126: // ~
      if (n === 1) return new FastScalar(null);
      break;
    case 110: case 78: // n N
      if (src === 'null' || src === 'Null' || src === 'NULL') return new FastScalar(null);
      break;
    case 116: case 84: // t T
      if (src === 'true' || src === 'True' || src === 'TRUE') return new FastScalar(true);
      break;
    case 102: case 70: // f F
      if (src === 'false' || src === 'False' || src === 'FALSE') return new FastScalar(false);
      break;
    case 43: case 45: case 46: // + - .
    case 48: case 49: case 50: case 51: case 52: case 53: case 54: case 55: case 56: case 57: {
      const num = numberScalar(src, n, c0);
      if (num) return num;
      break;
    }
  }
  return new FastScalar(src);
}

function numberScalar(s: string, n: number, c0: number): Scalar | undefined {
  if (c0 === 48 && n > 2) {
    const c1 = s.charCodeAt(1);
    if (c1 === 111) { // 0o[0-7]+
      for (let i = 2; i < n; i++) { const c = s.charCodeAt(i); if (c < 48 || c > 55) return undefined; }
      const sc = new FastScalar(parseInt(s.substring(2), 8));
      sc.format = 'OCT';
      return sc;
    }
    if (c1 === 120) { // 0x[0-9a-fA-F]+
      for (let i = 2; i < n; i++) if (!isHex(s.charCodeAt(i))) return undefined;
      const sc = new FastScalar(parseInt(s.substring(2), 16));
      sc.format = 'HEX';
      return sc;
    }
  }
  let i = 0;
  const signed = c0 === 43 || c0 === 45;
  if (signed) i = 1;
  if (i < n && s.charCodeAt(i) === DOT) {
    const rest = s.substring(i + 1);
    if (rest === 'inf' || rest === 'Inf' || rest === 'INF') return new FastScalar(c0 === 45 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY);
    if (!signed && (rest === 'nan' || rest === 'NaN' || rest === 'NAN')) return new FastScalar(NaN);
  }
  const d1Start = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const d1 = i - d1Start;
  let dot = false;
  let d2 = 0;
  if (i < n && s.charCodeAt(i) === DOT) {
    dot = true;
    i++;
    const d2Start = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    d2 = i - d2Start;
  }
  if (d1 === 0 && d2 === 0) return undefined;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c !== 101 && c !== 69) return undefined; // e E
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const d3Start = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === d3Start || i < n) return undefined;
    const sc = new FastScalar(parseFloat(s));
    sc.format = 'EXP';
    return sc;
  }
  if (!dot) return new FastScalar(parseInt(s, 10));
  const sc = new FastScalar(parseFloat(s));
  if (s.charCodeAt(n - 1) === 48) sc.minFractionDigits = n - s.indexOf('.') - 1;
  return sc;
}

const INTERN_MASK = 4095;

/** Scalar formatting details as one number: 0 none, -1 OCT, -2 HEX, -3 EXP, n > 0 minFractionDigits. */
function formatCode(sc: Scalar): number {
  if (sc.format !== undefined) return sc.format === 'OCT' ? -1 : sc.format === 'HEX' ? -2 : -3;
  return sc.minFractionDigits ?? 0;
}

function applyFormat(sc: Scalar, code: number): void {
  if (code > 0) sc.minFractionDigits = code;
  else sc.format = code === -1 ? 'OCT' : code === -2 ? 'HEX' : 'EXP';
}

/** JS object key for a scalar key, as the library's toJS computes it. */
function keyString(v: unknown): string {
  return v === null ? '' : typeof v === 'string' ? v : String(v);
}

class FastParser {
  private readonly t: string;
  private readonly n: number;
  private readonly lines: LineCounter;
  private readonly doc: Document.Parsed;
  /** Property descriptor of the document's schema, shared by all collections. */
  private readonly schema: SchemaDescriptor;
  /** Open block collections, outermost first: frames[0 .. depth - 1] (the array keeps spare frames). */
  private readonly frames: Frame[] = [];
  private depth = 0;
  /** Set by scanners: end of scalar content, how and where the scan stopped. */
  private sEnd = 0;
  private stop = STOP_EOL;
  private stopPos = 0;
  private sHash = 0;
  /** Interned plain scalars: source, resolved value, format code (see plain()). */
  private readonly istr: (string | undefined)[] = new Array<string | undefined>(INTERN_MASK + 1);
  private readonly ival: unknown[] = new Array<unknown>(INTERN_MASK + 1);
  private readonly ifmt = new Int32Array(INTERN_MASK + 1);
  /** JS value of the node last returned by a value parser; end of the last flow collection. */
  private vjs: unknown = null;
  private fEnd = 0;
  private root: Frame | null = null;
  /** End of the trailing blank/comment lines handed to the document (-1: none). */
  private docEnd = -1;

  constructor(text: string, lines: LineCounter) {
    this.t = text;
    this.n = text.length;
    this.lines = lines;
    this.doc = new Document(undefined, { uniqueKeys: true, prettyErrors: false, logLevel: 'silent', lineCounter: lines } as never) as unknown as Document.Parsed;
    this.schema = schemaDescriptor(this.doc.schema);
  }

  parse(): FastResult {
    const t = this.t;
    const n = this.n;
    if (n === 0 || FORBIDDEN.test(t) || (t.indexOf('\r') >= 0 && LONE_CR.test(t))) throw BAIL;
    this.lines.addNewLine(0);
    let pos = 0;
    let started = false;
    let docStart = false;
    let docOffset = 0;
    while (pos < n) {
      // [pos, le): the line's content; [le, next): its line break (LF or CRLF; the lexer treats
      // CRLF as one newline token: ranges that include a line break include both characters).
      let le = t.indexOf('\n', pos);
      let next: number;
      if (le < 0) next = le = n;
      else {
        next = le + 1;
        this.lines.addNewLine(next);
        if (le > pos && t.charCodeAt(le - 1) === CR) le--;
      }
      let q = pos;
      while (q < le && t.charCodeAt(q) === SP) q++;
      const k = q - pos;
      if (q === le) {
        if (started) this.trivia(false, k, -1, le, next);
      } else {
        const c = t.charCodeAt(q);
        if (c === HASH) {
          if (started) this.trivia(true, k, q, le, next);
        } else {
          if (k === 0 && (c === DASH || c === DOT) && le - q >= 3 && t.charCodeAt(q + 1) === c && t.charCodeAt(q + 2) === c) {
            // `---` / `...` (document markers) or a plain scalar starting like one: only a leading `---` line is ours.
            if (c === DOT || started || docStart) throw BAIL;
            let r = q + 3;
            if (r < le && t.charCodeAt(r) !== SP) throw BAIL;
            while (r < le && t.charCodeAt(r) === SP) r++;
            if (r < le && t.charCodeAt(r) !== HASH) throw BAIL;
            docStart = true;
            docOffset = pos;
          } else if (!started) {
            if (k !== 0) throw BAIL;
            if (!docStart) docOffset = pos;
            started = true;
            this.startRoot(q, le, next);
          } else {
            this.content(q, k, le, next);
          }
        }
      }
      pos = next;
    }
    if (!started) throw BAIL;
    while (this.depth > 0) this.pop();
    const root = this.root!;
    const contents = root.node;
    const end = contents.range![2];
    const doc = this.doc;
    doc.contents = contents as never;
    doc.range = [docOffset, end, this.docEnd >= 0 ? this.docEnd : end];
    if (docStart) doc.directives.docStart = true;
    return { doc, value: root.isMap ? root.obj : root.arr };
  }

  // ---- block structure -------------------------------------------------------------------------

  private newFrame(isMap: boolean, indent: number, offset: number): Frame {
    const depth = this.depth;
    if (depth >= MAX_DEPTH) throw BAIL;
    const f = depth < this.frames.length ? this.frames[depth] : (this.frames[depth] = new Frame());
    if (isMap) f.init(true, indent, offset, new FastMap(this.schema), {}, null);
    else f.init(false, indent, offset, new FastSeq(this.schema), null, []);
    this.depth = depth + 1;
    return f;
  }

  private startRoot(q: number, le: number, next: number): void {
    const t = this.t;
    if (t.charCodeAt(q) === DASH && (q + 1 === le || t.charCodeAt(q + 1) === SP)) {
      this.root = this.newFrame(false, 0, q);
      this.dashLine(this.root, q, le, next, false);
    } else {
      this.root = this.newFrame(true, 0, q);
      this.keyLine(this.root, q, le, next);
    }
  }

  /** A blank or comment-only line (after the first content line). */
  private trivia(isComment: boolean, k: number, cmtPos: number, le: number, next: number): void {
    const f = this.frames[this.depth - 1];
    if (f.state === ST_PENDING) {
      f.sepEnd = next;
      if (isComment) {
        if (f.firstCmt < 0) f.firstCmt = cmtPos;
        if (k > f.indent) f.nlCount = 0;
      }
      if (next > le && ++f.nlCount === 2) f.nl2 = le;
    } else if (isComment && !f.tHasCmt && k > f.indent) {
      // A comment indented deeper than the collection belongs to the end of the last value.
      f.last!.range![2] = next;
      clearTrailing(f);
    } else {
      f.tEnd = next;
      if (isComment) {
        f.tHasCmt = true;
        if (k > f.tMax) f.tMax = k;
      }
    }
  }

  /** A line with content at offset q, indented by k spaces. */
  private content(q: number, k: number, le: number, next: number): void {
    const t = this.t;
    let f = this.frames[this.depth - 1];
    if (k > 0) {
      // The indentation is a space token that goes to the innermost collection first.
      if (f.state === ST_PENDING) f.sepEnd = q;
      else f.tEnd = q;
    }
    const isDash = t.charCodeAt(q) === DASH && (q + 1 === le || t.charCodeAt(q + 1) === SP);
    if (f.state === ST_PENDING && (k > f.indent || (f.isMap && k === f.indent && isDash))) {
      this.child(f, q, k, isDash, le, next);
      return;
    }
    while (f.indent > k || (!f.isMap && f.indent === k && !isDash)) {
      this.pop();
      if (this.depth === 0) throw BAIL;
      f = this.frames[this.depth - 1];
    }
    if (f.indent !== k) throw BAIL;
    if (f.isMap) {
      if (isDash) throw BAIL;
      if (f.state === ST_PENDING) this.resolveEmpty(f, true);
      clearTrailing(f);
      this.keyLine(f, q, le, next);
    } else {
      if (f.state === ST_PENDING) this.resolveEmpty(f, false);
      // Comment lines before the dash are in the new item's start tokens: an empty item then
      // counts as commented (its range[2] reaches to the end of its tokens).
      const cmtBefore = f.tEnd >= 0 && f.tHasCmt;
      clearTrailing(f);
      this.dashLine(f, q, le, next, cmtBefore);
    }
  }

  /** Opens a block collection at column col as the value of f's pending item. */
  private child(f: Frame, q: number, col: number, isDash: boolean, le: number, next: number): void {
    const c = this.newFrame(!isDash, col, q);
    this.attach(f, c.node, isDash ? c.arr : c.obj);
    f.state = ST_NESTED;
    if (isDash) this.dashLine(c, q, le, next, false);
    else this.keyLine(c, q, le, next);
  }

  private attach(f: Frame, node: Node, js: unknown): void {
    if (f.isMap) {
      f.pair!.value = node;
      setProp(f.obj!, f.key, js);
    } else {
      (f.node as YAMLSeq).items.push(node);
      f.arr!.push(js);
    }
    f.last = node;
  }

  /** Closes the innermost collection. */
  private pop(): void {
    const f = this.frames[--this.depth];
    if (f.state === ST_PENDING) this.resolveEmpty(f, false);
    const r1 = f.last!.range![2];
    let r2 = r1;
    let moved = -1;
    if (f.tEnd >= 0) {
      if (f.indent === 0 || f.tMax < f.indent) moved = f.tEnd;
      else r2 = f.tEnd;
    }
    f.node.range = [f.offset, r1, r2];
    // `items` grew by push() to a capacity of at least 16: copy small ones to exact size, which
    // saves a tenth of the memory (and GC time) of a run list.
    const items = f.node.items;
    if (items.length < 12) f.node.items = items.slice();
    const parent = this.depth > 0 ? this.frames[this.depth - 1] : null;
    if (parent) {
      parent.state = ST_VALUE;
      parent.last = f.node;
      if (moved >= 0) {
        parent.tEnd = moved;
        parent.tHasCmt = f.tHasCmt;
        parent.tMax = f.tMax;
      } else clearTrailing(parent);
    } else {
      this.docEnd = moved;
    }
  }

  /**
   * The null value of a `key:` / `-` item. It sits after the indicator and its spaces; when there
   * is a comment among the tokens after it, its range[2] is the end of those tokens — except that
   * before a next key at the same indent the library cuts them at the second newline after the
   * last comment indented deeper than the map (that part goes to the next key).
   */
  private resolveEmpty(f: Frame, atNextItem: boolean): void {
    let end = f.sepEnd;
    let hasComment = f.firstCmt >= 0;
    if (f.isMap && atNextItem && f.nlCount >= 2) {
      end = f.nl2;
      hasComment = hasComment && f.firstCmt < f.nl2;
    }
    const node = new FastScalar(null);
    node.range = [f.p, f.p, hasComment ? end : f.p];
    node.source = '';
    node.type = Scalar.PLAIN;
    this.attach(f, node, null);
    f.state = ST_VALUE;
  }

  /** `- …` at q in seq frame f. */
  private dashLine(f: Frame, q: number, le: number, next: number, cmtBefore: boolean): void {
    const t = this.t;
    let r = q + 1;
    while (r < le && t.charCodeAt(r) === SP) r++;
    if (r === le || t.charCodeAt(r) === HASH) {
      f.state = ST_PENDING;
      f.p = r;
      f.sepEnd = next;
      f.firstCmt = r < le ? r : cmtBefore ? q : -1;
      return;
    }
    const col = f.indent + (r - q);
    const c = t.charCodeAt(r);
    if (c === DASH && (r + 1 === le || t.charCodeAt(r + 1) === SP)) {
      f.state = ST_PENDING;
      this.child(f, r, col, true, le, next);
      return;
    }
    if (c === LBRACK || c === LBRACE) {
      const node = this.flowValue(r, le, next);
      this.attach(f, node, this.vjs);
      f.state = ST_VALUE;
      return;
    }
    const sc = this.blockScalar(r, le);
    if (this.stop === STOP_COLON) {
      // `- key: …`: a compact mapping at the key's column.
      f.state = ST_PENDING;
      const m = this.newFrame(true, col, r);
      this.attach(f, m.node, m.obj);
      f.state = ST_NESTED;
      this.keyRest(m, sc, r, le, next);
      return;
    }
    sc.range![2] = next;
    this.attach(f, sc, sc.value);
    f.state = ST_VALUE;
  }

  /** `key: …` at q in map frame f. */
  private keyLine(f: Frame, q: number, le: number, next: number): void {
    const c = this.t.charCodeAt(q);
    if (c === LBRACK || c === LBRACE) throw BAIL; // complex keys
    const sc = this.blockScalar(q, le);
    if (this.stop !== STOP_COLON) throw BAIL;
    this.keyRest(f, sc, q, le, next);
  }

  /** After a key scalar (starting at q) whose `:` indicator is at this.stopPos. */
  private keyRest(f: Frame, key: Scalar, q: number, le: number, next: number): void {
    const t = this.t;
    const colon = this.stopPos;
    if (colon - q > MAX_KEY_LENGTH) throw BAIL;
    const ks = keyString(key.value);
    // A duplicate (or JS-colliding) key: let the library report it. `<<` is a plain string with
    // the core schema, but a merge key if the `merge` option is ever turned on: stay out of it.
    if (hasOwn.call(f.obj, ks) || ks === '<<') throw BAIL;
    const pair = new FastPair(key, null);
    (f.node as YAMLMap).items.push(pair);
    let r = colon + 1;
    while (r < le && t.charCodeAt(r) === SP) r++;
    if (r === le || t.charCodeAt(r) === HASH) {
      f.state = ST_PENDING;
      f.pair = pair;
      f.key = ks;
      f.p = r;
      f.sepEnd = next;
      f.firstCmt = r < le ? r : -1;
      f.nlCount = next > le ? 1 : 0;
      f.nl2 = -1;
      return;
    }
    const c = t.charCodeAt(r);
    let value: Node;
    let js: unknown;
    if (c === LBRACK || c === LBRACE) {
      value = this.flowValue(r, le, next);
      js = this.vjs;
    } else {
      const sc = this.blockScalar(r, le);
      if (this.stop === STOP_COLON) throw BAIL; // `a: b: c`
      sc.range![2] = next;
      value = sc;
      js = sc.value;
    }
    pair.value = value;
    setProp(f.obj!, ks, js);
    f.last = value;
    f.state = ST_VALUE;
  }

  // ---- scalars ---------------------------------------------------------------------------------

  /**
   * A plain or quoted scalar in block context at r, on one line. Sets stop (COLON: followed by a
   * `:` indicator at stopPos, COMMENT, EOL) and returns the node with range [r, end, end].
   */
  private blockScalar(r: number, le: number): Scalar {
    const t = this.t;
    const c = t.charCodeAt(r);
    let sc: Scalar;
    let e: number;
    if (c === DQ || c === SQ) {
      sc = c === DQ ? this.doubleQuoted(r, le) : this.singleQuoted(r, le);
      e = this.sEnd;
      let j = e;
      while (j < le && t.charCodeAt(j) === SP) j++;
      if (j === le) this.stop = STOP_EOL;
      else {
        const d = t.charCodeAt(j);
        if (d === COLON && (j + 1 === le || t.charCodeAt(j + 1) === SP)) {
          if (j !== e) throw BAIL; // `"a" : b`
          this.stop = STOP_COLON;
          this.stopPos = j;
        } else if (d === HASH && j > e) this.stop = STOP_COMMENT;
        else throw BAIL;
      }
    } else {
      this.checkPlainStart(r, le, false);
      this.scanPlainBlock(r, le);
      e = this.sEnd;
      if (this.stop === STOP_COLON && this.stopPos !== e) throw BAIL; // `a : b`
      sc = this.plain(r, e);
    }
    sc.range = [r, e, e];
    return sc;
  }

  /** Rejects what cannot start a plain scalar (indicators), or what we are not sure about. */
  private checkPlainStart(r: number, le: number, inFlow: boolean): void {
    const c = this.t.charCodeAt(r);
    switch (c) {
      case COMMA: case LBRACK: case RBRACK: case LBRACE: case RBRACE: case HASH:
      case 38: case 42: case 33: case 124: case 62: case SQ: case DQ: case 37: case 64: case 96: // & * ! | > ' " % @ `
      case 63: case COLON: case TAB: // ? :
        throw BAIL;
      case DASH: {
        // `-1`, `-x`, `--flag` are scalars; `- ` is an indicator, and `-]` one in flow context.
        const d = r + 1 < le ? this.t.charCodeAt(r + 1) : NL;
        if (d === SP || d === NL || d === TAB || (inFlow && isFlowChar(d))) throw BAIL;
        break;
      }
    }
  }

  /**
   * The lexer's plain-scalar scan (block context) limited to one line. Also hashes the content
   * (for interning, see plain()).
   */
  private scanPlainBlock(r: number, le: number): void {
    const t = this.t;
    let e = r;
    let h = 0;
    let hE = 0;
    for (let i = r; i < le; i++) {
      const c = t.charCodeAt(i);
      h = (Math.imul(h, 31) + c) | 0;
      if (c === COLON) {
        if (i + 1 === le || t.charCodeAt(i + 1) === SP) {
          this.stop = STOP_COLON;
          this.stopPos = i;
          this.sEnd = e;
          this.sHash = hE;
          return;
        }
        if (t.charCodeAt(i + 1) === TAB) throw BAIL;
        e = i + 1;
        hE = h;
      } else if (c === SP) {
        if (i + 1 < le && t.charCodeAt(i + 1) === HASH) {
          this.stop = STOP_COMMENT;
          this.stopPos = i + 1;
          this.sEnd = e;
          this.sHash = hE;
          return;
        }
      } else if (c === TAB) {
        throw BAIL;
      } else {
        e = i + 1;
        hE = h;
      }
    }
    this.stop = STOP_EOL;
    this.stopPos = le;
    this.sEnd = e;
    this.sHash = hE;
  }

  /** The lexer's plain-scalar scan in a flow collection, limited to one line; hashes like scanPlainBlock. */
  private scanPlainFlow(r: number, le: number): void {
    const t = this.t;
    let e = r;
    let h = 0;
    let hE = 0;
    for (let i = r; i < le; i++) {
      const c = t.charCodeAt(i);
      h = (Math.imul(h, 31) + c) | 0;
      if (c === COLON) {
        const d = i + 1 < le ? t.charCodeAt(i + 1) : NL;
        if (d === SP || d === NL || isFlowChar(d)) {
          this.stop = STOP_COLON;
          this.stopPos = i;
          this.sEnd = e;
          this.sHash = hE;
          return;
        }
        if (d === TAB) throw BAIL;
        e = i + 1;
        hE = h;
      } else if (c === SP) {
        if (i + 1 < le && t.charCodeAt(i + 1) === HASH) {
          this.stop = STOP_COMMENT;
          this.stopPos = i + 1;
          this.sEnd = e;
          this.sHash = hE;
          return;
        }
      } else if (isFlowChar(c)) {
        this.stop = STOP_FLOW;
        this.stopPos = i;
        this.sEnd = e;
        this.sHash = hE;
        return;
      } else if (c === TAB) {
        throw BAIL;
      } else {
        e = i + 1;
        hE = h;
      }
    }
    this.stop = STOP_EOL;
    this.stopPos = le;
    this.sEnd = e;
    this.sHash = hE;
  }

  /**
   * The plain scalar text[r, e) (hashed by the last scan) as a node. Keys and values repeat a lot
   * in large files (every trial of a run list has the same keys): a small direct-mapped cache hands
   * back the same string and resolved value, which saves allocations (and GC time) and lets V8
   * reuse the internalized property names.
   */
  private plain(r: number, e: number): Scalar {
    const len = e - r;
    let sc: Scalar;
    if (len <= 64) {
      const idx = (this.sHash ^ (this.sHash >>> 13)) & INTERN_MASK;
      const cached = this.istr[idx];
      if (cached !== undefined && cached.length === len && this.t.startsWith(cached, r)) {
        sc = new FastScalar(this.ival[idx]);
        const fmt = this.ifmt[idx];
        if (fmt !== 0) applyFormat(sc, fmt);
        sc.source = cached;
      } else {
        const src = this.t.slice(r, e);
        sc = plainScalar(src);
        sc.source = src;
        this.istr[idx] = src;
        this.ival[idx] = sc.value;
        this.ifmt[idx] = formatCode(sc);
      }
    } else {
      const src = this.t.slice(r, e);
      sc = plainScalar(src);
      sc.source = src;
    }
    sc.type = Scalar.PLAIN;
    return sc;
  }

  /** 'single quoted' on one line; sets sEnd after the closing quote. */
  private singleQuoted(r: number, le: number): Scalar {
    const t = this.t;
    let i = r + 1;
    let out = '';
    let from = i;
    for (;;) {
      const j = t.indexOf("'", i);
      if (j < 0 || j >= le) throw BAIL; // unterminated or multi-line
      if (j + 1 < le && t.charCodeAt(j + 1) === SQ) {
        out += t.slice(from, j + 1);
        i = from = j + 2;
        continue;
      }
      out += t.slice(from, j);
      this.sEnd = j + 1;
      break;
    }
    const sc = new FastScalar(out);
    sc.source = out;
    sc.type = Scalar.QUOTE_SINGLE;
    return sc;
  }

  /** "double quoted" on one line with the library's escapes; sets sEnd after the closing quote. */
  private doubleQuoted(r: number, le: number): Scalar {
    const t = this.t;
    let out = '';
    let from = r + 1;
    let i = from;
    for (;;) {
      if (i >= le) throw BAIL; // unterminated or multi-line
      const c = t.charCodeAt(i);
      if (c === DQ) break;
      if (c !== BSLASH) {
        i++;
        continue;
      }
      out += t.slice(from, i);
      if (i + 1 >= le) throw BAIL; // escaped line break
      const e = t[i + 1];
      const simple = DQ_ESCAPES[e];
      if (simple !== undefined && hasOwn.call(DQ_ESCAPES, e)) {
        out += simple;
        i += 2;
      } else {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
        if (len === 0 || i + 2 + len > le) throw BAIL;
        let code = 0;
        for (let h = i + 2; h < i + 2 + len; h++) {
          const d = t.charCodeAt(h);
          if (!isHex(d)) throw BAIL;
          code = code * 16 + (d <= 57 ? d - 48 : (d | 32) - 87);
        }
        if (code > 0x10ffff) throw BAIL;
        out += String.fromCodePoint(code);
        i += 2 + len;
      }
      from = i;
    }
    out += t.slice(from, i);
    this.sEnd = i + 1;
    const sc = new FastScalar(out);
    sc.source = out;
    sc.type = Scalar.QUOTE_DOUBLE;
    return sc;
  }

  // ---- flow collections ------------------------------------------------------------------------

  /** A flow collection as a block value: it and an optional comment must end the line. */
  private flowValue(r: number, le: number, next: number): YAMLMap | YAMLSeq {
    const t = this.t;
    const node = this.flow(r, le, this.depth);
    const e = this.fEnd;
    let j = e;
    while (j < le && t.charCodeAt(j) === SP) j++;
    if (j < le && !(t.charCodeAt(j) === HASH && j > e)) throw BAIL;
    node.range = [r, e, next];
    return node;
  }

  /** [ … ] or { … } at r, on one line. Sets fEnd (after the closing bracket) and vjs. */
  private flow(r: number, le: number, depth: number): YAMLMap | YAMLSeq {
    if (depth >= MAX_DEPTH) throw BAIL;
    const t = this.t;
    const isMap = t.charCodeAt(r) === LBRACE;
    const close = isMap ? RBRACE : RBRACK;
    let i = r + 1;
    while (i < le && t.charCodeAt(i) === SP) i++;
    let node: YAMLMap | YAMLSeq;
    let js: Record<string, unknown> | unknown[];
    if (isMap) {
      const map = new FastMap(this.schema);
      const obj: Record<string, unknown> = {};
      node = map;
      js = obj;
      if (i < le && t.charCodeAt(i) === RBRACE) {
        this.fEnd = i + 1;
      } else {
        for (;;) {
          if (i >= le) throw BAIL;
          // key
          const kc = t.charCodeAt(i);
          let key: Scalar;
          const quoted = kc === DQ || kc === SQ;
          if (quoted) {
            key = kc === DQ ? this.doubleQuoted(i, le) : this.singleQuoted(i, le);
          } else {
            this.checkPlainStart(i, le, true);
            this.scanPlainFlow(i, le);
            if (this.stop !== STOP_COLON) throw BAIL; // `{ a }`, `{ a, b: c }`, …
            key = this.plain(i, this.sEnd);
          }
          const ke = this.sEnd;
          key.range = [i, ke, ke];
          let j = ke;
          while (j < le && t.charCodeAt(j) === SP) j++;
          if (j >= le || t.charCodeAt(j) !== COLON) throw BAIL;
          if (!quoted) {
            // A plain key's `:` is an indicator only before a space or flow indicator; we also
            // require a value, so only a space or an opening bracket.
            const d = j + 1 < le ? t.charCodeAt(j + 1) : NL;
            if (d !== SP && d !== LBRACK && d !== LBRACE) throw BAIL;
          }
          if (j - i > MAX_KEY_LENGTH) throw BAIL;
          const ks = keyString(key.value);
          if (hasOwn.call(obj, ks) || ks === '<<') throw BAIL;
          // value
          let v = j + 1;
          while (v < le && t.charCodeAt(v) === SP) v++;
          if (v >= le) throw BAIL;
          const vc = t.charCodeAt(v);
          if (vc === COMMA || vc === RBRACE || vc === RBRACK) throw BAIL; // empty value
          const value = this.flowItem(v, le, depth);
          const ve = this.sEnd;
          let w = ve;
          while (w < le && t.charCodeAt(w) === SP) w++;
          value.range![2] = w;
          map.items.push(new FastPair(key, value));
          setProp(obj, ks, this.vjs);
          if (w >= le) throw BAIL;
          const d = t.charCodeAt(w);
          if (d === COMMA) {
            i = w + 1;
            while (i < le && t.charCodeAt(i) === SP) i++;
            if (i < le && t.charCodeAt(i) === close) {
              this.fEnd = i + 1;
              break;
            }
          } else if (d === close) {
            this.fEnd = w + 1;
            break;
          } else throw BAIL;
        }
      }
    } else {
      const seq = new FastSeq(this.schema);
      const arr: unknown[] = [];
      node = seq;
      js = arr;
      if (i < le && t.charCodeAt(i) === RBRACK) {
        this.fEnd = i + 1;
      } else {
        for (;;) {
          if (i >= le) throw BAIL;
          const c = t.charCodeAt(i);
          if (c === COMMA || c === RBRACE || c === RBRACK) throw BAIL;
          const item = this.flowItem(i, le, depth);
          let w = this.sEnd;
          while (w < le && t.charCodeAt(w) === SP) w++;
          item.range![2] = w;
          seq.items.push(item);
          arr.push(this.vjs);
          if (w >= le) throw BAIL;
          const d = t.charCodeAt(w);
          if (d === COMMA) {
            i = w + 1;
            while (i < le && t.charCodeAt(i) === SP) i++;
            if (i < le && t.charCodeAt(i) === close) {
              this.fEnd = i + 1;
              break;
            }
          } else if (d === close) {
            this.fEnd = w + 1;
            break;
          } else throw BAIL; // `:` (implicit pair), `#`, another scalar, …
        }
      }
    }
    node.flow = true;
    this.vjs = js;
    return node;
  }

  /** An item (or map value) in a flow collection. Sets sEnd (end of content) and vjs. */
  private flowItem(i: number, le: number, depth: number): Node {
    const t = this.t;
    const c = t.charCodeAt(i);
    let node: Node;
    if (c === LBRACK || c === LBRACE) {
      node = this.flow(i, le, depth + 1);
      this.sEnd = this.fEnd;
      node.range = [i, this.fEnd, this.fEnd];
      return node; // vjs set by flow()
    }
    let sc: Scalar;
    if (c === DQ) sc = this.doubleQuoted(i, le);
    else if (c === SQ) sc = this.singleQuoted(i, le);
    else {
      this.checkPlainStart(i, le, true);
      this.scanPlainFlow(i, le);
      if (this.stop === STOP_EOL || this.stop === STOP_COMMENT) throw BAIL; // continues on the next line
      sc = this.plain(i, this.sEnd);
    }
    const e = this.sEnd;
    sc.range = [i, e, e];
    this.vjs = sc.value;
    return sc;
  }
}

/**
 * Parses `text` if it is entirely within the supported subset; fills `lines` like the library's
 * lexer does. Returns undefined (and leaves `lines` in an unspecified state) otherwise.
 */
export function fastParse(text: string, lines: LineCounter): FastResult | undefined {
  if (!SUPPORTED) return undefined;
  try {
    return new FastParser(text, lines).parse();
  } catch {
    return undefined;
  }
}
