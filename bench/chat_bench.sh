#!/usr/bin/env bash
# Live chat fan-out benchmark, end to end: for each case starts a fresh build/redred on loopback (no screen
# source, chat rate limit lifted), registers a streamer and a sender over REST, creates a stream, then runs
# bench/chat_load: the streamer's WebSocket makes the stream live, N guest viewers join at once (the join
# storm), and the sender posts R comments/s for WINDOW_S seconds. Prints one Markdown table.
#
# Builds nothing: expects $BUILD_DIR/redred and a chat_load binary ($BUILD_DIR/bench/chat_load unless
# CHAT_LOAD_BIN is set). Loopback only. Every step is bounded; the whole run takes ~1 minute with the
# defaults, and no case starts after TOTAL_LIMIT_S (so it ends within ~TOTAL_LIMIT_S + 1.5 min). Prints numbers, not verdicts.
#
# Env: BUILD_DIR, PORT (default: a free port), CASES ("100:20 1000:20 5000:20 500:50", viewers:comments/s),
#      WINDOW_S (10), DRAIN_S (5), JOIN_TIMEOUT_S (30), LOAD_THREADS (2), RAMP_PER_MS (200), TOTAL_LIMIT_S (300),
#      OUT_DIR (raw results; default a temp dir), REDRED_BIN, CHAT_LOAD_BIN (override the two binaries).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
CASES=${CASES:-"100:20 1000:20 5000:20 500:50"}
WINDOW_S=${WINDOW_S:-10}
DRAIN_S=${DRAIN_S:-5}
JOIN_TIMEOUT_S=${JOIN_TIMEOUT_S:-30}
LOAD_THREADS=${LOAD_THREADS:-2}
RAMP_PER_MS=${RAMP_PER_MS:-200}
TOTAL_LIMIT_S=${TOTAL_LIMIT_S:-300}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/chat_bench.XXXXXX)}

server_bin=${REDRED_BIN:-$BUILD_DIR/redred}
load_bin=${CHAT_LOAD_BIN:-$BUILD_DIR/bench/chat_load}
for bin in "$server_bin" "$load_bin"; do
  [ -x "$bin" ] || { echo "chat_bench: $bin not found; build first (cmake --build $BUILD_DIR --target redred chat_load)" >&2; exit 2; }
done
for tool in jq curl ss; do
  command -v "$tool" >/dev/null || { echo "chat_bench: $tool is required" >&2; exit 2; }
done

# Both the server and chat_load hold one socket per viewer: raise the soft open-files limit to the hard one.
. bench/lib.sh  # metrics and CPU helpers, open-files limit
max_clients=$(max_case_clients "$CASES")
raise_open_files_for "$max_clients" chat_bench

if [ -z "${PORT:-}" ]; then
  for _ in $(seq 1 50); do
    PORT=$((20000 + RANDOM % 20000))
    port_is_free "$PORT" && break
  done
fi
base_url="http://127.0.0.1:$PORT"
mkdir -p "$OUT_DIR"
data_dir=""
server_pid=""
load_pid=""
sampler_pid=""

stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  [ -n "$data_dir" ] && rm -rf "$data_dir"
  data_dir=""
}
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  stop_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fresh server and database per case, so counts, comments and peaks start at zero.
start_server() {
  stop_server
  data_dir=$(mktemp -d /tmp/chat_bench_data.XXXXXX)
  "$server_bin" serve --listen "127.0.0.1:$PORT" --screen-source none --data-dir "$data_dir" \
    --chat-burst 100000 --chat-rate 100000 >>"$OUT_DIR/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do  # up to 15 s
    kill -0 "$server_pid" 2>/dev/null || { echo "chat_bench: server exited; see $OUT_DIR/server.log" >&2; tail -20 "$OUT_DIR/server.log" >&2; return 1; }
    port_is_free "$PORT" || return 0
    sleep 0.1
  done
  echo "chat_bench: server not listening on $PORT after 15 s" >&2
  return 1
}

api_post() {  # $1 = path, $2 = JSON body, $3 = bearer token (optional); prints the body, fails on non-2xx
  local auth=()
  [ -n "${3:-}" ] && auth=(-H "Authorization: Bearer $3")
  curl -s -f -m 10 -X POST -H 'content-type: application/json' "${auth[@]}" -d "$2" "$base_url$1"
}

