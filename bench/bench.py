"""The benchmarks of SPEC §11 against a private stack, each beside its baseline measured in
the same run; prints one markdown table (figure, ours, baseline, ratio).

Run through bench/run.sh (`make bench`). Parameters are environment variables, listed in
stack.PARAMS with their defaults (BENCH_SMOKE=1 picks the tiny ones `make test` uses).
BENCH_ONLY=api,delivery,latency,memory,isolation,cluster runs a subset; BENCH_JSON=FILE also writes
the figures as JSON. Progress goes to stderr, the table to stdout."""
import json
import math
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import bench_cluster  # noqa: E402
from stack import (ROOT, SMOKE, BenchError, Stack, iso, log, param, percentile, rand_id,  # noqa: E402
                   run_tool)

# (key, figure, unit, what the baseline is); ratio = ours / baseline
ROWS = [
    ("api_get_rps", "API `GET /v2/webhooks/{id}`, requests/s", "", "trivial FastCGI responder"),
    ("api_get_p99", "API `GET /v2/webhooks/{id}`, p99 ms", "ms", "trivial FastCGI responder"),
    ("api_list_rps", "API `GET /v2/webhooks?locationId=` (5 webhooks), requests/s", "",
     "trivial FastCGI responder"),
    ("api_list_p99", "API `GET /v2/webhooks?locationId=` (5 webhooks), p99 ms", "ms", "trivial FastCGI responder"),
    ("api_post_rps", "API `POST /v2/visits`, requests/s", "", "trivial FastCGI responder"),
    ("api_post_p99", "API `POST /v2/visits`, p99 ms", "ms", "trivial FastCGI responder"),
    ("api_trivial_rps", "trivial FastCGI responder, requests/s", "", "static file, same lighttpd"),
    ("api_floor_rps", "API floor: `GET /v2/live` (the app with no key and no database), requests/s", "",
     "trivial FastCGI responder"),
    ("delivery_rate", "delivery throughput, deliveries/s", "", "bare libcurl multi, same sink"),
    ("latency_p50", "latency commit → sink, p50 ms", "ms", "bare libcurl POST to the sink"),
    ("latency_p95", "latency commit → sink, p95 ms", "ms", "bare libcurl POST to the sink"),
    ("latency_p99", "latency commit → sink, p99 ms", "ms", "bare libcurl POST to the sink"),
    ("isolation_p50", "isolation: healthy p50 ms, some endpoints hanging", "ms", "latency p50 above"),
    ("isolation_p99", "isolation: healthy p99 ms, some endpoints hanging", "ms", "latency p99 above"),
    ("memory_rss", "worker peak RSS MiB, deliveries in flight", "MiB", "bare libcurl multi, same in flight"),
    ("cluster_post_1f", "3-node Galera: `POST /v2/visits`, requests/s, 1 front", "", "single node, above"),
    ("cluster_post_2f", "3-node Galera: `POST /v2/visits`, requests/s, 2 fronts", "", "single node, above"),
    ("cluster_delivery_1w", "3-node Galera: deliveries/s, 1 worker", "", "single node, above"),
    ("cluster_delivery_2w", "3-node Galera: deliveries/s, 2 workers", "", "single node, above"),
]
VISIT = {"firstName": "Bench", "lastName": "Visitor", "partySize": 2}


class Results:
    def __init__(self):
        self.figures = {}  # key -> [ours, baseline]
        self.notes = []
        self.errors = {}

    def set(self, key, ours, baseline):
        self.figures[key] = [ours, baseline]

    def note(self, text):
        log(text)
        self.notes.append(text)


# ---- API: wrk through lighttpd ----

