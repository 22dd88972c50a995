#!/usr/bin/env bash
# Screen feed benchmark, end to end: starts build/redred on loopback with the synthetic 1280x720 test
# pattern, starts a 15 fps / q75 stream, then runs bench/feed_load against /stream/feed (SSE) and
# /stream/mjpeg for N = 1 10 100 500 viewers and prints one Markdown table.
#
# SCHEMES="http https" runs the same cases over plain HTTP and over TLS side by side in one run: one server
# per scheme, both started at the beginning and both streaming for the whole run (same binary, same
# settings), the TLS one with a throwaway self-signed certificate made here with `openssl req -x509` for
# IP 127.0.0.1 (in a temp dir, removed on exit). For each N and path the schemes run back to back, and the
# script prints the TLS / plain ratios of the same run after the table.
#
# Builds nothing: expects $BUILD_DIR/redred and $BUILD_DIR/bench/feed_load (BUILD_DIR defaults to build).
# The server binary is copied to a temp dir first, so a rebuild during the run cannot change it under us.
# Loopback only. Every step is bounded; the whole run takes ~2 minutes with the defaults (per scheme).
# Prints numbers, not verdicts.
#
# Env: BUILD_DIR, PORT (default: a free port; the first scheme's, the next ones get free ports),
#      CLIENT_COUNTS ("1 10 100 500"), FEED_PATHS ("/stream/feed /stream/mjpeg"), SCHEMES ("http"; also "https"),
#      WARMUP_S (2), WINDOW_S (10), LOAD_THREADS (2), FPS (15), QUALITY (75), OUT_DIR (raw results; default a
#      temp dir), REDRED_BIN, FEED_LOAD_BIN (override the two binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
CLIENT_COUNTS=${CLIENT_COUNTS:-"1 10 100 500"}
FEED_PATHS=${FEED_PATHS:-"/stream/feed /stream/mjpeg"}
WARMUP_S=${WARMUP_S:-2}
WINDOW_S=${WINDOW_S:-10}
LOAD_THREADS=${LOAD_THREADS:-2}
FPS=${FPS:-15}
QUALITY=${QUALITY:-75}
SCHEMES=${SCHEMES:-http}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/feed_bench.XXXXXX)}
for scheme in $SCHEMES; do
  case "$scheme" in http|https) ;; *) echo "feed_bench: SCHEMES takes http and/or https, not '$scheme'" >&2; exit 2 ;; esac
done

server_bin=${REDRED_BIN:-$BUILD_DIR/redred}
load_bin=${FEED_LOAD_BIN:-$BUILD_DIR/bench/feed_load}
for bin in "$server_bin" "$load_bin"; do
  [ -x "$bin" ] || { echo "feed_bench: $bin not found; build first (cmake --build $BUILD_DIR)" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "feed_bench: jq is required" >&2; exit 2; }
case " $SCHEMES " in *" https "*) command -v openssl >/dev/null || { echo "feed_bench: openssl is required for https" >&2; exit 2; } ;; esac

. bench/lib.sh  # metrics_snapshot, metric_sum, metric_delta, machine_cpu_ticks, proc_status_mb, free_port
mkdir -p "$OUT_DIR"
work_dir=$(mktemp -d /tmp/feed_bench_data.XXXXXX)  # data dirs, the copied server binary, the throwaway certificate
# One server per scheme; the current one's values are in port/base_url/server_pid (lib.sh reads the last two).
declare -A scheme_port scheme_pid
for scheme in $SCHEMES; do
  if [ -z "${scheme_port[http]:-}${scheme_port[https]:-}" ] && [ -n "${PORT:-}" ]; then
    scheme_port[$scheme]=$PORT
  else
    scheme_port[$scheme]=$(free_port)
  fi
  scheme_pid[$scheme]=""
  mkdir -p "$work_dir/data_$scheme"
done
use_scheme() {  # $1 = http | https
  scheme=$1 PORT=${scheme_port[$1]} server_pid=${scheme_pid[$1]}
  base_url="$1://127.0.0.1:$PORT"
}
server_pid=""

stop_server() {  # the current scheme's server
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid="" scheme_pid[$scheme]=""
}
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  for s in $SCHEMES; do use_scheme "$s"; stop_server; done
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A rebuild of build/redred during the run must not swap the binary between schemes or cases.
cp "$server_bin" "$work_dir/redred"
server_bin_source=$server_bin
server_bin=$work_dir/redred

