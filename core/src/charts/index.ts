// Chart configurations as pure functions of plain data and a theme, for webview panels and headless
// export alike. Rendering to PNG/SVG (Node only) lives in ./png.

export * from './theme';
export * from './format';
export * from './plugins';
export * from './register';
export * from './boxplot';
export * from './bars';
export * from './lines';
export * from './scatter';
export * from './doughnut';
export * from './timeseries';
export * from './heatmap';
export * from './group';
