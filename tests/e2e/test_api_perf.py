"""What the API's shortcuts for speed promise: a removed API key stops working within the
5 s each FastCGI process may remember it."""
import time


def test_a_removed_key_stops_working_within_5_seconds(stack):
    account, key = stack.new_account()
    for _ in range(8):  # reach every FastCGI process, so each remembers the key
        r = stack.request("GET", "/v2/account", key=key)
        assert r.status == 200 and r.json["id"] == account, r
    stack.sql("DELETE FROM api_keys WHERE account_id = '%s'" % account)
    removed = time.time()
    time.sleep(5.3)
    for _ in range(8):
        r = stack.request("GET", "/v2/account", key=key)
        assert r.status == 401, (r, time.time() - removed)

