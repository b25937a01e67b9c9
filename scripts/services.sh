#!/usr/bin/env bash
# Install (from Debian's packages, if missing) and start PostgreSQL and Redis on loopback,
# and create the databases the test suites and the bench use. Idempotent: safe to rerun.
# Used by .ci/run and by developers who want to run the suites on the real services.
set -euo pipefail

PG_USER=rally
PG_PASSWORD=rally
PG_DATABASES=(rally_test rally_cluster rally_bench rally_dist)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

# PostgreSQL: Debian's cluster manager; create the default cluster if the image has none.
if ! pg_lsclusters -h | grep -q .; then
  ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
  as_root pg_createcluster "$ver" main >/dev/null
fi
read -r PG_VER PG_CLUSTER _ <<<"$(pg_lsclusters -h | head -1)"
as_root pg_ctlcluster "$PG_VER" "$PG_CLUSTER" start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p 5432

psql_admin() { as_root su postgres -c "psql -v ON_ERROR_STOP=1 -q $*"; }
psql_admin "-tc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
  psql_admin "-c \"CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD'\""
for db in "${PG_DATABASES[@]}"; do
  psql_admin "-tc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 ||
    psql_admin "-c \"CREATE DATABASE $db OWNER $PG_USER\""
done

# Redis on loopback only, no persistence (a cache of presence and room listings).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes >/dev/null
fi
for _ in $(seq 1 20); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 0.5
done
redis-cli -h 127.0.0.1 -p 6379 ping

echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/rally_test and redis://127.0.0.1:6379 are up"
