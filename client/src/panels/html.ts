// The panels' HTML: one script and one stylesheet from the extension's dist/webviews, under a strict
// CSP — nothing remote, no eval, no inline script or style; the script runs by its nonce, new on
// every load. Pure (no vscode), for tests.
import { randomBytes } from 'node:crypto';
import type { PanelKind } from '../../../webviews/src/contract';

export interface HtmlParts {
  kind: PanelKind;
  title: string;
  /** webview.cspSource: where the webview may load local resources from. */
  cspSource: string;
  /** webview.asWebviewUri of dist/webviews/<kind>.js and panels.css. */
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function csp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** Text for an element or a double-quoted attribute. */
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelHtml(p: HtmlParts): string {
  const a = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(csp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(p.styleUri)}">
<title>${a(p.title)}</title>
</head>
<body data-kind="${a(p.kind)}">
<main id="app"><p class="placeholder">Loading…</p></main>
<script nonce="${a(p.nonce)}" src="${a(p.scriptUri)}"></script>
</body>
</html>
`;
}
