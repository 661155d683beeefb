"""A structure's configuration carried from one instance to another — from qualification to
production, typically — so that nothing rehearsed there is typed again here.

`export_config(actor, structure)` gives a versioned JSON document (`FORMAT`, `VERSION`): the
structure's identity and recipient parameters, its open espaces, services, engagements (as
buyer), bank details, and its technical accounts and OAuth2 clients as settings only.
**Never a secret**: no password, client secret, hash or salt leaves the instance; an account
of the document is a new account in the target, with a new password and a new client secret,
shown once to the importer.

Bank details are exported (label, holder, IBAN, BIC): they are sensitive, not secret — the
structure's invoices print them — and retyping them is exactly what this feature saves; the
export is therefore a gestionnaire's act, audited, and the portal says the file holds them.

`import_config(actor, structure, document, dry_run=...)` applies a document to a structure
of this instance:
- the whole document is checked first (format, version, sizes, types, every value); any
  problem refuses it all with a coded error (`errors.Config*`), nothing changed;
- the target must be the same structure (identifier type and identifier), unless the importer
  says otherwise (`allow_other_identifier`: a qualification structure had a fictitious
  identifier); its nature (private, public) must always match;
- then it is applied through the feature's own use cases (their checks, audit lines and
  e-mails included), inside a savepoint: an item that a use case refuses refuses everything
  (`ConfigImportRefused`, naming the item); a dry run applies it all and rolls it back, so
  that its report is exactly what the import would do;
- it adds and updates, never deletes nor closes: services created or updated (their state
  included), espaces opened, bank details and engagements created when absent (IBAN,
  number), technical accounts and OAuth2 clients created until the structure has as many as
  the document (clients counted by label). Importing the same document twice changes nothing
  the second time.

Choices, each reported on its line:
- the structure's own data (name, address...) is not imported: the target's record is the
  authority on its identity; only its configuration travels;
- an engagement is created in state COMMANDE: an answer (accepted, refused) was the source
  supplier's, the target's supplier answers for itself; an INACTIF engagement is not
  configuration (skipped), nor is one whose supplier this instance does not know (an
  engagement is a commitment to one supplier: it is not re-addressed to nobody);
- the tolerance of calls without a token (`lenient_bearer`) is a qualification setting: it is
  carried to a qualification instance only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from choeur.core import audit, clock
from choeur.core.errors import ChoeurError, NotFound
from choeur.invoicing import engagements as engagement_cases
from choeur.invoicing.models import Engagement
from choeur.invoicing.services import find_structure
from choeur.organisations import errors, permissions, raccordements, services
from choeur.organisations.models import Espace, IdentifierType, Service, Structure

FORMAT = "choeur-configuration"
VERSION = 1
#: The largest document read (file, upload, string): one structure's configuration is a few
#: kilobytes; two megabytes hold thousands of services.
MAX_BYTES = 2 * 1024 * 1024
#: The most items of each list a document may hold (a document this instance would refuse
#: is not produced either: `export_config` checks them too).
LIMITS = {
    "espaces": len(Espace), "services": 3000, "engagements": 5000, "bank_accounts": 50,
    "technical_accounts": 20, "api_clients": 50,
}
MAX_PROBLEMS_SHOWN = 50

SECTIONS = ("structure", "espaces", "services", "bank_accounts", "engagements",
            "technical_accounts", "api_clients")
SECTION_LABELS = {
    "structure": _("Paramètres de la structure"), "espaces": _("Espace"),
    "services": _("Service"), "bank_accounts": _("Coordonnées bancaires"),
    "engagements": _("Engagement"), "technical_accounts": _("Compte technique"),
    "api_clients": _("Client OAuth2"),
}
OUTCOME_LABELS = {
    "created": _("créé"), "updated": _("modifié"), "unchanged": _("inchangé"),
    "skipped": _("non repris"),
}
SERVICE_DATA = ("name", "description", "address_line1", "postcode", "city", "valid_from",
                "valid_until", "payment_status_reported", "engagement_required")


# --- Export ------------------------------------------------------------------------------


def export_config(actor, structure: Structure) -> dict:
    """The structure's configuration as a JSON-ready dict. Gestionnaires only (it holds bank
    details); audited. The caller owns the transaction."""
    permissions.require_gestionnaire(actor, structure)
    engagements = []
    if structure.is_public:
        engagements = [
            {"number": e.number, "kind": e.kind,
             "supplier_identifier": e.supplier.identifier if e.supplier else "",
             "service_code": e.service.code if e.service else "", "label": e.label,
             "amount_ht": str(e.amount_ht), "amount_ttc": str(e.amount_ttc),
             "currency": e.currency, "state": e.state}
            for e in Engagement.objects.filter(structure=structure)
            .select_related("supplier", "service").order_by("number")
        ]
    document = {
        "format": FORMAT,
        "version": VERSION,
        "source": {
            "environment": settings.CHOEUR_ENVIRONMENT,
            "instance": settings.CHOEUR_BASE_URL,
            "exported_at": clock.now().isoformat(),
        },
        "structure": {
            "identifier_type": structure.identifier_type,
            "identifier": structure.identifier,
            "kind": structure.kind,
            "company_name": structure.company_name,
            "parameters": {name: getattr(structure, name)
                           for name in services.STRUCTURE_PARAMETERS},
        },
        "espaces": sorted(structure.espaces.values_list("espace", flat=True)),
        "services": [
            {"code": s.code, **{name: _plain(getattr(s, name)) for name in SERVICE_DATA},
             "is_active": s.is_active}
            for s in structure.services.order_by("code")
        ],
        "engagements": engagements,
        "bank_accounts": [
            {"label": b.label, "holder": b.holder, "iban": b.iban, "bic": b.bic,
             "is_factor": b.is_factor}
            for b in structure.bank_accounts.filter(is_active=True).order_by("label", "id")
        ],
        # Settings only: the login is the source's (for the report), never its password.
        "technical_accounts": [
            {"login": t.login, "lenient_bearer": t.lenient_bearer}
            for t in structure.technical_accounts.filter(is_active=True).order_by("id")
        ],
        "api_clients": [
            {"label": c.label}
            for c in structure.api_clients.filter(is_active=True).order_by("label", "id")
        ],
    }
    for name, limit in LIMITS.items():
        if len(document[name]) > limit:
            raise errors.ConfigTooLarge(what=f"la liste « {name} »", what_en=f"list “{name}”",
                                        limit=f"{limit}")
    # How many of each, under their own key ("services" means a list of codes elsewhere).
    audit.record(actor, "organisations.config_exported", structure, structure=structure.pk,
                 exported={name: len(document[name]) for name in SECTIONS[1:]})
    return document


def dumps(document: dict) -> bytes:
    """The document as the file written and downloaded (UTF-8, stable key order)."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


