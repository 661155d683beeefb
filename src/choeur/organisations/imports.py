"""`choeur import-structures FILE.csv`: public structures and their services.

The file has the columns of the annuaire's CSV (so an exported annuaire re-imports as is):
one line per service, the structure's columns repeated; `identifiant` and `raison_sociale`
are required. Lines are checked first, all of them; any error refuses the whole file, with
every error and its line number, and nothing is written. Then structures are created (with
the default service FACTURES_PUBLIQUES) or updated, and services created or updated. Running
the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from choeur.core import audit, clock
from choeur.organisations import errors, services
from choeur.organisations.identifiers import normalise_identifier
from choeur.organisations.models import IdentifierType, Service, Structure

MAX_BYTES = 50 * 1024 * 1024
REQUIRED = ("identifiant", "raison_sociale")
FLAGS = {
    "code_service_doit_etre_renseigne": "service_code_required",
    "numero_ej_doit_etre_renseigne": "engagement_required",
    "gestion_numero_ej_ou_code_service": "engagement_or_service_required",
    "statut_mise_en_paiement_n_est_pas_remonte": "payment_status_not_reported",
}
TEXTS = {"raison_sociale": "company_name", "adresse": "address_line1",
         "code_postal": "postcode", "ville": "city", "email": "email"}
TRUE = {"oui", "o", "true", "vrai", "1", "yes", "y"}
FALSE = {"non", "n", "false", "faux", "0", "no", ""}


@dataclass
class ImportReport:
    structures_created: int = 0
    structures_updated: int = 0
    services_created: int = 0
    services_updated: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.structures_created} structure(s) created, {self.structures_updated} "
                f"updated; {self.services_created} service(s) created, "
                f"{self.services_updated} updated.")


@dataclass
class _Line:
    number: int
    identifier: str
    structure: dict
    service: dict | None


def _uncell(value: str) -> str:
    """Undo the annuaire export's protection of formula-like cells ('=SUM… → =SUM…)."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


# The longest text each column may hold (the model's field lengths).
MAX_LENGTHS = {"raison_sociale": 99, "adresse": 100, "code_postal": 10, "ville": 80,
               "email": 254, "nom_service": 100}


def _flag(value: str, column: str, number: int, problems: list[str]) -> bool:
    lowered = (value or "").strip().lower()
    if lowered in TRUE:
        return True
    if lowered not in FALSE:
        problems.append(f"line {number}: {column} must be OUI or NON (got {value!r})")
    return False


def _date(value: str, column: str, number: int, problems: list[str]) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"line {number}: {column} must be a date YYYY-MM-DD (got {value!r})")
        return None


