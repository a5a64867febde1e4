"""The event catalog (GET /v2/event-types), the OpenAPI document (webhooks section,
operationIds, the 4xx answers it documents, @redocly/cli lint) and the HTTP corrections of
issue 14 (405 with Allow, conflicting credentials), all through the real stack: lighttpd, the
FastCGI app, MariaDB, the worker and a real receiver. Schemas are checked with npm ajv
(draft 2020-12) and the document with npm @redocly/cli, both pinned in package-locks."""
import json
import os
import random
import string
import subprocess
import tempfile

from domain_helpers import api_events, create_location, create_visit
from lib import Receiver, raw_http, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
METHODS = ("get", "put", "patch", "post", "delete")
DOMAIN_TYPES = ["visit.created", "visit.updated", "visit.removed", "location-status.updated", "message.created",
                "message.updated", "location.created", "location.updated", "location.removed", "webhook.test"]
OPERATIONAL_TYPES = ["webhook.disabled", "webhook.recovered"]


def rid():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


def validate(schemas, instances):
    """Runs validate_schemas.mjs (ajv + ajv-formats): per instance, the errors against the
    published schema and against its closed copy (no undeclared property anywhere)."""
    assert os.path.isdir(os.path.join(HERE, "node_modules", "ajv")), \
        "tests/e2e/node_modules/ajv is missing: run scripts/deps.sh"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"schemas": schemas, "instances": instances}, f)
    try:
        p = subprocess.run(["node", os.path.join(HERE, "validate_schemas.mjs"), f.name], capture_output=True,
                           text=True, timeout=300)
    finally:
        os.unlink(f.name)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def catalog(stack):
    r = stack.request("GET", "/v2/event-types")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json"), r
    return {e["name"]: e for e in r.json["results"]}


def openapi_schema(doc, name):
    """components.schemas[name] of the OpenAPI document as a standalone draft 2020-12 schema,
    built here from the document itself (not from the catalog's copy)."""
    text = json.dumps(doc["components"]["schemas"]).replace('"#/components/schemas/', '"#/$defs/')
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/" + name,
            "$defs": json.loads(text)}


