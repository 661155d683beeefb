"""The Chorus Pro envelope (reference §1.3, §1.4, §7.4, §7.5).

Every answer carries `codeRetour` (0 when all went well) and `libelle` (`TRA_MSG_00.000`)
at its top level, beside the operation's own fields. Lists come one page at a time with
`parametresRetour {pageCourante, pages, nbResultatsParPage, total}`.

Input is read leniently, as real clients send it (§7.4): unknown fields are ignored, integer
ids may come as strings, an empty string stands for "absent", `triSense` is read as `triSens`
and `"Ascendant "` is trimmed. What cannot be read is refused with a coded error (errors.py),
never silently truncated: a page larger than `MAX_PAGE_SIZE` is refused, not shortened.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, BinaryIO, ClassVar

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from ninja.parser import Parser
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    create_model,
    field_validator,
)

from choeur.api import errors
from choeur.core import clock

OK_CODE = 0
OK_LIBELLE = "TRA_MSG_00.000"

#: Page size when the client names none (Chorus Pro's own default).
DEFAULT_PAGE_SIZE = 10
#: The largest page a client may ask for: OCA asks services 10,000 at a time (§7.7).
MAX_PAGE_SIZE = 10_000
#: Beyond this a page number is nonsense (and an OFFSET overflow on SQLite).
MAX_PAGE_NUMBER = 1_000_000
INT64_MAX = 2**63 - 1


def ok(**fields: Any) -> dict[str, Any]:
    """A successful answer: the envelope and the operation's fields (None values left out)."""
    return {"codeRetour": OK_CODE, "libelle": OK_LIBELLE,
            **{k: v for k, v in fields.items() if v is not None}}


def ok_with_file(field: str, source: BinaryIO) -> StreamingHttpResponse:
    """`ok(**{field: base64 of source's bytes})`, written while it is sent: the file (a
    download of up to 120 MB) is never in memory, neither whole nor as base64 text (a
    rendered JSON answer would hold it four times). `source` is closed at the end."""
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    head = (json.dumps(ok())[:-1] + f", {json.dumps(field)}: \"").encode()

    def body():
        try:
            yield head
            rest = b""
            while chunk := source.read(BASE64_CHUNK):
                chunk = rest + chunk
                whole = len(chunk) - len(chunk) % 3  # base64 pieces join only on 3 bytes
                rest = chunk[whole:]
                yield base64.b64encode(chunk[:whole])
            yield base64.b64encode(rest) + b'"}'
        finally:
            source.close()

    response = StreamingHttpResponse(body(), content_type="application/json; charset=utf-8")
    response["Content-Length"] = str(len(head) + 4 * math.ceil(size / 3) + 2)
    # Closed with the response too (as Django's FileResponse does): a client gone before the
    # first byte never starts the generator, whose `finally` would then never run.
    response._resource_closers.append(source.close)
    return response


#: Bytes read at a time by ok_with_file (a multiple of 3).
BASE64_CHUNK = 3 * 256 * 1024


def no_result(code: int, libelle: str, **fields: Any) -> dict[str, Any]:
    """An empty search where Chorus Pro answers HTTP 200 with a "no result" code (§7.5)."""
    return {"codeRetour": code, "libelle": libelle,
            **{k: v for k, v in fields.items() if v is not None}}


