"""The Galera fault test (SPEC §13): the WH_GALERA=1 topology (3 nodes, 2 fronts, 2 workers,
scripts/galera-stack.sh) on free ports in its own directory, a counting receiver on loopback.

Visit writes stream through both fronts (each with its own Idempotency-Key, retried with it
after a 503 or a lost connection, as a client should). Mid-run node 2 (front 2's) is killed
with kill -9 and restarted (it rejoins by IST), then node 3 (worker 1's) is killed and
restarted. Then: every acknowledged visit has its event and exactly one delivery, received
exactly once; retries created nothing twice; 503 only in the seconds after a kill, never a
500; all three nodes hold identical row counts and checksums of events, deliveries and
attempts. A separate case shows the fence two workers on two nodes rely on: two claims of
the same delivery, on two nodes, can't both commit (the second gets 1213 and, retried,
finds the lease taken). The last case reads the workers' and fronts' logs: every database
connection they lost was to a node at its kill, none to a healthy node (a statement waiting
out the 60 s network timeout, README "Running past one machine").

Usage: python3 tests/galera/run.py [case ...]; prints ok/FAIL lines and a total like the
other runners. scripts/test.sh runs it with the whole suite and for T=galera."""
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import lib  # noqa: E402

STREAMS_PER_FRONT = 2
PHASE_S = 6  # streaming before and after each kill
SETTLE_503_S = 12  # a 503 counts as "around a kill" up to this long after it
# A client notices its node's kill at its next read or write: at once for the busy workers
# and fronts; this is room for a loaded machine, far below the 60 s network timeout.
KILL_NOTICE_S = 20
NETWORK_TIMEOUT_S = 60  # common/db.c's read and write timeouts


def two_free_ports():
    """A port p with p+1 free too (the second front's)."""
    for _ in range(50):
        p = lib.free_port()
        try:
            import socket
            s = socket.socket()
            s.bind(("127.0.0.1", p + 1))
            s.close()
            return p
        except OSError:
            continue
    raise AssertionError("no two consecutive free ports")


