"""The webhooks REST API (SPEC §4, §5): every field rule, limits, paging, updates, secrets,
idempotency, cross-account isolation, body limits, rotation and the test event."""
import base64
import json
import os
import random
import socket
import string
import subprocess
import tempfile
import threading
import time

from lib import ROOT, Front, free_port

SEED_SECRET = "rUNbNyRdOC2FJm4rzTR5y1cs"
_keys = {}


def pem(kind):
    """A private key made with the openssl CLI (cached per run)."""
    if kind not in _keys:
        args = {"rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                "rsa1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                "ec": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                "ec384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
                "ed25519": ["-algorithm", "ED25519"]}[kind]
        _keys[kind] = subprocess.run(["openssl", "genpkey"] + args, capture_output=True, text=True,
                                     check=True).stdout
    return _keys[kind]


def oauth(**over):
    o = {"tokenUrl": "https://auth.example.com/token", "privateKey": pem("rsa"), "expiresIn": 600,
         "claims": {"iss": "linehook", "sub": "client-1", "aud": "https://auth.example.com/"}}
    o.update(over)
    return o


def new_location(stack, key, name="loc"):
    """A location of the key's account, through the locations API."""
    r = stack.request("POST", "/v2/locations", {"name": name}, key=key)
    assert r.status == 201, r
    return r.json["id"]


def setup(stack, nlocations=1):
    account, key = stack.new_account()
    return account, key, [new_location(stack, key, "loc%d" % i) for i in range(nlocations)]


def create(stack, key, **body):
    body.setdefault("url", "https://example.com/hook")
    return stack.request("POST", "/v2/webhooks", body, key=key)


def count(stack, account):
    return int(stack.sql("SELECT COUNT(*) FROM webhooks WHERE account_id = '%s'" % account)[0][0])


def seed_body(location):
    return {"secret": SEED_SECRET, "visitStates": ["PENDING", "BOOKED"],
            "eventTypes": ["visit.created", "visit.updated"], "locationIds": [location], "isActive": False,
            "url": "https://hooks.example.com/test"}


ANSWER_FIELDS = {"id", "accountId", "url", "eventTypes", "locationIds", "visitStates", "isActive", "description",
                 "ordering", "rateLimit",
                 "status", "disabledReason", "disabledAt", "created", "updated", "stats", "headers"}


def test_seed_body_creates_a_webhook(stack):
    account, key, (loc,) = setup(stack)
    r = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key)
    assert r.status == 201, r
    w = r.json
    assert set(w) == ANSWER_FIELDS | {"secret", "standardSecret"}, sorted(w)
    assert len(w["id"]) == 20 and w["accountId"] == account and w["url"] == "https://hooks.example.com/test"
    assert w["eventTypes"] == ["visit.created", "visit.updated"] and w["locationIds"] == [loc]
    assert w["visitStates"] == ["PENDING", "BOOKED"] and w["isActive"] is False and w["status"] == "inactive"
    assert w["secret"] == SEED_SECRET
    assert w["standardSecret"] == "whsec_" + base64.b64encode(SEED_SECRET.encode()).decode()
    assert w["created"].endswith("Z") and len(w["created"]) == 24 and w["created"] == w["updated"]
    g = stack.request("GET", "/v2/webhooks/" + w["id"], key=key)
    assert g.status == 200 and set(g.json) == ANSWER_FIELDS, g
    assert {k: v for k, v in w.items() if k not in ("secret", "standardSecret")} == g.json


def test_generated_secret_is_24_alphanumerics(stack):
    account, key, _ = setup(stack, 0)
    r = create(stack, key)
    assert r.status == 201, r
    s = r.json["secret"]
    assert len(s) == 24 and all(c in string.ascii_letters + string.digits for c in s), s
    assert r.json["standardSecret"] == "whsec_" + base64.b64encode(s.encode()).decode()
    assert r.json["isActive"] is True and r.json["status"] == "active"
    assert r.json["eventTypes"] == [] and r.json["locationIds"] == [] and r.json["visitStates"] == []
    assert create(stack, key).json["secret"] != s


ALL_TYPES = ["visit.created", "visit.updated", "visit.removed", "location-status.updated", "message.created",
             "message.updated", "location.created", "location.updated", "location.removed", "webhook.test",
             "webhook.disabled", "webhook.recovered"]

# (body fields, expected answer fields): each must create a webhook answering these values.
VALID = [
    ({"url": "https://example.com:8443/a/b?x=1&y=%20z"}, {"url": "https://example.com:8443/a/b?x=1&y=%20z"}),
    ({"url": "HTTPS://Example.COM/"}, {"url": "HTTPS://Example.COM/"}),
    ({"url": "https://203.0.113.7/hook"}, {}),
    ({"url": "https://[2001:db8::1]:443/hook"}, {}),
    ({"url": "https://a-b.c-d.example/" + "p" * 2000}, {}),
    ({"url": "http://127.0.0.1:9/hook"}, {}),  # the test stack sets allow_http_targets=true
    ({"secret": "a" * 16}, {}),
    ({"secret": "~!@#$%^&*()_+ {}" + "x" * 112}, {}),
    ({"eventTypes": []}, {"eventTypes": []}),
    ({"eventTypes": ALL_TYPES}, {"eventTypes": ALL_TYPES}),
    ({"eventTypes": ["webhook.test"]}, {"eventTypes": ["webhook.test"]}),
    ({"visitStates": []}, {"visitStates": []}),
    ({"visitStates": ["SERVING", "COMPLETE"]}, {"visitStates": ["SERVED", "COMPLETE"]}),
    ({"visitStates": ["PENDING", "DRAFT", "BOOKED", "WAITING", "SERVED", "COMPLETE"]}, {}),
    ({"locationIds": []}, {"locationIds": []}),
    ({"isActive": True}, {"isActive": True, "status": "active"}),
    ({"isActive": False}, {"isActive": False, "status": "inactive"}),
    ({"description": "é" * 200}, {"description": "é" * 200}),
    ({"description": None}, {"description": None}),
    ({"description": ""}, {"description": ""}),
    ({"oAuth": "rsa"}, {"oAuth": {"tokenUrl": "https://auth.example.com/token", "expiresIn": 600,
                                  "claims": {"iss": "linehook", "sub": "client-1", "aud": "https://auth.example.com/"},
                                  "hasPrivateKey": True}}),
    ({"oAuth": "ec"}, {}),
    ({"oAuth": "ec-scope-default-expiry"}, {}),
]


