// Everything our configs use, registered once per chart.js instance: the webview calls this before
// its first chart, headless export before rendering.

import { Chart, registerables } from 'chart.js';
import { BoxAndWiskers, BoxPlotController } from '@sgratzl/chartjs-chart-boxplot';
import { backgroundPlugin, errorBarsPlugin, heatmapPlugin } from './plugins';

let registered = false;

export function registerChartComponents(): void {
  if (registered) return;
  Chart.register(...registerables, BoxPlotController, BoxAndWiskers, errorBarsPlugin, heatmapPlugin, backgroundPlugin);
  registered = true;
}
