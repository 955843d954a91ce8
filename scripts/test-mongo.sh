#!/usr/bin/env bash
# The Mongo leg of `npm test`: the whole suite again, on the mongo engine. It uses PLAZA_TEST_MONGODB_URI when
# given (a real MongoDB), else builds FerretDB (a MongoDB wire-protocol server with a SQLite backend) from the
# Go module proxy into .cache/ once and starts it on a free loopback port. Without Go, it says so and skips.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node.js and ava, also when this script is run directly rather than through npm.
export PATH="$PWD/node_modules/.bin:$PATH"

FERRETDB_VERSION=v1.24.2
BIN=.cache/go/bin/ferretdb

if [ -n "${PLAZA_TEST_MONGODB_URI:-}" ]; then
  echo "Mongo leg: against $PLAZA_TEST_MONGODB_URI"
  exec ava
fi
if ! command -v go >/dev/null; then
  echo "Mongo leg skipped: no Go toolchain here to build the FerretDB test server (set PLAZA_TEST_MONGODB_URI to test against a MongoDB server)."
  exit 0
fi

if [ ! -x "$BIN" ] || [ "$("$BIN" --version 2>/dev/null | grep -o 'v[0-9][0-9.]*' | head -1)" != "$FERRETDB_VERSION" ]; then
  echo "Mongo leg: building FerretDB $FERRETDB_VERSION from the Go module proxy (once)..."
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  rm -rf .cache/ferretdb-src
  mkdir -p .cache
  cp -r "$dir" .cache/ferretdb-src
  chmod -R u+w .cache/ferretdb-src
  # The module archive leaves out the generated version file that `go install` would need.
  echo "$FERRETDB_VERSION" > .cache/ferretdb-src/build/version/version.txt
  mkdir -p "$(dirname "$BIN")"
  (cd .cache/ferretdb-src && go build -o "../go/bin/ferretdb" ./cmd/ferretdb)
fi

state=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
"$BIN" --handler=sqlite --sqlite-url="file:$state/" --state-dir="$state" --listen-addr="127.0.0.1:$port" \
  --debug-addr=- --telemetry=disable --log-level=error >"$state/ferretdb.log" 2>&1 &
ferret=$!
trap 'kill $ferret 2>/dev/null; wait $ferret 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 1 100); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "Mongo leg: FerretDB $FERRETDB_VERSION on 127.0.0.1:$port"
PLAZA_TEST_MONGODB_URI="mongodb://127.0.0.1:$port/" ava
