"""Read side of the factures de travaux (house rule 5: every list scoped to what the actor may
see; docs/TRAVAUX.md "Rights").

A structure sees a dossier when it is its supplier, its MOE or its MOA — or the titulaire of
a sous-traitant's or co-traitant's dossier (subcontracting.py) — and the actor sees its
espace Factures de travaux there (a person through a rattachement and habilitation, a
technical account for its own structure only); it then sees the dossier's pieces, in order.
Anything else — another structure's dossier, a forged id or number — is not found, whatever
it is. The portal and the wire API read through these functions alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from choeur.invoicing.statuses import TABLE, TERMINAL, TRAVAUX_ONLY, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.travaux import errors
from choeur.travaux.models import Actor, Dossier, Piece, TypeFactureTravaux

#: The roles a structure may hold in a dossier (`roleUtilisateur`), and the dossier's field
#: naming the structure in each.
ROLES = (Actor.FOURNISSEUR, Actor.MOE, Actor.MOA)
_SLOT = {Actor.FOURNISSEUR: "supplier", Actor.MOE: "moe", Actor.MOA: "moa"}
#: A piece in these statuses is nobody's business yet (or any more).
_UNSEEN = (Status.BROUILLON, Status.SUPPRIMEE)
#: What the wire rows and the dossier page name: read with the piece, in one query.
PIECE_RELATED = (
    "invoice", "invoice__supplier", "invoice__supplier_service", "invoice__recipient",
    "invoice__recipient_service", "dossier", "dossier__supplier", "dossier__moe",
    "dossier__moe_service", "dossier__moa", "dossier__moa_service", "previous")


def parties(actor) -> list[Structure]:
    """The actor's structures whose espace Factures de travaux it sees."""
    return [structure for structure in permissions.visible_structures(actor)
            if permissions.can_see(actor, structure, Espace.FACTURES_TRAVAUX)]


def in_services(role: str, services: list, prefix: str = "") -> Q:
    """The dossiers of a rattachement limited to `services` (as invoicing limits the invoices
    such a user sees): the MOE's or MOA's by the dossier's service there, the supplier's by
    the service its first piece named."""
    if role == Actor.FOURNISSEUR:
        return Q(**{f"{prefix}pk__in": Piece.objects.filter(
            position=1, invoice__supplier_service__in=services).values("dossier_id")})
    return Q(**{f"{prefix}{_SLOT[role]}_service__in": services})


def _scope(actor, role: str | None, prefix: str = "") -> Q:
    whole, limited = [], []
    for structure in parties(actor):
        services = permissions.services_of(actor, structure)
        (whole if services is None else limited).append((structure, services))
    ids = [structure.pk for structure, _services in whole]
    scope = Q(pk__in=[])
    for each in ([role] if role else ROLES):
        scope |= Q(**{f"{prefix}{_SLOT[each]}_id__in": ids})
        for structure, services in limited:
            scope |= Q(**{f"{prefix}{_SLOT[each]}_id": structure.pk}) & in_services(
                each, services, prefix)
    if not role:  # the titulaire follows its sous-traitant's or co-traitant's dossier
        scope |= Q(**{f"{prefix}titulaire_id__in": ids})
    return scope


def dossiers(actor, role: str | None = None) -> QuerySet[Dossier]:
    """The dossiers the actor sees — those where one of its structures holds `role`, or any of
    the three roles when none is given."""
    return Dossier.objects.filter(_scope(actor, role))


def pieces(actor, role: str | None = None) -> QuerySet[Piece]:
    """The pieces of those dossiers (none of them a draft), with what their rows name."""
    return (Piece.objects.filter(_scope(actor, role, prefix="dossier__"))
            .exclude(invoice__status__in=_UNSEEN).select_related(*PIECE_RELATED))


def dossier(actor, *, dossier_id=None, number: str | None = None) -> Dossier:
    """One dossier the actor sees, named by its id, its number or both (they must agree);
    `TRAV_DOSSIER_NOT_FOUND` otherwise, whether it exists or not."""
    if dossier_id is None and not (number or "").strip():
        raise errors.DossierNotFound()
    found = dossiers(actor).select_related("supplier", "moe", "moe_service", "moa",
                                           "moa_service")
    try:
        if dossier_id is not None:
            found = found.filter(pk=int(dossier_id))
        if (number or "").strip():
            found = found.filter(number__iexact=number.strip())
        return found.get()
    except (Dossier.DoesNotExist, TypeError, ValueError, OverflowError):
        raise errors.DossierNotFound() from None


def pieces_of(dossier: Dossier) -> list[Piece]:
    """A dossier's pieces in their order (the caller has found the dossier through
    `dossier()`, which decided the actor may see it)."""
    return list(dossier.pieces.exclude(invoice__status__in=_UNSEEN)
                .select_related(*PIECE_RELATED).order_by("position"))


def roles_in(actor, dossier: Dossier) -> list[str]:
    """The roles the actor's structures hold in the dossier (FOURNISSEUR, MOE, MOA)."""
    ids = {structure.pk for structure in parties(actor)}
    return [role for role in ROLES
            if getattr(dossier, f"{_SLOT[role]}_id") in ids]


