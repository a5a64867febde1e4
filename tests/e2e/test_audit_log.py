"""The audit log (SPEC §12, issue 13): every change to webhooks and keys, newest first, with
the acting key, the time and the address, never a secret; paged, filtered by target, and
deleted with retention."""
import json

from lib import Receiver, raw_http, wait_for

SECRET = "auditSecretValue0123456789"


def q(s):
    return "'" + s.replace("'", "''") + "'"


def log(stack, key, query=""):
    r = stack.request("GET", "/v2/audit-log" + query, key=key)
    assert r.status == 200, r
    return r


def test_every_webhook_change_is_recorded_newest_first(stack):
    account, key = stack.new_account("audit")
    me = stack.request("GET", "/v2/api-keys", key=key).json["results"][0]
    rx = Receiver()
    try:
        r = stack.request("POST", "/v2/webhooks", {"url": rx.url, "secret": SECRET, "description": "first"}, key=key)
        assert r.status == 201, r
        wid = r.json["id"]
        r = stack.request("PATCH", "/v2/webhooks/" + wid,
                          {"description": "second", "isActive": True, "url": rx.url + "?v=2"}, key=key)
        assert r.status == 200, r
        assert stack.request("PATCH", "/v2/webhooks/" + wid, {"secret": SECRET + "X"}, key=key).status == 200
        r = stack.request("POST", "/v2/webhooks/" + wid + "/rotate-secret", {}, key=key)
        assert r.status == 200, r
        rotated = r.json["secret"]
        assert stack.request("POST", "/v2/webhooks/" + wid + "/test", raw=b"", key=key).status == 202

        def one_delivery():
            d = stack.request("GET", "/v2/webhooks/%s/deliveries" % wid, key=key).json["results"]
            return d and d[0]["status"] != "pending" and d[0]
        d = wait_for(one_delivery, 15)
        assert d, "the test event was not delivered"
        r = stack.request("POST", "/v2/webhooks/%s/deliveries/%s/resend" % (wid, d["id"]), raw=b"", key=key)
        assert r.status == 202, r
        r = stack.request("POST", "/v2/webhooks/%s/recover" % wid, {"since": "2020-01-01T00:00:00Z"}, key=key)
        assert r.status == 202, r
        assert stack.request("DELETE", "/v2/webhooks/" + wid, key=key).status == 204
        # a refused change writes nothing
        assert stack.request("PATCH", "/v2/webhooks/" + wid, {"description": "x"}, key=key).status == 404

        r = log(stack, key, "?targetId=" + wid)
        entries = r.json["results"]
        assert [e["action"] for e in entries] == [
            "webhook.deleted", "webhook.recovered", "webhook.delivery_resent", "webhook.tested",
            "webhook.secret_rotated", "webhook.updated", "webhook.updated", "webhook.created"], entries
        assert all(e["targetId"] == wid and e["targetType"] == "webhook" for e in entries)
        assert all(e["actor"] == {"type": "api_key", "keyId": me["id"], "keyName": me["name"]} for e in entries)
        assert all(e["remoteAddr"] == "127.0.0.1" for e in entries), entries
        created = [e["created"] for e in entries]
        assert created == sorted(created, reverse=True)
        assert entries[5]["details"]["fields"] == ["secret"], entries[5]
        assert sorted(entries[6]["details"]["fields"]) == ["description", "url"], entries[6]
        assert sorted(entries[7]["details"]["fields"]) == ["description", "secret", "url"], entries[7]
        assert entries[2]["details"] == {"deliveryId": d["id"]}
        assert entries[1]["details"]["since"] == "2020-01-01T00:00:00.000Z"
        for secret in (SECRET, SECRET + "X", rotated):
            assert secret not in r.body
            assert not stack.sql("SELECT id FROM audit_log WHERE details LIKE %s" % q("%" + secret + "%"))
        # paging: newest first, then after the last one seen
        p1 = log(stack, key, "?targetId=%s&limit=3" % wid).json
        p2 = log(stack, key, "?targetId=%s&limit=3&startAfter=%s" % (wid, p1["endAt"])).json
        assert [e["id"] for e in p1["results"] + p2["results"]] == [e["id"] for e in entries[:6]]
    finally:
        rx.close()


