// The one build: every bundle that ships (client, server, cli, webviews).
// Flags: --production (minify, no source maps), --watch (rebuild on change).
import * as esbuild from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

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

// Our JSON Schemas' validators, compiled to code here rather than on every start (precompile.ts).
const SCHEMAS = ['experiment', 'sweep', 'targets'];
async function precompileValidators() {
  const { precompiledSource } = await tsImport('./core/src/schema/precompile.ts', import.meta.url);
  const schemas = Object.fromEntries(SCHEMAS.map((k) => [k, JSON.parse(readFileSync(`schemas/${k}.schema.json`, 'utf8'))]));
  writeFileSync('core/src/schema/validators.gen.cjs', precompiledSource(schemas));
}
/** Regenerates them before every (re)build, so that --watch follows edits to the schemas. */
const validatorsPlugin = { name: 'validators', setup(build) { build.onStart(precompileValidators); } };

// @kubernetes/client-node is 1.7 MB of code: in the CLI's bundle every command would pay ~0.1 s to
// compile it at start. It is a bundle of its own that core/src/k8s/kube.ts requires when a cluster
// is first used.
const K8S_CLIENT = 'k8s-client';
const k8sClientPlugin = {
  name: 'k8s-client',
  setup(build) { build.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: `./${K8S_CLIENT}.js`, external: true })); },
};

const builds = [
  {
    ...node,
    entryPoints: {
      client: 'client/src/extension.ts',
      server: 'server/src/main.ts',
      cli: 'cli/src/main.ts',
    },
    // cli.js and server.js are the package's bins (expctl, expctl-language-server): run directly,
    // they need the interpreter line (Node skips it where the extension host requires client.js).
    banner: { js: '#!/usr/bin/env node' },
    plugins: [validatorsPlugin, k8sClientPlugin, { name: 'bins', setup(b) { b.onEnd(() => { for (const f of ['dist/cli.js', 'dist/server.js']) chmodSync(f, 0o755); }); } }],
  },
  { ...node, entryPoints: { [K8S_CLIENT]: '@kubernetes/client-node' } },
  {
    // Webview panels: browser code, one script per panel plus the shared stylesheet, loaded by
    // client/src/panels under a CSP that allows only these files (localResourceRoots: dist/webviews).
    bundle: true,
    platform: 'browser',
    format: 'iife',
    // The oldest VS Code we support (engines ^1.91) runs Electron 29: Chromium 122.
    target: 'chrome122',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
    outdir: 'dist/webviews',
    entryPoints: {
      run: 'webviews/src/run/main.ts',
      sweep: 'webviews/src/sweep/main.ts',
      compare: 'webviews/src/compare/main.ts',
      campaign: 'webviews/src/campaign/main.ts',
      panels: 'webviews/media/panels.css',
    },
  },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
