"""The outbox and GET /v2/events: envelopes, the nine domain event types, filters, paging."""
import json

from domain_helpers import FAULT, api_events, create_location, create_visit, stored_events

NINE = ["location.created", "location.updated", "location-status.updated", "visit.created", "visit.updated",
        "message.created", "message.updated", "visit.removed", "location.removed"]


def scenario(stack, key):
    """One write per domain event type; returns the location id."""
    loc = create_location(stack, key, name="All types")
    stack.request("PATCH", "/v2/locations/" + loc["id"], {"name": "Renamed"}, key=key)
    v = create_visit(stack, key, loc["id"], state="DRAFT")
    stack.request("PATCH", "/v2/visits/" + v["id"], {"state": "WAITING"}, key=key)
    m = stack.request("POST", "/v2/messages", {"visitId": v["id"], "channel": "SMS", "content": "hi"}, key=key).json
    stack.request("PATCH", "/v2/messages/" + m["id"], {"state": "SENT"}, key=key)
    stack.request("DELETE", "/v2/visits/" + v["id"], key=key)
    stack.request("DELETE", "/v2/locations/" + loc["id"], key=key)
    return loc["id"]


def test_all_nine_domain_event_types_come_from_real_writes(stack):
    account, key = stack.new_account()
    loc_id = scenario(stack, key)
    evs = stored_events(stack, account)
    assert [e["type"] for e in evs] == [
        "location.created", "location.updated", "visit.created", "visit.updated", "location-status.updated",
        "message.created", "message.updated", "visit.removed", "location-status.updated", "location.removed"], evs
    assert sorted(set(e["type"] for e in evs)) == sorted(NINE)
    for e in evs:
        p = e["payload"]
        assert list(p) == ["id", "created", "accountId", "type", "data"], p
        assert p["accountId"] == account and p["type"] == e["type"] and len(p["id"]) == 20
        assert e["location_id"] == loc_id, e
        if e["type"].startswith("visit."):
            assert e["visit_state"] == p["data"]["state"], e
        else:
            assert e["visit_state"] is None
    assert evs[7]["visit_state"] == "WAITING"  # visit.removed carries the state it had