def wrk(url, seconds, headers=(), script=None, non2xx_ok=False):
    """(requests/s, p99 ms, requests, non-2xx answers); non-2xx answers are an error unless
    non2xx_ok (the cluster rows count the 503s of writes that kept conflicting)."""
    args = ["wrk", "-t", str(param("BENCH_API_THREADS")), "-c", str(param("BENCH_API_CONNECTIONS")),
            "-d", "%ds" % seconds, "--latency", "--timeout", "10s"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", script]
    p = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 120)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    total = re.search(r"^\s*(\d+) requests in", p.stdout, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", p.stdout, re.M)
    if p.returncode != 0 or not rps or not p99:
        raise BenchError("wrk %s failed: %s %s" % (url, p.stdout[-500:], p.stderr[-500:]))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if bad and not non2xx_ok:
        raise BenchError("wrk %s: %s answers were not 2xx" % (url, bad.group(1)))
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return (float(rps.group(1)), float(p99.group(1)) * scale, int(total.group(1)) if total else 0,
            int(bad.group(1)) if bad else 0)


def wrk_measured(url, headers=(), script=None, st=None, res=None, what=None):
    """wrk after a warm-up; with st, res and what, also notes the stack's cost per request."""
    if param("BENCH_API_WARMUP") > 0:
        wrk(url, param("BENCH_API_WARMUP"), headers, script)
    if st is None:
        return wrk(url, param("BENCH_API_SECONDS"), headers, script)
    status0, cpu0 = db_status(st), stack_cpu(st)
    out = wrk(url, param("BENCH_API_SECONDS"), headers, script)
    status1, cpu1 = db_status(st), stack_cpu(st)
    if out[2]:
        res.note(cost_note(st, status0, status1, cpu0, cpu1, out[2], what))
    return out


def post_script(st, key, bodies):
    path = os.path.join(st.tmp, "post-visits.lua")
    lua = ["local bodies = {"] + ["  %s," % json.dumps(b) for b in bodies] + ["}", "local i = 0",
           'local headers = {["Content-Type"] = "application/json", ["apikey"] = %s}' % json.dumps(key),
           "request = function()", "  i = i + 1",
           '  return wrk.format("POST", "/v2/visits", headers, bodies[(i % #bodies) + 1])', "end"]
    with open(path, "w") as f:
        f.write("\n".join(lua) + "\n")
    return path


def add_attempts(st, webhook_id, count):
    """count attempts of the webhook spread over the last 24 hours (1 in 10 failed), as the
    worker would have recorded them; with the hourly counters (sql/013) where they exist."""
    step = 86000000 // max(count, 1)
    st.sql("INSERT INTO delivery_attempts (delivery_id, webhook_id, at, duration_ms, ok, status_code, "
           "trigger_kind) SELECT LPAD(seq, 20, 'D'), %s, UNIX_TIMESTAMP() * 1000 - seq * %d, 5, seq %% 10 <> 0, "
           "IF(seq %% 10 <> 0, 204, 500), 'scheduled' FROM seq_1_to_%d" % (sql_quote(webhook_id), step, count))
    if st.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'linehook' "
              "AND table_name = 'webhook_stats_hourly'") == [["1"]]:
        st.sql("INSERT INTO webhook_stats_hourly (webhook_id, hour, succeeded, failed) SELECT webhook_id, "
               "at DIV 3600000, SUM(ok = 1), SUM(ok = 0) FROM delivery_attempts WHERE webhook_id = %s "
               "GROUP BY webhook_id, at DIV 3600000" % sql_quote(webhook_id))


def api_webhooks(st, key, location):
    """The GET's webhook (with a day of attempts) and 4 more at its location (the list's 5)."""
    hooks = [st.create("/v2/webhooks", key, {"url": st.sink + "/api/%d" % i, "locationIds": [location],
                                             "eventTypes": ["location.removed"], "description": "bench"})
             for i in range(5)]
    add_attempts(st, hooks[0]["id"], param("BENCH_API_ATTEMPTS"))
    status, answer = st.request("GET", "/v2/webhooks/" + hooks[0]["id"], key)
    counted = answer["stats"]["succeeded24h"] + answer["stats"]["failed24h"] if status == 200 else None
    if counted != param("BENCH_API_ATTEMPTS"):
        raise BenchError("the GET's webhook answered %s attempts in its stats, not %d"
                         % (counted, param("BENCH_API_ATTEMPTS")))
    return hooks[0]