def expand(body):
    body = dict(body)
    if body.get("oAuth") == "rsa":
        body["oAuth"] = oauth()
    elif body.get("oAuth") == "ec":
        body["oAuth"] = oauth(privateKey=pem("ec"), expiresIn=60)
    elif body.get("oAuth") == "ec-scope-default-expiry":
        o = oauth(privateKey=pem("ec"))
        del o["expiresIn"]
        o["claims"]["scope"] = "webhooks"
        body["oAuth"] = o
    return body


def test_valid_fields_are_accepted_and_answered(stack):
    for fields, expect in VALID:
        account, key, _ = setup(stack, 0)
        r = create(stack, key, **expand(fields))
        assert r.status == 201, (fields, r)
        for k, v in expect.items():
            assert r.json[k] == v, (fields, k, r.json[k])
        if "oAuth" in fields:
            assert "privateKey" not in r.body and "PRIVATE" not in r.body
            assert r.json["oAuth"]["hasPrivateKey"] is True
            if fields["oAuth"] == "ec-scope-default-expiry":
                assert r.json["oAuth"]["expiresIn"] == 3600 and r.json["oAuth"]["claims"]["scope"] == "webhooks"
        g = stack.request("GET", "/v2/webhooks/" + r.json["id"], key=key)
        assert g.status == 200 and all(g.json[k] == v for k, v in expect.items()), (fields, g)


def test_location_ids_of_the_account_are_accepted_in_order(stack):
    account, key, locs = setup(stack, 3)
    order = [locs[2], locs[0], locs[1]]
    r = create(stack, key, locationIds=order)
    assert r.status == 201 and r.json["locationIds"] == order, r
    assert stack.request("GET", "/v2/webhooks/" + r.json["id"], key=key).json["locationIds"] == order


LONG_URL = "https://example.com/" + "a" * (2049 - len("https://example.com/"))

