"""How many of a webhook's jobs a worker holds (README, Delivery, "Isolation"): one
per_endpoint_concurrency's worth for an endpoint that hangs, more for one whose attempts end
quickly, never more than the stated maximum. Driven through a worker with a small
max_in_flight, real receivers that hang or answer at once, and the worker's debug log (the
holds it logs) and the leases in the database (what it holds)."""
import re
import signal
import threading

from lib import Receiver, wait_for
from test_delivery import create_location, create_webhook, emit_many, q, settle
from test_delivery_faults import ExtraWorker, quiet, start_stack_worker, stop_stack_worker

CAP = 2             # per_endpoint_concurrency
MAX_IN_FLIGHT = 32  # the hold's maximum: min(4 x CAP, MAX_IN_FLIGHT / 4) = 8
HOLD_MAX = 8
HANGING = 8         # at the old fixed hold (2 x CAP) these alone fill MAX_IN_FLIGHT
FAST_EVENTS = 200

HOLD_LINE = re.compile(r"webhook (\w+) may hold (\d+) jobs")


def holds_logged(log_text):
    """{webhook id: [holds logged, in order]} from the worker's debug log."""
    out = {}
    for wid, n in HOLD_LINE.findall(log_text):
        out.setdefault(wid, []).append(int(n))
    return out


def leased(stack, wids):
    """Deliveries of each webhook under a lease now: what the worker holds of it."""
    rows = stack.sql("SELECT webhook_id, COUNT(*) FROM deliveries WHERE status = 'pending' AND lease_token IS NOT NULL "
                     "AND webhook_id IN (%s) GROUP BY webhook_id" % ", ".join(q(w) for w in wids))
    return {r[0]: int(r[1]) for r in rows}


def test_hanging_endpoints_hold_one_cap_while_a_fast_ones_hold_grows(stack):
    account, key = stack.new_account()
    release = threading.Event()

    def hang(req):
        release.wait(600)  # answered only when the test ends: the worker's timeout is longer
        return (204, {}, b"")

    hangs = [quiet(Receiver(hang)) for _ in range(HANGING)]
    fast = quiet(Receiver())
    hang_ids = []
    stop_stack_worker(stack)
    worker = ExtraWorker(stack, WH_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT), WH_PER_ENDPOINT_CONCURRENCY=str(CAP),
                         WH_REQUEST_TIMEOUT_MS="600000", WH_LEASE_SECONDS="700", WH_LOG_LEVEL="debug")
    try:
        # at most 5 webhooks a location: the hanging ones on two
        locations = [create_location(stack, account, key, "Hanging %d" % i) for i in range(2)]
        settle(stack, account)
        for i, rx in enumerate(hangs):
            hang_ids.append(create_webhook(stack, account, key, rx.url, eventTypes=["visit.updated"],
                                           locationIds=[locations[i % 2]]))
        fast_id = create_webhook(stack, account, key, fast.url, eventTypes=["visit.created"])
        # every hanging endpoint gets 10 deliveries, then the fast one gets its stream
        emit_many(stack, account, [("visit.updated", locations[i % 2], "waiting", None, {"n": i}) for i in range(20)])
        assert wait_for(lambda: all(len(rx.received()) >= CAP for rx in hangs), 60), \
            [len(rx.received()) for rx in hangs]
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(FAST_EVENTS)])

        most = {}

        def fast_done():
            for wid, n in leased(stack, hang_ids).items():
                most[wid] = max(most.get(wid, 0), n)
            return len(fast.received()) >= FAST_EVENTS

        # the fast endpoint's deliveries flow while every hanging attempt still hangs
        assert wait_for(fast_done, 120), "%d of %d fast deliveries arrived; hanging endpoints hold %s" % (
            len(fast.received()), FAST_EVENTS, most)
        assert not release.is_set()
        # no hanging endpoint held more than one cap's worth, and none was sent more
        assert most and max(most.values()) <= CAP, most
        assert all(len(rx.received()) == CAP for rx in hangs), [len(rx.received()) for rx in hangs]

        holds = holds_logged(worker.text())
        # the fast endpoint's hold grew past its cap, and never past the maximum
        assert fast_id in holds and max(holds[fast_id]) > CAP, holds
        assert max(holds[fast_id]) <= HOLD_MAX, holds[fast_id]
        # a hanging endpoint's hold never grew
        assert not any(wid in holds for wid in hang_ids), holds
        # and every one of them is recorded (an arrival comes before its record)
        assert wait_for(lambda: int(stack.sql("SELECT COUNT(*) FROM deliveries WHERE webhook_id = %s "
                                              "AND status = 'succeeded'" % q(fast_id))[0][0]) == FAST_EVENTS, 60)
    finally:
        worker.stop(signal.SIGKILL)  # not the grace period for the hanging transfers
        release.set()
        start_stack_worker(stack)
        for rx in hangs + [fast]:
            rx.close()
        for wid in hang_ids:  # their leased deliveries then end as webhook_deleted
            stack.request("DELETE", "/v2/webhooks/%s" % wid, key=key)


def test_a_fast_endpoint_that_starts_hanging_gives_its_grown_hold_back(stack):
    """The jobs a grown hold keeps waiting for a slot go back unsent once the endpoint stops
    turning over (no attempt ended for a second), not when their leases run short (here after
    the 600 s request timeout)."""
    account, key = stack.new_account()
    release = threading.Event()
    answered = 60

    def fast_then_hang(req):
        if len(rx.received()) > answered:
            release.wait(600)
        return (204, {}, b"")

    rx = quiet(Receiver(fast_then_hang))
    stop_stack_worker(stack)
    worker = ExtraWorker(stack, WH_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT), WH_PER_ENDPOINT_CONCURRENCY=str(CAP),
                         WH_REQUEST_TIMEOUT_MS="600000", WH_LEASE_SECONDS="700", WH_LOG_LEVEL="debug")
    wid = None
    try:
        wid = create_webhook(stack, account, key, rx.url, eventTypes=["visit.created"])
        emit_many(stack, account, [("visit.created", None, None, None, {"n": i}) for i in range(FAST_EVENTS)])
        # the quick answers, then one cap's worth of attempts that hang
        assert wait_for(lambda: len(rx.received()) >= answered + CAP, 60), len(rx.received())
        # its hold had grown while it answered quickly ...
        assert max(holds_logged(worker.text()).get(wid, [0])) > CAP, holds_logged(worker.text())
        # ... and what waited for a slot goes back: the worker holds only what hangs
        assert wait_for(lambda: leased(stack, [wid]).get(wid, 0) <= CAP, 60), leased(stack, [wid])
        assert wait_for(lambda: "stopped turning over go back unsent (%s first)" % wid in worker.text(), 10)
        assert len(rx.received()) == answered + CAP
    finally:
        worker.stop(signal.SIGKILL)
        release.set()
        start_stack_worker(stack)
        rx.close()
        if wid:
            stack.request("DELETE", "/v2/webhooks/%s" % wid, key=key)