# --- Lenient input types ------------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def _to_text(value: Any) -> Any:
    """A SIRET or a code sent as a JSON number is read as its text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    return value


#: A wire date: `YYYY-MM-DD`, or a date-time with a `T` or a space, optional seconds and
#: fraction, optional offset (`Z`, `+01:00`, `+0100`) — every form of reference §1.5 and of
#: the Swagger (`2024-01-15T00:00:00.000Z`), PHP's `Y-m-d\TH:i:sO`, Pastell's `...T23:59:59`.
_WIRE_DATE = re.compile(
    r"(?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?)?", re.IGNORECASE)


def wire_instant(value: str) -> tuple[datetime, bool] | None:
    """`(instant, whole_day)` of a wire date or date-time, None when it is neither. A date
    alone is the start of that day in Paris (`whole_day` True); a date-time without offset
    is Paris time."""
    match = _WIRE_DATE.fullmatch(value.strip())
    if match is None:
        return None
    try:
        day = date.fromisoformat(match["day"])
        if match["time"] is None:
            return datetime.combine(day, datetime.min.time(), tzinfo=clock.PARIS), True
        hours, minutes, *rest = match["time"].replace(",", ".").split(":")
        seconds, _, fraction = (rest[0] if rest else "0").partition(".")
        offset = match["offset"]
        if offset is None:
            zone = clock.PARIS
        elif offset.upper() == "Z":
            zone = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]),
                                             minutes=int(digits[2:] or 0)))
        instant = datetime(day.year, day.month, day.day, int(hours), int(minutes),
                           int(seconds), int((fraction + "000000")[:6]), tzinfo=zone)
    except ValueError:  # 2024-02-30, 25:00, an offset of +24:00...
        return None
    # In UTC: RFC 3339 allows any offset up to ±23:59, PostgreSQL's timestamptz only ±15:59
    # ("time zone displacement out of range"); the instant is the same.
    return utc(instant), False


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; the first or last instant Python holds when it falls outside (a
    search from 0001-01-01T00:00:00+01:00 is a search from the beginning)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        if moment.year == 1:
            return datetime.min.replace(tzinfo=UTC)
        return datetime.max.replace(tzinfo=UTC)


def paris_day(moment: datetime) -> date:
    """The Paris day `moment` falls on (the first or last day at the ends of the calendar)."""
    try:
        return moment.astimezone(clock.PARIS).date()
    except OverflowError:
        return date.min if moment.year == 1 else date.max


def _day(value: Any) -> Any:
    """A wire date (`wire_instant`) as the Paris day it falls on: `2024-01-15`,
    `2024-01-15T00:00:00.000Z` and `2024-01-14T23:00:00.000Z` (a client that sent Paris
    midnight in UTC) are all the 15th. Anything else is left to pydantic, which refuses it
    (API_INVALID_FIELD)."""
    value = _blank_to_none(value)
    if isinstance(value, str):
        read = wire_instant(value)
        if read is not None:
            return paris_day(read[0])
    return value


def _to_bool(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str) and value.upper() in ("OUI", "O"):
        return True
    if isinstance(value, str) and value.upper() in ("NON", "N"):
        return False
    return value


#: An id (int64): a number, or a string of digits; blank means absent.
Id = Annotated[Annotated[int, Field(ge=0, le=INT64_MAX)] | None,
               BeforeValidator(_blank_to_none)]
#: A text field; a JSON number is taken as its text, blank means absent.
Text = Annotated[Annotated[str, Field(max_length=1000)] | None,
                 BeforeValidator(_to_text), BeforeValidator(_blank_to_none)]
Bool = Annotated[bool | None, BeforeValidator(_to_bool)]
#: A date of a request (every `date...`, `periode...Du/Au`): see `_day`. The one place dates
#: are read, for every family.
Day = Annotated[date | None, BeforeValidator(_day)]
PageSize = Annotated[Annotated[int, Field(ge=0, le=2**31 - 1)] | None,
                     BeforeValidator(_blank_to_none)]


# --- What the published OpenAPI says of a request (tests/api/test_openapi_exact.py) -------------
# The server reads leniently (above); the schema publishes the canonical form a client should
# send, never less than the server asks: the fields an operation refuses to go without, the
# values it accepts where it checks them against a list, the bounds it enforces.


def choices(values) -> WithJsonSchema:
    """The values a text field accepts (checked by the operation, case and spaces forgiven),
    published as an `enum` of their canonical spelling: `Annotated[Text, choices(...)]`."""
    return WithJsonSchema({"anyOf": [{"type": "string", "enum": [str(v) for v in values]},
                                     {"type": "null"}]})


def list_of_choices(values) -> WithJsonSchema:
    """As `choices`, for a list of such values."""
    return WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "string", "enum": [str(v) for v in values]}},
        {"type": "null"}]})


#: A file in base64 (padded; the server also reads it unpadded, URL-safe, wrapped in lines
#: or as a data URL).
BASE64_PATTERN = (r"^(?:[A-Za-z0-9+/]{4})*"
                  r"(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")


def base64_file(example: str = "JVBERi0xLjQK") -> WithJsonSchema:
    """A file's content in base64, published as such (`contentEncoding`, its pattern)."""
    return WithJsonSchema({"anyOf": [
        {"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN,
         "examples": [example]}, {"type": "null"}]})


