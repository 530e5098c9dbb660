// Two small chart.js plugins, registered in the webview and in headless export alike (register.ts):
// error bars drawn from a dataset field, and a painted background (chart.js leaves it transparent,
// and an exported PNG would then show on whatever background its viewer picks).

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
