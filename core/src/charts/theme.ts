// The one chart theme, shared by webview panels and headless export. Webviews pass the computed
// `--vscode-*` colours and font as overrides; headless export uses the defaults.

import type { RunStatus } from '../store/store';

export type ThemeMode = 'light' | 'dark';

/** Run statuses plus the failure kinds that job tables (HPC, Kubernetes) report on their own. */
export type StatusKey = RunStatus | 'timeout' | 'oom';

export interface ChartFontTheme {
  /** A CSS font-family list. */
  family: string;
  /** Tick labels, legend, tooltip body (px). */
  size: number;
  /** Axis titles and subtitle (px). */
  labelSize: number;
  /** Chart title (px). */
  titleSize: number;
}

export interface ChartTheme {
  mode: ThemeMode;
  background: string;
  foreground: string;
  /** Tick labels and secondary text: foreground toned toward the background. */
  muted: string;
  grid: string;
  /** Axis lines. */
  axis: string;
  font: ChartFontTheme;
  /** Categorical colours, in order; series i takes palette[i % length]. */
  palette: readonly string[];
  status: Readonly<Record<StatusKey, string>>;
}

export interface ThemeOverrides {
  /** Derived from the background's luminance when the background is given and the mode is not. */
  mode?: ThemeMode;
  background?: string;
  foreground?: string;
  grid?: string;
  fontFamily?: string;
  /** Base font size in px (e.g. `--vscode-font-size`); label and title sizes scale with it. */
  fontSize?: number;
}

/**
 * DejaVu Sans first: headless export must not depend on which system fonts a host happens to have,
 * and Debian-based images ship it. Webviews replace the whole list with `--vscode-font-family`.
 */
export const DEFAULT_FONT_FAMILY = "'DejaVu Sans', 'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif";

