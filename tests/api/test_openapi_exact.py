"""The published OpenAPI (`/cpro/openapi.json`) says what the server does, operation by
operation, so that a client generated from it or a validator put in front of it agrees with
the server:

(a) an operation whose schema says `requestBody.required: true` refuses an empty body with a
    coded 400 — when the server reads an empty body as `{}` and answers, the schema says the
    body is optional;
(b) a body the schema allows is never refused for a reason of form (`API_INVALID_FIELD` and
    its kind): every required field is marked required, enumerations are declared (`enum`),
    and lengths, bounds and formats where the server checks them.

The bodies of (b) are made from the schema itself, deterministically: for each operation the
minimal body (required fields only), then that body with each optional property in turn
(nested objects included) at an ordinary value and, where the schema bounds it, at its bound
(longest string, largest number). Each is checked against the schema before it is sent (the
generator must not lie), then sent by two technical accounts — a private supplier and a
public buyer, every espace open — so that no operation stops at a permission before it reads
its fields. Refusals of business rules (not found, wrong status, not allowed...) are not
form: only the codes in `FORM_CODES` count.

The schema is the stricter side where the server is lenient on purpose (reference §7.4): it
declares canonical values (`Ascendant`, `SIRET`) where the server forgives case and spaces,
integers where it also reads strings of digits, and ignores unknown fields as the server does.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator

import jsonschema
import pytest

from choeur.organisations.models import Espace, OpenEspace
from tests.api.conftest import Wire

pytestmark = pytest.mark.django_db

#: Refusals of a request's form: a schema that allows the body must have announced them.
FORM_CODES = ("API_INVALID_FIELD", "API_MALFORMED_JSON", "API_BODY_NOT_OBJECT",
              "API_PAGE_TOO_LARGE", "API_ORG_UNKNOWN_FIELD", "API_ORG_FIELD_NOT_SEARCHABLE",
              "API_ORG_UNKNOWN_OPERATOR", "API_ORG_INVALID_VALUE", "API_ORG_NO_CRITERION")


#: Enumerations up to this long are sent whole.
ENUM_ALL = 12


def _resolve(node: dict, document: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = document["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _not_null(node: dict, document: dict) -> dict:
    """The non-null branch of an `anyOf [X, null]` (pydantic's Optional)."""
    node = _resolve(node, document)
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if _resolve(b, document).get("type") != "null"]
        if branches:
            return _resolve(branches[0], document)
    return node


