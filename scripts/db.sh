#!/usr/bin/env bash
# The private MariaDB of a stack: data in $WH_VAR/mysql, socket $WH_VAR/mysql.sock, port
# $WH_DB_PORT on 127.0.0.1 only. No system service, no system-wide config (--no-defaults).
#   scripts/db.sh start | stop | status
# Starting twice is harmless; stop waits until the server has exited.
set -euo pipefail
cd "$(dirname "$0")/.."
WH_VAR=${WH_VAR:-var}
mkdir -p "$WH_VAR"
VAR=$(cd "$WH_VAR" && pwd)
PORT=${WH_DB_PORT:-3307}
SOCK="$VAR/mysql.sock"
PIDFILE="$VAR/mysql.pid"
# Durable commits by default; the test stack trades them for speed (WH_DB_DURABLE=0).
FLUSH=$([ "${WH_DB_DURABLE:-1}" = 1 ] && echo 1 || echo 2)

# shellcheck source=scripts/pids.sh
. scripts/pids.sh

ping_db() { mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; }

start() {
	if ping_db; then return 0; fi
	# Its own temporary directory: another process cleaning /tmp can't break it.
	mkdir -p "$VAR/mysql-tmp"
	if [ ! -d "$VAR/mysql/mysql" ]; then
		mariadb-install-db --no-defaults --datadir="$VAR/mysql" --tmpdir="$VAR/mysql-tmp" --user="$(id -un)" \
			--auth-root-authentication-method=socket --skip-test-db >"$VAR/mysql-install.log" 2>&1 ||
			{ cat "$VAR/mysql-install.log" >&2; exit 1; }
	fi
	setsid mariadbd --no-defaults --datadir="$VAR/mysql" --socket="$SOCK" --port="$PORT" \
		--tmpdir="$VAR/mysql-tmp" --bind-address=127.0.0.1 --pid-file="$PIDFILE" --log-error="$VAR/mysql.err" \
		--user="$(id -un)" --skip-name-resolve --character-set-server=utf8mb4 \
		--collation-server=utf8mb4_bin --default-storage-engine=InnoDB \
		--innodb-flush-log-at-trx-commit="$FLUSH" --innodb-buffer-pool-size=256M \
		--max-connections=1000 --transaction-isolation=READ-COMMITTED \
		--binlog-format=ROW </dev/null >/dev/null 2>&1 &
	for _ in $(seq 1 300); do
		ping_db && break
		sleep 0.1
	done
	ping_db || { echo "db: MariaDB did not start; see $VAR/mysql.err" >&2; tail -20 "$VAR/mysql.err" >&2; exit 1; }
	bootstrap
}

# The application's database and user; the password lives in $WH_VAR/db.password (0600).
# On the server of socket $1 (default: this stack's; scripts/galera.sh passes a node's).
bootstrap() {
	local SOCK=${1:-$SOCK}
	local pwfile="$VAR/db.password"
	if [ ! -s "$pwfile" ]; then
		(umask 077; head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$pwfile")
	fi
	local pw
	pw=$(cat "$pwfile")
	mariadb --no-defaults --socket="$SOCK" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS linehook CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'linehook'@'localhost' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'linehook'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL ON linehook.* TO 'linehook'@'localhost';
GRANT ALL ON linehook.* TO 'linehook'@'127.0.0.1';
SQL
}

stop() {
	local pid=""
	pid=$(pid_of "$PIDFILE" mariadbd) || pid=""
	if ping_db; then
		mariadb-admin --no-defaults --socket="$SOCK" -uroot shutdown >/dev/null 2>&1 || true
	fi
	if [ -n "$pid" ]; then
		for _ in $(seq 1 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
}

case "${1:-}" in
	start) start ;;
	stop) stop ;;
	status) ping_db && echo running || { echo stopped; exit 1; } ;;
	bootstrap) bootstrap "${2:-}" ;;
	*) echo "usage: $0 start|stop|status|bootstrap [SOCKET]" >&2; exit 2 ;;
esac