# --- Reading and checking a document ---------------------------------------------------------


class _Problems:
    """Every problem of a document, in French and English, each at its place
    ("services[2].code")."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, fr: str, en: str) -> None:
        self.items.append((f"{path} : {fr}", f"{path}: {en}"))

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:MAX_PROBLEMS_SHOWN]
            raise errors.ConfigInvalid(
                problem=f"{len(self.items)} erreur(s) : " + " ; ".join(fr for fr, _en in shown),
                problem_en=f"{len(self.items)} error(s): " + "; ".join(en for _fr, en in shown))


Check = Callable[[Any, str, _Problems], Any]


def _text(limit: int, *, required: bool = False, pattern: re.Pattern | None = None) -> Check:
    def check(value, path, problems):
        if not isinstance(value, str):
            problems.add(path, "doit être un texte", "must be a text")
            return ""
        value = value.strip()
        if required and not value:
            problems.add(path, "est vide", "is empty")
        elif len(value) > limit:
            problems.add(path, f"dépasse {limit} caractères", f"is longer than {limit} characters")
        elif pattern is not None and value and not pattern.fullmatch(value):
            problems.add(path, f"« {value[:60]} » n'a pas la forme attendue",
                         f"“{value[:60]}” has not the expected form")
        return value
    return check


def _flag(value, path, problems):
    if not isinstance(value, bool):
        problems.add(path, "doit valoir true ou false", "must be true or false")
        return False
    return value


def _choice(values) -> Check:
    def check(value, path, problems):
        if value not in values:
            problems.add(path, f"« {str(value)[:40]} » n'est pas une valeur connue "
                               f"({', '.join(values)})",
                         f"“{str(value)[:40]}” is not a known value ({', '.join(values)})")
            return ""  # a list or an object given for a value: nothing to keep of it
        return value
    return check


def _date(value, path, problems):
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(path, "doit être une date AAAA-MM-JJ ou null",
                 "must be a date YYYY-MM-DD or null")
    return None


def _amount(value, path, problems):
    # A string (the export's form: exact) or an integer; a float would not be exact.
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.add(path, "doit être un montant écrit en texte (« 1200.00 »)",
                     "must be an amount written as a text (“1200.00”)")
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 \
            or amount >= engagement_cases.MAX_AMOUNT or amount.as_tuple().exponent < -6:
        problems.add(path, "n'est pas un montant positif (13 chiffres avant la virgule, 6 après "
                           "au plus)",
                     "is not a positive amount (at most 13 digits before the point, 6 after)")
        return Decimal(0)
    return amount


def _iban(value, path, problems):
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    value = _text(34 + 8, required=True)(value, path, problems)  # spaces allowed
    if value:
        try:
            return IBAN(value).compact
        except SchwiftyException:
            problems.add(path, "n'est pas un IBAN valide", "is not a valid IBAN")
    return value


def _record(value, path: str, fields: dict[str, tuple[Check, bool, Any]],
            problems: _Problems) -> dict:
    """Check an object: required keys present, no unknown key, each value checked; absent
    optional keys take their default."""
    if not isinstance(value, dict):
        problems.add(path, "doit être un objet JSON", "must be a JSON object")
        return {key: default for key, (_check, _required, default) in fields.items()}
    for key in sorted(set(value) - set(fields)):
        problems.add(f"{path}.{key}"[:120], "clé inconnue", "unknown key")
    checked = {}
    for key, (check, required, default) in fields.items():
        if key not in value:
            if required:
                problems.add(f"{path}.{key}", "manque", "is missing")
            checked[key] = default
        else:
            checked[key] = check(value[key], f"{path}.{key}", problems)
    return checked


def _list(document: dict, name: str, problems: _Problems) -> Iterator[tuple[str, Any]]:
    items = document.get(name, [])
    if not isinstance(items, list):
        problems.add(name, "doit être une liste", "must be a list")
        return
    if len(items) > LIMITS[name]:
        raise errors.ConfigTooLarge(what=f"la liste « {name} »", what_en=f"list “{name}”",
                                    limit=f"{LIMITS[name]}")
    for index, item in enumerate(items):
        yield f"{name}[{index}]", item


STRUCTURE_FIELDS = {
    "identifier_type": (_choice(IdentifierType.values), True, ""),
    "identifier": (_text(80, required=True), True, ""),
    "kind": (_choice(Structure.Kind.values), True, ""),
    "company_name": (_text(99), False, ""),
    "parameters": (lambda value, path, problems: value, False, {}),  # checked below
}
SOURCE_FIELDS = {
    "environment": (_text(20), False, ""),
    "instance": (_text(200), False, ""),
    "exported_at": (_text(40), False, ""),
}
SERVICE_FIELDS = {
    "code": (_text(100, required=True, pattern=services.SERVICE_CODE), True, ""),
    "name": (_text(100, required=True), True, ""),
    "description": (_text(4000), False, ""),
    "address_line1": (_text(100), False, ""),
    "postcode": (_text(10), False, ""),
    "city": (_text(80), False, ""),
    "valid_from": (_date, False, None),
    "valid_until": (_date, False, None),
    "payment_status_reported": (_flag, False, True),
    "engagement_required": (_flag, False, False),
    "is_active": (_flag, False, True),
}
ENGAGEMENT_FIELDS = {
    "number": (_text(50, required=True, pattern=engagement_cases.NUMBER), True, ""),
    "kind": (_choice(Engagement.Kind.values), False, Engagement.Kind.BON_DE_COMMANDE),
    "supplier_identifier": (_text(80), False, ""),
    "service_code": (_text(100), False, ""),
    "label": (_text(engagement_cases.MAX_LABEL), False, ""),
    "amount_ht": (_amount, False, Decimal(0)),
    "amount_ttc": (_amount, False, Decimal(0)),
    "currency": (_text(3, pattern=engagement_cases.CURRENCY), False, "EUR"),
    "state": (_choice(Engagement.State.values), False, Engagement.State.COMMANDE),
}
BANK_FIELDS = {
    "label": (_text(100), False, ""),
    "holder": (_text(100), False, ""),
    "iban": (_iban, True, ""),
    "bic": (_text(11, pattern=re.compile(r"[A-Za-z0-9]{8}([A-Za-z0-9]{3})?")), False, ""),
    "is_factor": (_flag, False, False),
}
TECHNICAL_ACCOUNT_FIELDS = {
    "login": (_text(100), False, ""),
    "lenient_bearer": (_flag, False, False),
}
API_CLIENT_FIELDS = {"label": (_text(100, required=True), True, "")}
DOCUMENT_KEYS = {"format", "version", "source", *SECTIONS}


def read_document(data: bytes | str | dict) -> dict:
    """Check a whole document and return it with Python values (dates, decimals). Raises
    ConfigTooLarge, ConfigVersionUnsupported or ConfigInvalid (with every problem found)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_BYTES:
            raise errors.ConfigTooLarge(what="le fichier", what_en="the file",
                                        limit=f"{MAX_BYTES // 1024} Kio")
        try:
            document = json.loads(bytes(data).decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise errors.ConfigInvalid(problem="le fichier n'est pas en UTF-8.",
                                       problem_en="the file is not UTF-8.") from None
        except (ValueError, RecursionError) as exc:
            where = f" (ligne {exc.lineno}, colonne {exc.colno})" if hasattr(exc, "lineno") \
                else ""
            where_en = where.replace("ligne", "line").replace("colonne", "column")
            raise errors.ConfigInvalid(problem=f"ce n'est pas du JSON{where}.",
                                       problem_en=f"this is not JSON{where_en}.") from None
    else:
        document = data
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise errors.ConfigInvalid(
            problem=f"ce n'est pas une configuration Choeur (format « {FORMAT} » attendu).",
            problem_en=f"this is not a Choeur configuration (format “{FORMAT}” expected).")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise errors.ConfigVersionUnsupported(version=str(version)[:20], supported=VERSION)
    problems = _Problems()
    for key in sorted(set(document) - DOCUMENT_KEYS):
        problems.add(str(key)[:60], "clé inconnue", "unknown key")
    checked: dict[str, Any] = {"format": FORMAT, "version": VERSION}
    checked["source"] = _record(document.get("source", {}), "source", SOURCE_FIELDS, problems)
    if "structure" not in document:
        problems.add("structure", "manque", "is missing")
    checked["structure"] = _record(document.get("structure", {}), "structure",
                                   STRUCTURE_FIELDS, problems)
    parameters = (document.get("structure") or {}).get("parameters", {}) \
        if isinstance(document.get("structure"), dict) else {}
    checked["structure"]["parameters"] = _record(
        parameters, "structure.parameters",
        {name: (_flag, False, None) for name in services.STRUCTURE_PARAMETERS}, problems)
    espaces = []
    for path, item in _list(document, "espaces", problems):
        espaces.append(_choice(Espace.values)(item, path, problems))
    checked["espaces"] = list(dict.fromkeys(espaces))
    for name, fields in (("services", SERVICE_FIELDS), ("engagements", ENGAGEMENT_FIELDS),
                         ("bank_accounts", BANK_FIELDS),
                         ("technical_accounts", TECHNICAL_ACCOUNT_FIELDS),
                         ("api_clients", API_CLIENT_FIELDS)):
        checked[name] = [_record(item, path, fields, problems)
                         for path, item in _list(document, name, problems)]
    _check_coherence(checked, problems)
    problems.raise_if_any()
    return checked


def _check_coherence(document: dict, problems: _Problems) -> None:
    """What no single value shows: duplicates, dates in order, amounts in order, engagements
    of a private structure."""
    for name, key, fold in (("services", "code", str.upper), ("engagements", "number", str),
                            ("bank_accounts", "iban", str)):
        counts = Counter(fold(item[key]) for item in document[name] if item.get(key))
        for value, count in counts.items():
            if count > 1:
                problems.add(name, f"« {value[:60]} » y figure {count} fois",
                             f"“{value[:60]}” appears {count} times")
    for index, item in enumerate(document["services"]):
        if item["valid_from"] and item["valid_until"] and item["valid_until"] < item["valid_from"]:
            problems.add(f"services[{index}].valid_until", "précède valid_from",
                         "precedes valid_from")
    for index, item in enumerate(document["engagements"]):
        if item["amount_ttc"] < item["amount_ht"]:
            problems.add(f"engagements[{index}].amount_ttc", "est inférieur à amount_ht",
                         "is below amount_ht")
    if document["engagements"] and document["structure"].get("kind") == Structure.Kind.PRIVEE:
        problems.add("engagements", "une structure privée n'émet pas d'engagements",
                     "a private structure issues no engagements")


# --- Import --------------------------------------------------------------------------------


@dataclass
class ReportLine:
    """One item of the document and what the import did (or would do) with it."""

    section: str
    key: str
    outcome: str  # created, updated, unchanged, skipped
    note_fr: str = ""
    note_en: str = ""

    @property
    def section_label(self) -> str:
        return str(SECTION_LABELS[self.section])

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    def note(self, language: str | None = None) -> str:
        language = language or get_language() or "fr"
        return self.note_en if language.startswith("en") else self.note_fr


@dataclass
class Revealed:
    """A secret made by the import (a new technical account's password, a new client's
    secret): in the report of the import itself, shown once, never stored in clear."""

    kind: str  # technical_account, api_client
    identifier: str  # the login, the client_id
    secret: str
    label: str = ""


@dataclass
class ImportReport:
    dry_run: bool
    source: dict
    structure: Structure
    lines: list[ReportLine] = field(default_factory=list)
    secrets: list[Revealed] = field(default_factory=list)

    def add(self, section: str, key: str, outcome: str, note_fr: str = "",
            note_en: str = "") -> None:
        self.lines.append(ReportLine(section, key, outcome, note_fr, note_en or note_fr))

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in OUTCOME_LABELS}

    @property
    def exported_at(self) -> datetime | None:
        """When the document was exported, as a date (None when it does not say)."""
        try:
            return parse_datetime(self.source.get("exported_at") or "")
        except ValueError:  # well formed, not a date: a hand-made document's
            return None

    @property
    def changes_anything(self) -> bool:
        return any(line.outcome in ("created", "updated") for line in self.lines)

    def summary(self) -> str:
        counts = self.counts
        return (("Dry run, nothing written: " if self.dry_run else "")
                + f"{counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged, {counts['skipped']} not carried over.")


