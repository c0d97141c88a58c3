#!/usr/bin/env bash
# `make security`: Django's deployment checks (`manage.py check --deploy`) under production settings,
# with made-up secrets generated for this run only and a throwaway SQLite database. Warnings fail.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
scratch=$(mktemp -d -t hotline-check-deploy.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
key() { "$PY" -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"; }
token() { "$PY" -c "import secrets; print(secrets.token_urlsafe($1))"; }
# Only the variables below: whatever the caller's environment holds (a developer's DATABASE_URL,
# HOTLINE_DEBUG) must not change what is checked.
env -i PATH="$PATH" LANG=C.UTF-8 \
  HOTLINE_ENV=production \
  HOTLINE_SECRET_KEY="$(token 50)" \
  HOTLINE_DATA_KEYS="k2:$(key),k1:$(key)" \
  HOTLINE_INDEX_KEY="$(token 32)" \
  HOTLINE_ALLOWED_HOSTS=hotline.example.org \
  HOTLINE_PUBLIC_URL=https://hotline.example.org \
  HOTLINE_VAR_DIR="$scratch/var" \
  HOTLINE_STATIC_ROOT="$scratch/static" \
  DATABASE_URL="sqlite:///$scratch/hotline.sqlite3" \
  "$PY" manage.py check --deploy --fail-level WARNING
