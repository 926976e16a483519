"""Hostile requests generated from openapi.yaml: for every operation and every caller (none,
a forged token, buyer, seller, support), bad path and query values, bodies with missing,
extra and wrong-typed members, huge, NUL and invalid-UTF-8 strings, numbers out of range,
forged cursors and bad headers. Every one must be refused with a documented 4xx problem."""
import json
import re

import yaml

from common import Client, problem_defect, psql

METHODS = ("get", "post", "put", "patch", "delete")

# Path ids that name nothing or are not ids at all; none decodes to a valid id.
BAD_IDS = ["0", "-1", "9223372036854775808", "99999999999999999999", "abc", "1%00x", "%00",
           "%zz", "1%", "%ff", "%C0%AF", "1%20", "x" * 300, "%2F", "1.5", "1e3"]
# Query values that are malformed on any parameter.
BAD_VALUES = ["%ff", "%00", "ok%00tail", "%zz", "%", "x" * 5000, "-1", "99999999999999999999",
              "1e3", "true%00", "%ED%A0%80"]
FORGED_CURSORS = ["AAAA", "eyJpZCI6MX0", "v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  "%2E%2E%2F", "a" * 400]


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        node = spec
        for p in path:
            node = node[p]
    return node


def operations(spec):
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                op = item[method]
                params = [resolve(spec, p) for p in shared + op.get("parameters", [])]
                yield method.upper(), path, op, params


def valid_ids():
    """One existing object per kind, for the paths' {id}: the requests then reach the checks
    of their query and body instead of stopping at 404."""
    q = {
        "products": "select min(id) from products",
        "questions": "select min(id) from questions",
        "chats": "select min(id) from chats",
        "templates": "select min(id) from chat_templates",
        "users": "select min(id) from users",
        "files": "select min(id) from files",
        "answers": "select min(id) from answers",
        "notifications": "select min(id) from notifications",
        "postings": "select min(posting_number) from postings",
        "reviews": "select min(id) from reviews",
        "promotions": "select min(id) from promotions",
        "disputes": "select min(id) from disputes",
    }
    return {k: (psql(v) or "1") for k, v in q.items()}


def fill_path(path, ids, override=None):
    kind = path.split("/")[2] if path.startswith("/v1/") else ""

    def sub(m):
        if override is not None:
            return override
        return ids.get(kind, "1")
    return re.sub(r"\{[^}]+\}", sub, path)


def body_schema(spec, op):
    rb = resolve(spec, op.get("requestBody", {}))
    content = rb.get("content", {})
    if "application/json" in content:
        return "json", resolve(spec, content["application/json"].get("schema", {}))
    if content:
        return "raw", None
    return None, None


def unwrap_nullable(spec, schema):
    """A member "X or null" (anyOf/oneOf of a schema and type null) is read as X: its wrong
    values are X's."""
    schema = resolve(spec, schema)
    alts = [resolve(spec, a) for a in schema.get("anyOf", schema.get("oneOf", []))]
    rest = [a for a in alts if a.get("type") != "null"]
    return rest[0] if len(rest) == 1 and len(alts) == 2 else schema


def schema_props(spec, schema):
    """Properties and required names, merged through allOf. A oneOf/anyOf gives every
    branch's properties, and requires only what every branch requires (a chat start needs a
    posting_number in one branch and a product_id in the other: neither is required)."""
    schema = resolve(spec, schema)
    props, required = {}, set()
    for part in schema.get("allOf", []):
        p, r = schema_props(spec, part)
        props.update(p)
        required |= r
    for branches in (schema.get("oneOf", []), schema.get("anyOf", [])):
        if branches:
            for b in branches:
                props.update(schema_props(spec, b)[0])
            required |= set.intersection(*(schema_props(spec, b)[1] for b in branches))
    for k, v in schema.get("properties", {}).items():
        props[k] = unwrap_nullable(spec, v)
    required |= set(schema.get("required", []))
    return props, required


def wrong_values(prop):
    """Values of the wrong type, or out of every range, for one member."""
    t = prop.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"][0] if len([x for x in t if x != "null"]) else "null"
    if t == "string":
        return [12345, True, [], {"a": 1}, "x" * 200000, "nul\u0000inside"]
    if t == "integer":
        return ["12", 1.5, True, [], 2 ** 63, -(2 ** 63) - 1, 10 ** 30]
    if t == "number":
        return ["12", True, []]
    if t == "boolean":
        return ["true", 1, []]
    if t == "array":
        return ["x", {"a": 1}, [None] * 3, list(range(20000))]
    if t == "object":
        return ["x", [], 7]
    return [{"unexpected": [1, 2, 3]}]


def example_body(spec, op, schema):
    rb = resolve(spec, op.get("requestBody", {}))
    media = rb.get("content", {}).get("application/json", {})
    if "example" in media:
        return media["example"]
    for ex in media.get("examples", {}).values():
        ex = resolve(spec, ex)
        if "value" in ex:
            return ex["value"]
    return schema.get("example", {})


def json_variants(spec, op, schema):
    props, required = schema_props(spec, schema)
    # {} is valid where nothing is required, unless a union needs one of its branches
    if required or schema.get("oneOf") or schema.get("anyOf"):
        yield "empty object", b"{}"
    if resolve(spec, op.get("requestBody", {})).get("required"):
        yield "empty body", b""
    yield "not JSON", b"{\"a\":"
    yield "array", b"[]"
    yield "scalar", b"1"
    yield "null", b"null"
    yield "invalid UTF-8", b"{\"text\":\"\xff\xfe\"}"
    yield "NUL escape in a key", b"{\"a\\u0000b\":1}"
    yield "repeated key", b"{\"a\":1,\"a\":2}"
    yield "deep nesting", b"[" * 5000 + b"]" * 5000
    yield "huge number", b"{\"n\":1e400}"
    unknown = {"k%d" % i: i for i in range(3000)}
    yield "3000 unknown members", json.dumps(unknown).encode()
    base = example_body(spec, op, schema)
    if not isinstance(base, dict):
        base = {}
    yield "extra member", json.dumps(dict(base, zz_unknown=1)).encode()
    yield "mass assignment", json.dumps(dict(base, id=1, user_id=1, seller_id=1, role="support",
                                             status="approved", created_at="2020-01-01T00:00:00Z")).encode()
    for name in sorted(required):
        b = dict(base)
        b.pop(name, None)
        yield "without required %s" % name, json.dumps(b).encode()
    for name, prop in sorted(props.items()):
        for v in wrong_values(prop):
            b = dict(base)
            b[name] = v
            label = "%s = %s" % (name, json.dumps(v)[:30])
            yield label, json.dumps(b).encode()


def query_variants(params):
    yield "unknown parameter", "zz_unknown=1"
    yield "nameless parameter", "=1"
    for name in [p["name"] for p in params if p.get("in") == "query"]:
        for v in BAD_VALUES:
            yield "%s=%s" % (name, v[:20]), "%s=%s" % (name, v)
        yield "%s twice" % name, "%s=1&%s=2" % (name, name)
        if name == "cursor":
            for c in FORGED_CURSORS:
                yield "forged cursor %s" % c[:16], "cursor=" + c
    yield "40 parameters", "&".join("p%d=1" % i for i in range(40))


def requests_for(spec, method, path, op, params, ids):
    """(label, target, extra headers, body) of every hostile request for one operation."""
    base_target = fill_path(path, ids)
    path_params = [p for p in params if p.get("in") == "path"]
    if path_params:
        for bad in BAD_IDS:
            yield "path id %s" % bad[:20], fill_path(path, ids, bad), {}, None
    for label, q in query_variants(params):
        yield "query " + label, base_target + "?" + q, {}, None
    kind, schema = body_schema(spec, op)
    if kind == "json":
        for label, body in json_variants(spec, op, schema):
            yield "body " + label, base_target, {"Content-Type": "application/json"}, body
        yield "body as text/plain", base_target, {"Content-Type": "text/plain"}, b"{}"
        yield "body as form", base_target, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1"
    elif kind == "raw":
        yield "file of a refused type", base_target, {"Content-Type": "image/gif"}, b"GIF89a" + b"\0" * 64
        yield "file bytes not of their type", base_target, {"Content-Type": "image/png"}, b"not a png" * 20
        yield "empty file", base_target, {"Content-Type": "image/jpeg"}, b""
    if method in ("POST", "PUT", "PATCH"):
        yield "Idempotency-Key of 300 characters", base_target, {
            "Content-Type": "application/json", "Idempotency-Key": "k" * 300}, b"{\"zz_unknown\":1}"


def documented(op):
    return {str(k) for k in op.get("responses", {})}


def run(tally, tokens, ids, spec):
    """Sends every generated request as every caller; returns how many were sent."""
    clients = Client()
    sent = 0
    for method, path, op, params in operations(spec):
        name = "%s %s" % (method, path)
        codes = documented(op)
        for label, target, headers, body in requests_for(spec, method, path, op, params, ids):
            for role, token in tokens.items():
                h = dict(headers)
                if token:
                    h["Authorization"] = "Bearer " + token
                try:
                    st, rh, data = clients.request(method, target, h, body)
                except Exception as e:  # a dropped connection is an answer outside the contract
                    tally.record("%s: every request answered" % name, False,
                                 "%s as %s: %s" % (label, role, e))
                    continue
                sent += 1
                where = "%s as %s -> %d %s" % (label, role, st, data[:200])
                tally.record("%s: no 5xx" % name, st < 500, where)
                if st >= 400:
                    defect = problem_defect(st, rh, data)
                    tally.record("%s: every refusal is a problem with X-Request-Id" % name,
                                 defect is None, "%s (%s)" % (where, defect))
                tally.record("%s: every status is documented" % name, str(st) in codes, where)
                if method != "GET":
                    tally.record("%s: no hostile request accepted" % name, st >= 400, where)
    clients.close()
    return sent


def load_spec(path):
    with open(path) as f:
        return yaml.safe_load(f)