def test_event_ids_and_columns_match_the_envelope(stack):
    account, key = stack.new_account()
    create_location(stack, key)
    rows = stack.sql("SELECT id, created, type, fanned_out, webhook_id IS NULL, HEX(payload) FROM events "
                     "WHERE account_id = '%s'" % account)
    assert len(rows) == 1
    eid, created, typ, _, no_hook, payload = rows[0]
    raw = bytes.fromhex(payload)
    env = json.loads(raw)
    assert env["id"] == eid and env["type"] == typ and no_hook == "1"
    assert b" " not in raw.split(b'"data"')[0], raw  # compact bytes, as signed
    import datetime
    t = datetime.datetime.strptime(env["created"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    assert int(t.timestamp() * 1000) == int(created)


def test_events_api_equals_stored_payloads_oldest_first(stack):
    account, key = stack.new_account()
    scenario(stack, key)
    listed = api_events(stack, key)
    assert listed == [e["payload"] for e in stored_events(stack, account)]


def test_events_filters_and_paging(stack):
    account, key = stack.new_account()
    a = create_location(stack, key)
    b = create_location(stack, key)
    va = create_visit(stack, key, a["id"])
    create_visit(stack, key, b["id"], state="DRAFT")
    stack.request("PATCH", "/v2/visits/" + va["id"], {"state": "SERVED"}, key=key)
    every = api_events(stack, key)
    assert [e["type"] for e in api_events(stack, key, type="visit.created")] == ["visit.created"] * 2
    only_a = api_events(stack, key, locationId=a["id"])
    assert [e["id"] for e in only_a] == [e["id"] for e in every if
                                         e["data"].get("locationId", e["data"].get("id")) == a["id"]]
    assert [e["type"] for e in only_a] == ["location.created", "visit.created", "location-status.updated",
                                           "visit.updated", "location-status.updated"]
    both = api_events(stack, key, type="location-status.updated", locationId=a["id"])
    assert [e["data"]["numServing"] for e in both] == [0, 1]
    r = stack.request("GET", "/v2/events?limit=3", key=key)
    assert [e["id"] for e in r.json["results"]] == [e["id"] for e in every[:3]] and r.json["endAt"] == every[2]["id"]
    r = stack.request("GET", "/v2/events?limit=3&startAfter=" + every[2]["id"], key=key)
    assert [e["id"] for e in r.json["results"]] == [e["id"] for e in every[3:6]]
    for q in ("type=visit.foo", "locationId=x", "limit=0", "limit=101", "startAfter=AAAAAAAAAAAAAAAAAAAA", "x=1"):
        r = stack.request("GET", "/v2/events?" + q, key=key)
        assert r.status == 400 and r.json["errorCode"] == "validation_failed", (q, r)


def test_events_are_scoped_to_the_account(stack):
    _, key = stack.new_account()
    _, key2 = stack.new_account()
    loc = create_location(stack, key)
    first = api_events(stack, key)[0]
    assert api_events(stack, key2) == []
    assert api_events(stack, key2, locationId=loc["id"]) == []
    assert stack.request("GET", "/v2/events?startAfter=" + first["id"], key=key2).status == 400
    assert stack.request("GET", "/v2/events").status == 401


def test_fault_header_is_per_request(stack):
    """The fault fails only the request that carries the header; the next one on the same
    processes commits normally, and nothing of the failed one is left."""
    account, key = stack.new_account()
    for _ in range(8):  # enough requests to pass through every FastCGI process
        r = stack.request("POST", "/v2/locations", {"name": "x"}, key=key, headers=FAULT)
        assert r.status == 500 and r.json["errorCode"] == "internal_error", r
        create_location(stack, key)
    assert len(stored_events(stack, account)) == 8
    assert stack.sql("SELECT COUNT(*) FROM locations WHERE account_id = '%s'" % account) == [["8"]]
    r = stack.request("POST", "/v2/locations", {"name": "x"}, key=key, headers={"X-Linehook-Fault": "other"})
    assert r.status == 201, r


def test_openapi_documents_every_domain_route(stack):
    """Every domain route of fcgi-app/core/routes.c is in GET /v2/openapi.json, and no other."""
    import os
    import re
    doc = stack.request("GET", "/v2/openapi.json").json
    src = open(os.path.join(os.path.dirname(__file__), "..", "..", "fcgi-app", "core", "routes.c")).read()
    prefixes = ("/v2/locations", "/v2/visits", "/v2/messages", "/v2/location-status", "/v2/events")
    routes = {(m.lower(), re.sub(r":(\w+)", lambda x: "{" + ("locationId" if "location-status" in p else x.group(1)) + "}", p))
              for m, p in re.findall(r'\{"(\w+)", "([^"]+)"', src) if p.startswith(prefixes)}
    documented = {(m, p) for p, ops in doc["paths"].items() if p.startswith(prefixes) for m in ops}
    assert len(routes) == 26 and routes == documented, routes ^ documented


def test_idempotency_key_on_creating_posts(stack):
    """The same Idempotency-Key and body answers the first answer and creates nothing (no
    second row, no second event); another body with that key is 409; a request that failed
    (fault point) leaves the key free."""
    account, key = stack.new_account()
    loc = create_location(stack, key)
    visit = create_visit(stack, key, loc["id"])
    cases = [("/v2/locations", {"name": "Idem"}, {"name": "Other"}, "locations"),
             ("/v2/visits", {"locationId": loc["id"], "firstName": "I"}, {"locationId": loc["id"]}, "visits"),
             ("/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "hi"},
              {"visitId": visit["id"], "channel": "EMAIL", "content": "hi"}, "messages")]
    for path, body, other, table in cases:
        h = {"Idempotency-Key": "idem-" + table}
        count = "SELECT COUNT(*) FROM %s WHERE account_id = '%s'" % (table, account)
        r = stack.request("POST", path, body, key=key, headers=dict(h, **FAULT))
        assert r.status == 500, r
        n_rows, n_events = stack.sql(count), len(stored_events(stack, account))
        first = stack.request("POST", path, body, key=key, headers=h)
        assert first.status == 201, first
        after_first = len(stored_events(stack, account))
        assert after_first > n_events
        again = stack.request("POST", path, body, key=key, headers=h)
        assert again.status == 201 and again.json == first.json, again
        assert len(stored_events(stack, account)) == after_first
        assert int(stack.sql(count)[0][0]) == int(n_rows[0][0]) + 1
        r = stack.request("POST", path, other, key=key, headers=h)
        assert r.status == 409 and r.json["errorCode"] == "idempotency_key_reused", r
        r = stack.request("POST", path, body, key=key)  # no key: a new object
        assert r.status == 201 and r.json["id"] != first.json["id"], r
