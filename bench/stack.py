"""The private stack the benchmarks run against, and small helpers (bench/bench.py uses
them). Python standard library only."""
import json
import os
import random
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOKE = os.environ.get("BENCH_SMOKE") == "1"

# name: (default, smoke default)
PARAMS = {
    "BENCH_API_SECONDS": (10, 2),          # wrk duration per API figure
    "BENCH_API_WARMUP": (2, 0),            # seconds of wrk before each measured run
    "BENCH_API_CONNECTIONS": (16, 4),
    "BENCH_API_THREADS": (2, 1),
    "BENCH_API_LOCATIONS": (8, 2),         # POST /v2/visits rotates over these locations
    "BENCH_API_ATTEMPTS": (10000, 20),     # attempts of the GET's webhook in the last 24 hours
    "BENCH_FCGI_PROCS": (4, 2),            # FastCGI processes, the app's and the baseline's
    "BENCH_DELIVERY_EVENTS": (10000, 40),
    "BENCH_DELIVERY_ENDPOINTS": (20, 4),
    "BENCH_DELIVERY_FANOUT": (2, 2),       # webhooks per event (<= 5: per-location limit)
    "BENCH_PAYLOAD_BYTES": (1024, 1024),
    "BENCH_DELIVERY_CONCURRENCY": (0, 0),  # 0: the worker's own global in-flight limit
    "BENCH_LATENCY_RATE": (500, 40),       # events/s written through POST /v2/visits
    "BENCH_LATENCY_SECONDS": (20, 2),
    "BENCH_LATENCY_ENDPOINTS": (10, 10),
    "BENCH_HANG_PERCENT": (10, 10),
    "BENCH_MEMORY_INFLIGHT": (5000, 40),
    "BENCH_MEMORY_DELAY_MS": (8000, 1500),  # the slow sink's answer delay
    "BENCH_SETTLE_SECONDS": (60, 30),      # longest wait for the worker to finish a batch
    "BENCH_DB_DURABLE": (1, 0),            # 1: innodb_flush_log_at_trx_commit=1 (one fsync per commit)
}


def param(name):
    v = os.environ.get(name)
    return int(v) if v else PARAMS[name][1 if SMOKE else 0]


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rand_id():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


class BenchError(Exception):
    pass


