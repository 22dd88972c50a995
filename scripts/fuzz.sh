#!/usr/bin/env bash
# Runs one libFuzzer target from build-fuzz/ (fuzz/CMakeLists.txt) for SECONDS (default 600) on a copy of its
# committed seed corpus, so the run never writes into the repository. A crash, leak, timeout or undefined
# behaviour fails the run; the input that did it goes to test-output/fuzz/<target>/ (add it to
# fuzz/corpus/<target>/ with the fix). Inputs the run found new coverage with are kept in the temp corpus
# printed at the end (KEEP_CORPUS=1 keeps it).
#   bash scripts/fuzz.sh http_request 3600
# Targets: http_request ws_message redis_url config framing. CTest runs each for 20 s (label fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS]  (http_request ws_message redis_url config framing)}"
seconds="${2:-600}"
fuzz_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
binary="$fuzz_dir/fuzz_$target"
if [ ! -x "$binary" ]; then
  echo "[fuzz] $binary is missing: build it with bash scripts/build.sh (or cmake -S fuzz -B $fuzz_dir" \
       "-G Ninja -DCMAKE_CXX_COMPILER=clang++-15 && cmake --build $fuzz_dir)" >&2
  exit 1
fi
seeds="fuzz/corpus/$target"
[ -d "$seeds" ] || { echo "[fuzz] no seed corpus $seeds" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/redred-fuzz-$target.XXXXXX")"
[ -n "${KEEP_CORPUS:-}" ] || trap 'rm -rf "$work"' EXIT
cp -r "$seeds" "$work/corpus"
artifacts="${REDRED_TEST_OUTPUT:-$PWD/test-output}/fuzz/$target"
mkdir -p "$artifacts"

# A WebSocket frame is at most 16 KiB (read_message_max); requests and config files are kept to what finds
# bugs quickly. 10 s per input is a hang.
case "$target" in
  http_request) max_len=8192 ;;
  ws_message) max_len=16384 ;;
  framing) max_len=4096 ;;
  *) max_len=2048 ;;
esac
args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$artifacts/")
[ -f "fuzz/dict/$target.dict" ] && args+=(-dict="fuzz/dict/$target.dict")
echo "[fuzz] $target for ${seconds}s, corpus $work/corpus, crashes to $artifacts/"
# UBSan findings abort (the target is built with -fno-sanitize-recover=undefined) and print a stack.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
[ -x /usr/lib/llvm-15/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-15/bin/llvm-symbolizer
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
"$binary" "${args[@]}" "$work/corpus"
