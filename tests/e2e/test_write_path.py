"""What the event-producing writes' fewer round trips promise (issue 16): a write's statements
and its events are sent to the database in one flight inside the transaction, so a statement
that fails anywhere in that flight leaves nothing of the write behind; and the session's
autocommit, left off between writes, never keeps a transaction open under a read."""
from domain_helpers import create_location, create_visit, stored_events
from lib import Front


def status(stack, key, location):
    r = stack.request("GET", "/v2/location-status/" + location, key=key)
    assert r.status == 200, r
    return r.json


def visits_named(stack, account, name):
    return int(stack.sql("SELECT COUNT(*) FROM visits WHERE account_id = '%s' AND first_name = '%s'"
                         % (account, name))[0][0])


def failing_trigger(stack, name, table, condition):
    stack.sql("DELIMITER //\nCREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW IF %s THEN "
              "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF //" % (name, table, condition))


def check_nothing_written(stack, account, key, location, before_status, before_events, name):
    assert visits_named(stack, account, name) == 0
    assert status(stack, key, location) == before_status
    assert stored_events(stack, account) == before_events


def test_a_statement_failing_first_in_the_flight_leaves_nothing(stack):
    """The visit INSERT fails on the server; the counts UPDATE and the events INSERT sent
    behind it in the same flight still run, and the rollback takes them back."""
    account, key = stack.new_account()
    location = create_location(stack, key)["id"]
    create_visit(stack, key, location)
    before_status, before_events = status(stack, key, location), stored_events(stack, account)
    failing_trigger(stack, "write_path_visit", "visits", "NEW.first_name = 'FlightFail'")
    try:
        r = stack.request("POST", "/v2/visits", {"locationId": location, "firstName": "FlightFail"}, key=key)
        assert r.status == 500, r
        assert r.json["errorCode"] == "internal_error", r
    finally:
        stack.sql("DROP TRIGGER write_path_visit")
    check_nothing_written(stack, account, key, location, before_status, before_events, "FlightFail")
    assert status(stack, key, location)["numWaiting"] == 1
    create_visit(stack, key, location, firstName="After")  # the process's next write works
    assert status(stack, key, location)["numWaiting"] == 2


def test_a_statement_failing_last_in_the_flight_leaves_nothing(stack):
    """The events INSERT (last in the flight) fails: the visit and the counts written before
    it in the same flight are rolled back."""
    account, key = stack.new_account()
    location = create_location(stack, key)["id"]
    before_status, before_events = status(stack, key, location), stored_events(stack, account)
    failing_trigger(stack, "write_path_events", "events", "NEW.account_id = '%s'" % account)
    try:
        for name in ("LastFail", "LastFail"):  # twice: a failed flight leaves the session usable
            r = stack.request("POST", "/v2/visits", {"locationId": location, "firstName": name}, key=key)
            assert r.status == 500, r
        r = stack.request("PATCH", "/v2/locations/" + location, {"isWaitlistOpen": False}, key=key)
        assert r.status == 500, r
    finally:
        stack.sql("DROP TRIGGER write_path_events")
    check_nothing_written(stack, account, key, location, before_status, before_events, "LastFail")
    r = stack.request("GET", "/v2/locations/" + location, key=key)
    assert r.status == 200 and r.json["isWaitlistOpen"] is True, r


def test_no_transaction_stays_open_after_writes_and_reads(stack):
    """One FastCGI process: writes leave its session's autocommit off; a read after them must
    not open a transaction that keeps its metadata locks (a migration's ALTER would wait)."""
    account, key = stack.new_account()
    front = Front(stack, {}, procs=1)
    try:
        r = front.request("POST", "/v2/locations", {"name": "One process"}, key=key)
        assert r.status == 201, r
        location = r.json["id"]
        for name in ("First", "Second"):
            r = front.request("POST", "/v2/visits", {"locationId": location, "firstName": name}, key=key)
            assert r.status == 201, r
        # right after a write: no transaction open, though autocommit is still off
        stack.sql("SET SESSION lock_wait_timeout = 5; LOCK TABLES visits WRITE, locations WRITE; UNLOCK TABLES")
        visit = r.json["id"]
        for path in ("/v2/visits/" + visit, "/v2/location-status/" + location, "/v2/visits?locationId=" + location):
            r = front.request("GET", path, key=key)
            assert r.status == 200, r
        # after reads that followed a write: none of them left a transaction open
        stack.sql("SET SESSION lock_wait_timeout = 5; LOCK TABLES visits WRITE, locations WRITE; UNLOCK TABLES")
        r = front.request("PATCH", "/v2/visits/" + visit, {"state": "SERVED"}, key=key)
        assert r.status == 200 and r.json["state"] == "SERVED", r
        r = front.request("GET", "/v2/location-status/" + location, key=key)
        assert r.status == 200 and (r.json["numWaiting"], r.json["numServing"]) == (1, 1), r
    finally:
        front.close()