def pattern(regex: str, *examples: str) -> WithJsonSchema:
    """A text the operation checks against `regex` (spaces forgiven on the server)."""
    return WithJsonSchema({"anyOf": [
        {"type": "string", "pattern": regex, "examples": list(examples)}, {"type": "null"}]})


def no_items(why: str = "pas de pièce jointe pour cette opération") -> WithJsonSchema:
    """A list an operation reads but refuses unless empty (it says so with a coded error)."""
    return WithJsonSchema({"anyOf": [{"type": "array", "maxItems": 0}, {"type": "null"}],
                           "description": why})


def _present(node: dict) -> dict:
    """A field's schema once it must be there: no `null` branch, no blank text (the server
    reads `null` and `""` as absent)."""
    branches = [b for b in node.get("anyOf", [node]) if b.get("type") != "null"]
    node = {k: v for k, v in node.items() if k != "anyOf"}
    if len(branches) == 1:
        node.update(branches[0])
    else:
        node["anyOf"] = branches
    if node.get("type") == "array":
        node["minItems"] = max(1, node.get("minItems", 0))  # an empty list is none
    if node.get("type") == "string" and "enum" not in node and "pattern" not in node:
        node["minLength"] = max(1, node.get("minLength", 0))
        node["pattern"] = r"\S"
    return node


