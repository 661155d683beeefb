"""Use cases of the organisation feature: one function each, called alike by the portal, the
CLI, the API and the tests. Each takes the acting user first, checks permissions through
`organisations.permissions`, raises typed errors, writes its audit line and queues its e-mails
in the caller's transaction (the entry point owns it)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import translation

from choeur.accounts.models import User, normalise_email
from choeur.core import audit, clock, mail
from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations import errors, permissions
from choeur.organisations.identifiers import normalise_identifier, normalise_vat
from choeur.organisations.models import (
    BankAccount,
    Espace,
    Habilitation,
    HabilitationMode,
    HabilitationRequest,
    IdentifierType,
    OpenEspace,
    Rattachement,
    Service,
    Structure,
)

FRENCH_BANKING_AREA = {"FR", "MC", "GP", "MQ", "GF", "RE", "YT", "PM", "NC", "PF", "BL", "MF"}
SERVICE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]{0,99}")

#: Espaces opened on a new structure (reference §3.3). Factures de travaux on every one: each
#: party of a works contract (supplier, maître d'œuvre, maître d'ouvrage) needs it (§2.4).
DEFAULT_ESPACES = {
    Structure.Kind.PRIVEE: [
        Espace.FACTURES_EMISES, Espace.FACTURES_TRAVAUX, Espace.SOLLICITATIONS_EMISES,
        Espace.SOLLICITATIONS_RECUES, Espace.COORDONNEES_BANCAIRES, Espace.ACTIVITES_GESTIONNAIRE,
        Espace.MON_COMPTE,
    ],
    Structure.Kind.PUBLIQUE: [
        Espace.FACTURES_EMISES, Espace.FACTURES_RECUES, Espace.FACTURES_TRAVAUX,
        Espace.SOLLICITATIONS_EMISES, Espace.SOLLICITATIONS_RECUES, Espace.ACTIVITES_GESTIONNAIRE,
        Espace.MON_COMPTE,
    ],
}
#: Habilitations a newly validated user receives in the espaces open on the structure.
DEFAULT_HABILITATIONS = {
    Espace.FACTURES_EMISES: HabilitationMode.MODIFICATION,
    Espace.SOLLICITATIONS_EMISES: HabilitationMode.MODIFICATION,
    Espace.SOLLICITATIONS_RECUES: HabilitationMode.MODIFICATION,
}
#: Espaces a user subscribes to without a gestionnaire's approval (reference §3.3).
SELF_SERVICE_ESPACES = {
    Espace.FACTURES_EMISES, Espace.SOLLICITATIONS_EMISES, Espace.SOLLICITATIONS_RECUES,
}
#: Espaces that stay open whatever the gestionnaire does.
LOCKED_ESPACES = {Espace.MON_COMPTE, Espace.ACTIVITES_GESTIONNAIRE}

STRUCTURE_FIELDS = (
    "company_name", "last_name", "first_name", "email", "vat_number", "rcs_number",
    "address_line1", "address_line2", "postcode", "city", "country",
)
STRUCTURE_PARAMETERS = (
    "service_code_required", "engagement_required", "engagement_or_service_required",
    "payment_status_not_reported", "moa", "moa_only", "edi_connection", "receives_via_edi",
    "second_factor_for_gestionnaires",
)
SERVICE_FIELDS = (
    "name", "description", "address_line1", "postcode", "city", "valid_from", "valid_until",
    "payment_status_reported", "engagement_required",
)


# --- E-mails ------------------------------------------------------------------------------


def _notify(users: Iterable[User], template: str, context: dict) -> None:
    """One e-mail per user, to their contact address, in French (the platform's language)."""
    for user in users:
        with translation.override("fr"):
            subject = render_to_string(f"organisations/email/{template}_subject.txt", context)
            body = render_to_string(
                f"organisations/email/{template}.txt",
                {**context, "recipient": user, "base_url": settings.CHOEUR_BASE_URL},
            )
        mail.send_mail(_contact_address(user), " ".join(subject.split()), body)


def _contact_address(user: User) -> str:
    return getattr(user, "contact_email", "") or user.email


def gestionnaires(structure: Structure) -> list[User]:
    return [
        r.user for r in Rattachement.objects.select_related("user").filter(
            structure=structure, status=Rattachement.Status.VALIDEE,
            role__in=Rattachement.GESTIONNAIRE_ROLES,
        )
    ]


# --- Structures ----------------------------------------------------------------------------


def _clean_structure_data(data: dict, identifier_type: str, identifier: str) -> dict:
    cleaned = {k: (data.get(k) or "").strip() if isinstance(data.get(k, ""), str) else data[k]
               for k in STRUCTURE_FIELDS if k in data}
    if "vat_number" in cleaned:
        cleaned["vat_number"] = normalise_vat(
            cleaned["vat_number"],
            siret=identifier if identifier_type == IdentifierType.SIRET else None,
        )
    if "email" in cleaned:
        cleaned["email"] = normalise_email(cleaned["email"])
    if "country" in cleaned:
        cleaned["country"] = (cleaned["country"] or "FR").upper()[:2]
    for flag in STRUCTURE_PARAMETERS:
        if flag in data:
            cleaned[flag] = bool(data[flag])
    return cleaned


def clean_payment_category(structure: Structure, value) -> str:
    """A public structure's payment-delay category (invoicing/delays.py), checked: a value
    outside the list, or any category on a private structure, is a coded error."""
    value = (value or "").strip() if isinstance(value, str) else value
    if value not in Structure.PaymentCategory.values:
        raise errors.PaymentCategoryInvalid(value=str(value)[:40])
    if not structure.is_public:
        raise errors.PaymentCategoryPublicOnly()
    return value


def default_rows(structure: Structure) -> tuple[list[OpenEspace], list[Service]]:
    """What every new structure gets, unsaved: its default espaces and, for a public
    structure, the default service FACTURES_PUBLIQUES. `set_up_new_structure` saves them for
    one structure; the qualification annuaire saves those of hundreds in one insert each."""
    now = clock.now()
    espaces = [OpenEspace(structure=structure, espace=e, opened_at=now)
               for e in DEFAULT_ESPACES[structure.kind]]
    default_services = [Service(
        structure=structure, code=Service.DEFAULT_PUBLIC_CODE,
        name="Service des factures publiques", created_at=now, updated_at=now,
    )] if structure.kind == Structure.Kind.PUBLIQUE else []
    return espaces, default_services


def _create(actor, identifier_type: str, identifier: str, kind: str, data: dict) -> Structure:
    identifier = normalise_identifier(identifier_type, identifier)
    if identifier_type == IdentifierType.PARTICULIER and not data.get("company_name"):
        data = {**data, "company_name": f"{data.get('first_name', '')} "
                                        f"{data.get('last_name', '')}".strip()}
    if Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).exists():
        raise errors.StructureAlreadyExists(identifier=identifier)
    now = clock.now()
    try:
        with transaction.atomic():
            structure = Structure.objects.create(
                identifier_type=identifier_type, identifier=identifier, kind=kind,
                created_at=now, updated_at=now,
                **_clean_structure_data(data, identifier_type, identifier),
            )
    except IntegrityError:  # created by someone else between our check and our insert
        raise errors.StructureAlreadyExists(identifier=identifier) from None
    set_up_new_structure(actor, structure)
    return structure


