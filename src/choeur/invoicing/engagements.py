"""Engagements juridiques (reference §3.7): a public buyer creates them in its espace
« Engagements »; its supplier sees them as orders (« Commandes ») and accepts or refuses them;
invoices then quote their number (BT-13, checked at deposit by `services.check_routing`).

One function per use case, each checking the actor's rights first (house rule 1), and the
read side, always scoped (house rule 5): a forged or foreign id is "not found". The entry
point owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from choeur.core import audit, clock
from choeur.core.errors import Conflict, NotFound, PermissionRefused
from choeur.invoicing import errors
from choeur.invoicing.data import MAX_AMOUNT
from choeur.invoicing.lifecycle import acting_user
from choeur.invoicing.models import Engagement
from choeur.invoicing.notifications import reverse
from choeur.invoicing.queries import _scope
from choeur.invoicing.services import find_structure
from choeur.messaging.services import notify
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Service, Structure

NUMBER = re.compile(r"[A-Za-z0-9\-_/.]{1,50}")
CURRENCY = re.compile(r"[A-Z]{3}")
MAX_LABEL = 255
MAX_REASON = 500  # Engagement.state_reason
State = Engagement.State


@dataclass
class EngagementData:
    """What a buyer keys in (portal form, API): the supplier by its identifier (SIRET...),
    the service by its code."""

    number: str = ""
    kind: str = Engagement.Kind.BON_DE_COMMANDE
    supplier_identifier: str = ""
    service_code: str = ""
    label: str = ""
    amount_ht: Decimal | str | int = Decimal(0)
    amount_ttc: Decimal | str | int = Decimal(0)
    currency: str = "EUR"


# --- Read side ---------------------------------------------------------------------------------


def engagements_of(user) -> QuerySet[Engagement]:
    """The engagements of the structures where `user` sees the espace Engagements, limited
    to the services of the user's rattachement when it names some."""
    scope = _scope(user, Espace.ENGAGEMENTS, "structure", "service")
    if scope is None:
        return Engagement.objects.none()
    return Engagement.objects.filter(scope)


def orders_of(user) -> QuerySet[Engagement]:
    """The engagements addressed to the structures where `user` sees Factures émises."""
    scope = _scope(user, Espace.FACTURES_EMISES, "supplier", None)
    if scope is None:
        return Engagement.objects.none()
    return Engagement.objects.filter(scope)


def _get(queryset: QuerySet[Engagement], engagement_id) -> Engagement:
    try:
        return queryset.select_related("structure", "supplier", "service").get(
            pk=int(engagement_id))
    except (Engagement.DoesNotExist, TypeError, ValueError):
        raise NotFound(object_label="Engagement") from None


def engagement_of(user, engagement_id) -> Engagement:
    return _get(engagements_of(user), engagement_id)


def order_of(user, engagement_id) -> Engagement:
    return _get(orders_of(user), engagement_id)


def search(queryset: QuerySet[Engagement], *, number: str = "", partner: str = "",
           partner_field: str = "supplier", state: str = "") -> QuerySet[Engagement]:
    """Filter a list by number (contains), partner (identifier prefix or name) and state."""
    number, partner = (number or "").strip(), (partner or "").strip()
    if number:
        queryset = queryset.filter(number__icontains=number)
    if partner:
        if re.fullmatch(r"[\d\s]+", partner):
            partner = re.sub(r"\s", "", partner)  # a SIRET typed with spaces
        queryset = queryset.filter(Q(**{f"{partner_field}__identifier__startswith": partner})
                                   | Q(**{f"{partner_field}__company_name__icontains": partner}))
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def creatable_structures(user) -> list[Structure]:
    """The structures `user` may create engagements for."""
    return [s for s in permissions.visible_structures(user).filter(
                is_active=True, kind=Structure.Kind.PUBLIQUE)
            if permissions.can_modify(user, s, Espace.ENGAGEMENTS)]


def services_for(user, structure: Structure) -> list[Service]:
    """The services an engagement of `structure` may name, as `user` keys it in."""
    scope = permissions.services_of(user, structure)
    current = list(structure.services.current())
    return current if scope is None else [s for s in current if s in scope]