# (body fields, the field the 400 must name)
INVALID = [
    ({"url": None}, "url"),
    ({"url": 5}, "url"),
    ({"url": ""}, "url"),
    ({"url": "/relative/path"}, "url"),
    ({"url": "example.com/hook"}, "url"),
    ({"url": "ftp://example.com/"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://user:pw@example.com/"}, "url"),
    ({"url": "https://user@example.com/"}, "url"),
    ({"url": LONG_URL}, "url"),
    ({"url": "https://exa mple.com/"}, "url"),
    ({"url": "https://example.com/a b"}, "url"),
    ({"url": "https://example.com/\u00e9"}, "url"),
    ({"url": "https://example.com/#frag ment"}, "url"),
    ({"url": "https://example.com/%zz"}, "url"),
    ({"url": "https://"}, "url"),
    ({"url": "https:///path"}, "url"),
    ({"url": "https://-bad.example/"}, "url"),
    ({"url": "https://bad-.example/"}, "url"),
    ({"url": "https://under_score.example/"}, "url"),
    ({"url": "https://a..example/"}, "url"),
    ({"url": "https://1.2.3.999/"}, "url"),
    ({"url": "https://1.2.3/"}, "url"),
    ({"url": "https://example.com:0/"}, "url"),
    ({"url": "https://example.com:65536/"}, "url"),
    ({"url": "https://example.com:/"}, "url"),
    ({"url": "https://example.com:8x/"}, "url"),
    ({"url": "https://[::1/"}, "url"),
    ({"url": "https://[nothex::1]/"}, "url"),
    ({"url": "https://[fe80::1%25eth0]/"}, "url"),
    ({"url": "https://" + "a" * 64 + ".example/"}, "url"),
    ({"secret": "a" * 15}, "secret"),
    ({"secret": "a" * 129}, "secret"),
    ({"secret": "é" * 16}, "secret"),
    ({"secret": "a" * 15 + "\t"}, "secret"),
    ({"secret": 1234567890123456}, "secret"),
    ({"secret": None}, "secret"),
    ({"eventTypes": "visit.created"}, "eventTypes"),
    ({"eventTypes": ["visit.created", "visit.foo"]}, "eventTypes[1]"),
    ({"eventTypes": ["visit.created", "visit.created"]}, "eventTypes[1]"),
    ({"eventTypes": [1]}, "eventTypes[0]"),
    ({"eventTypes": ["VISIT.CREATED"]}, "eventTypes[0]"),
    ({"eventTypes": None}, "eventTypes"),
    ({"visitStates": ["FOO"]}, "visitStates[0]"),
    ({"visitStates": ["SERVED", "SERVING"]}, "visitStates[1]"),
    ({"visitStates": ["pending"]}, "visitStates[0]"),
    ({"visitStates": {"a": 1}}, "visitStates"),
    ({"locationIds": ["nope"]}, "locationIds[0]"),
    ({"locationIds": ["AAAAAAAAAAAAAAAAAAAA"]}, "locationIds[0]"),
    ({"locationIds": "LOC"}, "locationIds[1]"),      # filled in: [own, own] repeat
    ({"locationIds": "OTHER"}, "locationIds[0]"),    # filled in: another account's location
    ({"isActive": "yes"}, "isActive"),
    ({"isActive": 1}, "isActive"),
    ({"description": "x" * 201}, "description"),
    ({"description": 5}, "description"),
    ({"description": "two\r\nlines"}, "description"),
    ({"description": "bell\u0007"}, "description"),
    ({"foo": 1}, "foo"),
    ({"oAuth": "not an object"}, "oAuth"),
    ({"oAuth": {"tokenUrl": "https://a.example/"}}, "oAuth.claims"),
    ("oauth-no-token-url", "oAuth.tokenUrl"),
    ("oauth-bad-token-url", "oAuth.tokenUrl"),
    ("oauth-no-key", "oAuth.privateKey"),
    ("oauth-garbage-key", "oAuth.privateKey"),
    ("oauth-public-key", "oAuth.privateKey"),
    ("oauth-ed25519", "oAuth.privateKey"),
    ("oauth-ec384", "oAuth.privateKey"),
    ("oauth-rsa1024", "oAuth.privateKey"),
    ("oauth-expires-59", "oAuth.expiresIn"),
    ("oauth-expires-3601", "oAuth.expiresIn"),
    ("oauth-expires-string", "oAuth.expiresIn"),
    ("oauth-no-aud", "oAuth.claims.aud"),
    ("oauth-claims-extra", "oAuth.claims.foo"),
    ("oauth-extra", "oAuth.bar"),
    ({"ordering": "lifo"}, "ordering"),
    ({"ordering": "FIFO"}, "ordering"),
    ({"ordering": 1}, "ordering"),
    ({"ordering": None}, "ordering"),
    ({"rateLimit": 0}, "rateLimit"),
    ({"rateLimit": 1001}, "rateLimit"),
    ({"rateLimit": -5}, "rateLimit"),
    ({"rateLimit": 2.5}, "rateLimit"),
    ({"rateLimit": "10"}, "rateLimit"),
    ({"rateLimit": True}, "rateLimit"),
]


def invalid_body(fields, own, other):
    if isinstance(fields, str):
        o = oauth()
        if fields == "oauth-no-token-url":
            del o["tokenUrl"]
        elif fields == "oauth-bad-token-url":
            o["tokenUrl"] = "https://u:p@a.example/"
        elif fields == "oauth-no-key":
            del o["privateKey"]
        elif fields == "oauth-garbage-key":
            o["privateKey"] = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"
        elif fields == "oauth-public-key":
            o["privateKey"] = subprocess.run(["openssl", "pkey", "-pubout"], input=pem("rsa"), text=True,
                                             capture_output=True, check=True).stdout
        elif fields.startswith("oauth-ed25519") or fields.startswith("oauth-ec384") or fields == "oauth-rsa1024":
            o["privateKey"] = pem(fields[len("oauth-"):])
        elif fields.startswith("oauth-expires-"):
            o["expiresIn"] = {"59": 59, "3601": 3601, "string": "600"}[fields[len("oauth-expires-"):]]
        elif fields == "oauth-no-aud":
            del o["claims"]["aud"]
        elif fields == "oauth-claims-extra":
            o["claims"]["foo"] = "x"
        elif fields == "oauth-extra":
            o["bar"] = 1
        return {"url": "https://example.com/", "oAuth": o}
    body = {"url": "https://example.com/"}
    body.update(fields)
    if body.get("locationIds") == "LOC":
        body["locationIds"] = [own, own]
    elif body.get("locationIds") == "OTHER":
        body["locationIds"] = [other]
    return body


def test_invalid_fields_answer_400_naming_the_field_and_write_nothing(stack):
    account, key, (own,) = setup(stack)
    other_account, other_key, (other,) = setup(stack)
    for fields, field in INVALID:
        body = invalid_body(fields, own, other)
        r = stack.request("POST", "/v2/webhooks", body, key=key)
        assert r.status == 400, (fields, r)
        assert r.json["errorCode"] == "validation_failed" and r.json["field"] == field, (fields, r.json)
        assert r.json["message"].startswith(field), (fields, r.json)
    assert count(stack, account) == 0


RAW_INVALID = [
    (b'{"url":"https://example.com/","url":"https://example.org/"}', 400, "invalid_json"),
    (b'{"url":"https://example.com/", "description":"a\\u0000b"}', 400, None),
    (b'{"url": "https://example.com/"', 400, "invalid_json"),
    (b'["https://example.com/"]', 400, "invalid_json"),
    (b'', 411, None),
]


def test_malformed_bodies_are_refused(stack):
    account, key, _ = setup(stack, 0)
    for raw, status, code in RAW_INVALID:
        r = stack.request("POST", "/v2/webhooks", raw=raw, key=key, headers={"Content-Type": "application/json"})
        assert r.status in ((status, 400) if raw == b'' else (status,)), (raw, r)
        if code:
            assert r.json["errorCode"] == code, (raw, r)
    assert count(stack, account) == 0


def test_body_limits_413_415_411(stack):
    account, key, _ = setup(stack, 0)
    big = json.dumps({"url": "https://example.com/", "description": "x" * 70000}).encode()
    r = stack.request("POST", "/v2/webhooks", raw=big, key=key, headers={"Content-Type": "application/json"})
    assert r.status == 413 and r.json["errorCode"] == "payload_too_large", r
    r = stack.request("POST", "/v2/webhooks", raw=b'{"url":"https://example.com/"}', key=key,
                      headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.json["errorCode"] == "unsupported_media_type", r
    r = stack.request("PATCH", "/v2/webhooks/AAAAAAAAAAAAAAAAAAAA", raw=b'{}', key=key,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415, r
    # No Content-Length at all (raw socket; http.client always sends one).
    s = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
    s.sendall(b"POST /v2/webhooks HTTP/1.1\r\nHost: x\r\napikey: " + key.encode() +
              b"\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    head = s.recv(100)
    s.close()
    assert head.startswith(b"HTTP/1.1 411"), head
    assert count(stack, account) == 0


def test_limit_five_per_location_counting_every_location_held(stack):
    account, key, (a, b, c) = setup(stack, 3)
    assert create(stack, key, locationIds=[a, b]).status == 201
    for _ in range(4):
        assert create(stack, key, locationIds=[a]).status == 201
    r = create(stack, key, locationIds=[a])
    assert r.status == 409 and r.json["errorCode"] == "webhook_limit_reached" and r.json["field"] == "locationIds[0]", r
    r = create(stack, key, locationIds=[c, a])
    assert r.status == 409 and r.json["field"] == "locationIds[1]", r
    for _ in range(4):  # b holds one already (the [a, b] webhook)
        assert create(stack, key, locationIds=[b]).status == 201
    assert create(stack, key, locationIds=[b]).status == 409
    assert create(stack, key, locationIds=[c]).status == 201
    assert count(stack, account) == 10
    # location webhooks don't count toward the account-wide limit
    assert create(stack, key).status == 201


def test_limit_five_account_wide(stack):
    account, key, (a,) = setup(stack)
    for i in range(5):  # absent and [] both mean account-wide
        body = {"url": "https://example.com/", "locationIds": []} if i % 2 else {"url": "https://example.com/"}
        assert stack.request("POST", "/v2/webhooks", body, key=key).status == 201
    r = create(stack, key)
    assert r.status == 409 and r.json["errorCode"] == "webhook_limit_reached", r
    assert create(stack, key, locationIds=[]).status == 409
    assert create(stack, key, locationIds=[a]).status == 201
    assert count(stack, account) == 6
    # other accounts have their own limit
    other, okey, _ = setup(stack, 0)
    assert create(stack, okey).status == 201


def test_updates_that_break_a_limit_are_refused(stack):
    account, key, (a, b) = setup(stack, 2)
    for _ in range(5):
        assert create(stack, key, locationIds=[a]).status == 201
    moving = create(stack, key, locationIds=[b]).json
    for verb in ("PUT", "PATCH", "POST"):
        r = stack.request(verb, "/v2/webhooks/" + moving["id"], {"locationIds": [b, a]}, key=key)
        assert r.status == 409 and r.json["errorCode"] == "webhook_limit_reached" and r.json["field"] == "locationIds[1]", r
    g = stack.request("GET", "/v2/webhooks/" + moving["id"], key=key).json
    assert g["locationIds"] == [b] and g["updated"] == moving["updated"]
    for _ in range(5):
        assert create(stack, key).status == 201
    r = stack.request("PATCH", "/v2/webhooks/" + moving["id"], {"locationIds": []}, key=key)
    assert r.status == 409, r
    # a webhook already on a full location may be updated without leaving it
    mine = stack.request("GET", "/v2/webhooks?locationId=" + a, key=key).json["results"][0]
    r = stack.request("PATCH", "/v2/webhooks/" + mine["id"], {"locationIds": [a, b], "description": "x"}, key=key)
    assert r.status == 200 and r.json["locationIds"] == [a, b], r


def parallel(n, fn):
    results = [None] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        results[i] = fn(i)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_limits_hold_under_20_concurrent_creates(stack):
    account, key, (a,) = setup(stack)
    statuses = parallel(20, lambda i: create(stack, key).status)
    assert sorted(statuses) == [201] * 5 + [409] * 15, statuses
    statuses = parallel(20, lambda i: create(stack, key, locationIds=[a]).status)
    assert sorted(statuses) == [201] * 5 + [409] * 15, statuses
    assert count(stack, account) == 10
    assert stack.sql("SELECT COUNT(*) FROM webhook_locations WHERE location_id = '%s'" % a)[0][0] == "5"


def test_concurrent_updates_cannot_overfill_a_location(stack):
    account, key, (a, b) = setup(stack, 2)
    for _ in range(4):
        assert create(stack, key, locationIds=[a]).status == 201
    ids = [create(stack, key, locationIds=[b]).json["id"] for _ in range(5)]
    statuses = parallel(5, lambda i: stack.request("PATCH", "/v2/webhooks/" + ids[i], {"locationIds": [a]},
                                                   key=key).status)
    assert sorted(statuses) == [200] + [409] * 4, statuses
    assert stack.sql("SELECT COUNT(*) FROM webhook_locations WHERE location_id = '%s'" % a)[0][0] == "5"


def test_list_pages_and_location_filter(stack):
    account, key, (a, b) = setup(stack, 2)
    made = [create(stack, key).json["id"] for _ in range(5)]
    made += [create(stack, key, locationIds=[a]).json["id"] for _ in range(3)]
    made += [create(stack, key, locationIds=[a, b]).json["id"]]
    seen, after, pages = [], None, 0
    while True:
        q = "/v2/webhooks?limit=4" + ("&startAfter=" + after if after else "")
        r = stack.request("GET", q, key=key)
        assert r.status == 200, r
        assert r.json["limit"] == 4 and r.json["startAfter"] == after
        page = [w["id"] for w in r.json["results"]]
        pages += 1
        if not page:
            assert r.json["endAt"] is None
            break
        assert r.json["endAt"] == page[-1]
        assert all("secret" not in w for w in r.json["results"])
        seen += page
        after = r.json["endAt"]
    assert pages == 4 and sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 9
    r = stack.request("GET", "/v2/webhooks", key=key)
    assert [w["id"] for w in r.json["results"]] == seen and r.json["limit"] == 20
    r = stack.request("GET", "/v2/webhooks?locationId=" + a, key=key)
    assert sorted(w["id"] for w in r.json["results"]) == sorted(made[5:]), r
    r = stack.request("GET", "/v2/webhooks?locationId=" + b + "&limit=100", key=key)
    assert [w["id"] for w in r.json["results"]] == [made[8]], r
    for bad, field in (("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
                       ("startAfter=short", "startAfter"), ("locationId=bad", "locationId"), ("foo=1", "foo")):
        r = stack.request("GET", "/v2/webhooks?" + bad, key=key)
        assert r.status == 400 and r.json["field"] == field, (bad, r)
    other, okey, _ = setup(stack, 0)
    assert stack.request("GET", "/v2/webhooks", key=okey).json["results"] == []


# (verb, change) -> every other field keeps its value
def fields(answer):
    """A webhook answer without its stats, which change as deliveries happen."""
    return {k: v for k, v in answer.items() if k != "stats"}


def test_partial_updates_leave_other_fields_alone(stack):
    account, key, (a, b) = setup(stack, 2)
    full = dict(seed_body(a), description="first", oAuth=oauth())
    w = stack.request("POST", "/v2/webhooks", full, key=key).json
    wid = w["id"]
    # stats move on their own (the worker delivers the account's events meanwhile)
    base = {k: v for k, v in w.items() if k not in ("secret", "standardSecret", "stats")}
    changes = [
        ("PUT", {"url": "https://example.org/new"}),
        ("PATCH", {"eventTypes": ["message.created"]}),
        ("POST", {"visitStates": ["SERVING"]}, {"visitStates": ["SERVED"]}),
        ("PUT", {"locationIds": [b, a]}),
        ("PATCH", {"isActive": True}, {"isActive": True, "status": "active"}),
        ("POST", {"description": None}),
        ("PUT", {"eventTypes": []}),
        ("PATCH", {"oAuth": dict(oauth(), expiresIn=120)},
         {"oAuth": dict(base["oAuth"], expiresIn=120)}),
        ("POST", {"oAuth": {k: v for k, v in oauth(tokenUrl="https://b.example/t").items() if k != "privateKey"}},
         {"oAuth": dict(base["oAuth"], expiresIn=600, tokenUrl="https://b.example/t")}),
        ("PATCH", {"oAuth": None}),
        ("PUT", {}),
    ]
    for change in changes:
        verb, body = change[0], change[1]
        expect = change[2] if len(change) > 2 else body
        r = stack.request(verb, "/v2/webhooks/" + wid, body, key=key)
        assert r.status == 200, (change, r)
        assert "secret" not in r.json and SEED_SECRET not in r.body
        for k, v in expect.items():
            if v is None and k == "oAuth":
                assert "oAuth" not in r.json, r.json
                base.pop("oAuth", None)
            else:
                base[k] = v
        base["updated"] = r.json["updated"]
        assert fields(r.json) == base, (change, r.json, base)
        assert fields(stack.request("GET", "/v2/webhooks/" + wid, key=key).json) == base
    # an update's invalid field writes nothing
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"description": "ok", "eventTypes": ["nope"]}, key=key)
    assert r.status == 400 and r.json["field"] == "eventTypes[0]", r
    assert fields(stack.request("GET", "/v2/webhooks/" + wid, key=key).json) == base
    # oAuth without privateKey needs a stored key
    r = stack.request("PATCH", "/v2/webhooks/" + wid,
                      {"oAuth": {k: v for k, v in oauth().items() if k != "privateKey"}}, key=key)
    assert r.status == 400 and r.json["field"] == "oAuth.privateKey", r


def test_is_active_true_re_enables_a_disabled_webhook(stack):
    account, key, _ = setup(stack, 0)
    wid = create(stack, key).json["id"]
    stack.sql("UPDATE webhooks SET disabled_reason = 'failing since 3 days', disabled_at = 1779199571923 "
              "WHERE id = '%s'" % wid)
    g = stack.request("GET", "/v2/webhooks/" + wid, key=key).json
    assert g["status"] == "disabled" and g["disabledReason"] == "failing since 3 days"
    assert g["disabledAt"] == "2026-05-19T14:06:11.923Z"
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"description": "still off"}, key=key)
    assert r.json["status"] == "disabled", r
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"isActive": True}, key=key)
    assert r.status == 200 and r.json["status"] == "active", r
    assert r.json["disabledReason"] is None and r.json["disabledAt"] is None
    assert stack.sql("SELECT disabled_at IS NULL FROM webhooks WHERE id = '%s'" % wid)[0][0] == "1"


