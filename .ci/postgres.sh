#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests and prints the URL to use.
# Installs Debian's postgresql package first when the machine has none.
# Usage: eval "$(bash .ci/postgres.sh start)"   ...   bash .ci/postgres.sh stop DIR
set -euo pipefail
action=${1:-start}
if [[ $action == stop ]]; then
  dir=$2
  owner=$(stat -c %U "$dir")
  bin=$(cat "$dir/bin")
  if [[ $(id -un) == "$owner" ]]; then "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null; else runuser -u "$owner" -- "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null; fi
  rm -rf "$dir"
  exit 0
fi
if ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package postgresql)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
dir=$(mktemp -d /tmp/ics-interop-pg.XXXXXX)
echo "$bin" > "$dir/bin"
port=${ICS_PG_PORT:-55432}
run=()
if [[ $(id -u) == 0 ]]; then
  chown -R postgres: "$dir"
  run=(runuser -u postgres --)
fi
"${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
"${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
echo "export ICS_INTEROP_TEST_POSTGRES=postgresql://postgres@127.0.0.1:$port/postgres"
echo "export ICS_INTEROP_PG_DIR=$dir"
