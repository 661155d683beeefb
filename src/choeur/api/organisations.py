"""Référentiel des organisations — `/cpro/organisations/v1/...`, the REST-style referential
(reference §3.8; [PHP-Z] `ReferentielDesOrganisations.php`, [PY-FE] `chorus_pro.py`).

Operations: `POST siren/recherche`, `POST structures/recherche`, `GET structures/{uuid}`,
`GET structures/{uuid}/services`, `POST services/recherche`, `GET services/{uuid}`,
`GET healthcheck` (an empty 200). Same authentication as every /cpro family (Bearer +
`cpro-account`), but this family answers plain JSON — a list, or one object, without
`codeRetour` — and its own error bodies (api/errors.referential_response): the gateway's
`{"ErrorCode": "401", "Description": "[invalid field]"}` when the caller is refused, and
`[{"error", "code", "message", "detail"}]` otherwise, with HTTP 400 for a reference that does
not exist, as the qualification platform does.

Search bodies: `{<field>: {"op": "=|>|<|>=|<=|IN|CONTAINS", "val": ...}, "_sort": [...],
"_desc": [...], "_fields": [...]}`. Criteria are ANDed; `=` and `IN` on text ignore case,
`CONTAINS` is a case-insensitive substring; a date alone stands for the whole Paris day
(`=` that day, `>` after it, `<=` up to its end). `_sort` orders by its fields in turn,
descending for those also in `_desc` (a field only in `_desc` sorts after the others);
`_fields` keeps only those fields in each answer. At least one criterion is required (as the
platform's documentation says). An unknown field, an operator the field does not take, a value
of the wrong type: a coded 400, nothing searched.

What a caller sees is what `structures/v1/rechercher` lets it see (permissions.directory):
every public structure and its own; services: all of its own structure's, the current ones
(active, within their validity) of public structures (permissions.directory_services). Another
private structure, or a service of it, is "not found", whatever uuid is forged. A structure's
e-mail is given to, and searchable by, its own technical account only.

Bounds: a search answers at most MAX_RESULTS rows, in the order asked (uuid by default); the
header `X-Total-Count` tells how many match, and `_page` (Choeur's, 1 by default) asks for the
next rows. `IN` takes at most MAX_IN_VALUES values.

Mapping onto Choeur's models: `uuid` is the structure's or service's `public_id` (32 hex
digits, as the platform writes them; the dashed form is read too); `typeOrganisation`
`public`/`private` (PUBLIQUE/PRIVEE read too), `status` `active`/`inactive`, `etatService`
`ACTIF`/`INACTIF`; `pays` is the country's French name ("France", as the platform answers),
searched by name or ISO code; dates are Paris date-times with milliseconds. Fields Choeur does
not hold (contactPrincipal, numeroPacage, categorieJuridique...) are known — `_fields` may name
them, they are then absent — but cannot be searched or sorted on. `siren/recherche` searches
the structures identified by a SIRET and gives each one's `siren` (its first nine digits),
searchable with `=` and `IN`.
"""

from __future__ import annotations

import operator
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse
from ninja import Router
from pydantic import ConfigDict

from choeur.api import organisations_schemas as o
from choeur.api.envelope import datetime_wire, paris_day, utc, wire_instant
from choeur.api.errors import ApiError
from choeur.api.isocodes import COUNTRIES
from choeur.api.structures import designation
from choeur.core import clock
from choeur.core.errors import NotFound
from choeur.organisations import permissions
from choeur.organisations.models import IdentifierType, Structure

router = Router(tags=["Organisations"])

#: Rows a search answers at a time (then `_page`).
MAX_RESULTS = 1000
#: Values an `IN` criterion takes.
MAX_IN_VALUES = 100
#: The longest text value read.
MAX_TEXT = 1000

ERRORS = frozenset({400, 403, 405, 413, 500})
RESPONSES_ONE = {401: o.AuthErreurOrg, ERRORS: list[o.ErreurOrg]}


# --- Errors ---------------------------------------------------------------------------------


class UnknownField(ApiError):
    code = "API_ORG_UNKNOWN_FIELD"
    wire_error = "ParamsInvalidField"
    message_fr = "Le champ « {field} » n'existe pas ici. Champs admis : {allowed}."
    message_en = "There is no field “{field}” here. Known fields: {allowed}."