def dump(stack):
    p = subprocess.run(["mariadb-dump", "--no-defaults", "--socket=" + os.path.join(stack.var, "mysql.sock"),
                        "-uroot", "linehook"], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_secrets_are_shown_once_and_not_stored_in_clear(stack):
    account, key, (loc,) = setup(stack)
    secret = "Zq8-unique-secret-" + "".join(random.choice(string.ascii_letters) for _ in range(16))
    private = oauth()
    r = stack.request("POST", "/v2/webhooks", dict(seed_body(loc), secret=secret, oAuth=private), key=key,
                      headers={"Idempotency-Key": "secret-test"})
    assert r.status == 201 and r.json["secret"] == secret, r
    std = r.json["standardSecret"]
    wid = r.json["id"]
    rot = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % wid, {}, key=key).json["secret"]
    answers = [stack.request("GET", "/v2/webhooks/" + wid, key=key),
               stack.request("GET", "/v2/webhooks", key=key),
               stack.request("GET", "/v2/webhooks?locationId=" + loc, key=key),
               stack.request("PATCH", "/v2/webhooks/" + wid, {"description": "d"}, key=key),
               stack.request("POST", "/v2/webhooks/%s/test" % wid, {}, key=key)]
    for a in answers:
        assert a.status in (200, 202), a
        for s in (secret, std, rot, "secret", "standardSecret", "privateKey", "PRIVATE KEY"):
            assert s not in a.body, (s, a)
    key_body = "".join(private["privateKey"].splitlines()[1:-1])
    data = dump(stack)
    for s in (secret, std[6:], rot, key_body[:40], key_body[-40:]):
        assert s.encode() not in data, s
    assert secret.encode() not in subprocess.run(
        ["mariadb", "--no-defaults", "--socket=" + os.path.join(stack.var, "mysql.sock"), "-uroot", "linehook",
         "-e", "SELECT * FROM webhooks; SELECT * FROM idempotency_keys; SELECT * FROM events"],
        capture_output=True).stdout
    # the rotated secret and the previous one are sealed in their own columns
    row = stack.sql("SELECT LENGTH(secret_enc), LENGTH(prev_secret_enc), prev_secret_expires IS NOT NULL, "
                    "LENGTH(oauth_key_enc) FROM webhooks WHERE id = '%s'" % wid)[0]
    assert int(row[0]) == 12 + len(rot) + 16 and int(row[1]) == 12 + len(secret) + 16 and row[2] == "1", row
    assert int(row[3]) == 12 + len(private["privateKey"]) + 16, row


