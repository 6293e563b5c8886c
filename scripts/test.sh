#!/usr/bin/env bash
# npm test: install what is missing, then lint, typecheck, unit tests (vitest), trainer tests
# (pytest on Debian's python3), a production build and the Playwright e2e suite. Every suite runs
# even when an earlier one fails; the last line totals them: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p .tmp
rm -f .tmp/vitest-results.json .tmp/e2e-results.json .tmp/pytest-results.xml
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
  try { const r = require("./.tmp/vitest-results.json"); console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests ? 0 : 1)); }
  catch { console.log("0 1"); }')")

echo; echo "━━ trainer (pytest)"
if [ -d server/trainer/tests ]; then
  (cd server/trainer && "$PY" -m pytest -q -p no:cacheprovider --junitxml=../../.tmp/pytest-results.xml)
  results+=("trainer $(node -e '
    try {
      const x = require("fs").readFileSync(".tmp/pytest-results.xml", "utf8");
      const a = (k) => Number((x.match(new RegExp(`<testsuite[^>]* ${k}="(\\d+)"`)) || [0, 0])[1]);
      const failed = a("failures") + a("errors");
      console.log(a("tests") - failed - a("skipped"), failed);
    } catch { console.log("0 1"); }')")
fi

step build npx next build

echo; echo "━━ e2e (playwright)"
npx playwright test
results+=("e2e $(node -e '
  try { const s = require("./.tmp/e2e-results.json").stats; console.log(s.expected + s.flaky, s.unexpected + (s.expected + s.flaky + s.unexpected === 0 ? 1 : 0)); }
  catch { console.log("0 1"); }')")

echo; echo "━━ summary"
passed=0; failed=0
for r in "${results[@]}"; do
  read -r name p f <<<"$r"
  printf '  %-10s %5s passed %5s failed\n' "$name" "$p" "$f"
  passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
