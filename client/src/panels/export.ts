// Exports from a panel: what to write for an `export` message. Pure (no vscode), for tests.
import type { ExportFormat, FromWebview } from '../../../webviews/src/contract';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const EXPORT_FILTERS: Readonly<Record<ExportFormat, Record<string, string[]>>> = {
  png: { 'PNG image': ['png'] },
  csv: { 'CSV table': ['csv'] },
  json: { JSON: ['json'] },
};

/** A file name from a panel's suggestion: letters, digits, `.`, `_`, `-`. */
export function exportFileName(name: string, format: ExportFormat): string {
  const base = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 120) || 'export';
  return `${base}.${format}`;
}

/** The bytes or text to write; throws with a message for the user when the webview sent something unusable. */
export function exportContent(m: Extract<FromWebview, { type: 'export' }>): Uint8Array | string {
  if (typeof m.data !== 'string') throw new Error('nothing to export');
  if (m.format !== 'png') return m.data;
  const bytes = Buffer.from(m.data, 'base64');
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('the chart image is not a PNG');
  return bytes;
}