class _RollBack(Exception):
    """Leaves a dry run's savepoint, undoing everything it did."""


def import_config(actor, structure: Structure, document: bytes | str | dict, *,
                  dry_run: bool = False, allow_other_identifier: bool = False) -> ImportReport:
    """Apply a configuration document to `structure` (see the module's docstring). The
    caller owns the transaction; a refusal raises before anything is kept."""
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    document = read_document(document)
    _check_target(document["structure"], structure, allow_other_identifier)
    report = ImportReport(dry_run=dry_run, source=document["source"], structure=structure)
    # The use cases change the object they are given: they get their own copy, so that what
    # a dry run (or a refusal) undid in the database does not linger in the caller's.
    # Locked: an import confirmed twice at once (two clicks, two tabs) runs one after the
    # other, and the second finds the first's accounts instead of creating them again.
    target = Structure.objects.select_for_update().get(pk=structure.pk)
    try:
        with transaction.atomic():
            _apply(actor, target, document, report)
            if dry_run:
                raise _RollBack
    except _RollBack:
        report.secrets.clear()  # made and undone: nothing to show
    finally:
        permissions.forget(actor)  # espaces opened, then perhaps undone
    if not dry_run:
        structure.refresh_from_db()
        permissions.forget_open_espaces(structure)
    return report


