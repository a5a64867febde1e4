"""Delivery (SPEC §7, §5 endpoint activity, §10 metrics and retention): events reach the
matching webhooks of real receivers, signed; retries, disabling, the activity API.

The test stack runs with retry_schedule 1,1,2, request_timeout_ms 3000 and lease_seconds 5
(scripts/test.sh), so retries and timeouts take seconds."""
import base64
import hashlib
import hmac
import json
import os
import random
import string
import subprocess
import time

from lib import Receiver, wait_for

SECRET = "rUNbNyRdOC2FJm4rzTR5y1cs"


def rid():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


def q(s):
    """A SQL string literal (test data only)."""
    if s is None:
        return "NULL"
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def create_location(stack, account, key, name="Front desk"):
    r = stack.request("POST", "/v2/locations", body={"name": name}, key=key)
    assert r.status == 201, r
    return r.json["id"]


def settle(stack, account):
    """Waits until the account's events so far are fanned out (creating a location emits one),
    so webhooks created next do not receive them."""
    assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM events WHERE account_id = %s AND fanned_out = 0"
                                      % q(account))[0][0] == "0", 10)


def create_webhook(stack, account, key, url, **fields):
    body = {"url": url, "secret": SECRET}
    body.update(fields)
    r = stack.request("POST", "/v2/webhooks", body=body, key=key)
    assert r.status == 201, r
    return r.json["id"]


def envelope(account, etype, data=None):
    eid = rid()
    now = int(time.time() * 1000)
    body = json.dumps({"id": eid, "created": iso(now), "accountId": account, "type": etype, "data": data or {}},
                      separators=(",", ":"))
    return eid, body


def emit_many(stack, account, events):
    """Commits events into the outbox as outbox_emit does: [(type, location, state, webhook, data)].
    Returns [(event id, payload bytes)]."""
    out, values = [], []
    now = int(time.time() * 1000)
    for etype, location, state, webhook, data in events:
        eid, body = envelope(account, etype, data)
        out.append((eid, body.encode()))
        values.append("(%s, %s, %s, %s, %s, %s, %s, %d)" % (q(eid), q(account), q(location), q(etype), q(state),
                                                          q(webhook), q(body), now))
    for i in range(0, len(values), 200):
        stack.sql("INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, payload, created) "
                  "VALUES " + ", ".join(values[i:i + 200]))
    return out


def emit(stack, account, etype, location=None, state=None, webhook=None, data=None):
    return emit_many(stack, account, [(etype, location, state, webhook, data)])[0]


def b64hmac(key, msg):
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def check_signed(req, url, event_id, body, secrets=(SECRET,)):
    h = req["headers"]
    assert req["body"] == body, (req["body"], body)
    assert h["content-type"] == "application/json", h
    assert h["user-agent"].startswith("linehook/"), h
    assert h["webhook-id"] == event_id, h
    ts = int(h["webhook-timestamp"])
    assert abs(ts - time.time()) < 60, h
    assert h["x-waitwhile-signature"] == b64hmac(secrets[0].encode(), url.encode() + body), h
    entries = h["webhook-signature"].split(" ")
    assert all(e.startswith("v1,") for e in entries), h
    want = ["v1," + b64hmac(s.encode(), b"%s.%d.%s" % (event_id.encode(), ts, body)) for s in secrets]
    assert entries == want, (entries, want)


def deliveries(stack, key, wid, query=""):
    r = stack.request("GET", "/v2/webhooks/%s/deliveries%s" % (wid, query), key=key)
    assert r.status == 200, r
    return r.json["results"]


def delivery(stack, key, wid, did):
    r = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, did), key=key)
    assert r.status == 200, r
    return r.json


def one_delivery_when(stack, key, wid, pred, timeout=30):
    def check():
        ds = deliveries(stack, key, wid)
        if len(ds) == 1 and pred(ds[0]):
            return ds[0]
        return None
    d = wait_for(check, timeout, 0.1)
    assert d, deliveries(stack, key, wid)
    return d


