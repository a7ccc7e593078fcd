#!/usr/bin/env bash
# Runs every test of the workspace, the same way on a fresh machine and in CI:
#   1. installs, once, DynamoDB Local, moto and the template linters into .cache/test-servers/,
#      and for the browser tests Debian's chromium + chromium-driver (apt), axe-core and lighthouse (npm)
#   2. starts DynamoDB Local and moto's SQS on free ports, exports the AWS_* env for them
#   3. smoke-checks both servers, lints template.yaml (cfn-lint, sam validate --lint), then
#      cargo fmt --check, clippy -D warnings, cargo nextest run (cargo test without nextest), doc tests
#   4. stops the servers on every exit: success, failure, Ctrl-C, SIGTERM
#
# usage: infra/scripts/test-all.sh [ARGS FOR cargo nextest run...]
#   e.g. infra/scripts/test-all.sh -p lapor-tests -E 'test(/privacy/)'
# env:
#   LAPOR_SKIP_CARGO=1       do everything but the cargo steps (to check the servers)
#   LAPOR_SKIP_LINTERS=1     do not install cfn-lint / aws-sam-cli (ignored when CI=true)
#   LAPOR_REQUIRE_SERVERS=1  a missing java/npm/python3 fails (always so when CI=true)
#   LAPOR_REQUIRE_BROWSER=1  a missing chromium/chromedriver/axe-core/lighthouse fails (always so when CI=true)
#   LAPOR_SERVER_TIMEOUT=60  seconds to wait for each server
#   LAPOR_DYNAMODB_PORT, LAPOR_MOTO_PORT   fixed ports instead of free ones
set -euo pipefail
# shellcheck source=infra/scripts/lib-test-servers.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-test-servers.sh"
cd "$LTS_ROOT"

T_ALL=$(lts_ms)
SUMMARY=()
CURRENT=
CURRENT_T0=

say() { printf '[test-all] %s\n' "$*" >&2; }

finish() {
  local rc=$? line
  trap - EXIT INT TERM
  set +e
  if [ -n "$CURRENT" ]; then
    if [ "$rc" -ge 128 ]; then line="INTERRUPTED (signal $((rc - 128)))"; else line="FAILED (exit $rc)"; fi
    SUMMARY+=("$(printf '%-9s %9s  %s' "$CURRENT" "$(lts_fmt_ms $(($(lts_ms) - CURRENT_T0)))" "$line")")
  fi
  if [ -n "$LTS_RUN_DIR" ]; then
    local t
    t=$(lts_ms)
    lts_stop_servers
    say "servers stopped ($(lts_fmt_ms $(($(lts_ms) - t))))"
  fi
  say "---- summary ----"
  for line in "${SUMMARY[@]}"; do say "$line"; done
  say "$(printf '%-9s %9s  %s' total "$(lts_fmt_ms $(($(lts_ms) - T_ALL)))" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")")"
  exit "$rc"
}
# On Ctrl-C / SIGTERM: stop the running cargo (see run_group), then finish().
CHILD_PG=
on_signal() {
  if [ -n "$CHILD_PG" ]; then
    say "stopping $CHILD_PG ($1)"
    lts_kill_group "$CHILD_PG" cargo
  fi
  exit "$2"
}
trap finish EXIT
trap 'on_signal SIGINT 130' INT
trap 'on_signal SIGTERM 143' TERM

# step NAME CMD...: runs CMD; under set -e a failure exits and finish() reports it.
step() {
  local name=$1 state=ok
  shift
  CURRENT=$name CURRENT_T0=$(lts_ms)
  say "==> $name: $*"
  "$@"
  if [ "${STEP_SKIPPED:-}" = 1 ]; then state=skipped; fi
  STEP_SKIPPED=
  SUMMARY+=("$(printf '%-9s %9s  %s' "$name" "$(lts_fmt_ms $(($(lts_ms) - CURRENT_T0)))" "$state")")
  say "<== $name $state ($(lts_fmt_ms $(($(lts_ms) - CURRENT_T0))))"
  CURRENT=
}

