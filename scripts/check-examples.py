#!/usr/bin/python3
"""Checks that openapi.yaml shows real values, not placeholders, and names what its ids name.

Run with Debian's python3 and python3-yaml (scripts/deps.sh):

    scripts/check-examples.py [openapi.yaml]

Each rule below prints one "ok N - ..." line when every spot it checks passes, or one
"not ok N - ..." line followed by every failing spot as a JSON pointer into the document
(`#/paths/~1v1~1chats/get/parameters/1`, RFC 6901 escaping) and why. The run closes with
"N passed, N failed" (one per rule) and exits 1 when any rule failed.

Rules
 1. members: every scalar member of a schema has an example. A member is an entry of a
    schema's `properties`, in components and inline (request and answer bodies, parameters,
    webhooks), found by walking `properties`, `items`, `prefixItems`, `additionalProperties`
    and the branches of `allOf`/`oneOf`/`anyOf`. A member is scalar when its type (less
    `null`) is string, integer, number or boolean, or when it has only `enum`/`const`; an
    array member whose items are scalar counts too (it needs an example on the array or on
    its items). The example is `example` or `examples` on the member or on the schema it
    `$ref`s (followed through chains). A `const` is its own example (it is the only value,
    and documentation shows it); an `enum` alone is not: it says what is allowed, not which
    value a real answer is likely to carry.
 2. parameters: every parameter (components, path level and operation level) and every
    header of an answer has an example: `example`/`examples` on it or on its schema
    (through `$ref`).
 3. answers: every answer with a body has, for each media type, `example`/`examples` on the
    media type, or a schema whose own `example`/`examples` (through `$ref`) covers the whole
    body. Binary bodies (a schema of `format: binary` or with `contentMediaType`/
    `contentEncoding`) are exempt: their bytes cannot be written into a YAML document.
 4. ids: every id-like member (`id`, `*_id`, and any member whose schema is the shared `Id`
    schema, e.g. `account`, `created_by`) and parameter (`id` and `*_id` in path or query)
    has a description of its own that says what the id names. It fails when the
    description is missing or only inherited from a shared schema (the `Id` schema's "A 64-bit
    identifier." names nothing), when it is generic (only words like "id", "identifier",
    "unique", "the", "object", "resource", e.g. "Identifier" or "The id"; the first
    sentence alone counts, so "Id. A value that is not an integer answers 404." is generic
    too), or when one text is shared by `*_id` members of different names (`seller_id` and
    `buyer_id` both "User id") or by `{id}` path parameters of different collections.
 5. valid: every example validates against the schema it illustrates: schema `example`/
    `examples`, parameter and header examples, and media-type examples of request and answer
    bodies (named examples through `#/components/examples`). A small JSON Schema 2020-12
    validator is built in (Debian's python3 has no jsonschema here): `$ref` with sibling
    keywords, boolean schemas, type (integers are not booleans), enum, const, pattern,
    min/maxLength in code points, minimum/maximum and their exclusive forms, multipleOf,
    format (date-time, date, email, uri, uuid, int32, int64), required, properties,
    additionalProperties, propertyNames, min/maxProperties, dependentRequired, items,
    prefixItems, min/maxItems, uniqueItems, allOf, anyOf, oneOf (exactly one), not and
    if/then/else. The document is read as YAML 1.2, as Redocly and the documentation tools
    read it (`Yes`, `on` and `12:30` are strings, not a boolean and a number), except that
    an unquoted timestamp fails: the project's other tools read YAML 1.1, so quote it.
 6. self-test: rules 1 to 5 run on a small contract with planted flaws (SELF_TEST_DOC: a
    member, a parameter and an answer without an example, an id that inherits its text,
    ids sharing "User id.", a generic "The id.", examples breaking maxLength, pattern,
    minimum, required, enum and a YAML timestamp) must report exactly those spots.

Composed schemas (allOf/oneOf/anyOf)
 - A member whose schema is composed is scalar when every branch (less `type: 'null'`) is.
   Its example may sit on the member itself; otherwise, for `allOf`, an example on any
   branch shows a value (it must still satisfy all of them: rule 5); for `oneOf`/`anyOf`
   every non-null branch must have one, since a reader may meet any of them.
 - The members of each branch are members of the composed schema and are checked where
   they are declared (a component's members once, in the component).
 - A branch that names again a member its composing schema declares ("one of text,
   attachment_ids, template_id is required") only constrains it: it is checked where declared.
 - `if`, `then`, `else`, `not`, `propertyNames` and `dependentSchemas` only constrain the
   members declared elsewhere (e.g. `amount: false` or a restated `$ref`), so their
   `properties` are not members and are not checked by rules 1 and 4.
 - Rule 3 takes an example on a composed body schema itself as covering the body, but not
   an example on one of its branches: that covers one shape only.
"""
import datetime
import json
import math
import re
import sys

