#!/usr/bin/env bash
# make bench: runs the benchmarks of SPEC §11 against a private stack and prints their table.
# Parameters are environment variables (see bench/README.md); BENCH_SMOKE=1 is the tiny run
# that `make test` does. WH_BUILD names the build directory (make sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
# 5,000 deliveries in flight need more descriptors than the usual 1024; the stack started
# from here (the worker) inherits this limit.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"
exec python3 bench/bench.py "$@"
