#!/usr/bin/env bash
# The stack past one machine, on one machine: a 3-node Galera cluster (scripts/galera.sh),
# two lighttpd fronts with the FastCGI API and two delivery workers, each front and each
# worker preferring a different node (its db_hosts list starts there).
#   scripts/galera-stack.sh start | stop | status
# `make start WH_GALERA=1` and `make stop` run it through scripts/stack.sh.
# Layout under $WH_VAR: galera/ (the nodes), front1/ and front2/ (lighttpd on WH_HTTP_PORT
# and WH_HTTP_PORT+1: webhooks.conf, lighttpd.conf, logs), worker1/ and worker2/
# (webhooks.conf, worker.log), master.key and db.password shared by all, demo.env.
# Migrations run once, through front1's config, against its first node.
# Environment: as scripts/stack.sh; WH_FRONT_NODES (default "1 2") and WH_WORKER_NODES
# (default "3 1") name each front's and worker's preferred node; WH_WORKERS / WH_FRONTS
# (default 2) how many of them to start (the benchmarks use 1 and 2); WH_WORKER_LOG_LEVEL the
# workers' log_level (default WH_LOG_LEVEL's, else the config's).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export WH_VAR=${WH_VAR:-var}
mkdir -p "$WH_VAR"
VAR=$(cd "$WH_VAR" && pwd)
export WH_VAR=$VAR
HTTP_PORT=${WH_HTTP_PORT:-8080}
BUILD=$(cd "${WH_BUILD:-build}" && pwd)
read -r -a FRONT_NODES <<< "${WH_FRONT_NODES:-1 2}"
read -r -a WORKER_NODES <<< "${WH_WORKER_NODES:-3 1}"
FRONTS=${WH_FRONTS:-2}
WORKERS=${WH_WORKERS:-2}

log() { echo "galera-stack: $*" >&2; }

# The nodes' host:port list rotated to start at node $1.
hosts_from() {
	local -a h
	IFS=, read -r -a h <<< "$(scripts/galera.sh hosts)"
	local i=$(($1 - 1)) n=${#h[@]} out="" k
	for k in $(seq 0 $((n - 1))); do out="${out:+$out,}${h[$(((i + k) % n))]}"; done
	echo "$out"
}

# write_config DIR NODE SYNC_WAIT: DIR/webhooks.conf preferring NODE.
write_config() {
	local dir=$1
	mkdir -p "$dir"
	(umask 077
	 WH_DB_HOSTS="$(hosts_from "$2")" WH_DB_SYNC_WAIT="$3" WH_DB_PASSWORD="$(cat "$VAR/db.password")" \
	 WH_MASTER_KEY_FILE="${WH_MASTER_KEY_FILE:-$VAR/master.key}" WH_SQL_DIR="$ROOT/sql" \
	 WH_PUBLIC_BASE_URL="${WH_PUBLIC_BASE_URL:-http://127.0.0.1:$HTTP_PORT}" \
		"$BUILD/webhooks-api" --config "$ROOT/conf/webhooks.conf" print-config --show-secrets > "$dir/webhooks.conf.tmp"
	 mv "$dir/webhooks.conf.tmp" "$dir/webhooks.conf")
}

# shellcheck source=scripts/pids.sh
. scripts/pids.sh

# start_front DIR PORT: lighttpd serving the API of DIR/webhooks.conf on PORT.
start_front() {
	local dir=$1 port=$2
	alive "$dir/lighttpd.pid" lighttpd && return 0
	sed -e "s|@ROOT@|$ROOT|g" -e "s|@VAR@|$dir|g" -e "s|@BUILD@|$BUILD|g" -e "s|@HTTP_PORT@|$port|g" \
	    -e "s|@FCGI_PROCS@|${WH_FCGI_PROCS:-4}|g" -e "s|@ASAN_OPTIONS@|${ASAN_OPTIONS:-detect_leaks=1}|g" \
	    "$ROOT/conf/lighttpd.conf" > "$dir/lighttpd.conf"
	lighttpd -tt -f "$dir/lighttpd.conf" >/dev/null
	lighttpd -f "$dir/lighttpd.conf" 2>>"$dir/lighttpd.log"
	# up when it reaches its database (/v2/health says degraded until a worker runs)
	for _ in $(seq 1 400); do
		case "$(curl -sS "http://127.0.0.1:$port/v2/health" 2>/dev/null)" in *'"database":"ok"'*) return 0 ;; esac
		sleep 0.05
	done
	log "front $dir did not reach its database; see $dir/lighttpd.log and $dir/api.log"
	return 1
}

# Every part up: front 1's /v2/health says ok (a worker's heartbeat is fresh), or at least
# its database answers and every worker started has logged its start (as stack.sh waits).
wait_up() {
	local i started
	for _ in $(seq 1 600); do
		case "$(curl -sS "http://127.0.0.1:$HTTP_PORT/v2/health" 2>/dev/null)" in
			*'"status":"ok"'*) return 0 ;;
			*'"database":"ok"'*)
				started=1
				for i in $(seq 1 "$WORKERS"); do
					grep -q 'worker started' "$VAR/worker$i/worker.log" 2>/dev/null || started=0
				done
				[ "$started" = 1 ] && return 0 ;;
		esac
		sleep 0.05
	done
	log "the stack did not come up within 30 s; see $VAR/front1/api.log and $VAR/worker*/worker.log"
	return 1
}