def webhook_row(stack, wid):
    return stack.sql("SELECT disabled_at IS NOT NULL, COALESCE(disabled_reason, ''), COALESCE(failing_since, 0) "
                     "FROM webhooks WHERE id = %s" % q(wid))[0]


# --- delivery and signatures ----------------------------------------------------------------

def test_visit_created_reaches_matching_webhook_signed(stack):
    account, key = stack.new_account()
    rx = Receiver()
    try:
        loc = create_location(stack, account, key)
        settle(stack, account)
        wid = create_webhook(stack, account, key, rx.url)
        eid, body = emit(stack, account, "visit.created", loc, "WAITING", data={"id": rid(), "state": "WAITING"})
        assert wait_for(lambda: rx.received(), 30), "nothing delivered"
        time.sleep(0.3)
        got = rx.received()
        assert len(got) == 1, got
        check_signed(got[0], rx.url, eid, body)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        assert d["eventId"] == eid and d["eventType"] == "visit.created" and d["attempts"] == 1, d
        assert d["lastStatusCode"] == 204 and d["lastError"] is None and d["nextAttemptAt"] is None, d
        # sent at once: the attempt started as soon as the worker fanned the event out (both times
        # from the rows; how soon a loaded machine gets to poll the outbox is not measured)
        waited = stack.sql("SELECT a.at - d.created FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
                           "WHERE d.webhook_id = %s" % q(wid))
        assert len(waited) == 1 and int(waited[0][0]) < 2000, "a healthy local endpoint waited %s ms" % waited
    finally:
        rx.close()


def standardwebhooks_module():
    """The npm package standardwebhooks (tests/e2e/package-lock.json), installed by scripts/deps.sh."""
    mod = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_modules", "standardwebhooks")
    assert os.path.isdir(mod), "tests/e2e/node_modules/standardwebhooks is missing: run scripts/deps.sh"
    return mod


VERIFY_JS = """
const {Webhook} = require(process.argv[1]);
const [secret, payload, id, ts, sig] = process.argv.slice(2);
const headers = {"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig};
new Webhook(secret, {format: "raw"}).verify(payload, headers);
new Webhook("whsec_" + Buffer.from(secret).toString("base64")).verify(payload, headers);
let forged = false;
try { new Webhook(secret + "x", {format: "raw"}).verify(payload, headers); forged = true; } catch (e) {}
if (forged) { console.log("a wrong secret verified"); process.exit(1); }
console.log("verified");
"""


