// CSV as spreadsheets and pandas read it (RFC 4180): quote cells holding , " or newlines.

export function csvCell(x: unknown): string {
  const s = x === undefined || x === null ? '' : typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvTable(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export interface CsvRow {
  /** 1-based line on which the record starts (a quoted field may carry it over several lines). */
  line: number;
  cells: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
  /** For a wrong column count: the header's count and the record's. */
  expected?: number;
  found?: number;
}

export interface CsvParsed {
  header: string[];
  /** 0 when the text holds no record at all. */
  headerLine: number;
  rows: CsvRow[];
  /** Records left out of `rows`, in file order. */
  problems: CsvProblem[];
}

export interface CsvVisitor {
  /** The first record. May throw to stop reading (e.g. a required column is missing). */
  header?(cells: string[], line: number): void;
  /** Every later record with as many cells as the header. */
  row(cells: string[], line: number): void;
}

export interface CsvScan {
  header: string[];
  headerLine: number;
  /** Records passed to `row`. */
  rows: number;
  problems: CsvProblem[];
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Reads CSV into memory: header, rows with their line numbers, and the records left out. See visitCsv. */
export function parseCsv(text: string, options: { delimiter?: string } = {}): CsvParsed {
  const rows: CsvRow[] = [];
  const scan = visitCsv(text, { row: (cells, line) => { rows.push({ line, cells }); } }, options);
  return { header: scan.header, headerLine: scan.headerLine, rows, problems: scan.problems };
}

/**
 * Reads CSV as RFC 4180 writes it, and as leniently as Python's csv module reads it: quoted fields
 * may hold the delimiter, `""` and newlines; records end with CRLF, LF or CR; a UTF-8 BOM is
 * dropped; blank lines are skipped (as pandas does); text after a closing quote is kept. The first
 * record is the header. A record whose cell count differs from the header's, or that ends inside
 * an open quote, is reported in `problems` and not visited.
 *
 * Rows are handed over one at a time so that a caller converting them keeps no more than one
 * alive: on a 100,000-row file that is most of the garbage collector's work saved.
 */
export function visitCsv(text: string, visitor: CsvVisitor, options: { delimiter?: string } = {}): CsvScan {
  const delim = (options.delimiter ?? ',').charCodeAt(0);
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let header: string[] | undefined;
  let headerLine = 0;
  let rows = 0;
  const problems: CsvProblem[] = [];

  while (i < n) {
    const start = line;
    const cells: string[] = [];
    let quotedAny = false;
    let open = false;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        quotedAny = true;
        i++;
        value = '';
        let seg = i;
        open = true;
        // Scan to the closing quote, counting newlines so later line numbers stay right.
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              value += text.slice(seg, i + 1);
              i += 2;
              seg = i;
              continue;
            }
            value += text.slice(seg, i);
            i++;
            open = false;
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
          i++;
        }
        if (open) break;
        // Lenient like Python's csv: `"ab"c` reads as `abc`.
        const tail = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          i++;
        }
        if (i > tail) value += text.slice(tail, i);
      } else {
        const from = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          i++;
        }
        value = text.slice(from, i);
      }
      cells.push(value);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      i++;
      if (c === delim) continue;
      if (c === CR && text.charCodeAt(i) === LF) i++;
      line++;
      break;
    }

    if (open) {
      problems.push({ line: start, message: 'quoted field not closed before the end of the file' });
      break;
    }
    if (cells.length === 1 && cells[0] === '' && !quotedAny) continue; // blank line
    if (!header) {
      header = cells;
      headerLine = start;
      visitor.header?.(cells, start);
    } else if (cells.length !== header.length) {
      problems.push({ line: start, message: `expected ${header.length} columns, found ${cells.length}`, expected: header.length, found: cells.length });
    } else {
      rows++;
      visitor.row(cells, start);
    }
  }
  return { header: header ?? [], headerLine, rows, problems };
}