def _check_target(source: dict, structure: Structure, allow_other_identifier: bool) -> None:
    if source["kind"] != structure.kind:
        kinds = Structure.Kind
        raise errors.ConfigKindMismatch(
            source_kind=str(kinds(source["kind"]).label).lower(),
            source_kind_en={"PRIVEE": "private", "PUBLIQUE": "public"}[source["kind"]],
            target=structure.identifier,
            target_kind=str(kinds(structure.kind).label).lower(),
            target_kind_en={"PRIVEE": "private", "PUBLIQUE": "public"}[structure.kind])
    same = (source["identifier_type"] == structure.identifier_type
            and source["identifier"] == structure.identifier)
    if not same and not allow_other_identifier:
        raise errors.ConfigOtherStructure(
            source=f"{source['identifier_type']} {source['identifier']}",
            target=f"{structure.identifier_type} {structure.identifier}")


@contextmanager
def _item(label_fr: str, label_en: str):
    """A use case refusing one item refuses the whole import, saying which item."""
    try:
        yield
    except NotFound:
        raise
    except ChoeurError as exc:
        raise errors.ConfigImportRefused(
            item=label_fr, item_en=label_en, problem=exc.message("fr"),
            problem_en=exc.message("en"), cause=exc.code) from exc


def _apply(actor, structure: Structure, document: dict, report: ImportReport) -> None:
    _apply_parameters(actor, structure, document["structure"]["parameters"], report)
    _apply_espaces(actor, structure, document["espaces"], report)
    _apply_services(actor, structure, document["services"], report)
    _apply_bank_accounts(actor, structure, document["bank_accounts"], report)
    _apply_engagements(actor, structure, document["engagements"], report)
    _apply_technical_accounts(actor, structure, document["technical_accounts"], report)
    _apply_api_clients(actor, structure, document["api_clients"], report)
    counts = report.counts
    audit.record(actor, "organisations.config_imported", structure, structure=structure.pk,
                 source_environment=document["source"].get("environment", ""),
                 source_identifier=document["structure"]["identifier"],
                 created=counts["created"], updated=counts["updated"],
                 unchanged=counts["unchanged"], skipped=counts["skipped"])