# TLS: a throwaway self-signed certificate for 127.0.0.1 (P-256, as the README's LAN example). curl and
# feed_load both verify the server against it (--cacert / --tls-ca), so nothing here runs unverified.
tls_cert=$work_dir/feed_bench.crt tls_key=$work_dir/feed_bench.key
case " $SCHEMES " in *" https "*)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$tls_key" -out "$tls_cert" -subj /CN=feed-bench -addext "subjectAltName=IP:127.0.0.1" \
    >"$OUT_DIR/openssl.log" 2>&1 || { echo "feed_bench: openssl req failed; see $OUT_DIR/openssl.log" >&2; exit 2; } ;;
esac
curl_tls() { if [ "$scheme" = https ]; then echo "--cacert $tls_cert"; fi; }  # word-split on purpose (no spaces in the path)

start_stream() {
  local code
  # shellcheck disable=SC2046
  code=$(curl -s -m 5 $(curl_tls) -o "$OUT_DIR/stream_start.json" -w '%{http_code}' -X POST \
    -H 'content-type: application/json' -d "{\"fps\":$FPS,\"quality\":$QUALITY}" "$base_url/stream/start" || true)
  case "$code" in
    2*|409) ;;  # 409: already running
    *) echo "feed_bench: POST /stream/start answered $code: $(cat "$OUT_DIR/stream_start.json" 2>/dev/null)" >&2; return 1 ;;
  esac
}

start_server() {  # the current scheme's server
  local tls_args=()
  stop_server
  [ "$scheme" = https ] && tls_args=(--tls-cert "$tls_cert" --tls-key "$tls_key")
  "$server_bin" serve --listen "127.0.0.1:$PORT" --screen-source pattern --data-dir "$work_dir/data_$scheme" \
    "${tls_args[@]}" >>"$OUT_DIR/server_$scheme.log" 2>&1 &
  server_pid=$!
  scheme_pid[$scheme]=$server_pid
  for _ in $(seq 1 150); do  # up to 15 s
    kill -0 "$server_pid" 2>/dev/null || { echo "feed_bench: server exited; see $OUT_DIR/server_$scheme.log" >&2; tail -20 "$OUT_DIR/server_$scheme.log" >&2; return 1; }
    port_is_free "$PORT" || break
    sleep 0.1
  done
  port_is_free "$PORT" && { echo "feed_bench: server not listening on $PORT after 15 s" >&2; return 1; }
  start_stream
  sleep 1  # let the encoder produce its first frames
}

# lib.sh's metrics_snapshot, with the throwaway certificate trusted for https.
# shellcheck disable=SC2046
metrics_snapshot() { curl -s -m 3 -f $(curl_tls) "$base_url/metrics" 2>/dev/null || true; }