def bench_api(st, res):
    log("API: wrk, %d s per figure" % param("BENCH_API_SECONDS"))
    account, key = st.new_key("bench api")
    locations = [st.create("/v2/locations", key, {"name": "Bench %d" % i})["id"]
                 for i in range(param("BENCH_API_LOCATIONS"))]
    hook = api_webhooks(st, key, locations[0])
    trivial_url = st.start_baseline_lighttpd()
    static = wrk_measured(st.base + "/app.css")
    trivial = wrk_measured(trivial_url)
    get = wrk_measured(st.base + "/v2/webhooks/" + hook["id"], headers=["apikey: " + key], st=st, res=res,
                       what="API GET: cost per request (worker included)")
    listed = wrk_measured(st.base + "/v2/webhooks?locationId=" + locations[0], headers=["apikey: " + key], st=st,
                          res=res, what="API GET list of 5: cost per request (worker included)")
    # what bounds the reads: the app alone (no key, no database), then a key and one
    # primary-key statement (the account), beside the webhook's GET and list
    floor = wrk_measured(st.base + "/v2/live", st=st, res=res, what="API floor GET /v2/live: cost per request")
    wrk_measured(st.base + "/v2/account", headers=["apikey: " + key], st=st, res=res,
                 what="API GET /v2/account (one primary-key statement): cost per request")
    bodies = [json.dumps(dict(VISIT, locationId=loc)) for loc in locations]
    post = wrk_measured(st.base + "/v2/visits", script=post_script(st, key, bodies), st=st, res=res,
                        what="API POST /v2/visits: cost per request (the worker's fan-out included)")
    trivial_post = wrk_measured(trivial_url, script=post_script(st, key, bodies[:1]))
    st.stop_baseline_lighttpd()
    res.set("api_get_rps", get[0], trivial[0])
    res.set("api_get_p99", get[1], trivial[1])
    res.set("api_list_rps", listed[0], trivial[0])
    res.set("api_list_p99", listed[1], trivial[1])
    res.set("api_post_rps", post[0], trivial_post[0])
    res.set("api_post_p99", post[1], trivial_post[1])
    res.set("api_trivial_rps", trivial[0], static[0])
    res.set("api_floor_rps", floor[0], trivial[0])


# ---- outbox work inserted directly (delivery throughput, memory) ----

def sql_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def insert_events(st, account, locations, count, size):
    """count visit.created events with size-byte envelopes, round-robin over locations."""
    now = int(time.time() * 1000)
    values = []
    for i in range(count):
        eid, loc = rand_id(), locations[i % len(locations)]
        env = {"id": eid, "created": iso(now), "accountId": account, "type": "visit.created",
               "data": {"id": rand_id(), "locationId": loc, "state": "WAITING", "notes": ""}}
        pad = size - len(json.dumps(env, separators=(",", ":")))
        env["data"]["notes"] = "x" * max(0, pad)
        payload = json.dumps(env, separators=(",", ":"))
        values.append("(%s,%s,%s,'visit.created','WAITING',%s,%d)" % (
            sql_quote(eid), sql_quote(account), sql_quote(loc), sql_quote(payload), now))
    stmts = ["BEGIN;"]
    for i in range(0, len(values), 500):
        stmts.append("INSERT INTO events (id, account_id, location_id, type, visit_state, payload, created) VALUES "
                     + ",".join(values[i:i + 500]) + ";")
    stmts.append("COMMIT;")
    st.sql(None, stdin="\n".join(stmts))


def endpoints(st, key, count, per_location, url_of, event_types=None):
    """count webhooks, per_location on each location; returns the location ids."""
    locations = []
    for j in range(count):
        if j % per_location == 0:
            locations.append(st.create("/v2/locations", key, {"name": "Bench %d" % j})["id"])
        body = {"url": url_of(j), "locationIds": [locations[-1]]}
        if event_types:
            body["eventTypes"] = event_types
        st.create("/v2/webhooks", key, body)
    return locations


def attempts_mark(st):
    return int(st.sql("SELECT COALESCE(MAX(seq), 0) FROM delivery_attempts")[0][0])


def attempts_since(st, mark, expected=0):
    """Attempts recorded after mark. Below expected, an upper bound: MAX(seq) - mark (seq
    only has gaps), one index read; the exact COUNT(*) walks every row after mark and, polled
    every 50 ms, was 15 % of mariadbd's CPU in the delivery figure."""
    if expected:
        top = int(st.sql_value("SELECT COALESCE(MAX(seq), 0) FROM delivery_attempts"))
        if top - mark < expected:
            return top - mark
    return int(st.sql_value("SELECT COUNT(*) FROM delivery_attempts WHERE seq > %d" % mark))


def wait_attempts(st, mark, expected, on_poll=None):
    """Polls until expected attempts are recorded after mark; returns (count, wall time µs)."""
    end = time.time() + param("BENCH_SETTLE_SECONDS") + expected / 200.0
    n = 0
    while time.time() < end:
        n = attempts_since(st, mark, expected)
        if n >= expected:
            return n, int(time.time() * 1e6)
        if on_poll:
            on_poll()
        time.sleep(0.05)
    raise BenchError("only %d of %d attempts recorded within the wait" % (n, expected))


def worker_limits(st):
    """(max_in_flight, per_endpoint_concurrency) of the worker's effective config."""
    def get(key, default):
        v = st.config_value(key)
        return int(v) if v and v.isdigit() else default
    return get("max_in_flight", 1024), get("per_endpoint_concurrency", 16)


