#!/usr/bin/env bash
# Runs every suite: C unit tests, then the end-to-end suites against a private stack in a
# temporary directory on free ports (never the demo's var/). The last line is
# "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

# The whole run happens in a private network namespace with only loopback, so nothing a
# test starts (worker deliveries, DNS lookups of webhook hosts, the browser) can reach
# another network. Packages and npm modules are installed before, by `make test`'s deps step.
if [ -z "${WH_TEST_NETNS:-}" ]; then
	if unshare --net true 2>/dev/null; then
		exec unshare --net env WH_TEST_NETNS=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
	fi
	# Without the namespace the worker's deliveries and the tests' lookups would reach the
	# host's networks: refuse, loudly, rather than run a weaker suite.
	echo "FAIL test/netns: cannot create a network namespace (unshare --net needs root or user namespaces);" \
		"the suites do not run on the host network" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
ROOT=$(pwd)
MAKE_BUILD=${WH_BUILD:-build} # as make names it, so its dependency files match
BUILD=$(cd "$MAKE_BUILD" && pwd)
export WH_BUILD=$BUILD
passed=0
failed=0

count() { # adds the "ok"/"FAIL" lines of a suite's output to the totals
	local out=$1
	passed=$((passed + $(grep -c '^ok ' "$out" || true)))
	failed=$((failed + $(grep -c '^FAIL ' "$out" || true)))
}

