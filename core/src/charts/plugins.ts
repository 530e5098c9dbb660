// Small chart.js plugins, registered in the webview and in headless export alike (register.ts):
// error bars drawn from a dataset field, heatmap cells (chart.js has no matrix chart), and a painted
// background (chart.js leaves it transparent, and an exported PNG would then show on whatever
// background its viewer picks).

import type { ChartType, Plugin } from 'chart.js';

/** Absolute bounds of one bar's error bar, e.g. a confidence interval around a mean. */
export interface ErrorBar { lower: number; upper: number }

export interface ErrorBarsOptions {
  color?: string;
  lineWidth?: number;
  /** Width of the caps in px; never wider than half the bar. */
  capWidth?: number;
}

export interface BackgroundOptions { color?: string }

/** One heatmap cell at column x, row y (category indices), filled with `color`, labelled `text`. */
export interface HeatCell { x: number; y: number; color: string; text: string; textColor: string }

export interface HeatmapOptions {
  /** Draw the first dataset's data (HeatCell items) as cells. */
  enabled?: boolean;
  /** The colour bar right of the plot: its colour stops (low → high) and labelled ends. */
  scale?: { stops: string[]; min: string; max: string; title: string; color: string; font: { family?: string; size?: number } };
}

declare module 'chart.js' {
  interface BarControllerDatasetOptions {
    /** One error bar per data point (null: none), in data order. */
    errorBars?: Array<ErrorBar | null>;
  }
  // merged declarations must repeat chart.js's type parameter, used or not
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    errorBars: ErrorBarsOptions;
    background: BackgroundOptions;
    heatmap: HeatmapOptions;
  }
}

export const errorBarsPlugin: Plugin<ChartType, ErrorBarsOptions> = {
  id: 'errorBars',
  defaults: { color: '#000000', lineWidth: 1.5, capWidth: 10 },
  afterDatasetsDraw(chart, _args, options) {
    const { ctx, chartArea } = chart;
    ctx.save();
    // clip to the plot area plus room for a cap's stroke, so that an interval beyond a fixed axis
    // limit is cut like the bars are instead of running over the tick labels
    ctx.beginPath();
    ctx.rect(chartArea.left - 2, chartArea.top - 2, chartArea.right - chartArea.left + 4, chartArea.bottom - chartArea.top + 4);
    ctx.clip();
    ctx.strokeStyle = options.color ?? '#000000';
    ctx.lineWidth = options.lineWidth ?? 1.5;
    ctx.lineCap = 'butt';
    chart.data.datasets.forEach((dataset, di) => {
      const bars = (dataset as { errorBars?: Array<Partial<ErrorBar> | null> }).errorBars;
      if (!Array.isArray(bars) || !chart.isDatasetVisible(di)) return;
      const meta = chart.getDatasetMeta(di);
      const vScale = meta.vScale;
      if (!vScale) return;
      const horizontal = vScale.axis === 'x';
      meta.data.forEach((element, i) => {
        const bar = bars[i];
        if (!bar || !Number.isFinite(bar.lower) || !Number.isFinite(bar.upper)) return;
        const { x, y, width, height } = element.getProps(['x', 'y', 'width', 'height'], true) as { x: number; y: number; width?: number; height?: number };
        const thickness = (horizontal ? height : width) ?? 0;
        const half = Math.min(options.capWidth ?? 10, thickness > 0 ? thickness / 2 : Infinity) / 2;
        const lo = vScale.getPixelForValue(bar.lower as number);
        const hi = vScale.getPixelForValue(bar.upper as number);
        const at = horizontal ? y : x;
        ctx.beginPath();
        if (horizontal) {
          ctx.moveTo(lo, at); ctx.lineTo(hi, at);
          ctx.moveTo(lo, at - half); ctx.lineTo(lo, at + half);
          ctx.moveTo(hi, at - half); ctx.lineTo(hi, at + half);
        } else {
          ctx.moveTo(at, lo); ctx.lineTo(at, hi);
          ctx.moveTo(at - half, lo); ctx.lineTo(at + half, lo);
          ctx.moveTo(at - half, hi); ctx.lineTo(at + half, hi);
        }
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};

export const backgroundPlugin: Plugin<ChartType, BackgroundOptions> = {
  id: 'background',
  beforeDraw(chart, _args, options) {
    if (!options.color) return;
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** Width of the colour bar and the room right of the plot it takes with its labels (px). */
export const HEAT_BAR = { width: 14, gap: 16, room: 96 };

export const heatmapPlugin: Plugin<ChartType, HeatmapOptions> = {
  id: 'heatmap',
  beforeDatasetsDraw(chart, _args, options) {
    if (!options.enabled) return;
    const cells = chart.data.datasets[0]?.data as unknown as HeatCell[] | undefined;
    const { x: xs, y: ys } = chart.scales;
    if (!cells || !xs || !ys) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const font = options.scale?.font;
    for (const c of cells) {
      const x0 = xs.getPixelForValue(c.x - 0.5), x1 = xs.getPixelForValue(c.x + 0.5);
      const y0 = ys.getPixelForValue(c.y - 0.5), y1 = ys.getPixelForValue(c.y + 0.5);
      const left = Math.min(x0, x1), top = Math.min(y0, y1), w = Math.abs(x1 - x0), h = Math.abs(y1 - y0);
      ctx.fillStyle = c.color;
      // a 1 px gap between cells keeps neighbours of one colour apart
      ctx.fillRect(left + 0.5, top + 0.5, w - 1, h - 1);
      // the value in the cell when it fits: a PNG cannot be hovered
      const size = Math.round(Math.min(font?.size ?? 12, h / 2.2));
      if (size < 7) continue;
      ctx.font = `${size}px ${font?.family ?? 'sans-serif'}`;
      if (ctx.measureText(c.text).width < w - 4) {
        ctx.fillStyle = c.textColor;
        ctx.fillText(c.text, left + w / 2, top + h / 2);
      }
    }
    const bar = options.scale;
    if (bar && bar.stops.length) {
      const left = chartArea.right + HEAT_BAR.gap;
      const grad = ctx.createLinearGradient(0, chartArea.bottom, 0, chartArea.top);
      bar.stops.forEach((color, i) => grad.addColorStop(i / Math.max(1, bar.stops.length - 1), color));
      ctx.fillStyle = grad;
      ctx.fillRect(left, chartArea.top, HEAT_BAR.width, chartArea.bottom - chartArea.top);
      ctx.fillStyle = bar.color;
      ctx.font = `${bar.font.size ?? 12}px ${bar.font.family ?? 'sans-serif'}`;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(bar.max, left + HEAT_BAR.width + 4, chartArea.top);
      ctx.textBaseline = 'bottom';
      ctx.fillText(bar.min, left + HEAT_BAR.width + 4, chartArea.bottom);
      ctx.textBaseline = 'middle';
      ctx.translate(left + HEAT_BAR.width + 10 + (bar.font.size ?? 12), (chartArea.top + chartArea.bottom) / 2);
      ctx.rotate(Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.fillText(bar.title, 0, 0);
    }
    ctx.restore();
  },
};
