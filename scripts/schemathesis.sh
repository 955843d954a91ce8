#!/usr/bin/env bash
# Fuzzes the JSON APIs with schemathesis (from PyPI) against a real Plaza on loopback: no server error, and every
# answer as /api/openapi.json describes it. Installs schemathesis into .cache/ once; arguments go to `schemathesis run`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

SCHEMATHESIS_VERSION=4.32.5
VENV=.cache/schemathesis-venv

if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  echo "schemathesis: installing $SCHEMATHESIS_VERSION into $VENV (once)..."
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

exec node --disable-warning=ExperimentalWarning scripts/schemathesis.ts "$@"