# run_group CMD...: runs CMD in its own process group and waits for it. Unlike
# a foreground command, this `wait` returns at once on SIGTERM too (bash runs
# traps only between foreground commands), and on_signal can then stop cargo
# with every test binary it started.
run_group() {
  local rc=0
  setsid "$@" &
  CHILD_PG=$!
  # so that the watchdog also stops cargo if this script is killed with -9
  if [ -n "$LTS_RUN_DIR" ]; then echo "$CHILD_PG" >>"$LTS_RUN_DIR/pgids"; fi
  wait "$CHILD_PG" || rc=$?
  CHILD_PG=
  return "$rc"
}

cargo_step() {
  if [ "${LAPOR_SKIP_CARGO:-}" = 1 ]; then
    say "LAPOR_SKIP_CARGO=1: not running: $*"
    STEP_SKIPPED=1
    return 0
  fi
  run_group "$@"
}

check_cargo() {
  [ "${LAPOR_SKIP_CARGO:-}" = 1 ] && return 0
  command -v cargo >/dev/null 2>&1 || lts_die "cargo not found (install Rust with rustup)"
  cargo fmt --version >/dev/null 2>&1 || lts_die "cargo fmt not found: rustup component add rustfmt"
  cargo clippy --version >/dev/null 2>&1 || lts_die "cargo clippy not found: rustup component add clippy"
}

start_servers() { lts_start_servers $$; }
smoke() { "$LTS_VENV/bin/python" infra/scripts/smoke-test-servers.py; }

# cfn-lint and `sam validate --lint` on template.yaml. Both work offline but need a region.
# They miss rules AWS enforces only at deploy time; the Rust template tests cover those.
lint_template() {
  local bin=$LTS_VENV/bin
  if [ ! -f "$LTS_VENV/.lapor-linters" ]; then
    say "cfn-lint / sam not installed (LAPOR_SKIP_LINTERS=1): template.yaml not linted"
    STEP_SKIPPED=1
    return 0
  fi
  AWS_DEFAULT_REGION=$LTS_REGION "$bin/cfn-lint" template.yaml
  AWS_DEFAULT_REGION=$LTS_REGION SAM_CLI_TELEMETRY=0 "$bin/sam" validate --lint --template template.yaml
}

if lts_is_ci; then
  v() { if command -v "$1" >/dev/null 2>&1; then "$@" 2>&1 | head -n1; else echo "no $1"; fi; }
  say "CI: $(v java -version); node $(v node --version); npm $(v npm --version); $(v python3 --version); $(v cargo --version)"
fi
check_cargo

if lts_check_tools; then
  step install lts_install_all
  step servers start_servers
  lts_export_env
  say "env: $(for v in AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_S3 AWS_REGION LAPOR_TEST_SERVERS LAPOR_TOOLS_BIN; do printf '%s=%s ' "$v" "${!v}"; done)"
  step smoke smoke
  step template lint_template
else
  unset LAPOR_TEST_SERVERS
  SUMMARY+=("$(printf '%-9s %9s  %s' servers - 'SKIPPED: java/npm/python3 missing, server tests skip themselves')")
fi

# The browser tests' chromium, chromedriver, axe-core and lighthouse (apt and npm, once); the
# tests start chromedriver themselves. Missing outside CI: those tests skip themselves.
browser_tools() {
  if lts_install_browser_tools && lts_export_browser_env; then
    say "env: $(for v in "${LTS_BROWSER_VARS[@]}"; do printf '%s=%s ' "$v" "${!v}"; done)"
  else
    unset "${LTS_BROWSER_VARS[@]}"
    STEP_SKIPPED=1
  fi
}
step browser browser_tools

step fmt cargo_step cargo fmt --all -- --check
step clippy cargo_step cargo clippy --workspace --all-targets -- -D warnings
# nextest runs each test in its own process, both cores busy to the end; `cargo test` would run
# the one integration binary's tests in one process and wait on its slowest. Doc tests are not
# nextest's: they run after, on the build the tests already made.
if cargo nextest --version >/dev/null 2>&1; then
  step test cargo_step cargo nextest run --workspace --no-fail-fast "$@"
  step doctest cargo_step cargo test --workspace --doc
elif lts_is_ci; then
  lts_die "cargo-nextest not found (cargo install cargo-nextest --locked)"
else
  say "cargo-nextest not found: running cargo test (slower)"
  step test cargo_step cargo test --workspace "$@"
fi
