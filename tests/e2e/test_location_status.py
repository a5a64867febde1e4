"""Location status: counts, opening and closing the waitlist, and counts under concurrent writes."""
import os
import random
import threading

from domain_helpers import FAULT, create_location, create_visit, new_events, stored_events


def status(stack, key, loc_id):
    r = stack.request("GET", "/v2/location-status/" + loc_id, key=key)
    assert r.status == 200, r
    return r.json


def test_status_of_a_new_location(stack):
    _, key = stack.new_account()
    loc = create_location(stack, key)
    s = status(stack, key, loc["id"])
    assert s == {"locationId": loc["id"], "isWaitlistOpen": True, "numWaiting": 0, "numServing": 0, "numBooked": 0,
                 "updated": loc["created"]}, s


def test_counts_follow_visits(stack):
    _, key = stack.new_account()
    loc = create_location(stack, key)
    for state in ("WAITING", "WAITING", "SERVED", "BOOKED", "BOOKED", "BOOKED", "PENDING", "DRAFT"):
        create_visit(stack, key, loc["id"], state=state)
    s = status(stack, key, loc["id"])
    assert (s["numWaiting"], s["numServing"], s["numBooked"]) == (2, 1, 3), s


def test_open_and_close_emit_status_and_location_updated(stack):
    account, key = stack.new_account()
    loc = create_location(stack, key)
    for method, open_ in (("PUT", False), ("PATCH", True), ("POST", False)):
        before = stored_events(stack, account)
        r = stack.request(method, "/v2/location-status/" + loc["id"], {"isWaitlistOpen": open_}, key=key)
        assert r.status == 200 and r.json["isWaitlistOpen"] is open_, r
        assert r.json == status(stack, key, loc["id"])
        evs = new_events(stack, account, before)
        assert [e["type"] for e in evs] == ["location.updated", "location-status.updated"], evs
        assert evs[1]["payload"]["data"] == r.json
        got = stack.request("GET", "/v2/locations/" + loc["id"], key=key).json
        assert evs[0]["payload"]["data"] == got and got["isWaitlistOpen"] is open_
    before = stored_events(stack, account)
    cur = status(stack, key, loc["id"])
    for body in ({"isWaitlistOpen": False}, {}):
        r = stack.request("PATCH", "/v2/location-status/" + loc["id"], body, key=key)
        assert r.status == 200 and r.json == cur, r
    assert new_events(stack, account, before) == []


def test_bad_status_updates_answer_400_and_404(stack):
    account, key = stack.new_account()
    _, key2 = stack.new_account()
    loc = create_location(stack, key)
    before = stored_events(stack, account)
    for body in ({"isWaitlistOpen": "no"}, {"isWaitlistOpen": None}, {"numWaiting": 3}, {"locationId": loc["id"]}):
        r = stack.request("PATCH", "/v2/location-status/" + loc["id"], body, key=key)
        assert r.status == 400 and r.json["errorCode"] == "validation_failed", (body, r)
    r = stack.request("PATCH", "/v2/location-status/" + loc["id"], {"isWaitlistOpen": False}, key=key2)
    assert r.status == 404, r
    assert stack.request("GET", "/v2/location-status/AAAAAAAAAAAAAAAAAAAA", key=key).status == 404
    r = stack.request("PATCH", "/v2/location-status/" + loc["id"], {"isWaitlistOpen": False}, key=key, headers=FAULT)
    assert r.status == 500, r
    assert status(stack, key, loc["id"])["isWaitlistOpen"] is True
    assert new_events(stack, account, before) == []


