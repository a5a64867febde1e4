"""Visits: create, get, list with filters, update, delete, the life cycle, their events."""
import threading

from domain_helpers import (FAULT, SqlSession, api_events, create_location, create_visit, new_events, stored_events,
                            waiting_for_lock)
from lib import wait_for

VISIT_KEYS = {"id", "locationId", "state", "firstName", "lastName", "phone", "email", "partySize", "notes", "date",
              "created", "updated"}


def get(stack, key, path):
    r = stack.request("GET", path, key=key)
    assert r.status == 200, r
    return r.json


def test_create_emits_visit_created_and_status_with_payloads_equal_to_get(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"], "firstName": "Ada", "lastName": "L",
                                             "phone": "+46 70-123 45 67", "email": "ada@example.com", "partySize": 3,
                                             "notes": "window seat\nplease", "date": "2026-05-19T14:06:11Z"},
                      key=key)
    assert r.status == 201, r
    v = r.json
    assert set(v) == VISIT_KEYS and v["state"] == "WAITING" and v["partySize"] == 3, v
    assert v["date"] == "2026-05-19T14:06:11.000Z" and v["notes"] == "window seat\nplease"
    assert get(stack, key, "/v2/visits/" + v["id"]) == v
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["visit.created", "location-status.updated"], evs
    assert evs[0]["payload"]["data"] == v and evs[0]["visit_state"] == "WAITING" and evs[0]["location_id"] == loc["id"]
    status = get(stack, key, "/v2/location-status/" + loc["id"])
    assert evs[1]["payload"]["data"] == status and status["numWaiting"] == 1, status
    assert evs[1]["location_id"] == loc["id"] and evs[1]["visit_state"] is None