import yaml

SCALARS = {"string", "integer", "number", "boolean"}
# words that name nothing: a description made only of these is generic
GENERIC_WORDS = {
    "a", "an", "the", "its", "this", "that", "of", "for", "id", "ids", "identifier",
    "identifiers", "unique", "64", "bit", "64-bit", "int64", "integer", "number",
    "numeric", "positive", "object", "resource", "record", "entity", "item", "key",
    "internal", "primary", "database", "value", "string",
}
ID_SCHEMA = "#/components/schemas/Id"  # the shared id type: its members are ids too
CONSTRAINT_KEYS = {"if", "then", "else", "not", "propertyNames", "dependentSchemas"}


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1; Redocly and the documentation renderers read 1.2, where only
    true/false are booleans and integers have no `_` or base-60 forms. Timestamps stay
    dates, so that rule 5 can ask for quotes (see the header)."""


Yaml12Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))


def construct_int12(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", construct_int12)


def esc(part):
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(parts):
    if isinstance(parts, str):
        return parts
    return "#/" + "/".join(esc(p) for p in parts)


class Doc:
    def __init__(self, root):
        self.root = root

    def get(self, ref):
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise KeyError(f"only local references are supported: {ref!r}")
        node = self.root
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            else:
                node = node[part]
        return node

    def deref(self, node, limit=50):
        """Follows a chain of $ref (parameters, answers, examples, headers, schemas)."""
        while isinstance(node, dict) and "$ref" in node and limit > 0:
            node = self.get(node["$ref"])
            limit -= 1
        return node

    def chain(self, schema, limit=50):
        """The schema and every schema it $refs, nearest first."""
        out = []
        while isinstance(schema, dict) and limit > 0:
            out.append(schema)
            if "$ref" not in schema:
                break
            schema = self.get(schema["$ref"])
            limit -= 1
        return out

    def lookup(self, schema, key):
        """A keyword as seen through $ref: the nearest schema that has it wins."""
        for s in self.chain(schema):
            if key in s:
                return s[key], s
        return None, None


def has_example(node):
    return isinstance(node, dict) and ("example" in node or "examples" in node)


def type_set(doc, schema):
    t, _ = doc.lookup(schema, "type")
    if t is None:
        return None
    return {t} if isinstance(t, str) else set(t)


def branches(doc, schema):
    """(keyword, branches) of the nearest composition in the $ref chain, or (None, [])."""
    for s in doc.chain(schema):
        for kw in ("allOf", "oneOf", "anyOf"):
            if isinstance(s.get(kw), list):
                return kw, s[kw]
    return None, []


def is_null_schema(doc, schema):
    ts = type_set(doc, schema)
    return ts == {"null"}


def is_scalar(doc, schema, depth=0):
    if depth > 20 or not isinstance(schema, dict):
        return False
    ts = type_set(doc, schema)
    if ts is not None:
        rest = ts - {"null"}
        return bool(rest) and rest <= SCALARS
    kw, brs = branches(doc, schema)
    if kw:
        real = [b for b in brs if not is_null_schema(doc, b)]
        return bool(real) and all(is_scalar(doc, b, depth + 1) for b in real)
    for key in ("enum", "const"):
        v, _ = doc.lookup(schema, key)
        if v is not None:
            vals = v if key == "enum" else [v]
            return all(not isinstance(x, (dict, list)) for x in vals)
    return False


def is_scalar_array(doc, schema):
    ts = type_set(doc, schema)
    if ts is None or "array" not in ts:
        return False
    items, _ = doc.lookup(schema, "items")
    return isinstance(items, dict) and is_scalar(doc, items)


def example_through(doc, schema, depth=0):
    """Whether the schema shows an example: its own, through $ref, or per the composition
    rules in the header."""
    if depth > 20 or not isinstance(schema, dict):
        return False
    for s in doc.chain(schema):
        if has_example(s) or "const" in s:
            return True
    kw, brs = branches(doc, schema)
    if kw == "allOf":
        return any(example_through(doc, b, depth + 1) for b in brs)
    if kw in ("oneOf", "anyOf"):
        real = [b for b in brs if not is_null_schema(doc, b)]
        return bool(real) and all(example_through(doc, b, depth + 1) for b in real)
    return False


# ---------------------------------------------------------------- walking the document


def walk_schema(doc, schema, parts, visit, owner, declared=()):
    """Calls visit(name, member_schema, parts, owner) for each member declared in `schema`
    (not in schemas it $refs: those are walked as components). owner names the object the
    members belong to (a component or a member name). declared: the members the schema that
    composes this branch declares itself; a branch that names them again only constrains them
    ("exactly one of these is present") and is not where they are declared."""
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, member in props.items():
            if name in declared:
                continue
            mparts = parts + ["properties", name]
            visit(name, member, mparts, owner)
            walk_schema(doc, member, mparts, visit, name)
    for key in ("items", "additionalProperties", "contains", "unevaluatedProperties"):
        if isinstance(schema.get(key), dict):
            walk_schema(doc, schema[key], parts + [key], visit, owner)
    own = tuple(props) if isinstance(props, dict) else ()
    for key in ("prefixItems", "allOf", "oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            for i, b in enumerate(schema[key]):
                walk_schema(doc, b, parts + [key, i], visit, owner, own if key != "prefixItems" else ())
    for key in ("$defs", "patternProperties"):
        if isinstance(schema.get(key), dict):
            for k, b in schema[key].items():
                walk_schema(doc, b, parts + [key, k], visit, owner)
    # CONSTRAINT_KEYS are skipped on purpose (see the header)


OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(root):
    """(parts, path_item) for paths and webhooks."""
    for section in ("paths", "webhooks"):
        for path, item in (root.get(section) or {}).items():
            if isinstance(item, dict):
                yield [section, path], path, item


def all_schemas(doc):
    """(parts, schema, owner) for every schema root: components and inline."""
    root = doc.root
    comps = root.get("components") or {}
    for name, s in (comps.get("schemas") or {}).items():
        yield ["components", "schemas", name], s, name
    for parts, param in all_parameters(doc):
        if isinstance(param, dict) and isinstance(param.get("schema"), dict):
            yield parts + ["schema"], param["schema"], param.get("name", "")
    for parts, media in all_media(doc):
        if isinstance(media.get("schema"), dict):
            yield parts + ["schema"], media["schema"], ""
    for parts, header in all_headers(doc):
        if isinstance(header.get("schema"), dict):
            yield parts + ["schema"], header["schema"], ""


def all_parameters(doc):
    """(parts, parameter) for each parameter declared (not each $ref to one)."""
    comps = doc.root.get("components") or {}
    for name, p in (comps.get("parameters") or {}).items():
        if "$ref" not in p:
            yield ["components", "parameters", name], p
    for parts, _path, item in operations(doc.root):
        for i, p in enumerate(item.get("parameters") or []):
            if "$ref" not in p:
                yield parts + ["parameters", i], p
        for op in OPERATIONS:
            for i, p in enumerate((item.get(op) or {}).get("parameters") or []):
                if "$ref" not in p:
                    yield parts + [op, "parameters", i], p


def parameter_uses(doc):
    """(parts, parameter, path) for every use of a parameter, $refs resolved."""
    for parts, path, item in operations(doc.root):
        for i, p in enumerate(item.get("parameters") or []):
            yield parts + ["parameters", i], doc.deref(p), path
        for op in OPERATIONS:
            for i, p in enumerate((item.get(op) or {}).get("parameters") or []):
                yield parts + [op, "parameters", i], doc.deref(p), path


def all_responses(doc):
    """(parts, response) for each answer declared (not each $ref to one)."""
    comps = doc.root.get("components") or {}
    for name, r in (comps.get("responses") or {}).items():
        if "$ref" not in r:
            yield ["components", "responses", name], r
    for parts, _path, item in operations(doc.root):
        for op in OPERATIONS:
            for code, r in ((item.get(op) or {}).get("responses") or {}).items():
                if isinstance(r, dict) and "$ref" not in r:
                    yield parts + [op, "responses", str(code)], r


def all_request_bodies(doc):
    comps = doc.root.get("components") or {}
    for name, b in (comps.get("requestBodies") or {}).items():
        if "$ref" not in b:
            yield ["components", "requestBodies", name], b
    for parts, _path, item in operations(doc.root):
        for op in OPERATIONS:
            b = (item.get(op) or {}).get("requestBody")
            if isinstance(b, dict) and "$ref" not in b:
                yield parts + [op, "requestBody"], b


def all_media(doc):
    for parts, r in list(all_responses(doc)) + list(all_request_bodies(doc)):
        for mt, media in (r.get("content") or {}).items():
            if isinstance(media, dict):
                yield parts + ["content", mt], media


def all_headers(doc):
    comps = doc.root.get("components") or {}
    for name, h in (comps.get("headers") or {}).items():
        if "$ref" not in h:
            yield ["components", "headers", name], h
    for parts, r in all_responses(doc):
        for name, h in (r.get("headers") or {}).items():
            if isinstance(h, dict) and "$ref" not in h:
                yield parts + ["headers", name], h


def members(doc):
    """(name, member_schema, parts, owner) for every member of every schema."""
    out = []
    for parts, schema, owner in all_schemas(doc):
        walk_schema(doc, schema, parts, lambda n, m, p, o: out.append((n, m, p, o)), owner)
    return out


# ---------------------------------------------------------------- rules 1 to 4


def rule_members(doc):
    checked, bad = 0, []
    for name, member, parts, _owner in members(doc):
        if not isinstance(member, dict):
            continue
        if is_scalar(doc, member):
            checked += 1
            if not example_through(doc, member):
                bad.append((parts, "scalar member without an example"))
        elif is_scalar_array(doc, member):
            checked += 1
            items, _ = doc.lookup(member, "items")
            if not example_through(doc, member) and not example_through(doc, items):
                bad.append((parts, "list of scalars without an example"))
    return checked, bad


def rule_parameters(doc):
    checked, bad = 0, []
    spots = [(p, x, "parameter") for p, x in all_parameters(doc)]
    spots += [(p, x, "header") for p, x in all_headers(doc)]
    for parts, param, kind in spots:
        checked += 1
        if has_example(param):
            continue
        schema = param.get("schema")
        if isinstance(schema, dict) and example_through(doc, schema):
            continue
        bad.append((parts, f"{kind} without an example"))
    return checked, bad


def is_binary(doc, schema):
    if not isinstance(schema, dict):
        return False
    fmt, _ = doc.lookup(schema, "format")
    cmt, _ = doc.lookup(schema, "contentMediaType")
    cen, _ = doc.lookup(schema, "contentEncoding")
    return fmt == "binary" or cmt is not None or cen is not None


def rule_answers(doc):
    checked, bad = 0, []
    for parts, r in all_responses(doc):
        for mt, media in (r.get("content") or {}).items():
            if not isinstance(media, dict):
                continue
            schema = media.get("schema")
            if is_binary(doc, schema):
                continue
            checked += 1
            if has_example(media):
                continue
            if isinstance(schema, dict) and any(has_example(s) for s in doc.chain(schema)):
                continue
            bad.append((parts + ["content", mt], "answer body without an example"))
    return checked, bad


def words(text):
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())


def is_generic(text):
    ws = words(text)
    return not ws or all(w in GENERIC_WORDS for w in ws)


def id_spots(doc):
    """(parts, description or None, own, subject) for each id-like member and parameter.
    subject tells which ids must not share a text: the X of `X_id`, the collection of a
    path's `{id}`, or None (an `id` member: what it names is its owner, not comparable)."""
    out = []
    for name, member, parts, _owner in members(doc):
        if not isinstance(member, dict):
            continue
        if not (name == "id" or name.endswith("_id") or member.get("$ref") == ID_SCHEMA):
            continue
        own = member.get("description")
        if own is not None:
            out.append((parts, own, True, name if name != "id" else None))
        else:
            inherited, _ = doc.lookup(member, "description")
            if inherited is None:
                kw, brs = branches(doc, member)
                for b in brs:
                    inherited, _ = doc.lookup(b, "description")
                    if inherited:
                        break
            out.append((parts, inherited, False, name if name != "id" else None))
    # parameters: judged once where declared, compared by where they are used
    subjects = {}
    for parts, param, path in parameter_uses(doc):
        name = param.get("name", "")
        if param.get("in") not in ("path", "query"):
            continue
        if not (name == "id" or name.endswith("_id")):
            continue
        if param.get("in") == "path" and name == "id":
            segs = path.split("/")
            i = segs.index("{id}") if "{id}" in segs else len(segs)
            subj = "/".join(segs[:i])
        else:
            subj = name
        subjects.setdefault(id(param), set()).add(subj)
    for parts, param in all_parameters(doc):
        if id(param) not in subjects:
            continue
        desc = param.get("description")
        for subj in sorted(subjects[id(param)]):
            out.append((parts, desc, desc is not None, "param:" + subj))
    return out


