# Pid-file helpers shared by the stack scripts (sourced, not run).

# The process named by pid file $1 is running.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# Stops the process named by pid file $1: SIGTERM, up to 15 s for it to exit, then SIGKILL.
stop_pid() {
	local file=$1 pid
	[ -f "$file" ] || return 0
	pid=$(cat "$file" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$file"
}
