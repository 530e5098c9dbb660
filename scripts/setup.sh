#!/usr/bin/env bash
# The first of the two commands on a fresh machine: installs what expctl needs from the package
# registries, builds every bundle, and runs the main job on the examples (local, file store).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "The quickstart example runs a Python 3 script (standard library only): install python3." >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1; then
  echo "expctl needs Node.js 20 or newer (with npm) on PATH." >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "expctl needs Node.js 20 or newer; this is $(node --version)." >&2
  exit 1
fi

node scripts/ensure-deps.mjs
node esbuild.mjs

echo
echo "== expctl validate examples/"
node dist/cli.js validate examples
echo
echo "== expctl plan examples/quickstart/grid.sweep.yaml"
node dist/cli.js plan examples/quickstart/grid.sweep.yaml
echo
echo "== expctl run examples/quickstart/grid.sweep.yaml   (results in .expctl/; a second run resumes)"
node dist/cli.js run examples/quickstart/grid.sweep.yaml
echo
echo "== expctl stats examples/quickstart/grid.sweep.yaml --group-by params.learning_rate"
node dist/cli.js stats examples/quickstart/grid.sweep.yaml --group-by params.learning_rate
echo
echo "== expctl report examples/campaign-report/job_summary.csv --out reports/campaign"
node dist/cli.js report examples/campaign-report/job_summary.csv --out reports/campaign
