# Pid-file helpers shared by the stack scripts (sourced, not run).
# shellcheck shell=bash
#
# A pid file can outlive its process (a kill -9, a reboot), and pids are reused: a stale file
# may name an unrelated process. So a pid counts only while the process it names runs the
# program the file is for, read from /proc/PID/comm (the kernel cuts names at 15 characters).

# Prints the pid in file $1 when that process is running program $2.
pid_of() {
	local pid comm
	[ -s "$1" ] || return 1
	pid=$(cat "$1" 2>/dev/null) || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = "${2:0:15}" ] || return 1
	echo "$pid"
}

# The process named by pid file $1 is running, and it is program $2.
alive() { pid_of "$1" "$2" >/dev/null; }

# Stops the process named by pid file $1 if it is program $2: SIGTERM, up to 15 s for it to
# exit, then SIGKILL. The file is removed either way.
stop_pid() {
	local file=$1 pid
	[ -f "$file" ] || return 0
	if pid=$(pid_of "$file" "$2") && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}
