"""Integrator features (SPEC §14): custom headers per webhook, operational events.

The test stack runs with retry_schedule 1,1,2 (scripts/test.sh), so retries take seconds."""
import json
import time

from lib import Receiver, wait_for

SECRET = "rUNbNyRdOC2FJm4rzTR5y1cs"
API_KEY_VALUE = "gw-key-0123456789abcdef"


def create(stack, key, **body):
    body.setdefault("url", "https://example.com/hook")
    body.setdefault("secret", SECRET)
    return stack.request("POST", "/v2/webhooks", body, key=key)


def patch(stack, key, wid, body):
    return stack.request("PATCH", "/v2/webhooks/%s" % wid, body, key=key)


def stored(stack, wid):
    return stack.sql("SELECT HEX(headers_enc), headers_masked FROM webhooks WHERE id = '%s'" % wid)[0]


# --- custom headers ------------------------------------------------------------------------

def test_headers_are_answered_masked_and_stored_sealed(stack):
    account, key = stack.new_account()
    r = create(stack, key, headers={"X-Api-Key": API_KEY_VALUE, "X-Short": "abc", "X-Team": "ops team 7"})
    assert r.status == 201, r
    assert r.json["headers"] == {"X-Api-Key": "****cdef", "X-Short": "****", "X-Team": "****am 7"}, r.json
    wid = r.json["id"]
    for path in ("/v2/webhooks/%s" % wid, "/v2/webhooks"):
        body = stack.request("GET", path, key=key).body
        assert API_KEY_VALUE not in body and "ops team 7" not in body, body
    enc, masked = stored(stack, wid)
    assert enc != "NULL" and API_KEY_VALUE.encode().hex().upper() not in enc
    assert API_KEY_VALUE not in masked and json.loads(masked)["X-Api-Key"] == "****cdef"
    assert stack.sql("SELECT COUNT(*) FROM webhooks WHERE id = '%s' AND INSTR(headers_enc, '%s') = 0"
                     % (wid, API_KEY_VALUE))[0][0] == "1"
    # a webhook without headers answers {} and stores nothing
    r = create(stack, key)
    assert r.json["headers"] == {} and stored(stack, r.json["id"]) == ["NULL", "NULL"]


BAD = [
    ({"headers": []}, "headers"),
    ({"headers": "X-A: b"}, "headers"),
    ({"headers": {"X-%d" % i: "v" for i in range(11)}}, "headers"),
    ({"headers": {"Bad Name": "v"}}, "headers"),
    ({"headers": {"": "v"}}, "headers"),
    ({"headers": {"X-é": "v"}}, "headers"),
    ({"headers": {"X-A": ""}}, "headers.X-A"),
    ({"headers": {"X-A": "x" * 1001}}, "headers.X-A"),
    ({"headers": {"X-A": "caf\u00e9"}}, "headers.X-A"),
    ({"headers": {"X-A": "a\r\nInjected: 1"}}, "headers.X-A"),
    ({"headers": {"X-A": " lead"}}, "headers.X-A"),
    ({"headers": {"X-A": 5}}, "headers.X-A"),
    ({"headers": {"X-A": None}}, "headers.X-A"),  # null keeps a stored value: nothing stored on create
    ({"headers": {"X-A": "1", "x-a": "2"}}, "headers.x-a"),
    ({"headers": {"Content-Type": "text/plain"}}, "headers.Content-Type"),
    ({"headers": {"content-length": "1"}}, "headers.content-length"),
    ({"headers": {"Host": "evil.example"}}, "headers.Host"),
    ({"headers": {"User-Agent": "x"}}, "headers.User-Agent"),
    ({"headers": {"Connection": "close"}}, "headers.Connection"),
    ({"headers": {"Transfer-Encoding": "chunked"}}, "headers.Transfer-Encoding"),
    ({"headers": {"webhook-id": "x"}}, "headers.webhook-id"),
    ({"headers": {"Webhook-Signature": "v1,x"}}, "headers.Webhook-Signature"),
    ({"headers": {"X-Waitwhile-Signature": "x"}}, "headers.X-Waitwhile-Signature"),
]


def test_bad_headers_answer_400_naming_the_field_and_write_nothing(stack):
    account, key = stack.new_account()
    for body, field in BAD:
        r = create(stack, key, **body)
        assert r.status == 400, (body, r)
        assert r.json["errorCode"] == "validation_failed" and r.json["field"] == field, (body, r.json)
    assert stack.sql("SELECT COUNT(*) FROM webhooks WHERE account_id = '%s'" % account)[0][0] == "0"
    # exactly at the limits is fine
    r = create(stack, key, headers=dict({"X-%d" % i: "v" for i in range(9)}, **{"X-Long": "~" * 1000}))
    assert r.status == 201, r


