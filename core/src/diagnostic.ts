// Editor-agnostic diagnostics. Positions are 0-based like LSP; the CLI prints them 1-based.

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** A path into a config object: keys and array indices. Sweep parameter keys stay whole ("params.lr"). */
export type Path = ReadonlyArray<string | number>;

/** A text replacement that a code action applies; the pipeline turns `path` into a range. */
export interface FixEdit {
  path: Path;
  /** Replace the key, the value, or insert `newText` as new entries at the end of the mapping at `path`. */
  target: 'key' | 'value' | 'insert';
  newText: string;
}

export interface Fix { title: string; edits: FixEdit[]; preferred?: boolean }

export interface Diagnostic {
  range: Range;
  severity: Severity;
  message: string;
  /** Stable rule id (`schema`, `yaml-syntax`, `kafka-split-sum`, …): users filter and search by it. */
  rule: string;
  fixes?: Array<{ title: string; edits: Array<{ range: Range; newText: string }>; preferred?: boolean }>;
}

export const severityRank: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

/** `file:line:col: severity: message [rule]`, 1-based, as compilers print (editors and CI parse it). */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message} [${d.rule}]`;
}