run_case() {  # $1 = path, $2 = clients (scheme: the current one); appends one JSON line to $OUT_DIR/results.jsonl
  local path=$1 clients=$2 out before after t0 t1 cpu0 cpu1 backlog tls_args=()
  out="$OUT_DIR/run_${scheme}${path//\//_}_$clients.json"
  [ "$scheme" = https ] && tls_args=(--tls --tls-ca "$tls_cert")
  before=$(metrics_snapshot)
  t0=$(date +%s.%N)
  cpu0=$(machine_cpu_ticks)
  timeout $((WARMUP_S + WINDOW_S + 15)) "$load_bin" --port "$PORT" --path "$path" --clients "$clients" \
    --warmup "$WARMUP_S" --seconds "$WINDOW_S" --threads "$LOAD_THREADS" --server-pid "$server_pid" --json \
    "${tls_args[@]}" >"$out" &
  load_pid=$!
  # Mid-window: bytes waiting in the viewers' receive queues. Megabytes there mean the load generator,
  # not the server, is behind (on loopback the server's writes land straight in those queues).
  sleep "$(awk -v w="$WARMUP_S" -v s="$WINDOW_S" 'BEGIN { print w + s / 2 }')"
  backlog=$(ss -tnH state established "( dport = :$PORT )" 2>/dev/null | awk '{ sum += $1 } END { printf "%.1f", sum / 1e6 }')
  wait "$load_pid" || { load_pid=""; return 1; }
  load_pid=""
  cpu1=$(machine_cpu_ticks)
  t1=$(date +%s.%N)
  after=$(metrics_snapshot)
  # /metrics deltas cover the whole feed_load run (ramp + warm-up + window), not only the window.
  jq -c --arg hwm "$(proc_status_mb VmHWM)" --arg rss "$(proc_status_mb VmRSS)" \
     --arg backlog "$backlog" \
     --arg machine_busy "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " ");
                              printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')" \
     --arg loadavg "$(cut -d' ' -f1 /proc/loadavg)" \
     --arg run_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" \
     --arg drops "$(metric_delta "$before" "$after" '^redred_screen_frames_dropped_total$')" \
     --arg sent "$(metric_delta "$before" "$after" '^redred_screen_frames_sent_total$')" \
     --arg bytes_sent "$(metric_delta "$before" "$after" '^redred_screen_bytes_sent_total$')" \
     --arg encoded "$(metric_delta "$before" "$after" '^redred_screen_frames_encoded_total$')" \
     --arg encoded_bytes "$(metric_delta "$before" "$after" '^redred_screen_encoded_bytes_total$')" \
     --arg encode_s "$(metric_delta "$before" "$after" '^redred_screen_encode_seconds_total$')" \
     --arg slow_closed "$(metric_delta "$before" "$after" '^redred_screen_slow_viewers_closed_total$')" \
     --arg scheme "$scheme" --arg ncpu "$(nproc)" \
     '. + {scheme: $scheme, server_vmhwm_mb: $hwm, server_vmrss_mb: $rss, run_s: ($run_s|tonumber),
           other_work_cores: (if .server_cpu_cores == null then null
                              else ($machine_busy|tonumber) / 100 * ($ncpu|tonumber) - .server_cpu_cores - .loadgen_cpu_cores end),
           server_us_per_frame: (if .server_cpu_cores == null or .fps_aggregate == 0 then null
                                 else .server_cpu_cores * 1e6 / .fps_aggregate end),
           client_recvq_backlog_mb: $backlog, machine_busy_pct: $machine_busy, loadavg_1m: $loadavg,
           metrics: {frames_dropped: $drops, frames_sent: $sent, bytes_sent: $bytes_sent, frames_encoded: $encoded,
                     encoded_bytes: $encoded_bytes, encode_seconds: $encode_s, slow_viewers_closed: $slow_closed}}' \
     "$out" >>"$OUT_DIR/results.jsonl"
}

echo "feed_bench: $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)" >&2
echo "feed_bench: server=$server_bin_source ($(stat -c %y "$server_bin_source" | cut -d. -f1)) head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
ports=""; for s in $SCHEMES; do ports="$ports $s:${scheme_port[$s]}"; done
echo "feed_bench: ports=${ports# } warmup=${WARMUP_S}s window=${WINDOW_S}s load_threads=$LOAD_THREADS fps=$FPS quality=$QUALITY raw=$OUT_DIR" >&2
: >"$OUT_DIR/results.jsonl"
for s in $SCHEMES; do use_scheme "$s"; start_server; done

for clients in $CLIENT_COUNTS; do
  for path in $FEED_PATHS; do
   for s in $SCHEMES; do
    use_scheme "$s"
    for attempt in 1 2; do
      # The server may have been restarted or replaced (rebuilt binary) under us: start it again.
      if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "feed_bench: server is gone, restarting" >&2
        start_server
      fi
      before_lines=$(wc -l <"$OUT_DIR/results.jsonl")
      if run_case "$path" "$clients" && kill -0 "$server_pid" 2>/dev/null; then
        last=$(tail -1 "$OUT_DIR/results.jsonl")
        # A run where nobody got a frame usually means the stream stopped: restart it once and retry.
        if [ "$(jq '.frames_total' <<<"$last")" -gt 0 ] || [ "$attempt" = 2 ]; then break; fi
        echo "feed_bench: no frames for $scheme $path N=$clients, restarting the stream and retrying" >&2
        start_stream || true
      else
        echo "feed_bench: run $scheme $path N=$clients failed (attempt $attempt)" >&2
      fi
      # Drop the failed attempt's line so the table holds one row per case.
      head -n "$before_lines" "$OUT_DIR/results.jsonl" >"$OUT_DIR/results.tmp" && mv "$OUT_DIR/results.tmp" "$OUT_DIR/results.jsonl"
    done
    jq -r '"feed_bench: \(.scheme) \(.path) N=\(.clients): fps median \(.fps_median) min \(.fps_min), server \(.server_cpu_cores) cores, loadgen \(.loadgen_cpu_cores) cores, errors \(.errors)"' \
      <<<"$(tail -1 "$OUT_DIR/results.jsonl")" >&2 || true
    sleep 1  # let the previous connections close before the next ramp
   done
  done