// Okabe–Ito (Color Universal Design): distinguishable under the common colour-vision deficiencies.
// Ordered by contrast with the background: yellow is faint on white and black invisible on dark, and
// the deep blue is dim on dark, so there the sky blue leads the blues.
const PALETTE: Record<ThemeMode, readonly string[]> = {
  light: ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'],
  dark: ['#56B4E9', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#F0E442', '#E0E0E0', '#0072B2'],
};

// Statuses reuse palette hues so a status chart and a series chart never disagree about what green means.
const STATUS: Record<ThemeMode, Record<StatusKey, string>> = {
  light: {
    succeeded: '#009E73', failed: '#D55E00', timeout: '#E69F00', oom: '#CC79A7',
    cancelled: '#8C8C8C', interrupted: '#F0E442', running: '#0072B2', queued: '#56B4E9',
  },
  dark: {
    succeeded: '#009E73', failed: '#D55E00', timeout: '#E69F00', oom: '#CC79A7',
    cancelled: '#9E9E9E', interrupted: '#F0E442', running: '#3A9AD9', queued: '#56B4E9',
  },
};

// VS Code's default editor colours, so an exported chart looks like the panel in a default theme.
const BASE: Record<ThemeMode, { background: string; foreground: string }> = {
  light: { background: '#FFFFFF', foreground: '#1F1F1F' },
  dark: { background: '#1E1E1E', foreground: '#CCCCCC' },
};

export function createTheme(overrides: ThemeOverrides = {}): ChartTheme {
  const bgRgba = overrides.background === undefined ? undefined : parseColor(overrides.background);
  const mode = overrides.mode ?? (bgRgba && relativeLuminance(bgRgba) < 0.4 ? 'dark' : 'light');
  const background = overrides.background ?? BASE[mode].background;
  const foreground = overrides.foreground ?? BASE[mode].foreground;
  const size = overrides.fontSize && overrides.fontSize > 0 ? overrides.fontSize : 12;
  return {
    mode,
    background,
    foreground,
    muted: mix(foreground, background, 0.2),
    grid: overrides.grid ?? mix(foreground, background, 0.85),
    axis: mix(foreground, background, 0.6),
    font: {
      family: overrides.fontFamily?.trim() || DEFAULT_FONT_FAMILY,
      size,
      labelSize: Math.round(size * 1.1),
      titleSize: Math.round(size * 1.3),
    },
    palette: PALETTE[mode],
    status: STATUS[mode],
  };
}

export function seriesColor(theme: ChartTheme, index: number): string {
  return theme.palette[((index % theme.palette.length) + theme.palette.length) % theme.palette.length];
}

const STATUS_ALIASES: Record<string, StatusKey> = {
  succeeded: 'succeeded', success: 'succeeded', successful: 'succeeded', completed: 'succeeded', complete: 'succeeded', done: 'succeeded', ok: 'succeeded', passed: 'succeeded',
  failed: 'failed', failure: 'failed', error: 'failed', errored: 'failed', node_fail: 'failed', boot_fail: 'failed',
  timeout: 'timeout', timed_out: 'timeout', deadline: 'timeout', deadline_exceeded: 'timeout',
  oom: 'oom', out_of_memory: 'oom', oomkilled: 'oom',
  cancelled: 'cancelled', canceled: 'cancelled', killed: 'cancelled', revoked: 'cancelled',
  interrupted: 'interrupted', preempted: 'interrupted', suspended: 'interrupted', requeued: 'interrupted',
  running: 'running', started: 'running', completing: 'running',
  queued: 'queued', pending: 'queued', waiting: 'queued', submitted: 'queued',
  // HTCondor's final statuses (post_experiment_csv.py): checkpointed = progress saved, job goes on
  checkpointed: 'succeeded', evicted: 'interrupted', aborted: 'cancelled', held: 'queued', released: 'running', rescued: 'interrupted',
  // Kubernetes: expctl's classes for pods that never ran, the pod reasons behind them as kubectl shows
  // them, and a Job's DeadlineExceeded (an evicted pod is retried: interrupted, as above)
  unschedulable: 'failed', image_error: 'failed', config_error: 'failed', errimagepull: 'failed', imagepullbackoff: 'failed', createcontainerconfigerror: 'failed',
  deadlineexceeded: 'timeout',
};

/** Our statuses and the usual spellings from Slurm/Kubernetes/HTCondor job tables (`COMPLETED`, `OUT_OF_MEMORY`, `evicted`). */
export function statusKey(name: string): StatusKey | undefined {
  return STATUS_ALIASES[name.trim().toLowerCase().replace(/[\s-]+/g, '_')];
}

/** The status colour for a known status name, else undefined (callers pick a palette colour). */
export function statusColor(theme: ChartTheme, name: string): string | undefined {
  const key = statusKey(name);
  return key && theme.status[key];
}

// --- colours -------------------------------------------------------------------------------------

export interface Rgba { r: number; g: number; b: number; a: number }

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb()` and `rgba()`, the forms `getComputedStyle` and VS Code themes produce. */
export function parseColor(color: string): Rgba | undefined {
  const s = color.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(s);
  if (m) {
    let hex = m[1];
    if (hex.length <= 4) hex = [...hex].map((c) => c + c).join('');
    const n = (i: number) => parseInt(hex.slice(i, i + 2), 16);
    return { r: n(0), g: n(2), b: n(4), a: hex.length === 8 ? n(6) / 255 : 1 };
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+)(%?))?\s*\)$/.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : Number(m[4]) / (m[5] ? 100 : 1);
    return { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]), a };
  }
  return undefined;
}

function rgbaString({ r, g, b, a }: Rgba): string {
  const c = (v: number) => Math.round(Math.min(255, Math.max(0, v)));
  return a >= 1 ? `rgb(${c(r)}, ${c(g)}, ${c(b)})` : `rgba(${c(r)}, ${c(g)}, ${c(b)}, ${Math.round(a * 1000) / 1000})`;
}

/** `color` with opacity `alpha` (multiplied with its own); colours we cannot parse are returned as they are. */
export function withAlpha(color: string, alpha: number): string {
  const c = parseColor(color);
  return c ? rgbaString({ ...c, a: c.a * alpha }) : color;
}

/** `t` of the way from `from` to `to` (0 = from); `from` when either cannot be parsed. */
export function mix(from: string, to: string, t: number): string {
  const a = parseColor(from);
  const b = parseColor(to);
  if (!a || !b) return from;
  const lerp = (x: number, y: number) => x + (y - x) * t;
  return rgbaString({ r: lerp(a.r, b.r), g: lerp(a.g, b.g), b: lerp(a.b, b.b), a: lerp(a.a, b.a) });
}

/** WCAG relative luminance, 0 (black) to 1 (white). */
export function relativeLuminance({ r, g, b }: Rgba): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
