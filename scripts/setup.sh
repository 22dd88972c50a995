#!/usr/bin/env bash
# Installs every Debian and npm package redred needs to build, run and test.
# Idempotent: safe to run again; skips apt when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libhiredis-dev libsqlite3-dev nlohmann-json3-dev
  libspdlog-dev libcli11-dev libsodium-dev libturbojpeg0-dev
  libx11-dev libxext-dev libxdamage-dev libxfixes-dev libssl-dev libgtest-dev libgmock-dev
  libpq-dev postgresql-15
  redis-server redis-tools xvfb x11-utils chromium janus coturn haproxy
  procps iproute2 util-linux curl jq openssl
  python3  # integration_ws_control_frames: a TCP relay with a small receive window
  fonts-noto-color-emoji  # browser tests: chat emotes render as colour glyphs, not boxes
  clang-15 libclang-common-15-dev llvm-15
)

missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The distribution's redis-server, janus, coturn, postgresql and haproxy services are not ours: tests start their
# own on free ports (haproxy with deploy/haproxy.cfg).
for service in redis-server janus coturn postgresql haproxy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl stop "$service" || true
  elif [ -x "/etc/init.d/$service" ] && "/etc/init.d/$service" status >/dev/null 2>&1; then
    "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
done

# Front-end and test packages from the committed lockfiles; never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for dir in web tests; do
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
echo "[setup] done"
