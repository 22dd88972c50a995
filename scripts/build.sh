#!/usr/bin/env bash
# Builds the server (CMake + Ninja + ccache, precompiled header) and the web UI (Vite) into build/ and web/dist,
# then the trees the test command also runs (README "Fuzzing and sanitizers"): build-asan/ (the unit tests with
# AddressSanitizer + UndefinedBehaviorSanitizer) and build-fuzz/ (the libFuzzer targets, clang-15).
# REDRED_BUILD_EXTRA=0 builds build/ and the web UI only.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
(cd web && npm run build --silent)
if [ "${REDRED_BUILD_EXTRA:-1}" != 0 ]; then
  # -O1 -g1: fast enough under the sanitizers, line numbers in their reports, and quicker to compile than -O2 -g.
  cmake -S . -B "$build_dir-asan" -G Ninja -DREDRED_SANITIZE=ON -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="-O1 -g1" >/dev/null
  cmake --build "$build_dir-asan" -j"$(nproc)" --target redred_unit_tests
  cmake -S fuzz -B "$build_dir-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++-15 >/dev/null
  cmake --build "$build_dir-fuzz" -j"$(nproc)"
fi
