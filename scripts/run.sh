#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine and starts redred on the embedded default
# (in-process state, SQLite in ./data, the screen of $DISPLAY or a test pattern). Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec ./build/redred serve --listen "${REDRED_LISTEN:-127.0.0.1:8080}" --web-root web/dist "$@"
