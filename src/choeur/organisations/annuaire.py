"""The annuaire: the public directory of public structures, what a supplier must know before
invoicing one (identifier, active services, whether a service code or an engagement number is
required). Read side only; public by nature."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.db.models import Prefetch, Q, QuerySet

from choeur.organisations.models import Service, Structure

CSV_COLUMNS = [
    "identifiant", "type_identifiant", "raison_sociale", "adresse", "code_postal", "ville",
    "code_service_doit_etre_renseigne", "numero_ej_doit_etre_renseigne",
    "gestion_numero_ej_ou_code_service", "statut_mise_en_paiement_n_est_pas_remonte",
    "code_service", "nom_service", "service_engagement_obligatoire", "service_debut_validite",
    "service_fin_validite",
]


def public_structures() -> QuerySet[Structure]:
    return (
        Structure.objects.filter(kind=Structure.Kind.PUBLIQUE, is_active=True)
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.current(),
                     to_attr="active_services")
        )
        .order_by("company_name", "identifier")
    )


def search(siret: str = "", name: str = "", postcode: str = "", city: str = ""):
    criteria = Q()
    siret = "".join((siret or "").split())
    if siret:
        criteria &= Q(identifier__startswith=siret)
    if name.strip():
        criteria &= Q(company_name__icontains=name.strip())
    if postcode.strip():
        criteria &= Q(postcode__startswith=postcode.strip())
    if city.strip():
        criteria &= Q(city__icontains=city.strip())
    if not criteria:
        return public_structures().none()
    return public_structures().filter(criteria)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet will not run: a cell starting like a formula gets a leading
    apostrophe (the import takes it off again)."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _yes_no(value: bool) -> str:
    return "OUI" if value else "NON"


def csv_rows() -> Iterator[str]:
    """The whole directory as CSV lines (one per service; a structure without active service
    gets one line), produced lazily so that a large directory streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    yield "\ufeff"  # byte-order mark: spreadsheet software then reads UTF-8 correctly
    writer.writerow(CSV_COLUMNS)
    yield flush()
    for structure in public_structures().iterator(chunk_size=500):
        head = [
            structure.identifier, structure.identifier_type, _cell(structure.company_name),
            _cell(structure.address_line1), _cell(structure.postcode), _cell(structure.city),
            _yes_no(structure.service_code_required), _yes_no(structure.engagement_required),
            _yes_no(structure.engagement_or_service_required),
            _yes_no(structure.payment_status_not_reported),
        ]
        services = structure.active_services
        if not services:
            writer.writerow([*head, "", "", "", "", ""])
        for service in services:
            writer.writerow([
                *head, service.code, _cell(service.name), _yes_no(service.engagement_required),
                service.valid_from.isoformat() if service.valid_from else "",
                service.valid_until.isoformat() if service.valid_until else "",
            ])
        yield flush()
