#!/usr/bin/env bash
# PostgreSQL's default settings against the settings docs/operations.md recommends for a node,
# side by side on one machine: `accord bench store` on the running server (its own settings),
# then on a throwaway cluster of the same PostgreSQL version started with the recommended
# settings (initdb in a temporary directory, port 5433, removed at the end).
#
#   scripts/pg_settings_bench.sh [SIZES] [SERVER_URL]
#       SIZES: record counts for `accord bench store --sizes` (default 100000)
#       SERVER_URL: the running server (default postgres://postgres@127.0.0.1:5432/)
#
# Needs the server binaries (initdb, pg_ctl: the postgresql package) and, as root, a `postgres`
# system user to own the throwaway cluster. Prints two JSON lines, "default" and "recommended".
set -euo pipefail

cd "$(dirname "$0")/.."
sizes="${1:-100000}"
server="${2:-postgres://postgres@127.0.0.1:5432/}"
port=5433
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "pg_settings_bench: initdb not found (install postgresql)" >&2; exit 2; }
python=.venv/bin/python

run_as() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

dir=$(mktemp -d /tmp/accord-pg-recommended.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres "$dir"
stop() { run_as "'$bin/pg_ctl' -D '$dir/data' -m fast stop" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap stop EXIT

run_as "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
# The recommended settings (docs/operations.md, "Settings"), for a node whose database has
# about 8 GB of memory and solid-state storage.
cat >>"$dir/data/postgresql.conf" <<'CONF'
listen_addresses = '127.0.0.1'
shared_buffers = 2GB
effective_cache_size = 6GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
effective_io_concurrency = 200
jit = off
autovacuum_vacuum_scale_factor = 0.05
autovacuum_analyze_scale_factor = 0.02
autovacuum_vacuum_insert_scale_factor = 0.05
CONF
run_as "'$bin/pg_ctl' -D '$dir/data' -o '-p $port -k $dir' -l '$dir/log' -w start" >/dev/null

bench() {
  "$python" -m accord.cli.main bench store --sizes "$sizes" --json --database-url "$1" \
    | "$python" -c 'import json, sys; r = json.load(sys.stdin); label = sys.argv[1]
print(json.dumps({"settings": label, **{k: r[k] for k in ("records", "import_objects_per_s",
      "search_p50_ms", "search_p95_ms", "search_p99_ms")}}))' "$2"
}
bench "$server" default
bench "postgres://postgres@127.0.0.1:$port/" recommended
