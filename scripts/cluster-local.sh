#!/usr/bin/env bash
# The docker-compose topology on this machine, without Docker: two app
# instances on two ports behind Debian's nginx, rendered from
# deploy/nginx.conf. Everything lives in one run directory; nothing
# system-wide is touched and no privileged port is needed.
#
#   scripts/cluster-local.sh start          build if needed, start A, B and nginx, wait until ready
#   scripts/cluster-local.sh status         pids and /health/ready of each part (exit 3 when not all ready)
#   scripts/cluster-local.sh restart a|b    drain the instance from nginx, SIGTERM it, start it again, put it back
#                     [--no-drain]        SIGTERM and start only, nginx unchanged (what an unannounced restart costs)
#   scripts/cluster-local.sh stop           nginx first (graceful), then both instances (SIGTERM)
#
# Settings (environment of `start`; later commands read them from the run directory):
#   CLUSTER_DIR     run directory         default ${TMPDIR:-/tmp}/techmart-cluster-<uid>
#   CLUSTER_PORT    nginx port            default 8080
#   CLUSTER_PORT_A  instance A port       default 3001
#   CLUSTER_PORT_B  instance B port       default 3002
#   CLUSTER_NAME    METRICS_INSTANCE_ID prefix (<name>-a, <name>-b)   default techmart
#   CLUSTER_SOURCE  1: run src/ through tsx instead of building dist/
#   CLUSTER_NGINX   nginx binary          default: nginx on PATH, else /usr/sbin/nginx
# Every other variable (DATABASE_URL, REDIS_URL, RATE_LIMIT_WHITELIST, ALERT_*, ...) goes to
# both instances unchanged. The database must be migrated already (npm run migrate).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${CLUSTER_DIR:-${TMPDIR:-/tmp}/techmart-cluster-$(id -u)}
READY_TIMEOUT_S=90
DRAIN_TIMEOUT_S=30

log () { printf '[cluster] %s\n' "$*" >&2; }
die () { log "error: $*"; exit 1; }