class FieldNotSearchable(ApiError):
    code = "API_ORG_FIELD_NOT_SEARCHABLE"
    wire_error = "ParamsInvalidField"
    message_fr = ("Le champ « {field} » n'est pas tenu par Choeur : il ne peut servir ni de "
                  "critère ni de tri.")
    message_en = ("Choeur does not hold field “{field}”: it can be neither a criterion nor a "
                  "sort key.")


class UnknownOperator(ApiError):
    code = "API_ORG_UNKNOWN_OPERATOR"
    wire_error = "ParamsInvalidOperator"
    message_fr = "L'opérateur « {op} » ne s'applique pas au champ « {field} » (admis : {allowed})."
    message_en = "Operator “{op}” does not apply to field “{field}” (allowed: {allowed})."


class InvalidValue(ApiError):
    code = "API_ORG_INVALID_VALUE"
    wire_error = "ParamsInvalidValue"
    message_fr = "La valeur donnée pour « {field} » ne convient pas : {expected_fr}."
    message_en = "The value given for “{field}” does not fit: {expected_en}."


class NoCriterion(ApiError):
    code = "API_ORG_NO_CRITERION"
    wire_error = "ParamsMissingCriterion"
    message_fr = ("Indiquez au moins un critère de recherche : un champ avec son opérateur et sa "
                  "valeur (op, val).")
    message_en = "Give at least one search criterion: a field with its operator and value."


class InvalidStructureReference(ApiError):
    code = "API_ORG_INVALID_STRUCTURE_REFERENCE"
    wire_error = "ParamsInvalidUuidStructures"
    message_fr = "L'identifiant passé en paramètre n'est ni un UUID, ni un SIRET."
    message_en = "The identifier given is neither a UUID nor a SIRET."


def _invalid(field_name: str, fr: str, en: str) -> InvalidValue:
    return InvalidValue(field=field_name, expected_fr=fr, expected_en=en)


# --- Fields ---------------------------------------------------------------------------------