def test_counts_stay_right_under_20_concurrent_visit_writes(stack):
    """20 threads create, move and delete visits of one location at once. Afterwards the
    status equals a count of the visits, and replaying the emitted location-status.updated
    events in outbox order matches the visit events' state changes one by one."""
    account, key = stack.new_account()
    loc = create_location(stack, key)
    seed = [create_visit(stack, key, loc["id"], state="BOOKED")["id"] for _ in range(20)]
    errors = []

    def worker(i):
        rnd = random.Random(i)
        try:
            own = create_visit(stack, key, loc["id"], state=rnd.choice(["WAITING", "BOOKED", "SERVED"]))["id"]
            for step in ("WAITING", "SERVED", "COMPLETE"):
                r = stack.request("PATCH", "/v2/visits/" + own, {"state": step}, key=key)
                if r.status != 200:
                    errors.append(r)
            r = stack.request("PATCH", "/v2/visits/" + seed[i], {"state": "WAITING"}, key=key)
            if r.status != 200:
                errors.append(r)
            if i % 2:
                r = stack.request("DELETE", "/v2/visits/" + seed[i], key=key)
                if r.status != 200:
                    errors.append(r)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors[:3]
    s = status(stack, key, loc["id"])
    rows = dict(stack.sql("SELECT state, COUNT(*) FROM visits WHERE location_id = '%s' GROUP BY state" % loc["id"]))
    assert s["numWaiting"] == int(rows.get("WAITING", 0)) == 10, (s, rows)
    assert s["numServing"] == int(rows.get("SERVED", 0)) == 0
    assert s["numBooked"] == int(rows.get("BOOKED", 0)) == 0
    assert int(rows.get("COMPLETE", 0)) == 20
    stored = stack.sql("SELECT num_waiting, num_serving, num_booked FROM locations WHERE id = '%s'" % loc["id"])
    fresh = [str(int(rows.get(st, 0))) for st in ("WAITING", "SERVED", "BOOKED")]
    assert stored == [fresh], (stored, fresh)
    # replay: every visit event's state change moves the counts; each status event must
    # carry exactly the counts reached at that point of the outbox
    counts = {"WAITING": 0, "SERVED": 0, "BOOKED": 0}
    key_of = {"WAITING": "numWaiting", "SERVED": "numServing", "BOOKED": "numBooked"}
    last_state = {}
    pending_change = False
    nstatus = 0
    for e in stored_events(stack, account):
        data = e["payload"]["data"]
        if e["type"].startswith("visit."):
            old = last_state.get(data["id"])
            new = None if e["type"] == "visit.removed" else data["state"]
            last_state[data["id"]] = new
            if old in counts:
                counts[old] -= 1
            if new in counts:
                counts[new] += 1
            pending_change = (old in counts or new in counts) and old != new
        elif e["type"] == "location-status.updated":
            assert pending_change, "status event without a count change"
            pending_change = False
            nstatus += 1
            for st, k in key_of.items():
                assert data[k] == counts[st], (data, counts)
        else:
            pending_change = False
    assert nstatus >= 20 + 20 * 3 + 20
    assert counts == {"WAITING": 10, "SERVED": 0, "BOOKED": 0}


def test_migration_backfills_the_stored_counts_from_visits(stack):
    """sql/006's backfill recomputes the counts kept on the location row from its visits:
    run on a location whose stored counts were zeroed, it restores the API's counts, and
    the visits' other states are not counted."""
    _, key = stack.new_account()
    loc = create_location(stack, key)
    for state in ("WAITING", "WAITING", "SERVED", "BOOKED", "PENDING", "DRAFT"):
        create_visit(stack, key, loc["id"], state=state)
    before = status(stack, key, loc["id"])
    assert (before["numWaiting"], before["numServing"], before["numBooked"]) == (2, 1, 1), before
    stack.sql("UPDATE locations SET num_waiting = 0, num_serving = 0, num_booked = 0 WHERE id = '%s'" % loc["id"])
    assert status(stack, key, loc["id"])["numWaiting"] == 0
    path = os.path.join(os.path.dirname(__file__), "..", "..", "sql", "006_location_counts.sql")
    with open(path) as f:
        script = f.read()
    backfill = script[script.index("UPDATE locations"):]
    stack.sql(backfill)
    assert status(stack, key, loc["id"]) == before