def test_key_changes_are_recorded_with_the_acting_key_and_address(stack):
    account, key = stack.new_account("audit keys")
    me = stack.request("GET", "/v2/api-keys", key=key).json["results"][0]
    body = b'{"name":"robot"}'
    head, answer = raw_http(stack.port, b"POST /v2/api-keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                            b"apikey: " + key.encode() + b"\r\nContent-Type: application/json\r\n"
                            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body, "127.0.0.2")
    assert head.split()[1] == "201", head
    new = json.loads(answer)
    assert stack.request("DELETE", "/v2/api-keys/" + me["id"], key=new["key"]).status == 204
    r = log(stack, new["key"])
    entries = r.json["results"]
    assert [e["action"] for e in entries] == ["api_key.revoked", "api_key.created", "api_key.created"], entries
    revoked, created, first = entries
    assert revoked["targetId"] == me["id"] and revoked["details"] == {"name": me["name"]}
    assert revoked["actor"] == {"type": "api_key", "keyId": new["id"], "keyName": "robot"}
    assert revoked["remoteAddr"] == "127.0.0.1"
    assert created["targetId"] == new["id"] and created["details"] == {"name": "robot"}
    assert created["actor"]["keyId"] == me["id"] and created["remoteAddr"] == "127.0.0.2", created
    # the account's first key came from the command line
    assert first["actor"] == {"type": "cli", "keyId": None, "keyName": None} and first["remoteAddr"] is None
    assert new["key"] not in r.body and key not in r.body


def test_bad_queries_and_other_accounts(stack):
    _, key_a = stack.new_account("audit a")
    _, key_b = stack.new_account("audit b")
    assert stack.request("POST", "/v2/api-keys", {"name": "b2"}, key=key_b).status == 201
    mine = log(stack, key_a).json["results"]
    assert [(e["action"], e["actor"]["type"]) for e in mine] == [("api_key.created", "cli")], mine
    for query, field in (("?targetId=nope", "targetId"), ("?limit=101", "limit"), ("?foo=1", "foo"),
                         ("?startAfter=" + "x" * 20, "startAfter")):
        r = stack.request("GET", "/v2/audit-log" + query, key=key_a)
        assert r.status == 400 and r.json["field"] == field, (query, r)
    assert stack.request("GET", "/v2/audit-log").status == 401


def test_retention_deletes_old_entries(stack):
    account, key = stack.new_account("audit retention")
    old = stack.request("POST", "/v2/api-keys", {"name": "old"}, key=key).json
    new = stack.request("POST", "/v2/api-keys", {"name": "new"}, key=key).json
    month = 31 * 86400 * 1000
    stack.sql("UPDATE audit_log SET created = created - %d WHERE target_id = %s" % (month, q(old["id"])))
    assert wait_for(lambda: [e["targetId"] for e in log(stack, key).json["results"]
                             if e["action"] == "api_key.created" and e["targetId"] in (old["id"], new["id"])]
                    == [new["id"]], 20)


def test_custom_headers_are_named_when_a_value_is_given_never_shown(stack):
    account, key = stack.new_account("audit headers")
    r = stack.request("POST", "/v2/webhooks", {"url": "https://example.com/h"}, key=key)
    assert r.status == 201, r
    wid = r.json["id"]
    value = "tok-" + "9" * 20
    for body in ({"headers": {"X-Api-Token": value}}, {"headers": {"X-Api-Token": None}, "description": "kept"},
                 {"headers": {}}):
        r = stack.request("PATCH", "/v2/webhooks/" + wid, body, key=key)
        assert r.status == 200, (body, r)
    r = log(stack, key, "?targetId=" + wid)
    fields = [e["details"]["fields"] for e in r.json["results"] if e["action"] == "webhook.updated"]
    assert fields == [["headers"], ["description"], ["headers"]], fields  # removed, kept, set
    assert value not in r.body
