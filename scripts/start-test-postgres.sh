#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite (scripts/test.mjs starts and stops it itself).
#
#   scripts/start-test-postgres.sh DIR PORT   initdb (once) into DIR/data, start it on 127.0.0.1:PORT with its
#                                             socket in DIR, and print the URL on stdout (the only stdout line)
#   scripts/start-test-postgres.sh --stop DIR stop it (if running) and remove DIR
#
# Fast and unsafe on purpose (fsync=off, synchronous_commit=off, trust auth): the data is thrown away.
# As root, initdb and pg_ctl run as the `postgres` user (both refuse root). Server binaries: PASSLESS_PG_BIN, else
# the newest /usr/lib/postgresql/*/bin. Re-running start on a running cluster just prints the URL again; stop on a
# stopped or missing cluster succeeds.
set -euo pipefail

die() {
  echo "start-test-postgres: $*" >&2
  exit 1
}

find_bin() {
  if [[ -n "${PASSLESS_PG_BIN:-}" ]]; then
    [[ -x "$PASSLESS_PG_BIN/initdb" ]] || die "no initdb in PASSLESS_PG_BIN=$PASSLESS_PG_BIN"
    echo "$PASSLESS_PG_BIN"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$found" && -x "$found/initdb" ]] ||
    die "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Install: sudo apt-get install -y postgresql"
  echo "$found"
}

# Prefix that runs a command as the cluster owner: `postgres` when we are root, else ourselves.
owner_prefix() {
  OWNER=()
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no postgres user (initdb refuses root)"
    if command -v runuser >/dev/null; then
      OWNER=(runuser -u postgres --)
    else
      OWNER=(setpriv --reuid=postgres --regid=postgres --init-groups)
    fi
  fi
}

stop_cluster() {
  local dir=$1
  [[ -n "$dir" ]] || die "usage: $0 --stop DIR"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    local bin
    bin=$(cat "$dir/bindir" 2>/dev/null || find_bin)
    owner_prefix
    # immediate: no shutdown checkpoint, the data is about to be deleted anyway.
    "${OWNER[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

start_cluster() {
  local dir=$1 port=$2
  [[ -n "$dir" && "$port" =~ ^[0-9]+$ ]] || die "usage: $0 DIR PORT"
  [[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain spaces: $dir"
  local bin
  bin=$(find_bin)
  owner_prefix
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
    "${OWNER[@]}" test -w "$dir" || die "the postgres user cannot reach $dir (a parent directory is private): use a DIR under /tmp"
  fi
  echo "$bin" >"$dir/bindir"
  local url="postgres://postgres@127.0.0.1:$port/postgres"

  if [[ -f "$dir/data/postmaster.pid" ]] && "${OWNER[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "$url"
    return
  fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    "${OWNER[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync \
      --no-instructions >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      die "initdb failed (log above)"
    }
  fi
  # setsid: a Ctrl-C in the terminal must not reach the server before the test runner has stopped it cleanly.
  if ! setsid -w "${OWNER[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null 2>&1; then
    tail -n 20 "$dir/server.log" >&2 || true
    die "PostgreSQL did not start on port $port (log above)"
  fi
  echo "$url"
}

case "${1:-}" in
--stop) stop_cluster "${2:-}" ;;
-h | --help | "") sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
*) start_cluster "$1" "${2:-}" ;;
esac
