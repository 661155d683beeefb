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
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 \
    | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" 2>&1 \
    | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c "import choeur, django" # fail here, clearly, if the install did not work
  touch "$stamp"
fi
