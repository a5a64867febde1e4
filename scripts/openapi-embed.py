"""Builds the two documents the API serves from openapi/ and writes them into one C file
(build/gen/openapi.c):

- openapi_json: openapi/base.json merged with every openapi/*.json fragment (paths and
  components, deep), plus what the event catalog gives: the EventType enum, one envelope
  schema per event type (components.schemas.<Type>Event), `Event` (one of them, told apart by
  `type`: what GET /v2/events lists) and the `webhooks` section; and on
  every operation the 4xx answers that the shared request path gives (common_answers).
- event_types_json: the answer of GET /v2/event-types, one entry per type of the catalog
  (openapi/events/catalog.json) with its description, example envelope and a standalone
  JSON Schema (draft 2020-12) of its envelope: the same schemas, with every component it
  uses copied under $defs.

The catalog is the one source of the event types' descriptions, data schemas and examples.
When the output's name ends in .json, the merged OpenAPI document itself is written there
instead (the Debian package ships it as /usr/share/linehook/openapi.json)."""
import copy
import json
import os
import re
import sys

SCHEMA_REF = "#/components/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Headers on every delivery (SPEC §7), documented on each webhook of the document.
DELIVERY_HEADERS = [
    ("webhook-id", True, "The event id: the same on every attempt and every endpoint (deduplicate on it)."),
    ("webhook-timestamp", True, "Unix seconds of this attempt."),
    ("webhook-signature", True, "Standard Webhooks signature: space-separated `v1,<base64 HMAC-SHA256>` of "
     "`id.timestamp.body`, one per secret in force (two during a rotation overlap)."),
    ("X-Waitwhile-Signature", True, "base64(HMAC-SHA256(secret, url + body)) with the newest secret."),
    ("Authorization", False, "`Bearer <token>` when the webhook has `oAuth` set."),
]


def merge(dst, src, where):
    for k, v in src.items():
        if k in dst and isinstance(dst[k], dict) and isinstance(v, dict):
            merge(dst[k], v, where + "/" + k)
        elif k in dst and dst[k] != v:
            sys.exit("openapi: %s/%s defined twice" % (where, k))
        else:
            dst[k] = v