def first_sentence(text):
    return re.split(r"(?<=[.;:])\s", text.strip(), maxsplit=1)[0]


def rule_ids(doc):
    spots = id_spots(doc)
    bad = []
    by_text = {}
    seen = set()
    for parts, desc, own, subject in spots:
        key = pointer(parts)
        if not own or desc is None:
            if key not in seen:
                bad.append((parts, "id without a description of its own"
                            + (f" (inherits {desc.strip()!r})" if desc else "")))
                seen.add(key)
            continue
        if is_generic(desc) or is_generic(first_sentence(desc)):
            if key not in seen:
                bad.append((parts, f"generic id description {desc.strip()!r}"))
                seen.add(key)
            continue
        if subject is not None:
            by_text.setdefault(desc.strip(), []).append((parts, subject))
    for text, uses in by_text.items():
        kinds = {s for _, s in uses}
        if len(kinds) > 1:
            for parts, subject in uses:
                key = pointer(parts)
                if key not in seen:
                    names = ", ".join(sorted(k.replace("param:", "") for k in kinds))
                    bad.append((parts, f"id description {text!r} shared by ids naming "
                                       f"different things ({names})"))
                    seen.add(key)
    return len({pointer(p) for p, *_ in spots}), bad


# ---------------------------------------------------------------- rule 5: validation

DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def type_ok(v, t):
    jt = json_type(v)
    if t == "number":
        return jt in ("integer", "number")
    if t == "integer" and jt == "number":
        return float(v).is_integer()
    return jt == t


def equal(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


class Validator:
    def __init__(self, doc):
        self.doc = doc

    def errors(self, schema, v, where="", depth=0):
        """A list of (where in the value, message)."""
        if depth > 60:
            return []
        if schema is True or schema is None:
            return []
        if schema is False:
            return [(where, "no value is allowed here")]
        if not isinstance(schema, dict):
            return []
        errs = []
        if isinstance(v, (datetime.date, datetime.datetime)):
            return [(where, f"{v} was read as a date by YAML: quote it")]
        if "$ref" in schema:
            errs += self.errors(self.doc.get(schema["$ref"]), v, where, depth + 1)
        s = schema
        if "type" in s:
            ts = [s["type"]] if isinstance(s["type"], str) else s["type"]
            if not any(type_ok(v, t) for t in ts):
                errs.append((where, f"{json_type(v)} is not of type {'/'.join(ts)}"))
                return errs
        if "enum" in s and not any(equal(v, e) for e in s["enum"]):
            errs.append((where, f"{v!r} is not one of {s['enum']}"))
        if "const" in s and not equal(v, s["const"]):
            errs.append((where, f"{v!r} is not {s['const']!r}"))
        if isinstance(v, str):
            errs += self.string(s, v, where)
        if json_type(v) in ("integer", "number"):
            errs += self.number(s, v, where)
        if isinstance(v, dict):
            errs += self.object(s, v, where, depth)
        if isinstance(v, list):
            errs += self.array(s, v, where, depth)
        for sub in s.get("allOf") or []:
            errs += self.errors(sub, v, where, depth + 1)
        if isinstance(s.get("anyOf"), list):
            if not any(not self.errors(b, v, where, depth + 1) for b in s["anyOf"]):
                errs.append((where, "matches no branch of anyOf"))
        if isinstance(s.get("oneOf"), list):
            n = sum(1 for b in s["oneOf"] if not self.errors(b, v, where, depth + 1))
            if n != 1:
                errs.append((where, f"matches {n} branches of oneOf, not exactly one"))
        if "not" in s and not self.errors(s["not"], v, where, depth + 1):
            errs.append((where, "matches the schema under not"))
        if "if" in s:
            if not self.errors(s["if"], v, where, depth + 1):
                if "then" in s:
                    errs += self.errors(s["then"], v, where, depth + 1)
            elif "else" in s:
                errs += self.errors(s["else"], v, where, depth + 1)
        return errs

    def string(self, s, v, where):
        errs = []
        n = len(v)  # code points
        if "minLength" in s and n < s["minLength"]:
            errs.append((where, f"{v!r} is shorter than {s['minLength']}"))
        if "maxLength" in s and n > s["maxLength"]:
            errs.append((where, f"{v!r} is longer than {s['maxLength']}"))
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append((where, f"{v!r} does not match {s['pattern']!r}"))
        fmt = s.get("format")
        checks = {"date-time": DATE_TIME, "email": EMAIL, "uri": URI, "uuid": UUID}
        if fmt in checks and not checks[fmt].match(v):
            errs.append((where, f"{v!r} is not a {fmt}"))
        if fmt == "date":
            try:
                datetime.date.fromisoformat(v)
            except ValueError:
                errs.append((where, f"{v!r} is not a date"))
        if fmt == "date-time" and DATE_TIME.match(v):
            try:
                datetime.datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
            except ValueError:
                errs.append((where, f"{v!r} is not a real date-time"))
        return errs

    def number(self, s, v, where):
        errs = []
        if "minimum" in s and v < s["minimum"]:
            errs.append((where, f"{v} is less than {s['minimum']}"))
        if "maximum" in s and v > s["maximum"]:
            errs.append((where, f"{v} is more than {s['maximum']}"))
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
            errs.append((where, f"{v} is not more than {s['exclusiveMinimum']}"))
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]:
            errs.append((where, f"{v} is not less than {s['exclusiveMaximum']}"))
        if "multipleOf" in s:
            q = v / s["multipleOf"]
            if not math.isclose(q, round(q)):
                errs.append((where, f"{v} is not a multiple of {s['multipleOf']}"))
        bounds = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
        if s.get("format") in bounds:
            lo, hi = bounds[s["format"]]
            if not lo <= v <= hi or not float(v).is_integer():
                errs.append((where, f"{v} is not an {s['format']}"))
        return errs

    def object(self, s, v, where, depth):
        errs = []
        for k in s.get("required") or []:
            if k not in v:
                errs.append((where, f"required member {k!r} is missing"))
        props = s.get("properties") or {}
        for k, x in v.items():
            sub = f"{where}/{esc(k)}"
            if k in props:
                errs += self.errors(props[k], x, sub, depth + 1)
            elif "additionalProperties" in s:
                errs += self.errors(s["additionalProperties"], x, sub, depth + 1)
            if "propertyNames" in s:
                errs += self.errors(s["propertyNames"], k, sub, depth + 1)
        if "minProperties" in s and len(v) < s["minProperties"]:
            errs.append((where, f"fewer than {s['minProperties']} members"))
        if "maxProperties" in s and len(v) > s["maxProperties"]:
            errs.append((where, f"more than {s['maxProperties']} members"))
        for k, needed in (s.get("dependentRequired") or {}).items():
            if k in v:
                for n in needed:
                    if n not in v:
                        errs.append((where, f"{k!r} needs {n!r}"))
        return errs

    def array(self, s, v, where, depth):
        errs = []
        prefix = s.get("prefixItems") or []
        for i, x in enumerate(v):
            if i < len(prefix):
                errs += self.errors(prefix[i], x, f"{where}/{i}", depth + 1)
            elif "items" in s:
                errs += self.errors(s["items"], x, f"{where}/{i}", depth + 1)
        if "minItems" in s and len(v) < s["minItems"]:
            errs.append((where, f"fewer than {s['minItems']} items"))
        if "maxItems" in s and len(v) > s["maxItems"]:
            errs.append((where, f"more than {s['maxItems']} items"))
        if s.get("uniqueItems"):
            seen = [json.dumps(x, sort_keys=True) for x in v]
            if len(set(seen)) != len(seen):
                errs.append((where, "items are not unique"))
        return errs


