#!/usr/bin/env bash
# Refreshes docs/screenshots/ (shown in the README) from the browser tests: installs what they
# need (Debian's chromium + chromium-driver, axe-core; see lib-test-servers.sh), runs the browser
# journeys (tests/tests/it/browser/), which save every page they visit at a phone's (360 px) and a
# desktop's (1280 px) width into target/screenshots/, and copies the ones listed below.
#
# usage: infra/scripts/screenshots.sh
set -euo pipefail
# shellcheck source=infra/scripts/lib-test-servers.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-test-servers.sh"
cd "$LTS_ROOT"

# The screenshots the README shows, as the journeys name them (tests/tests/it/browser/): the
# citizens' pages at a phone's width, the console at a desktop's; few, so that docs/screenshots/
# stays under 500 KB. target/screenshots/ has every visited page at both widths.
SHOWN=(
  home-phone
  sent-phone
  track-question-phone
  public-report-phone
  officer-inbox-desktop
  officer-report-desktop
  verifier-triage-desktop
)
SHOTS=target/screenshots
DOCS=docs/screenshots

LAPOR_REQUIRE_BROWSER=1 lts_install_browser_tools
lts_export_browser_env || lts_die "the browser tools are not all installed"

rm -rf "$SHOTS"
# The journeys only: Lighthouse (infra/scripts/lighthouse.sh) takes no screenshot.
filter='test(/^browser::/) - test(/lighthouse/)'
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p lapor-tests --no-fail-fast -E "$filter"
else
  cargo test -p lapor-tests --test it -- browser:: --skip lighthouse
fi

missing=()
for shot in "${SHOWN[@]}"; do
  [ -f "$SHOTS/$shot.png" ] || missing+=("$SHOTS/$shot.png")
done
((${#missing[@]} == 0)) || lts_die "the journeys saved no ${missing[*]}"

rm -rf "$DOCS"
mkdir -p "$DOCS"
for shot in "${SHOWN[@]}"; do cp "$SHOTS/$shot.png" "$DOCS/"; done
lts_log "$DOCS/: ${#SHOWN[@]} screenshots, $(du -sh "$DOCS" | cut -f1) (all $(find "$SHOTS" -name '*.png' | wc -l) in $SHOTS/)"
