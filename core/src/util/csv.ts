// CSV as spreadsheets and pandas read it (RFC 4180): quote cells holding , " or newlines.

export function csvCell(x: unknown): string {
  const s = x === undefined || x === null ? '' : typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvTable(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