def _apply_parameters(actor, structure: Structure, parameters: dict, report) -> None:
    wanted = {name: value for name, value in parameters.items() if value is not None}
    changed = sorted(name for name, value in wanted.items() if getattr(structure, name) != value)
    if changed:
        with _item("paramètres de la structure", "the structure's parameters"):
            services.update_structure(actor, structure, {name: wanted[name] for name in changed})
    report.add("structure", structure.identifier, "updated" if changed else "unchanged",
               ", ".join(changed))


def _apply_espaces(actor, structure: Structure, espaces: list[str], report) -> None:
    opened = permissions.open_espaces(structure)
    for espace in espaces:
        label = str(Espace(espace).label)
        if espace in opened:
            report.add("espaces", label, "unchanged")
            continue
        with _item(f"espace « {label} »", f"espace “{label}”"):
            services.set_espace_open(actor, structure, espace, True)
        report.add("espaces", label, "created", "ouvert", "opened")


def _apply_services(actor, structure: Structure, items: list[dict], report) -> None:
    existing = {s.code.upper(): s for s in structure.services.all()}
    for item in items:
        code = item["code"]
        data = {name: item[name] for name in SERVICE_DATA}
        service = existing.get(code.upper())
        with _item(f"service {code}", f"service {code}"):
            if service is None:
                service = services.create_service(actor, structure, code, data)
                if not item["is_active"]:
                    services.set_service_active(actor, service, False)
                report.add("services", code, "created")
                continue
            if service.code == Service.DEFAULT_PUBLIC_CODE:
                data.pop("name")  # the default service's name is fixed
            changed = sorted(name for name, value in data.items()
                             if getattr(service, name) != value)
            if changed:
                services.update_service(actor, service, data)
            if service.is_active != item["is_active"]:
                services.set_service_active(actor, service, item["is_active"])
                changed.append("is_active")
        report.add("services", service.code, "updated" if changed else "unchanged",
                   ", ".join(changed))