VERBS = [("GET", ""), ("PUT", ""), ("PATCH", ""), ("POST", ""), ("DELETE", ""), ("POST", "/rotate-secret"),
         ("POST", "/test")]


def test_another_accounts_webhook_is_404_for_every_verb(stack):
    account, key, (loc,) = setup(stack)
    w = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key).json
    before = stack.request("GET", "/v2/webhooks/" + w["id"], key=key).json
    other, okey, _ = setup(stack, 0)
    for verb, suffix in VERBS:
        body = {"description": "mine"} if verb in ("PUT", "PATCH") or (verb == "POST" and not suffix) else None
        r = stack.request(verb, "/v2/webhooks/" + w["id"] + suffix, body, key=okey)
        assert r.status == 404 and r.json["errorCode"] == "not_found", (verb, suffix, r)
        r = stack.request(verb, "/v2/webhooks/AAAAAAAAAAAAAAAAAAAA" + suffix, body, key=key)
        assert r.status == 404, (verb, suffix, r)
    assert stack.request("GET", "/v2/webhooks/" + w["id"], key=key).json == before
    assert stack.request("GET", "/v2/webhooks", key=okey).json["results"] == []
    assert stack.sql("SELECT COUNT(*) FROM events WHERE webhook_id = '%s'" % w["id"])[0][0] == "0"
    r = stack.request("POST", "/v2/webhooks", {"url": "https://example.com/", "locationIds": [loc]}, key=okey)
    assert r.status == 400 and r.json["field"] == "locationIds[0]", r


