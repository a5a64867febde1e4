#!/usr/bin/env bash
# The whole stack: private MariaDB, migrations, lighttpd with the FastCGI app, the worker.
#   scripts/stack.sh start | stop | run | status
# Environment: WH_VAR (var), WH_HTTP_PORT (8080), WH_DB_PORT (3307), WH_BUILD (build),
# WH_FCGI_PROCS (4), and WH_<KEY> for any config key (baked into $WH_VAR/webhooks.conf).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export WH_VAR=${WH_VAR:-var}
mkdir -p "$WH_VAR"
VAR=$(cd "$WH_VAR" && pwd)
export WH_VAR=$VAR
HTTP_PORT=${WH_HTTP_PORT:-8080}
export WH_DB_PORT=${WH_DB_PORT:-3307}
BUILD=$(cd "${WH_BUILD:-build}" && pwd)
CONF="$VAR/webhooks.conf"
URL="http://127.0.0.1:$HTTP_PORT/"

log() { echo "stack: $*" >&2; }

# shellcheck source=scripts/pids.sh
. scripts/pids.sh

# A part failed to come up: say which, show the last lines of its log, stop everything and
# exit non-zero.
fail() {
	local what=$1 file
	shift
	log "$what"
	for file in "$@"; do
		[ -s "$file" ] || continue
		echo "--- last lines of $file:" >&2
		tail -n 15 "$file" >&2
	done
	stop >/dev/null 2>&1 || true
	exit 1
}

write_config() {
	(umask 077
	 WH_DB_SOCKET="$VAR/mysql.sock" WH_DB_PORT="$WH_DB_PORT" WH_DB_PASSWORD="$(cat "$VAR/db.password")" \
	 WH_MASTER_KEY_FILE="${WH_MASTER_KEY_FILE:-$VAR/master.key}" WH_SQL_DIR="$ROOT/sql" \
	 WH_PUBLIC_BASE_URL="${WH_PUBLIC_BASE_URL:-http://127.0.0.1:$HTTP_PORT}" \
		"$BUILD/webhooks-api" --config "$ROOT/conf/webhooks.conf" print-config --show-secrets > "$CONF.tmp" &&
	 mv "$CONF.tmp" "$CONF")
}

start_lighttpd() {
	if alive "$VAR/lighttpd.pid" lighttpd; then return 0; fi
	sed -e "s|@ROOT@|$ROOT|g" -e "s|@VAR@|$VAR|g" -e "s|@BUILD@|$BUILD|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" \
	    -e "s|@FCGI_PROCS@|${WH_FCGI_PROCS:-4}|g" \
	    -e "s|@ASAN_OPTIONS@|${ASAN_OPTIONS:-detect_leaks=1}|g" \
	    "$ROOT/conf/lighttpd.conf" > "$VAR/lighttpd.conf"
	lighttpd -tt -f "$VAR/lighttpd.conf" >/dev/null 2>>"$VAR/lighttpd.log" ||
		fail "the lighttpd configuration is not valid" "$VAR/lighttpd.log"
	lighttpd -f "$VAR/lighttpd.conf" 2>>"$VAR/lighttpd.log" ||
		fail "lighttpd did not start (is port $HTTP_PORT free?)" "$VAR/lighttpd.log"
	for _ in $(seq 1 100); do [ -s "$VAR/lighttpd.pid" ] && break; sleep 0.05; done
	alive "$VAR/lighttpd.pid" lighttpd || fail "lighttpd did not start" "$VAR/lighttpd.log"
}

start_worker() {
	if alive "$VAR/worker.pid" delivery-worker; then return 0; fi
	setsid "$BUILD/delivery-worker" --config "$CONF" </dev/null >>"$VAR/worker.log" 2>&1 &
	echo $! > "$VAR/worker.pid"
}

# Every part up: /v2/health says ok, i.e. the API answers, its database is reachable and the
# worker has written its heartbeat. Any part that exits meanwhile fails the start with its log.
wait_up() {
	local body
	for _ in $(seq 1 600); do
		alive "$VAR/lighttpd.pid" lighttpd || fail "lighttpd exited" "$VAR/lighttpd.log" "$VAR/api.log"
		alive "$VAR/worker.pid" delivery-worker || fail "the delivery worker exited" "$VAR/worker.log"
		body=$(curl -sS "${URL}v2/health" 2>/dev/null || true)
		case "$body" in *'"status":"ok"'*) return 0 ;; esac
		sleep 0.05
	done
	fail "the stack did not come up within 30 s (last /v2/health: ${body:-no answer})" \
		"$VAR/lighttpd.log" "$VAR/api.log" "$VAR/worker.log"
}

