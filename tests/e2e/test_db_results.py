"""common/db.c against the stack's MariaDB through build/db-check (tests/e2e/db_check.c): a
locking read whose result set ends in an error after it began, alone and inside a pipelined
flight, leaves its connection and its prepared statement usable at once. This is what stalled
the workers for 60 s on healthy Galera nodes (README "Running past one machine"): a
brute-force abort during the fan-out's SELECT ... FOR UPDATE SKIP LOCKED left the statement
handle waiting for rows that never came, and its next execute waited out the read timeout
and failed with 2006 "Server has gone away". Here the error is a lock wait timeout (1 s)
behind a row another connection holds. db-check sets its timeouts as the worker does
(db_set_timeouts): the session lock wait timeout, and a network timeout that a statement
outlasting it meets. Last, a transaction rolled back under its statements without an error
reaching them (on Galera, a brute-force abort that no command reported: the fault test's
duplicate, README "Running past one machine"), as db_begin (the worker's) and
db_begin_deferred (the API's) open it: the flight that ran the rollback answers a deadlock
(not the duplicate key of a statement after it), COMMIT is refused the same way, and
nothing that ran after the rollback is committed."""
import os
import subprocess


def test_failed_result_set_leaves_the_connection_usable(stack):
    # Each check is answered within seconds (two 1 s lock waits, one 3 s network timeout); the
    # old code waited 60 s twice and then reconnected, which the checks see as a changed
    # CONNECTION_ID().
    p = subprocess.run([os.path.join(stack.build, "db-check"), "--config", stack.conf, "failed-result"],
                       capture_output=True, text=True, timeout=300)
    checks = [line for line in p.stdout.splitlines() if line.startswith(("ok ", "FAIL "))]
    failed = [line for line in checks if line.startswith("FAIL ")]
    assert p.returncode == 0 and not failed and len(checks) == 20, (p.returncode, p.stdout, p.stderr[-2000:])
    # one connection lost: the statement that outlasted the network timeout, nothing else
    lost = [line for line in p.stderr.splitlines() if "database connection lost" in line]
    assert len(lost) == 1 and "(execute)" in lost[0], p.stderr[-2000:]
    # one warning per silent rollback, none for the lock wait timeouts (they roll back a
    # statement, not the transaction: its savepoint stays)
    silent = [line for line in p.stderr.splitlines() if "rolled back under its statements" in line]
    assert len(silent) == 2, p.stderr[-2000:]
