"""Sealed egress (SPEC §7, §9; issue 11): the worker never takes a proxy from its
environment, and with egress_proxy it sends every delivery through that proxy only after
resolving the target itself and checking every address against the URL policy.

The stack's worker runs with allow_private_targets on; these cases stop it and run their
own worker with the policy on (scripts of test_delivery_faults.ExtraWorker). Real
connections go to loopback forms only: 10.0.0.1 is refused before any connection."""
import contextlib
import socket
import threading

from lib import Receiver, accept_each, wait_for
from test_delivery import create_webhook, deliveries, delivery, emit
from test_delivery_faults import ExtraWorker, start_stack_worker, stop_stack_worker


class Listener:
    """A loopback TCP listener that records every connection's first bytes and closes it:
    what a proxy taken from the environment would have received."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.got = []
        threading.Thread(target=accept_each, args=(self.sock, self._one), daemon=True).start()

    def _one(self, c):
        c.settimeout(2)
        try:
            self.got.append(c.recv(4096))
        except OSError:
            self.got.append(b"")
        c.close()

    def close(self):
        self.sock.close()


def _read_head(c):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def _pipe(src, dst, first=None):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            if first is not None and not first:
                first.append(chunk)
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Proxy:
    """A real forward and CONNECT proxy on loopback, as an admin's egress proxy would be.
    It records each request line (`POST http://host:port/path`, `CONNECT host:port`) and the
    first bytes sent through each tunnel."""

    def __init__(self, host="127.0.0.3"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.url = "http://%s:%d" % (host, self.port)
        self.lines = []
        self.tunnelled = []  # first client bytes of each tunnel
        self.lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        c.settimeout(10)
        try:
            head, rest = _read_head(c)
            lines = head.split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            with self.lock:
                self.lines.append("%s %s" % (method, target))
            if method == "CONNECT":
                host, port = target.rsplit(":", 1)
                up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
                c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                first = []
                t = threading.Thread(target=_pipe, args=(c, up, first), daemon=True)
                t.start()
                _pipe(up, c)
                t.join(10)
                with self.lock:
                    self.tunnelled.append(first[0] if first else b"")
                return
            # forward: "POST http://host:port/path HTTP/1.1"
            assert target.startswith("http://"), target
            hostport, _, path = target[len("http://"):].partition("/")
            host, _, port = hostport.rpartition(":")
            headers = [h for h in lines[1:] if not h.lower().startswith(("proxy-connection:", "connection:"))]
            n = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0)
            while len(rest) < n:
                rest += c.recv(65536)
            up = socket.create_connection((host.strip("[]"), int(port or 80)), timeout=10)
            up.sendall(("%s /%s HTTP/1.1\r\n" % (method, path)).encode() +
                       "\r\n".join(headers + ["Connection: close"]).encode() + b"\r\n\r\n" + rest)
            _pipe(up, c)
        except (OSError, ValueError, AssertionError):
            pass
        finally:
            c.close()

    def seen(self):
        with self.lock:
            return list(self.lines)

    def close(self):
        self.sock.close()


def drop_webhooks(stack, key, ids):
    """Deletes a case's webhooks, so their retries don't reach the next case's worker."""
    for wid in ids:
        stack.request("DELETE", "/v2/webhooks/%s" % wid, key=key)


@contextlib.contextmanager
def own_worker(stack, key, ids, **env):
    """The stack's worker replaced by one with env for the case; afterwards the case's
    webhooks (ids, filled by the case) are deleted so their retries don't reach later cases."""
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, **env)
    try:
        yield extra
    finally:
        if extra.p.poll() is None:
            extra.stop()
        drop_webhooks(stack, key, ids)
        start_stack_worker(stack)


PROXY_ENV = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def closing(servers):
    """Closes the case's listeners, proxies and receivers at its end."""
    stack = contextlib.ExitStack()
    for s in servers:
        stack.callback(s.close)
    return stack


