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
        assert wait_for(lambda: len(ok.received()) == 2, 30)
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


# --- search ----------------------------------------------------------------------------------

def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def get(stack, key, path):
    r = stack.request("GET", path, key=key)
    assert r.status == 200, (path, r)
    return r.json


def all_pages(stack, key, path, limit=5):
    out, after = [], None
    sep = "&" if "?" in path else "?"
    for _ in range(100):
        page = get(stack, key, "%s%slimit=%d%s" % (path, sep, limit, "&startAfter=" + after if after else ""))
        out += page["results"]
        if len(page["results"]) < limit:
            return out
        after = page["endAt"]
    raise AssertionError("paging did not end")


def search_fixture(stack):
    """Two account-wide webhooks (one answering 200, one 500) and 3 visits: 6 events
    (location-status.updated and visit.created each), 6 deliveries per webhook, with created
    times set 1 s apart in delivery order so windows are exact. It returns once the worker has
    recorded an attempt of each delivery (the 200 ones succeeded): a receiver seeing a request
    comes before the worker records its outcome, later on a loaded machine."""
    account, key = stack.new_account()
    loc = stack.request("POST", "/v2/locations", {"name": "search desk"}, key=key).json["id"]
    assert wait_for(lambda: stack.sql("SELECT COUNT(*) FROM events WHERE account_id = '%s' AND fanned_out = 0"
                                      % account)[0][0] == "0", 60)
    ok, bad = Receiver(), Receiver(lambda req: (500, {}, b"no"))
    a = create(stack, key, url=ok.url).json["id"]
    b = create(stack, key, url=bad.url).json["id"]
    for name in ("Ann", "Bo", "Cy"):
        # each visit's two events in a millisecond of their own: the event searches cut by
        # created, and two quick POSTs can share one
        time.sleep(0.01)
        assert stack.request("POST", "/v2/visits", {"locationId": loc, "firstName": name}, key=key).status == 201

    def recorded():
        return stack.sql("SELECT webhook_id, COUNT(*), SUM(status = 'succeeded'), SUM(attempts > 0) FROM deliveries "
                         "WHERE account_id = '%s' GROUP BY webhook_id ORDER BY webhook_id = '%s'" % (account, a))
    assert wait_for(lambda: recorded() == [[b, "6", "0", "6"], [a, "6", "6", "6"]], 60), recorded()
    ok.close()
    bad.close()
    rows = stack.sql("SELECT seq FROM deliveries WHERE account_id = '%s' ORDER BY seq" % account)
    base = int(time.time() * 1000) - 3600 * 1000
    for i, (seq,) in enumerate(rows):
        stack.sql("UPDATE deliveries SET created = %d WHERE seq = %s" % (base + 1000 * i, seq))
    return account, key, a, b, base


def expected(stack, account, where=""):
    return [r[0] for r in stack.sql("SELECT id FROM deliveries WHERE account_id = '%s' %s "
                                    "ORDER BY created DESC, seq DESC" % (account, where))]


def test_account_wide_delivery_search_with_every_filter(stack):
    account, key, a, b, base = search_fixture(stack)
    other, okey = stack.new_account()
    full = get(stack, key, "/v2/deliveries?limit=100")["results"]
    assert [d["id"] for d in full] == expected(stack, account) and len(full) == 12, full
    assert {d["webhookId"] for d in full} == {a, b}
    assert [d["id"] for d in all_pages(stack, key, "/v2/deliveries")] == [d["id"] for d in full]
    cases = [
        ("webhookId=" + a, "AND webhook_id = '%s'" % a),
        ("status=succeeded", "AND status = 'succeeded'"),
        ("eventType=visit.created", "AND event_type = 'visit.created'"),
        ("since=%s&until=%s" % (iso(base + 2000), iso(base + 7000)), "AND created >= %d AND created < %d"
         % (base + 2000, base + 7000)),
        ("webhookId=%s&eventType=location-status.updated&since=%s" % (b, iso(base + 4000)),
         "AND webhook_id = '%s' AND event_type = 'location-status.updated' AND created >= %d" % (b, base + 4000)),
    ]
    for query, where in cases:
        want = expected(stack, account, where)
        assert want, query
        assert [d["id"] for d in all_pages(stack, key, "/v2/deliveries?" + query, 2)] == want, query
        if query.startswith("webhookId="):
            continue
        own = all_pages(stack, key, "/v2/webhooks/%s/deliveries?%s" % (a, query), 2)
        assert [d["id"] for d in own] == expected(stack, account, where + " AND webhook_id = '%s'" % a), query
    assert get(stack, okey, "/v2/deliveries")["results"] == [] and other != account


BAD_SEARCH = [
    ("status=done", "status"), ("eventType=visit.nope", "eventType"), ("since=yesterday", "since"),
    ("until=2026-13-01T00:00:00.000Z", "until"), ("since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "until"),
    ("webhookId=nope", "webhookId"), ("startAfter=AAAAAAAAAAAAAAAAAAAA", "startAfter"), ("limit=0", "limit"),
    ("sort=asc", "sort"),
]


def test_bad_search_values_answer_400_naming_the_parameter(stack):
    account, key = stack.new_account()
    other, okey = stack.new_account()
    theirs = create(stack, okey).json["id"]
    mine = create(stack, key).json["id"]
    for query, field in BAD_SEARCH + [("webhookId=" + theirs, "webhookId")]:
        r = stack.request("GET", "/v2/deliveries?" + query, key=key)
        assert r.status == 400 and r.json["field"] == field, (query, r)
        if field != "webhookId":
            r = stack.request("GET", "/v2/webhooks/%s/deliveries?%s" % (mine, query), key=key)
            assert r.status == 400 and r.json["field"] == field, (query, r)
    assert stack.request("GET", "/v2/webhooks/%s/deliveries" % theirs, key=key).status == 404
    for query, field in [("order=up", "order"), ("since=x", "since"), ("type=nope", "type"),
                         ("since=2026-01-02T00:00:00Z&until=2026-01-02T00:00:00Z", "until")]:
        r = stack.request("GET", "/v2/events?" + query, key=key)
        assert r.status == 400 and r.json["field"] == field, (query, r)


def test_events_since_until_order_and_one_event_with_its_deliveries(stack):
    account, key, a, b, base = search_fixture(stack)
    ids = [r[0] for r in stack.sql("SELECT id FROM events WHERE account_id = '%s' ORDER BY created, seq" % account)]
    asc = all_pages(stack, key, "/v2/events", 3)
    assert [e["id"] for e in asc] == ids and len(ids) == 7  # location.created, then 3 x 2
    desc = all_pages(stack, key, "/v2/events?order=desc", 3)
    assert [e["id"] for e in desc] == ids[::-1]
    created = {r[0]: int(r[1]) for r in stack.sql("SELECT id, created FROM events WHERE account_id = '%s'" % account)}
    cut = created[ids[3]]
    later = all_pages(stack, key, "/v2/events?since=%s" % iso(cut), 2)
    assert [e["id"] for e in later] == [i for i in ids if created[i] >= cut]
    earlier = all_pages(stack, key, "/v2/events?order=desc&type=visit.created&until=%s" % iso(cut), 2)
    want = [r[0] for r in stack.sql("SELECT id FROM events WHERE account_id = '%s' AND type = 'visit.created' "
                                    "AND created < %d ORDER BY created DESC, seq DESC" % (account, cut))]
    assert [e["id"] for e in earlier] == want and want
    visit_event = [e for e in asc if e["type"] == "visit.created"][0]
    one = get(stack, key, "/v2/events/" + visit_event["id"])
    d = one.pop("deliveries")
    assert one == visit_event, one
    assert d["total"] == 2 and d["succeeded"] == 1 and d["pending"] + d["failed"] == 1, d
    assert sorted(x["webhookId"] for x in d["results"]) == sorted([a, b])
    assert all(x["eventId"] == visit_event["id"] for x in d["results"])
    other, okey = stack.new_account()
    assert stack.request("GET", "/v2/events/" + visit_event["id"], key=okey).status == 404
    assert stack.request("GET", "/v2/events/AAAAAAAAAAAAAAAAAAAA", key=key).status == 404
    assert stack.request("GET", "/v2/events/x'1", key=key).status == 404


# The statements of fcgi-app/resources/webhooks/delivery_search.c and resources/events.c
# with literal values, each shape with the index the code names for it: each must read a
# range of that index (type range or ref, never ALL), in its order (no filesort).
SEARCH_SQL = (
    "SELECT id FROM deliveries FORCE INDEX ({index}) WHERE account_id = '{acc}' AND ({wh} IS NULL OR webhook_id = {wh}) "
    "AND ({st} IS NULL OR status = {st}) AND ({ty} IS NULL OR event_type = {ty}) AND created >= {since} "
    "AND created < 9223372036854775807 AND created <= 9223372036854775807 "
    "AND (created < 9223372036854775807 OR seq < 9223372036854775807) ORDER BY created DESC, seq DESC LIMIT 20")
EVENTS_SQL = (
    "SELECT payload FROM events FORCE INDEX ({index}) WHERE account_id = '{acc}' AND ({ty} IS NULL OR type = {ty}) AND "
    "({loc} IS NULL OR location_id = {loc}) AND created >= {since} AND created < 9223372036854775807 "
    "AND created >= -1 AND (created > -1 OR seq > -1) ORDER BY created, seq LIMIT 20")


def test_explain_every_search_is_a_range_read(stack):
    account, key, a, b, base = search_fixture(stack)
    loc = stack.sql("SELECT location_id FROM events WHERE account_id = '%s' AND location_id IS NOT NULL LIMIT 1"
                    % account)[0][0]
    stack.sql("ANALYZE TABLE deliveries, events")
    q = lambda s: "'%s'" % s
    shapes = [
        (SEARCH_SQL, dict(wh="NULL", st="NULL", ty="NULL", since=0), "deliveries_account_created"),
        (SEARCH_SQL, dict(wh=q(a), st="NULL", ty="NULL", since=0), "deliveries_webhook_created"),
        (SEARCH_SQL, dict(wh="NULL", st=q("failed"), ty="NULL", since=0), "deliveries_account_status_created"),
        (SEARCH_SQL, dict(wh=q(a), st=q("succeeded"), ty="NULL", since=0), "deliveries_webhook_status_created"),
        (SEARCH_SQL, dict(wh="NULL", st="NULL", ty=q("visit.created"), since=base), "deliveries_account_type_created"),
        (EVENTS_SQL, dict(ty="NULL", loc="NULL", since=0), "events_account_created"),
        (EVENTS_SQL, dict(ty=q("visit.created"), loc="NULL", since=base), "events_account_type_created"),
        (EVENTS_SQL, dict(ty="NULL", loc=q(loc), since=0), "events_account_location_created"),
    ]
    for sql, values, index in shapes:
        rows = stack.sql("EXPLAIN " + sql.format(acc=account, index=index, **values))
        assert len(rows) == 1, rows
        row = rows[0]  # id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra
        assert row[3] in ("range", "ref") and row[5] == index, (values, row)
        assert "filesort" not in row[9], (values, row)


# --- request inboxes -------------------------------------------------------------------------

def new_inbox(stack, key):
    r = stack.request("POST", "/v2/inboxes", key=key, raw=b"", headers={"Content-Length": "0"})
    assert r.status == 201, r
    return r.json


def inbox_path(inbox):
    return inbox["url"][len(stack_base(inbox)):]


def stack_base(inbox):
    return inbox["url"].split("/in/")[0]


def requests_of(stack, key, inbox, query=""):
    r = stack.request("GET", "/v2/inboxes/%s/requests%s" % (inbox["id"], query), key=key)
    assert r.status == 200, r
    return r.json["results"]


def test_inbox_create_list_and_a_plain_request(stack):
    account, key = stack.new_account()
    before = int(time.time() * 1000)
    box = new_inbox(stack, key)
    assert set(box) == {"id", "url", "expiresAt", "created"}, box
    assert box["url"].startswith(stack.base + "/in/") and len(box["url"]) == len(stack.base) + 4 + 22, box
    token = box["url"].rsplit("/", 1)[1]
    assert token.isalnum()
    assert box["expiresAt"] >= iso(before + 24 * 3600 * 1000 - 1000)
    listed = stack.request("GET", "/v2/inboxes", key=key).json["results"]
    assert [(i["id"], i["url"], i["requests"]) for i in listed] == [(box["id"], box["url"], 0)]
    # no API key needed; any content type; the answer is JSON
    r = stack.request("POST", inbox_path(box), raw=b"a=1&b=%C3%A9", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Trace": "t-1", "Authorization": "Basic dXNlcjpwYXNzd29yZA=="})
    assert r.status == 200 and r.json["received"] is True, r
    r = stack.request("PUT", inbox_path(box) + "?q=1", raw=b"\xff\xfe", headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    got = requests_of(stack, key, box)
    assert [g["method"] for g in got] == ["PUT", "POST"], got
    put, post = got
    assert post["body"] == "a=1&b=%C3%A9" and post["bodyEncoding"] == "utf-8" and post["bodyBytes"] == 12
    assert post["headers"]["x-trace"] == "t-1" and post["headers"]["content-type"].startswith("application/x-www")
    assert post["headers"]["authorization"] == "****ZA==", post["headers"]  # credentials masked on arrival
    assert "dXNlcjpwYXNzd29yZA" not in json.dumps(stack.sql("SELECT headers FROM inbox_requests"))
    assert put["body"] == "//4=" and put["bodyEncoding"] == "base64"
    assert post["signatureCheck"] == {"result": "not ours", "webhookId": None, "standardWebhooks": "missing",
                                      "waitwhile": "missing"}, post
    # another account sees nothing
    other, okey = stack.new_account()
    assert stack.request("GET", "/v2/inboxes/%s/requests" % box["id"], key=okey).status == 404
    assert stack.request("GET", "/v2/inboxes", key=okey).json["results"] == []


def test_the_worker_delivers_to_an_inbox_and_both_signatures_check(stack):
    account, key = stack.new_account()
    box = new_inbox(stack, key)
    wid = create(stack, key, url=box["url"], headers={"X-Api-Key": API_KEY_VALUE}).json["id"]
    send_test(stack, key, wid)
    assert wait_for(lambda: requests_of(stack, key, box), 20)
    got = requests_of(stack, key, box)[0]
    assert got["method"] == "POST" and json.loads(got["body"])["type"] == "webhook.test", got
    assert got["signatureCheck"] == {"result": "valid", "webhookId": wid, "standardWebhooks": "valid",
                                     "waitwhile": "valid"}, got
    assert got["headers"]["x-api-key"] == "****cdef", got["headers"]
    assert API_KEY_VALUE not in json.dumps(stack.sql("SELECT headers FROM inbox_requests WHERE inbox_id = '%s'"
                                                     % box["id"]))
    d = stack.request("GET", "/v2/webhooks/%s/deliveries" % wid, key=key).json["results"]
    assert d[0]["status"] == "succeeded" and d[0]["lastStatusCode"] == 200, d
    # during a rotation overlap both secrets sign: still valid
    assert stack.request("POST", "/v2/webhooks/%s/rotate-secret" % wid, {"overlapSeconds": 600}, key=key).status == 200
    send_test(stack, key, wid)
    assert wait_for(lambda: len(requests_of(stack, key, box)) == 2, 20)
    assert requests_of(stack, key, box)[0]["signatureCheck"]["result"] == "valid"
    # a forged request to the same URL
    body = got["body"].encode()
    h = {k: v for k, v in got["headers"].items() if k.startswith("webhook-")}
    h["X-Waitwhile-Signature"] = "AAAA" + got["headers"]["x-waitwhile-signature"][4:]
    h["Content-Type"] = "application/json"
    assert stack.request("POST", inbox_path(box), raw=body + b" ", headers=h).status == 200
    forged = requests_of(stack, key, box)[0]["signatureCheck"]
    assert forged == {"result": "invalid", "webhookId": wid, "standardWebhooks": "invalid", "waitwhile": "invalid"}


def test_inbox_limits_answer_413_and_429_and_keep_the_last_50(stack):
    account, key = stack.new_account()
    box = new_inbox(stack, key)
    r = stack.request("POST", inbox_path(box), raw=b"x" * (64 * 1024 + 1), headers={"Content-Type": "text/plain"})
    assert r.status == 413 and r.json["errorCode"] == "payload_too_large", r
    assert stack.request("POST", inbox_path(box), raw=b"x" * (64 * 1024), headers={"Content-Type": "text/plain"}).status == 200
    for i in range(54):
        assert stack.request("POST", inbox_path(box), raw=b"%d" % i, headers={"Content-Type": "text/plain"}).status == 200
    kept = requests_of(stack, key, box, "?limit=100")
    assert len(kept) == 50 and [k["body"] for k in kept[:2]] == ["53", "52"] and kept[-1]["body"] == "4", \
        [k["body"] for k in kept]
    paged = requests_of(stack, key, box, "?limit=30")
    paged += requests_of(stack, key, box, "?limit=30&startAfter=" + paged[-1]["id"])
    assert [p["id"] for p in paged] == [k["id"] for k in kept]
    for i in range(5):  # 60 in the last minute
        stack.request("POST", inbox_path(box), raw=b"late", headers={"Content-Type": "text/plain"})
    r = stack.request("POST", inbox_path(box), raw=b"over", headers={"Content-Type": "text/plain"})
    assert r.status == 429 and r.json["errorCode"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 61, r
    for _ in range(9):
        new_inbox(stack, key)
    r = stack.request("POST", "/v2/inboxes", key=key, raw=b"", headers={"Content-Length": "0"})
    assert r.status == 429 and r.json["errorCode"] == "rate_limited", r
    r = stack.request("POST", "/v2/inboxes", {"name": "x"}, key=key)
    assert r.status == 400 and r.json["field"] == "name", r


def test_an_expired_or_unknown_inbox_answers_404(stack):
    account, key = stack.new_account()
    box = new_inbox(stack, key)
    stack.sql("UPDATE inboxes SET expires_at = %d WHERE id = '%s'" % (int(time.time() * 1000) - 1, box["id"]))
    r = stack.request("POST", inbox_path(box), raw=b"{}", headers={"Content-Type": "application/json"})
    assert r.status == 404 and r.json["errorCode"] == "not_found", r
    assert stack.request("GET", "/v2/inboxes/%s/requests" % box["id"], key=key).status == 404
    assert stack.request("GET", "/v2/inboxes", key=key).json["results"] == []
    for path in ("/in/short", "/in/" + "A" * 23, "/in/" + "A" * 21 + "-"):
        r = stack.request("POST", path, raw=b"{}", headers={"Content-Type": "application/json"})
        assert r.status == 404 and r.json["errorCode"] == "not_found", (path, r)
    new_inbox(stack, key)  # creating drops expired inboxes with their requests
    assert stack.sql("SELECT COUNT(*) FROM inboxes WHERE id = '%s'" % box["id"])[0][0] == "0"


def test_the_url_policy_lets_exactly_inbox_urls_through(stack):
    """A front with production URL rules (https only, public addresses only): an inbox URL
    of public_base_url is accepted; the same origin with another path, or another port, is not."""
    from lib import Front
    account, key = stack.new_account()
    box = new_inbox(stack, key)
    front = Front(stack, {"allow_http_targets": "false", "allow_private_targets": "false"})
    try:
        r = front.request("POST", "/v2/webhooks", {"url": box["url"]}, key=key)
        assert r.status == 201, r
        base = stack_base(box)
        for url in (base + "/v2/webhooks", base + "/in/" + "A" * 22 + "/x", base + "/in/" + "A" * 22 + "?x=1",
                    base.replace(str(stack.port), str(stack.port + 1)) + "/in/" + "A" * 22,
                    "https://127.0.0.1/in/" + "A" * 22):
            r = front.request("POST", "/v2/webhooks", {"url": url}, key=key)
            assert r.status == 400 and r.json["field"] == "url", (url, r)
    finally:
        front.close()


def test_delivered_operational_events_match_the_published_schemas(stack):
    """One real webhook.disabled and one webhook.recovered delivery validate (ajv, open and
    closed) against GET /v2/event-types and the OpenAPI webhooks section, as test_catalog
    does for the domain types."""
    import test_catalog
    account, key = stack.new_account()
    ops, ok, gone = Receiver(), Receiver(), Receiver(lambda req: (410, {}, b""))
    try:
        create(stack, key, url=ops.url, eventTypes=OPS)
        victim = create(stack, key, url=gone.url, eventTypes=["webhook.test"]).json["id"]
        back = create(stack, key, url=ok.url, eventTypes=["webhook.test"], description=None).json["id"]
        stack.sql("UPDATE webhooks SET failing_since = %d WHERE id = '%s'" % (int(time.time() * 1000) - 7200000, back))
        send_test(stack, key, victim)
        send_test(stack, key, back)
        assert wait_for(lambda: of_type(ops, "webhook.disabled") and of_type(ops, "webhook.recovered"), 20), \
            ops.received()
        bodies = of_type(ops, "webhook.disabled") + of_type(ops, "webhook.recovered")
    finally:
        for rx in (ops, ok, gone):
            rx.close()
    types = test_catalog.catalog(stack)
    doc = stack.request("GET", "/v2/openapi.json").json
    schemas, instances = {}, []
    for name in OPS:
        ref = doc["webhooks"][name]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schemas["catalog " + name] = types[name]["schema"]
        schemas["openapi " + name] = test_catalog.openapi_schema(doc, ref.split("/")[-1])
    for body in bodies:
        for source in ("catalog", "openapi"):
            instances.append({"schema": "%s %s" % (source, body["type"]), "value": body,
                              "where": "%s %s" % (source, body["type"])})
    results = test_catalog.validate(schemas, instances)
    assert len(results) == 4
    for res in results:
        assert res["errors"] == [] and res["closedErrors"] == [], res


def test_a_strict_worker_delivers_to_an_inbox_and_nothing_else_on_this_host(stack):
    """The stack's worker replaced by one with production URL rules (https only, public
    addresses only): a delivery to an inbox of public_base_url (http, loopback) goes through
    and checks valid; one to another loopback endpoint is refused."""
    from test_delivery_faults import ExtraWorker, start_stack_worker, stop_stack_worker
    account, key = stack.new_account()
    rx = Receiver()
    box = new_inbox(stack, key)
    to_inbox = create(stack, key, url=box["url"], eventTypes=["webhook.test"]).json["id"]
    elsewhere = create(stack, key, url=rx.url, eventTypes=["webhook.test"]).json["id"]
    stop_stack_worker(stack)
    extra = ExtraWorker(stack, WH_ALLOW_PRIVATE_TARGETS="0", WH_ALLOW_HTTP_TARGETS="0")
    try:
        send_test(stack, key, to_inbox)
        send_test(stack, key, elsewhere)
        assert wait_for(lambda: requests_of(stack, key, box), 20)
        assert requests_of(stack, key, box)[0]["signatureCheck"]["result"] == "valid"

        def refused():
            d = stack.request("GET", "/v2/webhooks/%s/deliveries" % elsewhere, key=key).json["results"]
            return d and d[0]["attempts"] >= 1 and d
        d = wait_for(refused, 20)
        assert d and d[0]["lastError"] in ("blocked_address", "invalid_url") and d[0]["lastStatusCode"] is None, d
        assert rx.received() == []
        assert extra.stop() == 0
    finally:
        if extra.p.poll() is None:
            extra.stop()
        start_stack_worker(stack)
        rx.close()