def can_manage(user, engagement: Engagement) -> bool:
    """Whether the page offers the buyer's actions (the use cases check again)."""
    return permissions.can_modify(user, engagement.structure, Espace.ENGAGEMENTS)


def can_answer(user, engagement: Engagement) -> bool:
    """Whether the page offers the supplier's answer (the use cases check again)."""
    return (engagement.supplier is not None and engagement.state == State.COMMANDE
            and permissions.can_modify(user, engagement.supplier, Espace.FACTURES_EMISES))


# --- Checks ------------------------------------------------------------------------------------


def check_number(number: str) -> str:
    number = (number or "").strip()
    if not NUMBER.fullmatch(number):
        raise errors.EngagementNumberInvalid()
    return number


def _amount(value, label_fr: str, label_en: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0).replace(",", "."))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise errors.EngagementAmountsInvalid(detail_fr=f"{label_fr} n'est pas un nombre.",
                                              detail_en=f"{label_en} is not a number.")
    if amount < 0:
        raise errors.EngagementAmountsInvalid(detail_fr=f"{label_fr} est négatif.",
                                              detail_en=f"{label_en} is negative.")
    if amount >= MAX_AMOUNT or amount.as_tuple().exponent < -6:
        # Refused rather than rounded or cut: the stored value would not be the one keyed in.
        raise errors.EngagementAmountsInvalid(
            detail_fr=f"{label_fr} dépasse 13 chiffres avant la virgule ou 6 après.",
            detail_en=f"{label_en} exceeds 13 digits before the point or 6 after.")
    return amount


def _supplier(structure: Structure, identifier: str) -> Structure | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    supplier = find_structure(identifier)
    if supplier is None or not supplier.is_active or supplier.pk == structure.pk:
        raise errors.EngagementSupplierUnknown(identifier=identifier)
    return supplier


def _service(actor, structure: Structure, code: str) -> Service | None:
    scope = permissions.services_of(actor, structure)
    code = (code or "").strip()
    if not code:
        if scope:  # the engagement would be out of the actor's own sight
            raise errors.EngagementDataInvalid(
                detail_fr="choisissez l'un de vos services.",
                detail_en="choose one of your services.")
        return None
    service = structure.services.current().filter(code=code).first()
    if service is None:
        raise errors.ServiceUnknown(code=code, recipient=structure.company_name)
    if scope and service not in scope:
        raise PermissionRefused()
    return service


def _checked(actor, structure: Structure, data: EngagementData) -> dict:
    """The engagement's fields from `data`, every rule checked; nothing is truncated."""
    if data.kind not in Engagement.Kind.values:
        raise errors.EngagementDataInvalid(detail_fr=f"type « {data.kind} » inconnu.",
                                           detail_en=f"unknown type “{data.kind}”.")
    label = (data.label or "").strip()
    if len(label) > MAX_LABEL:
        raise errors.EngagementDataInvalid(
            detail_fr=f"l'objet dépasse {MAX_LABEL} caractères.",
            detail_en=f"the object is longer than {MAX_LABEL} characters.")
    currency = (data.currency or "EUR").strip().upper()
    if not CURRENCY.fullmatch(currency):
        raise errors.EngagementDataInvalid(
            detail_fr=f"devise « {currency} » invalide (code ISO 4217 : EUR...).",
            detail_en=f"invalid currency “{currency}” (ISO 4217 code: EUR...).")
    amount_ht = _amount(data.amount_ht, "le montant HT", "the amount without VAT")
    amount_ttc = _amount(data.amount_ttc, "le montant TTC", "the amount with VAT")
    if amount_ttc < amount_ht:
        raise errors.EngagementAmountsInvalid(
            detail_fr=f"le montant TTC ({amount_ttc}) est inférieur au montant HT "
                      f"({amount_ht}).",
            detail_en=f"the amount with VAT ({amount_ttc}) is below the amount without VAT "
                      f"({amount_ht}).")
    return {
        "kind": data.kind, "label": label, "currency": currency,
        "amount_ht": amount_ht, "amount_ttc": amount_ttc,
        "supplier": _supplier(structure, data.supplier_identifier),
        "service": _service(actor, structure, data.service_code),
    }