def test_a_proxy_in_the_environment_is_never_taken(stack):
    """The issue's bypass: http_proxy (and the rest) in the worker's environment pointing at
    a loopback listener that the policy would allow, private targets off, a webhook to
    http://10.0.0.1/internal-admin. Before, the check saw only the proxy's address and the
    listener received the POST. Now the worker connects itself and refuses 10.0.0.1; the
    same for a token request to 10.0.0.2."""
    account, key = stack.new_account()
    trap, rx = Listener(), Receiver()
    env = {k: "http://127.0.0.1:%d" % trap.port for k in PROXY_ENV}
    ids = []
    with closing([trap, rx]), own_worker(stack, key, ids, WH_ALLOW_PRIVATE_TARGETS="0", WH_ALLOW_CIDRS="127.0.0.0/8",
                                     **env) as extra:
        ids.append(create_webhook(stack, account, key, "http://10.0.0.1/internal-admin"))
        emit(stack, account, "visit.created")
        d = wait_for(lambda: [x for x in deliveries(stack, key, ids[0]) if x["attempts"] >= 1], 15)
        assert d and d[0]["lastError"] == "blocked_address" and d[0]["lastStatusCode"] is None, d
        assert d[0]["status"] != "succeeded", d
        tries = delivery(stack, key, ids[0], d[0]["id"])["attemptHistory"]
        assert tries and all(a["error"] == "blocked_address" and a["statusCode"] is None for a in tries), tries

        # token requests too: an OAuth webhook whose token server is on 10.0.0.2
        from test_oauth import attempts, oauth_webhook, send
        ids.append(oauth_webhook(stack, key, rx.url, "http://10.0.0.2/token", "ec"))
        send(stack, account, ids[1])
        assert wait_for(lambda: attempts(stack, ids[1]), 15)
        assert attempts(stack, ids[1])[0] == ["NULL", "oauth_token_failed", "token request: blocked_address"], \
            attempts(stack, ids[1])
        assert extra.stop() == 0
        assert trap.got == [] and rx.received() == [], (trap.got, rx.received())
        assert "refused a private address" in extra.text(), extra.text()[-2000:]


def test_egress_proxy_carries_deliveries_after_the_policy_check(stack):
    """With egress_proxy (on 127.0.0.3, outside allow_cidrs: the proxy's own address is
    exempt), a delivery to http://localhost goes through the proxy as a forward request; a
    target on 127.0.0.2 (loopback, not allow-listed) is refused before the proxy is asked;
    https to a name is tunnelled with CONNECT to the address that was checked, the name kept
    for TLS. no_proxy=* and http_proxy in the environment change nothing."""
    account, key = stack.new_account()
    proxy, trap, rx = Proxy(), Listener(), Receiver()
    tls = Listener()  # plain TCP: records the TLS ClientHello that comes through the tunnel
    ids = []
    with closing([proxy, trap, rx, tls]), own_worker(stack, key, ids, WH_ALLOW_PRIVATE_TARGETS="0",
                                                     WH_ALLOW_CIDRS="127.0.0.1/32", WH_EGRESS_PROXY=proxy.url,
                                                     no_proxy="*", NO_PROXY="*",
                                                     http_proxy="http://127.0.0.1:%d" % trap.port) as extra:
        ok_url = "http://localhost:%d/hook" % rx.port
        ids += [create_webhook(stack, account, key, url) for url in
                (ok_url, "http://127.0.0.2:%d/hook" % rx.port, "https://localhost:%d/hook" % tls.port)]
        ok, blocked, tunnel = ids
        eid, body = emit(stack, account, "visit.created")

        assert wait_for(lambda: rx.received(), 15), (proxy.seen(), extra.text()[-2000:])
        req = rx.received()[0]
        assert req["body"] == body and req["headers"]["webhook-id"] == eid, req
        d = wait_for(lambda: [x for x in deliveries(stack, key, ok) if x["status"] == "succeeded"], 30)
        assert d and d[0]["lastStatusCode"] == 204, d

        d = wait_for(lambda: [x for x in deliveries(stack, key, blocked) if x["attempts"] >= 1], 30)
        assert d and d[0]["lastError"] == "blocked_address" and d[0]["lastStatusCode"] is None, d
        d = wait_for(lambda: [x for x in deliveries(stack, key, tunnel) if x["attempts"] >= 1], 30)
        assert d and d[0]["lastError"] in ("tls_error", "connection_error"), d
        assert wait_for(lambda: proxy.tunnelled, 30), proxy.seen()

        seen = proxy.seen()
        assert "POST %s" % ok_url in seen, seen
        assert "CONNECT 127.0.0.1:%d" % tls.port in seen, seen  # the checked address, not the name
        assert not any("127.0.0.2" in line for line in seen), seen
        assert not any(line.startswith("CONNECT localhost") for line in seen), seen
        hello = proxy.tunnelled[0]
        assert hello[:1] == b"\x16" and b"localhost" in hello, hello[:80]  # TLS ClientHello, SNI kept
        assert trap.got == [], trap.got
        assert extra.stop() == 0
        assert "before the egress proxy" in extra.text(), extra.text()[-2000:]


