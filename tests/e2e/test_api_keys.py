"""API keys (SPEC §12, issue 13): list, create (shown once), revoke over the API and the CLI;
a revoked or expired key refused by every FastCGI process within 1 s; never the last key."""
import json
import time

from lib import wait_for

FIELDS = {"id", "name", "prefix", "created", "lastUsedAt", "expiresAt"}


def q(s):
    return "'" + s.replace("'", "''") + "'"


def burst(stack, key, n=40):
    """n requests with key, each on its own connection, so lighttpd spreads them over its
    FastCGI processes; the statuses."""
    return [stack.request("GET", "/v2/account", key=key).status for _ in range(n)]


def test_create_list_and_revoke_over_the_api(stack):
    account, key = stack.new_account("keys")
    r = stack.request("POST", "/v2/api-keys", {"name": "ci deploy", "expiresAt": "2999-01-01T00:00:00.000Z"}, key=key)
    assert r.status == 201, r
    new = r.json
    assert set(new) == FIELDS | {"key"}, new
    assert new["name"] == "ci deploy" and new["expiresAt"] == "2999-01-01T00:00:00.000Z", new
    assert new["key"].startswith(new["prefix"]) and len(new["prefix"]) < 10, new
    assert new["lastUsedAt"] is None, new
    # the new key works, and is marked used
    assert stack.request("GET", "/v2/account", key=new["key"]).json["id"] == account
    r = stack.request("GET", "/v2/api-keys", key=key)
    assert r.status == 200, r
    listed = {k["id"]: k for k in r.json["results"]}
    assert len(listed) == 2 and new["id"] in listed, r
    assert all(set(k) == FIELDS for k in listed.values()), r
    assert new["key"] not in r.body and "key_hash" not in r.body, "a key shown again"
    assert listed[new["id"]]["lastUsedAt"] is not None, listed
    stored = stack.sql("SELECT key_hash FROM api_keys WHERE id = %s" % q(new["id"]))[0][0]
    assert stored != new["key"] and len(stored) == 64
    # revoke it with the first key
    r = stack.request("DELETE", "/v2/api-keys/" + new["id"], key=key)
    assert r.status == 204, r
    assert [k["id"] for k in stack.request("GET", "/v2/api-keys", key=key).json["results"]] != [new["id"]]
    r = stack.request("DELETE", "/v2/api-keys/" + new["id"], key=key)
    assert r.status == 404, r


