"""OAuth for webhook endpoints (SPEC §8): the worker gets a token with the JWT bearer grant
(RFC 7523) from a real token server on loopback, which verifies the assertion's signature
with the openssl command line and checks its claims; the receiver accepts only tokens that
server issued and that have not expired. The test stack retries after 1, 1, 2 s."""
import base64
import contextlib
import http.server
import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.parse

from lib import Receiver, free_port, wait_for
from test_delivery import SECRET, deliveries, emit_many, one_delivery_when
from test_delivery_faults import ExtraWorker, start_stack_worker, stop_stack_worker

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_EXPIRES = 120  # every test webhook's oAuth.expiresIn
_keys = {}


def keypair(kind):
    """(private PEM, public PEM path) made with openssl genpkey, cached per run."""
    if kind not in _keys:
        args = {"rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]}[kind]
        priv = subprocess.run(["openssl", "genpkey"] + args, capture_output=True, text=True, check=True).stdout
        pub = subprocess.run(["openssl", "pkey", "-pubout"], input=priv, capture_output=True, text=True,
                             check=True).stdout
        fd, path = tempfile.mkstemp(suffix=".pem")
        with os.fdopen(fd, "w") as f:
            f.write(pub)
        _keys[kind] = (priv, path)
    return _keys[kind]


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def es256_der(raw):
    """JWS ES256 r || s as the DER ECDSA-Sig-Value openssl verifies."""
    body = der_int(raw[:32]) + der_int(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


def openssl_verify(pub_path, signing_input, sig):
    with tempfile.TemporaryDirectory() as d:
        data, sigf = os.path.join(d, "in"), os.path.join(d, "sig")
        with open(data, "wb") as f:
            f.write(signing_input)
        with open(sigf, "wb") as f:
            f.write(sig)
        p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub_path, "-signature", sigf, data],
                           capture_output=True, text=True)
        return p.returncode == 0 and "Verified OK" in p.stdout


class TokenServer:
    """A token endpoint: verifies the assertion (signature, iss/sub/aud, iat/exp, unique jti)
    and issues numbered tokens with expires_in. mode: "ok", or (status, json body) to answer."""

    def __init__(self, kind, expires_in=60, port=0, host="127.0.0.1"):
        self.alg = {"rsa": "RS256", "ec": "ES256"}[kind]
        self.pub = keypair(kind)[1]
        self.expires_in = expires_in
        self.mode = "ok"
        self.lock = threading.Lock()
        self.fetches, self.rejected, self.scopes, self.jtis = 0, [], [], set()
        self.tokens = {}  # token -> expiry (time.time())
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                status, body = outer.answer(self.headers.get("Content-Type", ""), self.rfile.read(n))
                out = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), H)
        self.server.daemon_threads = True
        self.url = "http://%s:%d/token" % (host, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, ctype, raw):
        """None when the grant is valid, else why not."""
        if ctype != "application/x-www-form-urlencoded":
            return "content type " + ctype
        form = urllib.parse.parse_qs(raw.decode(), strict_parsing=True)
        if form.get("grant_type") != [GRANT] or len(form.get("assertion", [])) != 1:
            return "bad form %r" % form
        self.scopes.append(form.get("scope"))
        parts = form["assertion"][0].split(".")
        header, claims = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
        if header != {"alg": self.alg, "typ": "JWT"}:
            return "header %r" % header
        if not openssl_verify(self.pub, (parts[0] + "." + parts[1]).encode(),
                              es256_der(sig) if self.alg == "ES256" else sig):
            return "signature does not verify"
        for k, v in CLAIMS.items():
            if claims.get(k) != v:
                return "claim %s = %r" % (k, claims.get(k))
        now = time.time()
        if abs(claims["iat"] - now) > 30 or claims["exp"] - claims["iat"] != JWT_EXPIRES or claims["exp"] < now:
            return "times %r" % claims
        if not claims.get("jti") or claims["jti"] in self.jtis:
            return "jti reused"
        self.jtis.add(claims["jti"])
        return None

    def answer(self, ctype, raw):
        with self.lock:
            self.fetches += 1
            if self.mode != "ok":
                return self.mode
            why = self.check(ctype, raw)
            if why:
                self.rejected.append(why)
                return 400, {"error": "invalid_grant"}
            token = "tok%d.%s" % (self.fetches, base64.urlsafe_b64encode(os.urandom(12)).decode())
            self.tokens[token] = time.time() + self.expires_in
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}

    def valid(self, token):
        with self.lock:
            return self.tokens.get(token, 0) > time.time()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def bearer(req):
    h = req["headers"].get("authorization", "")
    return h[len("Bearer "):] if h.startswith("Bearer ") else None


def guarded(ts, first=None):
    """A receiver accepting only live tokens from ts; first(n) can override the nth answer."""
    count = [0]

    def respond(req):
        count[0] += 1
        if first and first(count[0]) is not None:
            return first(count[0]), {}, b""
        return (204, {}, b"") if ts.valid(bearer(req)) else (401, {}, b"bad token")
    return Receiver(respond)


