#!/usr/bin/env bash
# Create .venv and install Choeur into it (editable), with the extras named as arguments.
# Re-installs only when pyproject.toml changed since the last install of the same extras.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${CHOEUR_VENV:-.venv}
extras=$(IFS=,; echo "$*")
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
stamp="$VENV/.installed-${extras:-base}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "== Creating the virtualenv in $VENV"
  python3 -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== Installing Choeur ($spec) into $VENV"
  log=$(mktemp)
  # pip's own exit status decides; its output is shown without the noise of local index notes.
  if ! { "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip &&
         "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"; } >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2 || true
    rm -f "$log"
    echo "choeur: installing $spec into $VENV failed" >&2
    exit 1
  fi
  grep -v '^WARNING: Location' "$log" || true
  rm -f "$log"
  touch "$stamp"
fi
