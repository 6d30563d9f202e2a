#!/usr/bin/env bash
# Debian's Chromium for the real-browser tests (never `playwright install`: it downloads).
# Skips quietly when Chromium is there; the browser tests skip with a message when apt can't.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: apt-get not available; browser tests will be skipped" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi
echo "install-browser: installing Debian chromium (once)" >&2
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null 2>&1 \
  || echo "install-browser: could not install chromium with apt; browser tests will be skipped" >&2
exit 0
