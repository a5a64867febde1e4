"""Delivery under faults: a hanging endpoint, kill -9 of the worker, two workers at once, the
database going away, SIGTERM, and the URL policy refusing private addresses (loopback
forms only are connected to)."""
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time

from lib import Receiver, closed_by_client, wait_for
from test_delivery import SECRET, b64hmac, create_location, create_webhook, deliveries, emit, emit_many, q, settle

WORKER_PID = "worker.pid"


def is_worker(pid):
    """The stack's delivery-worker, not another process or thread that took its pid since:
    pids wrap at 32768 on a default system, a suite starts tens of thousands of processes,
    and a thread's id answers kill(pid, 0) like a process's. So: a process (not a thread),
    running delivery-worker, and not one of this test's ExtraWorkers (those are its children;
    the stack's worker was started detached)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if not f.read().split(b"\0")[0].endswith(b"delivery-worker"):
                return False
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
        return int(status["Tgid"]) == pid and int(status["PPid"]) != os.getpid()
    except (OSError, KeyError, ValueError):
        return False


def stack_worker_pid(stack):
    with open(os.path.join(stack.var, WORKER_PID)) as f:
        return int(f.read().strip())


def stop_stack_worker(stack, sig=signal.SIGTERM):
    pid = stack_worker_pid(stack)
    os.kill(pid, sig)
    assert wait_for(lambda: not is_worker(pid), 20), "the worker did not stop"


def start_stack_worker(stack):
    """Starts the stack's worker again as scripts/stack.sh does (detached, pid file)."""
    path = os.path.join(stack.var, WORKER_PID)
    try:
        if is_worker(stack_worker_pid(stack)):
            return
    except (OSError, ValueError):
        pass
    out = subprocess.check_output(
        ["sh", "-c", 'setsid "$0" --config "$1" </dev/null >>"$2" 2>&1 & echo $!',
         os.path.join(stack.build, "delivery-worker"), stack.conf, os.path.join(stack.var, "worker.log")], text=True)
    with open(path, "w") as f:
        f.write(out.strip() + "\n")


class ExtraWorker:
    """Another delivery-worker on the same database, with its own WH_ overrides."""
    count = 0

    def __init__(self, stack, **env):
        ExtraWorker.count += 1
        e = dict(os.environ)
        e.update({k: str(v) for k, v in env.items()})
        self.log = os.path.join(stack.var, "worker-extra-%d.log" % ExtraWorker.count)
        self.logf = open(self.log, "ab")
        self.p = subprocess.Popen([os.path.join(stack.build, "delivery-worker"), "--config", stack.conf],
                                  stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT, env=e)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        rc = self.p.wait(timeout)
        self.logf.close()
        return rc

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def received_ids(rx):
    return [json.loads(r["body"])["id"] for r in rx.received()]


def quiet(rx):
    """A receiver for many concurrent attempts: a listen backlog above the default 5 (or
    connects time out under load), and no traceback when the worker gave up on an answer
    before it was written."""
    rx.server.socket.listen(128)
    rx.server.handle_error = lambda request, address: None
    return rx


def slow(seconds, status=200):
    def respond(req):
        time.sleep(seconds)
        return (status, {}, b"")
    return respond


def count_status(stack, wid, status):
    return int(stack.sql("SELECT COUNT(*) FROM deliveries WHERE webhook_id = %s AND status = %s"
                         % (q(wid), q(status)))[0][0])


