#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback, for tests, benchmarks and the WH_GALERA=1
# stack: Debian's galera-4, mariadb-server and mariadb-backup (SST), no system service.
#   scripts/galera.sh start | stop | status | kill N | restart N | hosts | sql N [ARGS...]
# Everything lives in $WH_VAR/galera: per node i a defaults file n$i.cnf (the SST scripts
# read it, so the options can't be given on the command line alone), its datadir n$i,
# socket n$i.sock, error log n$i.err. Ports (client, group, IST, SST per node) are chosen
# free at the first start and kept in $WH_VAR/galera/ports.
# start bootstraps the node that may (grastate.dat safe_to_bootstrap, n1 on a new cluster)
# with --wsrep-new-cluster, then joins the others one by one (state transfer by IST or
# mariabackup SST), then creates the application's database and user once (replicated).
# kill N is kill -9 of node N; restart N starts a stopped or killed node, which rejoins
# the running cluster. hosts prints the nodes' host:port list (the db_hosts value).
set -euo pipefail
cd "$(dirname "$0")/.."
WH_VAR=${WH_VAR:-var}
mkdir -p "$WH_VAR"
VAR=$(cd "$WH_VAR" && pwd)
DIR="$VAR/galera"
NODES=3
# Durable commits by default; the test stack trades them for speed (WH_DB_DURABLE=0).
FLUSH=$([ "${WH_DB_DURABLE:-1}" = 1 ] && echo 1 || echo 2)

log() { echo "galera: $*" >&2; }

# n free ports below the kernel's ephemeral range: a port from that range, free at the
# first start, could be some connection's local port when a killed node comes back.
free_ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    low = int(f.read().split()[0])
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(10000, max(10001, low))))
        socks.append(s)
    except OSError:
        s.close()
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# PORTS holds 4 ports per node: client, group communication, IST, SST.
load_ports() {
	mkdir -p "$DIR"
	[ -s "$DIR/ports" ] || free_ports $((NODES * 4)) > "$DIR/ports"
	read -r -a PORTS < "$DIR/ports"
}
port_of() { echo "${PORTS[$((($1 - 1) * 4 + $2))]}"; } # node, 0 client | 1 gcomm | 2 IST | 3 SST

write_cnf() {
	local i=$1 peers="" j
	for j in $(seq 1 $NODES); do peers="${peers:+$peers,}127.0.0.1:$(port_of "$j" 1)"; done
	cat > "$DIR/n$i.cnf" <<EOF
[mysqld]
datadir=$DIR/n$i
socket=$DIR/n$i.sock
pid-file=$DIR/n$i.pid
# its own temporary directory: another process cleaning /tmp can't break it
tmpdir=$DIR/n$i-tmp
port=$(port_of "$i" 0)
bind-address=127.0.0.1
user=$(id -un)
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_bin
transaction-isolation=READ-COMMITTED
max-connections=1000
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
# Galera logs writes like a binary log: a migration that creates a trigger or function as
# the application's user (no SUPER) needs this. Row-based replication carries a trigger's
# effects; it doesn't fire again on the other nodes.
log_bin_trust_function_creators=1
innodb_flush_log_at_trx_commit=$FLUSH
innodb_buffer_pool_size=128M
log_error=$DIR/n$i.err
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=linehook
wsrep_cluster_address=gcomm://$peers
wsrep_node_address=127.0.0.1:$(port_of "$i" 1)
wsrep_node_name=n$i
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(port_of "$i" 1);ist.recv_addr=127.0.0.1:$(port_of "$i" 2);gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
wsrep_slave_threads=2
wsrep_sst_method=mariabackup
wsrep_sst_auth=root:
wsrep_sst_receive_address=127.0.0.1:$(port_of "$i" 3)
[sst]
sst-syslog=-1
EOF
}

admin() { mariadb-admin --no-defaults --socket="$DIR/n$1.sock" -uroot "${@:2}"; }
node_sql() { mariadb --no-defaults --socket="$DIR/n$1.sock" -uroot "${@:2}"; }
# shellcheck source=scripts/pids.sh
. scripts/pids.sh
# The pid of node N's server, or nothing when its pid file names no running mariadbd.
node_pid() { pid_of "$DIR/n$1.pid" mariadbd || true; }
node_alive() { [ -n "$(node_pid "$1")" ]; }
# Synced: the node is in the primary component and serves clients.
synced() {
	[ "$(node_sql "$1" -N -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
		WHERE VARIABLE_NAME = 'wsrep_local_state_comment'" 2>/dev/null)" = Synced ]
}