done

echo
echo "| scheme | path | N | fps/client median | min | p10 | zero-frame clients | errors | first frame median / max (ms) | server CPU (cores) | load gen CPU (cores) | received MB/s | encoded fps | frames dropped | peak RSS (VmHWM) MB | RSS after run MB | mean frame KB | viewer Recv-Q backlog MB | machine busy % | other work (cores) | server µs per viewer-frame |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r 'def r(n): if . == null then "n/a" else (. * n | round / n) end;
       def num: if . == "n/a" then null else tonumber end;
       "| \(.scheme) | \(.path) | \(.clients) | \(.fps_median|r(100)) | \(.fps_min|r(100)) | \(.fps_p10|r(100)) | \(.zero_frame_clients) | \(.errors) | \(.ttff_ms_median|round) / \(.ttff_ms_max|round) | \(.server_cpu_cores|r(1000)) | \(.loadgen_cpu_cores|r(1000)) | \(.mb_per_s|round) | \(if (.metrics.frames_encoded|num) == null then "n/a" else ((.metrics.frames_encoded|num) / .run_s | r(10)) end) | \(.metrics.frames_dropped) | \(.server_vmhwm_mb) | \(.server_vmrss_mb) | \(.mean_frame_kb|r(10)) | \(.client_recvq_backlog_mb) | \(.machine_busy_pct) | \(.other_work_cores|r(100)) | \(.server_us_per_frame|r(1)) |"' \
  "$OUT_DIR/results.jsonl"
echo
echo "frames dropped and encoded fps come from /metrics deltas over the whole feed_load run (ramp + warm-up + window);"
echo "fps, first frame, CPU and MB/s over the ${WINDOW_S} s window only. MB = 10^6 bytes, KB = 10^3 bytes."
echo "viewer Recv-Q backlog: bytes unread in all viewer sockets at mid-window (large = the load generator is behind)."
echo "machine busy %: whole-machine CPU over the run, other users' work included (100 % = all $(nproc) cores)."
echo "other work: machine busy (in cores) minus this server and the load generator: other users, kernel threads and,"
echo "with several SCHEMES, the other scheme's idle server (it keeps encoding its stream, ~0.04 cores)."
echo "server µs per viewer-frame: server CPU ÷ frames delivered per second in the window, capture and encode included."
if [ "$(wc -w <<<"$SCHEMES")" -gt 1 ] && [[ " $SCHEMES " == *" http "* ]] && [[ " $SCHEMES " == *" https "* ]]; then
  echo
  echo "TLS ÷ plain, same run (each row: the https case ÷ the http case with the same path and N):"
  echo
  echo "| path | N | server CPU | server µs per viewer-frame | load gen CPU | received MB/s | fps/client median | peak RSS |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  jq -rs 'def r(n): if . == null then "n/a" else (. * n | round / n) end;
          def ratio(a; b): if (a == null or b == null or b == 0) then "n/a" else (a / b | r(100)) end;
          def num: if . == "n/a" or . == null then null else tonumber end;
          group_by([.path, .clients]) | sort_by(.[0].clients)[] |
          (map(select(.scheme == "http"))[0]) as $p | (map(select(.scheme == "https"))[0]) as $t |
          select($p != null and $t != null) |
          "| \($p.path) | \($p.clients) | \(ratio($t.server_cpu_cores; $p.server_cpu_cores)) | \(ratio($t.server_us_per_frame; $p.server_us_per_frame)) | \(ratio($t.loadgen_cpu_cores; $p.loadgen_cpu_cores)) | \(ratio($t.mb_per_s; $p.mb_per_s)) | \(ratio($t.fps_median; $p.fps_median)) | \(ratio($t.server_vmhwm_mb|num; $p.server_vmhwm_mb|num)) |"' \
    "$OUT_DIR/results.jsonl"
  echo
  echo "TLS: $(jq -r 'select(.scheme == "https") | .tls_session' "$OUT_DIR/results.jsonl" | sort -u | paste -sd, -)"
fi
echo
echo "Raw results: $OUT_DIR/results.jsonl (server logs: $OUT_DIR/server_<scheme>.log)"
