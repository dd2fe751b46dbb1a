#!/usr/bin/env bash
# Build and install pgvector for the machine's PostgreSQL from Debian's source package (idempotent).
# Debian 12 ships no pgvector package; trixie's source package builds against PostgreSQL 15.
set -euo pipefail
PGV=$(ls /usr/lib/postgresql | sort -V | tail -1)
if [ -f "/usr/share/postgresql/$PGV/extension/vector.control" ]; then echo "pgvector already installed for PG $PGV"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-$PGV" build-essential >/dev/null
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $2}')
work=$(mktemp -d); chmod 755 "$work"
printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" > "$work/src.sources"
mkdir -p "$work/lists/partial"
opts=(-o "Dir::Etc::sourcelist=$work/src.sources" -o Dir::Etc::sourceparts=/dev/null -o "Dir::State::Lists=$work/lists")
apt-get "${opts[@]}" update -qq
(cd "$work" && apt-get "${opts[@]}" source --download-only pgvector >/dev/null 2>&1)
tar -xzf "$work"/pgvector_*.orig.tar.gz -C "$work"
make -s -C "$work"/pgvector-*/ PG_CONFIG="/usr/lib/postgresql/$PGV/bin/pg_config" >/dev/null
make -s -C "$work"/pgvector-*/ PG_CONFIG="/usr/lib/postgresql/$PGV/bin/pg_config" install >/dev/null
rm -rf "$work"
echo "pgvector installed for PG $PGV"