def test_a_hanging_endpoint_does_not_delay_a_healthy_one(stack):
    """A worker whose request timeout (30 s) outlasts the test: a healthy delivery held behind
    the hanging transfers would wait that long, so a generous bound (10 s from the event's
    commit) tells isolation from a loaded machine's slowness."""
    account, key = stack.new_account()
    hang = quiet(Receiver(slow(30)))
    healthy = Receiver()
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, WH_REQUEST_TIMEOUT_MS="30000", WH_LEASE_SECONDS="60")
    try:
        create_webhook(stack, account, key, hang.url, eventTypes=["visit.updated"])
        create_webhook(stack, account, key, healthy.url, eventTypes=["visit.created"])
        emit_many(stack, account, [("visit.updated", None, None, None, {"n": i}) for i in range(40)])
        # the hanging endpoint holds its whole per-endpoint share of transfers
        assert wait_for(lambda: len(hang.received()) >= 16, 30), len(hang.received())
        start = time.time()
        eid, _ = emit(stack, account, "visit.created")
        assert wait_for(lambda: healthy.received(), 30)
        took = healthy.received()[0]["at"] - start
        assert took < 10.0, "the healthy endpoint waited %.2f s behind the hanging one" % took
        assert received_ids(healthy) == [eid]
        assert len(hang.received()) <= 16, "the per-endpoint cap was not kept"
    finally:
        extra.stop(signal.SIGKILL)  # not the 10 s grace for the hanging transfers
        start_stack_worker(stack)
        hang.close()
        healthy.close()


def leased_events(stack, wid):
    """Event ids of the webhook's deliveries under a lease now (claimed, outcome not recorded)."""
    return {r[0] for r in stack.sql("SELECT event_id FROM deliveries WHERE webhook_id = %s AND status = 'pending' "
                                    "AND lease_token IS NOT NULL" % q(wid))}


def duplicated(rx):
    ids = received_ids(rx)
    return {i for i in ids if ids.count(i) > 1}, ids


def test_kill_9_mid_flight_then_restart_delivers_everything(stack):
    account, key = stack.new_account()
    rx = quiet(Receiver(slow(0.03)))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        events = emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(500)])
        want = {e[0] for e in events}
        assert wait_for(lambda: len(rx.received()) >= 100, 20)
        stop_stack_worker(stack, signal.SIGKILL)
        # what the dead worker held: every attempt under way at the kill is among these
        under_way = leased_events(stack, wid)
        assert len(rx.received()) < 500, "everything was delivered before the kill; the test proves nothing"
        start_stack_worker(stack)
        assert wait_for(lambda: want <= set(received_ids(rx)), 60), len(want - set(received_ids(rx)))
        assert wait_for(lambda: count_status(stack, wid, "succeeded") == 500, 20)
        dup, ids = duplicated(rx)
        # A duplicate only for an attempt under way when its worker died, and at most one each.
        assert dup <= under_way, (sorted(dup - under_way), len(under_way))
        assert len(ids) - 500 == len(dup) <= len(under_way), (len(ids), len(dup), len(under_way))
    finally:
        start_stack_worker(stack)
        rx.close()


def test_two_workers_share_the_outbox_exactly_once(stack):
    account, key = stack.new_account()
    rx = quiet(Receiver(slow(0.01)))
    extra = ExtraWorker(stack, WH_LOG_LEVEL="debug")
    try:
        wid = create_webhook(stack, account, key, rx.url)
        events = emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(300)])
        assert wait_for(lambda: count_status(stack, wid, "succeeded") == 300, 60)
        time.sleep(0.3)
        ids = received_ids(rx)
        assert sorted(ids) == sorted(e[0] for e in events), "missing or duplicated deliveries"
        # every attempt recorded once (fenced by its lease), and one successful attempt per event
        rows = stack.sql("SELECT COUNT(*), SUM(attempts) FROM deliveries WHERE webhook_id = %s" % q(wid))
        att = stack.sql("SELECT COUNT(*), SUM(ok) FROM delivery_attempts WHERE webhook_id = %s" % q(wid))
        assert rows[0][0] == "300" and att[0][0] == rows[0][1] and att[0][1] == "300", (rows, att)
        assert extra.stop() == 0
        assert "delivered" in extra.text(), "the second worker did no work"
    finally:
        if extra.p.poll() is None:
            extra.stop()
        rx.close()


def restore(stack, workers, rx):
    """After a test with its own workers: they stop, the stack's worker runs again."""
    for w in workers:
        if w.p.poll() is None:
            w.stop()
    start_stack_worker(stack)
    rx.close()