def test_event_types_lists_every_type_without_a_key(stack):
    types = catalog(stack)
    doc = stack.request("GET", "/v2/openapi.json").json
    assert list(types) == DOMAIN_TYPES + OPERATIONAL_TYPES, list(types)
    assert doc["components"]["schemas"]["EventType"]["enum"] == list(types)
    for name, e in types.items():
        assert set(e) == {"name", "description", "schema", "example"}, e.keys()
        assert len(e["description"]) > 20 and e["example"]["type"] == name
        schema = e["schema"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["properties"]["type"] == {"const": name}
        assert schema["properties"]["data"], name  # a typed data, not a bare object
        one = stack.request("GET", "/v2/event-types/" + name)
        assert one.status == 200 and one.json == e, one
    r = stack.request("GET", "/v2/event-types/visit.foo")
    assert r.status == 404 and r.json["errorCode"] == "not_found" and "visit.foo" in r.json["message"], r
    r = stack.request("GET", "/v2/event-types?limit=5")
    assert r.status == 400 and r.json["field"] == "limit", r


def test_catalog_examples_validate_and_a_wrong_payload_does_not(stack):
    types = catalog(stack)
    schemas = {name: e["schema"] for name, e in types.items()}
    instances = [{"schema": name, "value": e["example"], "where": name} for name, e in types.items()]
    wrong = json.loads(json.dumps(types["visit.created"]["example"]))
    wrong["data"]["partySize"] = "2"
    extra = json.loads(json.dumps(types["webhook.test"]["example"]))
    extra["data"]["stats"]["undocumented"] = 1
    other = json.loads(json.dumps(types["message.created"]["example"]))
    instances += [{"schema": "visit.created", "value": wrong, "where": "wrong"},
                  {"schema": "webhook.test", "value": extra, "where": "extra"},
                  {"schema": "location.created", "value": other, "where": "other type"}]
    out = {r["where"]: r for r in validate(schemas, instances)}
    for name in types:
        assert out[name]["errors"] == [] and out[name]["closedErrors"] == [], out[name]
    assert any("partySize" in e for e in out["wrong"]["errors"]), out["wrong"]
    assert out["extra"]["errors"] == [] and any("undocumented" in e for e in out["extra"]["closedErrors"]), out
    assert out["other type"]["errors"], out["other type"]


def produce_every_domain_event(stack, key, webhook_id):
    """One event of each domain type and a webhook.test, through the API."""
    loc = create_location(stack, key, name="Catalog front desk", timezone="Europe/Stockholm")
    gone = create_location(stack, key, name="Catalog pop-up")
    assert stack.request("PATCH", "/v2/locations/" + gone["id"], {"name": "Catalog pop-up (closed)"},
                         key=key).status == 200
    assert stack.request("DELETE", "/v2/locations/" + gone["id"], key=key).status in (200, 204)
    visit = create_visit(stack, key, loc["id"], state="WAITING", email="ada@example.com")
    assert stack.request("PATCH", "/v2/visits/" + visit["id"], {"state": "SERVED"}, key=key).status == 200
    r = stack.request("POST", "/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "Ready"}, key=key)
    assert r.status == 201, r
    assert stack.request("PATCH", "/v2/messages/" + r.json["id"], {"state": "SENT"}, key=key).status == 200
    assert stack.request("DELETE", "/v2/visits/" + visit["id"], key=key).status in (200, 204)
    r = stack.request("POST", "/v2/webhooks/%s/test" % webhook_id, {}, key=key)
    assert r.status == 202, r


def test_delivered_payloads_of_every_type_match_the_published_schemas(stack):
    """A real receiver gets one delivery of each type; each delivered body validates against
    its schema from GET /v2/event-types and against the OpenAPI webhooks section's schema,
    both open and closed (every delivered field is documented). GET /v2/events answers the
    same envelopes, typed by the document's Event (one of the types, told apart by type)."""
    account, key = stack.new_account()
    rx = Receiver()
    try:
        r = stack.request("POST", "/v2/webhooks", {"url": rx.url}, key=key)
        assert r.status == 201, r
        produce_every_domain_event(stack, key, r.json["id"])
        got = wait_for(lambda: {json.loads(q["body"])["type"] for q in rx.received()} >= set(DOMAIN_TYPES), 60)
        assert got, sorted({json.loads(q["body"])["type"] for q in rx.received()})
        bodies = [json.loads(q["body"]) for q in rx.received()]
    finally:
        rx.close()
    types = catalog(stack)
    doc = stack.request("GET", "/v2/openapi.json").json
    schemas, instances = {}, []
    for name in DOMAIN_TYPES:
        op = doc["webhooks"][name]["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schemas["catalog " + name] = types[name]["schema"]
        schemas["openapi " + name] = openapi_schema(doc, ref.split("/")[-1])
    for body in bodies:
        assert body["accountId"] == account and body["type"] in DOMAIN_TYPES, body
        for source in ("catalog", "openapi"):
            instances.append({"schema": "%s %s" % (source, body["type"]), "value": body,
                              "where": "%s %s %s" % (source, body["type"], body["id"])})
    schemas["Event"] = openapi_schema(doc, "Event")
    listed = api_events(stack, key)
    assert {e["type"] for e in listed} == set(DOMAIN_TYPES), listed
    instances += [{"schema": "Event", "value": e, "where": "listed " + e["id"]} for e in listed]
    results = validate(schemas, instances)
    assert len(results) == 2 * len(bodies) + len(listed) and len(bodies) >= len(DOMAIN_TYPES)
    for res in results:
        assert res["errors"] == [] and res["closedErrors"] == [], res


def test_openapi_webhooks_section_documents_every_type_with_the_catalog_schema(stack):
    doc = stack.request("GET", "/v2/openapi.json").json
    types = catalog(stack)
    assert list(doc["webhooks"]) == list(types)
    for name, e in types.items():
        op = doc["webhooks"][name]["post"]
        content = op["requestBody"]["content"]["application/json"]
        component = doc["components"]["schemas"][content["schema"]["$ref"].split("/")[-1]]
        assert component["properties"]["type"] == {"const": name}
        # The catalog's schema is the component with what it uses moved under $defs.
        inline = json.loads(json.dumps(component).replace('"#/components/schemas/', '"#/$defs/'))
        assert {k: v for k, v in e["schema"].items() if k not in ("$schema", "$defs")} == inline, name
        assert list(content["examples"].values())[0]["value"] == e["example"]
        params = {p["$ref"].split("/")[-1] for p in op["parameters"]}
        assert {"delivery-webhook-id", "delivery-webhook-signature", "delivery-x-waitwhile-signature"} <= params
        assert "410" in op["responses"] and op["operationId"]


def test_every_operation_has_a_unique_operation_id(stack):
    doc = stack.request("GET", "/v2/openapi.json").json
    ops = [("%s %s" % (m, p), op) for p, item in list(doc["paths"].items()) + list(doc["webhooks"].items())
           for m, op in item.items() if m in METHODS]
    assert all(op.get("operationId") for _, op in ops), [where for where, op in ops if not op.get("operationId")]
    ids = [op["operationId"] for _, op in ops]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(ids) > 50


def test_openapi_document_lints_without_errors(stack):
    """@redocly/cli lint (tests/lint/package-lock.json) on the document the stack serves: no
    error; the only warnings allowed are the missing license and a 4xx on public operations
    that take no input (health, metrics, this document)."""
    cli = os.path.join(ROOT, "tests", "lint", "node_modules", "@redocly", "cli", "bin", "cli.js")
    assert os.path.exists(cli), "tests/lint/node_modules is missing: run scripts/deps.sh"
    doc = stack.request("GET", "/v2/openapi.json").json
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "openapi.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true")
        p = subprocess.run(["node", cli, "lint", "--format", "json", "--max-problems", "1000", path],
                           capture_output=True, text=True, timeout=300, env=env, cwd=d)
    report = json.loads(p.stdout[p.stdout.index("{"):])
    problems = report["problems"]
    errors = [(x["ruleId"], x["location"][0]["pointer"], x["message"]) for x in problems if x["severity"] == "error"]
    assert report["totals"]["errors"] == 0 and not errors, errors
    public = {"/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + m
              for path, item in doc["paths"].items() for m, op in item.items()
              if m in METHODS and op.get("security") == []}
    for x in problems:
        where = x["location"][0]["pointer"].lstrip("#")
        allowed = x["ruleId"] == "info-license" or (
            x["ruleId"] == "operation-4xx-response" and where.rsplit("/", 1)[0] in public)
        assert allowed, (x["ruleId"], where, x["message"])


def fill(path, ids):
    """path with each {param} replaced by the id of its kind in ids (or a random id)."""
    out = []
    for seg in path.split("/"):
        if seg.startswith("{"):
            kind = seg[1:-1]
            if kind == "id":
                kind = out[-1]
            seg = ids.get(kind, rid())
        out.append(seg)
    return "/".join(out)


def real_objects(stack, key):
    """One object of each kind the paths name, by the path segment that precedes its id."""
    rx = Receiver()
    try:
        loc = create_location(stack, key, name="Probe desk")
        visit = create_visit(stack, key, loc["id"])
        msg = stack.request("POST", "/v2/messages", {"visitId": visit["id"], "channel": "SMS", "content": "x"},
                            key=key).json
        wh = stack.request("POST", "/v2/webhooks", {"url": rx.url, "eventTypes": ["webhook.test"]}, key=key).json
        stack.request("POST", "/v2/webhooks/%s/test" % wh["id"], {}, key=key)
        assert wait_for(lambda: rx.received(), 30)
        deliveries = stack.request("GET", "/v2/webhooks/%s/deliveries" % wh["id"], key=key).json["results"]
    finally:
        rx.close()
    return {"locations": loc["id"], "locationId": loc["id"], "visits": visit["id"], "messages": msg["id"],
            "webhooks": wh["id"], "deliveryId": deliveries[0]["id"], "name": "visit.created"}


def test_documented_4xx_answers_are_the_ones_given(stack):
    """Every operation of the document, probed through the real stack: no key (401), two
    different keys (400 conflicting_credentials), a body that is not JSON (415), one over
    max_body_bytes (413), none at all (411), ids that name nothing (404). Each answer is
    one the operation documents, and the shared ones are given where they apply."""
    doc = stack.request("GET", "/v2/openapi.json").json
    _, key = stack.new_account()
    _, other_key = stack.new_account()
    ids = real_objects(stack, key)
    big = json.dumps({"description": "x" * (70 * 1024)})
    checked = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            documented = set(op["responses"])
            where = "%s %s" % (method.upper(), path)
            real = fill(path, ids)

            def probe(expect, p=real, **kw):
                r = stack.request(method.upper(), p, **kw)
                assert str(r.status) in documented, (where, r.status, r.body[:200], sorted(documented))
                assert expect is None or r.status == expect, (where, expect, r)
                assert r.status < 500 and r.headers["content-type"].startswith("application/json"), (where, r)
                return r

            if op.get("security") == []:
                if "{" not in path:
                    assert stack.request("GET", path).status == 200, where
                continue
            probe(401)
            r = probe(400, headers={"apikey": key, "Authorization": "Bearer " + other_key})
            assert r.json["errorCode"] == "conflicting_credentials", (where, r)
            if method in ("post", "put", "patch"):
                probe(415, raw=b"name=x", key=key, headers={"Content-Type": "application/x-www-form-urlencoded"})
                probe(413, raw=big.encode(), key=key, headers={"Content-Type": "application/json"})
                head, _ = raw_http(stack.port, ("%s %s HTTP/1.1\r\nHost: x\r\napikey: %s\r\nConnection: close\r\n\r\n"
                                                % (method.upper(), real, key)).encode())
                assert head.split()[1] in documented, (where, head)
            if "{" in path and method in ("get", "delete"):
                probe(404, p=fill(path, {}), key=key)
            checked += 1
    assert checked > 30, checked


def test_405_names_the_methods_the_path_answers(stack):
    """For every documented path, a method it does not answer gets 405 with the JSON error and
    an Allow header listing exactly the documented methods (HEAD beside GET)."""
    doc = stack.request("GET", "/v2/openapi.json").json
    ids = {"name": "visit.created"}
    for path, item in doc["paths"].items():
        methods = {m.upper() for m in item if m in METHODS}
        expected = methods | ({"HEAD"} if "GET" in methods else set())
        r = stack.request("OPTIONS", fill(path, ids))
        assert r.status == 405 and r.json["errorCode"] == "method_not_allowed", (path, r)
        allow = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
        assert allow == expected, (path, allow, expected)
    r = stack.request("DELETE", "/v2/webhooks")
    assert r.status == 405 and r.headers["allow"] == "POST, GET, HEAD", r.headers


def test_conflicting_credentials_answer_400_and_change_nothing(stack):
    account, key = stack.new_account()
    other_account, other_key = stack.new_account()
    count = "SELECT COUNT(*) FROM locations WHERE account_id IN ('%s', '%s')" % (account, other_account)
    before = stack.sql(count)
    for headers in ({"apikey": key, "Authorization": "Bearer " + other_key},
                    {"apikey": "lh_unknown", "Authorization": "Bearer " + key},
                    {"apikey": key, "Authorization": "bearer  " + key + "x"}):
        r = stack.request("POST", "/v2/locations", {"name": "Both keys"}, headers=headers)
        assert r.status == 400 and r.json["errorCode"] == "conflicting_credentials", (headers, r)
        assert "apikey" in r.json["message"] and key not in r.body and other_key not in r.body, r
    assert stack.sql(count) == before
    # The same key twice is one credential; either header alone works as before.
    r = stack.request("POST", "/v2/locations", {"name": "One key"},
                      headers={"apikey": key, "Authorization": "Bearer " + key})
    assert r.status == 201 and stack.request("GET", "/v2/account", key=other_key).json["id"] == other_account, r
    r = stack.request("GET", "/v2/account", headers={"Authorization": "Basic abc", "apikey": key})
    assert r.status == 200 and r.json["id"] == account, r


# Hosts that may appear in the README and the tests: RFC 2606 / RFC 6761 names for targets
# that are never contacted, loopback, single-label names of URL syntax cases, the links of
# documentation, and the SPEC's known-answer signature vector (its URL stays byte-exact).
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
DOC_HOSTS = {"json-schema.org", "www.npmjs.com", "www.w3.org"}
SPEC_VECTOR = 'sign_waitwhile(&k, "https://" "test.com/test"'.replace('" "', "")


def host_allowed(host):
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if all(label.isdigit() or label.startswith("0x") for label in labels) or "." not in host or host in DOC_HOSTS:
        return True
    return labels[-1] in RESERVED_TLDS or ".".join(labels[-2:]) in ("example.com", "example.org", "example.net")


def test_readme_and_tests_name_only_reserved_hosts(stack):
    import re
    files = [os.path.join(ROOT, "README.md")]
    for d, _, names in os.walk(os.path.join(ROOT, "tests")):
        if "node_modules" not in d and "artifacts" not in d:
            files += [os.path.join(d, n) for n in names if n.endswith((".py", ".c", ".h", ".mjs", ".js", ".md"))]
    bad = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for host in re.findall(r"https?://([A-Za-z0-9][A-Za-z0-9.-]*)", line):
                    if not host_allowed(host) and not (SPEC_VECTOR in line and host == "test.com"):
                        bad.append("%s:%d: %s" % (os.path.relpath(path, ROOT), n, host))
    assert not bad, bad
    assert host_allowed("hooks.example.com") and not host_allowed("test.com") and not host_allowed("a.com")
