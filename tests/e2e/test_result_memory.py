"""A result set is read into one allocation where each row takes the room of its own values
(common/db.c, fetch_rows): one large value among many small ones costs its own length once,
not once per row. Observed in an API process through the real stack: a page of 100 events,
one of them 4 MiB, moves the process's peak virtual size (VmPeak) by a few times 4 MiB (the
stored result, the block, the parsed and the printed JSON), where sizing every row by the
longest value took 100 x 4 MiB."""
import os
import random
import string
import time

import lib
from lib import wait_for
from test_api_stop import api_children, in_accept

BIG = 4 * 1024 * 1024
EVENTS = 100


def rid():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


def vm_peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmPeak:"):
                return int(line.split()[1])
    raise AssertionError("no VmPeak for %d" % pid)


def insert_events(stack, account, big_at):
    """EVENTS events of the account, oldest first, the one at big_at carrying BIG bytes of
    padding (built by the server: a statement that long would not pass as an argument)."""
    now = int(time.time() * 1000)
    values = []
    for i in range(EVENTS):
        eid = rid()
        head = '{"id":"%s","created":"2026-01-01T00:00:00.000Z","accountId":"%s","type":"location.created",' \
               '"data":{"pad":"' % (eid, account)
        pad = "REPEAT('x', %d)" % (BIG if i == big_at else 8)
        values.append("('%s', '%s', NULL, 'location.created', NULL, NULL, CONCAT('%s', %s, '\"}}'), %d)"
                      % (eid, account, head.replace("'", "''"), pad, now + i))
    stack.sql("INSERT INTO events (id, account_id, location_id, type, visit_state, webhook_id, payload, created) "
              "VALUES " + ", ".join(values))


def test_a_large_value_among_small_ones_costs_its_length_once(stack):
    account, key = stack.new_account()
    insert_events(stack, account, EVENTS // 2)
    front = lib.Front(stack, {}, procs=1)
    try:
        assert wait_for(lambda: len(api_children(front.proc.pid)) == 1, 30)
        (pid,) = api_children(front.proc.pid)
        r = front.request("GET", "/v2/events?limit=1", key=key)  # the statement prepared, the key known
        assert r.status == 200 and len(r.json["results"]) == 1, r
        assert wait_for(lambda: in_accept(pid), 30)
        before = vm_peak_kib(pid)
        r = front.request("GET", "/v2/events?limit=%d" % EVENTS, key=key, timeout=120)
        assert r.status == 200, r
        sizes = sorted(len(e["data"]["pad"]) for e in r.json["results"])
        assert len(sizes) == EVENTS and sizes[-1] == BIG and sizes[-2] == 8, sizes[-3:]
        assert wait_for(lambda: in_accept(pid), 30)
        grew = (vm_peak_kib(pid) - before) * 1024
        # sized by the longest value: EVENTS x BIG (400 MiB); by its own values: a few x BIG
        assert grew < 16 * BIG, "VmPeak grew by %.1f MiB for one %d MiB value" % (grew / 2.0 ** 20, BIG >> 20)
    finally:
        front.close()