# Sets streamer_token, sender_token, stream_id.
setup_stream() {
  streamer_token=$(api_post /api/auth/register/ '{"username":"bench_streamer","password":"bench-password-1"}' | jq -r .token)
  sender_token=$(api_post /api/auth/register/ '{"username":"bench_sender","password":"bench-password-1"}' | jq -r .token)
  stream_id=$(api_post /api/live/create/ '{"title":"chat bench","description":""}' "$streamer_token" | jq -r '.id // .stream.id')
  [ -n "$streamer_token" ] && [ -n "$sender_token" ] && [ "$stream_id" != null ] && [ -n "$stream_id" ]
}


# Every second while chat_load runs: the most bytes ever waiting unread in the viewers' receive queues
# (a large value means the load generator, not the server, is behind) and the server's largest RSS.
sample_loop() {  # $1 = output file
  local max_recvq=0 max_rss=0 q r
  while :; do
    q=$(ss -tnH state established "( dport = :$PORT )" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
    r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0)
    [ "$q" -gt "$max_recvq" ] && max_recvq=$q
    [ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
    printf '%s %s\n' "$max_recvq" "$max_rss" >"$1"
    sleep 1
  done
}

run_case() {  # $1 = viewers, $2 = comments/s; appends one JSON line to $OUT_DIR/results.jsonl
  local clients=$1 rate=$2 out before after cpu0 cpu1 samples
  out="$OUT_DIR/run_${clients}_${rate}.json"
  samples="$OUT_DIR/samples_${clients}_${rate}.txt"
  start_server
  setup_stream || { echo "chat_bench: could not register users or create the stream" >&2; return 1; }
  echo "0 0" >"$samples"
  sample_loop "$samples" &
  sampler_pid=$!
  before=$(metrics_snapshot)
  cpu0=$(machine_cpu_ticks)
  # chat_load ends itself (alarm) after 2 x 10 s + join timeout + window + drain + 6 s; this is a backstop.
  timeout $((JOIN_TIMEOUT_S + WINDOW_S + DRAIN_S + 30)) "$load_bin" --port "$PORT" --stream "$stream_id" \
    --clients "$clients" --rate "$rate" --seconds "$WINDOW_S" --drain "$DRAIN_S" --join-timeout "$JOIN_TIMEOUT_S" \
    --threads "$LOAD_THREADS" --ramp-per-ms "$RAMP_PER_MS" --streamer-token "$streamer_token" \
    --sender-token "$sender_token" --server-pid "$server_pid" --json >"$out" &
  load_pid=$!
  local rc=0
  wait "$load_pid" || rc=$?
  load_pid=""
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  [ "$rc" = 0 ] || { echo "chat_bench: chat_load exited with $rc" >&2; return 1; }
  cpu1=$(machine_cpu_ticks)
  sleep 1  # let the server notice the closed sockets before reading RSS
  after=$(metrics_snapshot)
  local max_recvq max_rss
  read -r max_recvq max_rss <"$samples"
  # /metrics deltas cover the whole chat_load run (streamer, join storm, chat window, drain).
  jq -c --arg hwm "$(proc_status_mb VmHWM)" --arg rss "$(proc_status_mb VmRSS)" \
     --arg rss_max "$(awk -v k="$max_rss" 'BEGIN { printf "%.0f", k / 1024 }')" \
     --arg recvq_max "$(awk -v b="$max_recvq" 'BEGIN { printf "%.2f", b / 1e6 }')" \
     --arg machine_busy "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " ");
                              printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')" \
     --arg loadavg "$(cut -d' ' -f1 /proc/loadavg)" \
     --arg sent "$(metric_delta "$before" "$after" '^redred_ws_messages_sent_total$')" \
     --arg writes "$(metric_delta "$before" "$after" '^redred_ws_writes_total$')" \
     --arg slow "$(metric_delta "$before" "$after" '^redred_ws_slow_closed_total$')" \
     --arg open_after "$(metric_sum "$after" '^redred_ws_connections$')" \
     '. + {server_vmhwm_mb: $hwm, server_vmrss_end_mb: $rss, server_vmrss_max_sampled_mb: $rss_max,
           client_recvq_max_mb: $recvq_max, machine_busy_pct: $machine_busy, loadavg_1m: $loadavg,
           metrics: {ws_messages_sent: $sent, ws_writes: $writes, ws_slow_closed: $slow,
                     ws_connections_after: $open_after}}' \
     "$out" >>"$OUT_DIR/results.jsonl"
  stop_server
}

echo "chat_bench: $(date -u +%FT%TZ) nproc=$(nproc) cpu=\"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)\" kernel=$(uname -r)" >&2
echo "chat_bench: port=$PORT cases=\"$CASES\" window=${WINDOW_S}s drain=${DRAIN_S}s load_threads=$LOAD_THREADS nofile=$(ulimit -n) raw=$OUT_DIR" >&2
: >"$OUT_DIR/results.jsonl"

for c in $CASES; do
  clients=${c%%:*} rate=${c##*:}
  for attempt in 1 2; do
    if [ "$SECONDS" -ge "$TOTAL_LIMIT_S" ]; then
      echo "chat_bench: ${TOTAL_LIMIT_S} s limit reached, skipping N=$clients R=$rate" >&2
      break
    fi
    before_lines=$(wc -l <"$OUT_DIR/results.jsonl")
    if run_case "$clients" "$rate"; then break; fi
    echo "chat_bench: run N=$clients R=$rate failed (attempt $attempt)" >&2
    head -n "$before_lines" "$OUT_DIR/results.jsonl" >"$OUT_DIR/results.tmp" && mv "$OUT_DIR/results.tmp" "$OUT_DIR/results.jsonl"
    stop_server
  done
  [ -s "$OUT_DIR/results.jsonl" ] || continue
  jq -r '"chat_bench: N=\(.clients) R=\(.rate): joined \(.join_all_established_ms) ms, lost \(.lost) of \(.expected), p99 \(.latency_ms.p99) ms, server \(.server_cpu_cores) cores, loadgen \(.loadgen_cpu_cores) cores"' \
    <<<"$(tail -1 "$OUT_DIR/results.jsonl")" >&2 || true
done

echo
echo "| N viewers | comments/s | all joined (ms) | count N seen (ms) | expected | received | lost | deliveries/s (offered) | latency p50 / p90 / p99 / max (ms) | viewer errors (close codes) | server CPU chat (cores) | server CPU join (cores) | load gen CPU chat / join (cores) | msgs per write | slow closed | peak RSS (VmHWM) MB | max RSS in run MB | RSS end MB | max viewer Recv-Q MB | machine busy % |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r 'def r(n): if . == null then "n/a" else (. * n | round / n) end;
       def num: if . == "n/a" then null else tonumber end;
       def pct: if .expected > 0 then (100 * .lost / .expected | r(100) | tostring) + " %" else "n/a" end;
       "| \(.clients) | \(.rate|r(10)) | \(.join_all_established_ms|r(1)) | \(.join_first_counted_ms|r(1)) | \(.expected) | \(.received) | \(.lost) (\(pct)) | \(.deliveries_per_s|round) (\(.offered_deliveries_per_s|round)) | \(.latency_ms.p50|r(10)) / \(.latency_ms.p90|r(10)) / \(.latency_ms.p99|r(10)) / \(.latency_ms.max|r(10)) | \(.errors) (\(.close_codes|to_entries|map("\(.key)×\(.value)")|join(", ")|if . == "" then "none" else . end)) | \(.server_cpu_cores|r(100)) | \(.join_server_cpu_cores|r(100)) | \(.loadgen_cpu_cores|r(100)) / \(.join_loadgen_cpu_cores|r(100)) | \(if (.metrics.ws_writes|num) and (.metrics.ws_writes|num) > 0 then ((.metrics.ws_messages_sent|num) / (.metrics.ws_writes|num) | r(100)) else "n/a" end) | \(.metrics.ws_slow_closed) | \(.server_vmhwm_mb) | \(.server_vmrss_max_sampled_mb) | \(.server_vmrss_end_mb) | \(.client_recvq_max_mb) | \(.machine_busy_pct) |"' \
  "$OUT_DIR/results.jsonl"
echo
echo "all joined: first viewer connect -> all N got connection_established; count N seen: -> the first viewers_update with"
echo "viewers_count >= N. expected = viewers open when sending began x comments accepted; lost = expected - received"
echo "after a ${DRAIN_S} s drain. deliveries/s = received / (last delivery - first send). CPU: utime+stime per second of the"
echo "${WINDOW_S} s chat window (server from /proc/PID/stat, load generator from getrusage) and of the join storm."
echo "msgs per write, slow closed: /metrics deltas over the whole run (join + chat). VmHWM includes start-up and the two"
echo "argon2id sign-ups (libsodium's 64 MiB scratch); max RSS in run: sampled every second; RSS end: 1 s after the viewers left."
echo "max viewer Recv-Q: most bytes ever unread in all viewer sockets, sampled every second (large = the load generator is behind)."
echo "machine busy %: whole-machine CPU over the run, other users' work included (100 % = all $(nproc) cores)."
echo
echo "Raw results: $OUT_DIR/results.jsonl (server log: $OUT_DIR/server.log)"
