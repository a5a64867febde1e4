"""Per-endpoint ordering and rate (SPEC §5, §7): ordering "fifo" sends one delivery at a time
in event-commit order, a failing head holding the rest; rateLimit holds across all workers.
Both with two workers sharing the outbox."""
import json
import threading
import time

from lib import Receiver, wait_for
from test_delivery import create_webhook, deliveries, emit_many
from test_delivery_faults import ExtraWorker, quiet


class Ordered:
    """A receiver that records the order of the events it gets and how many it held at once;
    fail(n, tries) answers 500 to the first tries attempts of event n (None: all of them)."""

    def __init__(self, fail=None):
        self.order, self.inflight, self.most = [], 0, 0
        self.lock = threading.Lock()
        self.fail = fail or {}
        self.rx = quiet(Receiver(self.respond))

    def respond(self, req):
        n = json.loads(req["body"])["data"]["n"]
        with self.lock:
            self.inflight += 1
            self.most = max(self.most, self.inflight)
            self.order.append(n)
            tries = self.order.count(n)
        time.sleep(0.05)
        with self.lock:
            self.inflight -= 1
        bad = n in self.fail and (self.fail[n] is None or tries <= self.fail[n])
        return (500 if bad else 200, {}, b"")


def succeeded(stack, key, wid):
    return [d for d in deliveries(stack, key, wid, "?limit=100") if d["status"] != "pending"]


def test_fifo_sends_one_at_a_time_in_event_order_a_failing_head_holding_the_rest(stack):
    account, key = stack.new_account()
    o = Ordered(fail={2: 2})
    extra = ExtraWorker(stack)
    try:
        wid = create_webhook(stack, account, key, o.rx.url, ordering="fifo")
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(8)])
        assert wait_for(lambda: len(succeeded(stack, key, wid)) == 8, 40), deliveries(stack, key, wid)
        # event 2 failed twice and was retried on the schedule; nothing behind it went first
        assert o.order == [0, 1, 2, 2, 2, 3, 4, 5, 6, 7], o.order
        assert o.most == 1, o.most
        assert all(d["status"] == "succeeded" for d in succeeded(stack, key, wid))
    finally:
        extra.stop()
        o.rx.close()


def test_fifo_head_that_fails_for_good_lets_the_rest_go(stack):
    account, key = stack.new_account()
    o = Ordered(fail={1: None})
    try:
        wid = create_webhook(stack, account, key, o.rx.url, ordering="fifo")
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(4)])
        assert wait_for(lambda: len(succeeded(stack, key, wid)) == 4, 40), deliveries(stack, key, wid)
        # the test schedule is 1, 1, 2 s: four attempts, then failed for good
        assert o.order == [0, 1, 1, 1, 1, 2, 3], o.order
        assert sorted(d["status"] for d in succeeded(stack, key, wid)) == ["failed"] + ["succeeded"] * 3
    finally:
        o.rx.close()


def test_without_ordering_deliveries_go_out_at_once(stack):
    """The contrast: the same endpoint without ordering holds several deliveries at once."""
    account, key = stack.new_account()
    o = Ordered()
    try:
        wid = create_webhook(stack, account, key, o.rx.url)
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(8)])
        assert wait_for(lambda: len(succeeded(stack, key, wid)) == 8, 20)
        assert o.most > 1, o.most
    finally:
        o.rx.close()


def live_workers(stack):
    return int(stack.sql("SELECT COUNT(*) FROM workers WHERE last_seen >= "
                         "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 6000")[0][0])


def test_rate_limit_holds_across_two_workers(stack):
    account, key = stack.new_account()
    rx = quiet(Receiver())
    extra = ExtraWorker(stack)
    try:
        # the stack's worker and this one (rows of workers killed by other tests age out)
        assert wait_for(lambda: live_workers(stack) == 2, 20), stack.sql("SELECT * FROM workers")
        wid = create_webhook(stack, account, key, rx.url, rateLimit=10)
        n = 40
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(n)])
        assert wait_for(lambda: len(succeeded(stack, key, wid)) == n, 40), len(succeeded(stack, key, wid))
        times = sorted(r["at"] for r in rx.received())
        assert len(times) == n, len(times)
        rate = (n - 1) / (times[-1] - times[0])
        assert 8 <= rate <= 12, "%.1f deliveries/s for a limit of 10/s" % rate
    finally:
        extra.stop()
        rx.close()