def parse(data: bytes) -> list[_Line]:
    """Check the whole file; raise ImportFileInvalid listing every problem."""
    if len(data) > MAX_BYTES:
        raise errors.ImportFileInvalid(problem=f"plus de {MAX_BYTES} octets",
                                       problem_en=f"more than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.ImportFileInvalid(
            problem=f"le fichier n'est pas en UTF-8 (octet {exc.start})",
            problem_en=f"the file is not UTF-8 (byte {exc.start})",
        ) from None
    first = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if ";" in first else ",")
    columns = set(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise errors.ImportFileInvalid(problem=f"colonne(s) absente(s) : {', '.join(missing)}",
                                       problem_en=f"missing column(s): {', '.join(missing)}")
    problems: list[str] = []
    lines: list[_Line] = []
    for row in reader:
        number = reader.line_num
        if None in row:  # more cells than columns
            problems.append(f"line {number}: more cells than columns")
            continue
        row = {k: _uncell((v or "").strip()) for k, v in row.items()}
        if row.get("type_identifiant", "SIRET") not in ("", IdentifierType.SIRET):
            problems.append(f"line {number}: public structures are identified by SIRET")
            continue
        try:
            identifier = normalise_identifier(IdentifierType.SIRET, row["identifiant"])
        except errors.InvalidIdentifier as exc:
            problems.append(f"line {number}: {exc.message('en')}")
            continue
        if not row["raison_sociale"]:
            problems.append(f"line {number}: raison_sociale is empty")
            continue
        too_long = [f"{c} ({len(row[c])} > {n})" for c, n in MAX_LENGTHS.items()
                    if len(row.get(c) or "") > n]
        if too_long:
            problems.append(f"line {number}: too long: {', '.join(too_long)}")
            continue
        if row.get("email"):
            try:
                validate_email(row["email"])
            except ValidationError:
                problems.append(f"line {number}: invalid email {row['email']!r}")
                continue
        structure = {attr: row[col] for col, attr in TEXTS.items() if col in row}
        structure.update({attr: _flag(row[col], col, number, problems)
                          for col, attr in FLAGS.items() if col in row})
        service = None
        code = row.get("code_service", "")
        if code:
            if not services.SERVICE_CODE.fullmatch(code):
                problems.append(f"line {number}: invalid code_service {code!r}")
                continue
            service = {
                "code": code,
                "name": row.get("nom_service") or code,
                "engagement_required": _flag(row.get("service_engagement_obligatoire", ""),
                                             "service_engagement_obligatoire", number, problems),
                "valid_from": _date(row.get("service_debut_validite", ""),
                                    "service_debut_validite", number, problems),
                "valid_until": _date(row.get("service_fin_validite", ""),
                                     "service_fin_validite", number, problems),
            }
        lines.append(_Line(number, identifier, structure, service))
    first_seen: dict[str, _Line] = {}
    for line in lines:  # one structure, one set of data: lines must agree
        first = first_seen.setdefault(line.identifier, line)
        if first.structure != line.structure:
            problems.append(f"line {line.number}: the data of structure {line.identifier} "
                            f"differs from line {first.number}")
    existing_private = set(
        Structure.objects.filter(
            identifier_type=IdentifierType.SIRET, kind=Structure.Kind.PRIVEE,
            identifier__in={line.identifier for line in lines},
        ).values_list("identifier", flat=True)
    )
    for line in lines:
        if line.identifier in existing_private:
            problems.append(f"line {line.number}: {line.identifier} is a private structure")
    if problems:
        raise errors.ImportFileInvalid(
            problem=f"{len(problems)} erreur(s) : " + " ; ".join(problems[:50]),
            problem_en=f"{len(problems)} error(s): " + "; ".join(problems[:50]),
        )
    return lines


def import_structures(actor: str, data: bytes) -> ImportReport:
    """Apply a checked file (the caller owns the transaction: all or nothing)."""
    lines = parse(data)
    report = ImportReport()
    by_identifier: dict[str, Structure] = {}
    seen: set[str] = set()
    for line in lines:
        structure = by_identifier.get(line.identifier)
        if structure is None:
            structure = Structure.objects.filter(
                identifier_type=IdentifierType.SIRET, identifier=line.identifier
            ).first()
            if structure is None:
                structure = services.create_public_structure(actor, line.identifier,
                                                             line.structure)
                report.structures_created += 1
                seen.add(line.identifier)  # just created from this very data
            by_identifier[line.identifier] = structure
        if line.identifier not in seen:
            seen.add(line.identifier)
            changed = {k: v for k, v in line.structure.items() if getattr(structure, k) != v}
            if changed:
                for key, value in changed.items():
                    setattr(structure, key, value)
                structure.updated_at = clock.now()
                structure.save()
                report.structures_updated += 1
        if line.service:
            _upsert_service(structure, line.service, report)
    audit.record(actor, "organisations.structures_imported", None,
                 created=report.structures_created, updated=report.structures_updated,
                 services_created=report.services_created,
                 services_updated=report.services_updated)
    return report


def _upsert_service(structure: Structure, data: dict, report: ImportReport) -> None:
    service = structure.services.filter(code=data["code"]).first()
    now = clock.now()
    if service is None:
        Service.objects.create(structure=structure, created_at=now, updated_at=now, **data)
        report.services_created += 1
        return
    changed = {k: v for k, v in data.items() if getattr(service, k) != v}
    if service.code == Service.DEFAULT_PUBLIC_CODE:
        changed.pop("name", None)
    if changed:
        for key, value in changed.items():
            setattr(service, key, value)
        service.updated_at = now
        service.save()
        report.services_updated += 1