def worker_concurrency(st, endpoint_count):
    """What the worker can have in flight to endpoint_count endpoints: the baseline's."""
    c = param("BENCH_DELIVERY_CONCURRENCY")
    if c:
        return c
    total, per_endpoint = worker_limits(st)
    return min(total, per_endpoint * endpoint_count)


STATUS_KEYS = ("Innodb_data_fsyncs", "Com_commit", "Com_stmt_execute", "Com_select", "Com_insert", "Com_update",
               "Com_update_multi", "Handler_write", "Handler_update", "Handler_read_key", "Handler_read_next",
               "Innodb_os_log_written")


def db_status(st):
    names = ",".join("'%s'" % k for k in STATUS_KEYS)
    got = {r[0]: int(r[1]) for r in st.sql("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)" % names)}
    return {k: got.get(k, 0) for k in STATUS_KEYS}


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def cost_note(st, before, after, cpu_before, cpu_after, n, what):
    """Database statements, fsyncs and CPU per unit of work: what bounds a figure."""
    per = ", ".join("%s %.2f" % (k, (after[k] - before[k]) / float(n)) for k in STATUS_KEYS)
    cpu = ", ".join("%s %.3f ms" % (name, (cpu_after[name] - cpu_before[name]) * 1000.0 / n)
                    for name in sorted(cpu_before))
    return "%s (averaged over %d): %s; CPU %s" % (what, n, per, cpu)


def stack_cpu(st):
    out = {"mariadbd": cpu_seconds(st.db_pid()), "worker": cpu_seconds(st.worker_pid())}
    for pid in st.fcgi_pids():
        out["api"] = out.get("api", 0.0) + cpu_seconds(pid)
    return out


def bench_delivery(st, res):
    n, m, fan, size = (param("BENCH_DELIVERY_EVENTS"), param("BENCH_DELIVERY_ENDPOINTS"),
                       param("BENCH_DELIVERY_FANOUT"), param("BENCH_PAYLOAD_BYTES"))
    total = n * fan
    log("delivery: %d events x %d webhooks over %d endpoints = %d deliveries" % (n, fan, m, total))
    account, key = st.new_key("bench delivery")
    locations = endpoints(st, key, m, fan, lambda j: "%s/d/%d" % (st.sink, j), event_types=["visit.created"])
    st.stop_worker()
    insert_events(st, account, locations, n, size)
    mark = attempts_mark(st)
    status0 = db_status(st)
    st.restart_worker()
    cpu0 = stack_cpu(st)
    count, done_us = wait_attempts(st, mark, total)
    cpu1, status1 = stack_cpu(st), db_status(st)
    arrivals = st.sink_records("/d/")
    first = min(a[2] for a in arrivals)
    ours = total / ((done_us - first) / 1e6)
    ok = int(st.sql("SELECT COALESCE(SUM(ok), 0) FROM delivery_attempts WHERE seq > %d" % mark)[0][0])
    if ok < total or len(arrivals) < total:
        # the sink answers 204 to everything: an attempt that is not ok is a fault to look at
        res.errors["delivery"] = ("%d attempts recorded, %d ok, %d arrivals at the sink, %d expected"
                                  % (count, ok, len(arrivals), total))
    conc = worker_concurrency(st, m)
    urls = []
    for j in range(m):
        urls += ["--url", "%s/db/%d" % (st.sink, j)]
    base = run_tool([os.path.join(st.build, "bench-post")] + urls +
                    ["--count", str(total), "--size", str(size), "--concurrency", str(conc), "--id-header"])
    res.set("delivery_rate", ours, base["rate"])
    res.note(cost_note(st, status0, status1, cpu0, cpu1, total, "delivery: cost per delivery"))
    res.note("delivery: %d deliveries, %d B payloads, %d endpoints, baseline concurrency %d"
             % (total, size, m, conc))


# ---- latency and isolation: visits written through the API at a fixed rate ----

