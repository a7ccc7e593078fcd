#!/usr/bin/env bash
# Builds the functions for Lambda: `sam build` with template.yaml's BuildMethod rust-cargolambda,
# which runs `cargo lambda build --release [--arm64] --bin <Binary>` for each function and
# links with zig (cargo-lambda's cross linker), so the same command builds either architecture.
#
# usage: infra/scripts/sam-build.sh [x86_64|arm64|all]
#   (none)  x86_64, and arm64 too when the aarch64-unknown-linux-gnu Rust target is installed
#   x86_64  x86_64 only
#   arm64   arm64 only (fails when the target is not installed)
#   all     both (fails when the arm64 target is not installed)
# Output: .aws-sam/build-<arch>/template.yaml and one folder per function (bootstrap inside),
# ready for `sam deploy --template-file .aws-sam/build-<arch>/template.yaml`.
#
# Installs, once, into .cache/ (git-ignored):
#   .cache/test-servers/venv   SAM CLI (with cfn-lint, moto: see lib-test-servers.sh)
#   .cache/sam-build/venv      cargo-lambda and ziglang, pinned in sam-build-constraints.txt
# The cargo-lambda venv stays at this path: cargo-lambda writes the zig path into the linker
# wrappers it hands to cargo, and a different path makes cargo rebuild every crate.
#
# env:
#   CARGO_TARGET_DIR   where cargo builds (default: target/); cargo-lambda builds into
#                      <dir>/<triple>/release and SAM copies from <dir>/lambda/<binary>/
#   SAM_BUILD_ARGS     extra arguments for `sam build` (e.g. "--cached")
set -euo pipefail
# shellcheck source=infra/scripts/lib-test-servers.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-test-servers.sh"
cd "$LTS_ROOT"

SB_CACHE=$LTS_ROOT/.cache/sam-build
SB_VENV=$SB_CACHE/venv
SB_CONSTRAINTS=$LTS_ROOT/infra/scripts/sam-build-constraints.txt
SB_REQ=cargo-lambda==1.9.2
ARM_TARGET=aarch64-unknown-linux-gnu

say() { printf '[sam-build] %s\n' "$*" >&2; }
die() {
  printf '[sam-build] ERROR: %s\n' "$*" >&2
  exit 1
}

arm64_target_installed() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$ARM_TARGET"
}

want=${1:-default}
case $want in
default) archs=(x86_64) && if arm64_target_installed; then archs+=(arm64); fi ;;
x86_64) archs=(x86_64) ;;
arm64) archs=(arm64) ;;
all) archs=(x86_64 arm64) ;;
*) die "unknown architecture '$want' (x86_64, arm64 or all)" ;;
esac
for arch in "${archs[@]}"; do
  if [ "$arch" = arm64 ] && ! arm64_target_installed; then
    die "arm64 needs the Rust target: rustup target add $ARM_TARGET"
  fi
done
if [ "$want" = default ] && ! arm64_target_installed; then
  say "arm64 skipped: the $ARM_TARGET Rust target is not installed (rustup target add $ARM_TARGET)"
fi

command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"

# SAM CLI: the test-tools venv (lts_install_linters installs cfn-lint and aws-sam-cli there).
unset LAPOR_SKIP_LINTERS # sam is what this script is for
lts_install_lock
lts_install_venv
lts_install_linters
lts_install_unlock

# cargo-lambda + ziglang: own venv, so the test-tools venv and its constraints stay as they are.
sb_marker=$SB_VENV/.lapor-cargo-lambda
sb_want="$SB_REQ constraints=$(sha1sum "$SB_CONSTRAINTS" | cut -c1-12)"
if [ ! -f "$sb_marker" ] || [ "$(cat "$sb_marker")" != "$sb_want" ]; then
  say "installing $SB_REQ (with ziglang) into ${SB_VENV#"$LTS_ROOT"/}"
  t0=$(lts_ms)
  rm -rf "$SB_VENV"
  mkdir -p "$SB_CACHE"
  python3 -m venv "$SB_VENV" || die "python3 -m venv $SB_VENV failed"
  if ! "$SB_VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -c "$SB_CONSTRAINTS" "$SB_REQ" >"$SB_CACHE/install.log" 2>&1; then
    tail -n 30 "$SB_CACHE/install.log" >&2
    die "pip install $SB_REQ failed (log: $SB_CACHE/install.log)"
  fi
  "$SB_VENV/bin/cargo-lambda" lambda --version >/dev/null || die "cargo-lambda installed but does not run"
  "$SB_VENV/bin/python" -m ziglang version >/dev/null || die "ziglang installed but does not run"
  printf '%s\n' "$sb_want" >"$sb_marker"
  say "installed in $(lts_fmt_ms $(($(lts_ms) - t0)))"
fi

# cargo-lambda finds zig as `python3 -m ziglang` when no `zig` is on PATH: the python3 first on
# PATH must be this venv's. sam comes from the test-tools venv (its own interpreter, by shebang).
export PATH=$SB_VENV/bin:$LTS_VENV/bin:$PATH
export SAM_CLI_TELEMETRY=0
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$LTS_ROOT/target}

for arch in "${archs[@]}"; do
  dir=.aws-sam/build-$arch
  say "==> sam build ($arch) into $dir, CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
  t0=$(lts_ms)
  # shellcheck disable=SC2086 # SAM_BUILD_ARGS is a list of words
  sam build --template-file template.yaml --build-dir "$dir" \
    --parameter-overrides "Architecture=$arch" ${SAM_BUILD_ARGS:-}
  say "<== $arch built in $(lts_fmt_ms $(($(lts_ms) - t0))):"
  for f in "$dir"/*/bootstrap; do
    say "    $f $(stat -c %s "$f") bytes"
  done
done