def test_database_restart_with_two_workers_gives_no_duplicate(stack):
    """A database restart shorter than the lease: both workers keep their finished attempts,
    reconnect and record them under leases that still hold; nothing is sent twice. And no
    row waits out its lease: a claim or fan-out cut by the stop after its lease landed (its
    COMMIT's answer lost, or the load after it) gives those leases back once the database
    answers (claim_unloaded), so everything arrives well inside the 120 s lease (the wait
    below is 60 s; the run takes about 10)."""
    account, key = stack.new_account()
    rx = quiet(Receiver(slow(0.03)))
    stop_stack_worker(stack)
    workers = [ExtraWorker(stack, WH_LEASE_SECONDS="120") for _ in range(2)]
    try:
        wid = create_webhook(stack, account, key, rx.url)
        events = emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(300)])
        assert wait_for(lambda: len(rx.received()) >= 20, 20)
        try:
            assert stack.script("db.sh", "stop").returncode == 0
            time.sleep(2)
        finally:
            assert stack.script("db.sh", "start").returncode == 0
        assert wait_for(lambda: {e[0] for e in events} <= set(received_ids(rx)), 60), \
            "not all delivered within 60 s of the restart: some waited for their 120 s lease? " + \
            " | ".join(line for w in workers for line in w.text().splitlines() if "not loaded" in line)
        assert wait_for(lambda: count_status(stack, wid, "succeeded") == 300, 30)
        time.sleep(0.3)
        dup, ids = duplicated(rx)
        assert not dup and len(ids) == 300, (len(ids), len(dup))
        att = stack.sql("SELECT COUNT(*), SUM(ok), SUM(superseded) FROM delivery_attempts WHERE webhook_id = %s"
                        % q(wid))
        assert att == [["300", "300", "0"]], att
        for w in workers:
            assert w.stop() == 0
            assert "database reachable again" in w.text(), w.text()[-2000:]
    finally:
        restore(stack, workers, rx)


def test_an_attempt_that_lost_its_lease_is_recorded_as_superseded(stack):
    """Another worker takes the delivery over while the attempt is under way (its lease token
    changes): the attempt is still recorded, marked superseded, and the delivery stays the
    new holder's."""
    account, key = stack.new_account()
    started, taken_over = threading.Event(), threading.Event()

    def respond(req):
        started.set()
        taken_over.wait(60)  # answered once the lease changed, however long a loaded machine took
        return (200, {}, b"ok")
    rx = quiet(Receiver(respond))
    stop_stack_worker(stack)
    # a request timeout (and lease) long enough for the change to land while the attempt waits
    extra = ExtraWorker(stack, WH_REQUEST_TIMEOUT_MS="30000", WH_LEASE_SECONDS="60")
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert started.wait(30)
        other = "OtherWorkerLease0001"
        # the other worker's lease: its token, and due again only when it ends
        stack.sql("UPDATE deliveries SET lease_token = %s, next_attempt_at = next_attempt_at + 600000 "
                  "WHERE webhook_id = %s" % (q(other), q(wid)))
        taken_over.set()
        ds = wait_for(lambda: [d for d in deliveries(stack, key, wid) if d["attempts"] == 1], 30)
        assert ds, deliveries(stack, key, wid)
        row = stack.sql("SELECT status, lease_token, last_status_code FROM deliveries WHERE webhook_id = %s" % q(wid))
        assert row == [["pending", other, "NULL"]], row
        r = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, ds[0]["id"]), key=key)
        assert r.status == 200, r
        hist = r.json["attemptHistory"]
        assert len(hist) == 1 and hist[0]["superseded"] is True and hist[0]["statusCode"] == 200, hist
        # the holder's lease ends (here: is given up): the delivery is sent again and recorded normally
        stack.sql("UPDATE deliveries SET lease_token = NULL, next_attempt_at = 0 WHERE webhook_id = %s" % q(wid))
        ds = wait_for(lambda: [d for d in deliveries(stack, key, wid) if d["status"] == "succeeded"], 30)
        assert ds and ds[0]["attempts"] == 2, deliveries(stack, key, wid)
        hist = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, ds[0]["id"]), key=key).json["attemptHistory"]
        assert [a["superseded"] for a in hist] == [True, False], hist
        assert extra.stop() == 0
    finally:
        restore(stack, [extra], rx)


