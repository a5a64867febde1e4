"""Locations: create, get, list, update, delete, their events, validation and scoping."""
from domain_helpers import FAULT, create_location, new_events, stored_events


def test_create_answers_the_location_and_emits_location_created(stack):
    account, key = stack.new_account()
    r = stack.request("POST", "/v2/locations", {"name": "Demo location", "timezone": "Europe/Stockholm"}, key=key)
    assert r.status == 201, r
    loc = r.json
    assert set(loc) == {"id", "name", "timezone", "isWaitlistOpen", "created", "updated"}, loc
    assert loc["name"] == "Demo location" and loc["timezone"] == "Europe/Stockholm" and loc["isWaitlistOpen"] is True
    assert len(loc["id"]) == 20 and loc["created"].endswith("Z")
    g = stack.request("GET", "/v2/locations/" + loc["id"], key=key)
    assert g.status == 200 and g.json == loc, g
    evs = stored_events(stack, account)
    assert [e["type"] for e in evs] == ["location.created"], evs
    ev = evs[0]
    assert ev["location_id"] == loc["id"] and ev["visit_state"] is None
    assert set(ev["payload"]) == {"id", "created", "accountId", "type", "data"}
    assert ev["payload"]["accountId"] == account and ev["payload"]["type"] == "location.created"
    assert ev["payload"]["data"] == loc


def test_timezone_is_optional_and_waitlist_can_start_closed(stack):
    _, key = stack.new_account()
    loc = create_location(stack, key, isWaitlistOpen=False)
    assert loc["timezone"] is None and loc["isWaitlistOpen"] is False


def test_bad_inputs_answer_400_and_write_nothing(stack):
    account, key = stack.new_account()
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 5}, "name"),
        ({"name": "a\u0001b"}, "name"),
        ({"name": "ok", "color": "red"}, "color"),
        ({"name": "ok", "timezone": "Not a zone!"}, "timezone"),
        ({"name": "ok", "timezone": "../etc/passwd"}, "timezone"),
        ({"name": "ok", "timezone": 3}, "timezone"),
        ({"name": "ok", "isWaitlistOpen": "yes"}, "isWaitlistOpen"),
    ]
    for body, field in cases:
        r = stack.request("POST", "/v2/locations", body, key=key)
        assert r.status == 400 and r.json["errorCode"] == "validation_failed" and r.json["field"] == field, (body, r)
    r = stack.request("POST", "/v2/locations", raw=b'{"name":"a\\u0000b"}', key=key,
                      headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    r = stack.request("POST", "/v2/locations", raw=b'{"name":"a","name":"b"}', key=key,
                      headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    r = stack.request("POST", "/v2/locations", raw=b'not json', key=key, headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    assert stack.sql("SELECT COUNT(*) FROM locations WHERE account_id = '%s'" % account) == [["0"]]
    assert stored_events(stack, account) == []


def test_name_limit_is_200_bytes(stack):
    _, key = stack.new_account()
    assert create_location(stack, key, name="n" * 200)["name"] == "n" * 200


def test_update_emits_location_updated_only_on_change(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key, name="Before")
    before = stored_events(stack, account)
    for method in ("PUT", "PATCH", "POST"):
        r = stack.request(method, "/v2/locations/" + loc["id"], {"name": "After " + method}, key=key)
        assert r.status == 200 and r.json["name"] == "After " + method, r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["location.updated"] * 3, evs
    assert evs[-1]["payload"]["data"] == stack.request("GET", "/v2/locations/" + loc["id"], key=key).json
    # the same values again, or nothing: no event, nothing changes
    before = stored_events(stack, account)
    cur = stack.request("GET", "/v2/locations/" + loc["id"], key=key).json
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"name": "After POST", "timezone": None}, key=key)
    assert r.status == 200 and r.json == cur, r
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {}, key=key)
    assert r.status == 200 and r.json == cur, r
    assert new_events(stack, account, before) == []
    # timezone set and cleared; other fields left alone
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"timezone": "America/New_York"}, key=key)
    assert r.json["timezone"] == "America/New_York" and r.json["name"] == "After POST", r
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"timezone": None}, key=key)
    assert r.json["timezone"] is None, r
    assert [e["type"] for e in new_events(stack, account, before)] == ["location.updated"] * 2


def test_toggling_the_waitlist_on_the_location_also_updates_its_status(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"isWaitlistOpen": False}, key=key)
    assert r.status == 200 and r.json["isWaitlistOpen"] is False, r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["location.updated", "location-status.updated"], evs
    assert evs[0]["payload"]["data"] == r.json
    assert evs[1]["payload"]["data"]["isWaitlistOpen"] is False and evs[1]["location_id"] == loc["id"]


def test_bad_update_answers_400_and_changes_nothing(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    for body in ({"name": ""}, {"name": None}, {"id": "x"}, {"created": "2020-01-01T00:00:00.000Z"},
                 {"isWaitlistOpen": 1}, {"timezone": "bad zone"}):
        r = stack.request("PATCH", "/v2/locations/" + loc["id"], body, key=key)
        assert r.status == 400, (body, r)
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key).json == loc
    assert new_events(stack, account, before) == []


def test_list_pages_in_creation_order(stack):
    _, key = stack.new_account()
    ids = [create_location(stack, key, name="L%d" % i)["id"] for i in range(5)]
    r = stack.request("GET", "/v2/locations?limit=2", key=key)
    assert r.status == 200 and [x["id"] for x in r.json["results"]] == ids[:2], r
    assert r.json["limit"] == 2 and r.json["startAfter"] is None and r.json["endAt"] == ids[1]
    r = stack.request("GET", "/v2/locations?limit=2&startAfter=" + ids[1], key=key)
    assert [x["id"] for x in r.json["results"]] == ids[2:4] and r.json["startAfter"] == ids[1], r
    r = stack.request("GET", "/v2/locations?startAfter=" + ids[4], key=key)
    assert r.json["results"] == [] and r.json["endAt"] is None, r
    r = stack.request("GET", "/v2/locations", key=key)
    assert [x["id"] for x in r.json["results"]] == ids and r.json["limit"] == 20
    for q in ("limit=0", "limit=101", "limit=x", "startAfter=short", "foo=1"):
        assert stack.request("GET", "/v2/locations?" + q, key=key).status == 400, q


