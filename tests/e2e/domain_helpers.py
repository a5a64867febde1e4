"""Helpers shared by the waitlist domain's end-to-end tests (not a test file itself)."""
import json
import os
import subprocess


def stored_events(stack, account):
    """The account's events straight from the outbox table, oldest first:
    dicts with type, location_id, visit_state and the parsed payload."""
    rows = stack.sql("SELECT type, IFNULL(location_id, ''), IFNULL(visit_state, ''), HEX(payload) "
                     "FROM events WHERE account_id = '%s' ORDER BY seq" % account)
    out = []
    for t, loc, state, payload in rows:
        out.append({"type": t, "location_id": loc or None, "visit_state": state or None,
                    "payload": json.loads(bytes.fromhex(payload).decode())})
    return out


def api_events(stack, key, **query):
    """Every event GET /v2/events lists for the key's account (following the pages)."""
    out = []
    after = None
    while True:
        q = dict(query, limit=100)
        if after:
            q["startAfter"] = after
        r = stack.request("GET", "/v2/events?" + "&".join("%s=%s" % kv for kv in q.items()), key=key)
        assert r.status == 200, r
        out += r.json["results"]
        if len(r.json["results"]) < 100:
            return out
        after = r.json["endAt"]


def new_events(stack, account, before):
    """Events stored since a previous stored_events() call."""
    return stored_events(stack, account)[len(before):]


def create_location(stack, key, **fields):
    body = {"name": "Location"}
    body.update(fields)
    r = stack.request("POST", "/v2/locations", body, key=key)
    assert r.status == 201, r
    return r.json


def create_visit(stack, key, location_id, **fields):
    body = {"locationId": location_id, "firstName": "Ada", "lastName": "Lovelace", "partySize": 2}
    body.update(fields)
    r = stack.request("POST", "/v2/visits", body, key=key)
    assert r.status == 201, r
    return r.json


FAULT = {"X-Linehook-Fault": "event_insert"}


class SqlSession:
    """One open database session as root, to hold locks across statements while the API
    runs: say() sends statements and waits until they have run."""

    def __init__(self, stack):
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "--socket=" + os.path.join(stack.var, "mysql.sock"),
                                   "-uroot", "-N", "-B", "-n", "linehook"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def say(self, sql, marker="done"):
        self.p.stdin.write(sql + "; SELECT '%s';\n" % marker)
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            assert line, self.p.stderr.read()
            if line.strip() == marker:
                return

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def waiting_for_lock(stack):
    """Ids of the database connections (other than this query's) waiting for a row lock."""
    rows = stack.sql("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX "
                     "WHERE trx_state = 'LOCK WAIT' AND trx_mysql_thread_id <> CONNECTION_ID()")
    return [r[0] for r in rows]
