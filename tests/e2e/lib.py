"""End-to-end test helpers: a private stack, HTTP calls, accounts, receivers.

Everything here talks to the real binaries through the real web server and database.
Only the Python standard library is used.
"""
import http.client
import json
import os
import select
import socket
import subprocess
import threading
import time
import http.server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Stack:
    """The stack started by scripts/test.sh; its settings arrive in the environment."""

    def __init__(self):
        self.var = os.environ["WH_VAR"]
        self.port = int(os.environ["WH_HTTP_PORT"])
        self.build = os.environ.get("WH_BUILD", os.path.join(ROOT, "build"))
        self.conf = os.path.join(self.var, "webhooks.conf")
        self.base = "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, key=None, headers=None, raw=None, timeout=30):
        h = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
        if key:
            h["apikey"] = key
        if headers:
            h.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        finally:
            conn.close()

    def api(self, args, check=True, env=None):
        """Runs build/webhooks-api --config <stack config> ARGS; returns stdout."""
        e = dict(os.environ)
        if env:
            e.update(env)
        p = subprocess.run([os.path.join(self.build, "webhooks-api"), "--config", self.conf] + args,
                           capture_output=True, text=True, env=e, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("webhooks-api %s failed: %s" % (args, p.stderr))
        if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
            raise AssertionError("sanitizer report from webhooks-api %s:\n%s" % (args, p.stderr))
        return p

    def new_account(self, name="test account"):
        """A fresh account and key, so tests don't see each other's rows."""
        account = self.api(["create-account", name]).stdout.strip()
        key = self.api(["create-key", account]).stdout.strip()
        return account, key

    def sql(self, query):
        """Runs SQL as the database root (tests only: to inspect what is stored)."""
        p = subprocess.run(["mariadb", "--no-defaults", "--socket=" + os.path.join(self.var, "mysql.sock"),
                            "-uroot", "-N", "-B", "linehook", "-e", query],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("sql failed: %s" % p.stderr)
        return [line.split("\t") for line in p.stdout.splitlines()]

    def script(self, *args):
        env = dict(os.environ)
        return subprocess.run([os.path.join(ROOT, "scripts", args[0])] + list(args[1:]), env=env,
                              capture_output=True, text=True, timeout=120)


def accept_each(sock, handle):
    """Calls handle(connection) for each connection sock accepts, until sock is closed."""
    while True:
        try:
            c, _ = sock.accept()
        except OSError:
            return
        handle(c)


def wait_for(pred, timeout=10.0, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def closed_by_client(conn, timeout):
    """Waits up to timeout seconds for the client to close (or reset) its end of a receiver's
    connection (a request's "conn"), without answering: the time.time() it was seen closed,
    or None."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        readable, _, _ = select.select([conn], [], [], min(left, 0.5))
        if readable:
            try:
                if conn.recv(1, socket.MSG_PEEK) == b"":
                    return time.time()
            except OSError:
                return time.time()
            time.sleep(0.05)  # bytes of a next request: not a close


def handles_signal(pid, sig):
    """True once process pid has installed a handler for sig (Linux /proc): a signal sent
    earlier would take its default action, however soon the process meant to catch it."""
    with open("/proc/%d/status" % pid) as f:
        caught = [line.split()[1] for line in f if line.startswith("SigCgt:")]
    return bool(caught) and bool(int(caught[0], 16) >> (int(sig) - 1) & 1)


class Receiver:
    """A real HTTP receiver on loopback that records every request it gets.

    respond(handler_request) -> (status, headers dict, body bytes) decides each answer; the
    request's "conn" is its connection (closed_by_client watches it)."""

    def __init__(self, respond=None):
        self.requests = []
        self.lock = threading.Lock()
        self.respond = respond or (lambda req: (204, {}, b""))
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                req = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body, "at": time.time(), "conn": self.connection}
                with outer.lock:
                    outer.requests.append(req)
                status, headers, out = outer.respond(req)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 128  # the worker opens many connections at once

        self.server = Server(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Front:
    """A second lighttpd + FastCGI front on the test stack's database whose config differs by
    overrides ({key: value}): the real binaries behind the real web server. close() stops it
    and fails on a sanitizer report in its log."""

    def __init__(self, stack, overrides, procs=1, wait=True, fcgi_env=None):
        """fcgi_env: more environment for the FastCGI processes (e.g. shim_env())."""
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="front.", dir=stack.var)
        self.port = free_port()
        with open(stack.conf) as f:
            conf = [line for line in f.read().splitlines()
                    if line.split("=")[0].strip() not in overrides]
        conf += ["%s = %s" % kv for kv in overrides.items()]
        path = os.path.join(self.dir, "webhooks.conf")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("\n".join(conf) + "\n")
        with open(os.path.join(ROOT, "conf", "lighttpd.conf")) as f:
            text = f.read()
        asan = os.environ.get("ASAN_OPTIONS", "detect_leaks=0")
        if fcgi_env and "LD_PRELOAD" in fcgi_env:  # the shim is preloaded before the sanitizer's runtime
            asan += ":verify_asan_link_order=0"
        for k, v in (("@ROOT@", ROOT), ("@VAR@", self.dir), ("@BUILD@", stack.build),
                     ("@HTTP_PORT@", str(self.port)), ("@FCGI_PROCS@", str(procs)), ("@ASAN_OPTIONS@", asan)):
            text = text.replace(k, v)
        for k, v in (fcgi_env or {}).items():
            text = text.replace('"bin-environment" => (', '"bin-environment" => ( "%s" => "%s",' % (k, v))
        with open(os.path.join(self.dir, "lighttpd.conf"), "w") as f:
            f.write(text)
        # The environment's WH_<KEY> would override the file: drop those of the overrides.
        drop = {"WH_" + k.upper() for k in overrides}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        self.proc = subprocess.Popen(["lighttpd", "-D", "-f", os.path.join(self.dir, "lighttpd.conf")], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        self.stack = stack
        # wait: until healthy; else until it answers at all (a front without its database)
        assert wait_for(lambda: self.health() == 200 if wait else self.health() != 0, 20), \
            "the second front did not start"

    def health(self):
        try:
            return self.request("GET", "/v2/live").status
        except OSError:
            return 0

    def request(self, *args, **kw):
        port, self.stack.port = self.stack.port, self.port
        try:
            return self.stack.request(*args, **kw)
        finally:
            self.stack.port = port

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        log = os.path.join(self.dir, "api.log")
        if os.path.exists(log):
            with open(log) as f:
                text = f.read()
            assert "Sanitizer" not in text and "runtime error:" not in text, text[-3000:]


def shim_env(stack, **settings):
    """The environment that preloads tests/shim/api_shim.c into an API process, with its
    LINEHOOK_SHIM_<NAME> settings (clock_offset_ms=..., term_before_accept=PATH)."""
    env = {"LD_PRELOAD": os.path.join(stack.build, "test-shim.so")}
    env.update({"LINEHOOK_SHIM_" + k.upper(): str(v) for k, v in settings.items()})
    return env


def raw_http(port, data, source="127.0.0.1"):
    """Sends raw request bytes (for what http.client won't send: no Content-Length, a bad
    header line) from a chosen loopback source address; returns (head str, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    s.sendall(data)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def get_from(port, source, path):
    """GET path from a chosen loopback source address (127.0.0.2 is not 127.0.0.1): (status, body)."""
    head, body = raw_http(port, ("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode(), source)
    return int(head.split()[1]), body
