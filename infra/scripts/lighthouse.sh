#!/usr/bin/env bash
# Lighthouse 12.2.3 (npm, on the installed Node) with CHROME_PATH at Debian's chromium, in its
# default mobile emulation, on LAPOR's home page, the page after sending a report, the reporter's
# tracking page and an officer's inbox; prints the accessibility, best-practices and performance
# scores (also in target/lighthouse/scores.md, the JSON reports beside the test's runner).
#
# It runs the browser test `browser::lighthouse` (tests/tests/it/browser/lighthouse.rs), which
# starts lapor-local on an empty data directory, sends a report through the form and signs an
# officer in with a real browser, runs Lighthouse on each page with that browser's cookies, and
# fails unless accessibility is 100 and best practices >= 95. Performance is measured, not
# asserted: it varies with the machine's load.
#
# usage: infra/scripts/lighthouse.sh
set -euo pipefail
# shellcheck source=infra/scripts/lib-test-servers.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-test-servers.sh"
cd "$LTS_ROOT"

LAPOR_REQUIRE_BROWSER=1 lts_install_browser_tools
lts_export_browser_env || lts_die "the browser tools are not all installed"

rm -f target/lighthouse/scores.md
rc=0
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p lapor-tests --no-capture -E 'test(/^browser::lighthouse::/)' || rc=$?
else
  cargo test -p lapor-tests --test it -- browser::lighthouse:: --nocapture || rc=$?
fi
if [ -f target/lighthouse/scores.md ]; then
  printf '\nLighthouse %s, mobile (%s):\n\n' "${LTS_LIGHTHOUSE_NPM_PKG#lighthouse@}" "$("$LAPOR_CHROME" --version 2>/dev/null)"
  cat target/lighthouse/scores.md
fi
exit "$rc"