def latency_run(st, tag, hang_percent):
    e, rate, secs = param("BENCH_LATENCY_ENDPOINTS"), param("BENCH_LATENCY_RATE"), param("BENCH_LATENCY_SECONDS")
    hung = int(math.ceil(e * hang_percent / 100.0))
    account, key = st.new_key("bench " + tag)
    locations = endpoints(st, key, e, 1, lambda j: "%s%s/%s/%d" % (st.sink, "/hang" if j < hung else "", tag, j),
                          event_types=["visit.created"])
    body_file = os.path.join(st.tmp, tag + "-bodies.txt")
    with open(body_file, "w") as f:
        for loc in locations:
            f.write(json.dumps(dict(VISIT, locationId=loc)) + "\n")
    log("%s: %d visits/s for %d s over %d endpoints, %d hanging" % (tag, rate, secs, e, hung))
    load = run_tool([os.path.join(st.build, "bench-post"), "--url", st.base + "/v2/visits", "--header",
                     "apikey: " + key, "--header", "Content-Type: application/json", "--body-file", body_file,
                     "--rate", str(rate), "--count", str(rate * secs), "--concurrency", "64"])
    if load["failed"]:
        raise BenchError("%s: %d visit writes failed (first: %d)" % (tag, load["failed"], load["first_failure"]))
    healthy = set(locations[hung:])
    events = {r[0]: int(r[1]) for r in st.sql(
        "SELECT id, created, location_id FROM events WHERE account_id = %s AND type = 'visit.created'"
        % ("'" + account + "'")) if r[2] in healthy}
    end = time.time() + param("BENCH_SETTLE_SECONDS")
    arrived = {}
    while time.time() < end:
        for eid, _path, at in st.sink_records("/%s/" % tag):
            if eid in events and eid not in arrived:
                arrived[eid] = at / 1000.0 - events[eid]
        if len(arrived) >= len(events):
            break
        time.sleep(0.2)
    lat = list(arrived.values())
    missing = len(events) - len(arrived)
    return lat, missing, load, latency_stages(st, account, healthy)


def latency_stages(st, account, healthy):
    """Where the time goes, from the rows: commit → fanned out (deliveries.created) → attempt
    started (delivery_attempts.at) → attempt recorded (at + duration)."""
    rows = st.sql("SELECT e.location_id, d.created - e.created, a.at - d.created, a.duration_ms "
                  "FROM events e JOIN deliveries d ON d.event_id = e.id JOIN delivery_attempts a "
                  "ON a.delivery_id = d.id WHERE e.account_id = '%s' AND e.type = 'visit.created'" % account)
    rows = [r for r in rows if r[0] in healthy]
    out = []
    for i, name in ((1, "commit→fan-out"), (2, "fan-out→send"), (3, "send duration")):
        vals = [int(r[i]) for r in rows]
        if vals:
            out.append("%s p50 %d / p99 %d ms" % (name, percentile(vals, 0.5), percentile(vals, 0.99)))
    return "; ".join(out)


def bench_latency(st, res):
    lat, missing, load, stages = latency_run(st, "latency", 0)
    rate, secs = param("BENCH_LATENCY_RATE"), min(param("BENCH_LATENCY_SECONDS"), 5)
    base = run_tool([os.path.join(st.build, "bench-post"), "--url", st.sink + "/lb/0", "--count",
                     str(max(1, rate * secs)), "--rate", str(rate), "--concurrency", "64",
                     "--size", str(param("BENCH_PAYLOAD_BYTES")), "--id-header"])
    for p, k in ((0.50, "p50"), (0.95, "p95"), (0.99, "p99")):
        res.set("latency_" + k, percentile(lat, p), base[k + "_ms"])
    res.note("latency: %d events at %.0f/s (achieved), %d not delivered within the wait; POST /v2/visits p99 %.1f ms"
             % (len(lat) + missing, load["rate"], missing, load["p99_ms"]))
    res.note("latency stages: " + stages)
    if missing:
        res.errors["latency"] = "%d events not delivered" % missing


def bench_isolation(st, res):
    pct = param("BENCH_HANG_PERCENT")
    lat, missing, _load, stages = latency_run(st, "isolation", pct)
    ref = res.figures.get("latency_p99", [None])[0], res.figures.get("latency_p50", [None])[0]
    res.set("isolation_p50", percentile(lat, 0.50), ref[1])
    res.set("isolation_p99", percentile(lat, 0.99), ref[0])
    res.note("isolation: %d %% of %d endpoints hang; %d healthy events, %d not delivered within the wait"
             % (pct, param("BENCH_LATENCY_ENDPOINTS"), len(lat) + missing, missing))
    res.note("isolation stages (healthy): " + stages)
    if missing:
        res.errors["isolation"] = "%d healthy events not delivered" % missing


# ---- memory: peak RSS with deliveries in flight to a slow sink ----

def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise BenchError("no VmHWM for pid %d" % pid)