def test_delete_removes_the_webhook_and_frees_its_slot(stack):
    account, key, (a,) = setup(stack)
    ids = [create(stack, key, locationIds=[a]).json["id"] for _ in range(5)]
    assert create(stack, key, locationIds=[a]).status == 409
    r = stack.request("DELETE", "/v2/webhooks/" + ids[0], key=key)
    assert r.status == 204 and r.body == "", r
    assert stack.request("GET", "/v2/webhooks/" + ids[0], key=key).status == 404
    assert stack.request("DELETE", "/v2/webhooks/" + ids[0], key=key).status == 404
    assert stack.sql("SELECT COUNT(*) FROM webhook_locations WHERE webhook_id = '%s'" % ids[0])[0][0] == "0"
    assert create(stack, key, locationIds=[a]).status == 201


def test_idempotent_create(stack):
    account, key, (loc,) = setup(stack)
    h = {"Idempotency-Key": "create-1"}
    first = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key, headers=h)
    assert first.status == 201, first
    again = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key, headers=h)
    assert again.status == 201 and again.body == first.body, again
    assert count(stack, account) == 1
    # the same key with another body
    r = stack.request("POST", "/v2/webhooks", dict(seed_body(loc), description="other"), key=key, headers=h)
    assert r.status == 409 and r.json["errorCode"] == "idempotency_key_reused", r
    assert count(stack, account) == 1
    # a key is per account; another key creates
    other, okey, (oloc,) = setup(stack)
    assert stack.request("POST", "/v2/webhooks", seed_body(oloc), key=okey, headers=h).status == 201
    assert stack.request("POST", "/v2/webhooks", seed_body(loc), key=key,
                         headers={"Idempotency-Key": "create-2"}).json["id"] != first.json["id"]
    assert count(stack, account) == 2
    # a failed request leaves the key free
    h3 = {"Idempotency-Key": "create-3"}
    assert stack.request("POST", "/v2/webhooks", {"url": "ftp://x/"}, key=key, headers=h3).status == 400
    assert stack.request("POST", "/v2/webhooks", {"url": "https://x.example/"}, key=key, headers=h3).status == 201
    # malformed keys
    for bad in ("a" * 256, "with space"):
        r = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key, headers={"Idempotency-Key": bad})
        assert r.status == 400 and r.json["field"] == "Idempotency-Key", r
    # after 24 hours the key may be used again
    stack.sql("UPDATE idempotency_keys SET created = created - 86400001 WHERE account_id = '%s' "
              "AND idem_key = 'create-1'" % account)
    r = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key, headers=h)
    assert r.status == 201 and r.json["id"] != first.json["id"], r


def test_idempotent_create_under_concurrent_retries(stack):
    account, key, _ = setup(stack, 0)
    h = {"Idempotency-Key": "race"}
    answers = parallel(10, lambda i: stack.request("POST", "/v2/webhooks", {"url": "https://example.com/"},
                                                   key=key, headers=h))
    assert all(a.status == 201 for a in answers), answers
    assert len({a.body for a in answers}) == 1
    assert count(stack, account) == 1