def _apply_bank_accounts(actor, structure: Structure, items: list[dict], report) -> None:
    active = set(structure.bank_accounts.filter(is_active=True).values_list("iban", flat=True))
    for item in items:
        masked = f"{item['iban'][:4]} •••• {item['iban'][-4:]}"
        if item["iban"] in active:
            report.add("bank_accounts", masked, "unchanged")
            continue
        with _item(f"coordonnées bancaires {masked}", f"bank details {masked}"):
            services.add_bank_account(actor, structure, item["label"], item["holder"],
                                      item["iban"], item["bic"], item["is_factor"])
        report.add("bank_accounts", masked, "created", item["label"])


def _apply_engagements(actor, structure: Structure, items: list[dict], report) -> None:
    existing = set(Engagement.objects.filter(structure=structure)
                   .values_list("number", flat=True))
    states = Engagement.State
    for item in items:
        number = item["number"]
        if number in existing:
            report.add("engagements", number, "unchanged")
            continue
        if item["state"] == states.INACTIF:
            report.add("engagements", number, "skipped",
                       "inactivé à la source : ce n'est plus une configuration",
                       "inactivated at the source: no longer configuration")
            continue
        supplier = find_structure(item["supplier_identifier"])
        if item["supplier_identifier"] and (
                supplier is None or not supplier.is_active or supplier.pk == structure.pk):
            report.add("engagements", number, "skipped",
                       f"fournisseur {item['supplier_identifier']} inconnu de cette instance",
                       f"supplier {item['supplier_identifier']} unknown to this instance")
            continue
        code = item["service_code"]
        if code and not structure.services.current().filter(code=code).exists():
            report.add("engagements", number, "skipped",
                       f"service {code} inactif ou hors de sa période de validité ici",
                       f"service {code} inactive or outside its validity period here")
            continue
        data = engagement_cases.EngagementData(
            number=number, kind=item["kind"], supplier_identifier=item["supplier_identifier"],
            service_code=code, label=item["label"], amount_ht=item["amount_ht"],
            amount_ttc=item["amount_ttc"], currency=item["currency"] or "EUR")
        with _item(f"engagement {number}", f"engagement {number}"):
            engagement_cases.create_engagement(actor, structure, data)
        note = ("", "")
        if item["state"] != states.COMMANDE:
            label = str(states(item["state"]).label).lower()
            note = (f"créé à l'état « commandé » (à la source : {label}) : le fournisseur "
                    "répond ici", f"created as ordered (at the source: {item['state']}): the "
                    "supplier answers here")
        report.add("engagements", number, "created", *note)