def set_up_new_structure(actor, structure: Structure) -> None:
    """What every new structure gets, however it was created (portal, import, the admin): its
    default espaces and, for a public structure, the default service FACTURES_PUBLIQUES."""
    espaces, default_services = default_rows(structure)
    OpenEspace.objects.bulk_create(espaces, ignore_conflicts=True)
    permissions.forget_open_espaces(structure)
    for service in default_services:
        Service.objects.get_or_create(
            structure=structure, code=service.code,
            defaults={"name": service.name, "created_at": service.created_at,
                      "updated_at": service.updated_at},
        )
    audit.record(actor, "organisations.structure_created", structure,
                 identifier_type=structure.identifier_type, identifier=structure.identifier,
                 kind=structure.kind)


def create_private_structure(
    actor: User, identifier_type: str, identifier: str, data: dict
) -> Structure:
    """A user creates their company's structure and becomes its gestionnaire principal."""
    structure = _create(actor, identifier_type, identifier, Structure.Kind.PRIVEE, data)
    _attach(actor, structure, actor, Rattachement.Role.GESTIONNAIRE_PRINCIPAL, services=())
    return structure


def create_public_structure(actor, identifier: str, data: dict) -> Structure:
    """Public structures come from the import or the platform administrator (no gestionnaire:
    the first user attached to it becomes its gestionnaire principal)."""
    if isinstance(actor, User) and not actor.is_superuser:
        raise PermissionRefused()
    return _create(actor, IdentifierType.SIRET, identifier, Structure.Kind.PUBLIQUE, data)


def update_structure(actor: User, structure: Structure, data: dict) -> Structure:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    changes = _clean_structure_data(data, structure.identifier_type, structure.identifier)
    if data.get("payment_category") and (structure.is_public
                                       or data["payment_category"] != structure.payment_category):
        changes["payment_category"] = clean_payment_category(structure, data["payment_category"])
    changed = {k: v for k, v in changes.items() if getattr(structure, k) != v}
    if "second_factor_for_gestionnaires" in changed or "payment_category" in changed:
        # A rule over the gestionnaires; the délai the structure owes its suppliers.
        permissions.require_principal(actor, structure)
    for key, value in changed.items():
        setattr(structure, key, value)
    if changed:
        structure.updated_at = clock.now()
        structure.save()
        audit.record(actor, "organisations.structure_updated", structure,
                     fields=sorted(changed))
    return structure


