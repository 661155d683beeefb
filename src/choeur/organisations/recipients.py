"""Public recipients (structures publiques) administered in the portal by the platform
administrator: what `choeur import-structures` does for a whole file, one structure at a time
— create it (with its default service and espaces, `services.create_public_structure`, the
import's own function), change its data and its requirements (code service, numéro
d'engagement...), add and change its services.

Only a platform administrator may (`core.permissions.is_platform_admin`); a public structure
that has gestionnaires is still theirs to run: the administrator sets what the import sets.
"""

from __future__ import annotations

from django.db.models import Q

from choeur.core import audit, clock
from choeur.core.errors import NotFound, PermissionRefused
from choeur.core.permissions import is_platform_admin
from choeur.organisations import services
from choeur.organisations.identifiers import normalise_identifier
from choeur.organisations.models import IdentifierType, Service, Structure

#: What the administrator sets on a public recipient: the import's columns (data and the four
#: requirement flags) and the MOA / EDI parameters the API's `modifier` sets.
DATA_FIELDS = ("company_name", "email", "address_line1", "address_line2", "postcode", "city")
REQUIREMENT_FIELDS = (
    "service_code_required", "engagement_required", "engagement_or_service_required",
    "payment_status_not_reported", "moa", "moa_only", "edi_connection", "receives_via_edi",
)


def require_admin(actor) -> None:
    if not is_platform_admin(actor):
        raise PermissionRefused()


def public_structures(actor, query: str = ""):
    """The public structures, searched by SIRET (or its start) or a part of the name."""
    require_admin(actor)
    found = Structure.objects.filter(kind=Structure.Kind.PUBLIQUE)
    query = (query or "").strip()
    if query:
        digits = query.replace(" ", "")
        found = found.filter(Q(identifier__startswith=digits) | Q(company_name__icontains=query))
    return found.order_by("company_name", "id")


def public_structure(actor, pk) -> Structure:
    require_admin(actor)
    try:
        return Structure.objects.get(pk=int(pk), kind=Structure.Kind.PUBLIQUE)
    except (Structure.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Structure") from None


def create(actor, identifier: str, data: dict) -> Structure:
    """A new public recipient, as the import creates one: SIRET checked, default service
    FACTURES_PUBLIQUES and espaces, no gestionnaire until someone asks to be attached."""
    require_admin(actor)
    identifier = normalise_identifier(IdentifierType.SIRET, identifier)
    fields = {k: v for k, v in data.items() if k in DATA_FIELDS + REQUIREMENT_FIELDS}
    structure = services.create_public_structure(actor, identifier, fields)
    if data.get("payment_category"):
        category = services.clean_payment_category(structure, data["payment_category"])
        if category != structure.payment_category:
            structure.payment_category = category
            structure.save(update_fields=["payment_category"])
    return structure


def update(actor, structure: Structure, data: dict) -> Structure:
    """Its data and requirements; one audit line naming the fields that changed."""
    require_admin(actor)
    if not structure.is_public:
        raise NotFound(object_label="Structure")
    wanted = {k: v for k, v in data.items() if k in DATA_FIELDS + REQUIREMENT_FIELDS}
    changes = services._clean_structure_data(wanted, structure.identifier_type,
                                              structure.identifier)
    if data.get("payment_category"):
        changes["payment_category"] = services.clean_payment_category(
            structure, data["payment_category"])
    changed = {k: v for k, v in changes.items() if getattr(structure, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(structure, key, value)
        structure.updated_at = clock.now()
        structure.save()
        audit.record(actor, "organisations.structure_updated", structure,
                     fields=sorted(changed))
    return structure


def add_service(actor, structure: Structure, code: str, data: dict) -> Service:
    require_admin(actor)
    if not structure.is_public:
        raise NotFound(object_label="Structure")
    return services.add_service(actor, structure, code, data)


def service_of(actor, structure: Structure, service_id) -> Service:
    require_admin(actor)
    try:
        return structure.services.get(pk=int(service_id))
    except (Service.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Service") from None


def update_service(actor, service: Service, data: dict) -> Service:
    require_admin(actor)
    return services.change_service(actor, service, data)


__all__ = ["add_service", "create", "public_structure", "public_structures", "update",
           "update_service"]