class WireIn(BaseModel):
    """Base of every request body: unknown fields ignored (§7.4), ids may be strings.
    (A plain pydantic model: ninja's Schema would read a string given for an object as an
    object with no attributes instead of refusing it.)

    `wire_required` names the fields the operation refuses to go without (it checks them
    itself, with its own coded error, in the order it chooses): the OpenAPI publishes them as
    `required`; a tuple in it is a choice, « one of these » (`anyOf`)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    wire_required: ClassVar[tuple] = ()
    #: More of what the operation checks, in JSON Schema (`not`, `if`/`then`...).
    wire_schema_extra: ClassVar[dict] = {}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties = target.get("properties", {})
        alone = [n for n in cls.wire_required if isinstance(n, str)]
        either = [[(n,) if isinstance(n, str) else n for n in group]
                  for group in cls.wire_required if not isinstance(group, str)]
        for name in [*alone, *(n for group in either for names in group for n in names)]:
            if name not in properties:
                raise ValueError(f"{cls.__name__}.wire_required: no field {name}")
        for name in alone:
            properties[name] = _present(properties[name])
        if alone:
            target["required"] = [*target.get("required", []), *alone]
        if either:
            target["allOf"] = [{"anyOf": [
                {"required": list(names),
                 "properties": {n: _present(properties[n]) for n in names}}
                for names in group]} for group in either]
        for key, extra in cls.wire_schema_extra.items():
            target[key] = [*target.get(key, []), *extra] if key == "allOf" else extra
        return schema


class Pagination(WireIn):
    """The paging object every search takes, whatever its name in the operation."""

    nbResultatsParPage: Annotated[PageSize, WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_SIZE}, {"type": "null"}]})] = None
    pageResultatDemandee: Annotated[PageSize, WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_PAGE_NUMBER}, {"type": "null"}]})] = None
    triColonne: Text = None
    triSens: Annotated[Text, choices(["Ascendant", "Descendant"])] = Field(
        default=None, validation_alias=AliasChoices("triSens", "triSense"))

    @classmethod
    def sorted_by(cls, name: str, columns) -> type[Pagination]:
        """The paging object of an operation that sorts on `columns` (its `triColonne`
        values, published as an enum); `name` names it in the OpenAPI."""
        return create_model(name, __base__=cls, __doc__=cls.__doc__,
                            triColonne=(Annotated[Text, choices(columns)], None))

    @field_validator("triSens")
    @classmethod
    def _sense(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for sense in ("Ascendant", "Descendant"):
            if value.strip().lower() == sense.lower():
                return sense
        raise ValueError("triSens: Ascendant ou Descendant")


class JsonParser(Parser):
    """Any JSON content type (§1.2); an empty body reads as `{}`; a body must be an object."""

    def parse_body(self, request) -> dict:
        body = request.body
        if not body.strip():
            return {}
        data = json.loads(body)
        if not isinstance(data, dict):
            raise errors.BodyNotAnObject()
        return data


# --- Pages ----------------------------------------------------------------------------------------


def page(items: QuerySet | Sequence, pagination: Pagination | None, *,
         columns: dict[str, Sequence[str]], default: str) -> tuple[list, dict[str, int]]:
    """One page of `items` sorted as asked, and its `parametresRetour`.

    `columns` maps each `triColonne` the operation accepts to model fields (ascending); the
    primary key breaks ties so pages never overlap.
    """
    pagination = pagination or Pagination()
    size, number = bounds(pagination)
    column = pagination.triColonne or default
    wanted = {name.lower(): fields for name, fields in columns.items()}
    if column.lower() not in wanted:
        raise errors.InvalidField(
            field="triColonne", detail_fr="valeurs admises : " + ", ".join(columns),
            detail_en="allowed values: " + ", ".join(columns))
    descending = pagination.triSens == "Descendant"
    fields = [*wanted[column.lower()], "pk"]
    if isinstance(items, QuerySet):
        ordering = [_flip(f) if descending else f for f in fields]
        total = items.count()
        start = (number - 1) * size
        rows = list(items.order_by(*ordering)[start:start + size]) if start < total else []
    else:
        rows = sorted(items, key=lambda row: tuple(_sort_key(row, f) for f in fields),
                      reverse=descending)
        total = len(rows)
        start = (number - 1) * size
        rows = rows[start:start + size]
    return rows, {"pageCourante": number, "pages": math.ceil(total / size),
                  "nbResultatsParPage": size, "total": total}


def bounds(pagination: Pagination | None) -> tuple[int, int]:
    """The page size and number asked (defaults for 0 or absent), refused when absurd."""
    pagination = pagination or Pagination()
    size = pagination.nbResultatsParPage or DEFAULT_PAGE_SIZE
    if size > MAX_PAGE_SIZE:
        raise errors.PageTooLarge(limit=MAX_PAGE_SIZE, asked=size)
    number = pagination.pageResultatDemandee or 1
    if number > MAX_PAGE_NUMBER:
        raise errors.InvalidField(field="pageResultatDemandee",
                                  detail_fr=f"au plus {MAX_PAGE_NUMBER}",
                                  detail_en=f"at most {MAX_PAGE_NUMBER}")
    return size, number


def empty_page(pagination: Pagination | None) -> dict[str, int]:
    """`parametresRetour` of a search that found nothing."""
    size, number = bounds(pagination)
    return {"pageCourante": number, "pages": 0, "nbResultatsParPage": size, "total": 0}


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else "-" + field


def _sort_key(row: Any, field: str) -> Any:
    value = row.get(field) if isinstance(row, dict) else getattr(row, field, None)
    return (value is None, value if value is not None else "")


# --- Values -------------------------------------------------------------------------------------


def datetime_wire(value: datetime | None) -> str | None:
    """A date-time as Chorus Pro writes it: Paris time, milliseconds, offset
    (`2018-02-16T15:10:25.536+01:00`, §1.5)."""
    if value is None:
        return None
    return value.astimezone(clock.PARIS).isoformat(timespec="milliseconds")


def minutes_wire(value: datetime | date | None) -> str | None:
    """`YYYY-MM-DD HH:MM`, as the services list dates its services (§1.5)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(clock.PARIS).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d 00:00")


def date_wire(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def language(code: str | None) -> str:
    """`codeLangue` (FR, EN, fr, en...): French unless English is asked."""
    return "en" if (code or "").strip().lower().startswith("en") else "fr"