def set_structure_active(actor: User, structure: Structure, active: bool) -> Structure:
    permissions.require_principal(actor, structure)
    if active and structure.duplicates.exists():
        raise errors.StructureReplaced(structure=structure.identifier)
    if structure.is_active != active:
        structure.is_active = active
        structure.updated_at = clock.now()
        structure.save(update_fields=["is_active", "updated_at"])
        audit.record(actor, "organisations.structure_activated" if active
                     else "organisations.structure_deactivated", structure)
    return structure


def change_identifier(actor: User, structure: Structure, identifier_type: str,
                      identifier: str) -> Structure:
    """« Modifier l'identifiant »: a copy of the structure under its new identifier, with its
    data, parameters, services, espaces, users and their habilitations; the old structure is
    deactivated. Bank details, technical accounts and API clients are not copied (as on
    Chorus Pro: they belong to the old identity and must be entered again)."""
    permissions.require_principal(actor, structure)
    identifier = normalise_identifier(identifier_type, identifier)
    if Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).exists():
        raise errors.StructureAlreadyExists(identifier=identifier)
    now = clock.now()
    # Deactivate first, conditionally: of two submissions at once, only one gets a copy made.
    if not Structure.objects.filter(pk=structure.pk, is_active=True).update(
        is_active=False, updated_at=now
    ):
        raise errors.StructureInactive(structure=structure.identifier)
    copied_fields = {f: getattr(structure, f) for f in STRUCTURE_FIELDS + STRUCTURE_PARAMETERS
                     + ("payment_category",)}
    if copied_fields["vat_number"] and identifier_type == IdentifierType.SIRET:
        copied_fields["vat_number"] = normalise_vat(copied_fields["vat_number"], identifier)
    try:
        with transaction.atomic():
            new = Structure.objects.create(
                identifier_type=identifier_type, identifier=identifier, kind=structure.kind,
                origin=structure, created_at=now, updated_at=now,
                principal_assigned_at=now, **copied_fields,
            )
    except IntegrityError:
        raise errors.StructureAlreadyExists(identifier=identifier) from None
    service_map = {}
    for service in structure.services.all():
        old_pk = service.pk
        service.pk = None
        service.public_id = uuid.uuid4()  # a service of the new structure, its own uuid
        service.structure = new
        service.created_at = service.updated_at = now
        service.save()
        service_map[old_pk] = service
    OpenEspace.objects.bulk_create(
        [OpenEspace(structure=new, espace=e, opened_at=now)
         for e in permissions.open_espaces(structure)]
    )
    for old in structure.rattachements.filter(status=Rattachement.Status.VALIDEE):
        copy = Rattachement.objects.create(
            user=old.user, structure=new, status=old.status, role=old.role,
            requested_at=old.requested_at, decided_at=now, decided_by=actor,
        )
        copy.services.set([service_map[s.pk] for s in old.services.all()])
        Habilitation.objects.bulk_create(
            [Habilitation(rattachement=copy, espace=h.espace, mode=h.mode)
             for h in old.habilitations.all()]
        )
        permissions.forget(old.user)
    structure.refresh_from_db()
    audit.record(actor, "organisations.identifier_changed", structure, structure=structure.pk,
                 new_structure=new.pk, new_identifier=identifier)
    audit.record(actor, "organisations.structure_created", new, structure=new.pk,
                 origin=structure.pk)
    _notify(gestionnaires(new), "identifier_changed",
            {"structure": new, "origin": structure})
    return new


# --- Services ------------------------------------------------------------------------------