def test_standard_webhooks_npm_package_verifies_the_signature(stack):
    mod = standardwebhooks_module()
    account, key = stack.new_account()
    rx = Receiver()
    try:
        create_webhook(stack, account, key, rx.url)
        eid, body = emit(stack, account, "visit.created", data={"firstName": "Zoë"})
        assert wait_for(lambda: rx.received(), 30)
        h = rx.received()[0]["headers"]
        p = subprocess.run(["node", "-e", VERIFY_JS, mod, SECRET, body.decode(), h["webhook-id"],
                            h["webhook-timestamp"], h["webhook-signature"]], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0 and "verified" in p.stdout, p.stdout + p.stderr
    finally:
        rx.close()


def test_visit_created_through_the_api_is_delivered(stack):
    account, key = stack.new_account()
    rx = Receiver()
    try:
        loc = create_location(stack, account, key)
        wid = create_webhook(stack, account, key, rx.url, eventTypes=["visit.created"])
        r = stack.request("POST", "/v2/visits", body={"locationId": loc, "firstName": "Ada"}, key=key)
        assert r.status == 201, r
        assert wait_for(lambda: rx.received(), 30), "nothing delivered"
        req = rx.received()[0]
        env = json.loads(req["body"])
        assert env["type"] == "visit.created" and env["data"]["id"] == r.json["id"], env
        check_signed(req, rx.url, env["id"], req["body"])
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
    finally:
        rx.close()


def test_matching_by_type_location_state_and_activity(stack):
    account, key = stack.new_account()
    names = ["all", "other_type", "other_location", "other_state", "inactive", "disabled", "exact", "location_event"]
    rxs = {n: Receiver() for n in names}
    try:
        l1 = create_location(stack, account, key, "one")
        l2 = create_location(stack, account, key, "two")
        settle(stack, account)
        hooks = {
            "all": create_webhook(stack, account, key, rxs["all"].url),
            "other_type": create_webhook(stack, account, key, rxs["other_type"].url, eventTypes=["visit.removed"]),
            "other_location": create_webhook(stack, account, key, rxs["other_location"].url, locationIds=[l2]),
            "other_state": create_webhook(stack, account, key, rxs["other_state"].url, eventTypes=["visit.created"],
                                         visitStates=["SERVED"]),
            "inactive": create_webhook(stack, account, key, rxs["inactive"].url, isActive=False),
            "disabled": create_webhook(stack, account, key, rxs["disabled"].url),
            "exact": create_webhook(stack, account, key, rxs["exact"].url, eventTypes=["visit.created"],
                                    locationIds=[l1], visitStates=["WAITING"]),
            "location_event": create_webhook(stack, account, key, rxs["location_event"].url,
                                             eventTypes=["location.updated"], locationIds=[l1],
                                             visitStates=["SERVED"]),
        }
        stack.sql("UPDATE webhooks SET disabled_at = 1, disabled_reason = 'test' WHERE id = %s" % q(hooks["disabled"]))
        eid, _ = emit(stack, account, "visit.created", l1, "WAITING")
        # location.* events match by their own id; visitStates only filter visit.* events
        lid_event, _ = emit(stack, account, "location.updated", l1)
        for n in ("all", "exact", "location_event"):
            assert wait_for(lambda: rxs[n].received(), 30), n
        time.sleep(1.0)
        got = {n: sorted(json.loads(r["body"])["id"] for r in rxs[n].received()) for n in names}
        assert got["all"] == sorted([eid, lid_event]), got
        assert got["exact"] == [eid], got
        assert got["location_event"] == [lid_event], got
        for n in ("other_type", "other_location", "other_state", "inactive", "disabled"):
            assert got[n] == [], (n, got)
            assert deliveries(stack, key, hooks[n]) == [], n
    finally:
        for rx in rxs.values():
            rx.close()


def test_webhook_test_event_goes_to_its_webhook_only(stack):
    account, key = stack.new_account()
    a, b = Receiver(), Receiver()
    try:
        wa = create_webhook(stack, account, key, a.url, eventTypes=["visit.created"])
        create_webhook(stack, account, key, b.url)
        r = stack.request("POST", "/v2/webhooks/%s/test" % wa, key=key)
        assert r.status in (200, 201, 202), r
        assert wait_for(lambda: a.received(), 30)
        time.sleep(0.5)
        assert len(a.received()) == 1 and json.loads(a.received()[0]["body"])["type"] == "webhook.test"
        assert b.received() == []
    finally:
        a.close()
        b.close()


def test_rotation_overlap_signs_with_both_secrets(stack):
    account, key = stack.new_account()
    rx = Receiver()
    try:
        wid = create_webhook(stack, account, key, rx.url)
        new_secret = "NewSecretNewSecret123456"
        r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % wid, body={"secret": new_secret}, key=key)
        assert r.status == 200, r
        eid, body = emit(stack, account, "location.created")
        assert wait_for(lambda: rx.received(), 30)
        check_signed(rx.received()[0], rx.url, eid, body, secrets=(new_secret, SECRET))
    finally:
        rx.close()


# --- retries, failures, disabling ---------------------------------------------------------------