class Stack:
    """A private stack (scripts/stack.sh) in a temporary directory on free ports, plus the
    sink and a second lighttpd running the trivial FastCGI responder."""

    def __init__(self, build):
        self.build = build
        self.tmp = tempfile.mkdtemp(prefix="linehook-bench.")
        self.var = os.path.join(self.tmp, "var")
        os.makedirs(self.var)
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "WH_VAR": self.var, "WH_HTTP_PORT": str(self.port), "WH_DB_PORT": str(free_port()),
            "WH_BUILD": build, "WH_DEMO": "0", "WH_ALLOW_HTTP_TARGETS": "true",
            "WH_ALLOW_PRIVATE_TARGETS": "true", "WH_FCGI_PROCS": str(param("BENCH_FCGI_PROCS")),
            # durable commits (innodb_flush_log_at_trx_commit=1); the smoke run trades them for speed
            "WH_DB_DURABLE": str(param("BENCH_DB_DURABLE")),
            # the per-account rate limit would cap the one benchmark account's load
            "WH_RATE_LIMIT_PER_SECOND": "0",
        })
        self.conf = os.path.join(self.var, "webhooks.conf")
        self.base = "http://127.0.0.1:%d" % self.port
        self.sink_proc = None
        self.baseline_lighttpd = None

    # ---- processes ----
    def start(self):
        log("starting the stack in %s" % self.tmp)
        self.script("start")
        self.start_sink()

    SCRIPT = "stack.sh"  # what starts and stops this stack, in scripts/

    def script(self, cmd, extra_env=None):
        env = dict(self.env)
        env.update(extra_env or {})
        p = subprocess.run([os.path.join(ROOT, "scripts", self.SCRIPT), cmd], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError("%s %s failed: %s%s" % (self.SCRIPT, cmd, p.stdout[-2000:], p.stderr[-2000:]))

    def start_sink(self):
        port_file = os.path.join(self.tmp, "sink.port")
        self.sink_record = os.path.join(self.tmp, "sink.tsv")
        self.sink_proc = subprocess.Popen([os.path.join(self.build, "bench-sink"), "--port-file", port_file,
                                           "--record", self.sink_record], stdin=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as f:
            self.sink = "http://127.0.0.1:%d" % int(f.read())

    def sink_stats(self):
        with urllib.request.urlopen(self.sink + "/__stats", timeout=10) as r:
            return json.loads(r.read())

    def sink_records(self, prefix):
        """[(webhook-id, path, arrival µs)] of the requests whose path starts with prefix."""
        self.sink_stats()  # flushes the record file
        out = []
        with open(self.sink_record) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[1].startswith(prefix):
                    out.append((parts[0], parts[1], int(parts[2])))
        return out

    def worker_pid(self):
        with open(os.path.join(self.var, "worker.pid")) as f:
            return int(f.read())

    def db_pid(self):
        with open(os.path.join(self.var, "mysql.pid")) as f:
            return int(f.read())

    def fcgi_pids(self):
        """The app's FastCGI processes (children of the stack's lighttpd)."""
        with open(os.path.join(self.var, "lighttpd.pid")) as f:
            parent = f.read().strip()
        out = []
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    stat = f.read()
            except OSError:
                continue
            if pid.isdigit() and stat.rsplit(")", 1)[1].split()[1] == parent:
                out.append(int(pid))
        return out

    def stop_worker(self):
        path = os.path.join(self.var, "worker.pid")
        if not os.path.exists(path):
            return
        pid = self.worker_pid()
        try:
            os.kill(pid, signal.SIGTERM)
            for _ in range(300):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.unlink(path)

    def restart_worker(self, extra_env=None):
        self.stop_worker()
        self.script("start", extra_env)  # starts only what is not running: the worker

    def sanitizer_reports(self):
        """Log files of the stack with an AddressSanitizer/UBSan report (SAN=1 builds)."""
        bad = []
        for name in sorted(os.listdir(self.var)):
            if name.endswith(".log"):
                with open(os.path.join(self.var, name), errors="replace") as f:
                    if re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", f.read()):
                        bad.append(name)
        return bad

    def stop(self):
        """Stops everything; returns the names of logs holding sanitizer reports."""
        if getattr(self, "session", None):
            self.session.stdin.close()
            self.session.wait(timeout=10)
        if self.sink_proc:
            self.sink_proc.terminate()
            self.sink_proc.wait(timeout=10)
        if self.baseline_lighttpd:
            self.stop_baseline_lighttpd()
        try:
            self.script("stop")
        except BenchError as e:
            log(str(e))
        bad = self.sanitizer_reports()
        if bad or os.environ.get("BENCH_KEEP") == "1":
            log("logs kept in %s" % self.var)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return bad

    # ---- the trivial FastCGI responder under its own lighttpd, configured like the app ----
    def start_baseline_lighttpd(self):
        bvar = os.path.join(self.tmp, "fcgi-baseline")
        os.makedirs(bvar, exist_ok=True)
        port = free_port()
        with open(os.path.join(ROOT, "conf", "lighttpd.conf")) as f:
            conf = f.read()
        conf = conf.replace("@BUILD@/webhooks-api --config @VAR@/webhooks.conf", os.path.join(self.build, "bench-fcgi"))
        for k, v in (("@ROOT@", ROOT), ("@VAR@", bvar), ("@BUILD@", self.build), ("@HTTP_PORT@", str(port)),
                     ("@FCGI_PROCS@", str(param("BENCH_FCGI_PROCS"))), ("@ASAN_OPTIONS@", "detect_leaks=0")):
            conf = conf.replace(k, v)
        if "bench-fcgi" not in conf:
            raise BenchError("conf/lighttpd.conf no longer names webhooks-api the expected way")
        path = os.path.join(bvar, "lighttpd.conf")
        with open(path, "w") as f:
            f.write(conf)
        subprocess.run(["lighttpd", "-f", path], check=True, cwd=ROOT)
        self.baseline_lighttpd = os.path.join(bvar, "lighttpd.pid")
        url = "http://127.0.0.1:%d/v2/trivial" % port
        wait_http(url)
        return url

    def stop_baseline_lighttpd(self):
        try:
            with open(self.baseline_lighttpd) as f:
                os.kill(int(f.read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        self.baseline_lighttpd = None

    # ---- API and database ----
    def cli(self, *args):
        p = subprocess.run([os.path.join(self.build, "webhooks-api"), "--config", self.conf] + list(args),
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise BenchError("webhooks-api %s: %s" % (args, p.stderr))
        return p.stdout.strip()

    def new_key(self, name):
        account = self.cli("create-account", name)
        return account, self.cli("create-key", account)

    def request(self, method, path, key, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"apikey": key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def create(self, path, key, body):
        status, answer = self.request("POST", path, key, body)
        if status not in (200, 201):
            raise BenchError("POST %s answered %s: %s" % (path, status, str(answer)[:300]))
        return answer

    def sql(self, query, stdin=None):
        p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + os.path.join(self.var, "mysql.sock"),
                            "-uroot", "-N", "-B", "linehook"] + (["-e", query] if query else []),
                           input=stdin, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise BenchError("sql failed: %s" % p.stderr[:500])
        return [line.split("\t") for line in p.stdout.splitlines()]

    def sql_value(self, query):
        """One value from one persistent client session: polling stays cheap (starting a
        client per poll would cost the machine under test more than the query)."""
        if not getattr(self, "session", None):
            self.session = subprocess.Popen(
                ["mariadb", "--no-defaults", "--socket=" + os.path.join(self.var, "mysql.sock"), "-uroot", "-N",
                 "-B", "--unbuffered", "linehook"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.session.stdin.write(query + ";\n")
        self.session.stdin.flush()
        line = self.session.stdout.readline()
        if not line:
            self.session = None
            raise BenchError("sql session ended at: " + query)
        return line.rstrip("\n")

    def config_value(self, key):
        for line in self.cli("print-config").splitlines():
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
        return None


def wait_http(url, timeout=10):
    end = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.time() > end:
                raise
            time.sleep(0.05)


def run_tool(args, timeout=900):
    """Runs a bench-* tool, returns its key=value output as a dict of floats."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    out = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            pass
    if "rate" not in out:
        raise BenchError("%s failed: %s" % (os.path.basename(args[0]), p.stderr[-500:]))
    return out
