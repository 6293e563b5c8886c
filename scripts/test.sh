#!/usr/bin/env bash
# npm test: install what is missing, then lint, typecheck, unit tests (vitest; again on a throwaway
# PostgreSQL for the *.pg.test.ts files), trainer tests
# (pytest on Debian's python3, then again on torch 2 + transformers + peft), a production build, the
# Playwright e2e suite, and its campaign/admin/training specs again with the app on PostgreSQL. Every suite runs even when an earlier one fails; the last line totals them:
# `N passed, N failed` (skips are listed per suite above it).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p .tmp
rm -f .tmp/vitest-results.json .tmp/vitest-pg-results.json .tmp/e2e-results.json .tmp/e2e-pg-results.json .tmp/pytest-results.xml .tmp/pytest-hf-results.xml
PY="${ARBITER_PYTHON:-/usr/bin/python3}"
results=()

step() { # step NAME COMMAND… : a check that counts as one test
  local name=$1; shift
  echo; echo "━━ $name"
  if "$@"; then results+=("$name 1 0"); else results+=("$name 0 1"); fi
}

step lint npx biome ci .
step typecheck npx tsc --noEmit

echo; echo "━━ unit (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest-results.json
results+=("unit $(node -e '
  try { const r = require("./.tmp/vitest-results.json"); console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests ? 0 : 1), r.numPendingTests + r.numTodoTests); }
  catch { console.log("0 1 0"); }')")

# A throwaway PostgreSQL cluster (scripts/pg-cluster.sh) for the *.pg.test.ts files (each makes its own
# database on it) and the e2e run on PostgreSQL; removed at the end whatever happens.
pg_cluster=""
if pg_cluster=$(bash scripts/pg-cluster.sh start); then
  trap 'bash scripts/pg-cluster.sh stop "${pg_cluster%% *}"' EXIT
else
  pg_cluster=""
fi
echo; echo "━━ unit-pg (vitest on PostgreSQL)"
rm -f .tmp/vitest-pg-results.json
if [[ -n "$pg_cluster" ]]; then
  ARBITER_TEST_PG_URL="${pg_cluster#* }" npx vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest-pg-results.json .pg.test.ts
fi
results+=("unit-pg $(node -e '
  try { const r = require("./.tmp/vitest-pg-results.json"); console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests ? 0 : 1), r.numPendingTests + r.numTodoTests); }
  catch { console.log("0 1 0"); }')")

pytest_counts() { # pytest_counts JUNIT_XML → "passed failed skipped"
  node -e '
    try {
      const x = require("fs").readFileSync(process.argv[1], "utf8");
      const a = (k) => Number((x.match(new RegExp(`<testsuite[^>]* ${k}="(\\d+)"`)) || [0, 0])[1]);
      const failed = a("failures") + a("errors");
      console.log(a("tests") - failed - a("skipped"), failed, a("skipped"));
    } catch { console.log("0 1 0"); }' "$1"
}

echo; echo "━━ trainer (pytest, Debian's python3-torch)"
(cd server/trainer && "$PY" -m pytest -q -p no:cacheprovider --junitxml=../../.tmp/pytest-results.xml)
results+=("trainer $(pytest_counts .tmp/pytest-results.xml)")

# The same suite on torch 2 with transformers/peft (tests/test_hf.py runs there instead of skipping), in a
# venv built from server/trainer/requirements-hf.txt. Skipped, and said so, where pip can reach no index.
echo; echo "━━ trainer-hf (pytest, torch 2 + transformers + peft)"
if HF_PY=$(bash scripts/trainer-hf-env); then
  (cd server/trainer && ARBITER_PYTHON="$HF_PY" "$HF_PY" -m pytest -q -p no:cacheprovider --junitxml=../../.tmp/pytest-hf-results.xml)
  results+=("trainer-hf $(pytest_counts .tmp/pytest-hf-results.xml)")
else
  echo "trainer-hf: SKIPPED, the venv could not be built (see above)"
  results+=("trainer-hf 0 0 1")
fi

step build npx next build

echo; echo "━━ e2e (playwright)"
npx playwright test
results+=("e2e $(node -e '
  try { const s = require("./.tmp/e2e-results.json").stats; console.log(s.expected + s.flaky, s.unexpected + (s.expected + s.flaky + s.unexpected === 0 ? 1 : 0), s.skipped); }
  catch { console.log("0 1 0"); }')")

# A failed or flaky e2e test: the server's side of it (the tail of its log) goes with the report.
if node -e 'const s = require("./.tmp/e2e-results.json").stats; process.exit(s.unexpected + s.flaky > 0 ? 0 : 1)' 2>/dev/null \
  && [[ -f .tmp/e2e-server.log ]]; then
  echo; echo "━━ e2e server log (last 40 lines of .tmp/e2e-server.log)"; tail -n 40 .tmp/e2e-server.log
fi

# The same build and server on PostgreSQL (playwright.pg.config.ts: the campaign, admin and training specs).
echo; echo "━━ e2e-pg (playwright, the app on PostgreSQL)"
if [[ -n "$pg_cluster" ]]; then
  E2E_PG_URL="${pg_cluster#* }" npx playwright test --config playwright.pg.config.ts
fi
results+=("e2e-pg $(node -e '
  try { const s = require("./.tmp/e2e-pg-results.json").stats; console.log(s.expected + s.flaky, s.unexpected + (s.expected + s.flaky + s.unexpected === 0 ? 1 : 0), s.skipped); }
  catch { console.log("0 1 0"); }')")
if node -e 'const s = require("./.tmp/e2e-pg-results.json").stats; process.exit(s.unexpected + s.flaky > 0 ? 0 : 1)' 2>/dev/null \
  && [[ -f .tmp/e2e-pg-server.log ]]; then
  echo; echo "━━ e2e-pg server log (last 40 lines of .tmp/e2e-pg-server.log)"; tail -n 40 .tmp/e2e-pg-server.log
fi

node scripts/test-failures.mjs || true

echo; echo "━━ summary"
passed=0; failed=0; skipped=0
for r in "${results[@]}"; do
  read -r name p f k <<<"$r"
  k=${k:-0}
  printf '  %-10s %5s passed %5s failed %5s skipped\n' "$name" "$p" "$f" "$k"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + k))
done
echo "  skipped: $skipped (not in the totals)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