def schema_nodes(doc):
    """(parts, schema) for every schema object anywhere under a schema root, constraint
    keywords included (an example may sit anywhere)."""
    out = []

    def rec(s, parts):
        if not isinstance(s, dict):
            return
        out.append((parts, s))
        for key in ("items", "additionalProperties", "contains", "not", "if", "then",
                    "else", "propertyNames", "unevaluatedProperties"):
            if isinstance(s.get(key), dict):
                rec(s[key], parts + [key])
        for key in ("prefixItems", "allOf", "oneOf", "anyOf"):
            for i, b in enumerate(s.get(key) or []):
                rec(b, parts + [key, i])
        for key in ("properties", "$defs", "patternProperties", "dependentSchemas"):
            for k, b in (s.get(key) or {}).items():
                rec(b, parts + [key, k])

    for parts, schema, _owner in all_schemas(doc):
        rec(schema, parts)
    return out


def named_examples(doc, examples):
    """(name, value) of an `examples` map, $refs resolved; externalValue ones skipped."""
    for name, ex in (examples or {}).items():
        ex = doc.deref(ex)
        if isinstance(ex, dict) and "value" in ex:
            yield name, ex["value"]


def rule_valid(doc):
    val = Validator(doc)
    checked, bad = 0, []

    def check(parts, schema, value):
        nonlocal checked
        checked += 1
        for where, msg in val.errors(schema, value)[:5]:
            bad.append((parts, (f"at {where}: " if where else "") + msg))

    for parts, s in schema_nodes(doc):
        if "example" in s:
            check(parts + ["example"], s, s["example"])
        if isinstance(s.get("examples"), list):
            for i, x in enumerate(s["examples"]):
                check(parts + ["examples", i], s, x)
        elif "examples" in s:
            bad.append((parts + ["examples"], "a schema's examples must be a list"))
    objs = [(p, x) for p, x in all_parameters(doc)] + [(p, x) for p, x in all_headers(doc)]
    objs += list(all_media(doc))
    for parts, obj in objs:
        schema = obj.get("schema")
        if not isinstance(schema, dict):
            continue
        if "example" in obj:
            check(parts + ["example"], schema, obj["example"])
        if isinstance(obj.get("examples"), dict):
            for name, value in named_examples(doc, obj["examples"]):
                check(parts + ["examples", name], schema, value)
    return checked, bad


