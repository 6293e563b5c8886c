#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the pg test suite (npm test's unit-pg):
#   bash scripts/pg-cluster.sh start   → initdb in a new temporary folder as the `postgres` user, start it
#                                        on a free port (localhost and a socket in that folder), print
#                                        `DIR URL` on one line
#   bash scripts/pg-cluster.sh stop DIR → stop that cluster and remove its folder
# The superuser's password is random and lives only in the URL; nothing listens beyond 127.0.0.1.
set -euo pipefail

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "pg-cluster: initdb not found; run scripts/bootstrap (installs Debian's postgresql)" >&2
  exit 1
}

as_postgres() { # run a command as the postgres user when we are root, else as ourselves
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start() {
  local bin dir port password
  bin=$(pg_bin)
  dir=$(mktemp -d /tmp/arbiter-pg.XXXXXX)
  # A start that fails half-way leaves no cluster or folder behind.
  trap 'stop "$dir"' ERR
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  password=$(node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))')
  printf '%s\n' "$password" >"$dir/pwfile"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; stop "$dir"; exit 1; }
  rm -f "$dir/pwfile"
  port=$(free_port)
  # fsync off: a test cluster is thrown away, never recovered.
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; stop "$dir"; exit 1; }
  trap - ERR
  echo "$dir postgres://postgres:$password@127.0.0.1:$port/postgres"
}

stop() {
  local dir=${1:?usage: pg-cluster.sh stop DIR}
  case "$dir" in /tmp/arbiter-pg.*) ;; *) echo "pg-cluster: $dir is not a cluster this script made" >&2; exit 2 ;; esac
  [ -d "$dir/data" ] && as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: pg-cluster.sh start | stop DIR" >&2; exit 2 ;;
esac
