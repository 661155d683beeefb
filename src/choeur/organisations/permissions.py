"""Who may see and do what on a structure (house rule 5). The one place that decides.

- Seeing a structure at all needs a VALIDEE rattachement to it. Outsiders get "not found",
  never "forbidden": the existence of another structure's data is not disclosed.
- Gestionnaires (principal or not) manage the structure, its services, espaces, users and bank
  details, and act in every open espace.
- Other users act in an espace only when it is open on the structure and they hold a
  habilitation in it: CONSULTATION to see, MODIFICATION to change.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from choeur.core.errors import NotFound, PermissionRefused
from choeur.organisations.models import (
    Espace,
    HabilitationMode,
    OpenEspace,
    Rattachement,
    Structure,
)

#: Espaces every user of the structure may use without a habilitation.
ALWAYS_OPEN = (Espace.MON_COMPTE,)


def rattachement_of(user, structure: Structure) -> Rattachement | None:
    """The user's valid rattachement to the structure, or None.

    Inside a transaction (every use case runs in one), the row is read afresh and locked
    (SELECT ... FOR UPDATE on PostgreSQL): a right withdrawn or a role transferred a moment
    ago is seen, and concurrent changes to the same rattachement queue up. Outside one (pages
    that only read), the answer is remembered for the request.
    """
    if is_technical_account(user) or not user.is_authenticated or not user.is_active:
        return None
    if connection.in_atomic_block:
        return (
            Rattachement.objects.select_for_update()
            .filter(user=user, structure=structure, status=Rattachement.Status.VALIDEE)
            .first()
        )
    cache = getattr(user, "_rattachement_cache", None)
    if cache is None:
        cache = user._rattachement_cache = {}
    if structure.pk not in cache:
        cache[structure.pk] = (
            Rattachement.objects.filter(
                user=user, structure=structure, status=Rattachement.Status.VALIDEE
            ).first()
        )
    return cache[structure.pk]


def forget(user) -> None:
    """Drop what `rattachement_of` and `espace_mode` remembered (after rights changed)."""
    # delattr, not __dict__: request.user is a lazy object proxying attributes.
    for name in ("_rattachement_cache", "_open_espaces_cache"):
        if getattr(user, name, None) is not None:
            delattr(user, name)


def visible_structures(user) -> QuerySet[Structure]:
    if is_technical_account(user):
        return technical_visible_structures(user)
    if not user.is_authenticated or not user.is_active:
        return Structure.objects.none()
    return Structure.objects.filter(
        rattachements__user=user, rattachements__status=Rattachement.Status.VALIDEE
    ).distinct()


def is_gestionnaire(user, structure: Structure) -> bool:
    rattachement = rattachement_of(user, structure)
    return bool(rattachement and rattachement.is_gestionnaire)


def is_principal(user, structure: Structure) -> bool:
    rattachement = rattachement_of(user, structure)
    return bool(
        rattachement and rattachement.role == Rattachement.Role.GESTIONNAIRE_PRINCIPAL
    )


def open_espaces(structure: Structure, user=None) -> set[str]:
    """The structure's open espaces, read once per request: remembered on the structure
    object and, given the acting `user` (whose object lives one request), for every object
    of the same structure the request reads (the menu, the page, the pending
    acknowledgements each hold their own). The services that open or close an espace forget
    them (`forget_open_espaces`, `forget`)."""
    known = structure.__dict__.get("_open_espaces")
    if known is None:
        # getattr/setattr, not __dict__: request.user is a lazy object proxying attributes.
        cache = getattr(user, "_open_espaces_cache", None) if user is not None else None
        if cache is None and user is not None:
            cache = {}
            user._open_espaces_cache = cache
        known = cache.get(structure.pk) if cache is not None else None
        if known is None:
            known = frozenset(OpenEspace.objects.filter(structure=structure)
                              .values_list("espace", flat=True))
            if cache is not None:
                cache[structure.pk] = known
        structure._open_espaces = known
    return set(known)


def remember_open_espaces(structure: Structure, espaces) -> None:
    """Tell this structure object its open espaces, read along with it (the API caller's
    structure, read on every call): open_espaces answers from them for the rest of the
    request instead of reading them again. Only for an object that lives one request."""
    structure._open_espaces = frozenset(e for e in espaces if e)


def forget_open_espaces(structure: Structure) -> None:
    """After an espace of this structure was opened or closed."""
    structure.__dict__.pop("_open_espaces", None)


def espace_mode(user, structure: Structure, espace: str) -> str | None:
    """MODIFICATION, CONSULTATION or None: what the user (or technical account) may do in an
    espace of the structure."""
    if is_technical_account(user):
        return technical_espace_mode(user, structure, espace)
    rattachement = rattachement_of(user, structure)
    if rattachement is None:
        return None
    if espace in ALWAYS_OPEN:
        return HabilitationMode.MODIFICATION
    if espace not in open_espaces(structure, user):
        return None
    if rattachement.is_gestionnaire:
        return HabilitationMode.MODIFICATION
    return _habilitation_modes(rattachement).get(espace)


def _habilitation_modes(rattachement: Rattachement) -> dict[str, str]:
    """{espace: mode} of a rattachement, read once (the rattachement object is the one
    `rattachement_of` remembers for the request)."""
    modes = rattachement.__dict__.get("_habilitation_modes")
    if modes is None:
        modes = rattachement._habilitation_modes = dict(
            rattachement.habilitations.values_list("espace", "mode"))
    return modes


def can_see(user, structure: Structure, espace: str) -> bool:
    return espace_mode(user, structure, espace) is not None


def can_modify(user, structure: Structure, espace: str) -> bool:
    return espace_mode(user, structure, espace) == HabilitationMode.MODIFICATION


# --- Guards used by services and views ------------------------------------------------------


def structure_for(user, structure_id) -> Structure:
    """The structure if the user is attached to it; NotFound otherwise (forged ids included)."""
    try:
        structure = Structure.objects.get(pk=int(structure_id))
    except (Structure.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Structure") from None
    if not is_member(user, structure):
        raise NotFound(object_label="Structure")
    return structure


def is_member(actor, structure: Structure) -> bool:
    """Whether the actor belongs to the structure (a valid rattachement, or its own
    technical account)."""
    if is_technical_account(actor):
        own = technical_structure(actor)
        return own is not None and own.pk == structure.pk
    return rattachement_of(actor, structure) is not None


def require_attached(user, structure: Structure) -> Rattachement | None:
    """The user's rattachement (None for the structure's own technical account); NotFound
    for anyone else."""
    if not is_member(user, structure):
        raise NotFound(object_label="Structure")
    return rattachement_of(user, structure)


def require_active(structure: Structure) -> None:
    """A deactivated structure is read-only (its successor, after a change of identifier,
    is the one that lives on)."""
    if not structure.is_active:
        from choeur.organisations.errors import StructureInactive

        raise StructureInactive(structure=structure.identifier)


def services_of(user, structure: Structure) -> list | None:
    """The services a user's rattachement is limited to, or None for the whole structure.
    (The invoicing feature scopes the invoices a user sees with this.) A technical account
    acts for the whole of its own structure, and for no service of another."""
    if is_technical_account(user):
        return None if is_member(user, structure) else []
    rattachement = rattachement_of(user, structure)
    if rattachement is None:
        return []
    if rattachement.is_gestionnaire:
        return None
    chosen = list(rattachement.services.all())
    return chosen or None


def require_gestionnaire(user, structure: Structure) -> Rattachement:
    rattachement = require_attached(user, structure)
    if not rattachement.is_gestionnaire:
        raise PermissionRefused()
    return rattachement


def require_principal(user, structure: Structure) -> Rattachement:
    rattachement = require_attached(user, structure)
    if rattachement.role != Rattachement.Role.GESTIONNAIRE_PRINCIPAL:
        raise PermissionRefused()
    return rattachement


def require_espace(user, structure: Structure, espace: str, *, modify: bool = False) -> None:
    """The right to see (or, with `modify`, to act in) an espace of the structure. A
    structure that left the platform (inactive) keeps its users' reading, nothing else: no
    deposit, no processing (docs/CONSERVATION.md « Structures leaving »)."""
    require_attached(user, structure)
    mode = espace_mode(user, structure, espace)
    if mode is None or (modify and mode != HabilitationMode.MODIFICATION):
        raise PermissionRefused()
    if modify:
        require_active(structure)


def users_in_espace(structure: Structure, espace: str, service=None) -> list:
    """The users who see `espace` of `structure` (and, when `service` is given, that service):
    whom to tell about something there. Gestionnaires see everything of an open espace."""
    from choeur.organisations.models import Habilitation

    if espace not in ALWAYS_OPEN and espace not in open_espaces(structure):
        return []
    rattachements = (
        Rattachement.objects.filter(structure=structure, status=Rattachement.Status.VALIDEE,
                                    user__is_active=True)
        .select_related("user").prefetch_related("services")
    )
    habilitated = set(
        Habilitation.objects.filter(rattachement__structure=structure, espace=espace)
        .values_list("rattachement_id", flat=True)
    )
    users = []
    for rattachement in rattachements:
        if not (rattachement.is_gestionnaire or rattachement.pk in habilitated):
            continue
        scope = list(rattachement.services.all())
        if service is not None and scope and not rattachement.is_gestionnaire \
                and service not in scope:
            continue
        users.append(rattachement.user)
    return users


# --- Technical accounts (the wire API's actors) -------------------------------------------
#
# A technical account (compte technique, `cpro-account`) is no user: it has no rattachement.
# It acts for its own structure only, with the structure's rights: in every espace open on
# the structure (and MON_COMPTE), never in the gestionnaire's own pages, and never for
# another structure (anything else is "not found", as for an outsider). It is not a
# gestionnaire: managing users, espaces and raccordements stays with people.
#
# The functions above (visible_structures, espace_mode, services_of, structure_for,
# require_espace...) take either a user or a technical account: every service and query
# accepts the wire API's actor unchanged.

#: Espaces a technical account never acts in, even when open: they are people's business.
TECHNICAL_ACCOUNT_EXCLUDED = (Espace.ACTIVITES_GESTIONNAIRE,)


def is_technical_account(actor) -> bool:
    from choeur.organisations.models import TechnicalAccount

    return isinstance(actor, TechnicalAccount)


def technical_structure(account) -> Structure | None:
    """The structure a technical account acts for, while both are active."""
    if not account.is_active or account.is_expired:
        return None
    structure = account.structure
    return structure if structure.is_active else None


def technical_visible_structures(account) -> QuerySet[Structure]:
    structure = technical_structure(account)
    if structure is None:
        return Structure.objects.none()
    return Structure.objects.filter(pk=structure.pk)


def technical_espace_mode(account, structure: Structure, espace: str) -> str | None:
    own = technical_structure(account)
    if own is None or structure is None or own.pk != structure.pk:
        return None
    if espace in TECHNICAL_ACCOUNT_EXCLUDED:
        return None
    if espace in ALWAYS_OPEN or espace in open_espaces(structure):
        return HabilitationMode.MODIFICATION
    return None


def directory(actor) -> QuerySet[Structure]:
    """The structures an API actor may look up: every public structure (the annuaire is
    public) and its own; another private structure is never found."""
    from django.db.models import Q

    own = list(visible_structures(actor).values_list("pk", flat=True))
    return Structure.objects.filter(Q(kind=Structure.Kind.PUBLIQUE) | Q(pk__in=own))


def directory_services(actor) -> QuerySet:
    """The services an API actor may look up: every service of its own structure, and the
    current ones (active, within their validity) of the public structures of `directory`."""
    from django.db.models import Q

    from choeur.organisations.models import Service

    own = list(visible_structures(actor).values_list("pk", flat=True))
    current = Service.objects.current().filter(structure__kind=Structure.Kind.PUBLIQUE)
    return Service.objects.filter(Q(structure_id__in=own) | Q(pk__in=current.values("pk")))