def test_500_then_success_is_retried_and_both_attempts_recorded(stack):
    account, key = stack.new_account()
    answers = [(500, {}, b"boom")]
    rx = Receiver(lambda req: answers.pop(0) if answers else (200, {}, b"ok"))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        eid, body = emit(stack, account, "visit.updated", None, "SERVED")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        got = rx.received()
        assert len(got) == 2, got
        assert got[0]["headers"]["webhook-id"] == got[1]["headers"]["webhook-id"] == eid
        gap = got[1]["at"] - got[0]["at"]
        assert 0.6 <= gap <= 3.0, gap  # schedule 1 s +-20 %
        check_signed(got[1], rx.url, eid, body)
        assert d["attempts"] == 2 and d["lastStatusCode"] == 200, d
        full = delivery(stack, key, wid, d["id"])
        att = full["attemptHistory"]
        assert [a["statusCode"] for a in att] == [500, 200], att
        assert att[0]["error"] == "http_status" and att[0]["responseBody"] == "boom", att
        assert att[1]["error"] is None and att[1]["responseBody"] == "ok", att
        assert all(a["trigger"] == "scheduled" and a["durationMs"] >= 0 for a in att), att
    finally:
        rx.close()


def test_failing_for_good_after_the_last_retry(stack):
    account, key = stack.new_account()
    rx = Receiver(lambda req: (503, {}, b"down"))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.updated")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed", timeout=60)
        assert d["attempts"] == 4 and d["nextAttemptAt"] is None, d  # once + 3 retries (1,1,2)
        assert len(rx.received()) == 4
        time.sleep(2.5)
        assert len(rx.received()) == 4, "a failed delivery was tried again"
        assert deliveries(stack, key, wid, "?status=failed")[0]["id"] == d["id"]
    finally:
        rx.close()


def test_410_disables_the_webhook_and_stops_its_deliveries(stack):
    account, key = stack.new_account()
    rx = Receiver(lambda req: (410, {}, b"gone"))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: webhook_row(stack, wid)[0] == "1", 30), webhook_row(stack, wid)
        assert "410" in webhook_row(stack, wid)[1]
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed")
        assert d["attempts"] == 1 and d["lastStatusCode"] == 410, d
        emit(stack, account, "visit.created")
        time.sleep(1.5)
        assert len(rx.received()) == 1, "a disabled webhook was sent to"
        r = stack.request("GET", "/v2/webhooks/%s" % wid, key=key)
        assert r.status == 200 and r.json["status"] == "disabled", r
        assert "410" in r.json["disabledReason"] and r.json["disabledAt"], r
        m = stack.request("GET", "/metrics")
        assert "linehook_webhooks_disabled" in m.body
    finally:
        rx.close()


