// Headless export (Node only): a chart.js config onto an @napi-rs/canvas (Skia) canvas, encoded as
// PNG or SVG. chart.js picks its BasicPlatform when there is no DOM, which draws synchronously into
// whatever 2D context the canvas gives it.

import * as path from 'node:path';
import { createCanvas, GlobalFonts, SvgExportFlag } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type ChartType, type DefaultDataPoint } from 'chart.js';
import { registerChartComponents } from './register';

export interface RenderOptions {
  /** CSS pixels; a PNG is width×scale by height×scale device pixels. */
  width: number;
  height: number;
  /** Device pixel ratio of a PNG (2 for crisp slides); ignored for SVG. */
  scale?: number;
  format?: 'png' | 'svg';
}

export const FALLBACK_FONT = 'DejaVu Sans';

/**
 * DejaVu from the npm package `dejavu-fonts-ttf`, so exports look the same on a machine with no
 * fonts installed (a fresh container) as on a desktop.
 */
function ensureFonts(): void {
  if (GlobalFonts.has(FALLBACK_FONT)) return;
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  for (const f of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSansMono.ttf']) GlobalFonts.registerFromPath(path.join(dir, f));
}

/**
 * The first family of a CSS font-family list that is installed, else DejaVu Sans. Generic names
 * (`sans-serif`, `system-ui`) are skipped: what they map to differs between hosts, and exports
 * should not.
 */
export function resolveFontFamily(family: string): string {
  ensureFonts();
  for (const part of family.split(',')) {
    const name = part.trim().replace(/^(['"])(.*)\1$/, '$2');
    if (name && GlobalFonts.has(name)) return name;
  }
  return FALLBACK_FONT;
}

/** A copy of the options with every font's family list resolved to one installed family. */
function resolveFonts<T>(options: T, cache = new Map<string, string>()): T {
  if (!isPlainObject(options)) return options;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'family' && typeof value === 'string') {
      if (!cache.has(value)) cache.set(value, resolveFontFamily(value));
      out[key] = cache.get(value);
    } else {
      out[key] = resolveFonts(value, cache);
    }
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Renders one chart and returns the encoded image. Animation, responsiveness and events are off
 * (nothing to animate into, no container to follow, no pointer); the config's own background
 * plugin option paints the theme background. The config's datasets are used as they are (the
 * decimation plugin replaces their `data` with a getter), so build a fresh config per render.
 */
export function renderChart<TType extends ChartType, TData = DefaultDataPoint<TType>, TLabel = unknown>(
  config: ChartConfiguration<TType, TData, TLabel>,
  opts: RenderOptions,
): Buffer {
  registerChartComponents();
  const width = Math.round(opts.width);
  const height = Math.round(opts.height);
  if (!(width > 0 && height > 0)) throw new RangeError(`chart size must be positive, got ${opts.width}×${opts.height}`);
  const svg = opts.format === 'svg';
  const scale = svg ? 1 : opts.scale ?? 1;
  // chart.js sizes the chart from the canvas, then multiplies the backing store by devicePixelRatio
  const canvas = svg ? createCanvas(width, height, SvgExportFlag.ConvertTextToPaths) : createCanvas(width, height);
  // font shaping follows the host language unless pinned; exports should not
  canvas.getContext('2d').lang = 'en';
  const options = {
    ...resolveFonts(config.options ?? {}),
    animation: false as const,
    responsive: false,
    maintainAspectRatio: false,
    devicePixelRatio: scale,
    events: [],
  };
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, { ...config, options } as ChartConfiguration<TType, TData, TLabel>);
  try {
    return 'getContent' in canvas ? canvas.getContent() : canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}
