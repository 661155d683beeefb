#!/usr/bin/env bash
# `make test`: install what the tests need, lint, then run the whole suite twice:
# on SQLite, and on a throwaway PostgreSQL 15 cluster started here and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CHROMIUM=${CHOEUR_CHROMIUM:-/usr/bin/chromium}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

# --- Debian packages ----------------------------------------------------------------------
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Python packages, lint ---------------------------------------------------------------
# The s3 extra too: tests/test_multinode.py runs nodes on an S3 bucket (moto's server).
scripts/venv.sh test s3
echo "== Lint (ruff)"
.venv/bin/ruff check src tests bench

PYTEST=(.venv/bin/pytest -p no:cacheprovider "$@")
artifacts=${CHOEUR_TEST_ARTIFACTS:-$PWD/test-artifacts}
rm -rf "$artifacts/sqlite" "$artifacts/postgresql"  # screenshots of failures of this run only
work=$(mktemp -d /tmp/choeur-test.XXXXXX)
chmod 755 "$work"
pg_data="$work/pg"
as_pg=()

cleanup() {
  if [ -f "$pg_data/postmaster.pid" ]; then
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- Run 1: SQLite -----------------------------------------------------------------------
echo
echo "================================ Run 1/2: SQLite ================================"
sqlite_status=0
CHOEUR_DATA_DIR="$work/sqlite" CHOEUR_DATABASE_URL="" CHOEUR_TEST_ARTIFACTS="$artifacts/sqlite" \
  "${PYTEST[@]}" || sqlite_status=$?

# --- Run 2: throwaway PostgreSQL 15 cluster ------------------------------------------------
echo
echo "=========================== Run 2/2: PostgreSQL 15 =============================="
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres system user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  mkdir -p "$pg_data" && chown postgres: "$pg_data"
  as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$PG_BIN/initdb" -D "$pg_data" -U choeur --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# fsync off: a test cluster that is thrown away needs no durability, and tests run faster.
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -o \
  "-p $port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U choeur choeur
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($pg_data)"
pg_status=0
CHOEUR_DATA_DIR="$work/postgresql" CHOEUR_DATABASE_URL="postgresql://choeur@127.0.0.1:$port/choeur" \
  CHOEUR_TEST_ARTIFACTS="$artifacts/postgresql" "${PYTEST[@]}" || pg_status=$?

echo
echo "== Summary: SQLite run exit status $sqlite_status, PostgreSQL run exit status $pg_status"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