def test_egress_proxy_refuses_a_name_that_resolves_to_a_blocked_range(stack):
    """localhost resolves to 127.0.0.1, which this worker's policy refuses (only 127.0.0.2 is
    allow-listed): the delivery records blocked_address and the proxy is never asked."""
    account, key = stack.new_account()
    proxy, rx = Proxy(), Receiver()
    ids = []
    with closing([proxy, rx]), own_worker(stack, key, ids, WH_ALLOW_PRIVATE_TARGETS="0", WH_ALLOW_CIDRS="127.0.0.2/32",
                                          WH_EGRESS_PROXY=proxy.url) as extra:
        ids.append(create_webhook(stack, account, key, "http://localhost:%d/hook" % rx.port))
        emit(stack, account, "visit.created")
        d = wait_for(lambda: [x for x in deliveries(stack, key, ids[0]) if x["attempts"] >= 2], 15)
        assert d and d[0]["lastError"] == "blocked_address" and d[0]["status"] != "succeeded", d
        assert proxy.seen() == [] and rx.received() == [], (proxy.seen(), len(rx.received()))
        assert extra.stop() == 0
        assert "resolves to a loopback address" in extra.text(), extra.text()[-2000:]


def test_a_bad_egress_proxy_stops_the_worker_with_the_reason(stack):
    """egress_proxy is validated like every key: the worker refuses to start."""
    for bad in ("https://127.0.0.1:3128", "http://127.0.0.1", "http://user:pw@127.0.0.1:3128",
                "http://127.0.0.1:0", "http://127.0.0.1:3128/path", "socks5://127.0.0.1:1080"):
        w = ExtraWorker(stack, WH_EGRESS_PROXY=bad)
        rc = w.p.wait(20)
        w.logf.close()
        assert rc == 2 and "egress_proxy" in w.text(), (bad, rc, w.text()[-500:])
    out = stack.api(["print-config"], env={"WH_EGRESS_PROXY": "http://[::1]:3128"}).stdout
    assert "egress_proxy = http://[::1]:3128" in out, out


def test_token_requests_take_the_egress_proxy_and_its_checks(stack):
    """OAuth token requests are transfers like deliveries: through the proxy once their
    target is checked. A token server on 127.0.0.2 (not allow-listed) is refused before the
    proxy is asked: the attempt records oauth_token_failed / blocked_address."""
    from test_oauth import TokenServer, attempts, bearer, guarded, oauth_webhook, send
    account, key = stack.new_account()
    proxy, ts, far = Proxy(), TokenServer("ec"), TokenServer("ec", host="127.0.0.2")
    rx = guarded(ts)
    ids = []
    with closing([proxy, ts, far, rx]), own_worker(stack, key, ids, WH_ALLOW_PRIVATE_TARGETS="0",
                                                   WH_ALLOW_CIDRS="127.0.0.1/32", WH_EGRESS_PROXY=proxy.url):
        ids += [oauth_webhook(stack, key, rx.url, ts.url, "ec"), oauth_webhook(stack, key, rx.url, far.url, "ec")]
        send(stack, account, ids[0])
        d = wait_for(lambda: [x for x in deliveries(stack, key, ids[0]) if x["status"] == "succeeded"], 15)
        assert d, (deliveries(stack, key, ids[0]), proxy.seen(), ts.rejected)
        assert ts.fetches == 1 and ts.valid(bearer(rx.received()[0])), ts.rejected
        assert "POST %s" % ts.url in proxy.seen() and "POST %s" % rx.url in proxy.seen(), proxy.seen()
        send(stack, account, ids[1])
        assert wait_for(lambda: attempts(stack, ids[1]), 30)
        assert attempts(stack, ids[1])[0] == ["NULL", "oauth_token_failed", "token request: blocked_address"], \
            attempts(stack, ids[1])
        assert far.fetches == 0 and not any("127.0.0.2" in line for line in proxy.seen()), proxy.seen()
