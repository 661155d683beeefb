"""Read side of the factures de travaux (house rule 5: every list scoped to what the actor may
see; docs/TRAVAUX.md "Rights").

A structure sees a dossier when it is its supplier, its MOE or its MOA and the actor sees its
espace Factures de travaux there (a person through a rattachement and habilitation, a
technical account for its own structure only); it then sees the dossier's pieces, in order.
Anything else — another structure's dossier, a forged id or number — is not found, whatever
it is. The portal and the wire API read through these functions alike.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from choeur.invoicing.statuses import TABLE, TRAVAUX_ONLY, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.travaux import errors
from choeur.travaux.models import Actor, Dossier, Piece

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


def _scope(actor, role: str | None, prefix: str = "") -> Q:
    ids = [structure.pk for structure in parties(actor)]
    scope = Q(pk__in=[])
    for each in ([role] if role else ROLES):
        scope |= Q(**{f"{prefix}{_SLOT[each]}_id__in": ids})
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
