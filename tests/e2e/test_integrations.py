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


# --- operational events ----------------------------------------------------------------------

OPS = ["webhook.disabled", "webhook.recovered"]


def send_test(stack, key, wid):
    r = stack.request("POST", "/v2/webhooks/%s/test" % wid, key=key, raw=b"", headers={"Content-Length": "0"})
    assert r.status == 202, r


def of_type(rx, etype):
    return [json.loads(q["body"]) for q in rx.received() if json.loads(q["body"])["type"] == etype]


def test_disabled_event_reaches_subscribed_account_wide_webhooks(stack):
    account, key = stack.new_account()
    ops, every, gone = Receiver(), Receiver(), Receiver(lambda req: (410, {}, b"gone"))
    try:
        watcher = create(stack, key, url=ops.url, eventTypes=OPS, description="ops").json["id"]
        create(stack, key, url=every.url)  # all types: operational ones are opt-in
        victim = create(stack, key, url=gone.url, eventTypes=["webhook.test", "webhook.disabled"],
                        description="partner <b>").json["id"]
        assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM events WHERE account_id = '%s' AND fanned_out = 0"
                                          % account)[0][0] == "0", 10)
        send_test(stack, key, victim)
        assert wait_for(lambda: of_type(ops, "webhook.disabled"), 20), ops.received()
        env = of_type(ops, "webhook.disabled")[0]
        w = stack.request("GET", "/v2/webhooks/%s" % victim, key=key).json
        assert w["status"] == "disabled"
        assert env["accountId"] == account and env["data"] == {
            "webhookId": victim, "url": gone.url, "description": "partner <b>",
            "reason": w["disabledReason"], "disabledAt": w["disabledAt"]}, env
        assert "410" in env["data"]["reason"]
        # signed like any other delivery, recorded in the watcher's activity
        h = [q for q in ops.received() if json.loads(q["body"])["type"] == "webhook.disabled"][0]["headers"]
        assert h["webhook-id"] == env["id"] and h["webhook-signature"].startswith("v1,")
        d = stack.request("GET", "/v2/webhooks/%s/deliveries" % watcher, key=key).json["results"]
        assert [x["eventType"] for x in d] == ["webhook.disabled"], d
        time.sleep(1)
        assert of_type(every, "webhook.disabled") == [], every.received()
        assert len(gone.received()) == 1 and json.loads(gone.received()[0]["body"])["type"] == "webhook.test"
        assert len(of_type(ops, "webhook.disabled")) == 1
    finally:
        for rx in (ops, every, gone):
            rx.close()


def test_an_operational_event_never_reaches_the_webhook_it_is_about(stack):
    """Fan-out alone (the subject stays active here): the event about A goes to B, not A."""
    account, key = stack.new_account()
    a, b = Receiver(), Receiver()
    try:
        wa = create(stack, key, url=a.url, eventTypes=OPS).json["id"]
        create(stack, key, url=b.url, eventTypes=OPS)
        body = json.dumps({"id": "OpEvSubjectTest00001", "created": "2026-01-01T00:00:00.000Z",
                           "accountId": account, "type": "webhook.disabled", "data": {"webhookId": wa}},
                          separators=(",", ":"))
        stack.sql("INSERT INTO events (id, account_id, type, subject_webhook_id, payload, created) "
                  "VALUES ('%s', '%s', 'webhook.disabled', '%s', '%s', %d)"
                  % (json.loads(body)["id"], account, wa, body, int(time.time() * 1000)))
        assert wait_for(lambda: b.received(), 20)
        time.sleep(1)
        assert a.received() == [] and len(b.received()) == 1
    finally:
        a.close()
        b.close()


def test_recovered_event_after_more_than_an_hour_of_failures(stack):
    account, key = stack.new_account()
    ops, ok = Receiver(), Receiver()
    try:
        create(stack, key, url=ops.url, eventTypes=["webhook.recovered"])
        long_ = create(stack, key, url=ok.url + "?long", eventTypes=["webhook.test"]).json["id"]
        short = create(stack, key, url=ok.url + "?short", eventTypes=["webhook.test"]).json["id"]
        now = int(time.time() * 1000)
        since = now - 2 * 3600 * 1000
        stack.sql("UPDATE webhooks SET failing_since = %d, last_failure_at = %d WHERE id = '%s'" % (since, now, long_))
        stack.sql("UPDATE webhooks SET failing_since = %d WHERE id = '%s'" % (now - 10 * 60 * 1000, short))
        send_test(stack, key, long_)
        send_test(stack, key, short)
        assert wait_for(lambda: of_type(ops, "webhook.recovered"), 20), ops.received()
        assert wait_for(lambda: len(ok.received()) == 2, 10)
        time.sleep(1)
        got = of_type(ops, "webhook.recovered")
        assert len(got) == 1, got
        data = got[0]["data"]
        assert data["webhookId"] == long_ and data["url"] == ok.url + "?long", data
        assert data["failingSince"] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(since // 1000)) + \
            ".%03dZ" % (since % 1000), data
        stats = stack.request("GET", "/v2/webhooks/%s" % long_, key=key).json["stats"]
        assert stats["failingSince"] is None
    finally:
        ops.close()
        ok.close()


def test_operational_types_are_for_account_wide_webhooks_only(stack):
    account, key = stack.new_account()
    loc = stack.request("POST", "/v2/locations", {"name": "desk"}, key=key).json["id"]
    r = create(stack, key, eventTypes=["visit.created", "webhook.recovered"], locationIds=[loc])
    assert r.status == 400 and r.json["field"] == "eventTypes[1]", r
    wid = create(stack, key, eventTypes=["webhook.disabled"]).json["id"]
    r = patch(stack, key, wid, {"locationIds": [loc]})
    assert r.status == 400 and r.json["field"] == "eventTypes[0]", r
    other = create(stack, key, locationIds=[loc]).json["id"]
    r = patch(stack, key, other, {"eventTypes": ["webhook.disabled"]})
    assert r.status == 400 and r.json["field"] == "eventTypes[0]", r
    r = patch(stack, key, other, {"eventTypes": ["webhook.disabled"], "locationIds": []})
    assert r.status == 200 and r.json["eventTypes"] == ["webhook.disabled"], r