install_node() {
	local i=$1
	mkdir -p "$DIR/n$i-tmp"
	[ -d "$DIR/n$i/mysql" ] && return 0
	mariadb-install-db --defaults-file="$DIR/n$i.cnf" --auth-root-authentication-method=normal \
		--skip-test-db >"$DIR/n$i-install.log" 2>&1 || { cat "$DIR/n$i-install.log" >&2; exit 1; }
}

# Starts node i (bootstrap: a new primary component) and waits until it is Synced.
start_node() {
	local i=$1 extra=() pid
	node_alive "$i" && return 0
	[ "${2:-}" = bootstrap ] && extra=(--wsrep-new-cluster)
	rm -f "$DIR/n$i.pid"
	setsid mariadbd --defaults-file="$DIR/n$i.cnf" "${extra[@]+"${extra[@]}"}" </dev/null >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 1800); do
		synced "$i" && return 0
		kill -0 "$pid" 2>/dev/null || break # it exited: see its error log
		sleep 0.1
	done
	log "node $i did not reach Synced; see $DIR/n$i.err"
	tail -30 "$DIR/n$i.err" >&2
	return 1
}

# The node to bootstrap from after a full stop: the one Galera marked safe to bootstrap
# (the last to leave), else the one with the highest committed seqno, else node 1.
bootstrap_node() {
	local i best=1 seq bestseq=-2
	for i in $(seq 1 $NODES); do
		[ -f "$DIR/n$i/grastate.dat" ] || continue
		grep -q '^safe_to_bootstrap: 1' "$DIR/n$i/grastate.dat" && { echo "$i"; return; }
		seq=$(sed -n 's/^seqno: *//p' "$DIR/n$i/grastate.dat")
		if [ -n "$seq" ] && [ "$seq" -gt "$bestseq" ]; then best=$i; bestseq=$seq; fi
	done
	[ -f "$DIR/n$best/grastate.dat" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$DIR/n$best/grastate.dat"
	echo "$best"
}

any_alive() {
	local i
	for i in $(seq 1 $NODES); do node_alive "$i" && { echo "$i"; return 0; }; done
	return 1
}

start() {
	local i first
	for p in galera-4 mariadb-server mariadb-backup socat; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
			{ log "package $p is missing (scripts/deps.sh installs it)"; exit 1; }
	done
	load_ports
	for i in $(seq 1 $NODES); do write_cnf "$i"; install_node "$i"; done
	if first=$(any_alive); then
		:
	else
		first=$(bootstrap_node)
		start_node "$first" bootstrap
	fi
	for i in $(seq 1 $NODES); do start_node "$i"; done
	scripts/db.sh bootstrap "$DIR/n$first.sock" # the database and user, replicated to all
}

stop_node() {
	local i=$1 pid
	pid=$(node_pid "$i")
	[ -n "$pid" ] || return 0
	admin "$i" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$DIR/n$i.pid"
}

# Stops the nodes one after the other, so the last one is marked safe to bootstrap.
stop() {
	local i
	[ -d "$DIR" ] || return 0
	for i in $(seq $NODES -1 1); do stop_node "$i"; done
}

status() {
	local i rc=0
	load_ports
	for i in $(seq 1 $NODES); do
		if node_alive "$i"; then
			printf 'n%s 127.0.0.1:%s %s cluster_size=%s\n' "$i" "$(port_of "$i" 0)" \
				"$(node_sql "$i" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2)" \
				"$(node_sql "$i" -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2)"
		else
			printf 'n%s 127.0.0.1:%s down\n' "$i" "$(port_of "$i" 0)"
			rc=1
		fi
	done
	return $rc
}

node_arg() {
	case "${1:-}" in 1 | 2 | 3) ;; *) echo "usage: $0 kill|restart|sql N (N = 1..$NODES)" >&2; exit 2 ;; esac
}

case "${1:-}" in
	start) start ;;
	stop) stop ;;
	status) status ;;
	kill) node_arg "${2:-}"; pid=$(node_pid "$2"); [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true ;;
	restart)
		node_arg "${2:-}"
		load_ports
		node_alive "$2" && stop_node "$2"
		if any_alive >/dev/null; then start_node "$2"; else start_node "$2" bootstrap; fi
		;;
	hosts) load_ports; for i in $(seq 1 $NODES); do printf '%s127.0.0.1:%s' "$([ "$i" = 1 ] || echo ,)" "$(port_of "$i" 0)"; done; echo ;;
	sql) node_arg "${2:-}"; node_sql "$2" "${@:3}" ;;
	*) echo "usage: $0 start|stop|status|kill N|restart N|hosts|sql N [ARGS]" >&2; exit 2 ;;
esac
