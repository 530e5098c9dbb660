// The one build: every bundle that ships (client, server, cli) and, later, the webviews.
// Flags: --production (minify, no source maps), --watch (rebuild on change).
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  outdir: 'dist',
  // vscode is provided by the editor at run time.
  // Native (.node) and data (font files) packages load from node_modules at run time.
  external: ['vscode', '@napi-rs/canvas', 'dejavu-fonts-ttf'],
};

const builds = [
  {
    ...node,
    entryPoints: {
      client: 'client/src/extension.ts',
      server: 'server/src/main.ts',
      cli: 'cli/src/main.ts',
    },
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