def _text(value) -> str:
    """A field's value as the audit log keeps it (JSON): none is empty, zero stays 0."""
    return "" if value is None else str(value)


def _reason(reason: str, state: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.EngagementReasonRequired(state=State(state).label)
    if len(reason) > MAX_REASON:
        raise errors.ReasonTooLong(limit=MAX_REASON)
    return reason


# --- Rights ------------------------------------------------------------------------------------


def _fresh(engagement: Engagement) -> Engagement:
    """The row as it is now (the caller's copy may be stale)."""
    found = Engagement.objects.select_related("structure", "supplier", "service").filter(
        pk=engagement.pk).first()
    if found is None:
        raise NotFound(object_label="Engagement")
    return found


def _require_buyer(actor, engagement: Engagement) -> None:
    structure = engagement.structure
    permissions.require_espace(actor, structure, Espace.ENGAGEMENTS, modify=True)
    scope = permissions.services_of(actor, structure)
    if scope and engagement.service not in scope:
        raise PermissionRefused()
    permissions.require_active(structure)


def _require_supplier(actor, engagement: Engagement) -> None:
    if engagement.supplier is None:
        raise NotFound(object_label="Engagement")
    permissions.require_espace(actor, engagement.supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(engagement.supplier)


# --- Notifications -----------------------------------------------------------------------------


def _params(engagement: Engagement, **extra) -> dict:
    return {
        "number": engagement.number,
        "buyer": engagement.structure.company_name,
        "supplier": engagement.supplier.company_name if engagement.supplier else "",
        "amount": f"{engagement.amount_ttc:.2f}",
        "currency": engagement.currency,
        **extra,
    }


def _tell_supplier(engagement: Engagement, kind: str, actor, **extra) -> None:
    if engagement.supplier is None:
        return
    users = [u for u in permissions.users_in_espace(engagement.supplier, Espace.FACTURES_EMISES)
             if u != actor]
    notify(users, kind, _params(engagement, **extra),
           reverse("invoicing:order_detail", [engagement.pk]))


def _tell_buyer(engagement: Engagement, kind: str, actor, **extra) -> None:
    users = [u for u in permissions.users_in_espace(engagement.structure, Espace.ENGAGEMENTS,
                                                     engagement.service) if u != actor]
    notify(users, kind, _params(engagement, **extra),
           reverse("invoicing:engagement_detail", [engagement.pk]))


# --- Use cases: the buyer ----------------------------------------------------------------------


def create_engagement(actor, structure: Structure, data: EngagementData) -> Engagement:
    """A public structure creates an engagement (state COMMANDE); its supplier, if named,
    is told of the new order."""
    permissions.require_espace(actor, structure, Espace.ENGAGEMENTS, modify=True)
    permissions.require_active(structure)
    if not structure.is_public:
        raise errors.EngagementBuyerNotPublic(structure=structure.company_name)
    number = check_number(data.number)
    values = _checked(actor, structure, data)
    if Engagement.objects.filter(structure=structure, number=number).exists():
        raise errors.EngagementNumberTaken(number=number)
    now = clock.now()
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin leaves ours usable
            engagement = Engagement.objects.create(
                structure=structure, number=number, created_by=acting_user(actor),
                created_at=now, updated_at=now, **values)
    except IntegrityError:
        raise errors.EngagementNumberTaken(number=number) from None
    audit.record(actor, "engagement.created", engagement, structure=structure.pk,
                 number=number, supplier=engagement.supplier_id,
                 amount_ht=str(engagement.amount_ht), amount_ttc=str(engagement.amount_ttc))
    _tell_supplier(engagement, "engagement_received", actor)
    return engagement


def update_engagement(actor, engagement: Engagement, data: EngagementData) -> Engagement:
    """Change an engagement while its supplier has not answered (state COMMANDE). The number
    is its identity: it cannot change (an empty one in `data` keeps it)."""
    seen = engagement
    engagement = _fresh(engagement)
    _require_buyer(actor, engagement)
    if engagement.state != State.COMMANDE:
        raise errors.EngagementNotModifiable(number=engagement.number,
                                             state=State(engagement.state).label)
    if (data.number or "").strip() not in ("", engagement.number):
        raise errors.EngagementDataInvalid(
            detail_fr="le numéro d'un engagement ne se modifie pas.",
            detail_en="an engagement's number cannot be changed.")
    values = _checked(actor, engagement.structure, data)
    changes = {field: [_text(getattr(engagement, field)), _text(value)]
               for field, value in values.items() if getattr(engagement, field) != value}
    if not changes:
        return engagement
    now = clock.now()
    # Conditional on the state and version the caller saw: the supplier answering (or
    # another buyer editing) in the meantime makes this a Conflict that changes nothing.
    updated = Engagement.objects.filter(
        pk=engagement.pk, state=State.COMMANDE, updated_at=seen.updated_at,
    ).update(updated_at=now, **values)
    if updated != 1:
        raise Conflict()
    previous_supplier = engagement.supplier
    for field, value in {**values, "updated_at": now}.items():
        setattr(engagement, field, value)
    audit.record(actor, "engagement.updated", engagement, changes=changes)
    if engagement.supplier is not None:
        same = previous_supplier is not None and previous_supplier.pk == engagement.supplier.pk
        _tell_supplier(engagement, "engagement_updated" if same else "engagement_received",
                       actor)
    return engagement


def inactivate_engagement(actor, engagement: Engagement, reason: str) -> Engagement:
    """Withdraw an engagement (INACTIF, with a reason): invoices can no longer quote it."""
    seen = engagement
    engagement = _fresh(engagement)
    _require_buyer(actor, engagement)
    if engagement.state == State.INACTIF:
        raise errors.EngagementNotModifiable(number=engagement.number,
                                             state=State(engagement.state).label)
    reason = _reason(reason, State.INACTIF)
    previous = engagement.state
    now = clock.now()
    updated = Engagement.objects.filter(
        pk=engagement.pk, state=previous, updated_at=seen.updated_at,
    ).update(state=State.INACTIF, state_reason=reason, updated_at=now)
    if updated != 1:
        raise Conflict()
    engagement.state, engagement.state_reason, engagement.updated_at = (
        State.INACTIF, reason, now)
    audit.record(actor, "engagement.inactivated", engagement, previous=previous, reason=reason)
    if previous != State.REFUSE:  # a supplier that refused the order has nothing to hear
        _tell_supplier(engagement, "engagement_inactivated", actor, reason=reason)
    return engagement


# --- Use cases: the supplier -------------------------------------------------------------------


def _answer(actor, engagement: Engagement, target: str, reason: str = "") -> Engagement:
    seen = engagement
    engagement = _fresh(engagement)
    _require_supplier(actor, engagement)  # first: an outsider learns nothing, not even rules
    if target == State.REFUSE:
        reason = _reason(reason, State.REFUSE)
    now = clock.now()
    # Only an order still COMMANDE, unchanged since the supplier saw it, can be answered:
    # a double click or a buyer's change in the meantime is a Conflict and changes nothing.
    updated = Engagement.objects.filter(
        pk=engagement.pk, state=State.COMMANDE, updated_at=seen.updated_at,
    ).update(state=target, state_reason=reason, updated_at=now)
    if updated != 1:
        raise Conflict()
    engagement.state, engagement.state_reason, engagement.updated_at = target, reason, now
    action = "engagement.accepted" if target == State.PRIS_EN_COMPTE else "engagement.refused"
    audit.record(actor, action, engagement, supplier=engagement.supplier_id,
                 **({"reason": reason} if reason else {}))
    _tell_buyer(engagement, "engagement_accepted" if target == State.PRIS_EN_COMPTE
                else "engagement_refused", actor, reason=reason)
    return engagement


def accept_order(actor, engagement: Engagement) -> Engagement:
    """The supplier takes the order into account (« prendre en compte »)."""
    return _answer(actor, engagement, State.PRIS_EN_COMPTE)


def refuse_order(actor, engagement: Engagement, reason: str) -> Engagement:
    """The supplier refuses the order, with a reason the buyer reads."""
    return _answer(actor, engagement, State.REFUSE, reason)
