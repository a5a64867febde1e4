"""Round trips to the database per request, counted in the API process itself: the test shim
(tests/shim/api_shim.c) counts flights (a run of sends up to the next receive on the
database connection) and logs the count at each accept, so with one FastCGI process and
lighttpd's one connection per request, each request's count is one log line.

A statement's first use on a connection prepares it (a round trip, once): each count is
taken after a request of the same shape. A request with a key first pays for the key's lookup when its process has not seen the key
for 500 ms (README, Design notes); each measured request follows a request with the same key
that fills that cache, and the least of a few tries is taken, so the count is the handler's
own."""
import os
import re

import lib
from domain_helpers import create_location, create_visit
from lib import wait_for
from test_api_stop import api_children, in_accept

TRIES = 5


class Counted:
    """A second front with one API process whose round trips are counted."""

    def __init__(self, stack):
        self.front = lib.Front(stack, {}, procs=1, fcgi_env=lib.shim_env(stack, count_flights=1))
        self.log = os.path.join(self.front.dir, "api.log")
        assert wait_for(lambda: len(api_children(self.front.proc.pid)) == 1, 30)
        (self.pid,) = api_children(self.front.proc.pid)

    def counts(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return [int(n) for n in re.findall(r"test shim: (\d+) flights", f.read())]

    def one(self, request):
        """The flights of request() (one HTTP request). Waiting in accept, the process has logged
        the counts of the requests before."""
        assert wait_for(lambda: in_accept(self.pid), 30)
        n = len(self.counts())
        r = request()
        assert wait_for(lambda: len(self.counts()) > n, 30), "no count logged"
        return r, self.counts()[n]

    def least(self, warm, request):
        """The least flights of request() over TRIES, each right after warm() (same key)."""
        best = None
        for _ in range(TRIES):
            self.one(warm)
            r, n = self.one(request)
            best = n if best is None else min(best, n)
        return r, best

    def close(self):
        self.front.close()


def test_metrics_is_one_round_trip(stack):
    c = Counted(stack)
    try:
        metrics = lambda: c.front.request("GET", "/metrics")  # noqa: E731
        c.one(metrics)  # its statement is prepared on first use: a round trip once per connection
        r, n = c.one(metrics)
        assert r.status == 200 and "linehook_attempts_total" in r.body, r
        assert n == 1, n
    finally:
        c.close()


def test_location_delete_is_four_round_trips(stack):
    """The location's lock, the open visits' count, one flight (the webhooks' updates, the
    deletes and location.removed) and COMMIT."""
    account, key = stack.new_account()
    c = Counted(stack)
    try:
        best = None
        for _ in range(TRIES):
            loc = create_location(stack, key)["id"]
            c.one(lambda: c.front.request("GET", "/v2/locations/" + loc, key=key))
            r, n = c.one(lambda: c.front.request("DELETE", "/v2/locations/" + loc, key=key))
            assert r.status == 200 and r.json["id"] == loc, r
            best = n if best is None else min(best, n)
        assert best == 4, best
    finally:
        c.close()


def test_an_idempotency_key_costs_one_round_trip(stack):
    """A visit create is three round trips; with an Idempotency-Key, one more (the claim): its
    record goes in the write's flight. A replay answers the first answer."""
    account, key = stack.new_account()
    loc = create_location(stack, key)["id"]
    c = Counted(stack)
    warm = lambda: c.front.request("GET", "/v2/account", key=key)  # noqa: E731
    seq = iter(range(1000))
    try:
        r, plain = c.least(warm, lambda: c.front.request("POST", "/v2/visits", {"locationId": loc}, key=key))
        assert r.status == 201, r
        keyed_answers = []

        def keyed():
            r = c.front.request("POST", "/v2/visits", {"locationId": loc}, key=key,
                                headers={"Idempotency-Key": "rt-%d" % next(seq)})
            keyed_answers.append(r)
            return r
        r, with_key = c.least(warm, keyed)
        assert r.status == 201, r
        assert plain == 3 and with_key == 4, (plain, with_key)
        first = keyed_answers[-1]
        again = c.front.request("POST", "/v2/visits", {"locationId": loc}, key=key,
                                headers={"Idempotency-Key": "rt-%d" % (next(seq) - 1)})
        assert again.status == 201 and again.json == first.json, (again, first)
        assert stack.sql("SELECT COUNT(*) FROM visits WHERE id = '%s'" % first.json["id"])[0][0] == "1"
    finally:
        c.close()
