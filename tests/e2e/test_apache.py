"""Apache front end: scripts/apache.sh runs a private Apache with conf/apache2-linehook.conf
against this stack's database and config; the API smoke tests and the page load go through it."""
import http.client
import json
import os
import subprocess

import lib

HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class Apache:
    def __init__(self, stack):
        self.stack = stack
        self.port = lib.free_port()
        self.env = {"WH_APACHE_PORT": str(self.port), "WH_FCGI_PROCS": "2"}

    def __enter__(self):
        p = self.run("start")
        assert p.returncode == 0, "apache.sh start failed: %s %s" % (p.stdout, p.stderr)
        return self

    def __exit__(self, *a):
        self.run("stop")
        # The FastCGI processes spawned for Apache log beside it; a sanitizer report fails.
        path = os.path.join(self.stack.var, "apache", "api.log")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            assert "Sanitizer" not in text and "runtime error:" not in text, text[-3000:]

    def run(self, cmd):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run([os.path.join(lib.ROOT, "scripts", "apache.sh"), cmd], env=env,
                              capture_output=True, text=True, timeout=120)

    def request(self, method, path, body=None, key=None, headers=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if key:
            h["apikey"] = key
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return lib.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace"))
        finally:
            conn.close()


def check_headers(r):
    for k, v in HEADERS.items():
        assert r.headers.get(k) == v, "%s: %r" % (k, r.headers.get(k))


def test_apache_api_smoke(stack):
    _, key = stack.new_account("apache")
    with Apache(stack) as ap:
        r = ap.request("GET", "/v2/live")
        assert r.status == 200 and r.json["status"] == "ok", r
        r = ap.request("GET", "/v2/health")
        assert r.json["database"] == "ok" and "alive" in r.json["workers"], r
        check_headers(r)
        r = ap.request("GET", "/v2/account")
        assert r.status == 401 and r.json["errorCode"] == "unauthorized", r
        check_headers(r)
        assert ap.request("GET", "/v2/account", key="wrong-key").status == 401
        r = ap.request("GET", "/v2/account", headers={"Authorization": "Bearer " + key})
        assert r.status == 200 and r.json["name"] == "apache", r
        r = ap.request("POST", "/v2/webhooks", {"url": "https://example.com/apache", "description": "via apache"}, key=key)
        assert r.status == 201, r
        w = r.json
        assert len(w["secret"]) == 24, w
        r = ap.request("GET", "/v2/webhooks/" + w["id"], key=key)
        assert r.status == 200 and r.json["description"] == "via apache" and "secret" not in r.json, r
        # The same row through lighttpd: one database, two front ends.
        assert stack.request("GET", "/v2/webhooks/" + w["id"], key=key).json["id"] == w["id"]
        r = ap.request("GET", "/v2/webhooks?limit=1", key=key)
        assert r.status == 200 and [x["id"] for x in r.json["results"]] == [w["id"]], r
        r = ap.request("POST", "/v2/webhooks", {"url": "ftp://example.com/"}, key=key)
        assert r.status == 400 and r.json["field"] == "url", r
        r = ap.request("GET", "/metrics")
        assert r.status == 200 and "linehook_" in r.body and r.headers["content-type"].startswith("text/plain"), r
        r = ap.request("GET", "/v2/nope", key=key)
        assert r.status == 404 and r.json["errorCode"] == "not_found", r
        # The app's own headers pass through Apache: Allow on a 405, the catalog without a key.
        r = ap.request("DELETE", "/v2/webhooks", key=key)
        assert r.status == 405 and r.headers.get("allow") == "POST, GET, HEAD", r.headers
        r = ap.request("GET", "/v2/event-types/webhook.test")
        assert r.status == 200 and r.json["name"] == "webhook.test", r
        r = ap.request("GET", "/v2/account", headers={"apikey": key, "Authorization": "Bearer other"})
        assert r.status == 400 and r.json["errorCode"] == "conflicting_credentials", r
    # Stopped: nothing answers on the port any more.
    try:
        ap.request("GET", "/v2/live")
        raise AssertionError("Apache still answers after stop")
    except OSError:
        pass


def test_apache_page_load(stack):
    with Apache(stack) as ap:
        r = ap.request("GET", "/")
        assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
        check_headers(r)
        assert 'src="app.js"' in r.body and "API key" not in r.body.split("<main")[0], r.body[:200]
        for path, ctype in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
            r = ap.request("GET", path)
            assert r.status == 200 and r.headers["content-type"].startswith(ctype), (path, r.headers)
            check_headers(r)
            with open(os.path.join(lib.ROOT, "www", path[1:]), encoding="utf-8") as f:
                assert r.body == f.read(), path
        r = ap.request("GET", "/missing.html")
        assert r.status == 404
        check_headers(r)



def test_apache_own_errors_are_json(stack):
    """What Apache answers itself (a malformed request, an unknown static file) uses the API's
    error shape, like lighttpd's conf/errors/."""
    with Apache(stack) as ap:
        head, body = lib.raw_http(ap.port, b"GET /v2/health HTTP/1.1\r\nHost: x\r\nBad Header\r\nConnection: close\r\n\r\n")
        assert head.startswith("HTTP/1.1 400") and "application/json" in head, head
        assert json.loads(body)["errorCode"] == "bad_request", body
        r = ap.request("GET", "/no-such-file.css")
        assert r.status == 404 and r.json["errorCode"] == "not_found", r
        assert r.headers["content-type"].startswith("application/json"), r.headers
        check_headers(r)


def test_apache_metrics_only_for_this_machine(stack):
    with Apache(stack) as ap:
        status, body = lib.get_from(ap.port, "127.0.0.1", "/metrics")
        assert status == 200 and b"linehook_" in body, (status, body[:200])
        status, body = lib.get_from(ap.port, "127.0.0.2", "/metrics")
        assert status == 403 and json.loads(body)["errorCode"] == "forbidden", (status, body)


def test_apache_serves_request_inboxes_without_a_key(stack):
    """conf/apache2-linehook.conf routes /in/<token> to the API like lighttpd does."""
    account, key = stack.new_account()
    box = stack.request("POST", "/v2/inboxes", key=key, raw=b"", headers={"Content-Length": "0"}).json
    path = "/in/" + box["url"].rsplit("/", 1)[1]
    with Apache(stack) as a:
        r = a.request("POST", path, {"via": "apache"}, headers={"X-Trace": "apache-1"})
        assert r.status == 200 and r.json["received"] is True, r
        r = a.request("POST", "/in/" + "B" * 22, {"x": 1})
        assert r.status == 404 and r.json["errorCode"] == "not_found", r
    got = stack.request("GET", "/v2/inboxes/%s/requests" % box["id"], key=key).json["results"]
    assert len(got) == 1 and json.loads(got[0]["body"]) == {"via": "apache"} and got[0]["headers"]["x-trace"] == "apache-1"
