"""The cluster rows of `make bench` (SPEC §13): POST /v2/visits/s through 1 and 2 fronts and
deliveries/s with 1 and 2 workers on the 3-node Galera stack (scripts/galera-stack.sh), each
beside the single-node figure of the same run. Runs after the single-node stack is stopped,
so the two never share the machine's cores."""
import json
import os
import signal
import subprocess
import threading
import time

from stack import ROOT, BenchError, Stack, log, param


class ClusterStack(Stack):
    """The WH_GALERA=1 topology in a temporary directory: Stack's helpers work on it because
    $WH_VAR/mysql.sock points at node 1's socket and the config is front 1's."""

    SCRIPT = "galera-stack.sh"

    def __init__(self, build):
        super().__init__(build)
        self.env.update({"WH_FRONTS": "2", "WH_WORKERS": "2"})
        self.env.pop("WH_DB_PORT", None)
        self.conf = os.path.join(self.var, "front1", "webhooks.conf")
        self.fronts = [self.base, "http://127.0.0.1:%d" % (self.port + 1)]

    def start(self):
        log("cluster: starting 3 Galera nodes, 2 fronts, 2 workers in %s" % self.tmp)
        self.script("start")
        os.symlink(os.path.join(self.var, "galera", "n1.sock"), os.path.join(self.var, "mysql.sock"))
        self.start_sink()

    def worker_pids(self):
        out = []
        for i in (1, 2):
            try:
                with open(os.path.join(self.var, "worker%d" % i, "worker.pid")) as f:
                    out.append(int(f.read()))
            except (OSError, ValueError):
                pass
        return out

    def stop_workers(self):
        pids = self.worker_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        end = time.time() + 30
        while time.time() < end and any(os.path.exists("/proc/%d" % p) for p in pids):
            time.sleep(0.1)
        for pid in pids:  # a worker stuck in a database call: its leases expire
            if os.path.exists("/proc/%d" % pid):
                log("cluster: worker %d did not stop on SIGTERM within 30 s; killed" % pid)
                os.kill(pid, signal.SIGKILL)

    def start_workers(self, n):
        self.script("start", {"WH_WORKERS": str(n), "WH_DEMO": "0"})

    def sanitizer_reports(self):
        bad = []
        for sub in ("front1", "front2", "worker1", "worker2"):
            d = os.path.join(self.var, sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                if name.endswith(".log"):
                    with open(os.path.join(d, name), errors="replace") as f:
                        text = f.read()
                    if "Sanitizer" in text or "runtime error:" in text:
                        bad.append(os.path.join(sub, name))
        return bad


def wrk_posts(urls, key, bodies, tmp, seconds):
    """Concurrent wrk runs of POST /v2/visits, one per front URL: (summed 2xx answers/s,
    answers that were not 2xx: 503 database_busy after a write's retries kept conflicting)."""
    from bench import post_script, wrk  # noqa: E402 -- bench imports this module lazily

    class St:
        pass
    st = St()
    st.tmp = tmp
    script = post_script(st, key, bodies)
    out = [None] * len(urls)

    def run(i):
        try:
            out[i] = wrk(urls[i] + "/v2/visits", seconds, script=script, non2xx_ok=True)
        except BenchError as e:
            out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in out:
        if isinstance(o, Exception):
            raise o
    return sum(o[0] * (o[2] - o[3]) / max(o[2], 1) for o in out), sum(o[3] for o in out)


def bench_cluster(build, res):
    from bench import VISIT, attempts_mark, endpoints, insert_events, wait_attempts  # noqa: E402
    st = ClusterStack(build)
    try:
        st.start()
        account, key = st.new_key("bench cluster")
        # POST /v2/visits as bench_api writes them (a webhook that none of them matches)
        locations = [st.create("/v2/locations", key, {"name": "Cluster %d" % i})["id"]
                     for i in range(param("BENCH_API_LOCATIONS"))]
        st.create("/v2/webhooks", key, {"url": st.sink + "/api/0", "locationIds": [locations[0]],
                                        "eventTypes": ["location.removed"]})
        bodies = [json.dumps(dict(VISIT, locationId=loc)) for loc in locations]
        secs = param("BENCH_API_SECONDS")
        if param("BENCH_API_WARMUP") > 0:
            wrk_posts(st.fronts, key, bodies, st.tmp, param("BENCH_API_WARMUP"))
        one, busy1 = wrk_posts(st.fronts[:1], key, bodies, st.tmp, secs)
        two, busy2 = wrk_posts(st.fronts, key, bodies, st.tmp, secs)
        res.note("cluster: POST /v2/visits over %d locations; answers other than 201 (503 after a write's retries "
                 "kept conflicting): %d with 1 front, %d with 2 fronts" % (len(locations), busy1, busy2))
        single = res.figures.get("api_post_rps", [None])[0]
        res.set("cluster_post_1f", one, single)
        res.set("cluster_post_2f", two, single)

        # deliveries/s: the same work as bench_delivery, sent by 1 and then 2 workers
        n, m, fan = (param("BENCH_DELIVERY_EVENTS"), param("BENCH_DELIVERY_ENDPOINTS"),
                     param("BENCH_DELIVERY_FANOUT"))
        account, key = st.new_key("bench cluster delivery")
        hooks = endpoints(st, key, m, fan, lambda j: "%s/cd/%d" % (st.sink, j), event_types=["visit.created"])
        single = res.figures.get("delivery_rate", [None])[0]
        for workers, row in ((1, "cluster_delivery_1w"), (2, "cluster_delivery_2w")):
            st.stop_workers()
            insert_events(st, account, hooks, n, param("BENCH_PAYLOAD_BYTES"))
            mark = attempts_mark(st)
            before = len(st.sink_records("/cd/"))
            st.start_workers(workers)
            _count, done_us = wait_attempts(st, mark, n * fan)
            arrivals = sorted(a[2] for a in st.sink_records("/cd/"))[before:]
            first = arrivals[0] if arrivals else done_us
            res.set(row, n * fan / ((done_us - first) / 1e6), single)
            if len(arrivals) < n * fan:
                res.errors["cluster"] = "%s: %d arrivals for %d deliveries" % (row, len(arrivals), n * fan)
        conflicts = st.sql("SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME "
                           "IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')")[0][0]
        res.note("cluster: 3 Galera nodes on this machine over loopback TCP, fronts of %d FastCGI processes, "
                 "%d wrk connections per front; node 1 counted %s certification failures and brute-force aborts"
                 % (param("BENCH_FCGI_PROCS"), param("BENCH_API_CONNECTIONS"), conflicts))
    finally:
        bad = st.stop()
        if bad:
            res.errors["sanitizer"] = "reports in " + ", ".join(bad)