def stall_report(stack, account, wid):
    """What the database holds when a started worker delivers nothing: the account's events
    (fanned out or not), the webhook's deliveries, the live workers, the open transactions and
    the sessions. This test once saw its restarted worker send nothing for 30 s while it ran
    and logged nothing; the report is for the next time."""
    parts = [
        ("events", "SELECT seq, type, fanned_out FROM events WHERE account_id = %s ORDER BY seq" % q(account)),
        ("deliveries", "SELECT status, attempts, lease_token, next_attempt_at FROM deliveries "
                       "WHERE webhook_id = %s" % q(wid)),
        ("workers", "SELECT id, pid, last_seen FROM workers"),
        ("transactions", "SELECT trx_mysql_thread_id, trx_state, trx_started, trx_rows_locked, trx_query "
                         "FROM information_schema.innodb_trx"),
        ("sessions", "SELECT id, command, time, state, LEFT(info, 120) FROM information_schema.processlist"),
    ]
    out = []
    for name, sql in parts:
        try:
            out.append("%s: %r" % (name, stack.sql(sql)))
        except Exception as e:  # noqa: BLE001 - a report, whatever the database says
            out.append("%s: %s" % (name, e))
    return "\n".join(out)


def test_sigterm_lets_the_attempt_in_flight_finish(stack):
    account, key = stack.new_account()
    signalled = threading.Event()

    def respond(req):
        signalled.wait(60)  # in flight when the signal comes, however late the test sends it
        time.sleep(0.5)
        return (200, {}, b"")
    rx = quiet(Receiver(respond))
    stop_stack_worker(stack)
    try:
        # a grace period of min(request_timeout_ms, 10 s) = 10 s for an answer 0.5 s after the
        # signal: the suite's 3 s timeout would leave a loaded machine little room to read it
        extra = ExtraWorker(stack, WH_REQUEST_TIMEOUT_MS="10000", WH_LEASE_SECONDS="30")
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: rx.received(), 30)
        extra.p.send_signal(signal.SIGTERM)
        signalled.set()
        assert extra.stop(signal.SIGTERM, timeout=60) == 0
        ds = deliveries(stack, key, wid)
        assert ds[0]["status"] == "succeeded" and ds[0]["attempts"] == 1, ds
        assert "worker stopping: 1 attempt(s) in flight" in extra.text() and "worker stopped" in extra.text()
        # after the stop no new claims: an event stays pending until a worker runs again
        emit(stack, account, "visit.updated")
        time.sleep(0.5)
        assert len(rx.received()) == 1
        start_stack_worker(stack)
        assert wait_for(lambda: len(rx.received()) == 2, 30), \
            "the pending event was not delivered after restart\n" + stall_report(stack, account, wid)
    finally:
        start_stack_worker(stack)
        rx.close()


class V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def test_url_policy_blocks_private_addresses_unless_allowed(stack):
    account, key = stack.new_account()
    names = ["127.0.0.1", "127.1", "2130706433", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"]
    rxs = {n: Receiver() for n in names}
    v6 = V6Server(("::1", 0), rxs["[::1]"].server.RequestHandlerClass)
    v6.daemon_threads = True
    threading.Thread(target=v6.serve_forever, daemon=True).start()
    hooks = {}
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, WH_ALLOW_PRIVATE_TARGETS="0")
    try:
        loc = create_location(stack, account, key)  # 5 account-wide webhooks at most: one on a location
        settle(stack, account)
        for n in names:
            port = v6.server_address[1] if n == "[::1]" else rxs[n].port
            url = "http://%s:%d/hook" % (n, port)
            hooks[n] = create_webhook(stack, account, key, rxs[n].url, locationIds=[loc] if n == "0.0.0.0" else [])
            stack.sql("UPDATE webhooks SET url = %s WHERE id = %s" % (q(url), q(hooks[n])))
        emit(stack, account, "visit.created", loc)

        def all_blocked():
            ds = [deliveries(stack, key, hooks[n]) for n in names]
            return all(d and d[0]["attempts"] >= 1 for d in ds) and ds
        ds = wait_for(all_blocked, 30)
        assert ds, [deliveries(stack, key, hooks[n]) for n in names]
        for n, d in zip(names, ds):
            assert d[0]["lastError"] == "blocked_address" and d[0]["lastStatusCode"] is None, (n, d)
        assert extra.stop() == 0
        assert all(rxs[n].received() == [] for n in names), {n: len(rxs[n].received()) for n in names}

        # an allow-listed CIDR lets the loopback forms through; 0.0.0.0 is not in it
        extra = ExtraWorker(stack, WH_ALLOW_PRIVATE_TARGETS="0", WH_ALLOW_CIDRS="127.0.0.0/8, ::1/128")
        for n in names[:-1]:
            assert wait_for(lambda: rxs[n].received(), 30), n
        assert rxs["0.0.0.0"].received() == []
        d = wait_for(lambda: [x for x in deliveries(stack, key, hooks["0.0.0.0"]) if x["attempts"] >= 2], 30)
        assert d and d[0]["lastError"] == "blocked_address", d
    finally:
        if extra.p.poll() is None:
            extra.stop()
        start_stack_worker(stack)
        v6.shutdown()
        v6.server_close()
        for rx in rxs.values():
            rx.close()


