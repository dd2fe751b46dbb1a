#!/usr/bin/env bash
# `npm test`'s pretest step: makes sure what the tests use is on this machine before any test runs.
# The browser tests drive Debian's Chromium (/usr/bin/chromium); the multi-process worker tests use the
# local PostgreSQL with pgvector and Redis. What is missing is installed when it can be (as root, from
# Debian's packages, with the same scripts CI uses); otherwise one line says what to do and the run
# stops: a test is never skipped because the machine lacks something.
set -uo pipefail
cd "$(dirname "$0")/.."

need() { echo "npm test: $1" >&2; exit 1; }
can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; }

if [ ! -x /usr/bin/chromium ]; then
  can_install || need "the browser tests need Debian's Chromium at /usr/bin/chromium: run 'sudo bash scripts/install-chromium.sh'"
  echo "npm test: installing Chromium for the browser tests (scripts/install-chromium.sh)…"
  bash scripts/install-chromium.sh >/dev/null || need "installing Chromium failed: run 'sudo bash scripts/install-chromium.sh' and read its output"
fi

server_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
host=$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$server_url")
pg_isready -q -d "$server_url" 2>/dev/null ||
  need "the worker tests need PostgreSQL at $server_url (start it, or point TEST_DATABASE_URL at one)"
if [ "$host" = 127.0.0.1 ] || [ "$host" = localhost ]; then
  pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -n "$pg_version" ] && [ ! -f "/usr/share/postgresql/$pg_version/extension/vector.control" ]; then
    can_install || need "the local PostgreSQL $pg_version has no pgvector: run 'sudo bash scripts/install-pgvector.sh'"
    echo "npm test: building pgvector for PostgreSQL $pg_version (scripts/install-pgvector.sh)…"
    bash scripts/install-pgvector.sh >/dev/null || need "installing pgvector failed: run 'sudo bash scripts/install-pgvector.sh' and read its output"
  fi
fi

redis_url=redis://127.0.0.1:6379  # the worker tests use the local Redis
node -e '
const net = require("node:net");
const url = new URL(process.argv[1]);
const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
socket.setTimeout(2000, () => process.exit(1));
socket.on("connect", () => { socket.end(); process.exit(0); });
socket.on("error", () => process.exit(1));
' "$redis_url" || need "the worker tests need Redis at $redis_url (start it: redis-server --daemonize yes)"
exit 0