TEXT_OPS = ("=", ">", "<", ">=", "<=", "IN", "CONTAINS")
ORDER_OPS = ("=", ">", "<", ">=", "<=", "IN")
DATE_OPS = ("=", ">", "<", ">=", "<=")
CHOICE_OPS = ("=", "IN")
COMPARE = {">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}


@dataclass
class Context:
    """What serialising and filtering need to know of the caller."""

    own: frozenset[int]  # the caller's own structure(s)


@dataclass(frozen=True)
class Spec:
    """One wire field: how to read it from a row, and (when `column` is set) how to search
    and sort on it. `kind`: text, int, bool, choice, uuid, instant (a date-time column), day
    (a date column), country, siren."""

    read: Callable[[Any, Context], Any]
    kind: str = "text"
    column: str | None = None
    choices: dict[str, Any] = field(default_factory=dict)  # wire spelling (lower) → value
    own_only: bool = False  # searchable and shown for the caller's own structure only

    @property
    def operators(self) -> tuple[str, ...]:
        return {"text": TEXT_OPS, "int": ORDER_OPS, "instant": DATE_OPS, "day": DATE_OPS,
                "country": ("=", "IN", "CONTAINS"), "bool": ("=",)}.get(self.kind, CHOICE_OPS)


def _attr(name: str) -> Callable[[Any, Context], Any]:
    """A text column, blank read as absent."""
    return lambda row, ctx: getattr(row, name) or None


def _absent(row, ctx) -> None:
    return None


COUNTRY_NAMES = {code: fr for code, fr, _en in COUNTRIES}


def _country_codes(field_name: str, value: str, contains: bool) -> list[str]:
    wanted = value.strip().casefold()
    codes = [code for code, fr, en in COUNTRIES
             if (wanted in fr.casefold() or wanted in en.casefold() if contains
                 else wanted in (code.casefold(), fr.casefold(), en.casefold()))]
    if not codes and not contains:
        raise _invalid(field_name, "un pays (nom ou code ISO, ex. France, FR)",
                       "a country (name or ISO code, e.g. France, FR)")
    return codes


def _hex(value: uuidlib.UUID | None) -> str | None:
    return value.hex if value is not None else None


def _day_start(day) -> str | None:
    if day is None:
        return None
    return datetime_wire(datetime.combine(day, time(), tzinfo=clock.PARIS))


KIND = {"public": Structure.Kind.PUBLIQUE, "publique": Structure.Kind.PUBLIQUE,
        "private": Structure.Kind.PRIVEE, "privee": Structure.Kind.PRIVEE,
        "privée": Structure.Kind.PRIVEE}
STATUS = {"active": True, "actif": True, "inactive": False, "inactif": False}
ETAT_SERVICE = {"actif": True, "inactif": False}

STRUCTURE_FIELDS: dict[str, Spec] = {
    "uuid": Spec(lambda s, c: s.public_id.hex, "uuid", "public_id"),
    "idStructureCPP": Spec(lambda s, c: s.pk, "int", "pk"),
    "libelleOrganisation": Spec(lambda s, c: designation(s) or None, "text", "company_name"),
    "raisonSociale": Spec(_attr("company_name"), "text", "company_name"),
    "nomStructure": Spec(_attr("last_name"), "text", "last_name"),
    "prenomStructure": Spec(_attr("first_name"), "text", "first_name"),
    "identifiant": Spec(_attr("identifier"), "text", "identifier"),
    "typeIdentifiant": Spec(_attr("identifier_type"), "choice", "identifier_type",
                            {v.lower(): v for v in IdentifierType.values}),
    "numeroTvaIntracommunautaire": Spec(_attr("vat_number"), "text", "vat_number"),
    "numeroRcsStructure": Spec(_attr("rcs_number"), "text", "rcs_number"),
    "typeOrganisation": Spec(lambda s, c: "public" if s.is_public else "private", "choice",
                             "kind", KIND),
    "status": Spec(lambda s, c: "active" if s.is_active else "inactive", "choice",
                   "is_active", STATUS),
    "adresse": Spec(_attr("address_line1"), "text", "address_line1"),
    "complementAdresse1": Spec(_attr("address_line2"), "text", "address_line2"),
    "complementAdresse2": Spec(_absent),
    "codePostal": Spec(_attr("postcode"), "text", "postcode"),
    "ville": Spec(_attr("city"), "text", "city"),
    "pays": Spec(lambda s, c: COUNTRY_NAMES.get(s.country, s.country) or None, "country",
                 "country"),
    "adresseElectronique": Spec(lambda s, c: (s.email or None) if s.pk in c.own else None,
                                "text", "email", own_only=True),
    "telephone": Spec(_absent),
    "contactPrincipal": Spec(_absent),
    "organisationParent": Spec(_absent),
    "estCentreGestionAgricole": Spec(lambda s, c: False),
    "gestionNumeroEJOuCodeService": Spec(lambda s, c: s.engagement_or_service_required,
                                         "bool", "engagement_or_service_required"),
    "numeroEjDoitEtreRenseigne": Spec(lambda s, c: s.engagement_required, "bool",
                                      "engagement_required"),
    "codeServiceDoitEtreRenseigne": Spec(lambda s, c: s.service_code_required, "bool",
                                         "service_code_required"),
    "statutMiseEnPaiementNestPasRemonte": Spec(lambda s, c: s.payment_status_not_reported,
                                               "bool", "payment_status_not_reported"),
    "avecMOA": Spec(lambda s, c: s.moa, "bool", "moa"),
    "estMOAUniquement": Spec(lambda s, c: s.moa_only, "bool", "moa_only"),
    "recevoirCyclesViesEdi": Spec(lambda s, c: s.receives_via_edi, "bool", "receives_via_edi"),
    "emetteurFluxEdi": Spec(lambda s, c: s.edi_connection, "bool", "edi_connection"),
    "nonDiffusibleInsee": Spec(lambda s, c: False),
    "numeroPacage": Spec(_absent),
    "categorieFournisseurMemoireId": Spec(_absent),
    "categorieBeneficiaireId": Spec(_absent),
    "categorieJuridique": Spec(_absent),
    "categorieEntreprise": Spec(_absent),
    "structureOrigine": Spec(lambda s, c: s.origin_id, "int", "origin_id"),
    "derniereMaj": Spec(lambda s, c: datetime_wire(s.updated_at), "instant", "updated_at"),
}

SIREN_FIELDS: dict[str, Spec] = {
    **STRUCTURE_FIELDS,
    "siren": Spec(lambda s, c: s.identifier[:9], "siren", "identifier"),
}

SERVICE_FIELDS: dict[str, Spec] = {
    "uuid": Spec(lambda v, c: v.public_id.hex, "uuid", "public_id"),
    "idService": Spec(lambda v, c: v.pk, "int", "pk"),
    "idStructureCPP": Spec(lambda v, c: v.structure_id, "int", "structure_id"),
    "libelle": Spec(_attr("name"), "text", "name"),
    "description": Spec(_attr("description"), "text", "description"),
    "codeService": Spec(_attr("code"), "text", "code"),
    "rattachementOrganisation": Spec(lambda v, c: v.structure.public_id.hex, "uuid",
                                     "structure__public_id"),
    "dateCreation": Spec(lambda v, c: datetime_wire(v.created_at), "instant", "created_at"),
    "dateDebutActivation": Spec(lambda v, c: _day_start(v.valid_from), "day", "valid_from"),
    "dateFinActivation": Spec(lambda v, c: _day_start(v.valid_until), "day", "valid_until"),
    "dateModification": Spec(lambda v, c: datetime_wire(v.updated_at), "instant",
                             "updated_at"),
    "dateSuppression": Spec(_absent),
    "etatService": Spec(lambda v, c: "ACTIF" if v.is_active else "INACTIF", "choice",
                        "is_active", ETAT_SERVICE),
    "adresse": Spec(_attr("address_line1"), "text", "address_line1"),
    "complementAdresse1": Spec(_absent),
    "complementAdresse2": Spec(_absent),
    "codePostal": Spec(_attr("postcode"), "text", "postcode"),
    "ville": Spec(_attr("city"), "text", "city"),
    "pays": Spec(lambda v, c: COUNTRY_NAMES.get(v.structure.country) or None, "country",
                 "structure__country"),
    "telephone": Spec(_absent),
    "numeroEj": Spec(lambda v, c: v.engagement_required, "bool", "engagement_required"),
    "derniereMaj": Spec(lambda v, c: datetime_wire(v.updated_at), "instant", "updated_at"),
}


# --- What the OpenAPI publishes of a search body ------------------------------------------------

_UUID_PATTERN = (r"^\s*(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                 r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\s*$")


def _value_schema(spec: Spec) -> dict:
    """What `_scalar` accepts for one field (in its canonical form)."""
    if spec.kind == "int":
        return {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
    if spec.kind == "bool":
        return {"type": "boolean"}
    if spec.kind == "choice":
        return {"type": "string", "enum": sorted(k for k in spec.choices if k.isascii())}
    if spec.kind == "uuid":
        return {"type": "string", "pattern": _UUID_PATTERN,
                "examples": ["0123456789abcdef0123456789abcdef"]}
    if spec.kind in ("instant", "day"):  # `wire_instant` reads these and a few more forms
        return {"anyOf": [{"type": "string", "format": "date"},
                          {"type": "string", "format": "date-time"}]}
    if spec.kind == "country":
        return {"type": "string", "enum": [code for code, _fr, _en in COUNTRIES]}
    if spec.kind == "siren":
        return {"type": "string", "pattern": r"^[0-9]{9}$", "examples": ["110002011"]}
    return {"type": "string", "maxLength": MAX_TEXT, "pattern": "^[^\\u0000]*$"}


def _criterion_schema(spec: Spec) -> dict:
    """`{"op", "val"}` of one field: its operators, its value (a list of them for IN)."""
    one = _value_schema(spec)
    schema = {"type": "object", "required": ["op", "val"],
              "properties": {"op": {"type": "string", "enum": list(spec.operators)},
                             "val": one}}
    if "IN" in spec.operators:
        many = {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_IN_VALUES}
        schema["properties"]["val"] = {"anyOf": [one, many]}
        schema.update({"if": {"properties": {"op": {"const": "IN"}}},
                       "then": {"properties": {"val": many}},
                       "else": {"properties": {"val": one}}})
    return schema


def search_body(name: str, fields: dict[str, Spec]) -> type[o.RechercheIn]:
    """The body of a search on `fields`, as the server reads it (`criteria`, `ordering`,
    `projection`): its searchable fields, at least one of them, no other; `_fields` among
    all, `_sort`/`_desc` among the sortable. The same model as RechercheIn otherwise."""
    searchable = {n: _criterion_schema(spec) for n, spec in fields.items() if spec.column}
    sortable = [n for n, spec in fields.items() if spec.column and not spec.own_only]

    def published(schema: dict) -> None:
        properties = schema["properties"]
        for key, names in (("_fields", list(fields)), ("_sort", sortable),
                           ("_desc", sortable)):
            properties[key] = {"type": "array", "items": {"type": "string", "enum": names}}
        properties["_page"] = {"type": "integer", "minimum": 1, "maximum": 1_000_000}
        properties.update(searchable)
        schema.pop("additionalProperties", None)
        schema["additionalProperties"] = False
        schema["allOf"] = [{"anyOf": [{"required": [n], "properties": {n: c}}
                                      for n, c in searchable.items()]}]

    config = ConfigDict(**{**o.RechercheIn.model_config, "json_schema_extra": published,
                           "title": name})
    return type(name, (o.RechercheIn,), {"model_config": config, "__module__": __name__,
                                         "__doc__": o.RechercheIn.__doc__})


RechercheSiren = search_body("RechercheSiren", SIREN_FIELDS)
RechercheStructures = search_body("RechercheStructures", STRUCTURE_FIELDS)
RechercheServices = search_body("RechercheServices", SERVICE_FIELDS)


# --- Criteria -------------------------------------------------------------------------------


def _text(name: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a SIRET sent as a number
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        # (NUL: no database column holds it; PostgreSQL refuses it outright.)
        raise _invalid(name, f"un texte (au plus {MAX_TEXT} caractères, sans NUL)",
                       f"a text (at most {MAX_TEXT} characters, no NUL)")
    return value.strip()


def _scalar(name: str, spec: Spec, value: Any) -> Any:
    """The value of one criterion as the column holds it."""
    kind = spec.kind
    if kind in ("text", "country", "siren"):
        return _text(name, value)
    if kind == "int":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 58391.0 is an integer for JSON Schema too
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise _invalid(name, "un nombre entier positif", "a positive integer")
        return value
    if kind == "bool":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise _invalid(name, "true ou false", "true or false")
        return value
    if kind == "choice":
        if isinstance(value, bool) and value in spec.choices.values():
            return value  # `status` as a boolean ([PHP-Z] RechercheFieldBoolean)
        if isinstance(value, str) and value.strip().lower() in spec.choices:
            return spec.choices[value.strip().lower()]
        allowed = ", ".join(sorted({k for k in spec.choices if k.isascii()}))
        raise _invalid(name, "une valeur parmi " + allowed, "one of " + allowed)
    if kind == "uuid":
        try:
            return uuidlib.UUID(_text(name, value))
        except ValueError:
            raise _invalid(name, "un uuid (32 chiffres hexadécimaux)",
                           "a uuid (32 hexadecimal digits)") from None
    read = wire_instant(value) if isinstance(value, str) else None
    if read is None:
        raise _invalid(name, "une date (AAAA-MM-JJ) ou une date-heure ISO 8601",
                       "a date (YYYY-MM-DD) or an ISO 8601 date-time")
    return read


def _one(name: str, spec: Spec, op: str, value: Any) -> Q:
    """The Q of `<field> <op> <value>` for one value (IN is an OR of `=`)."""
    column = spec.column
    value = _scalar(name, spec, value)
    if spec.kind == "day":  # a date column: the Paris day of the value
        day = paris_day(value[0])
        return Q(**{column: day}) if op == "=" else Q(**{f"{column}__{COMPARE[op]}": day})
    if spec.kind == "instant":
        instant, whole_day = value
        if not whole_day:
            return Q(**{column: instant}) if op == "=" else Q(
                **{f"{column}__{COMPARE[op]}": instant})
        # A date alone: the whole Paris day, from its midnight to the next (23 or 25 hours
        # on the days the clocks change).
        start = utc(instant)
        try:
            end = utc(datetime.combine(instant.date() + timedelta(days=1), time(),
                                       tzinfo=clock.PARIS))
        except OverflowError:  # 9999-12-31 has no next day
            end = utc(datetime.max.replace(tzinfo=clock.PARIS))
        return {"=": Q(**{f"{column}__gte": start, f"{column}__lt": end}),
                ">": Q(**{f"{column}__gte": end}), ">=": Q(**{f"{column}__gte": start}),
                "<": Q(**{f"{column}__lt": start}), "<=": Q(**{f"{column}__lt": end})}[op]
    if spec.kind == "country":
        return Q(**{f"{column}__in": _country_codes(name, value, op == "CONTAINS")})
    if spec.kind == "siren":
        if not (len(value) == 9 and value.isdigit()):
            raise _invalid(name, "un SIREN (9 chiffres)", "a SIREN (9 digits)")
        return Q(**{f"{column}__startswith": value})
    if op == "CONTAINS":
        return Q(**{f"{column}__icontains": value})
    if op == "=":
        return Q(**{f"{column}__iexact" if spec.kind == "text" else column: value})
    return Q(**{f"{column}__{COMPARE[op]}": value})


def criteria(body: o.RechercheIn, fields: dict[str, Spec], ctx: Context) -> Q:
    """The Q of a search body's criteria (ANDed); a coded error for anything unknown."""
    found = Q()
    extra = body.model_extra or {}
    if not extra:
        raise NoCriterion()
    for name, criterion in extra.items():
        spec = _searchable(name, fields)
        if not isinstance(criterion, dict) or "op" not in criterion or "val" not in criterion:
            raise _invalid(name, 'un objet {"op": ..., "val": ...}',
                           'an object {"op": ..., "val": ...}')
        op = criterion["op"].strip().upper() if isinstance(criterion["op"], str) else None
        if op not in spec.operators:
            raise UnknownOperator(op=criterion["op"], field=name,
                                  allowed=", ".join(spec.operators))
        value = criterion["val"]
        if op == "IN":
            if not isinstance(value, list) or not 0 < len(value) <= MAX_IN_VALUES:
                raise _invalid(name, f"une liste de 1 à {MAX_IN_VALUES} valeurs",
                               f"a list of 1 to {MAX_IN_VALUES} values")
            q = reduce(operator.or_, (_one(name, spec, "=", item) for item in value))
        else:
            q = _one(name, spec, op, value)
        if spec.own_only:
            q &= Q(pk__in=ctx.own)
        found &= q
    return found


def _known(name: Any, fields: dict[str, Spec]) -> Spec:
    if not isinstance(name, str) or name not in fields:
        raise UnknownField(field=str(name)[:100], allowed=", ".join(fields))
    return fields[name]


def _searchable(name: Any, fields: dict[str, Spec]) -> Spec:
    spec = _known(name, fields)
    if spec.column is None:
        raise FieldNotSearchable(field=name)
    return spec


def ordering(body: o.RechercheIn, fields: dict[str, Spec]) -> list[str]:
    """`_sort` then the fields only in `_desc`, each descending when in `_desc`; the primary
    key last, so that pages never overlap."""
    descending = list(body.desc or [])
    order = []
    for name in [*(body.sort or []), *descending]:
        spec = _searchable(name, fields)
        if spec.own_only:
            raise FieldNotSearchable(field=name)
        column = spec.column
        key = "-" + column if name in descending else column
        if key not in order:
            order.append(key)
    return [*order, "pk"] if order else ["public_id"]


def projection(body: o.RechercheIn, fields: dict[str, Spec]) -> list[str]:
    wanted = body.fields or []
    for name in wanted:
        _known(name, fields)
    return list(dict.fromkeys(wanted)) or list(fields)


def serialise(row, fields: dict[str, Spec], names: list[str], ctx: Context) -> dict:
    values = {name: fields[name].read(row, ctx) for name in names}
    return {name: value for name, value in values.items() if value is not None}


def search(found: QuerySet, body: o.RechercheIn, fields: dict[str, Spec], ctx: Context,
           response: HttpResponse) -> list[dict]:
    """One page (MAX_RESULTS rows) of `found` narrowed by the body; `X-Total-Count`."""
    names = projection(body, fields)
    found = found.filter(criteria(body, fields, ctx))
    order = ordering(body, fields)
    page = 1 if body.page is None else body.page
    if not 1 <= page <= 1_000_000:
        raise _invalid("_page", "un numéro de page de 1 à 1000000",
                       "a page number from 1 to 1000000")
    start = (page - 1) * MAX_RESULTS
    rows = list(found.order_by(*order)[start:start + MAX_RESULTS + 1])
    full = len(rows) > MAX_RESULTS
    rows = rows[:MAX_RESULTS]
    total = found.count() if full or (start and not rows) else start + len(rows)
    response["X-Total-Count"] = str(total)
    return [serialise(row, fields, names, ctx) for row in rows]


def context(actor) -> Context:
    return Context(own=frozenset(
        permissions.visible_structures(actor).values_list("pk", flat=True)))


def _uuid(value: str) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(value.strip())
    except ValueError:
        return None


def structure_named(actor, reference: str) -> Structure:
    """A structure the actor may look up, by uuid or by SIRET (the platform takes both)."""
    reference = (reference or "").strip()
    named = _uuid(reference)
    if named is not None:
        found = Q(public_id=named)
    elif len(reference) == 14 and reference.isdigit():
        found = Q(identifier=reference, identifier_type=IdentifierType.SIRET)
    else:
        raise InvalidStructureReference()
    structure = permissions.directory(actor).filter(found).first()
    if structure is None:
        raise NotFound(object_label="Structure")
    return structure


# --- Operations -----------------------------------------------------------------------------


@router.get("/healthcheck", operation_id="organisationsHealthcheck",
            response={200: None, **RESPONSES_ONE})
def healthcheck(request):
    """An empty 200 when the caller is let in ([PHP-Z] `healthCheck`: `'' == body`)."""
    return HttpResponse(status=200, content=b"")


@router.post("/siren/recherche", operation_id="rechercherSiren", exclude_none=True,
             response={200: list[o.SirenOrg], **RESPONSES_ONE})
def rechercher_siren(request, payload: RechercheSiren, response: HttpResponse):
    """Structures identified by a SIRET, each with its SIREN."""
    actor = request.auth
    found = permissions.directory(actor).filter(identifier_type=IdentifierType.SIRET)
    return search(found, payload, SIREN_FIELDS, context(actor), response)


@router.post("/structures/recherche", operation_id="rechercherStructuresOrganisation",
             exclude_none=True, response={200: list[o.StructureOrg], **RESPONSES_ONE})
def rechercher_structures(request, payload: RechercheStructures, response: HttpResponse):
    actor = request.auth
    return search(permissions.directory(actor), payload, STRUCTURE_FIELDS, context(actor),
                  response)


@router.get("/structures/{uuid}", operation_id="consulterStructureOrganisation",
            exclude_none=True, response={200: o.StructureOrg, **RESPONSES_ONE})
def consulter_structure(request, uuid: str):
    """One structure, by uuid or by SIRET."""
    actor = request.auth
    structure = structure_named(actor, uuid)
    return serialise(structure, STRUCTURE_FIELDS, list(STRUCTURE_FIELDS), context(actor))


@router.get("/structures/{uuid}/services", operation_id="servicesStructureOrganisation",
            exclude_none=True, response={200: list[o.ServiceOrg], **RESPONSES_ONE})
def services_structure(request, uuid: str, response: HttpResponse):
    """The services of one structure the caller may see (all of its own, the current ones of
    a public structure), by code; at most MAX_RESULTS, `X-Total-Count` says how many."""
    actor = request.auth
    structure = structure_named(actor, uuid)
    found = (permissions.directory_services(actor).filter(structure=structure)
             .select_related("structure").order_by("code", "pk"))
    rows = list(found[:MAX_RESULTS + 1])
    response["X-Total-Count"] = str(found.count() if len(rows) > MAX_RESULTS else len(rows))
    ctx = context(actor)
    return [serialise(row, SERVICE_FIELDS, list(SERVICE_FIELDS), ctx)
            for row in rows[:MAX_RESULTS]]


@router.post("/services/recherche", operation_id="rechercherServicesOrganisation",
             exclude_none=True, response={200: list[o.ServiceOrg], **RESPONSES_ONE})
def rechercher_services(request, payload: RechercheServices, response: HttpResponse):
    actor = request.auth
    found = permissions.directory_services(actor).select_related("structure")
    return search(found, payload, SERVICE_FIELDS, context(actor), response)


@router.get("/services/{uuid}", operation_id="consulterServiceOrganisation",
            exclude_none=True, response={200: o.ServiceOrg, **RESPONSES_ONE})
def consulter_service(request, uuid: str):
    actor = request.auth
    named = _uuid(uuid)
    service = None
    if named is not None:
        service = (permissions.directory_services(actor).select_related("structure")
                   .filter(public_id=named).first())
    if service is None:
        # The platform answers NotFoundReference for any reference it cannot find,
        # well-formed or not ([PHP-Z] testConsulterService).
        raise NotFound(object_label="Service")
    return serialise(service, SERVICE_FIELDS, list(SERVICE_FIELDS), context(actor))

