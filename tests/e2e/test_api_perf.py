"""What the API's shortcuts for speed promise: a removed API key stops working within the
500 ms each FastCGI process may remember it (the 1 s of SPEC §12, with room to spare)."""
import time


def test_a_removed_key_stops_working_within_a_second(stack):
    account, key = stack.new_account()
    for _ in range(8):  # reach every FastCGI process, so each remembers the key
        r = stack.request("GET", "/v2/account", key=key)
        assert r.status == 200 and r.json["id"] == account, r
    stack.sql("DELETE FROM api_keys WHERE account_id = '%s'" % account)
    removed = time.monotonic()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - removed)))
    for _ in range(8):
        r = stack.request("GET", "/v2/account", key=key)
        assert r.status == 401, (r, time.monotonic() - removed)
