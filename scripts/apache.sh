#!/usr/bin/env bash
# A private Apache serving linehook with conf/apache2-linehook.conf, beside (or instead of)
# the lighttpd of scripts/stack.sh. It uses the stack's database and config: start the stack
# first (scripts/stack.sh start), then
#   scripts/apache.sh start | stop | status
# Environment: WH_VAR (var), WH_BUILD (build), WH_APACHE_PORT (8081), WH_FCGI_PROCS (4),
# WH_APACHE_USER (www-data; the user Apache's children run as when started by root).
# Everything lives in $WH_VAR/apache (ServerRoot, PidFile, logs); no system service is used.
# The FastCGI processes are spawned here, as the calling user, on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export WH_VAR=${WH_VAR:-var}
mkdir -p "$WH_VAR"
VAR=$(cd "$WH_VAR" && pwd)
BUILD=$(cd "${WH_BUILD:-build}" 2>/dev/null && pwd || echo "${WH_BUILD:-build}")
CONF="$VAR/webhooks.conf"
DIR="$VAR/apache"
PORT=${WH_APACHE_PORT:-8081}
PROCS=${WH_FCGI_PROCS:-4} # the measured best on 2 cores (bench/README.md finding 7)
RUN_USER=${WH_APACHE_USER:-www-data}
MODS=/usr/lib/apache2/modules

log() { echo "apache: $*" >&2; }

# Binds a free loopback port, forks PROCS FastCGI processes that accept on it (fd 0, as a
# web server would hand it), writes their pids, prints the port.
spawn_fcgi() {
	python3 - "$BUILD/webhooks-api" "$CONF" "$PROCS" "$DIR/fcgi.pids" "$DIR/api.log" <<'EOF'
import os, socket, sys
binary, conf, procs, pidfile, logfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(128)
pids = []
for _ in range(procs):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        os.dup2(s.fileno(), 0)
        fd = os.open(logfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(binary, [binary, "--config", conf])
    pids.append(pid)
with open(pidfile, "w") as f:
    f.write("\n".join(str(p) for p in pids) + "\n")
print(s.getsockname()[1])
EOF
}

# Apache's children read www/ as $RUN_USER: when they can't (a private checkout), serve a
# world-readable copy instead, removed again by stop.
docroot() {
	local docs="$ROOT/www"
	if [ "$(id -u)" = 0 ] && ! setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --clear-groups \
		test -r "$docs/index.html" 2>/dev/null; then
		docs=$(mktemp -d /tmp/linehook-www.XXXXXX)
		cp -r "$ROOT/www/." "$docs/"
		chmod -R a+rX "$docs"
		echo "$docs" > "$DIR/docroot.copy"
	fi
	echo "$docs"
}

write_config() {
	local fcgi_port=$1 docs=$2
	sed -e "s|@LISTEN@|127.0.0.1:$PORT|g" -e "s|@DOCROOT@|$docs|g" -e "s|@FCGI_URL@|fcgi://127.0.0.1:$fcgi_port|g" \
		"$ROOT/conf/apache2-linehook.conf" > "$DIR/site.conf"
	{
		echo "ServerRoot \"$DIR\""
		echo "DefaultRuntimeDir \"$DIR\""
		echo "PidFile \"$DIR/httpd.pid\""
		echo "ErrorLog \"$DIR/error.log\""
		echo "LogLevel warn"
		echo "Listen 127.0.0.1:$PORT"
		echo "ServerName 127.0.0.1"
		echo "ServerTokens Prod"
		for m in mpm_event authz_core authz_host mime dir headers proxy proxy_fcgi; do
			echo "LoadModule ${m}_module $MODS/mod_$m.so"
		done
		echo "TypesConfig /etc/mime.types"
		if [ "$(id -u)" = 0 ]; then
			echo "User $RUN_USER"
			echo "Group $RUN_USER"
		fi
		echo "StartServers 1"
		echo "ServerLimit 2"
		echo "ThreadsPerChild 16"
		echo "MaxRequestWorkers 32"
		echo "Include \"$DIR/site.conf\""
	} > "$DIR/httpd.conf"
}

# A process that exited but was not reaped yet (a zombie) counts as gone.
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

running() { [ -f "$DIR/httpd.pid" ] && kill -0 "$(cat "$DIR/httpd.pid")" 2>/dev/null; }

start() {
	if running; then return 0; fi
	[ -f "$CONF" ] || { log "no $CONF: start the stack first (scripts/stack.sh start)"; return 1; }
	mkdir -p "$DIR"
	local fcgi_port docs
	fcgi_port=$(spawn_fcgi)
	docs=$(docroot)
	write_config "$fcgi_port" "$docs"
	apache2 -t -f "$DIR/httpd.conf" >/dev/null 2>"$DIR/configtest.log" || { cat "$DIR/configtest.log" >&2; stop; return 1; }
	apache2 -f "$DIR/httpd.conf" -k start
	for _ in $(seq 1 200); do
		curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v2/live" 2>/dev/null && { echo "apache: http://127.0.0.1:$PORT/"; return 0; }
		sleep 0.05
	done
	log "Apache did not answer; see $DIR/error.log"
	return 1
}

stop() {
	local pid
	if [ -f "$DIR/httpd.pid" ]; then
		pid=$(cat "$DIR/httpd.pid" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
			for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
			kill -KILL "$pid" 2>/dev/null || true
		fi
		rm -f "$DIR/httpd.pid"
	fi
	if [ -f "$DIR/fcgi.pids" ]; then
		while read -r pid; do
			[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
		done < "$DIR/fcgi.pids"
		for _ in $(seq 1 50); do
			alive=0
			while read -r pid; do alive "$pid" && alive=1; done < "$DIR/fcgi.pids"
			[ $alive = 0 ] && break
			sleep 0.1
		done
		while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done < "$DIR/fcgi.pids"
		rm -f "$DIR/fcgi.pids"
	fi
	if [ -f "$DIR/docroot.copy" ]; then
		case "$(cat "$DIR/docroot.copy")" in /tmp/linehook-www.*) rm -rf "$(cat "$DIR/docroot.copy")" ;; esac
		rm -f "$DIR/docroot.copy"
	fi
}

case "${1:-}" in
	start) start ;;
	stop) stop ;;
	status) curl -fsS "http://127.0.0.1:$PORT/v2/health"; echo ;;
	*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
