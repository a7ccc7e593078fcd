#!/usr/bin/env bash
# Local test servers for developers who keep them up while iterating.
#
#   eval "$(infra/scripts/test-servers.sh start)"   # install once, start (or reuse), export the env
#   cargo test -p lapor-tests                        # ... iterate ...
#   eval "$(infra/scripts/test-servers.sh stop)"    # stop them, unset the env
#   infra/scripts/test-servers.sh status | install | env
#
# Messages go to stderr; stdout carries only shell lines meant for eval.
# infra/scripts/test-all.sh starts its own servers and does not need these.
set -euo pipefail
# shellcheck source=infra/scripts/lib-test-servers.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-test-servers.sh"

# Is the leader of process group $1 still the server we started ($2: pattern)?
# Guards against killing an unrelated process that got a recycled pid.
pid_is() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$2"
}

load_state() {
  [ -f "$LTS_DEV_STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$LTS_DEV_STATE"
}

running() {
  load_state &&
    pid_is "$LTS_DDB_PGID" DynamoDBLocal.jar && pid_is "$LTS_MOTO_PGID" moto_server &&
    lts_probe_dynamodb "$LTS_DDB_PORT" && lts_probe_moto "$LTS_MOTO_PORT"
}

stop_dev() {
  if load_state; then
    if pid_is "$LTS_DDB_PGID" DynamoDBLocal.jar; then lts_kill_group "$LTS_DDB_PGID" dynamodb; fi
    if pid_is "$LTS_MOTO_PGID" moto_server; then lts_kill_group "$LTS_MOTO_PGID" moto; fi
    rm -f "$LTS_DEV_STATE"
    lts_log "stopped DynamoDB Local (port $LTS_DDB_PORT) and moto (port $LTS_MOTO_PORT)"
  else
    lts_log "no servers recorded in $LTS_DEV_STATE"
  fi
}

case ${1:-} in
start)
  if running; then
    lts_log "already running: DynamoDB Local on $LTS_DDB_PORT, moto on $LTS_MOTO_PORT (logs: $LTS_RUN_DIR)"
  else
    [ ! -f "$LTS_DEV_STATE" ] || stop_dev
    lts_check_tools || exit 1
    lts_install_all
    trap 'lts_stop_servers' EXIT # only if the start fails half-way
    t0=$(lts_ms)
    lts_start_servers "" || exit 1 # no watchdog: the servers outlive this script
    trap - EXIT
    cat >"$LTS_DEV_STATE" <<EOF
LTS_DDB_PORT=$LTS_DDB_PORT
LTS_MOTO_PORT=$LTS_MOTO_PORT
LTS_DDB_PGID=$LTS_DDB_PGID
LTS_MOTO_PGID=$LTS_MOTO_PGID
LTS_RUN_DIR=$LTS_RUN_DIR
EOF
    lts_log "started in $(lts_fmt_ms $(($(lts_ms) - t0))); stop with: eval \"\$(infra/scripts/test-servers.sh stop)\""
  fi
  lts_export_env
  lts_print_exports
  ;;
env)
  running || lts_die "not running; use: eval \"\$(infra/scripts/test-servers.sh start)\""
  lts_export_env
  lts_print_exports
  ;;
stop)
  stop_dev
  printf 'unset %s;\n' "${LTS_EXPORT_VARS[*]}"
  ;;
status)
  if running; then
    lts_log "running: DynamoDB Local on 127.0.0.1:$LTS_DDB_PORT (pgid $LTS_DDB_PGID), moto on 127.0.0.1:$LTS_MOTO_PORT (pgid $LTS_MOTO_PGID), logs in $LTS_RUN_DIR"
  else
    lts_log "not running"
    exit 1
  fi
  ;;
install)
  lts_check_tools || exit 1
  lts_install_all
  lts_log "installed in $LTS_CACHE"
  ;;
*)
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