class Cluster:
    def __init__(self, var):
        self.var = var
        self.port = two_free_ports()
        self.env = dict(os.environ)
        self.env.update({
            "WH_VAR": var, "WH_HTTP_PORT": str(self.port), "WH_DEMO": "0", "WH_DB_DURABLE": "0",
            "WH_FCGI_PROCS": "2", "WH_RATE_LIMIT_PER_SECOND": "100000", "WH_RATE_LIMIT_BURST": "100000",
            # Longer than the few seconds a node's loss stalls the cluster's commits, so a
            # worker that moves to another node keeps its leases (no duplicate by SPEC §7).
            "WH_LEASE_SECONDS": "30",
            # the default timeouts: a receiver slowed by a loaded machine is not a failure here
            "WH_REQUEST_TIMEOUT_MS": "15000", "WH_CONNECT_TIMEOUT_MS": "5000",
            # each attempt's start, claim and record with its lease in the workers' logs: a
            # failed duplicate check names what they did with the event's deliveries
            "WH_WORKER_LOG_LEVEL": "debug",
        })
        self.env.pop("WH_DB_HOSTS", None)
        self.fronts = [self.port, self.port + 1]
        self.kills = []  # (node, time) of each kill -9

    def run(self, script, *args, timeout=300):
        p = subprocess.run([os.path.join(ROOT, "scripts", script)] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError("%s %s failed:\n%s\n%s" % (script, " ".join(args), p.stdout, p.stderr[-3000:]))
        return p.stdout

    def sql(self, node, query):
        out = self.run("galera.sh", "sql", str(node), "-N", "-B", "linehook", "-e",
                       "SET SESSION wsrep_sync_wait = 1; " + query)
        return [line.split("\t") for line in out.splitlines()]

    def cli(self, *args):
        p = subprocess.run([os.path.join(os.environ.get("WH_BUILD", os.path.join(ROOT, "build")), "webhooks-api"),
                            "--config", os.path.join(self.var, "front1", "webhooks.conf")] + list(args),
                           env=self.env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    def kill(self, node):
        self.kills.append((node, time.time()))
        self.run("galera.sh", "kill", str(node))

    def worker_pid(self, i):
        with open(os.path.join(self.var, "worker%d" % i, "worker.pid")) as f:
            return int(f.read())

    def log(self, part, name):
        with open(os.path.join(self.var, part, name), errors="replace") as f:
            return f.read()

    def stop_workers(self):
        pids = [self.worker_pid(i) for i in (1, 2)]
        for pid in pids:
            os.kill(pid, 15)
        # a stop takes at most the grace for attempts in flight (10 s) and 5 s of writes; the
        # rest is room for a loaded machine
        assert lib.wait_for(lambda: not any(os.path.exists("/proc/%d" % pid) for pid in pids), 60), \
            "the workers did not stop"

    def request(self, front, method, path, body=None, key=None, headers=None, timeout=30):
        stack = lib.Stack.__new__(lib.Stack)
        stack.port = self.fronts[front]
        return lib.Stack.request(stack, method, path, body=body, key=key, headers=headers, timeout=timeout)


class Streams:
    """Writers posting visits through both fronts until stopped. Each visit has its own
    Idempotency-Key, sent again after a 503 or a lost connection until it is acknowledged."""

    def __init__(self, cluster, key, locations):
        self.c = cluster
        self.key = key
        self.locations = locations
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}  # visit id -> idempotency key
        self.unavailable = []  # (time, front, what) of each 503 or lost connection
        self.other = []  # any other answer: (status, body)
        self.threads = []

    def post(self, front, loc, idem):
        body = {"locationId": loc, "firstName": "Galera", "lastName": idem[:8]}
        while True:
            try:
                r = self.c.request(front, "POST", "/v2/visits", body, key=self.key, headers={"Idempotency-Key": idem})
            except OSError as e:
                with self.lock:
                    self.unavailable.append((time.time(), front, "connection: %s" % e))
                time.sleep(0.2)
                continue
            if r.status == 201:
                with self.lock:
                    if r.json["id"] in self.acked and self.acked[r.json["id"]] != idem:
                        self.other.append((201, "visit id answered for two keys: " + r.body))
                    self.acked[r.json["id"]] = idem
                return
            if r.status == 503:
                with self.lock:
                    self.unavailable.append((time.time(), front, r.body[:200]))
                time.sleep(0.2)
                continue
            with self.lock:
                self.other.append((r.status, r.body[:300]))
            return

    def loop(self, front, loc):
        while not self.stop.is_set():
            self.post(front, loc, uuid.uuid4().hex)

    def start(self):
        n = 0
        for front in (0, 1):
            for _ in range(STREAMS_PER_FRONT):
                t = threading.Thread(target=self.loop, args=(front, self.locations[n]), daemon=True)
                t.start()
                self.threads.append(t)
                n += 1

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(120)


def test_node_kills_lose_nothing(c):
    account = c.cli("create-account", "galera")
    key = c.cli("create-key", account)
    locations = []
    for i in range(2 * STREAMS_PER_FRONT):
        r = c.request(i % 2, "POST", "/v2/locations", {"name": "L%d" % i}, key=key)
        assert r.status == 201, r
        locations.append(r.json["id"])
    receiver = lib.Receiver()
    r = c.request(0, "POST", "/v2/webhooks", {"url": receiver.url, "eventTypes": ["visit.created"]}, key=key)
    assert r.status == 201, r
    # written through front 1, read at once through front 2 (another node): wsrep_sync_wait
    r = c.request(1, "GET", "/v2/webhooks/" + r.json["id"], key=key)
    assert r.status == 200, r

    worker1 = c.worker_pid(1)
    streams = Streams(c, key, locations)
    kills = []
    streams.start()
    time.sleep(PHASE_S)
    kills.append(time.time())
    c.kill(2)  # front 2's node
    time.sleep(PHASE_S)
    c.run("galera.sh", "restart", "2")  # rejoins by IST while the writes go on
    time.sleep(PHASE_S)
    kills.append(time.time())
    c.kill(3)  # worker 1's node
    time.sleep(PHASE_S)
    c.run("galera.sh", "restart", "3")
    time.sleep(2)
    streams.finish()
    writes_ended = time.time()
    receiver_seen = lambda: {json.loads(q["body"])["data"]["id"] for q in receiver.received()}  # noqa: E731
    acked = dict(streams.acked)
    try:
        assert not streams.other, "answers other than 201 and 503: %r" % streams.other[:5]
        assert len(acked) > 50, "too few writes acknowledged: %d" % len(acked)
        late = [u for u in streams.unavailable if not any(k - 1 <= u[0] <= k + SETTLE_503_S for k in kills)]
        assert not late, "503s or lost connections away from a kill: %r" % late[:5]
        # A run delivers the last of them within seconds of the writes' end (the figure is
        # printed below); the bound is room for a loaded machine. A worker's statement that
        # waited out its 60 s network timeout on a healthy node made runs need up to 300 s
        # here: the last case asserts that no connection is lost that way any more.
        assert lib.wait_for(lambda: set(acked) <= receiver_seen(), 60, 0.5), \
            "acknowledged visits never delivered: %d" % len(set(acked) - receiver_seen())
        delivered_after = time.time() - writes_ended
        # every write acknowledged once: the retries with the same key created nothing more
        stored = {row[0] for row in c.sql(1, "SELECT id FROM visits WHERE account_id = '%s'" % account)}
        assert stored == set(acked), "visits stored %d, acknowledged %d" % (len(stored), len(acked))
        events = c.sql(1, "SELECT COUNT(*), COUNT(DISTINCT JSON_VALUE(payload, '$.data.id')) FROM events "
                          "WHERE account_id = '%s' AND type = 'visit.created'" % account)
        assert events[0] == [str(len(acked))] * 2, "visit.created events %r for %d visits" % (events, len(acked))

        def delivered():
            return c.sql(1, "SELECT COUNT(*), COUNT(DISTINCT event_id), SUM(status = 'succeeded') "
                            "FROM deliveries WHERE account_id = '%s'" % account)
        # the receiver sees a request before the worker records its outcome (later on a loaded
        # machine), and one it read without answering is a connection_closed attempt retried
        # on the schedule (5 s), never resent unseen by libcurl
        lib.wait_for(lambda: delivered()[0] == [str(len(acked))] * 3, 60, 0.5)
        deliveries = delivered()
        assert deliveries[0] == [str(len(acked))] * 3, "deliveries %r for %d events" % (deliveries, len(acked))
        # no duplicates: no worker died, so each event reached the receiver once for each
        # attempt recorded (one, unless an attempt failed, e.g. timed out, and was retried)
        ids = [q["headers"]["webhook-id"] for q in receiver.received()]
        counts = {}
        for i in ids:
            counts[i] = counts.get(i, 0) + 1
        attempts, unexplained = {}, {}

        def explained():
            attempts.clear()
            attempts.update({r[0]: int(r[1]) for r in c.sql(1, "SELECT event_id, attempts FROM deliveries "
                                                                "WHERE account_id = '%s'" % account)})
            unexplained.clear()
            unexplained.update({i: n for i, n in counts.items() if n > attempts.get(i, 0)})
            return not unexplained
        # a worker whose connection hung on a killed node (up to its 60 s read timeout) records
        # its attempts, superseded, only once it notices; meanwhile another sent them again
        assert lib.wait_for(explained, 90, 1.0), \
            "sent more often than attempts recorded: %r; %s" % (list(unexplained.items())[:5],
                                                               why_unexplained(c, receiver, list(unexplained)[:3]))
        retried = sum(1 for n in attempts.values() if n > 1)
        assert len(set(ids)) == len(acked), "received %d events, acknowledged %d" % (len(set(ids)), len(acked))
    finally:
        receiver.close()
    # the clients moved to other nodes without a restart: front 2 left node 2, worker 1 node 3
    hosts = c.run("galera.sh", "hosts").strip().split(",")
    assert c.worker_pid(1) == worker1 and os.path.exists("/proc/%d" % worker1), "worker 1 was restarted"
    assert "database: connected to %s" % hosts[2] in c.log("front2", "api.log"), "front 2 never moved to node 3"
    assert "database: connected to %s" % hosts[0] in c.log("worker1", "worker.log"), "worker 1 never moved to node 1"
    # the nodes converge: identical counts and checksums
    assert lib.wait_for(lambda: all(synced(c, n) for n in (1, 2, 3)), 60, 0.5), "a node is not Synced"
    # read node after node while the workers still record (a retried attempt, retention), so
    # the run has settled when three reads in a row agree
    sums = []

    def identical():
        sums[:] = [table_sums(c, n) for n in (1, 2, 3)]
        return sums[0] == sums[1] == sums[2]
    assert lib.wait_for(identical, 60, 1.0), "nodes differ: %r" % sums
    conflicts = sum(int(c.sql(n, "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE "
                                 "VARIABLE_NAME IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')")[0][0])
                    for n in (1, 2, 3))
    # transactions the savepoint guard caught: rolled back under their statements without an
    # error (README "Running past one machine"), retried instead of half committed
    guarded = sum(c.log(w, "worker.log").count("rolled back under its statements") for w in ("worker1", "worker2"))
    print("     galera: %d writes acknowledged, %d 503s/lost connections (retried), %d certification "
          "conflicts and brute-force aborts retried, %d silent rollbacks caught by the savepoint guard, %d "
          "deliveries with a failed attempt, all received %.1f s after the writes ended, nodes identical"
          % (len(acked), len(streams.unavailable), conflicts, guarded, retried, delivered_after), flush=True)


def why_unexplained(c, receiver, events):
    """For a failure message: when the receiver got each event, on which connection, the
    delivery row and attempt rows the cluster holds for it, and the workers' log lines about
    its deliveries (debug: each attempt's start and record with its lease)."""
    out = []
    for e in events:
        got = ["%.3f conn %x" % (q["at"], id(q["conn"])) for q in receiver.received()
               if q["headers"].get("webhook-id") == e]
        rows = c.sql(1, "SELECT d.id, d.status, d.attempts, d.lease_token, a.seq, a.at, a.ok, a.status_code, "
                        "a.error, a.superseded FROM deliveries d LEFT JOIN delivery_attempts a ON "
                        "a.delivery_id = d.id WHERE d.event_id = '%s'" % e)
        out.append("event %s received at %s; delivery and attempts %r" % (e, got, rows))
        for d in sorted({r[0] for r in rows}):
            for w in ("worker1", "worker2"):
                lines = [line for line in c.log(w, "worker.log").splitlines() if d in line]
                out.append("%s on %s: %s" % (w, d, " | ".join(lines[:12]) or "nothing"))
    return "; ".join(out)


def synced(c, node):
    try:
        return c.sql(node, "SHOW STATUS LIKE 'wsrep_local_state_comment'")[0][1] == "Synced"
    except AssertionError:
        return False


def table_sums(c, node):
    out = {}
    for t in ("events", "deliveries", "delivery_attempts"):
        count = c.sql(node, "SELECT COUNT(*) FROM " + t)[0][0]
        checksum = c.sql(node, "CHECKSUM TABLE " + t)[0][1]
        out[t] = (count, checksum)
    return out


def test_two_claims_on_two_nodes_one_wins(c):
    """The worker's claim (claim.c: SELECT ... FOR UPDATE SKIP LOCKED, then the lease UPDATE)
    of the same delivery through two nodes at once: SKIP LOCKED can't see the other node's
    row lock, so both take it; certification lets the first COMMIT win and answers the other
    1213; retried whole, as the worker does, the claim finds the row no longer due."""
    c.stop_workers()  # the real workers would claim the row too
    rows = c.sql(1, "SELECT id FROM deliveries WHERE status = 'succeeded' LIMIT 1")
    assert rows, "no delivery to claim (the first case makes them)"
    delivery = rows[0][0]
    c.sql(1, "UPDATE deliveries SET status = 'pending', next_attempt_at = 0, lease_token = NULL, "
             "lease_expires = NULL WHERE id = '%s'" % delivery)
    due = ("SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= 1000 AND id = '%s' "
           "FOR UPDATE SKIP LOCKED;" % delivery)
    lease = ("UPDATE deliveries SET lease_token = '%s', lease_expires = 9000000000000, "
             "next_attempt_at = 9000000000000 WHERE id IN ('" + delivery + "');")
    a = node_session(c, 1)
    b = node_session(c, 2)
    try:
        a.say("SET SESSION wsrep_sync_wait = 1; START TRANSACTION; " + due)
        b.say("SET SESSION wsrep_sync_wait = 1; START TRANSACTION; " + due)
        assert a.read() == [delivery] and b.read() == [delivery], "both nodes should find the row due"
        a.say(lease % "A" + " COMMIT; SELECT 'committed';")
        assert a.read() == ["committed"]
        b.say(lease % "B" + " COMMIT; SELECT 'committed';")
        b.read()
        assert "1213" in b.errors(), "the second claim committed: %s" % b.errors()
        # the worker retries the claim whole: the row is leased and no longer due
        b.say("START TRANSACTION; " + due + " SELECT 'none'; COMMIT;")
        assert b.read() == ["none"]
    finally:
        a.close()
        b.close()
    owner = c.sql(3, "SELECT lease_token FROM deliveries WHERE id = '%s'" % delivery)
    assert owner == [["A"]], owner


class node_session:
    """One interactive mariadb client session on a node: say() sends statements, read() the
    next line of results (each SELECT prints one)."""

    def __init__(self, c, node):
        sock = os.path.join(c.var, "galera", "n%d.sock" % node)
        self.err_path = os.path.join(c.var, "session-%d-%s.err" % (node, uuid.uuid4().hex[:6]))
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "--socket=" + sock, "-uroot", "-N", "-B", "-n", "-f",
                                   "linehook"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                  text=True, bufsize=1)

    def say(self, sql):
        self.p.stdin.write(sql + "\n")
        self.p.stdin.flush()

    def read(self, timeout=30):
        out = []

        def get():
            out.append(self.p.stdout.readline().rstrip("\n"))
        t = threading.Thread(target=get, daemon=True)
        t.start()
        t.join(timeout)
        return [out[0]] if out else ["<timeout>"]

    def errors(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def close(self):
        self.p.stdin.close()
        self.p.wait(30)
        self.err.close()


LOST = re.compile(r"^(\S+)Z WARN \S+ db\.c:\d+: database connection lost \((\w+)\) to (\S+): (.*)$")


def connections_lost(c, part, name):
    """(time, node, what, message) of each database connection lost in a log."""
    hosts = c.run("galera.sh", "hosts").strip().split(",")
    out = []
    for line in c.log(part, name).splitlines():
        m = LOST.match(line)
        if m:
            when = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
            when = when.replace(tzinfo=datetime.timezone.utc).timestamp()
            node = hosts.index(m.group(3)) + 1 if m.group(3) in hosts else m.group(3)
            out.append((when, node, m.group(2), m.group(4)))
    return out


def test_no_connection_lost_on_a_healthy_node(c):
    """The workers and fronts lost database connections only to a node at its kill. A
    connection to a healthy node never waits out the network timeout: that was a statement
    whose locking read had been brute-force aborted after its rows began (common/db.c drops
    such a statement handle now; tests/e2e/test_db_results.py shows it on one node). Checked
    once a stall begun at the last kill would have ended in a logged loss."""
    assert c.kills, "needs test_node_kills_lose_nothing (the kills) first"
    wait = c.kills[-1][1] + NETWORK_TIMEOUT_S + 10 - time.time()
    if wait > 0:
        time.sleep(wait)
    seen, unexplained = {}, []
    for part, name in (("worker1", "worker.log"), ("worker2", "worker.log"), ("front1", "api.log"),
                       ("front2", "api.log")):
        seen[part] = connections_lost(c, part, name)
        for when, node, what, msg in seen[part]:
            if not any(n == node and k - 1 <= when <= k + KILL_NOTICE_S for n, k in c.kills):
                unexplained.append("%s: %s, node %s (%s): %s" % (part, time.strftime("%H:%M:%S", time.gmtime(when)),
                                                                 node, what, msg))
    assert not unexplained, "database connections lost away from a kill of their node: %r" % unexplained
    # the log lines are read right: worker 1 was on node 3 when it was killed
    assert any(node == 3 for _, node, _, _ in seen["worker1"]), "worker 1 lost no connection to node 3: %r" % seen


def main():
    only = sys.argv[1:]
    var = os.path.join(os.environ.get("WH_GALERA_VAR") or os.environ["WH_VAR"])
    os.makedirs(var, exist_ok=True)
    c = Cluster(var)
    passed = failed = 0
    try:
        c.run("galera-stack.sh", "start", timeout=600)
        cases = [test_node_kills_lose_nothing, test_two_claims_on_two_nodes_one_wins,
                 test_no_connection_lost_on_a_healthy_node]
        for case in cases:
            if only and case.__name__ not in only:
                continue
            start = time.time()
            try:
                case(c)
                passed += 1
                print("ok   galera/%s (%.1fs)" % (case.__name__, time.time() - start), flush=True)
            except Exception:
                import traceback
                failed += 1
                print("FAIL galera/%s" % case.__name__, flush=True)
                traceback.print_exc()
                sys.stdout.flush()
    except AssertionError as e:
        failed += 1
        print("FAIL galera/stack: %s" % e, flush=True)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "galera-stack.sh"), "stop"], env=c.env,
                       capture_output=True, timeout=300)
    print("galera: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