def _reachable(start) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        source = todo.pop()
        for move in TABLE:
            if move.source == source and move.target not in seen:
                seen.add(move.target)
                todo.append(move.target)
    return seen


#: Every status a piece of a dossier may have (`recupererEtatParTypeDemandePaiement` for
#: FACTURE_TRAVAUX): the travaux statuses, and the ordinary ones the last piece goes through
#: from its deposit to the paying service on — read from the transition table, in its order.
PIECE_STATUSES = tuple(status for status in Status
                       if status in TRAVAUX_ONLY or status in _reachable([Status.DEPOSEE]))


# --- The portal's espace (travaux/views.py) ------------------------------------------------------

#: A piece that ends its dossier without a payment.
REFUSED = {Status.REFUSEE_MOE, Status.REFUSEE_MOA}
#: Pieces whose amounts are admitted ones (sommes admises), not a claim.
ADMITTING = {TypeFactureTravaux.ETAT_ACOMPTE, TypeFactureTravaux.ETAT_ACOMPTE_VALIDE}


def acting_ids(actor) -> set[int]:
    """The actor's structures where it acts in the espace Factures de travaux (modification)."""
    return {structure.pk for structure in permissions.visible_structures(actor)
            if permissions.can_modify(actor, structure, Espace.FACTURES_TRAVAUX)}


def listed(actor) -> QuerySet[Dossier]:
    """The actor's dossiers for a list, latest change first: parties and pieces read along."""
    return (dossiers(actor).order_by("-updated_at", "-pk")
            .select_related("supplier", "moe", "moa")
            .prefetch_related(Prefetch("pieces", queryset=Piece.objects.exclude(
                invoice__status__in=_UNSEEN).select_related("invoice").order_by("position"))))


def to_process(actor, queryset: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """Those waiting for one of the actor's roles in them (where it acts)."""
    ids = acting_ids(actor)
    scope = Q(pk__in=[])
    for role in ROLES:
        scope |= Q(next_actor=role, **{f"{_SLOT[role]}_id__in": ids})
    return queryset.filter(scope)


def acting_roles(actor, dossier: Dossier) -> set[str]:
    """The roles in which the actor may act on the dossier (modification)."""
    ids = acting_ids(actor)
    return {role for role in ROLES if getattr(dossier, f"{_SLOT[role]}_id") in ids}


def piece_of(actor, dossier_id, piece_id) -> Piece:
    """A piece of a dossier the actor sees; any other (or a forged id) is not found."""
    found = dossier(actor, dossier_id=dossier_id)
    try:
        return found.pieces.exclude(invoice__status__in=_UNSEEN).select_related(
            "invoice").get(pk=int(piece_id))
    except (Piece.DoesNotExist, TypeError, ValueError, OverflowError):
        raise errors.DossierNotFound() from None


def waiting_for(found: Dossier, last: Piece | None) -> str:
    """Who must act now: the dossier's `next_actor`, but nobody once the paying service has
    ended the last piece's processing (mise en paiement, rejection), which the dossier does
    not follow."""
    if found.next_actor == Actor.DESTINATAIRE and last is not None and (
            last.invoice.status in TERMINAL):
        return ""
    return found.next_actor


def retained_ht(in_order: list[Piece]) -> Decimal | None:
    """What a dossier stands for now: the amount of its last piece (the claim, or the sums
    admitted by the MOE or the MOA); nothing once a piece was refused."""
    if not in_order:
        return None
    last = in_order[-1]
    return None if last.invoice.status in REFUSED else last.invoice.total_ht


@dataclass
class Amounts:
    claimed_ht: Decimal
    claimed_ttc: Decimal
    current_ht: Decimal | None  # this dossier, its last piece (None: refused)
    admitted: bool  # the current amount is admitted (MOE/MOA), not the supplier's claim
    previous_ht: Decimal  # the same marché's earlier monthly dossiers, validated amounts
    cumulated_ht: Decimal | None


def amounts(actor, found: Dossier, in_order: list[Piece]) -> Amounts:
    """Claimed, admitted and cumulated: the cumulation runs over the earlier dossiers of the
    same kind and marché (same supplier and MOA) the actor sees, each counted for its état
    d'acompte validé."""
    first = in_order[0].invoice
    current = retained_ht(in_order)
    previous = Decimal(0)
    if found.marche_number:
        earlier = dossiers(actor).filter(
            supplier_id=found.supplier_id, moa_id=found.moa_id, kind=found.kind,
            marche_number=found.marche_number, created_at__lt=found.created_at)
        for piece in Piece.objects.filter(dossier__in=earlier,
                                          kind=TypeFactureTravaux.ETAT_ACOMPTE_VALIDE
                                          ).select_related("invoice"):
            if piece.invoice.status not in REFUSED | set(_UNSEEN):
                previous += piece.invoice.total_ht
    return Amounts(claimed_ht=first.total_ht, claimed_ttc=first.total_ttc, current_ht=current,
                   admitted=in_order[-1].kind in ADMITTING, previous_ht=previous,
                   cumulated_ht=None if current is None else previous + current)
