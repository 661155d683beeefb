#!/usr/bin/env bash
# `make run`: virtualenv, migrations on the SQLite database of the data directory, a first
# administrator, then the portal (gunicorn) with one background worker.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh
.venv/bin/choeur migrate
.venv/bin/choeur createadmin --if-none
exec .venv/bin/choeur serve