def test_rotate_secret(stack):
    account, key, _ = setup(stack, 0)
    w = create(stack, key, secret="old-secret-0123456789").json
    r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % w["id"], key=key)  # no body at all
    assert r.status == 200, r
    s = r.json["secret"]
    assert len(s) == 24 and s != w["secret"]
    assert r.json["standardSecret"] == "whsec_" + base64.b64encode(s.encode()).decode()
    exp = int(stack.sql("SELECT prev_secret_expires - updated FROM webhooks WHERE id = '%s'" % w["id"])[0][0])
    assert exp == 86400 * 1000, exp
    r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % w["id"],
                      {"secret": "given-secret-0123456789", "overlapSeconds": 604800}, key=key)
    assert r.status == 200 and r.json["secret"] == "given-secret-0123456789", r
    exp = int(stack.sql("SELECT prev_secret_expires - updated FROM webhooks WHERE id = '%s'" % w["id"])[0][0])
    assert exp == 604800 * 1000, exp
    r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % w["id"], {"overlapSeconds": 0}, key=key)
    assert r.status == 200 and r.json["previousSecretExpires"] is None, r
    assert stack.sql("SELECT prev_secret_enc IS NULL FROM webhooks WHERE id = '%s'" % w["id"])[0][0] == "1"
    for body, field in (({"overlapSeconds": 604801}, "overlapSeconds"), ({"overlapSeconds": -1}, "overlapSeconds"),
                        ({"secret": "short"}, "secret"), ({"foo": 1}, "foo")):
        r = stack.request("POST", "/v2/webhooks/%s/rotate-secret" % w["id"], body, key=key)
        assert r.status == 400 and r.json["field"] == field, (body, r)


def test_test_endpoint_emits_a_webhook_test_event(stack):
    account, key, (loc,) = setup(stack)
    w = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key).json
    r = stack.request("POST", "/v2/webhooks/%s/test" % w["id"], key=key)
    assert r.status == 202 and set(r.json) == {"eventId"}, r
    rows = stack.sql("SELECT type, webhook_id, location_id IS NULL, account_id, payload FROM events WHERE id = '%s'"
                     % r.json["eventId"])
    assert len(rows) == 1, rows
    typ, wid, noloc, acc, payload = rows[0]
    assert (typ, wid, noloc, acc) == ("webhook.test", w["id"], "1", account)
    env = json.loads(payload)
    assert env["type"] == "webhook.test" and env["id"] == r.json["eventId"]
    assert env["data"] == stack.request("GET", "/v2/webhooks/" + w["id"], key=key).json
    r = stack.request("POST", "/v2/webhooks/%s/test" % w["id"], {"foo": 1}, key=key)
    assert r.status == 400 and r.json["field"] == "foo", r


def test_openapi_documents_the_webhooks_api_as_it_answers(stack):
    doc = stack.request("GET", "/v2/openapi.json").json
    paths = doc["paths"]
    schemas = doc["components"]["schemas"]
    account, key, (loc,) = setup(stack)
    created = stack.request("POST", "/v2/webhooks", seed_body(loc), key=key)
    wid = created.json["id"]
    calls = {("/v2/webhooks", "post"): created,
             ("/v2/webhooks", "get"): stack.request("GET", "/v2/webhooks", key=key),
             ("/v2/webhooks/{id}", "get"): stack.request("GET", "/v2/webhooks/" + wid, key=key),
             ("/v2/webhooks/{id}", "put"): stack.request("PUT", "/v2/webhooks/" + wid, {}, key=key),
             ("/v2/webhooks/{id}", "patch"): stack.request("PATCH", "/v2/webhooks/" + wid, {}, key=key),
             ("/v2/webhooks/{id}", "post"): stack.request("POST", "/v2/webhooks/" + wid, {}, key=key),
             ("/v2/webhooks/{id}/rotate-secret", "post"):
                 stack.request("POST", "/v2/webhooks/%s/rotate-secret" % wid, {}, key=key),
             ("/v2/webhooks/{id}/test", "post"): stack.request("POST", "/v2/webhooks/%s/test" % wid, {}, key=key)}
    calls[("/v2/webhooks/{id}", "delete")] = stack.request("DELETE", "/v2/webhooks/" + wid, key=key)
    documented = {(p, m) for p, ops in paths.items() if p.startswith("/v2/webhooks")
                  for m in ops if m in ("get", "put", "patch", "post", "delete")}
    documented -= {(p, m) for p, m in documented if "/deliveries" in p or p.endswith("/recover")}
    assert documented == set(calls), documented ^ set(calls)
    for (p, m), r in calls.items():
        responses = paths[p][m]["responses"]
        assert str(r.status) in responses, (p, m, r.status)
        content = responses[str(r.status)].get("content")
        if content:
            check_schema(doc, content["application/json"]["schema"], r.json, "%s %s" % (m, p))
    for name in ("Webhook", "WebhookCreated", "WebhookInput"):
        assert name in schemas, name
    assert set(schemas["WebhookCreated"]["required"]) >= ANSWER_FIELDS | {"secret", "standardSecret"}