def value(node: dict, document: dict, *, bound: bool = False):
    """A valid value of `node`: ordinary, or at its bound (`bound`)."""
    node = _not_null(node, document)
    if "examples" in node:
        return node["examples"][-1 if bound else 0]
    if "enum" in node:
        return node["enum"][-1 if bound else 0]
    if "const" in node:
        return node["const"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return minimal(node, document)
    if kind == "array":
        return [value(node.get("items", {}), document, bound=bound)] * max(
            1, node.get("minItems", 1))
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = node.get("minimum", 0)
        if bound and "maximum" in node:
            return node["maximum"]
        return max(low, 1) if kind == "integer" else float(max(low, 1))
    if kind == "string":
        form = node.get("format")
        if form == "date":
            return "2026-01-15"
        if form == "date-time":
            return "2026-01-15T10:00:00+01:00"
        if "pattern" in node and not re.search(node["pattern"], "x"):
            raise AssertionError(f"a pattern without examples: {node}")
        if bound and "maxLength" in node:
            return "x" * node["maxLength"]
        return "x" * max(1, node.get("minLength", 1))
    return "x"


def minimal(node: dict, document: dict) -> dict:
    """The required properties, and the first of each « one of these » (`allOf: [anyOf]`)."""
    node = _resolve(node, document)
    body = {name: value(node["properties"][name], document)
            for name in node.get("required", ())}
    for choice in node.get("allOf", ()):
        if "anyOf" not in choice:
            continue  # a condition (`if`/`then`): _repaired meets it
        first = choice["anyOf"][0]
        for name in first["required"]:
            body[name] = value(first["properties"][name], document)
    return body


def _some(values: list) -> list:
    """Every value of a short enumeration; of a long one (countries, statuses), the first, the
    last and every seventh (the suite runs twice on a 2-core machine)."""
    if len(values) <= ENUM_ALL:
        return list(values)
    return [*values[:-1:7], values[-1]]


def _values(node: dict, document: dict) -> list:
    """An ordinary value, the bound when there is one, and every value of an enumeration (each
    one published must be accepted)."""
    inner = _not_null(node, document)
    items = _not_null(inner.get("items", {}), document)
    if "enum" in inner:
        return _some(inner["enum"])
    if inner.get("type") == "array" and "enum" in items:
        return [[v] for v in _some(items["enum"])]
    values = [value(node, document)]
    if value(node, document, bound=True) != values[0]:
        values.append(value(node, document, bound=True))
    return values


def _variants(node: dict, document: dict, prefix: tuple = ()) -> Iterator[tuple]:
    """(path, value) of every optional property, nested ones too, ordinary and bounded."""
    node = _not_null(node, document)
    for name, child in node.get("properties", {}).items():
        path = (*prefix, name)
        inner = _not_null(child, document)
        if name not in node.get("required", ()):
            for leaf in _values(child, document):
                yield path, leaf
        if "properties" in inner:
            yield from _variants(inner, document, path)
        elif inner.get("type") == "array" and "properties" in _resolve(inner.get("items", {}),
                                                                       document):
            for sub, leaf in _variants(_resolve(inner["items"], document), document):
                yield (*path, 0, *sub), leaf


def _with(body: dict, path: tuple, leaf, node: dict, document: dict) -> dict:
    body = copy.deepcopy(body)
    here, schema = body, _not_null(node, document)
    for i, step in enumerate(path[:-1]):
        if isinstance(step, int):
            schema = _resolve(schema["items"], document)
            here = here[step]
            continue
        schema = _not_null(schema["properties"][step], document)
        if isinstance(path[i + 1], int):
            here = here.setdefault(step, [minimal(_resolve(schema["items"], document),
                                                  document)])
        else:
            here = here.setdefault(step, minimal(schema, document))
    here[path[-1]] = leaf
    return body


def bodies(operation: dict, document: dict) -> Iterator[tuple[str, dict]]:
    """(what, body) of every body (b) sends for an operation."""
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    base = minimal(schema, document)
    yield "minimal", base
    for path, leaf in _variants(schema, document):
        yield ".".join(map(str, path)) + "=" + json.dumps(leaf)[:40], _with(
            base, path, leaf, schema, document)


def _node_at(schema: dict, path, document: dict) -> dict:
    node = _not_null(schema, document)
    for step in path:
        node = _not_null(node["items"] if isinstance(step, int) else node["properties"][step],
                         document)
    return node


def _repaired(body: dict, validator, schema: dict, document: dict) -> dict | None:
    """A variant made valid by adding what a condition of the schema asks for (`if`/`then`,
    `dependentRequired`): the fields it names, at ordinary values. None if that is not
    enough."""
    body = copy.deepcopy(body)
    for _ in range(3):
        errors = list(validator.iter_errors(body))
        if not errors:
            return body
        missing = [e for e in errors if e.validator in ("required", "dependentRequired")]
        if len(missing) != len(errors):
            return None
        for error in missing:
            here = body
            for step in error.absolute_path:
                here = here[step]
            node = _node_at(schema, error.absolute_path, document)
            for name in re.findall(r"'([^']+)' is a (?:required|dependency)", error.message):
                here.setdefault(name, value(node["properties"][name], document))
    return None


def _code(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.content[:80].decode(errors="replace")
    if isinstance(body, list):  # /cpro/organisations/: [{error, code, message, detail}]
        return " ".join(f"{e.get('code')} - {e.get('message')}" for e in body)
    return str(body.get("libelle") or body.get("error"))


def _is_form(response) -> bool:
    return response.status_code == 400 and _code(response).startswith(FORM_CODES)


@pytest.fixture
def accounts(client, supplier, buyer, victim, engagements, settings) -> list[Wire]:
    for party in (supplier, buyer):
        for espace in Espace.values:
            OpenEspace.objects.get_or_create(structure=party.structure, espace=espace)
    return [Wire(client, supplier), Wire(client, buyer)]


def json_operations(document: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                yield method, path, operation


def mismatches(client, accounts: list[Wire]) -> tuple[list[str], list[str]]:
    """(empty bodies accepted though declared required, schema-valid bodies refused)."""
    document = client.get("/cpro/openapi.json").json()
    schemas = {"components": document["components"]}
    empty_accepted, refused, seen = [], [], set()
    for method, path, operation in json_operations(document):
        name = f"{method.upper()} {path}"
        if operation["requestBody"].get("required"):
            answers = [w.client.generic(method.upper(), path, b"",
                                        content_type="application/json",
                                        headers=w.headers()) for w in accounts]
            if all(a.status_code != 400 for a in answers):
                empty_accepted.append(f"{name}: {[a.status_code for a in answers]}")
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator({**schemas, **schema})
        for what, body in bodies(operation, document):
            if not validator.is_valid(body):
                body = _repaired(body, validator, schema, document)
                if body is None and what == "minimal":
                    raise AssertionError(f"{name}: no valid minimal body")
                if body is None:
                    continue  # a variant the schema forbids (`not`, `maxItems: 0`...)
            for wire in accounts:
                answer = wire.client.generic(method.upper(), path, json.dumps(body),
                                             content_type="application/json",
                                             headers=wire.headers())
                if answer.status_code not in (401, 403) and not _is_form(answer):
                    break  # read past its form: the other account need not try
                if _is_form(answer):
                    if (name, _code(answer)) not in seen:  # one line per reason
                        seen.add((name, _code(answer)))
                        refused.append(f"{name} [{what}]: {_code(answer)[:160]}")
                    break
    return empty_accepted, refused


def test_the_published_schema_says_what_the_server_does(client, accounts):
    empty_accepted, refused = mismatches(client, accounts)
    assert not empty_accepted and not refused, (
        f"{len(empty_accepted)} operations declare a required body and accept an empty one:\n"
        + "\n".join(empty_accepted)
        + f"\n{len({r.split(' [')[0] for r in refused})} operations refuse bodies their "
        f"schema allows ({len(refused)} bodies):\n"
        + "\n".join(refused))