CLAIMS = {"iss": "linehook-test", "sub": "client-42", "aud": "https://auth.test/token"}


def oauth_webhook(stack, key, url, token_url, kind, scope=None):
    claims = dict(CLAIMS)
    if scope:
        claims["scope"] = scope
    body = {"url": url, "secret": SECRET, "oAuth": {"tokenUrl": token_url, "privateKey": keypair(kind)[0],
                                                      "expiresIn": JWT_EXPIRES, "claims": claims}}
    r = stack.request("POST", "/v2/webhooks", body=body, key=key)
    assert r.status == 201, r
    assert "privateKey" not in r.json["oAuth"] and r.json["oAuth"]["hasPrivateKey"] is True, r.json
    return r.json["id"]


def send(stack, account, wid, n=1):
    return emit_many(stack, account, [("visit.created", None, None, wid, {"n": i}) for i in range(n)])


def attempts(stack, wid):
    return stack.sql("SELECT a.status_code, a.error, a.response_body FROM delivery_attempts a "
                     "WHERE a.webhook_id = '%s' ORDER BY a.seq" % wid)


def no_secrets_logged(stack, ts, kind):
    log = open(os.path.join(stack.var, "worker.log"), encoding="utf-8", errors="replace").read()
    for token in list(ts.tokens):
        assert token not in log, "a token in the worker log"
    pem_body = keypair(kind)[0].splitlines()[1]
    assert pem_body not in log, "the private key in the worker log"


@contextlib.contextmanager
def oauth_case(stack, kind, expires_in=60, scope=None, first=None, respond=None):
    """A fresh account, a token server, a receiver (guarded by default) and an OAuth webhook
    between them: yields (account, key, webhook id, token server, receiver)."""
    account, key = stack.new_account()
    ts = TokenServer(kind, expires_in)
    rx = Receiver(respond) if respond else guarded(ts, first)
    try:
        yield account, key, oauth_webhook(stack, key, rx.url, ts.url, kind, scope=scope), ts, rx
    finally:
        rx.close()
        ts.close()


def test_rsa_and_ec_keys_deliver_with_a_verified_token(stack):
    for kind, scope in (("rsa", None), ("ec", "visits:read webhooks")):
        with oauth_case(stack, kind, scope=scope) as (account, key, wid, ts, rx):
            send(stack, account, wid)
            d = one_delivery_when(stack, key, wid, lambda d: d["status"] != "pending")
            assert d["status"] == "succeeded" and d["attempts"] == 1, (kind, d, ts.rejected)
            assert ts.fetches == 1 and not ts.rejected, (kind, ts.rejected)
            assert ts.scopes == [[scope] if scope else None], ts.scopes
            got = rx.received()
            assert len(got) == 1 and ts.valid(bearer(got[0])), got
            no_secrets_logged(stack, ts, kind)


def test_one_token_fetch_serves_many_deliveries(stack):
    with oauth_case(stack, "ec") as (account, key, wid, ts, rx):
        send(stack, account, wid, 12)
        assert wait_for(lambda: sum(d["status"] == "succeeded" for d in deliveries(stack, key, wid)) == 12, 20), \
            deliveries(stack, key, wid)
        send(stack, account, wid, 3)
        assert wait_for(lambda: sum(d["status"] == "succeeded" for d in deliveries(stack, key, wid)) == 15, 20)
        assert ts.fetches == 1, ts.fetches
        tokens = {bearer(r) for r in rx.received()}
        assert len(rx.received()) == 15 and len(tokens) == 1, tokens


def test_a_new_token_after_expiry(stack):
    with oauth_case(stack, "rsa", expires_in=2) as (account, key, wid, ts, rx):
        send(stack, account, wid)
        assert wait_for(lambda: len(rx.received()) == 1, 30)
        time.sleep(2.5)
        send(stack, account, wid)
        assert wait_for(lambda: sum(d["status"] == "succeeded" for d in deliveries(stack, key, wid)) == 2, 15), \
            deliveries(stack, key, wid)
        got = rx.received()
        assert ts.fetches == 2 and len(got) == 2 and bearer(got[0]) != bearer(got[1]), (ts.fetches, got)
        assert [a[0] for a in attempts(stack, wid)] == ["204", "204"], attempts(stack, wid)


def test_a_401_refreshes_the_token_once_within_the_attempt(stack):
    with oauth_case(stack, "ec", first=lambda n: 401 if n == 1 else None) as (account, key, wid, ts, rx):
        send(stack, account, wid)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] != "pending")
        assert d["status"] == "succeeded" and d["attempts"] == 1 and d["lastStatusCode"] == 204, d
        got = rx.received()
        assert ts.fetches == 2 and len(got) == 2 and bearer(got[0]) != bearer(got[1]), (ts.fetches, got)


