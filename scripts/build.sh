#!/usr/bin/env bash
# Builds the server (CMake + Ninja + ccache, precompiled header) and the web UI (Vite) into build/ and web/dist.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
(cd web && npm run build --silent)
