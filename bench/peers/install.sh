#!/usr/bin/env bash
# Installs the peers that `npm run bench` compares modelgate with. Idempotent; not run by CI.
#   bench/peers/portkey/          Portkey AI gateway 1.15.2 (npm ci from the committed lockfile)
#   bench/peers/litellm/.venv     LiteLLM proxy 1.74.9 (pip --require-hashes from requirements.lock)
# LiteLLM 1.82.7 and 1.82.8 were compromised on PyPI: never install those.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

echo "== portkey"
if [ -f "$here/portkey/node_modules/@portkey-ai/gateway/build/start-server.js" ] \
  && grep -q '"version": "1.15.2"' "$here/portkey/node_modules/@portkey-ai/gateway/package.json"; then
  echo "already installed"
else
  (cd "$here/portkey" && npm ci --no-audit --no-fund --ignore-scripts)
fi

echo "== litellm"
venv="$here/litellm/.venv"
if [ -x "$venv/bin/litellm" ] && "$venv/bin/python" -c 'import importlib.metadata as m; assert m.version("litellm") == "1.74.9"' 2>/dev/null; then
  echo "already installed"
else
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$here/litellm/requirements.lock"
  "$venv/bin/python" -c 'import importlib.metadata as m; print("litellm", m.version("litellm"))'
fi