def test_http_targets_refused_when_not_allowed(stack):
    account, key = stack.new_account()
    rx = Receiver()
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, WH_ALLOW_HTTP_TARGETS="0")
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        d = wait_for(lambda: [x for x in deliveries(stack, key, wid) if x["attempts"] >= 1], 30)
        assert d and d[0]["lastError"] == "invalid_url" and d[0]["status"] == "pending", d
        assert rx.received() == []
    finally:
        extra.stop()
        start_stack_worker(stack)
        rx.close()


def logged_at(text, phrase):
    """Unix time (the worker's own clock, to the millisecond) of the last log line holding phrase."""
    import calendar
    line = [x for x in text.splitlines() if phrase in x][-1]
    stamp = line.split(" ", 1)[0]
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + int(stamp[20:23]) / 1000


def test_sigterm_releases_an_attempt_that_does_not_finish_in_time(stack):
    """The grace period is min(request_timeout_ms, 10 s): here 10 s, while the endpoint would
    answer only after 25 s and the request would time out after 30 s. The worker gives the
    attempt its grace period, then cuts the transfer, gives the delivery back unrecorded and
    exits. Measured from the worker's log line of the stop to the moment the receiver sees its
    connection closed: a loaded machine may stop a process late, never cut a transfer early."""
    account, key = stack.new_account()
    cut = []

    def hang_once(req):
        if not cut:
            cut.append(closed_by_client(req["conn"], 25))
        return (200, {}, b"")
    rx = quiet(Receiver(hang_once))
    stop_stack_worker(stack)
    try:
        # a long lease: the delivery is not taken over while the stop runs, only given back
        extra = ExtraWorker(stack, WH_REQUEST_TIMEOUT_MS="30000", WH_LEASE_SECONDS="60")
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: rx.received(), 30)
        assert extra.stop(signal.SIGTERM, timeout=60) == 0
        log = extra.text()
        assert "worker stopping: 1 attempt(s) in flight" in log and "worker stopped" in log, log[-2000:]
        assert wait_for(lambda: cut, 30) and cut[0] is not None, "the worker did not cut the transfer"
        grace = cut[0] - logged_at(log, "worker stopping:")
        assert 9.5 <= grace < 20, "the transfer was cut %.2f s after the stop began" % grace
        row = stack.sql("SELECT status, attempts, lease_token IS NULL FROM deliveries WHERE webhook_id = %s" % q(wid))
        assert row == [["pending", "0", "1"]], row
        start_stack_worker(stack)
        d = wait_for(lambda: [x for x in deliveries(stack, key, wid) if x["status"] == "succeeded"], 30)
        assert d and d[0]["attempts"] == 1, d
    finally:
        start_stack_worker(stack)
        rx.close()


def db_pid(stack):
    with open(os.path.join(stack.var, "mysql.pid")) as f:
        return int(f.read().strip())