# A contract with one planted flaw of each kind (and clean spots beside them): rule 6 runs
# rules 1 to 5 on it and expects exactly these spots, so a checker that stopped catching
# something (or started flagging clean spots) fails the run, not just the contract.
SELF_TEST_DOC = r"""
openapi: 3.1.0
info: {title: planted flaws, version: '1'}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, description: The id., example: 7,
         schema: {$ref: '#/components/schemas/Id'}}
    get:
      parameters:
        - {name: limit, in: query, description: Page size., schema: {type: integer, minimum: 1}}
        - {name: q, in: query, description: Search., example: toolong,
           schema: {type: string, maxLength: 3}}
      responses:
        '200':
          description: No example.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '201':
          description: An example missing `name`, with a status out of the enum.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {id: 1, status: lost}
components:
  schemas:
    Id: {type: integer, minimum: 1, description: A 64-bit identifier., examples: [42]}
    Label: {type: string, examples: [Fragile]}
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {$ref: '#/components/schemas/Id'}
        seller_id: {$ref: '#/components/schemas/Id', description: User id., examples: [2]}
        buyer_id: {$ref: '#/components/schemas/Id', description: User id., examples: [3]}
        owner_id: {$ref: '#/components/schemas/Id', description: The owner's account., examples: [4]}
        name: {type: string}
        status: {type: string, enum: [new, done], examples: [new]}
        code: {type: string, pattern: '^[A-Z]+$', examples: [ab]}
        count: {type: integer, minimum: 1, examples: [0]}
        when: {type: string, format: date-time, examples: [2026-11-22T08:07:00Z]}
        kind: {oneOf: [{type: string, examples: [a]}, {type: integer}]}
        size: {oneOf: [{type: string, examples: [L]}, {type: integer, examples: [3]}, {type: 'null'}]}
        tags: {type: array, items: {type: string}}
        label: {allOf: [{$ref: '#/components/schemas/Label'}]}
        fixed: {type: string, const: x}
"""
SELF_TEST_EXPECTED = {
    "members": ["#/components/schemas/Thing/properties/name",
                "#/components/schemas/Thing/properties/kind",
                "#/components/schemas/Thing/properties/tags"],
    "parameters": ["#/paths/~1things~1{id}/get/parameters/0"],
    "answers": ["#/paths/~1things~1{id}/get/responses/200/content/application~1json"],
    "ids": ["#/components/schemas/Thing/properties/id",
            "#/components/schemas/Thing/properties/seller_id",
            "#/components/schemas/Thing/properties/buyer_id",
            "#/paths/~1things~1{id}/parameters/0"],
    "valid": ["#/paths/~1things~1{id}/get/parameters/1/example",
              "#/components/schemas/Thing/properties/code/examples/0",
              "#/components/schemas/Thing/properties/count/examples/0",
              "#/components/schemas/Thing/properties/when/examples/0",
              "#/paths/~1things~1{id}/get/responses/201/content/application~1json/example"],
}


