#!/usr/bin/env bash
# Shared by `npm run demo` and `npm test`: system packages, then npm dependencies when the lock file
# changed since the last install (a stamp inside node_modules remembers which lock was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap
stamp=node_modules/.arbiter-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional
  # packages (biome, swc, oxide binaries), and `npm ci` then refuses the lock as out of sync.
  echo "setup: installing npm dependencies from package-lock.json (~330 packages; 2–3 minutes the first time)…" >&2
  npm install --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi
