"""Messages: create for a visit, delivery state changes, list, validation, events."""
from domain_helpers import FAULT, create_location, create_visit, new_events, stored_events


def setup(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    visit = create_visit(stack, key, loc["id"])
    return account, key, loc, visit


def create_message(stack, key, visit_id, **fields):
    body = {"visitId": visit_id, "channel": "SMS", "content": "Your table is ready"}
    body.update(fields)
    r = stack.request("POST", "/v2/messages", body, key=key)
    assert r.status == 201, r
    return r.json


def test_create_emits_message_created_equal_to_get(stack):
    account, key, loc, visit = setup(stack)
    before = stored_events(stack, account)
    m = create_message(stack, key, visit["id"], channel="EMAIL", content="Hello\nthere")
    assert set(m) == {"id", "visitId", "locationId", "channel", "content", "state", "created", "updated"}, m
    assert m["state"] == "PENDING" and m["locationId"] == loc["id"] and m["visitId"] == visit["id"]
    g = stack.request("GET", "/v2/messages/" + m["id"], key=key)
    assert g.status == 200 and g.json == m
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["message.created"] and evs[0]["payload"]["data"] == m
    assert evs[0]["location_id"] == loc["id"] and evs[0]["visit_state"] is None


def test_state_moves_emit_message_updated_only_on_change(stack):
    account, key, _, visit = setup(stack)
    m = create_message(stack, key, visit["id"])
    before = stored_events(stack, account)
    for method, state in (("PATCH", "SENT"), ("PUT", "SENT"), ("POST", "DELIVERED"), ("PATCH", "DELIVERED")):
        r = stack.request(method, "/v2/messages/" + m["id"], {"state": state}, key=key)
        assert r.status == 200 and r.json["state"] == state, r
    r = stack.request("PATCH", "/v2/messages/" + m["id"], {}, key=key)
    assert r.status == 200 and r.json["state"] == "DELIVERED"
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["message.updated"] * 2, evs
    assert evs[-1]["payload"]["data"] == stack.request("GET", "/v2/messages/" + m["id"], key=key).json
    f1 = create_message(stack, key, visit["id"])
    f2 = create_message(stack, key, visit["id"])
    assert stack.request("PATCH", "/v2/messages/" + f1["id"], {"state": "FAILED"}, key=key).json["state"] == "FAILED"
    assert stack.request("PATCH", "/v2/messages/" + f2["id"], {"state": "SENT"}, key=key).status == 200
    assert stack.request("PATCH", "/v2/messages/" + f2["id"], {"state": "FAILED"}, key=key).status == 200


def test_impossible_moves_answer_409(stack):
    account, key, _, visit = setup(stack)
    pending = create_message(stack, key, visit["id"])
    delivered = create_message(stack, key, visit["id"])
    for s in ("SENT", "DELIVERED"):
        stack.request("PATCH", "/v2/messages/" + delivered["id"], {"state": s}, key=key)
    delivered = stack.request("GET", "/v2/messages/" + delivered["id"], key=key).json
    before = stored_events(stack, account)
    for mid, state in ((pending["id"], "DELIVERED"), (delivered["id"], "PENDING"), (delivered["id"], "FAILED"),
                       (delivered["id"], "SENT")):
        r = stack.request("PATCH", "/v2/messages/" + mid, {"state": state}, key=key)
        assert r.status == 409 and r.json["errorCode"] == "conflict", (state, r)
    assert stack.request("GET", "/v2/messages/" + pending["id"], key=key).json == pending
    assert stack.request("GET", "/v2/messages/" + delivered["id"], key=key).json == delivered
    assert new_events(stack, account, before) == []


def test_bad_inputs_answer_400_and_write_nothing(stack):
    account, key, _, visit = setup(stack)
    m = create_message(stack, key, visit["id"])
    base = {"visitId": visit["id"], "channel": "SMS", "content": "x"}
    cases = [
        ({"channel": "SMS", "content": "x"}, "visitId"),
        (dict(base, visitId="AAAAAAAAAAAAAAAAAAAA"), "visitId"),
        (dict(base, visitId=5), "visitId"),
        (dict(base, channel="FAX"), "channel"),
        ({"visitId": visit["id"], "content": "x"}, "channel"),
        (dict(base, content=""), "content"),
        (dict(base, content="c" * 1601), "content"),
        (dict(base, content="\u0001"), "content"),
        (dict(base, state="SENT"), "state"),
    ]
    before = stored_events(stack, account)
    for body, field in cases:
        r = stack.request("POST", "/v2/messages", body, key=key)
        assert r.status == 400 and r.json["field"] == field, (body, r)
    for body, field in (({"state": "READ"}, "state"), ({"state": 1}, "state"), ({"content": "new"}, "content")):
        r = stack.request("PATCH", "/v2/messages/" + m["id"], body, key=key)
        assert r.status == 400 and r.json["field"] == field, (body, r)
    assert create_message(stack, key, visit["id"], content="c" * 1600)["content"] == "c" * 1600
    assert stack.sql("SELECT COUNT(*) FROM messages WHERE account_id = '%s'" % account) == [["2"]]
    assert [e["type"] for e in new_events(stack, account, before)] == ["message.created"]


def test_list_filters_by_visit_and_pages(stack):
    _, key, loc, visit = setup(stack)
    other = create_visit(stack, key, loc["id"])
    a = [create_message(stack, key, visit["id"])["id"] for _ in range(3)]
    b = create_message(stack, key, other["id"])["id"]
    r = stack.request("GET", "/v2/messages", key=key).json
    assert [x["id"] for x in r["results"]] == a + [b]
    r = stack.request("GET", "/v2/messages?visitId=" + visit["id"], key=key).json
    assert [x["id"] for x in r["results"]] == a
    r = stack.request("GET", "/v2/messages?limit=2&visitId=" + visit["id"], key=key).json
    assert [x["id"] for x in r["results"]] == a[:2] and r["endAt"] == a[1]
    r = stack.request("GET", "/v2/messages?startAfter=%s&visitId=%s" % (a[1], visit["id"]), key=key).json
    assert [x["id"] for x in r["results"]] == a[2:]
    for q in ("visitId=bad", "state=SENT", "limit=500"):
        assert stack.request("GET", "/v2/messages?" + q, key=key).status == 400, q


def test_cross_account_and_visit_removal(stack):
    account, key, _, visit = setup(stack)
    _, key2 = stack.new_account()
    m = create_message(stack, key, visit["id"])
    assert stack.request("GET", "/v2/messages/" + m["id"], key=key2).status == 404
    assert stack.request("PATCH", "/v2/messages/" + m["id"], {"state": "SENT"}, key=key2).status == 404
    r = stack.request("POST", "/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "x"}, key=key2)
    assert r.status == 400 and r.json["field"] == "visitId", r
    assert stack.request("GET", "/v2/messages", key=key2).json["results"] == []
    before = stored_events(stack, account)
    assert stack.request("DELETE", "/v2/visits/" + visit["id"], key=key).status == 200
    assert stack.request("GET", "/v2/messages/" + m["id"], key=key).status == 404
    assert [e["type"] for e in new_events(stack, account, before)] == ["visit.removed", "location-status.updated"]


def test_failed_event_insert_rolls_message_writes_back(stack):
    account, key, _, visit = setup(stack)
    m = create_message(stack, key, visit["id"])
    before = stored_events(stack, account)
    r = stack.request("POST", "/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "x"}, key=key,
                      headers=FAULT)
    assert r.status == 500, r
    r = stack.request("PATCH", "/v2/messages/" + m["id"], {"state": "SENT"}, key=key, headers=FAULT)
    assert r.status == 500, r
    assert stack.request("GET", "/v2/messages/" + m["id"], key=key).json == m
    assert stack.sql("SELECT COUNT(*) FROM messages WHERE account_id = '%s'" % account) == [["1"]]
    assert new_events(stack, account, before) == []