def rule_self_test(_doc):
    planted = Doc(yaml.load(SELF_TEST_DOC, Loader=Yaml12Loader))
    bad = []
    for name, _what, rule in RULES[:5]:
        _checked, found = rule(planted)
        got = {pointer(p) for p, _ in found}
        want = set(SELF_TEST_EXPECTED[name])
        for spot in sorted(want - got):
            bad.append((spot, f"planted flaw not caught by rule {name}"))
        for spot in sorted(got - want):
            bad.append((spot, f"clean spot flagged by rule {name}"))
    return sum(len(v) for v in SELF_TEST_EXPECTED.values()), bad


RULES = [
    ("members", "every scalar schema member has an example", rule_members),
    ("parameters", "every parameter and answer header has an example", rule_parameters),
    ("answers", "every answer body has an example", rule_answers),
    ("ids", "every id says what it names", rule_ids),
    ("valid", "every example validates against its schema", rule_valid),
    ("self-test", "rules 1 to 5 catch each flaw planted in a small contract", rule_self_test),
]


def main(argv):
    path = argv[1] if len(argv) > 1 else "openapi.yaml"
    with open(path, encoding="utf-8") as f:
        doc = Doc(yaml.load(f, Loader=Yaml12Loader))
    passed = failed = 0
    for n, (name, what, rule) in enumerate(RULES, 1):
        checked, bad = rule(doc)
        if bad:
            failed += 1
            print(f"not ok {n} - {name}: {what}: {len(bad)} of {checked} spots fail")
            for parts, why in bad:
                print(f"    {pointer(parts)}: {why}")
        else:
            passed += 1
            print(f"ok {n} - {name}: {what} ({checked} spots)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