def camel(name):
    """visit.created -> VisitCreated, location-status.updated -> LocationStatusUpdated."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[.-]", name))


def envelope_schema(entry):
    """The envelope of one type: EventEnvelope with a constant type and a typed data."""
    return {"title": entry["name"], "description": entry["description"], "type": "object",
            "allOf": [{"$ref": SCHEMA_REF + "EventEnvelope"}], "required": ["type", "data"],
            "properties": {"type": {"const": entry["name"]}, "data": copy.deepcopy(entry["data"])}}


def webhook_operation(entry, schema_name):
    name = entry["name"]
    return {"post": {
        "operationId": "on" + camel(name),
        "summary": name,
        "description": entry["description"] + " Sent as a signed POST to every matching webhook's url.",
        "security": [],
        "parameters": [{"$ref": "#/components/parameters/delivery-" + h.lower()} for h, _, _ in DELIVERY_HEADERS],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": SCHEMA_REF + schema_name},
            "examples": {name: {"value": entry["example"]}}}}},
        "responses": {
            "2XX": {"description": "Received: any 2xx within the timeout is a success."},
            "410": {"description": "Gone: the webhook is disabled at once."},
            "429": {"description": "Retried later; a Retry-After header is honoured within [delay, 2 x delay]."},
        },
    }}


def add_catalog(doc, catalog):
    schemas = doc["components"]["schemas"]
    names = [e["name"] for e in catalog["eventTypes"]]
    if len(set(names)) != len(names):
        sys.exit("openapi: an event type is listed twice in the catalog")
    schemas["EventType"] = {"type": "string", "enum": names, "description": "An event type (GET /v2/event-types)."}
    params = doc["components"].setdefault("parameters", {})
    for header, required, desc in DELIVERY_HEADERS:
        params["delivery-" + header.lower()] = {"name": header, "in": "header", "required": required,
                                                "description": desc, "schema": {"type": "string"}}
    doc["webhooks"] = {}
    mapping = {}
    for entry in catalog["eventTypes"]:
        if entry["example"]["type"] != entry["name"]:
            sys.exit("openapi: the example of %s has another type" % entry["name"])
        schema_name = camel(entry["name"]) + "Event"
        schemas[schema_name] = envelope_schema(entry)
        doc["webhooks"][entry["name"]] = webhook_operation(entry, schema_name)
        mapping[entry["name"]] = SCHEMA_REF + schema_name
    schemas["Event"] = {"type": "object", "description": "An event envelope with its typed data, as delivered and as GET /v2/events "
                                       "lists it; `type` tells which.",
                        "oneOf": [{"$ref": ref} for ref in mapping.values()],
                        "discriminator": {"propertyName": "type", "mapping": mapping}}


METHODS = ("get", "put", "patch", "post", "delete")
ANSWER_REF = "#/components/responses/"


def common_answers(doc):
    """Adds to each operation the 4xx answers that every request of its kind can get, where
    the fragment does not describe them itself: what fcgi-app/main.c does before the handler
    (authentication, conflicting credentials, the account's rate limit), what reading a body
    does (http_read_json; the web server's 411), and a path parameter naming nothing."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            answers = op.setdefault("responses", {})
            add = []
            if op.get("security") != []:
                add += [("400", "BadRequest"), ("401", "Unauthorized"), ("429", "TooManyRequests")]
            if method in ("put", "patch", "post"):
                add += [("400", "BadRequest"), ("411", "LengthRequired"), ("413", "PayloadTooLarge"),
                        ("415", "UnsupportedMediaType")]
            if "{" in path:
                add.append(("404", "NotFound"))
            for status, name in add:
                answers.setdefault(status, {"$ref": ANSWER_REF + name})


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith(SCHEMA_REF):
            yield node["$ref"][len(SCHEMA_REF):]
        for v in node.values():
            yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def retarget(node):
    """A copy of node whose component references point at $defs."""
    if isinstance(node, dict):
        return {k: ("#/$defs/" + v[len(SCHEMA_REF):] if k == "$ref" and isinstance(v, str) and v.startswith(SCHEMA_REF)
                    else retarget(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [retarget(v) for v in node]
    return node


def standalone(doc, schema):
    """schema as a self-contained draft 2020-12 document: what it uses under $defs."""
    components = doc["components"]["schemas"]
    need, todo = set(), list(refs(schema))
    while todo:
        name = todo.pop()
        if name in need:
            continue
        if name not in components:
            sys.exit("openapi: unknown schema %s" % name)
        need.add(name)
        todo.extend(refs(components[name]))
    out = {"$schema": DIALECT}
    out.update(retarget(schema))
    if need:
        out["$defs"] = {name: retarget(components[name]) for name in sorted(need)}
    return out


def event_types(doc, catalog):
    results = []
    for entry in catalog["eventTypes"]:
        schema = doc["components"]["schemas"][camel(entry["name"]) + "Event"]
        results.append({"name": entry["name"], "description": entry["description"],
                        "schema": standalone(doc, schema), "example": entry["example"]})
    return {"results": results}


def c_array(f, name, text):
    # A byte array, not a string literal: -Wpedantic limits literals to 4095 bytes.
    data = list(text.encode()) + [0]
    f.write("const char %s[] = {\n" % name)
    for i in range(0, len(data), 24):
        f.write("\t%s,\n" % ", ".join(str(b) for b in data[i:i + 24]))
    f.write("};\n")


def main(src_dir, out):
    with open(os.path.join(src_dir, "base.json")) as f:
        doc = json.load(f)
    for name in sorted(os.listdir(src_dir)):
        if name.endswith(".json") and name != "base.json":
            with open(os.path.join(src_dir, name)) as f:
                merge(doc, json.load(f), name)
    with open(os.path.join(src_dir, "events", "catalog.json")) as f:
        catalog = json.load(f)
    add_catalog(doc, catalog)
    common_answers(doc)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if out.endswith(".json"):
        with open(out + ".tmp", "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.replace(out + ".tmp", out)
        return
    with open(out + ".tmp", "w") as f:
        f.write("/* Generated by scripts/openapi-embed.py from openapi/. */\n")
        f.write('#include "fcgi-app/core/openapi.h"\n')
        c_array(f, "openapi_json", json.dumps(doc, separators=(",", ":")))
        c_array(f, "event_types_json", json.dumps(event_types(doc, catalog), separators=(",", ":")))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
