// One chart in a panel: a canvas that follows its box's size, and a PNG button (the canvas as a
// data URL, posted to the extension, which saves it).
import { Chart, type ChartConfiguration } from 'chart.js';
import { registerChartComponents } from '../../../core/src/charts';
import { h } from './dom';

export class ChartView {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private chart?: Chart;

  constructor(parent: HTMLElement, readonly name: string, onPng: (name: string, base64: string) => void, o: { wide?: boolean; tall?: boolean } = {}) {
    registerChartComponents();
    this.canvas = h('canvas', { attrs: { role: 'img' } });
    const png = h('button', { class: 'icon', text: 'PNG', title: `Save ${name}.png`, attrs: { type: 'button' }, onClick: () => { const p = this.png(); if (p) onPng(name, p); } });
    this.el = h('figure', { class: `chart${o.wide ? ' wide' : ''}${o.tall ? ' tall' : ''}` }, h('div', { class: 'chart-canvas' }, this.canvas), png);
    parent.append(this.el);
  }

  /**
   * Shows a config. Data changes (live updates) update the chart in place; `rebuild` (a new theme)
   * makes a new one so that every cached option is resolved again.
   */
  draw(config: ChartConfiguration, rebuild = false): void {
    // Live panels redraw often: animating each change would keep them busy and blur exports.
    const options = { ...config.options, animation: false as const };
    this.canvas.setAttribute('aria-label', chartTitle(config) ?? this.name);
    if (this.chart && !rebuild && (this.chart.config as { type?: string }).type === config.type) {
      this.chart.data = config.data;
      this.chart.options = options;
      this.chart.update('none');
      return;
    }
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, { ...config, options });
  }

  /** The chart as PNG, base64 without the data: prefix. */
  png(): string | undefined {
    return this.chart?.toBase64Image('image/png', 1).replace(/^data:image\/png;base64,/, '');
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.el.remove();
  }
}

function chartTitle(config: ChartConfiguration): string | undefined {
  const t = config.options?.plugins?.title?.text;
  return typeof t === 'string' && t ? t : undefined;
}

/** Charts by name in a container: kept when still wanted, removed when not, in the given order. */
export class ChartGrid {
  private readonly views = new Map<string, ChartView>();

  constructor(readonly el: HTMLElement, private readonly onPng: (name: string, base64: string) => void) {}

  /** Shows exactly these charts, in this order. */
  draw(charts: ReadonlyArray<{ name: string; config: ChartConfiguration; wide?: boolean; tall?: boolean }>, rebuild = false): void {
    const want = new Set(charts.map((c) => c.name));
    for (const [name, v] of this.views) if (!want.has(name)) { v.destroy(); this.views.delete(name); }
    charts.forEach((c, i) => {
      let v = this.views.get(c.name);
      if (!v) this.views.set(c.name, (v = new ChartView(this.el, c.name, this.onPng, { wide: c.wide, tall: c.tall })));
      // Move only when out of place: a moved canvas makes chart.js detach and attach again.
      const at = this.el.children[i];
      if (at !== v.el) this.el.insertBefore(v.el, at ?? null);
      v.draw(c.config, rebuild);
    });
  }

  has(name: string): boolean { return this.views.has(name); }

  /** Updates charts already shown (a live update to some of them). */
  redraw(charts: ReadonlyArray<{ name: string; config: ChartConfiguration }>): void {
    for (const c of charts) this.views.get(c.name)?.draw(c.config);
  }
}
