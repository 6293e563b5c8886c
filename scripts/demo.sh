#!/usr/bin/env bash
# npm run demo: install what is missing, migrate, seed a demo project and demo users, build, serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ARBITER_DB="${ARBITER_DB:-data/demo.db}"
export ARBITER_DEMO=1
export PORT="${PORT:-3000}"
logins=$(npx tsx scripts/seed-demo.ts)
echo "demo: building the app (next build)…" >&2
npx next build >/tmp/arbiter-build.log 2>&1 || { cat /tmp/arbiter-build.log; exit 1; }
echo "$logins"
exec npx tsx server/main.ts