def test_authorization_is_refused_only_with_oauth(stack):
    account, key = stack.new_account()
    r = create(stack, key, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status == 201 and r.json["headers"] == {"Authorization": "****YXNz"}, r
    wid = r.json["id"]
    oauth = {"tokenUrl": "https://auth.example.com/token", "privateKey": rsa_key(),
             "claims": {"iss": "a", "sub": "b", "aud": "c"}}
    r = patch(stack, key, wid, {"oAuth": oauth})  # the stored Authorization conflicts
    assert r.status == 400 and r.json["field"] == "headers.Authorization", r
    r = create(stack, key, oAuth=oauth, headers={"authorization": "Bearer x"})
    assert r.status == 400 and r.json["field"] == "headers.authorization", r
    r = patch(stack, key, wid, {"oAuth": oauth, "headers": {"X-Other": "value-1234"}})
    assert r.status == 200 and r.json["headers"] == {"X-Other": "****1234"}, r
    r = patch(stack, key, wid, {"headers": {"Authorization": "Bearer y"}})  # oAuth stored now
    assert r.status == 400 and r.json["field"] == "headers.Authorization", r


_rsa = []


def rsa_key():
    import subprocess
    if not _rsa:
        _rsa.append(subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                                   capture_output=True, text=True, check=True).stdout)
    return _rsa[0]


def test_update_replaces_the_set_and_null_keeps_a_stored_value(stack):
    account, key = stack.new_account()
    wid = create(stack, key, headers={"X-Api-Key": API_KEY_VALUE, "X-Drop": "drop-me-1"}).json["id"]
    enc_before = stored(stack, wid)[0]
    r = patch(stack, key, wid, {"description": "no header change"})
    assert r.status == 200 and r.json["headers"] == {"X-Api-Key": "****cdef", "X-Drop": "****me-1"}, r
    assert stored(stack, wid)[0] == enc_before
    r = patch(stack, key, wid, {"headers": {"x-api-key": None, "X-New": "new-value-42"}})
    assert r.status == 200 and r.json["headers"] == {"x-api-key": "****cdef", "X-New": "****e-42"}, r
    r = patch(stack, key, wid, {"headers": {"X-Gone": None}})
    assert r.status == 400 and r.json["field"] == "headers.X-Gone", r
    assert stack.request("GET", "/v2/webhooks/%s" % wid, key=key).json["headers"] == \
        {"x-api-key": "****cdef", "X-New": "****e-42"}
    r = patch(stack, key, wid, {"headers": None})
    assert r.status == 200 and r.json["headers"] == {} and stored(stack, wid) == ["NULL", "NULL"], r


def test_headers_are_sent_on_every_attempt(stack):
    account, key = stack.new_account()
    rx = Receiver(lambda req: (500 if len(rx.received()) <= 2 else 200, {}, b""))
    try:
        wid = create(stack, key, url=rx.url, headers={"X-Api-Key": API_KEY_VALUE, "X-Team": "ops team 7"}).json["id"]
        r = stack.request("POST", "/v2/webhooks/%s/test" % wid, key=key, raw=b"",
                          headers={"Content-Length": "0"})
        assert r.status == 202, r
        assert wait_for(lambda: len(rx.received()) >= 3, 30), rx.received()
        for req in rx.received()[:3]:
            h = req["headers"]
            assert h["x-api-key"] == API_KEY_VALUE and h["x-team"] == "ops team 7", h
            assert h["content-type"] == "application/json" and "webhook-signature" in h, h
        # a changed set reaches the next delivery; a removed header is no longer sent
        patch(stack, key, wid, {"headers": {"X-Team": "blue"}})
        stack.request("POST", "/v2/webhooks/%s/test" % wid, key=key, raw=b"", headers={"Content-Length": "0"})
        assert wait_for(lambda: len(rx.received()) >= 4, 30)
        h = rx.received()[3]["headers"]
        assert h["x-team"] == "blue" and "x-api-key" not in h, h
        for name in ("worker.log", "api.log"):
            with open("%s/%s" % (stack.var, name), errors="replace") as f:
                assert API_KEY_VALUE not in f.read(), name
    finally:
        rx.close()