def test_webhook_failing_longer_than_the_limit_is_disabled(stack):
    account, key = stack.new_account()
    rx = Receiver(lambda req: (500, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: webhook_row(stack, wid)[2] != "0", 30)
        assert webhook_row(stack, wid)[0] == "0"  # failing, but not for long
        four_days = 4 * 86400 * 1000
        stack.sql("UPDATE webhooks SET failing_since = failing_since - %d WHERE id = %s" % (four_days, q(wid)))
        assert wait_for(lambda: webhook_row(stack, wid)[0] == "1", 30), webhook_row(stack, wid)
        assert "failed since" in webhook_row(stack, wid)[1], webhook_row(stack, wid)
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed")
        n = len(rx.received())
        time.sleep(2.5)
        assert len(rx.received()) == n and d["attempts"] == n
    finally:
        rx.close()


def test_a_success_resets_failing_since(stack):
    account, key = stack.new_account()
    answers = [(500, {}, b"")]
    rx = Receiver(lambda req: answers.pop(0) if answers else (204, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: webhook_row(stack, wid)[2] != "0", 30)
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        assert webhook_row(stack, wid)[2] == "0"
    finally:
        rx.close()


def test_retry_after_is_honoured_within_twice_the_delay(stack):
    account, key = stack.new_account()
    answers = [(429, {"Retry-After": "2"}, b""), (503, {"Retry-After": "3600"}, b"")]
    rx = Receiver(lambda req: answers.pop(0) if answers else (200, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded", timeout=60)
        at = [r["at"] for r in rx.received()]
        assert len(at) == 3, at
        # schedule 1 s (0.8..1.2 with jitter): Retry-After 2 -> 2 x delay at most, at least 1.6 s
        assert 1.5 <= at[1] - at[0] <= 2.6, at
        # Retry-After 3600 is clamped to 2 x the second delay (1 s +-20 %)
        assert 1.5 <= at[2] - at[1] <= 2.6, at
    finally:
        rx.close()


def test_redirects_are_failures_and_never_followed(stack):
    account, key = stack.new_account()
    target = Receiver()
    rx = Receiver(lambda req: (302, {"Location": target.url}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed", timeout=60)
        assert d["lastStatusCode"] == 302 and d["lastError"] == "http_status", d
        assert target.received() == []
    finally:
        rx.close()
        target.close()


def test_response_snippet_is_capped_at_4_kib(stack):
    account, key = stack.new_account()
    big = b"x" * (100 * 1024)
    answers = [(500, {}, big)]
    rx = Receiver(lambda req: answers.pop(0) if answers else (200, {}, big))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        att = delivery(stack, key, wid, d["id"])["attemptHistory"]
        assert [a["statusCode"] for a in att] == [500, 200], att
        assert all(a["responseBody"] == "x" * 4096 for a in att), [len(a["responseBody"]) for a in att]
    finally:
        rx.close()


def test_timeout_is_recorded(stack):
    account, key = stack.new_account()

    def hang(req):
        time.sleep(4.5)
        return (200, {}, b"")
    rx = Receiver(hang)
    rx.server.handle_error = lambda request, address: None  # the worker gave up before the answer
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        d = one_delivery_when(stack, key, wid, lambda d: d["attempts"] >= 1, timeout=30)
        assert d["lastError"] == "timeout" and d["lastStatusCode"] is None, d
        att = delivery(stack, key, wid, d["id"])["attemptHistory"]
        assert 2500 <= att[0]["durationMs"] <= 4500, att
    finally:
        rx.close()


def test_connection_refused_is_recorded(stack):
    account, key = stack.new_account()
    rx = Receiver()
    url = rx.url
    rx.close()
    wid = create_webhook(stack, account, key, url)
    emit(stack, account, "visit.created")
    d = one_delivery_when(stack, key, wid, lambda d: d["attempts"] >= 1)
    assert d["lastError"] == "connection_refused" and d["status"] == "pending", d


# --- endpoint activity API ----------------------------------------------------------------------

def test_activity_list_filter_detail_and_paging(stack):
    account, key = stack.new_account()
    rx = Receiver(lambda req: (500, {}, b"no") if b'"fail"' in req["body"] else (200, {}, b"yes"))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        ok = [emit(stack, account, "visit.created", data={"n": i})[0] for i in range(3)]
        bad = emit(stack, account, "visit.updated", data={"fail": 1})[0]
        wait_for(lambda: len(deliveries(stack, key, wid, "?status=succeeded")) == 3 and
                 deliveries(stack, key, wid, "?status=failed"), 20)
        allof = deliveries(stack, key, wid)
        assert [d["eventId"] for d in allof] == [bad] + ok[::-1], allof  # newest first
        assert [d["eventId"] for d in deliveries(stack, key, wid, "?status=failed")] == [bad]
        assert [d["eventId"] for d in deliveries(stack, key, wid, "?status=succeeded")] == ok[::-1]
        r = stack.request("GET", "/v2/webhooks/%s/deliveries?limit=2" % wid, key=key)
        assert r.status == 200 and len(r.json["results"]) == 2 and r.json["endAt"] == allof[1]["id"], r
        r = stack.request("GET", "/v2/webhooks/%s/deliveries?limit=2&startAfter=%s" % (wid, allof[1]["id"]), key=key)
        assert [d["id"] for d in r.json["results"]] == [allof[2]["id"], allof[3]["id"]], r
        for bad_query in ("?status=done", "?limit=0", "?limit=101", "?startAfter=nope", "?color=red"):
            r = stack.request("GET", "/v2/webhooks/%s/deliveries%s" % (wid, bad_query), key=key)
            assert r.status == 400 and r.json["errorCode"] == "validation_failed", (bad_query, r)
        detail = delivery(stack, key, wid, allof[0]["id"])
        for k in ("id", "eventId", "eventType", "status", "attempts", "lastStatusCode", "lastError",
                  "lastAttemptAt", "nextAttemptAt"):
            assert k in detail, k
        assert detail["status"] == "failed" and len(detail["attemptHistory"]) == 4, detail
        assert detail["attemptHistory"][0]["responseBody"] == "no"
        # another account sees nothing
        _, other = stack.new_account()
        assert stack.request("GET", "/v2/webhooks/%s/deliveries" % wid, key=other).status == 404
        r = stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, allof[0]["id"]), key=other)
        assert r.status == 404 and r.json["errorCode"] == "not_found", r
        r = stack.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (wid, allof[0]["id"]), key=other)
        assert r.status == 404, r
        assert stack.request("POST", "/v2/webhooks/%s/recover" % wid, key=other,
                             body={"since": "2020-01-01T00:00:00Z"}).status == 404
        assert stack.request("GET", "/v2/webhooks/%s/deliveries/%s" % (wid, rid()), key=key).status == 404
        assert stack.request("GET", "/v2/webhooks/%s/deliveries" % rid(), key=key).status == 404
    finally:
        rx.close()


def test_resend_makes_a_manual_attempt_now(stack):
    account, key = stack.new_account()
    state = {"ok": False}
    rx = Receiver(lambda req: (200, {}, b"") if state["ok"] else (500, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        eid, body = emit(stack, account, "visit.created")
        d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed", timeout=60)
        state["ok"] = True
        r = stack.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (wid, d["id"]), key=key)
        assert r.status == 202 and r.json["status"] == "pending" and r.json["id"] == d["id"], r
        d2 = one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        assert d2["attempts"] == 5, d2
        att = delivery(stack, key, wid, d["id"])["attemptHistory"]
        assert [a["trigger"] for a in att] == ["scheduled"] * 4 + ["manual"], att
        assert rx.received()[-1]["body"] == body and rx.received()[-1]["headers"]["webhook-id"] == eid
        # a succeeded delivery can be sent again too
        r = stack.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (wid, d["id"]), key=key)
        assert r.status == 202, r
        assert wait_for(lambda: len(rx.received()) == 6, 30)
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded" and d["attempts"] == 6)
    finally:
        rx.close()


def test_recover_resends_the_failed_deliveries_of_a_window(stack):
    account, key = stack.new_account()
    state = {"ok": False}
    rx = Receiver(lambda req: (200, {}, b"") if state["ok"] else (500, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        before = emit(stack, account, "visit.created")[0]
        assert wait_for(lambda: deliveries(stack, key, wid, "?status=failed"), 20)
        time.sleep(0.05)
        since = iso(int(time.time() * 1000))
        time.sleep(0.05)
        inside = [e[0] for e in emit_many(stack, account, [("visit.updated", None, None, None, {"n": i})
                                                           for i in range(3)])]
        assert wait_for(lambda: len(deliveries(stack, key, wid, "?status=failed")) == 4, 20)
        state["ok"] = True
        for bad in ({}, {"since": "yesterday"}, {"since": since, "until": "2000-01-01T00:00:00Z"},
                    {"since": since, "extra": 1}):
            r = stack.request("POST", "/v2/webhooks/%s/recover" % wid, body=bad, key=key)
            assert r.status == 400, (bad, r)
        r = stack.request("POST", "/v2/webhooks/%s/recover" % wid, body={"since": since}, key=key)
        assert r.status == 202 and r.json["recovering"] == 3, r
        assert wait_for(lambda: len(deliveries(stack, key, wid, "?status=succeeded")) == 3, 30)
        assert [d["eventId"] for d in deliveries(stack, key, wid, "?status=failed")] == [before]
        ok_ids = {json.loads(r["body"])["id"] for r in rx.received() if True}
        assert set(inside) <= ok_ids
    finally:
        rx.close()


def test_stats_on_the_webhook(stack):
    account, key = stack.new_account()
    answers = [(500, {}, b"")]
    rx = Receiver(lambda req: answers.pop(0) if answers else (200, {}, b""))
    try:
        wid = create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
        r = stack.request("GET", "/v2/webhooks/%s" % wid, key=key)
        assert r.status == 200, r
        st = r.json["stats"]
        assert st["succeeded24h"] == 1 and st["failed24h"] == 1, st
        assert st["lastSuccessAt"] and st["lastFailureAt"] and st["failingSince"] is None, st
    finally:
        rx.close()


def test_metrics_expose_the_series(stack):
    account, key = stack.new_account()
    rx = Receiver()
    try:
        create_webhook(stack, account, key, rx.url)
        emit(stack, account, "visit.created")
        assert wait_for(lambda: rx.received(), 30)
        time.sleep(0.3)
        r = stack.request("GET", "/metrics")
        assert r.status == 200 and r.headers["content-type"].startswith("text/plain"), r
        series = {}
        for line in r.body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                series[name] = float(value)
        assert series['linehook_deliveries{status="succeeded"}'] >= 1, series
        for name in ('linehook_deliveries{status="pending"}', 'linehook_deliveries{status="failed"}',
                     'linehook_attempt_duration_seconds_bucket{le="+Inf"}', "linehook_attempt_duration_seconds_sum",
                     "linehook_outbox_backlog", "linehook_outbox_oldest_age_seconds",
                     "linehook_oldest_pending_delivery_age_seconds", "linehook_webhooks_disabled",
                     'linehook_attempts{outcome="success"}'):
            assert name in series, name
        assert series['linehook_attempt_duration_seconds_bucket{le="+Inf"}'] == \
            series["linehook_attempt_duration_seconds_count"] >= 1
    finally:
        rx.close()


def test_retention_deletes_old_rows_in_batches(stack):
    account, key = stack.new_account()
    rx = Receiver()
    try:
        wid = create_webhook(stack, account, key, rx.url)
        old = emit(stack, account, "visit.created")[0]
        new = emit(stack, account, "visit.updated")[0]
        assert wait_for(lambda: len(deliveries(stack, key, wid, "?status=succeeded")) == 2, 30)
        month = 31 * 86400 * 1000
        stack.sql("UPDATE events SET created = created - %d WHERE id = %s" % (month, q(old)))
        stack.sql("UPDATE deliveries SET created = created - %d WHERE event_id = %s" % (month, q(old)))
        stack.sql("UPDATE delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id SET a.at = a.at - %d "
                  "WHERE d.event_id = %s" % (month, q(old)))

        def gone():
            return stack.sql("SELECT COUNT(*) FROM events WHERE id = %s" % q(old))[0][0] == "0"
        assert wait_for(gone, 15)
        assert [d["eventId"] for d in deliveries(stack, key, wid)] == [new]
        assert stack.sql("SELECT COUNT(*) FROM events WHERE id = %s" % q(new))[0][0] == "1"
        assert stack.sql("SELECT COUNT(*) FROM delivery_attempts WHERE webhook_id = %s" % q(wid))[0][0] == "1"
        # Idempotency records expire after 24 h: an old one goes, a fresh one stays.
        for k, age in (("old-key", 25 * 3600 * 1000), ("fresh-key", 0)):
            r = stack.request("POST", "/v2/locations", {"name": k}, key=key, headers={"Idempotency-Key": k})
            assert r.status == 201, r
            stack.sql("UPDATE idempotency_keys SET created = created - %d WHERE idem_key = %s" % (age, q(k)))
        assert wait_for(lambda: stack.sql("SELECT idem_key FROM idempotency_keys WHERE account_id = %s"
                                          % q(account)) == [["fresh-key"]], 15)
    finally:
        rx.close()