start_worker() {
	local dir=$1
	alive "$dir/worker.pid" delivery-worker && return 0
	setsid "$BUILD/delivery-worker" --config "$dir/webhooks.conf" </dev/null >>"$dir/worker.log" 2>&1 &
	echo $! > "$dir/worker.pid"
}

demo_setup() {
	[ -s "$VAR/demo.env" ] && return 0
	local conf="$VAR/front1/webhooks.conf" url="http://127.0.0.1:$HTTP_PORT/" account key location
	account=$("$BUILD/webhooks-api" --config "$conf" create-account "Demo account")
	key=$("$BUILD/webhooks-api" --config "$conf" create-key "$account")
	location=$(curl -fsS -X POST -H "apikey: $key" -H 'Content-Type: application/json' \
		--data '{"name":"Demo location","timezone":"Europe/Stockholm"}' "${url}v2/locations" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || { log "no demo location"; return 1; }
	(umask 077; printf 'export WH_URL=%s\nexport WH_URL2=http://127.0.0.1:%s/\nexport WH_API_KEY=%s\nexport WH_LOCATION_ID=%s\n' \
		"$url" $((HTTP_PORT + 1)) "$key" "$location" > "$VAR/demo.env")
}

start() {
	local i
	touch "$VAR/galera.stack" # tells scripts/stack.sh stop what to stop
	scripts/galera.sh start
	# The API reads its own writes through any front: reads wait until the node has
	# applied what the cluster committed before them (wsrep_sync_wait=1). The workers
	# need no wait (see README: Running past one machine).
	for i in 1 2; do write_config "$VAR/front$i" "${FRONT_NODES[$((i - 1))]}" 1; done
	for i in 1 2; do
		WH_LOG_LEVEL=${WH_WORKER_LOG_LEVEL:-${WH_LOG_LEVEL:-info}} \
			write_config "$VAR/worker$i" "${WORKER_NODES[$((i - 1))]}" 0
	done
	"$BUILD/webhooks-api" --config "$VAR/front1/webhooks.conf" migrate
	for i in $(seq 1 "$FRONTS"); do start_front "$VAR/front$i" $((HTTP_PORT + i - 1)); done
	for i in $(seq 1 "$WORKERS"); do start_worker "$VAR/worker$i"; done
	[ "$WORKERS" = 0 ] || wait_up
	if [ "${WH_DEMO:-1}" = 1 ]; then
		demo_setup
		# shellcheck disable=SC1091
		. "$VAR/demo.env"
		echo "linehook is running on a 3-node Galera cluster."
		echo "  Fronts:        $WH_URL $WH_URL2"
		echo "  API key:       $WH_API_KEY"
		echo "  Location id:   $WH_LOCATION_ID"
		echo "  (also in $VAR/demo.env; cluster: scripts/galera.sh status)"
	fi
}

stop() {
	local i
	for i in 1 2; do stop_pid "$VAR/worker$i/worker.pid" delivery-worker; done
	for i in 1 2; do
		stop_pid "$VAR/front$i/lighttpd.pid" lighttpd
		# lighttpd stops its FastCGI children; make sure none outlives it.
		pkill -TERM -f "^$BUILD/webhooks-api --config $VAR/front$i/webhooks.conf\$" 2>/dev/null || true
	done
	scripts/galera.sh stop
	rm -f "$VAR/galera.stack"
}

status() {
	local i rc=0
	scripts/galera.sh status || rc=1
	for i in 1 2; do
		if alive "$VAR/front$i/lighttpd.pid" lighttpd; then echo "front$i up (port $((HTTP_PORT + i - 1)))"; else echo "front$i down"; rc=1; fi
	done
	for i in 1 2; do
		if alive "$VAR/worker$i/worker.pid" delivery-worker; then echo "worker$i up"; else echo "worker$i down"; rc=1; fi
	done
	return $rc
}

case "${1:-}" in
	start) start ;;
	stop) stop ;;
	status) status ;;
	*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