def test_other_accounts_locations_are_404(stack):
    account, key = stack.new_account()
    _, key2 = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key2).status == 404
    assert stack.request("PATCH", "/v2/locations/" + loc["id"], {"name": "x"}, key=key2).status == 404
    assert stack.request("DELETE", "/v2/locations/" + loc["id"], key=key2).status == 404
    assert stack.request("GET", "/v2/locations", key=key2).json["results"] == []
    r = stack.request("GET", "/v2/locations?startAfter=" + loc["id"], key=key2)
    assert r.status == 400, r
    assert stack.request("GET", "/v2/locations/AAAAAAAAAAAAAAAAAAAA", key=key).status == 404
    assert stack.request("GET", "/v2/locations/nope", key=key).status == 404
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key).json == loc
    assert new_events(stack, account, before) == []
    assert stack.request("GET", "/v2/locations/" + loc["id"]).status == 401


def test_delete_emits_location_removed_with_the_location_as_it_was(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key, name="Gone soon")
    before = stored_events(stack, account)
    r = stack.request("DELETE", "/v2/locations/" + loc["id"], key=key)
    assert r.status == 200 and r.json == loc, r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["location.removed"] and evs[0]["payload"]["data"] == loc
    assert evs[0]["location_id"] == loc["id"]
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key).status == 404
    assert stack.request("DELETE", "/v2/locations/" + loc["id"], key=key).status == 404
    assert len(stored_events(stack, account)) == len(before) + 1


def test_failed_event_insert_rolls_the_location_write_back(stack):
    account, key = stack.new_account()
    r = stack.request("POST", "/v2/locations", {"name": "Never"}, key=key, headers=FAULT)
    assert r.status == 500, r
    assert stack.sql("SELECT COUNT(*) FROM locations WHERE account_id = '%s'" % account) == [["0"]]
    loc = create_location(stack, key, name="Kept")
    before = stored_events(stack, account)
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"name": "Changed"}, key=key, headers=FAULT)
    assert r.status == 500, r
    r = stack.request("DELETE", "/v2/locations/" + loc["id"], key=key, headers=FAULT)
    assert r.status == 500, r
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key).json == loc
    assert new_events(stack, account, before) == []
    # the header only works because the test stack sets fault_point = from_header
    r = stack.request("PATCH", "/v2/locations/" + loc["id"], {"name": "Changed"}, key=key)
    assert r.status == 200 and r.json["name"] == "Changed"


def test_delete_takes_the_location_out_of_webhooks(stack):
    """A webhook listing the location loses it; one that listed only this location is
    disabled by the system with a reason (an empty list would read as account-wide)."""
    account, key = stack.new_account()
    gone = create_location(stack, key, name="Gone")
    kept = create_location(stack, key, name="Kept")

    def hook(locs):
        r = stack.request("POST", "/v2/webhooks", {"url": "https://example.com/hook", "locationIds": locs}, key=key)
        assert r.status == 201, r
        return r.json["id"]

    only = hook([gone["id"]])
    both = hook([gone["id"], kept["id"]])
    wide = hook([])
    before = stored_events(stack, account)
    assert stack.request("DELETE", "/v2/locations/" + gone["id"], key=key).status == 200
    assert [e["type"] for e in new_events(stack, account, before)] == ["location.removed"]
    w = stack.request("GET", "/v2/webhooks/" + only, key=key).json
    assert w["status"] == "disabled" and "deleted" in w["disabledReason"] and w["locationIds"] == [], w
    w = stack.request("GET", "/v2/webhooks/" + both, key=key).json
    assert w["status"] == "active" and w["locationIds"] == [kept["id"]], w
    w = stack.request("GET", "/v2/webhooks/" + wide, key=key).json
    assert w["status"] == "active" and w["locationIds"] == [], w
    r = stack.request("GET", "/v2/webhooks?locationId=" + gone["id"], key=key)
    assert r.status in (200, 400) and (r.status == 400 or r.json["results"] == []), r


def test_a_commit_whose_outcome_is_unknown_answers_503_and_the_idempotency_key_tells(stack):
    """When the connection goes during COMMIT the API can't know whether the write landed:
    it answers 503 saying so. Here it did land (the fault point reports a COMMIT that went
    through as lost), and the same request with the same Idempotency-Key gets the first
    answer instead of a second location."""
    account, key = stack.new_account()
    headers = {"X-Linehook-Fault": "commit_lost", "Idempotency-Key": "unknown-commit-1"}
    r = stack.request("POST", "/v2/locations", {"name": "Maybe"}, key=key, headers=headers)
    assert r.status == 503 and r.json["errorCode"] == "database_unavailable", r
    assert "may or may not have been applied" in r.json["message"], r
    assert stack.sql("SELECT COUNT(*) FROM locations WHERE account_id = '%s'" % account) == [["1"]]
    r = stack.request("POST", "/v2/locations", {"name": "Maybe"}, key=key,
                      headers={"Idempotency-Key": "unknown-commit-1"})
    assert r.status == 201 and r.json["name"] == "Maybe", r
    assert stack.sql("SELECT id FROM locations WHERE account_id = '%s'" % account) == [[r.json["id"]]]
    assert [e["type"] for e in stored_events(stack, account)] == ["location.created"]
