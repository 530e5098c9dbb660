// The chart theme from VS Code's colours: the webview gets them as `--vscode-*` CSS variables and
// the theme kind as a body class (vscode-light, vscode-dark, vscode-high-contrast,
// vscode-high-contrast-light). Pure: the reader of variables is passed in.
import { createTheme, mix, type ChartTheme, type ThemeMode } from '../../../core/src/charts';

/** A CSS custom property's value, '' when unset. */
export type CssVar = (name: string) => string;

export function modeOf(bodyClasses: readonly string[]): ThemeMode | undefined {
  if (bodyClasses.includes('vscode-high-contrast-light') || bodyClasses.includes('vscode-light')) return 'light';
  if (bodyClasses.includes('vscode-high-contrast') || bodyClasses.includes('vscode-dark')) return 'dark';
  return undefined;
}

export function panelTheme(css: CssVar, bodyClasses: readonly string[]): ChartTheme {
  const v = (name: string) => css(name).trim() || undefined;
  const background = v('--vscode-editor-background');
  const foreground = v('--vscode-editor-foreground') ?? v('--vscode-foreground');
  const size = parseFloat(css('--vscode-font-size'));
  const highContrast = bodyClasses.some((c) => c.startsWith('vscode-high-contrast'));
  return createTheme({
    mode: modeOf(bodyClasses),
    background,
    foreground,
    // High contrast: grid lines that stay visible, not the faint default.
    grid: highContrast && background && foreground ? mix(foreground, background, 0.5) : undefined,
    fontFamily: v('--vscode-font-family'),
    fontSize: Number.isFinite(size) && size > 0 ? size : undefined,
  });
}
