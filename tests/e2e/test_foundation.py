"""The foundation: health, auth, errors, the database going away and coming back, SIGTERM."""
import json
import os
import signal
import socket
import subprocess
import time

from lib import get_from, handles_signal, raw_http, wait_for


def test_health_answers_with_database_workers_and_outbox(stack):
    r = stack.request("GET", "/v2/health")
    assert set(r.json) == {"status", "database", "workers", "outbox"}, r
    assert r.json["database"] == "ok" and isinstance(r.json["workers"]["alive"], int), r
    assert r.json["outbox"]["oldestPendingSeconds"] >= 0, r
    assert (r.status == 200) == (r.json["status"] == "ok") == (r.json["workers"]["alive"] > 0), r
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    r = stack.request("GET", "/v2/live")
    assert r.status == 200 and r.json == {"status": "ok"}, r


def test_unknown_path_is_json_404(stack):
    r = stack.request("GET", "/v2/no-such-thing")
    assert r.status == 404 and r.json["errorCode"] == "not_found", r


def test_wrong_method_is_json_405(stack):
    r = stack.request("DELETE", "/v2/health")
    assert r.status == 405 and r.json["errorCode"] == "method_not_allowed", r


def test_account_needs_a_key(stack):
    r = stack.request("GET", "/v2/account")
    assert r.status == 401 and r.json["errorCode"] == "unauthorized", r
    r = stack.request("GET", "/v2/account", key="lh_wrong")
    assert r.status == 401 and r.json["errorCode"] == "unauthorized", r
    r = stack.request("GET", "/v2/account", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert r.status == 401, r


def test_apikey_and_bearer_both_work_and_scope_the_account(stack):
    account, key = stack.new_account("scoped")
    r = stack.request("GET", "/v2/account", key=key)
    assert r.status == 200 and r.json["id"] == account and r.json["name"] == "scoped", r
    r = stack.request("GET", "/v2/account", headers={"Authorization": "Bearer " + key})
    assert r.status == 200 and r.json["id"] == account, r
    other, key2 = stack.new_account("other")
    r = stack.request("GET", "/v2/account", key=key2)
    assert r.json["id"] == other != account


def test_keys_are_stored_hashed(stack):
    account, key = stack.new_account()
    rows = stack.sql("SELECT key_hash FROM api_keys WHERE account_id = '%s'" % account)
    assert len(rows) == 1 and len(rows[0][0]) == 64 and key not in rows[0][0]
    import hashlib
    assert rows[0][0] == hashlib.sha256(key.encode()).hexdigest()


def test_create_key_for_unknown_account_fails(stack):
    p = stack.api(["create-key", "AAAAAAAAAAAAAAAAAAAA"], check=False)
    assert p.returncode != 0 and p.stdout == ""


def test_bad_config_names_file_and_line(stack):
    path = os.path.join(stack.var, "bad.conf")
    with open(path, "w") as f:
        f.write("db_port = 3307\n\nretention_days = many\n")
    p = subprocess.run([os.path.join(stack.build, "webhooks-api"), "--config", path, "print-config"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert path + ":3: retention_days" in p.stderr, p.stderr


def test_migrate_is_idempotent(stack):
    before = stack.sql("SELECT COUNT(*) FROM schema_migrations")[0][0]
    stack.api(["migrate"])
    assert stack.sql("SELECT COUNT(*) FROM schema_migrations")[0][0] == before
    assert int(before) >= 2


def test_database_down_is_503_then_recovers(stack):
    account, key = stack.new_account()
    try:
        assert stack.script("db.sh", "stop").returncode == 0
        r = stack.request("GET", "/v2/health")
        assert r.status == 503 and r.json["database"] == "unreachable", r
        r = stack.request("GET", "/v2/account", key=key)
        assert r.status == 503 and r.json["errorCode"] == "database_unavailable", r
    finally:
        assert stack.script("db.sh", "start").returncode == 0
    assert wait_for(lambda: stack.request("GET", "/v2/health").json["database"] == "ok")
    r = stack.request("GET", "/v2/account", key=key)
    assert r.status == 200 and r.json["id"] == account, r


def test_sigterm_when_idle_exits_zero(stack):
    path = os.path.join(stack.var, "sigterm.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    p = subprocess.Popen([os.path.join(stack.build, "webhooks-api"), "--config", stack.conf], stdin=s.fileno(),
                         stderr=subprocess.PIPE)
    s.close()
    # its handler is in place (a fixed pause was too short for a loaded machine)
    assert wait_for(lambda: handles_signal(p.pid, signal.SIGTERM), 30)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 0
    os.unlink(path)


def test_openapi_document_lists_what_answers(stack):
    r = stack.request("GET", "/v2/openapi.json")
    assert r.status == 200, r
    doc = r.json
    assert doc["openapi"].startswith("3.1")
    # Every documented GET path without parameters answers something other than 404/405.
    for path, ops in doc["paths"].items():
        if "{" in path or "get" not in ops:
            continue
        got = stack.request("GET", path)
        assert got.status not in (404, 405), (path, got)


def test_errors_from_the_web_server_are_json_too(stack):
    # No Content-Length on a POST: lighttpd answers 411 itself, with the API's error shape.
    head, body = raw_http(stack.port, b"POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert head.startswith("HTTP/1.1 411") and "application/json" in head, head
    assert json.loads(body)["errorCode"] == "length_required"
    # A body over the web server's own limit (1 MiB) is refused before the app sees it.
    r = stack.request("POST", "/v2/webhooks", raw=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                      headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.headers["content-type"].startswith("application/json"), r
    assert r.json["errorCode"] == "payload_too_large"
    head, body = raw_http(stack.port, b"GET /v2/health HTTP/1.1\r\nHost: x\r\nBad Header\r\nConnection: close\r\n\r\n")
    assert head.startswith("HTTP/1.1 400") and "application/json" in head, head
    assert json.loads(body)["errorCode"] == "bad_request"


def test_metrics_only_for_this_machine(stack):
    status, body = get_from(stack.port, "127.0.0.1", "/metrics")
    assert status == 200 and b"linehook_" in body, (status, body[:200])
    status, body = get_from(stack.port, "127.0.0.2", "/metrics")
    assert status == 403 and json.loads(body)["errorCode"] == "forbidden", (status, body)
    # The API itself answers any client.
    status, body = get_from(stack.port, "127.0.0.2", "/v2/live")
    assert status == 200, (status, body)


def test_rate_limit_per_account_answers_429_with_retry_after(stack):
    from lib import Front
    front = Front(stack, {"rate_limit_per_second": "1", "rate_limit_burst": "3"})
    try:
        account, key = stack.new_account()
        other, key2 = stack.new_account()
        # until the first 429 (not a fixed 5: a loaded machine answering slowly lets the bucket
        # refill at 1/s meanwhile); it runs dry within 20 unless each answer took about a second
        got = []
        while len(got) < 20 and (not got or got[-1].status != 429):
            got.append(front.request("GET", "/v2/account", key=key))
        assert [r.status for r in got[:3]] == [200, 200, 200], got
        limited = [r for r in got[3:] if r.status == 429]
        assert limited, got
        r = limited[0]
        assert r.json["errorCode"] == "rate_limited" and int(r.headers["retry-after"]) >= 1, (r, r.headers)
        # another account has its own bucket; health needs no key and is never limited
        assert front.request("GET", "/v2/account", key=key2).status == 200
        assert all(front.request("GET", "/v2/live").status == 200 for _ in range(10))
        # the bucket refills at the configured rate
        time.sleep(int(r.headers["retry-after"]))
        assert front.request("GET", "/v2/account", key=key).status == 200
    finally:
        front.close()
