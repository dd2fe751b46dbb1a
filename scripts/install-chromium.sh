#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (idempotent). Never a downloaded browser build.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "chromium already installed"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