tmp=$(mktemp -d /tmp/linehook-test.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== format"
# One case per make target: the layout fixed by .clang-format (make format-check), unsafe
# calls that must fail the build (common/banned.h), the one-way include rule (HACKING.md).
make_check() { # NAME TARGET HINT
	if make --no-print-directory -s "$2" > "$tmp/$2.out" 2>&1; then
		echo "ok   $1"
		passed=$((passed + 1))
	else
		head -20 "$tmp/$2.out"
		echo "FAIL $1$3"
		failed=$((failed + 1))
	fi
}
make_check format/clang-format format-check " (run clang-format -i on the files above)"
make_check format/banned-calls banned-check ""
make_check format/include-rule include-check ""

echo "== unit"
"$BUILD/unit-tests" > "$tmp/unit.out" 2>&1
cat "$tmp/unit.out"
count "$tmp/unit.out"
grep -q '^unit: ' "$tmp/unit.out" || { echo "FAIL unit runner crashed"; failed=$((failed + 1)); }

# libFuzzer targets (tests/fuzz/): the kept regression inputs, then a few seconds of
# fuzzing each (make fuzz runs them for FUZZ_SECONDS, 60 by default).
echo "== fuzz"
if make --no-print-directory -s BUILD="$MAKE_BUILD" fuzz-build > "$tmp/fuzz-build.out" 2>&1; then
	WH_BUILD="$BUILD" scripts/fuzz.sh "${WH_FUZZ_SECONDS:-3}" > "$tmp/fuzz.out" 2>&1
	cat "$tmp/fuzz.out"
	count "$tmp/fuzz.out"
else
	tail -n 30 "$tmp/fuzz-build.out"
	echo "FAIL fuzz/build"
	failed=$((failed + 1))
fi

export WH_VAR="$tmp/var" WH_HTTP_PORT=$(free_port) WH_DB_PORT=$(free_port)
export WH_DB_DURABLE=0 WH_DEMO=0 WH_ALLOW_HTTP_TARGETS=true WH_ALLOW_PRIVATE_TARGETS=true
export WH_FCGI_PROCS=${WH_FCGI_PROCS:-4}
export WH_FAULT_POINT=from_header # test-only: X-Linehook-Fault header fails chosen writes
# Delivery: short retries, timeouts and leases so retry, hang and crash tests run in seconds.
export WH_RETRY_SCHEDULE=1,1,2 WH_REQUEST_TIMEOUT_MS=3000 WH_CONNECT_TIMEOUT_MS=2000 WH_LEASE_SECONDS=5
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
mkdir -p "$WH_VAR"
cleanup() { scripts/apache.sh stop >/dev/null 2>&1; scripts/stack.sh stop >/dev/null 2>&1; }
trap cleanup EXIT

# The Galera fault test (tests/galera) brings its own cluster stack: with the whole suite,
# or alone with T=galera (T=galera::CASE for one case).
gargs=()
run_galera=$(( $# == 0 ))
only_galera=$(( $# > 0 ))
for a in "$@"; do
	case "$a" in
		galera) run_galera=1 ;;
		galera::*) run_galera=1; gargs+=("${a#galera::}") ;;
		package | package::*) ;; # tests/package brings its own servers too
		*) only_galera=0 ;;
	esac
done

echo "== stack ($WH_VAR, http $WH_HTTP_PORT, db $WH_DB_PORT)"
if [ "$only_galera" = 1 ]; then
	echo "(only suites that bring their own servers: galera, package)"
elif scripts/stack.sh start > "$tmp/stack.out" 2>&1; then
	echo "== e2e"
	python3 tests/e2e/run.py "$@" 2>&1 | tee "$tmp/e2e.out"
	count "$tmp/e2e.out"
	grep -q '^e2e: ' "$tmp/e2e.out" || { echo "FAIL e2e runner crashed"; failed=$((failed + 1)); }
	# Browser suite (tests/browser): playwright-core driving Debian's Chromium against this
	# stack. Runs with the whole suite, or alone with T=browser (T=browser::CASE for some).
	bargs=()
	run_browser=$(( $# == 0 ))
	for a in "$@"; do
		case "$a" in browser) run_browser=1 ;; browser::*) run_browser=1; bargs+=("${a#browser::}") ;; esac
	done
	if [ "$run_browser" = 1 ]; then
		echo "== browser"
		if [ -d tests/browser/node_modules/playwright-core ]; then
			WH_BROWSER_ARTIFACTS=${WH_BROWSER_ARTIFACTS:-$ROOT/tests/browser/artifacts} \
				node tests/browser/run.mjs "${bargs[@]+"${bargs[@]}"}" 2>&1 | tee "$tmp/browser.out"
			count "$tmp/browser.out"
			grep -q '^browser: ' "$tmp/browser.out" || { echo "FAIL browser runner crashed"; failed=$((failed + 1)); }
		else
			echo "FAIL browser/modules: tests/browser/node_modules missing (scripts/deps.sh runs npm ci)"
			failed=$((failed + 1))
		fi
	fi
else
	cat "$tmp/stack.out"
	echo "FAIL stack did not start"
	failed=$((failed + 1))
fi
cleanup

if [ "$run_galera" = 1 ]; then
	echo "== galera"
	WH_GALERA_VAR="$tmp/galera" python3 tests/galera/run.py "${gargs[@]+"${gargs[@]}"}" 2>&1 | tee "$tmp/galera.out"
	count "$tmp/galera.out"
	grep -q '^galera: ' "$tmp/galera.out" || { echo "FAIL galera runner crashed"; failed=$((failed + 1)); }
fi

# Package suite (tests/package): builds the .deb, lintian, systemd-analyze, then runs the
# extracted package against its own private MariaDB, Apache and lighttpd. With the whole
# suite, or alone with T=package.
run_package=$(( $# == 0 ))
for a in "$@"; do case "$a" in package | package::*) run_package=1 ;; esac; done
if [ "$run_package" = 1 ]; then
	echo "== package"
	python3 tests/package/run.py 2>&1 | tee "$tmp/package.out"
	count "$tmp/package.out"
	grep -q '^package: ' "$tmp/package.out" || { echo "FAIL package runner crashed"; failed=$((failed + 1)); }
fi

# Any sanitizer report in any process's log fails the run.
logs=("$WH_VAR"/*.log "$tmp"/galera/*/*.log)
if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "${logs[@]}" 2>/dev/null; then
	grep -h -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "${logs[@]}" 2>/dev/null | head -80
	echo "FAIL sanitizer report in the stack's logs"
	failed=$((failed + 1))
fi
if [ "$failed" -gt 0 ]; then
	# Logs are kept; the MariaDB data directories (1 to 2 GB with the Galera nodes) are not.
	find "$tmp" -name ibdata1 -printf '%h\n' 2>/dev/null | xargs -r rm -rf
	echo "== logs kept in $tmp"
	for f in "$WH_VAR"/api.log "$WH_VAR"/worker.log; do
		[ -f "$f" ] && { echo "-- $f (last lines)"; tail -n 30 "$f"; }
	done
else
	trap - EXIT # the stack was stopped above; stopping again would make an empty $WH_VAR
	rm -rf "$tmp"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