def test_bad_input_is_refused_and_changes_nothing(stack):
    account, key = stack.new_account("keys bad input")
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a\u0001b"}, "name"),
        ({"name": 5}, "name"),
        ({"name": "k", "expiresAt": "tomorrow"}, "expiresAt"),
        ({"name": "k", "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        ({"name": "k", "key": "lh_mine"}, "key"),
    ]
    for body, field in cases:
        r = stack.request("POST", "/v2/api-keys", body, key=key)
        assert r.status == 400 and r.json["field"] == field, (body, r)
    assert stack.sql("SELECT COUNT(*) FROM api_keys WHERE account_id = %s" % q(account)) == [["1"]]
    assert stack.request("DELETE", "/v2/api-keys/nope", key=key).status == 404
    assert stack.request("GET", "/v2/api-keys?limit=0", key=key).status == 400


def test_another_accounts_key_is_not_found(stack):
    _, key_a = stack.new_account("keys a")
    _, key_b = stack.new_account("keys b")
    other = stack.request("POST", "/v2/api-keys", {"name": "b's second"}, key=key_b).json
    r = stack.request("DELETE", "/v2/api-keys/" + other["id"], key=key_a)
    assert r.status == 404, r
    assert other["id"] not in stack.request("GET", "/v2/api-keys", key=key_a).body
    assert stack.request("GET", "/v2/account", key=other["key"]).status == 200


def test_the_last_key_cannot_be_revoked(stack):
    account, key = stack.new_account("keys last")
    only = stack.request("GET", "/v2/api-keys", key=key).json["results"][0]["id"]
    r = stack.request("DELETE", "/v2/api-keys/" + only, key=key)
    assert r.status == 409 and r.json["errorCode"] == "conflict" and "last" in r.json["message"], r
    # an expired key does not count as another usable key
    expired = stack.request("POST", "/v2/api-keys", {"name": "soon gone"}, key=key).json
    stack.sql("UPDATE api_keys SET expires_at = 1000 WHERE id = %s" % q(expired["id"]))
    assert stack.request("DELETE", "/v2/api-keys/" + only, key=key).status == 409
    second = stack.request("POST", "/v2/api-keys", {"name": "second"}, key=key).json
    assert stack.request("DELETE", "/v2/api-keys/" + only, key=second["key"]).status == 204
    assert stack.request("GET", "/v2/account", key=second["key"]).status == 200


def test_a_revoked_key_is_refused_by_every_process_within_a_second(stack):
    account, key = stack.new_account("keys revoke")
    victim = stack.request("POST", "/v2/api-keys", {"name": "victim"}, key=key).json
    # every FastCGI process has looked the key up (and keeps it for its cache time)
    assert burst(stack, victim["key"]) == [200] * 40
    revoked_at = time.monotonic()
    assert stack.request("DELETE", "/v2/api-keys/" + victim["id"], key=key).status == 204
    time.sleep(max(0.0, 1.0 - (time.monotonic() - revoked_at)))
    assert burst(stack, victim["key"]) == [401] * 40
    assert stack.request("GET", "/v2/account", key=key).status == 200


def test_an_expired_key_is_refused_within_a_second(stack):
    account, key = stack.new_account("keys expire")
    k = stack.request("POST", "/v2/api-keys", {"name": "short", "expiresAt": "2999-01-01T00:00:00Z"}, key=key).json
    assert burst(stack, k["key"], 20) == [200] * 20
    stack.sql("UPDATE api_keys SET expires_at = %d WHERE id = %s" % (int(time.time() * 1000) - 1, q(k["id"])))
    expired_at = time.monotonic()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - expired_at)))
    assert burst(stack, k["key"], 20) == [401] * 20
    listed = {x["id"]: x for x in stack.request("GET", "/v2/api-keys", key=key).json["results"]}
    assert listed[k["id"]]["expiresAt"] is not None


def test_cli_creates_lists_and_revokes_keys(stack):
    account = stack.api(["create-account", "cli keys"]).stdout.strip()
    first = stack.api(["create-key", account]).stdout.strip()
    second = stack.api(["create-key", account, "backup", "2999-01-01T00:00:00Z"]).stdout.strip()
    assert stack.request("GET", "/v2/account", key=second).json["id"] == account
    lines = [line.split("\t") for line in stack.api(["list-keys", account]).stdout.splitlines()]
    assert len(lines) == 2 and all(len(cols) == 6 for cols in lines), lines
    by_name = {cols[1]: cols for cols in lines}
    assert by_name["backup"][5] == "2999-01-01T00:00:00.000Z" and second.startswith(by_name["backup"][2])
    assert first not in json.dumps(lines) and second not in json.dumps(lines)
    assert stack.api(["revoke-key", by_name["backup"][0]]).returncode == 0
    p = stack.api(["revoke-key", by_name["key"][0]], check=False)
    assert p.returncode != 0 and "last" in p.stderr, p.stderr
    assert stack.api(["create-key", account, "b", "yesterday"], check=False).returncode != 0
    assert stack.api(["revoke-key", "x" * 20], check=False).returncode != 0
    assert wait_for(lambda: stack.request("GET", "/v2/account", key=second).status == 401, 2)
    entries = stack.sql("SELECT action, actor_key_id IS NULL FROM audit_log WHERE account_id = %s ORDER BY seq"
                        % q(account))
    assert entries == [["api_key.created", "1"], ["api_key.created", "1"], ["api_key.revoked", "1"]], entries


def test_openapi_documents_keys_and_the_audit_log(stack):
    doc = stack.request("GET", "/v2/openapi.json").json
    ops = {(m, p) for p, v in doc["paths"].items() for m in v if p.startswith(("/v2/api-keys", "/v2/audit-log"))}
    assert ops == {("get", "/v2/api-keys"), ("post", "/v2/api-keys"), ("delete", "/v2/api-keys/{id}"),
                   ("get", "/v2/audit-log")}, ops
    key = doc["components"]["schemas"]["ApiKey"]
    assert set(key["required"]) == FIELDS and "key" not in key["properties"]
