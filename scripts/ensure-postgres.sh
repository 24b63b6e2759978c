#!/usr/bin/env bash
# Make sure the PostgreSQL the tests use is up; install and start it on a bare machine.
set -euo pipefail
url="${1:-postgresql://postgres@127.0.0.1:5432/test}"

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL is not installed; installing it (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if ! ready; then
  echo "PostgreSQL is down; starting it" >&2
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "PostgreSQL did not come up at 127.0.0.1:5432" >&2; exit 1; }
# Trust auth for local TCP and the 'test' database are what CI machines have; make sure of both.
if ! psql "$url" -Atc "select 1" >/dev/null 2>&1; then
  hba=$(su postgres -c "psql -Atc 'show hba_file'" 2>/dev/null || true)
  if [ -n "$hba" ] && ! grep -q "homeward-trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # homeward-trust' "$hba"
    su postgres -c "psql -Atc 'select pg_reload_conf()'" >/dev/null
  fi
  su postgres -c "createdb test" 2>/dev/null || true
  psql "$url" -Atc "select 1" >/dev/null
fi