def test_transfers_do_not_wait_for_a_stopped_database(stack):
    """MariaDB stopped (SIGSTOP) for 10 s while transfers to a 3 s endpoint are in flight: the
    transfers end while it is stopped, none times out, and their records land when it resumes."""
    account, key = stack.new_account()
    n = 8
    rx = quiet(Receiver(slow(3)))
    stop_stack_worker(stack)
    # a request timeout of 6 s: a transfer held up by the 10 s stall would time out
    extra = ExtraWorker(stack, WH_REQUEST_TIMEOUT_MS="6000", WH_LEASE_SECONDS="60")
    pid = db_pid(stack)
    resumed = None
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(n)])
        # all n in flight before the stop (a loaded machine's worker may take a while to start)
        assert wait_for(lambda: len(rx.received()) == n, 60), len(rx.received())
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(10)
        finally:
            resumed = time.time()
            os.kill(pid, signal.SIGCONT)
        ds = wait_for(lambda: [d for d in deliveries(stack, key, wid) if d["status"] == "succeeded"], 30)
        assert len(ds) == n, deliveries(stack, key, wid)
        for d in ds:
            hist = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, d["id"]), key=key).json["attemptHistory"]
            assert len(hist) == 1 and hist[0]["statusCode"] == 200 and hist[0]["error"] is None, hist
        # every attempt ended (answer read) while the database was still stopped
        ends = stack.sql("SELECT MAX(at + duration_ms) FROM delivery_attempts WHERE webhook_id = %s" % q(wid))
        assert int(ends[0][0]) < resumed * 1000, (ends, resumed)
        assert extra.stop() == 0
    finally:
        if resumed is None:
            os.kill(pid, signal.SIGCONT)
        if extra.p.poll() is None:
            extra.stop()
        start_stack_worker(stack)
        rx.close()


def worker_row(stack, pid):
    rows = stack.sql("SELECT id, host, pid, version, started, last_seen, "
                     "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) FROM workers WHERE pid = %d" % pid)
    return rows[0] if rows else None


def test_heartbeat_row_is_kept_current_and_removed_on_a_clean_stop(stack):
    extra = ExtraWorker(stack)
    try:
        first = wait_for(lambda: worker_row(stack, extra.p.pid), 30)
        assert first, stack.sql("SELECT * FROM workers")
        wid, host, pid, version, started, seen, now = first
        assert len(wid) == 20 and host == socket.gethostname() and version and int(pid) == extra.p.pid, first
        # started and last_seen on the database's clock
        assert int(started) <= int(seen) <= int(now) and int(now) - int(seen) < 10000, first
        later = wait_for(lambda: (lambda r: r if r and int(r[5]) > int(seen) else None)(worker_row(stack, extra.p.pid)), 30)
        assert later and later[0] == wid and later[4] == started, (first, later)
        assert extra.stop() == 0
        assert worker_row(stack, extra.p.pid) is None, "the row outlived a clean stop"
        # a worker killed with -9 leaves its row behind, no longer seen
        extra = ExtraWorker(stack)
        assert wait_for(lambda: worker_row(stack, extra.p.pid), 30)
        extra.stop(signal.SIGKILL)
        gone = worker_row(stack, extra.p.pid)
        time.sleep(2.5)
        assert worker_row(stack, extra.p.pid)[5] == gone[5]
        stack.sql("DELETE FROM workers WHERE pid = %d" % extra.p.pid)
    finally:
        if extra.p.poll() is None:
            extra.stop()


def skewed(seconds):
    """Environment that runs a worker with its wall clock moved by seconds (libfaketime; the
    monotonic clock is left alone)."""
    import glob
    lib = (glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") + glob.glob("/usr/lib/faketime/libfaketimeMT.so.1"))
    assert lib, "libfaketime is missing (scripts/deps.sh installs faketime)"
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"LD_PRELOAD": lib[0], "FAKETIME": "%+d" % seconds, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0", "WH_LOG_LEVEL": "debug"}


def log_clock(text):
    """Unix time of a worker log's first line (its own wall clock)."""
    import calendar
    stamp = text.split(" ", 1)[0]
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))