def _apply_technical_accounts(actor, structure: Structure, items: list[dict], report) -> None:
    """As many active technical accounts as the document lists: the first ones are those the
    structure already has (an account has no name to match it by), the others are new, with
    a new password."""
    have = structure.technical_accounts.filter(is_active=True).count()
    lenient_allowed = raccordements.lenient_bearer_allowed()
    for index, item in enumerate(items):
        source = item["login"] or f"#{index + 1}"
        if index < have:
            report.add("technical_accounts", source, "unchanged",
                       "la structure a déjà ce compte technique actif",
                       "the structure already has this active technical account")
            continue
        with _item(f"compte technique {source}", f"technical account {source}"):
            account, password = raccordements.create_technical_account(actor, structure)
            if item["lenient_bearer"] and lenient_allowed:
                raccordements.set_lenient_bearer(actor, structure, account.pk, True)
        # A dry run's account is undone: its login would not be the one the import makes.
        login = "" if report.dry_run else f" {account.login}"
        note = (f"nouveau compte{login}, nouveau mot de passe",
                f"new account{login}, new password")
        if item["lenient_bearer"] and not lenient_allowed:
            note = (note[0] + " ; tolérance des appels sans jeton non reprise (qualification "
                    "seulement)", note[1] + "; tolerance of calls without a token not carried "
                    "over (qualification only)")
        report.add("technical_accounts", source, "created", *note)
        report.secrets.append(Revealed("technical_account", account.login, password))


def _apply_api_clients(actor, structure: Structure, items: list[dict], report) -> None:
    """Clients matched by label: the structure gets as many active clients of each label as
    the document lists, each new one with a new secret."""
    have = Counter(structure.api_clients.filter(is_active=True)
                   .values_list("label", flat=True))
    seen: Counter = Counter()
    for item in items:
        label = item["label"]
        seen[label] += 1
        if seen[label] <= have[label]:
            report.add("api_clients", label, "unchanged")
            continue
        with _item(f"client OAuth2 {label}", f"OAuth2 client {label}"):
            client, secret = raccordements.create_api_client(actor, structure, label)
        client_id = "" if report.dry_run else f"client_id {client.client_id}, "
        report.add("api_clients", label, "created", f"{client_id}nouveau secret",
                   f"{client_id}new secret")
        report.secrets.append(Revealed("api_client", client.client_id, secret, label))


__all__ = ["FORMAT", "MAX_BYTES", "VERSION", "ImportReport", "dumps", "export_config",
           "import_config", "read_document"]
