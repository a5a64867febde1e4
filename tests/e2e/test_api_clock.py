"""One clock: every time the API writes for the worker to compare (a resend's and a recover's
due time, the recover window's end, the previous secret's end after a rotation) is the
database's, like the worker's leases. Each case runs the API behind a second lighttpd front
whose wall clock is an hour off (tests/shim/api_shim.c), while the database and the worker
keep the machine's: on the web host's clock, each of them would go wrong by that hour."""
import calendar
import time

import lib
from lib import Receiver, wait_for
from test_delivery import SECRET, check_signed, create_webhook, emit, one_delivery_when

HOUR_MS = 3600 * 1000


def skewed_front(stack, offset_ms):
    front = lib.Front(stack, {}, fcgi_env=lib.shim_env(stack, clock_offset_ms=offset_ms))
    # the shim is in force: the API's own times (a location's created) are the hour off
    account, key = stack.new_account()
    r = front.request("POST", "/v2/locations", body={"name": "skew check"}, key=key)
    assert r.status == 201, r
    created = lib_ms(r.json["created"])
    assert abs(created - (time.time() * 1000 + offset_ms)) < HOUR_MS / 4, (r.json["created"], offset_ms)
    return front


def lib_ms(iso):
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(iso[20:23])


def failed_delivery(stack, account, key, rx):
    wid = create_webhook(stack, account, key, rx.url)
    emit(stack, account, "visit.created")
    d = one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed", timeout=60)
    return wid, d


def test_resend_is_due_on_the_database_clock(stack):
    account, key = stack.new_account()
    state = {"ok": False}
    rx = Receiver(lambda req: (200, {}, b"") if state["ok"] else (500, {}, b""))
    front = skewed_front(stack, HOUR_MS)  # the web host's clock an hour ahead
    try:
        wid, d = failed_delivery(stack, account, key, rx)
        sent = len(rx.received())
        state["ok"] = True
        r = front.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (wid, d["id"]), key=key)
        assert r.status == 202 and r.json["status"] == "pending", r
        # due at the database's now, not an hour later: the worker sends it at once
        assert wait_for(lambda: len(rx.received()) > sent, 30), stack.sql(
            "SELECT next_attempt_at - CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) FROM deliveries "
            "WHERE id = '%s'" % d["id"])
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
    finally:
        front.close()
        rx.close()


def test_recover_window_and_due_time_are_on_the_database_clock(stack):
    account, key = stack.new_account()
    state = {"ok": False}
    rx = Receiver(lambda req: (200, {}, b"") if state["ok"] else (500, {}, b""))
    behind = skewed_front(stack, -HOUR_MS)  # an hour behind: "until now" would end an hour ago
    ahead = skewed_front(stack, HOUR_MS)  # an hour ahead: "due now" would be an hour away
    try:
        wid, d = failed_delivery(stack, account, key, rx)
        since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 7200))
        r = behind.request("POST", "/v2/webhooks/%s/recover" % wid, body={"since": since}, key=key)
        assert r.status == 202 and r.json["recovering"] == 1, r
        assert lib_ms(r.json["until"]) > time.time() * 1000 - HOUR_MS / 4, r.json
        # fail it again, then recover it through the front whose clock is ahead
        assert one_delivery_when(stack, key, wid, lambda d: d["status"] == "failed" and d["attempts"] >= 5,
                                 timeout=60)
        sent = len(rx.received())
        state["ok"] = True
        r = ahead.request("POST", "/v2/webhooks/%s/recover" % wid, body={"since": since}, key=key)
        assert r.status == 202 and r.json["recovering"] == 1, r
        assert wait_for(lambda: len(rx.received()) > sent, 30)
        one_delivery_when(stack, key, wid, lambda d: d["status"] == "succeeded")
    finally:
        behind.close()
        ahead.close()
        rx.close()


def test_rotation_overlap_ends_on_the_database_clock(stack):
    account, key = stack.new_account()
    rx = Receiver()
    front = skewed_front(stack, -HOUR_MS)  # an hour behind: a 10 min overlap would be over already
    try:
        wid = create_webhook(stack, account, key, rx.url)
        new_secret = "NewSecretNewSecret123456"
        r = front.request("POST", "/v2/webhooks/%s/rotate-secret" % wid,
                          body={"secret": new_secret, "overlapSeconds": 600}, key=key)
        assert r.status == 200, r
        ends = lib_ms(r.json["previousSecretExpires"])
        assert abs(ends - (time.time() * 1000 + 600 * 1000)) < HOUR_MS / 12, r.json
        stored = int(stack.sql("SELECT prev_secret_expires FROM webhooks WHERE id = '%s'" % wid)[0][0])
        assert stored == ends, (stored, ends)
        eid, body = emit(stack, account, "location.created")
        assert wait_for(lambda: rx.received(), 30)
        check_signed(rx.received()[0], rx.url, eid, body, secrets=(new_secret, SECRET))  # both still sign
    finally:
        front.close()
        rx.close()