# Something of a stack runs in $VAR already: its web server, worker or database.
running() {
	alive "$VAR/lighttpd.pid" lighttpd || alive "$VAR/worker.pid" delivery-worker || scripts/db.sh status >/dev/null 2>&1
}

# A demo account, key and location on first start; kept in $WH_VAR/demo.env as export
# lines, so `. var/demo.env` hands them to the commands run after it (curl, scripts).
demo_setup() {
	if [ -s "$VAR/demo.env" ]; then
		# A file from before the lines had export: add it, keep the values.
		grep -q '^export ' "$VAR/demo.env" || sed -i 's/^WH_/export WH_/' "$VAR/demo.env"
		return 0
	fi
	local account key location
	account=$("$BUILD/webhooks-api" --config "$CONF" create-account "Demo account")
	key=$("$BUILD/webhooks-api" --config "$CONF" create-key "$account")
	location=$(curl -fsS -X POST -H "apikey: $key" -H 'Content-Type: application/json' \
		--data '{"name":"Demo location","timezone":"Europe/Stockholm"}' "${URL}v2/locations" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || location=""
	if [ -z "$location" ]; then
		log "could not create the demo location"
		return 1
	fi
	(umask 077; printf 'export WH_URL=%s\nexport WH_API_KEY=%s\nexport WH_LOCATION_ID=%s\n' "$URL" "$key" "$location" > "$VAR/demo.env")
}

start() {
	scripts/db.sh start || fail "the database did not start" "$VAR/mysql.err"
	write_config || fail "the configuration is not valid (see above)"
	"$BUILD/webhooks-api" --config "$CONF" migrate || fail "the migrations failed (see above)"
	start_lighttpd
	start_worker
	wait_up
	if [ "${WH_DEMO:-1}" = 1 ]; then
		demo_setup || fail "the demo account could not be set up" "$VAR/api.log"
		# shellcheck disable=SC1091
		. "$VAR/demo.env"
		echo "linehook is running."
		echo "  Settings page: $WH_URL"
		echo "  API key:       $WH_API_KEY"
		echo "  Location id:   $WH_LOCATION_ID"
		echo "  (also in $VAR/demo.env)"
	fi
}

stop() {
	stop_pid "$VAR/worker.pid" delivery-worker
	stop_pid "$VAR/lighttpd.pid" lighttpd
	# lighttpd stops its FastCGI children; make sure none outlives it.
	pkill -TERM -f "^$BUILD/webhooks-api --config $CONF\$" 2>/dev/null || true
	scripts/db.sh stop
}

TAILPID=""
run() {
	if running; then
		log "a stack already runs in $VAR (make start?); stop it first with make stop"
		exit 1
	fi
	# Whatever ends the script (Ctrl-C, a failed start) stops what it started. Background
	# commands of a script ignore SIGINT, so the log tail is stopped here too.
	trap '[ -n "$TAILPID" ] && kill "$TAILPID" 2>/dev/null; log "stopping"; stop' EXIT
	trap 'echo; exit 0' INT TERM
	start
	echo "Press Ctrl-C to stop."
	tail -n 0 -F "$VAR/worker.log" "$VAR/api.log" "$VAR/lighttpd.log" 2>/dev/null &
	TAILPID=$!
	wait "$TAILPID"
}

# WH_GALERA=1: the cluster topology instead (scripts/galera-stack.sh); stop stops whichever runs.
case "${1:-}" in
	start) if [ "${WH_GALERA:-0}" = 1 ]; then exec scripts/galera-stack.sh start; fi; start ;;
	stop) if [ -f "$VAR/galera.stack" ]; then scripts/galera-stack.sh stop; fi; stop ;;
	run) run ;;
	status) curl -fsS "${URL}v2/health"; echo ;;
	*) echo "usage: $0 start|stop|run|status" >&2; exit 2 ;;
esac