def check_schema(doc, schema, value, where):
    """A small subset of JSON Schema: $ref, type, required, properties, items, enum, allOf."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return check_schema(doc, doc["components"]["schemas"][name], value, where)
    for sub in schema.get("allOf", []):
        check_schema(doc, sub, value, where)
    types = schema.get("type")
    if types:
        types = types if isinstance(types, list) else [types]
        py = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
              "integer": int, "number": (int, float)}
        assert any(isinstance(value, py[t]) and not (t == "integer" and isinstance(value, bool))
                   for t in types), (where, types, value)
    if "enum" in schema:
        assert value in schema["enum"], (where, value)
    if isinstance(value, dict):
        for k in schema.get("required", []):
            assert k in value, (where, "missing", k)
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(props), (where, set(value) - set(props))
        for k, v in value.items():
            if k in props:
                check_schema(doc, props[k], v, where + "." + k)
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            check_schema(doc, schema["items"], v, "%s[%d]" % (where, i))


def test_secret_given_in_an_update_replaces_it_without_echo(stack):
    account, key, _ = setup(stack, 0)
    w = create(stack, key).json
    stack.request("POST", "/v2/webhooks/%s/rotate-secret" % w["id"], {}, key=key)
    before = stack.sql("SELECT HEX(secret_enc) FROM webhooks WHERE id = '%s'" % w["id"])[0][0]
    r = stack.request("PATCH", "/v2/webhooks/" + w["id"], {"secret": "replaced-secret-0123"}, key=key)
    assert r.status == 200 and "secret" not in r.json and "replaced-secret" not in r.body, r
    row = stack.sql("SELECT HEX(secret_enc), prev_secret_enc IS NULL, prev_secret_expires IS NULL FROM webhooks "
                    "WHERE id = '%s'" % w["id"])[0]
    assert row[0] != before and row[1:] == ["1", "1"], row
    assert int(len(row[0]) / 2) == 12 + len("replaced-secret-0123") + 16
    r = stack.request("PATCH", "/v2/webhooks/" + w["id"], {"secret": "short"}, key=key)
    assert r.status == 400 and r.json["field"] == "secret", r


# (url, field) refused with the production rules; each is accepted by the test stack's rules
PRODUCTION_REFUSED = [
    ("http://example.com/hook", "url"),
    ("https://127.0.0.1/hook", "url"),
    ("https://[::1]:8443/hook", "url"),
    ("https://10.1.2.3/hook", "url"),
    ("https://169.254.169.254/latest/meta-data/", "url"),
    ("https://[::ffff:192.168.0.1]/", "url"),
    ("https://100.64.0.1/", "url"),
]


def test_production_url_rules_refuse_http_and_non_public_literal_hosts(stack):
    account, key, _ = setup(stack, 0)
    front = Front(stack, {"allow_http_targets": "false", "allow_private_targets": "false"})
    try:
        for url, field in PRODUCTION_REFUSED:
            r = front.request("POST", "/v2/webhooks", {"url": url}, key=key)
            assert r.status == 400 and r.json["field"] == field, (url, r)
            assert r.json["message"].startswith("url: "), r
        r = front.request("POST", "/v2/webhooks", {"url": "https://example.com/", "oAuth": oauth(
            tokenUrl="https://127.0.0.1/token")}, key=key)
        assert r.status == 400 and r.json["field"] == "oAuth.tokenUrl", r
        r = front.request("POST", "/v2/webhooks", {"url": "http://example.com/", "oAuth": oauth()}, key=key)
        assert r.status == 400 and r.json["field"] == "url", r
        assert count(stack, account) == 0
        r = front.request("POST", "/v2/webhooks", {"url": "https://8.8.8.8/hook"}, key=key)
        assert r.status == 201, r
        r = front.request("PATCH", "/v2/webhooks/" + r.json["id"], {"url": "https://127.0.0.1/"}, key=key)
        assert r.status == 400 and r.json["field"] == "url", r
        assert create(stack, key, url="https://127.0.0.1/hook").status == 201  # the test stack allows it
    finally:
        front.close()


def test_a_location_deleted_during_a_webhook_write_is_not_left_in_its_location_ids(stack):
    """The webhook write share-locks the locations it checks: a location delete that holds
    the row first makes the write wait, and once it commits the write finds the location
    gone (400), instead of storing a locationId that no longer exists."""
    from domain_helpers import SqlSession, waiting_for_lock
    from lib import wait_for
    account, key, (loc,) = setup(stack)
    session = SqlSession(stack)
    answer = {}
    try:
        session.say("BEGIN; SELECT id FROM locations WHERE id = '%s' FOR UPDATE" % loc, "ready")
        t = threading.Thread(target=lambda: answer.update(r=create(stack, key, locationIds=[loc])))
        t.start()
        assert len(wait_for(lambda: waiting_for_lock(stack), timeout=20)) == 1  # the write waits for the row
        session.say("DELETE FROM locations WHERE id = '%s'; COMMIT" % loc)
    finally:
        session.close()
    t.join(30)
    r = answer["r"]
    assert r.status == 400 and r.json["field"] == "locationIds[0]", r
    assert count(stack, account) == 0
    assert stack.sql("SELECT COUNT(*) FROM webhook_locations WHERE location_id = '%s'" % loc) == [["0"]]


def test_ordering_and_rate_limit_are_kept_and_changed_alone(stack):
    account, key, (loc,) = setup(stack)
    r = stack.request("POST", "/v2/webhooks", {"url": "https://example.com/a"}, key=key)
    assert r.status == 201 and r.json["ordering"] == "none" and r.json["rateLimit"] is None, r
    r = stack.request("POST", "/v2/webhooks", {"url": "https://example.com/b", "ordering": "fifo", "rateLimit": 1000},
                      key=key)
    assert r.status == 201 and r.json["ordering"] == "fifo" and r.json["rateLimit"] == 1000, r
    wid = r.json["id"]
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"rateLimit": 1}, key=key)
    assert r.status == 200 and r.json["ordering"] == "fifo" and r.json["rateLimit"] == 1, r
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"description": "x"}, key=key)
    assert r.json["ordering"] == "fifo" and r.json["rateLimit"] == 1, r
    r = stack.request("PUT", "/v2/webhooks/" + wid, {"rateLimit": None, "ordering": "none"}, key=key)
    assert r.status == 200 and r.json["ordering"] == "none" and r.json["rateLimit"] is None, r
    r = stack.request("PATCH", "/v2/webhooks/" + wid, {"rateLimit": 0}, key=key)
    assert r.status == 400 and r.json["field"] == "rateLimit", r
    g = stack.request("GET", "/v2/webhooks/" + wid, key=key).json
    assert g["ordering"] == "none" and g["rateLimit"] is None, g
    listed = [w for w in stack.request("GET", "/v2/webhooks", key=key).json["results"] if w["id"] == wid]
    assert listed[0]["ordering"] == "none" and listed[0]["rateLimit"] is None, listed