def test_defaults_and_states_that_count_nothing_emit_no_status(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"], "state": "DRAFT"}, key=key)
    assert r.status == 201, r
    v = r.json
    assert v["partySize"] == 1 and v["firstName"] is None and v["date"] is None and v["state"] == "DRAFT"
    pend = create_visit(stack, key, loc["id"], state="PENDING")
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["visit.created", "visit.created"], evs
    assert [e["visit_state"] for e in evs] == ["DRAFT", "PENDING"]
    assert evs[1]["payload"]["data"] == pend


def test_serving_is_accepted_as_served(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"], state="SERVING")
    assert v["state"] == "SERVED"
    assert get(stack, key, "/v2/location-status/" + loc["id"])["numServing"] == 1
    r = stack.request("GET", "/v2/visits?state=SERVING", key=key)
    assert [x["id"] for x in r.json["results"]] == [v["id"]], r
    assert stored_events(stack, account)[-2]["visit_state"] == "SERVED"


def test_life_cycle_moves_emit_visit_updated_and_status_when_counts_change(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"], state="BOOKED")
    path = "/v2/visits/" + v["id"]
    steps = [("WAITING", True), ("SERVED", True), ("COMPLETE", True)]
    for state, status_changes in steps:
        before = stored_events(stack, account)
        r = stack.request("PATCH", path, {"state": state}, key=key)
        assert r.status == 200 and r.json["state"] == state, r
        evs = new_events(stack, account, before)
        want = ["visit.updated"] + (["location-status.updated"] if status_changes else [])
        assert [e["type"] for e in evs] == want, (state, evs)
        assert evs[0]["payload"]["data"] == get(stack, key, path) and evs[0]["visit_state"] == state
        if status_changes:
            assert evs[1]["payload"]["data"] == get(stack, key, "/v2/location-status/" + loc["id"])
    s = get(stack, key, "/v2/location-status/" + loc["id"])
    assert (s["numWaiting"], s["numServing"], s["numBooked"]) == (0, 0, 0), s


def test_a_field_change_emits_visit_updated_without_status(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    before = stored_events(stack, account)
    for method in ("PUT", "PATCH", "POST"):
        r = stack.request(method, "/v2/visits/" + v["id"], {"notes": "note " + method}, key=key)
        assert r.status == 200 and r.json["notes"] == "note " + method and r.json["firstName"] == "Ada", r
    r = stack.request("PATCH", "/v2/visits/" + v["id"], {"email": None, "date": "2026-06-01T10:00:00.000Z"}, key=key)
    assert r.status == 200 and r.json["email"] is None and r.json["date"] == "2026-06-01T10:00:00.000Z", r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["visit.updated"] * 4, evs
    assert evs[-1]["payload"]["data"] == get(stack, key, "/v2/visits/" + v["id"])


def test_no_change_means_no_event(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"], date="2026-06-01T10:00:00Z")
    before = stored_events(stack, account)
    for body in ({}, {"state": "WAITING"}, {"firstName": "Ada", "partySize": 2}, {"locationId": loc["id"]},
                 {"date": "2026-06-01T10:00:00.000Z"}, {"date": "2026-06-01T10:00:00Z"}):
        r = stack.request("PATCH", "/v2/visits/" + v["id"], body, key=key)
        assert r.status == 200 and r.json == v, (body, r)
    assert new_events(stack, account, before) == []


def test_impossible_moves_answer_409_and_change_nothing(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    waiting = create_visit(stack, key, loc["id"], state="WAITING")
    done = create_visit(stack, key, loc["id"], state="WAITING")
    assert stack.request("PATCH", "/v2/visits/" + done["id"], {"state": "COMPLETE"}, key=key).status == 200
    done = get(stack, key, "/v2/visits/" + done["id"])
    before = stored_events(stack, account)
    for vid, state in ((waiting["id"], "DRAFT"), (waiting["id"], "BOOKED"), (waiting["id"], "PENDING"),
                       (done["id"], "WAITING"), (done["id"], "SERVED"), (done["id"], "DRAFT")):
        r = stack.request("PATCH", "/v2/visits/" + vid, {"state": state, "notes": "changed"}, key=key)
        assert r.status == 409 and r.json["errorCode"] == "conflict" and "state" in r.json["message"], (state, r)
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"], "state": "COMPLETE"}, key=key)
    assert r.status == 409, r
    assert get(stack, key, "/v2/visits/" + waiting["id"]) == waiting
    assert get(stack, key, "/v2/visits/" + done["id"]) == done
    assert new_events(stack, account, before) == []


def test_closed_waitlist_refuses_joining_but_lets_bookings_check_in(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    booked = create_visit(stack, key, loc["id"], state="BOOKED")
    pending = create_visit(stack, key, loc["id"], state="PENDING")
    assert stack.request("PATCH", "/v2/location-status/" + loc["id"], {"isWaitlistOpen": False}, key=key).status == 200
    before = stored_events(stack, account)
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"]}, key=key)
    assert r.status == 409 and "closed" in r.json["message"], r
    r = stack.request("PATCH", "/v2/visits/" + pending["id"], {"state": "WAITING"}, key=key)
    assert r.status == 409, r
    assert new_events(stack, account, before) == []
    assert create_visit(stack, key, loc["id"], state="BOOKED")["state"] == "BOOKED"
    r = stack.request("PATCH", "/v2/visits/" + booked["id"], {"state": "WAITING"}, key=key)
    assert r.status == 200 and r.json["state"] == "WAITING", r


def test_bad_inputs_answer_400_and_write_nothing(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    base = {"locationId": loc["id"]}
    cases = [
        ({}, "locationId"),
        ({"locationId": "short"}, "locationId"),
        ({"locationId": "AAAAAAAAAAAAAAAAAAAA"}, "locationId"),
        (dict(base, state="LOST"), "state"),
        (dict(base, state=1), "state"),
        (dict(base, firstName="x" * 101), "firstName"),
        (dict(base, lastName="x" * 101), "lastName"),
        (dict(base, firstName="a\nb"), "firstName"),
        (dict(base, phone="1" * 33), "phone"),
        (dict(base, phone="call me"), "phone"),
        (dict(base, email="x" * 250 + "@a.se"), "email"),
        (dict(base, email="nope"), "email"),
        (dict(base, notes="n" * 2001), "notes"),
        (dict(base, notes="bell\u0007"), "notes"),
        (dict(base, partySize=0), "partySize"),
        (dict(base, partySize=101), "partySize"),
        (dict(base, partySize="2"), "partySize"),
        (dict(base, partySize=2.5), "partySize"),
        (dict(base, date="tomorrow"), "date"),
        (dict(base, id="x"), "id"),
        (dict(base, created="2026-01-01T00:00:00Z"), "created"),
    ]
    before = stored_events(stack, account)
    for body, field in cases:
        r = stack.request("POST", "/v2/visits", body, key=key)
        assert r.status == 400 and r.json["field"] == field, (body, r)
        upd = {k: val for k, val in body.items() if k != "locationId"} or {"locationId": body.get("locationId")}
        if field != "locationId":
            r = stack.request("PATCH", "/v2/visits/" + v["id"], upd, key=key)
            assert r.status == 400 and r.json["field"] == field, (upd, r)
    r = stack.request("POST", "/v2/visits", raw=b'{"locationId":"%s","notes":"a\\u0000b"}' % loc["id"].encode(),
                      key=key, headers={"Content-Type": "application/json"})
    assert r.status == 400, r
    other = create_location(stack, key)
    r = stack.request("PATCH", "/v2/visits/" + v["id"], {"locationId": other["id"]}, key=key)
    assert r.status == 400 and r.json["field"] == "locationId", r
    assert stack.sql("SELECT COUNT(*) FROM visits WHERE account_id = '%s'" % account) == [["1"]]
    assert get(stack, key, "/v2/visits/" + v["id"]) == v
    assert [e["type"] for e in new_events(stack, account, before)] == ["location.created"]


def test_limits_are_inclusive(stack):
    _, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"], firstName="f" * 100, lastName="l" * 100, phone="1" * 32,
                     email="e" * 240 + "@example.com", notes="n" * 2000, partySize=100)
    assert v["partySize"] == 100 and len(v["email"]) == 252 and len(v["notes"]) == 2000


def test_delete_emits_visit_removed_with_the_visit_as_it_was(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"], state="SERVED")
    before = stored_events(stack, account)
    r = stack.request("DELETE", "/v2/visits/" + v["id"], key=key)
    assert r.status == 200 and r.json == v, r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["visit.removed", "location-status.updated"], evs
    assert evs[0]["payload"]["data"] == v and evs[0]["visit_state"] == "SERVED"
    assert evs[1]["payload"]["data"]["numServing"] == 0
    assert stack.request("GET", "/v2/visits/" + v["id"], key=key).status == 404
    assert stack.request("DELETE", "/v2/visits/" + v["id"], key=key).status == 404
    d = create_visit(stack, key, loc["id"], state="DRAFT")
    before = stored_events(stack, account)
    assert stack.request("DELETE", "/v2/visits/" + d["id"], key=key).status == 200
    assert [e["type"] for e in new_events(stack, account, before)] == ["visit.removed"]


def test_only_delete_produces_visit_removed(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    stack.request("PATCH", "/v2/visits/" + v["id"], {"state": "COMPLETE"}, key=key)
    assert "visit.removed" not in [e["type"] for e in stored_events(stack, account)]


def test_list_filters_and_pages(stack):
    _, key = stack.new_account()
    a = create_location(stack, key)
    b = create_location(stack, key)
    va = [create_visit(stack, key, a["id"], state=s)["id"] for s in ("WAITING", "BOOKED", "WAITING")]
    vb = [create_visit(stack, key, b["id"])["id"]]
    r = get(stack, key, "/v2/visits")
    assert [x["id"] for x in r["results"]] == va + vb
    r = get(stack, key, "/v2/visits?locationId=" + a["id"])
    assert [x["id"] for x in r["results"]] == va
    r = get(stack, key, "/v2/visits?locationId=%s&state=WAITING" % a["id"])
    assert [x["id"] for x in r["results"]] == [va[0], va[2]]
    r = get(stack, key, "/v2/visits?state=BOOKED")
    assert [x["id"] for x in r["results"]] == [va[1]]
    r = get(stack, key, "/v2/visits?limit=2")
    assert [x["id"] for x in r["results"]] == va[:2] and r["endAt"] == va[1]
    r = get(stack, key, "/v2/visits?limit=2&startAfter=" + r["endAt"])
    assert [x["id"] for x in r["results"]] == [va[2]] + vb
    r = get(stack, key, "/v2/visits?locationId=%s&startAfter=%s" % (a["id"], va[0]))
    assert [x["id"] for x in r["results"]] == va[1:]
    for q in ("state=LOST", "locationId=bad", "limit=0", "startAfter=AAAAAAAAAAAAAAAAAAAA", "visitId=x"):
        assert stack.request("GET", "/v2/visits?" + q, key=key).status == 400, q


def test_other_accounts_visits_are_404(stack):
    account, key = stack.new_account()
    _, key2 = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    before = stored_events(stack, account)
    assert stack.request("GET", "/v2/visits/" + v["id"], key=key2).status == 404
    assert stack.request("PATCH", "/v2/visits/" + v["id"], {"state": "SERVED"}, key=key2).status == 404
    assert stack.request("DELETE", "/v2/visits/" + v["id"], key=key2).status == 404
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"]}, key=key2)
    assert r.status == 400 and r.json["field"] == "locationId", r
    assert get(stack, key2, "/v2/visits?locationId=" + loc["id"])["results"] == []
    assert stack.request("GET", "/v2/location-status/" + loc["id"], key=key2).status == 404
    assert get(stack, key, "/v2/visits/" + v["id"]) == v
    assert new_events(stack, account, before) == []


def test_failed_event_insert_rolls_visit_writes_back(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    before = stored_events(stack, account)
    status = get(stack, key, "/v2/location-status/" + loc["id"])
    r = stack.request("POST", "/v2/visits", {"locationId": loc["id"]}, key=key, headers=FAULT)
    assert r.status == 500, r
    r = stack.request("PATCH", "/v2/visits/" + v["id"], {"state": "SERVED"}, key=key, headers=FAULT)
    assert r.status == 500, r
    r = stack.request("DELETE", "/v2/visits/" + v["id"], key=key, headers=FAULT)
    assert r.status == 500, r
    assert get(stack, key, "/v2/visits/" + v["id"]) == v
    assert stack.sql("SELECT COUNT(*) FROM visits WHERE account_id = '%s'" % account) == [["1"]]
    assert get(stack, key, "/v2/location-status/" + loc["id"]) == status
    assert new_events(stack, account, before) == []


def test_events_api_lists_what_the_outbox_holds(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    create_visit(stack, key, loc["id"])
    listed = api_events(stack, key)
    assert listed == [e["payload"] for e in stored_events(stack, account)]
    assert [e["type"] for e in listed] == ["location.created", "visit.created", "location-status.updated"]


def test_delete_refuses_open_visits_and_cleans_up_finished_ones(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    visit = create_visit(stack, key, loc["id"], state="WAITING")
    before = stored_events(stack, account)
    r = stack.request("DELETE", "/v2/locations/" + loc["id"], key=key)
    assert r.status == 409 and r.json["errorCode"] == "conflict" and "open visit" in r.json["message"], r
    assert stack.request("GET", "/v2/locations/" + loc["id"], key=key).status == 200
    assert new_events(stack, account, before) == []
    r = stack.request("PATCH", "/v2/visits/" + visit["id"], {"state": "COMPLETE"}, key=key)
    assert r.status == 200, r
    r = stack.request("POST", "/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "Bye"}, key=key)
    assert r.status == 201, r
    stack.sql("INSERT INTO webhook_locations (webhook_id, location_id, account_id) VALUES "
              "('WWWWWWWWWWWWWWWWWWWW', '%s', '%s')" % (loc["id"], account))
    before = stored_events(stack, account)
    r = stack.request("DELETE", "/v2/locations/" + loc["id"], key=key)
    assert r.status == 200, r
    assert [e["type"] for e in new_events(stack, account, before)] == ["location.removed"]
    assert stack.request("GET", "/v2/visits/" + visit["id"], key=key).status == 404
    for table, col in (("visits", "location_id"), ("messages", "location_id"), ("webhook_locations", "location_id")):
        assert stack.sql("SELECT COUNT(*) FROM %s WHERE %s = '%s'" % (table, col, loc["id"])) == [["0"]], table




def serve_in_background(stack, key, visit_id, answer):
    """PATCHes the visit to SERVED in a thread; answer["r"] gets the response."""
    t = threading.Thread(target=lambda: answer.update(
        r=stack.request("PATCH", "/v2/visits/" + visit_id, {"state": "SERVED"}, key=key)))
    t.start()
    return t


def assert_served_once(stack, account, before, t, answer):
    """The background PATCH answered 200 SERVED and wrote exactly one set of events."""
    t.join(30)
    assert "r" in answer, "the write did not answer within 30 s"
    r = answer["r"]
    assert r.status == 200 and r.json["state"] == "SERVED", r
    evs = new_events(stack, account, before)
    assert [e["type"] for e in evs] == ["visit.updated", "location-status.updated"], evs
    assert evs[1]["payload"]["data"]["numServing"] == 1 and evs[1]["payload"]["data"]["numWaiting"] == 0


def log_since(path, offset):
    with open(path) as f:
        f.seek(offset)
        return f.read()


def test_a_deadlocked_visit_write_is_retried_whole(stack):
    """A database session takes the visit's row and then the location's row while the API
    holds the location and waits for the visit: InnoDB rolls back the lighter transaction
    (the API's) and the API runs the whole transaction again, answering 200 with exactly
    one set of events."""
    import os
    account, key = stack.new_account()
    loc = create_location(stack, key)
    other = create_location(stack, key)
    for _ in range(30):  # rows the session changes, so it is the heavier transaction
        create_visit(stack, key, other["id"])
    v = create_visit(stack, key, loc["id"])
    before = stored_events(stack, account)
    log = os.path.join(stack.var, "api.log")
    log_size = os.path.getsize(log)
    session = SqlSession(stack)
    answer = {}
    try:
        session.say("SET SESSION innodb_lock_wait_timeout = 20; BEGIN; UPDATE visits SET notes = 'held' "
                    "WHERE location_id = '%s'; SELECT id FROM visits WHERE id = '%s' FOR UPDATE"
                    % (other["id"], v["id"]), "ready")
        t = serve_in_background(stack, key, v["id"], answer)
        # the API now holds the location row and waits for the visit row
        assert len(wait_for(lambda: waiting_for_lock(stack), timeout=20)) == 1
        session.say("SELECT id FROM locations WHERE id = '%s' FOR UPDATE" % loc["id"], "got")
        session.say("ROLLBACK")
    finally:
        session.close()
    assert_served_once(stack, account, before, t, answer)
    assert "deadlock, transaction retried" in log_since(log, log_size)


def test_a_write_whose_connection_is_lost_is_retried_whole(stack):
    """The API's database connection is killed while its visit write waits for a row lock:
    the server rolls that transaction back, and the API reconnects and runs the whole write
    again, answering 200 with exactly one set of events."""
    import os
    account, key = stack.new_account()
    loc = create_location(stack, key)
    v = create_visit(stack, key, loc["id"])
    before = stored_events(stack, account)
    log = os.path.join(stack.var, "api.log")
    log_size = os.path.getsize(log)
    session = SqlSession(stack)
    answer = {}
    try:
        session.say("SET SESSION innodb_lock_wait_timeout = 20; BEGIN; "
                    "SELECT id FROM visits WHERE id = '%s' FOR UPDATE" % v["id"], "ready")
        t = serve_in_background(stack, key, v["id"], answer)
        first = wait_for(lambda: waiting_for_lock(stack), timeout=20)
        assert len(first) == 1, first
        stack.sql("KILL CONNECTION %s" % first[0])
        assert wait_for(lambda: "connection lost, transaction retried" in log_since(log, log_size), timeout=20)
        session.say("ROLLBACK")
    finally:
        session.close()
    assert_served_once(stack, account, before, t, answer)
