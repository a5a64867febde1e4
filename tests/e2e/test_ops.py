"""Operations (SPEC §12, issue 13): the per-account rate limit shared by every FastCGI
process, liveness (/v2/health with workers and outbox, the cheap /v2/live probe), and the
monotonic metrics counters."""
import http.client
import os
import re
import threading
import time

from lib import Front, wait_for
from test_delivery_faults import start_stack_worker, stop_stack_worker

DB_NOW_MS = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"


def get_status(port, path, key):
    """A GET on its own connection (thread-safe, unlike Front.request, which borrows the
    stack's port for the call)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"apikey": key})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def health(stack):
    r = stack.request("GET", "/v2/health")
    assert r.headers["content-type"] == "application/json; charset=utf-8", r
    return r


def test_rate_limit_holds_across_processes(stack):
    """4 FastCGI processes behind one lighttpd share each account's bucket: the requests let
    through stay within 10 % of burst + rate x elapsed (counted, whatever the machine's
    speed), where 4 buckets of their own would let about 4 x the burst through."""
    rate, burst, threads, each = 2, 20, 8, 15
    front = Front(stack, {"rate_limit_per_second": str(rate), "rate_limit_burst": str(burst), "log_level": "debug"},
                  procs=4)
    try:
        account, key = stack.new_account("shared bucket")
        statuses = []
        lock = threading.Lock()

        def hammer():
            for _ in range(each):
                s = get_status(front.port, "/v2/account", key)
                with lock:
                    statuses.append(s)
        start = time.monotonic()
        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        elapsed = time.monotonic() - start
        ok = statuses.count(200)
        assert ok + statuses.count(429) == threads * each, statuses
        allowed = burst + rate * elapsed
        assert burst * 0.9 <= ok <= allowed * 1.1, (ok, allowed, elapsed)
        # the requests really were answered by several processes
        with open(os.path.join(front.dir, "api.log")) as f:
            pids = set(re.findall(r"webhooks-api\[(\d+)\].*GET /v2/account", f.read()))
        assert len(pids) >= 2, pids
    finally:
        front.close()


def test_health_counts_workers_seen_within_30_s_and_the_outbox_age(stack):
    """The health logic on rows written by the test (the worker is stopped meanwhile): a
    worker row seen 25 s ago is alive (5 s left for a loaded machine to answer the check),
    31 s ago is not; the oldest event not fanned out gives oldestPendingSeconds."""
    account, key = stack.new_account("health")
    stop_stack_worker(stack)
    try:
        stack.sql("UPDATE workers SET last_seen = last_seen - 3600000")
        r = health(stack)
        assert r.status == 503 and r.json["status"] == "degraded" and r.json["database"] == "ok", r
        assert r.json["workers"] == {"alive": 0}, r
        stack.sql("INSERT INTO workers (id, host, pid, version, started, last_seen) VALUES "
                  "('healthTestWorker0001', 'test', 1, 'test', %s - 25000, %s - 25000)" % (DB_NOW_MS, DB_NOW_MS))
        r = health(stack)
        assert r.status == 200 and r.json["status"] == "ok" and r.json["workers"] == {"alive": 1}, r
        stack.sql("UPDATE workers SET last_seen = %s - 31000 WHERE id = 'healthTestWorker0001'" % DB_NOW_MS)
        r = health(stack)
        assert r.status == 503 and r.json["workers"] == {"alive": 0}, r
        # the outbox: an event the stopped worker has not fanned out, 5 s old
        loc = stack.request("POST", "/v2/locations", {"name": "health"}, key=key)
        assert loc.status == 201, loc
        stack.sql("UPDATE events SET created = created - 5000 WHERE fanned_out = 0 AND account_id = '%s'" % account)
        r = health(stack)
        assert 5 <= r.json["outbox"]["oldestPendingSeconds"] < 3600, r
        # a load balancer's probe answers whatever the workers do
        r = stack.request("GET", "/v2/live")
        assert r.status == 200 and r.json == {"status": "ok"}, r
    finally:
        stack.sql("DELETE FROM workers WHERE id = 'healthTestWorker0001'")
        start_stack_worker(stack)
    # once the worker runs again the event goes out
    assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM events WHERE fanned_out = 0 AND account_id = '%s'"
                                      % account) == [["0"]], 20)


def test_health_is_degraded_while_the_database_is_down(stack):
    try:
        assert stack.script("db.sh", "stop").returncode == 0
        r = health(stack)
        assert r.status == 503 and r.json["status"] == "degraded" and r.json["database"] == "unreachable", r
        assert r.json["workers"] == {"alive": 0} and r.json["outbox"] == {"oldestPendingSeconds": 0}, r
        assert stack.request("GET", "/v2/live").status == 200
    finally:
        assert stack.script("db.sh", "start").returncode == 0
    assert wait_for(lambda: health(stack).json["database"] == "ok", 20)


def metrics(stack):
    r = stack.request("GET", "/metrics")
    assert r.status == 200, r
    series = {}
    for line in r.body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            series[name] = float(value)
    return series


TOTALS = ('linehook_attempts_total{outcome="success"}', 'linehook_attempts_total{outcome="failure"}',
          'linehook_deliveries_total{status="succeeded"}', 'linehook_deliveries_total{status="failed"}')


def test_metrics_totals_are_counters_that_retention_does_not_decrease(stack):
    from lib import Receiver
    account, key = stack.new_account("metrics")
    rx = Receiver(lambda req: (500, {}, b"no") if req["path"].startswith("/fail") else (204, {}, b""))
    try:
        before = metrics(stack)
        assert all(name in before for name in TOTALS), before
        ok = stack.request("POST", "/v2/webhooks", {"url": rx.url, "eventTypes": ["location.created"]}, key=key).json
        bad = stack.request("POST", "/v2/webhooks", {"url": rx.url.replace("/hook", "/fail"),
                                                     "eventTypes": ["location.created"]}, key=key).json
        assert stack.request("POST", "/v2/locations", {"name": "counted"}, key=key).status == 201

        def final(wid):
            d = stack.request("GET", "/v2/webhooks/%s/deliveries" % wid, key=key).json["results"]
            return d and d[0]["status"] != "pending" and d[0]
        good = wait_for(lambda: final(ok["id"]), 20)
        failed = wait_for(lambda: final(bad["id"]), 30)  # the test stack retries after 1, 1, 2 s
        assert good["status"] == "succeeded" and failed["status"] == "failed", (good, failed)
        after = metrics(stack)
        assert after[TOTALS[0]] >= before[TOTALS[0]] + 1 and after[TOTALS[1]] >= before[TOTALS[1]] + 4, after
        assert after[TOTALS[2]] >= before[TOTALS[2]] + 1 and after[TOTALS[3]] >= before[TOTALS[3]] + 1, after
        # a resent delivery that succeeds again counts again
        r = stack.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (ok["id"], good["id"]), raw=b"", key=key)
        assert r.status == 202, r
        def again():
            d = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (ok["id"], good["id"]), key=key).json
            return d["status"] == "succeeded" and d["attempts"] == 2
        assert wait_for(again, 20)
        assert metrics(stack)[TOTALS[2]] >= after[TOTALS[2]] + 1  # the resend counted, not lost
        # retention deletes this account's rows: the counters keep them
        offsets = dict(((m, l), int(v)) for m, l, v in stack.sql("SELECT metric, label, value FROM metric_offsets"))
        counted = metrics(stack)
        month = 31 * 86400 * 1000
        ids = "(SELECT id FROM webhooks WHERE account_id = '%s')" % account
        stack.sql("UPDATE delivery_attempts SET at = at - %d WHERE webhook_id IN %s" % (month, ids))
        stack.sql("UPDATE deliveries SET created = created - %d WHERE webhook_id IN %s" % (month, ids))
        assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM deliveries WHERE webhook_id IN %s" % ids)
                        == [["0"]], 20)
        assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM delivery_attempts WHERE webhook_id IN %s" % ids)
                        == [["0"]], 20)
        kept = metrics(stack)
        assert all(kept[name] >= counted[name] for name in TOTALS), (counted, kept)
        grown = dict(((m, l), int(v)) for m, l, v in stack.sql("SELECT metric, label, value FROM metric_offsets"))
        g = lambda k: grown.get(k, 0) - offsets.get(k, 0)  # noqa: E731
        assert g(("attempts_total", "success")) >= 2 and g(("attempts_total", "failure")) >= 4, grown
        assert g(("deliveries_total", "succeeded")) >= 1 and g(("deliveries_total", "failed")) >= 1, grown
    finally:
        rx.close()


def test_health_follows_the_real_worker(stack):
    """The stack's own worker writes its heartbeat: health is ok while it runs, degraded (no
    worker alive) once it stopped cleanly (its row deleted), ok again after a restart."""
    assert wait_for(lambda: health(stack).status == 200, 20), health(stack)
    assert health(stack).json["workers"]["alive"] >= 1
    stop_stack_worker(stack)
    try:
        # its clean stop deletes its row (rows of workers killed by other tests age out in 30 s)
        assert wait_for(lambda: health(stack).status == 503, 40), health(stack)
        r = health(stack)
        assert r.json["status"] == "degraded" and r.json["workers"] == {"alive": 0}, r
    finally:
        start_stack_worker(stack)
    assert wait_for(lambda: health(stack).status == 200, 20), health(stack)