usage () {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

# ---- settings ---------------------------------------------------------------

# The settings from the environment (CLUSTER_*), with their defaults.
default_settings () {
  LB_PORT=${CLUSTER_PORT:-8080}
  PORT_A=${CLUSTER_PORT_A:-3001}
  PORT_B=${CLUSTER_PORT_B:-3002}
  NAME=${CLUSTER_NAME:-techmart}
  SOURCE=${CLUSTER_SOURCE:-0}
  NGINX_BIN=${CLUSTER_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
  # The app waits SHUTDOWN_GRACE_MS (10 s by default) for in-flight requests; allow that and a margin.
  STOP_TIMEOUT_S=$(( ${SHUTDOWN_GRACE_MS:-10000} / 1000 + 10 ))
}

# The settings the running cluster was started with, else the defaults.
load_settings () {
  if [[ -f "$DIR/cluster.env" ]]; then
    # shellcheck source=/dev/null
    source "$DIR/cluster.env"
  else
    default_settings
  fi
}

save_settings () {
  mkdir -p "$DIR"
  [[ -O "$DIR" ]] || die "$DIR belongs to another user; set CLUSTER_DIR"
  local var
  for var in LB_PORT PORT_A PORT_B NAME SOURCE NGINX_BIN STOP_TIMEOUT_S; do printf '%s=%q\n' "$var" "${!var}"; done > "$DIR/cluster.env"
  # The instances' environment, NUL-separated, so `restart` gives a new instance the same one.
  env -0 > "$DIR/app.env"
}

port_of () { if [[ $1 == a ]]; then echo "$PORT_A"; else echo "$PORT_B"; fi; }

# The pid in the file is alive and still ours (an instance's server or this run directory's nginx),
# so a stale pid file never gets an unrelated process signalled.
pid_alive () {
  local pid cmd
  [[ -f $1 ]] || return 1
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$DIR/nginx/"* || $cmd == *server.js* || $cmd == *server.ts* ]]
}

# The pid just started from this script still runs (not exited, not a zombie). Its command line
# is not checked: until the child execs it is still this script's.
pid_running () {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

http_status () { curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" || true; }

# ---- build ------------------------------------------------------------------

# Same rule as scripts/start.mjs: rebuild when src/, scripts/ or package.json is newer than the stamp.
build_if_needed () {
  [[ $SOURCE == 1 ]] && return 0
  local stamp="$ROOT/dist/.build-stamp"
  if [[ -f $stamp && -z $(cd "$ROOT" && find src scripts package.json -newer "$stamp" -print -quit) ]]; then return 0; fi
  log "building (tsc -p tsconfig.build.json)"
  (cd "$ROOT" && node node_modules/typescript/bin/tsc -p tsconfig.build.json) || die "build failed"
  date -u +%Y-%m-%dT%H:%M:%SZ > "$stamp"
}

# ---- instances --------------------------------------------------------------

start_instance () { # a|b
  local id=$1 port entry
  port=$(port_of "$id")
  if pid_alive "$DIR/$id.pid"; then die "instance $id already runs (pid $(cat "$DIR/$id.pid"))"; fi
  if [[ $SOURCE == 1 ]]; then entry=(--import tsx src/server.ts); else entry=(dist/src/server.js); fi
  local vars=()
  while IFS= read -r -d '' kv; do vars+=("$kv"); done < "$DIR/app.env"
  (
    cd "$ROOT"
    exec env -i "${vars[@]}" PORT="$port" HOST=127.0.0.1 METRICS_INSTANCE_ID="$NAME-$id" node "${entry[@]}"
  ) >> "$DIR/$id.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$id.pid"
  log "instance $id: pid $! on 127.0.0.1:$port (log $DIR/$id.log)"
}

wait_ready () { # label url pidfile logfile
  local deadline=$((SECONDS + READY_TIMEOUT_S)) pid
  pid=$(cat "$3")
  while (( SECONDS < deadline )); do
    if ! pid_running "$pid"; then
      tail -n 20 "$4" >&2 || true
      die "$1 exited before it was ready (log $4)"
    fi
    [[ $(http_status "$2") == 200 ]] && { log "$1 ready ($2)"; return 0; }
    sleep 0.3
  done
  die "$1 not ready after ${READY_TIMEOUT_S}s ($2)"
}

stop_pid () { # label pidfile signal timeout_s
  local pid deadline
  pid_alive "$2" || { rm -f "$2"; return 0; }
  pid=$(cat "$2")
  kill "-$3" "$pid"
  deadline=$((SECONDS + $4))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      log "$1 (pid $pid) still runs after $4 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.2
  done
  rm -f "$2"
  log "$1 stopped (pid $pid)"
}


# ---- nginx ------------------------------------------------------------------

# nginx in the foreground (run as a background job, so its pid is known at once) with its
# pid file, error log and prefix in the run directory instead of /run and /var/log.
nginx_args () { # config file
  NGINX_ARGS=(-p "$DIR/nginx/" -c "$1" -e "$DIR/nginx/error.log"
    -g "daemon off; pid $DIR/nginx/nginx.pid; error_log $DIR/nginx/error.log warn;")
}

# deploy/nginx.conf with this machine's addresses: app1/app2 → 127.0.0.1:A/B (the
# drained one marked `down`), port 80 → 127.0.0.1:CLUSTER_PORT, temp files in the run directory.
render_nginx () { # [drained instance a|b]
  local drained=${1:-} down_a='' down_b='' conf="$DIR/nginx/nginx.conf"
  [[ $drained == a ]] && down_a=' down'
  [[ $drained == b ]] && down_b=' down'
  mkdir -p "$DIR/nginx/tmp"
  cat > "$DIR/nginx/local.conf" <<EOF
client_body_temp_path $DIR/nginx/tmp/client_body;
proxy_temp_path $DIR/nginx/tmp/proxy;
fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
scgi_temp_path $DIR/nginx/tmp/scgi;
EOF
  sed -E \
    -e "s|^(\s*)server app1:3000( [^;]*)?;|\1server 127.0.0.1:$PORT_A\2$down_a;|" \
    -e "s|^(\s*)server app2:3000( [^;]*)?;|\1server 127.0.0.1:$PORT_B\2$down_b;|" \
    -e "s|^(\s*)listen 80;|\1listen 127.0.0.1:$LB_PORT;|" \
    -e "s|^http \{|http {\n  include $DIR/nginx/local.conf;|" \
    "$ROOT/deploy/nginx.conf" > "$conf.new"
  # deploy/nginx.conf changed shape: say so rather than run something else.
  for line in "server 127.0.0.1:$PORT_A" "server 127.0.0.1:$PORT_B" "listen 127.0.0.1:$LB_PORT;" "include $DIR/nginx/local.conf;"; do
    grep -qF "$line" "$conf.new" || die "could not render deploy/nginx.conf: no line for '$line' (expected 'server app1:3000', 'server app2:3000', 'listen 80;', 'http {')"
  done
  nginx_args "$conf.new"
  ( unset NGINX; exec "$NGINX_BIN" "${NGINX_ARGS[@]}" -t -q ) 2>> "$DIR/nginx/error.log" \
    || { tail -n 5 "$DIR/nginx/error.log" >&2; die "nginx rejects the rendered configuration ($conf.new)"; }
  mv "$conf.new" "$conf"
}

need_nginx () {
  [[ -x $NGINX_BIN ]] || die "nginx not found at '$NGINX_BIN': install Debian's nginx (apt-get install -y nginx) or set CLUSTER_NGINX"
}

nginx_workers () { pgrep -P "$(cat "$DIR/nginx.pid")" || true; }

# Reload the rendered configuration and wait until every worker of the old one has exited:
# from then on no nginx process holds a connection to an instance marked down.
reload_nginx () {
  local old deadline
  old=$(nginx_workers)
  kill -HUP "$(cat "$DIR/nginx.pid")"
  deadline=$((SECONDS + DRAIN_TIMEOUT_S))
  for pid in $old; do
    while kill -0 "$pid" 2>/dev/null; do
      (( SECONDS < deadline )) || die "old nginx worker $pid still runs after ${DRAIN_TIMEOUT_S}s"
      sleep 0.1
    done
  done
}

# ---- commands ---------------------------------------------------------------

cmd_start () {
  default_settings
  export TRUST_PROXY=${TRUST_PROXY:-127.0.0.1}
  export ALERT_EXTERNAL_URL=${ALERT_EXTERNAL_URL:-http://127.0.0.1:$LB_PORT}
  need_nginx
  if pid_alive "$DIR/a.pid" || pid_alive "$DIR/b.pid" || pid_alive "$DIR/nginx.pid"; then
    die "a cluster already runs from $DIR (scripts/cluster-local.sh stop)"
  fi
  save_settings
  # A part that fails to come up stops the parts already started.
  trap 'if (( $? != 0 )); then log "start failed: stopping what was started"; cmd_stop; fi' EXIT
  mkdir -p "$DIR/nginx"
  : > "$DIR/nginx/error.log"
  build_if_needed
  start_instance a
  start_instance b
  wait_ready "instance a" "http://127.0.0.1:$PORT_A/health/ready" "$DIR/a.pid" "$DIR/a.log"
  wait_ready "instance b" "http://127.0.0.1:$PORT_B/health/ready" "$DIR/b.pid" "$DIR/b.log"
  render_nginx
  nginx_args "$DIR/nginx/nginx.conf"
  # (NGINX in the environment would be read as inherited listening sockets.)
  ( unset NGINX; exec "$NGINX_BIN" "${NGINX_ARGS[@]}" ) >> "$DIR/nginx/error.log" 2>&1 < /dev/null &
  echo $! > "$DIR/nginx.pid"
  wait_ready nginx "http://127.0.0.1:$LB_PORT/health/ready" "$DIR/nginx.pid" "$DIR/nginx/error.log"
  trap - EXIT
  log "up: http://127.0.0.1:$LB_PORT (nginx) → A 127.0.0.1:$PORT_A ($NAME-a), B 127.0.0.1:$PORT_B ($NAME-b); run directory $DIR"
}

cmd_stop () {
  load_settings
  stop_pid nginx "$DIR/nginx.pid" QUIT "$DRAIN_TIMEOUT_S"
  stop_pid "instance a" "$DIR/a.pid" TERM "$STOP_TIMEOUT_S" &
  stop_pid "instance b" "$DIR/b.pid" TERM "$STOP_TIMEOUT_S" &
  wait
}

cmd_status () {
  load_settings
  local ok=0 pidfile url code
  for part in a b nginx; do
    case $part in
      a) pidfile=$DIR/a.pid url=http://127.0.0.1:$PORT_A/health/ready ;;
      b) pidfile=$DIR/b.pid url=http://127.0.0.1:$PORT_B/health/ready ;;
      nginx) pidfile=$DIR/nginx.pid url=http://127.0.0.1:$LB_PORT/health/ready ;;
    esac
    if pid_alive "$pidfile"; then
      code=$(http_status "$url")
      printf '%-6s pid %-8s %s → %s\n' "$part" "$(cat "$pidfile")" "$url" "$code"
      [[ $code == 200 ]] || ok=3
    else
      printf '%-6s not running\n' "$part"
      ok=3
    fi
  done
  return $ok
}

# Rolling restart of one instance: nginx stops sending to it (reload with the server `down`,
# old workers gone), then SIGTERM (its in-flight requests finish), start, ready, back in nginx.
cmd_restart () {
  local id=${1:-} drain=1
  [[ $id == a || $id == b ]] || usage
  case ${2:-} in '') ;; --no-drain) drain=0 ;; *) usage ;; esac
  load_settings
  pid_alive "$DIR/nginx.pid" || die "nginx does not run from $DIR"
  if (( drain )); then
    render_nginx "$id"
    reload_nginx
    log "instance $id drained from nginx"
  fi
  stop_pid "instance $id" "$DIR/$id.pid" TERM "$STOP_TIMEOUT_S"
  start_instance "$id"
  wait_ready "instance $id" "http://127.0.0.1:$(port_of "$id")/health/ready" "$DIR/$id.pid" "$DIR/$id.log"
  if (( drain )); then
    render_nginx
    reload_nginx
    log "instance $id back in nginx"
  fi
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  restart) cmd_restart "${2:-}" "${3:-}" ;;
  *) usage ;;
esac