def bench_memory(st, res):
    target, delay = param("BENCH_MEMORY_INFLIGHT"), param("BENCH_MEMORY_DELAY_MS")
    total, per_endpoint = worker_limits(st)
    m = max(1, int(math.ceil(target / float(per_endpoint))))  # the per-endpoint cap stays as configured
    log("memory: %d deliveries to %d slow endpoints (%d ms); worker max_in_flight=%d" % (target, m, delay, target))
    account, key = st.new_key("bench memory")
    locations = endpoints(st, key, m, 1, lambda j: "%s/slow/%d/m/%d" % (st.sink, delay, j),
                          event_types=["visit.created"])
    st.stop_worker()
    insert_events(st, account, locations, target, param("BENCH_PAYLOAD_BYTES"))
    mark = attempts_mark(st)
    # the global in-flight limit is raised to the target for this run only
    st.restart_worker({"WH_MAX_IN_FLIGHT": str(max(target, total))})
    pid = st.worker_pid()
    peak = [0]

    def sample():
        peak[0] = max(peak[0], st.sink_stats()["delayed"])
    wait_attempts(st, mark, target, on_poll=sample)
    ours = vm_hwm_kb(pid) / 1024.0
    urls = []
    for j in range(m):
        urls += ["--url", "%s/slow/%d/mb/%d" % (st.sink, delay, j)]
    base = run_tool([os.path.join(st.build, "bench-post")] + urls +
                    ["--count", str(target), "--concurrency", str(target),
                     "--size", str(param("BENCH_PAYLOAD_BYTES")), "--id-header"])
    st.restart_worker()  # back to the configured limits for what follows
    res.set("memory_rss", ours, base["peak_rss_kb"] / 1024.0)
    res.note("memory: at most %d of %d deliveries were in flight at once (sink count, sampled)" % (peak[0], target))


# ---- the table ----

def fmt(v, unit):
    if v is None:
        return "—"
    if unit in ("ms", "MiB"):
        return "%.1f" % v if v < 100 else "%.0f" % v
    return "{:,.0f}".format(v)


def table(res):
    lines = ["| figure | ours | baseline | ratio |", "|---|---:|---:|---:|"]
    for key, figure, unit, base in ROWS:
        ours, baseline = res.figures.get(key, [None, None])
        ratio = "%.2f" % (ours / baseline) if ours is not None and baseline else "—"
        lines.append("| %s (baseline: %s) | %s | %s | %s |" % (figure, base, fmt(ours, unit), fmt(baseline, unit),
                                                               ratio))
    return "\n".join(lines)


def machine():
    model, cores = "unknown CPU", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores" % (model, cores)


BENCHES = [("api", bench_api), ("delivery", bench_delivery), ("latency", bench_latency),
           ("memory", bench_memory), ("isolation", bench_isolation)]


def main():
    build = os.path.abspath(os.environ.get("WH_BUILD", os.path.join(ROOT, "build")))
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
    res = Results()
    st = Stack(build)
    started = time.time()
    try:
        st.start()
        for name, fn in BENCHES:
            if only and name not in only:
                continue
            try:
                fn(st, res)
            except Exception as e:  # noqa: BLE001 -- one benchmark failing must not hide the others
                res.errors[name] = ("%s: %s" % (type(e).__name__, e))[:500]
                log("%s failed: %s" % (name, res.errors[name]))
    finally:
        bad = st.stop()
        if bad:
            res.errors["sanitizer"] = "reports in " + ", ".join(bad)
    # the cluster rows (bench/cluster.py) need minutes of cluster start: not in the smoke run
    if "cluster" in only or (not only and not SMOKE):
        try:
            bench_cluster(build, res)
        except Exception as e:  # noqa: BLE001
            res.errors["cluster"] = ("%s: %s" % (type(e).__name__, e))[:500]
            log("cluster failed: %s" % res.errors["cluster"])
    print(table(res))
    print()
    print("%s UTC; %s; %s run in %.0f s; durable commits %s." % (
        time.strftime("%Y-%m-%d %H:%M", time.gmtime()), machine(), "smoke" if SMOKE else "full",
        time.time() - started, "on" if param("BENCH_DB_DURABLE") else "off"))
    for n in res.notes:
        print("- " + n)
    for name, e in res.errors.items():
        print("- ERROR %s: %s" % (name, e))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump({"figures": res.figures, "errors": res.errors, "notes": res.notes}, f, indent=1)
    return 1 if res.errors else 0


if __name__ == "__main__":
    sys.exit(main())
