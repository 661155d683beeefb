"""Check a response body against a definition of the official Swagger files.

`conforms(body, "WsRetourRechercherStructure")` validates with jsonschema (Swagger 2.0
definitions are JSON Schema draft 4) and, unlike the Swagger, refuses any property the
definition does not name: a misspelt wire field would otherwise pass unseen. The few extras
Choeur sends on purpose, because real answers carry them (reference §3.2), are listed here.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import jsonschema

SWAGGER = Path(__file__).resolve().parents[3] / "shared" / "reference" / "swagger"

#: Properties Choeur adds to an official definition, and why.
EXTRAS = {
    # Real rechercher/services answers carry the service dates (OCA comment, Pastell test).
    "ServiceExpose": {"dateDbtService", "dateFinService"},
}


def _strict(definitions: dict) -> dict:
    strict = copy.deepcopy(definitions)
    for name, definition in strict.items():
        if definition.get("type") == "object" and "properties" in definition:
            for extra in EXTRAS.get(name, ()):
                definition["properties"].setdefault(extra, {})
            definition["additionalProperties"] = False
    return strict


@cache
def _document(name: str) -> dict:
    document = json.loads((SWAGGER / f"{name}.json").read_text(encoding="utf-8"))
    return {"definitions": _strict(document["definitions"]), "paths": document["paths"]}


def definition_names(document: str = "structures") -> set[str]:
    return set(_document(document)["definitions"])


def conforms(body: dict, definition: str, document: str = "structures") -> dict:
    """Raise jsonschema.ValidationError unless `body` is a valid `definition`."""
    schema = {"$ref": f"#/definitions/{definition}",
              "definitions": _document(document)["definitions"]}
    jsonschema.Draft4Validator(schema).validate(body)
    return body


def response_definition(path: str, document: str = "structures") -> str:
    """The definition the Swagger gives for an operation's 200 answer."""
    paths = _document(document)["paths"]
    return paths[path]["post"]["responses"]["200"]["schema"]["$ref"].rsplit("/", 1)[-1]