def test_workers_with_skewed_clocks_agree_on_leases(stack):
    """Two workers whose host clocks are 10 minutes behind and ahead: leases, due times and
    their expiry are on the database's clock, so neither takes the other's deliveries."""
    account, key = stack.new_account()
    rx = quiet(Receiver(slow(0.05)))
    stop_stack_worker(stack)
    workers = [ExtraWorker(stack, **skewed(-600)), ExtraWorker(stack, **skewed(600))]
    try:
        for w, skew in zip(workers, (-600, 600)):
            assert wait_for(lambda: "worker started" in w.text(), 30), w.text()
            assert abs(log_clock(w.text()) - time.time() - skew) < 60, "the clock was not moved: " + w.text()[:200]
        wid = create_webhook(stack, account, key, rx.url)
        events = emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(300)])
        longest = 0
        while count_status(stack, wid, "succeeded") < 300 and len(rx.received()) < 400:
            ahead = stack.sql("SELECT MAX(lease_expires) - CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) "
                              "FROM deliveries WHERE webhook_id = %s AND lease_token IS NOT NULL" % q(wid))[0][0]
            if ahead != "NULL":
                longest = max(longest, int(ahead))
            time.sleep(0.05)
        assert count_status(stack, wid, "succeeded") == 300
        time.sleep(0.3)
        dup, ids = duplicated(rx)
        assert sorted(ids) == sorted(e[0] for e in events), (len(ids), len(dup))
        # a lease ends lease_seconds (5 s here) after the database's now, whatever the host's clock
        assert 0 < longest <= 5000, longest
        att = stack.sql("SELECT COUNT(*), SUM(superseded) FROM delivery_attempts WHERE webhook_id = %s" % q(wid))
        assert att == [["300", "0"]], att
        for w in workers:
            assert w.stop() == 0
            assert "delivered" in w.text(), "a worker did no work"
    finally:
        restore(stack, workers, rx)


def signed_with(req):
    """The secrets (of SECRET and NEW_SECRET) whose Standard Webhooks signatures the request
    carries, checked against its own webhook-timestamp (a skewed worker's)."""
    h = req["headers"]
    msg = b"%s.%s.%s" % (h["webhook-id"].encode(), h["webhook-timestamp"].encode(), req["body"])
    names = {"v1," + b64hmac(s.encode(), msg): s for s in (SECRET, NEW_SECRET)}
    return [names.get(e, "?") for e in h["webhook-signature"].split(" ")]


NEW_SECRET = "NewSecretNewSecret123456"


def test_a_worker_ahead_signs_with_both_secrets_while_the_overlap_lasts(stack):
    """The previous secret's overlap ends on the database's clock, as the API writes it: a
    worker whose host clock is 10 minutes ahead still signs with both secrets in an overlap
    that ends in 5 minutes (it compared the end with its own clock and signed with the new
    secret only), and with the new one alone once the overlap has ended."""
    account, key = stack.new_account()
    rx = Receiver()
    stop_stack_worker(stack)
    w = ExtraWorker(stack, **skewed(600))
    now = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
    try:
        wid = create_webhook(stack, account, key, rx.url)
        r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % wid, body={"secret": NEW_SECRET}, key=key)
        assert r.status == 200, r
        stack.sql("UPDATE webhooks SET prev_secret_expires = %s + 300000 WHERE id = %s" % (now, q(wid)))
        emit(stack, account, "location.created")
        assert wait_for(lambda: len(rx.received()) == 1, 30), w.text()[-2000:]
        assert signed_with(rx.received()[0]) == [NEW_SECRET, SECRET], rx.received()[0]["headers"]
        stack.sql("UPDATE webhooks SET prev_secret_expires = %s - 1000 WHERE id = %s" % (now, q(wid)))
        emit(stack, account, "location.created")
        assert wait_for(lambda: len(rx.received()) == 2, 30), w.text()[-2000:]
        assert signed_with(rx.received()[1]) == [NEW_SECRET], rx.received()[1]["headers"]
    finally:
        restore(stack, [w], rx)