def _check_service_data(data: dict) -> dict:
    cleaned = {k: data[k] for k in SERVICE_FIELDS if k in data}
    for key in ("name", "description", "address_line1", "postcode", "city"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    valid_from: date | None = cleaned.get("valid_from")
    valid_until: date | None = cleaned.get("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise errors.InvalidValidityDates()
    return cleaned


def create_service(actor: User, structure: Structure, code: str, data: dict) -> Service:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    return add_service(actor, structure, code, data)


def add_service(actor, structure: Structure, code: str, data: dict) -> Service:
    """A new service, its code and data checked (the caller has checked who may)."""
    code = (code or "").strip()
    if not SERVICE_CODE.fullmatch(code):
        raise errors.InvalidServiceCode(code=code)
    if structure.services.filter(code__iexact=code).exists():
        raise errors.ServiceCodeTaken(code=code)
    now = clock.now()
    try:
        with transaction.atomic():
            service = Service.objects.create(
                structure=structure, code=code, created_at=now, updated_at=now,
                **_check_service_data(data),
            )
    except IntegrityError:
        raise errors.ServiceCodeTaken(code=code) from None
    audit.record(actor, "organisations.service_created", service, structure=structure.pk)
    return service


def update_service(actor: User, service: Service, data: dict) -> Service:
    permissions.require_gestionnaire(actor, service.structure)
    permissions.require_active(service.structure)
    return change_service(actor, service, data)


def change_service(actor, service: Service, data: dict) -> Service:
    """A service's data changed, checked (the caller has checked who may)."""
    cleaned = _check_service_data({**{k: getattr(service, k) for k in SERVICE_FIELDS}, **data})
    if service.code == Service.DEFAULT_PUBLIC_CODE and cleaned.get("name") != service.name:
        raise errors.DefaultServiceLocked()
    changed = {k: v for k, v in cleaned.items() if getattr(service, k) != v}
    for key, value in changed.items():
        setattr(service, key, value)
    if changed:
        service.updated_at = clock.now()
        service.save()
        audit.record(actor, "organisations.service_updated", service,
                     structure=service.structure_id, fields=sorted(changed))
    return service


def set_service_active(actor: User, service: Service, active: bool) -> Service:
    permissions.require_gestionnaire(actor, service.structure)
    permissions.require_active(service.structure)
    if service.code == Service.DEFAULT_PUBLIC_CODE and not active:
        raise errors.DefaultServiceLocked()
    if service.is_active != active:
        service.is_active = active
        service.updated_at = clock.now()
        service.save(update_fields=["is_active", "updated_at"])
        audit.record(actor, "organisations.service_activated" if active
                     else "organisations.service_deactivated", service,
                     structure=service.structure_id)
    return service


# --- Rattachements ---------------------------------------------------------------------------


def search_structures(query: str, limit: int = 50) -> QuerySet[Structure]:
    """For the rattachement request: by SIRET (3+ characters, partial) or exact company name.
    Only active structures; only what a requester needs to recognise one."""
    query = (query or "").strip()
    digits = re.sub(r"\s", "", query)
    # Private individuals are not searchable: a structure of theirs is theirs alone.
    base = Structure.objects.filter(is_active=True).exclude(
        identifier_type=IdentifierType.PARTICULIER
    )
    if len(digits) >= 3 and digits.isdigit():
        found = base.filter(identifier__startswith=digits)
    elif len(query) >= 3:
        found = base.filter(Q(company_name__iexact=query) | Q(identifier__iexact=query))
    else:
        return base.none()
    return base.filter(pk__in=found.order_by("company_name", "pk").values("pk")[:limit])


def _services_of(structure: Structure, service_ids: Iterable) -> list[Service]:
    ids = set()
    for raw in service_ids:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            raise errors.ServiceNotInStructure() from None
    services = list(structure.services.current().filter(pk__in=ids))
    if len(services) != len(ids):
        raise errors.ServiceNotInStructure()
    return services


def _attach(actor, structure: Structure, user: User, role: str, services) -> Rattachement:
    now = clock.now()
    try:
        with transaction.atomic():
            rattachement = Rattachement.objects.create(
                user=user, structure=structure, status=Rattachement.Status.VALIDEE, role=role,
                requested_at=now, decided_at=now,
                decided_by=actor if isinstance(actor, User) else None,
            )
    except IntegrityError:
        raise errors.RattachementExists() from None
    rattachement.services.set(services)
    if role == Rattachement.Role.GESTIONNAIRE_PRINCIPAL and structure.principal_assigned_at is None:
        structure.principal_assigned_at = now
        structure.save(update_fields=["principal_assigned_at"])
    _grant_default_habilitations(rattachement)
    permissions.forget(user)
    audit.record(actor, "organisations.user_attached", rattachement,
                 structure=structure.pk, user=user.email, role=role)
    return rattachement


def _grant_default_habilitations(rattachement: Rattachement) -> None:
    opened = permissions.open_espaces(rattachement.structure)
    Habilitation.objects.bulk_create(
        [Habilitation(rattachement=rattachement, espace=e, mode=m)
         for e, m in DEFAULT_HABILITATIONS.items() if e in opened],
        ignore_conflicts=True,
    )


def request_rattachement(actor: User, structure: Structure, service_ids=()) -> Rattachement:
    """Ask to be attached to a structure; its gestionnaires decide. A public structure nobody
    has ever managed (fresh from the import or the administration) has no gestionnaire to
    decide: in production the platform's administrators do (`decide_first_principal`), as
    the public body designates its gestionnaire principal on Chorus Pro — whoever asks first
    must not get a public body's received invoices. In qualification (trainees, integrators'
    test data) the requester becomes its gestionnaire principal at once."""
    if not structure.is_active:
        raise errors.StructureInactive(structure=structure.identifier)
    services = _services_of(structure, service_ids)
    if Rattachement.objects.filter(
        user=actor, structure=structure, status__in=Rattachement.OPEN_STATUSES
    ).exists():
        raise errors.RattachementExists()
    never_managed = Structure.objects.filter(
        pk=structure.pk, kind=Structure.Kind.PUBLIQUE, principal_assigned_at__isnull=True)
    if settings.CHOEUR_ENVIRONMENT == "qualification":
        # A conditional update: of two claimants at once, one wins.
        if never_managed.update(principal_assigned_at=clock.now()):
            return _attach(actor, structure, actor, Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
                           services)
    try:
        with transaction.atomic():
            rattachement = Rattachement.objects.create(
                user=actor, structure=structure,
                status=Rattachement.Status.EN_COURS_DE_VALIDATION, requested_at=clock.now(),
            )
    except IntegrityError:
        raise errors.RattachementExists() from None
    rattachement.services.set(services)
    audit.record(actor, "organisations.rattachement_requested", rattachement,
                 structure=structure.pk, services=[s.code for s in services])
    deciders = gestionnaires(structure)
    if not deciders and never_managed.exists():
        _notify(platform_admins(), "first_principal_requested",
                {"rattachement": rattachement, "structure": structure, "services": services})
    else:
        _notify(deciders, "rattachement_requested",
                {"rattachement": rattachement, "structure": structure, "services": services})
    return rattachement


def platform_admins() -> list[User]:
    return list(User.objects.filter(is_superuser=True, is_active=True))


def decide_first_principal(actor: User, structure: Structure, rattachement_id,
                           approve: bool, reason: str = "") -> Rattachement:
    """A platform administrator decides a request to a public structure nobody has ever
    managed: approved, the requester becomes its gestionnaire principal (and decides the
    other requests); refused, with a reason. Conditional updates: of two administrators (or
    two requests) at once, one decision wins."""
    from choeur.core.permissions import is_platform_admin

    if not is_platform_admin(actor):
        raise PermissionRefused()
    [rattachement] = _pending(structure, [rattachement_id])
    if not approve:
        reason = (reason or "").strip()
        if not reason:
            raise errors.RefusalReasonRequired()
        updated = Rattachement.objects.filter(
            pk=rattachement.pk, status=Rattachement.Status.EN_COURS_DE_VALIDATION
        ).update(status=Rattachement.Status.REFUSEE, decided_at=clock.now(),
                 decided_by=actor, reason=reason)
        if not updated:
            raise errors.RattachementNotPending()
        audit.record(actor, "organisations.rattachement_refused", rattachement,
                     structure=structure.pk, user=rattachement.user.email, reason=reason)
        _notify([rattachement.user], "rattachement_refused",
                {"rattachement": rattachement, "structure": structure, "reason": reason})
        return rattachement
    now = clock.now()
    if not Structure.objects.filter(
            pk=structure.pk, kind=Structure.Kind.PUBLIQUE, principal_assigned_at__isnull=True
    ).update(principal_assigned_at=now):
        raise errors.PrincipalAlreadyAssigned()
    updated = Rattachement.objects.filter(
        pk=rattachement.pk, status=Rattachement.Status.EN_COURS_DE_VALIDATION
    ).update(status=Rattachement.Status.VALIDEE, role=Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
             decided_at=now, decided_by=actor)
    if not updated:
        raise errors.RattachementNotPending()
    rattachement.refresh_from_db()
    structure.principal_assigned_at = now
    _grant_default_habilitations(rattachement)
    permissions.forget(rattachement.user)
    audit.record(actor, "organisations.first_principal_approved", rattachement,
                 structure=structure.pk, user=rattachement.user.email)
    _notify([rattachement.user], "rattachement_validated",
            {"rattachement": rattachement, "structure": structure})
    return rattachement


def first_principal_requests(structure: Structure) -> list[Rattachement]:
    """The requests platform administrators decide: those to a public structure nobody has
    ever managed."""
    if structure.principal_assigned_at is not None or not structure.is_public:
        return []
    return list(structure.rattachements.select_related("user").filter(
        status=Rattachement.Status.EN_COURS_DE_VALIDATION).order_by("requested_at"))


def _pending(structure: Structure, ids: Iterable) -> list[Rattachement]:
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise NotFound(object_label="Demande de rattachement") from None
    found = list(
        Rattachement.objects.select_related("user").filter(structure=structure, pk__in=wanted)
    )
    if len(found) != len(wanted):  # forged ids, or ids of another structure
        raise NotFound(object_label="Demande de rattachement")
    return found


def _decide(actor: User, structure: Structure, ids, status: str, reason: str = ""):
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    decided = []
    for rattachement in _pending(structure, ids):
        # Conditional update: two gestionnaires clicking at once decide only once.
        updated = Rattachement.objects.filter(
            pk=rattachement.pk, status=Rattachement.Status.EN_COURS_DE_VALIDATION
        ).update(status=status, decided_at=clock.now(), decided_by=actor, reason=reason)
        if not updated:
            raise errors.RattachementNotPending()
        rattachement.refresh_from_db()
        decided.append(rattachement)
    return decided


def validate_rattachements(actor: User, structure: Structure, ids) -> list[Rattachement]:
    permissions.require_active(structure)  # no new user for a structure that left
    decided = _decide(actor, structure, ids, Rattachement.Status.VALIDEE)
    for rattachement in decided:
        _grant_default_habilitations(rattachement)
        permissions.forget(rattachement.user)
        audit.record(actor, "organisations.rattachement_validated", rattachement,
                     structure=structure.pk, user=rattachement.user.email)
        _notify([rattachement.user], "rattachement_validated",
                {"rattachement": rattachement, "structure": structure})
    return decided


def refuse_rattachements(actor: User, structure: Structure, ids, reason: str):
    reason = (reason or "").strip()
    if not reason:
        raise errors.RefusalReasonRequired()
    decided = _decide(actor, structure, ids, Rattachement.Status.REFUSEE, reason)
    for rattachement in decided:
        audit.record(actor, "organisations.rattachement_refused", rattachement,
                     structure=structure.pk, user=rattachement.user.email, reason=reason)
        _notify([rattachement.user], "rattachement_refused",
                {"rattachement": rattachement, "structure": structure, "reason": reason})
    return decided


def attach_user(actor: User, structure: Structure, email: str, service_ids=(),
                gestionnaire: bool = False) -> Rattachement:
    """The gestionnaire attaches an existing user directly, without a request."""
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    if gestionnaire:
        permissions.require_principal(actor, structure)  # as for set_gestionnaire
    user = User.objects.filter(email=normalise_email(email), is_active=True).first()
    if user is None:
        raise errors.UserNotFound(email=normalise_email(email))
    services = _services_of(structure, service_ids)
    if Rattachement.objects.filter(
        user=user, structure=structure, status__in=Rattachement.OPEN_STATUSES
    ).exists():
        raise errors.RattachementExists()
    role = Rattachement.Role.GESTIONNAIRE if gestionnaire else Rattachement.Role.UTILISATEUR
    rattachement = _attach(actor, structure, user, role, services)
    _notify([user], "rattachement_validated",
            {"rattachement": rattachement, "structure": structure})
    return rattachement


def _member(structure: Structure, rattachement_id) -> Rattachement:
    """A valid rattachement of the structure, read afresh and locked for the change."""
    try:
        return Rattachement.objects.select_for_update().select_related("user").get(
            pk=int(rattachement_id), structure=structure, status=Rattachement.Status.VALIDEE
        )
    except (Rattachement.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Rattachement") from None


def detach_user(actor: User, structure: Structure, rattachement_id) -> Rattachement:
    permissions.require_gestionnaire(actor, structure)
    rattachement = _member(structure, rattachement_id)
    if rattachement.role == Rattachement.Role.GESTIONNAIRE_PRINCIPAL:
        raise errors.PrincipalCannotLeave()
    if rattachement.role == Rattachement.Role.GESTIONNAIRE:
        permissions.require_principal(actor, structure)  # gestionnaires answer to the principal
    rattachement.status = Rattachement.Status.DESACTIVEE
    rattachement.decided_at = clock.now()
    rattachement.decided_by = actor
    rattachement.save(update_fields=["status", "decided_at", "decided_by"])
    permissions.forget(rattachement.user)
    audit.record(actor, "organisations.user_detached", rattachement,
                 structure=structure.pk, user=rattachement.user.email)
    _notify([rattachement.user], "user_detached", {"structure": structure})
    return rattachement


def set_gestionnaire(actor: User, structure: Structure, rattachement_id, grant: bool):
    """Grant or withdraw gestionnaire rights (the principal role is moved by `transfer`)."""
    permissions.require_principal(actor, structure)
    rattachement = _member(structure, rattachement_id)
    if rattachement.role == Rattachement.Role.GESTIONNAIRE_PRINCIPAL:
        raise errors.PrincipalCannotLeave()
    role = Rattachement.Role.GESTIONNAIRE if grant else Rattachement.Role.UTILISATEUR
    if rattachement.role != role:
        rattachement.role = role
        rattachement.save(update_fields=["role"])
        permissions.forget(rattachement.user)
        audit.record(actor, "organisations.gestionnaire_granted" if grant
                     else "organisations.gestionnaire_withdrawn", rattachement,
                     structure=structure.pk, user=rattachement.user.email)
        _notify([rattachement.user], "role_changed",
                {"structure": structure, "rattachement": rattachement})
    return rattachement


def transfer_principal(actor: User, structure: Structure, rattachement_id) -> Rattachement:
    current = permissions.require_principal(actor, structure)
    successor = _member(structure, rattachement_id)
    if successor.pk == current.pk:
        return current
    # Order matters for the "one principal" constraint: step down first.
    current.role = Rattachement.Role.GESTIONNAIRE
    current.save(update_fields=["role"])
    successor.role = Rattachement.Role.GESTIONNAIRE_PRINCIPAL
    successor.save(update_fields=["role"])
    permissions.forget(actor)
    permissions.forget(successor.user)
    audit.record(actor, "organisations.principal_transferred", structure,
                 previous=actor.email, new=successor.user.email)
    _notify([successor.user, actor], "principal_transferred",
            {"structure": structure, "successor": successor.user, "previous": actor})
    return successor


def leave_structure(actor: User, structure: Structure) -> Rattachement:
    """A user ends their own rattachement."""
    rattachement = permissions.require_attached(actor, structure)
    if rattachement.role == Rattachement.Role.GESTIONNAIRE_PRINCIPAL:
        raise errors.PrincipalCannotLeave()
    rattachement.status = Rattachement.Status.SUPPRIMEE
    rattachement.decided_at = clock.now()
    rattachement.save(update_fields=["status", "decided_at"])
    permissions.forget(actor)
    audit.record(actor, "organisations.rattachement_left", rattachement, structure=structure.pk)
    return rattachement


# --- Espaces and habilitations ---------------------------------------------------------------


def set_espace_open(actor: User, structure: Structure, espace: str, open_: bool) -> None:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    espace = Espace(espace)
    if not open_ and espace in LOCKED_ESPACES:
        raise errors.EspaceLocked(espace=espace.label)
    if open_:
        _, created = OpenEspace.objects.get_or_create(
            structure=structure, espace=espace, defaults={"opened_at": clock.now()}
        )
    else:
        created = OpenEspace.objects.filter(structure=structure, espace=espace).delete()[0] > 0
        Habilitation.objects.filter(rattachement__structure=structure, espace=espace).delete()
    permissions.forget_open_espaces(structure)
    permissions.forget(actor)
    if created:
        audit.record(actor, "organisations.espace_opened" if open_
                     else "organisations.espace_closed", structure, espace=espace.value)


def set_habilitation(actor: User, structure: Structure, rattachement_id, espace: str,
                     mode: str | None) -> None:
    """Subscribe a user to an espace in CONSULTATION or MODIFICATION, or unsubscribe (None)."""
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    rattachement = _member(structure, rattachement_id)
    espace = Espace(espace)
    if mode is not None:
        mode = HabilitationMode(mode)
        if espace not in permissions.open_espaces(structure):
            raise errors.EspaceNotOpen(espace=espace.label)
        _upsert_habilitation(rattachement, espace, mode)
    else:
        Habilitation.objects.filter(rattachement=rattachement, espace=espace).delete()
    permissions.forget(rattachement.user)
    audit.record(actor, "organisations.habilitation_set", rattachement,
                 structure=structure.pk, user=rattachement.user.email, espace=espace.value,
                 mode=mode or "")


def _upsert_habilitation(rattachement: Rattachement, espace: str, mode: str) -> Habilitation:
    try:
        with transaction.atomic():
            habilitation, _ = Habilitation.objects.update_or_create(
                rattachement=rattachement, espace=espace, defaults={"mode": mode}
            )
    except IntegrityError:  # created by a concurrent request: apply ours over it
        habilitation = Habilitation.objects.get(rattachement=rattachement, espace=espace)
        habilitation.mode = mode
        habilitation.save(update_fields=["mode"])
    return habilitation


def request_habilitation(actor: User, structure: Structure, espace: str, mode: str):
    """A user asks for access to an espace. Self-service espaces are granted at once; the
    others wait for a gestionnaire. Returns the Habilitation granted or the pending request."""
    rattachement = permissions.require_attached(actor, structure)
    espace, mode = Espace(espace), HabilitationMode(mode)
    if espace not in permissions.open_espaces(structure):
        raise errors.EspaceNotOpen(espace=espace.label)
    if rattachement.is_gestionnaire:
        raise errors.HabilitationUseless()
    current = permissions.espace_mode(actor, structure, espace)
    if current == HabilitationMode.MODIFICATION or current == mode:
        raise errors.HabilitationUseless()
    # Self-service subscribes a user who has no access yet; changing what a gestionnaire set
    # (an upgrade from consultation) is for the gestionnaires to decide.
    if espace in SELF_SERVICE_ESPACES and current is None:
        habilitation = _upsert_habilitation(rattachement, espace, mode)
        permissions.forget(actor)
        audit.record(actor, "organisations.habilitation_subscribed", rattachement,
                     structure=structure.pk, espace=espace.value, mode=mode.value)
        return habilitation
    try:
        with transaction.atomic():
            request = HabilitationRequest.objects.create(
                rattachement=rattachement, espace=espace, mode=mode, requested_at=clock.now()
            )
    except IntegrityError:
        raise errors.HabilitationRequestPending(espace=espace.label) from None
    audit.record(actor, "organisations.habilitation_requested", rattachement,
                 structure=structure.pk, espace=espace.value, mode=mode.value)
    _notify(gestionnaires(structure), "habilitation_requested",
            {"structure": structure, "request": request, "requester": actor})
    return request


def decide_habilitation_request(actor: User, structure: Structure, request_id,
                                approve: bool) -> HabilitationRequest:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    try:
        request = HabilitationRequest.objects.select_related("rattachement__user").get(
            pk=int(request_id), rattachement__structure=structure
        )
    except (HabilitationRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Demande d'habilitation") from None
    status = (HabilitationRequest.Status.VALIDEE if approve
              else HabilitationRequest.Status.REFUSEE)
    updated = HabilitationRequest.objects.filter(
        pk=request.pk, status=HabilitationRequest.Status.EN_COURS_DE_VALIDATION
    ).update(status=status, decided_at=clock.now(), decided_by=actor)
    if not updated:  # decided by another gestionnaire a moment ago
        raise errors.RattachementNotPending()
    request.refresh_from_db()
    if approve:
        if request.rattachement.status != Rattachement.Status.VALIDEE:
            raise errors.RattachementNotPending()
        set_habilitation(actor, structure, request.rattachement_id, request.espace,
                         request.mode)
    audit.record(actor, "organisations.habilitation_request_approved" if approve
                 else "organisations.habilitation_request_refused",
                 request.rattachement, structure=structure.pk, espace=request.espace,
                 user=request.rattachement.user.email, mode=request.mode)
    _notify([request.rattachement.user], "habilitation_decided",
            {"structure": structure, "request": request, "approved": approve})
    return request


# --- Bank details ------------------------------------------------------------------------------


def add_bank_account(actor: User, structure: Structure, label: str, holder: str, iban: str,
                     bic: str = "", is_factor: bool = False) -> BankAccount:
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        parsed = IBAN(iban)
    except SchwiftyException as exc:
        raise errors.InvalidIban(iban=iban, reason=str(exc)) from None
    bic = re.sub(r"\s", "", bic or "").upper()
    if bic:
        try:
            parsed_bic = BIC(bic)
        except SchwiftyException:
            raise errors.InvalidBic(bic=bic) from None
        # Monaco and the overseas territories bank with French BICs.
        bic_countries = {parsed.country_code}
        if parsed.country_code in FRENCH_BANKING_AREA:
            bic_countries |= FRENCH_BANKING_AREA
        if parsed_bic.country_code not in bic_countries:
            raise errors.InvalidBic(bic=bic)
        bic = str(parsed_bic)
    else:
        guessed = parsed.bic
        if guessed is None:
            raise errors.InvalidBic(bic="")
        bic = str(guessed)
    if structure.bank_accounts.filter(iban=parsed.compact, is_active=True).exists():
        raise errors.BankAccountExists()
    try:
        with transaction.atomic():  # a double click: the second insert meets the constraint
            account = BankAccount.objects.create(
                structure=structure, label=(label or "").strip()[:100] or "Compte principal",
                holder=(holder or "").strip()[:100] or structure.company_name,
                iban=parsed.compact, bic=bic, is_factor=bool(is_factor), created_at=clock.now(),
            )
    except IntegrityError:
        raise errors.BankAccountExists() from None
    audit.record(actor, "organisations.bank_account_added", account, structure=structure.pk,
                 iban=account.masked_iban, factor=account.is_factor)
    _notify(gestionnaires(structure), "bank_account_added",
            {"structure": structure, "account": account, "actor": actor})
    return account


def deactivate_bank_account(actor: User, structure: Structure, account_id) -> BankAccount:
    permissions.require_gestionnaire(actor, structure)
    try:
        account = structure.bank_accounts.get(pk=int(account_id), is_active=True)
    except (BankAccount.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Coordonnées bancaires") from None
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit.record(actor, "organisations.bank_account_deactivated", account,
                 structure=structure.pk, iban=account.masked_iban)
    return account