def test_an_endpoint_that_always_answers_401_gets_exactly_one_refresh_per_attempt(stack):
    with oauth_case(stack, "rsa", respond=lambda req: (401, {}, b"no")) as (account, key, wid, ts, rx):
        send(stack, account, wid)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed", 20)
        assert d["attempts"] == 4 and d["lastStatusCode"] == 401 and d["lastError"] == "http_status", d
        # the first attempt fetches a token and refreshes it once; each later one starts with the
        # cached token and refreshes once: 1 + 4 fetches, 2 requests per attempt
        assert ts.fetches == 5 and len(rx.received()) == 8, (ts.fetches, len(rx.received()))


def test_token_server_down_is_recorded_and_retried_until_it_is_back(stack):
    account, key = stack.new_account()
    port = free_port()
    token_url = "http://127.0.0.1:%d/token" % port
    rx = Receiver()
    ts = None
    try:
        wid = oauth_webhook(stack, key, rx.url, token_url, "rsa")
        send(stack, account, wid)
        assert wait_for(lambda: attempts(stack, wid), 30)
        code, error, body = attempts(stack, wid)[0]
        assert code == "NULL" and error == "oauth_token_failed", attempts(stack, wid)
        assert body == "token request: connection_refused", body
        d = deliveries(stack, key, wid)[0]
        assert d["status"] == "pending" and d["lastError"] == "oauth_token_failed", d
        assert not rx.received()
        ts = TokenServer("rsa", port=port)
        rx.respond = lambda req: (204, {}, b"") if ts.valid(bearer(req)) else (401, {}, b"")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] != "pending", 15)
        assert d["status"] == "succeeded" and d["attempts"] >= 2, d
        assert len(rx.received()) == 1 and ts.fetches == 1
    finally:
        rx.close()
        if ts:
            ts.close()


def test_token_server_refusals_are_recorded_with_the_reason(stack):
    modes = [((400, {"error": "invalid_grant", "error_description": "nope"}),
              "token server answered 400 (invalid_grant)"),
             ((200, {"token_type": "Bearer"}), "token answer has no access_token"),
             ((200, ["not", "an", "object"]), "token answer is not a JSON object")]
    account, key = stack.new_account()
    ts = TokenServer("ec")
    ts.mode = modes[0][0]  # before the webhook exists: its first attempt meets it
    rx = guarded(ts)
    try:
        wid = oauth_webhook(stack, key, rx.url, ts.url, "ec")
        send(stack, account, wid)
        for i, (mode, why) in enumerate(modes):
            assert wait_for(lambda: len(attempts(stack, wid)) == i + 1, 30), attempts(stack, wid)
            ts.mode = modes[i + 1][0] if i + 1 < len(modes) else "ok"
            assert attempts(stack, wid)[i] == ["NULL", "oauth_token_failed", why], attempts(stack, wid)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] != "pending", 15)
        assert d["status"] == "succeeded" and d["attempts"] == 4, d
        assert len(rx.received()) == 1
    finally:
        rx.close()
        ts.close()


def test_the_token_request_follows_the_url_policy(stack):
    """With private targets off and only 127.0.0.1 allow-listed, the endpoint is reachable but a
    token server on 127.0.0.2 is not: the attempt records oauth_token_failed / blocked_address."""
    account, key = stack.new_account()
    ts = TokenServer("rsa", host="127.0.0.2")
    rx = guarded(ts)
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, WH_ALLOW_PRIVATE_TARGETS="0", WH_ALLOW_CIDRS="127.0.0.1/32")
    try:
        wid = oauth_webhook(stack, key, rx.url, ts.url, "rsa")
        send(stack, account, wid)
        assert wait_for(lambda: attempts(stack, wid), 30)
        assert attempts(stack, wid)[0] == ["NULL", "oauth_token_failed", "token request: blocked_address"], \
            attempts(stack, wid)
        assert ts.fetches == 0 and rx.received() == []
    finally:
        extra.stop()
        start_stack_worker(stack)
        rx.close()
        ts.close()


def test_a_bad_key_is_refused_on_update_and_the_stored_one_kept(stack):
    with oauth_case(stack, "rsa") as (account, key, wid, ts, rx):
        before = stack.sql("SELECT HEX(oauth_key_enc) FROM webhooks WHERE id = '%s'" % wid)
        public = open(keypair("rsa")[1]).read()
        encrypted = subprocess.run(["openssl", "pkey", "-aes256", "-passout", "pass:secret"], input=keypair("ec")[0],
                                   capture_output=True, text=True, check=True).stdout
        assert "ENCRYPTED" in encrypted
        for bad in ("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", public, keypair("ec")[0][:-40],
                    encrypted):
            o = {"tokenUrl": ts.url, "privateKey": bad, "claims": CLAIMS}
            r = stack.request("PATCH", "/v2/webhooks/" + wid, body={"oAuth": o}, key=key)
            assert r.status == 400 and r.json["field"] == "oAuth.privateKey", r
        assert stack.sql("SELECT HEX(oauth_key_enc) FROM webhooks WHERE id = '%s'" % wid) == before
        send(stack, account, wid)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] != "pending")
        assert d["status"] == "succeeded", d
