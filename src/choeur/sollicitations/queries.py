"""The read side of sollicitations, always scoped (house rule 5).

- Émises: the tickets of the structures where the user sees the espace Sollicitations émises
  (drafts: their author's only).
- Reçues: the tickets routed to a structure where the user sees Sollicitations reçues, limited
  to the services of the user's rattachement when it names some (a ticket naming no service
  is then not theirs), drafts never.
- Support: every ticket routed to the support, for the platform's agents (users flagged
  `is_support_agent`, or staff).
Anything else — another structure's ticket, a forged id — is not found, the same answer as a
missing one.

A technical account (the wire API's actor, `api/sollicitations.py`) holds the sides of its
own structure, with the structure's rights (organisations.permissions): its sent tickets
(never a draft: it sends at once) and its received ones, whatever their service; never the
support's.

A logged-out sender holding its follow-up link (actors.LoggedOutSender, followup.py) sees
its one ticket, on the sender's side only; it passes no other check.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.db.models import Q, QuerySet

from choeur.core import clock
from choeur.core.ids import parse_id
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Structure
from choeur.sollicitations import errors
from choeur.sollicitations.actors import is_logged_out_sender
from choeur.sollicitations.models import Attachment, Sollicitation
from choeur.sollicitations.statuses import OPEN, Side, Status

RELATED = ("sender_structure", "sender_user", "recipient_structure", "recipient_service",
           "assignee", "assignee_account", "invoice", "flux", "dossier")
NOTHING = Q(pk__in=[])


def _acting(actor) -> bool:
    """A signed-in user, or a technical account (whose rights permissions decide)."""
    return permissions.is_technical_account(actor) or getattr(actor, "is_authenticated", False)


def is_agent(user) -> bool:
    """A platform support agent: flagged as one, or staff (never a technical account)."""
    if permissions.is_technical_account(user):
        return False
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (getattr(user, "is_support_agent", False) or user.is_staff))


def _structures(user, espace: str, modify: bool = False) -> list[Structure]:
    if not _acting(user):
        return []
    check = permissions.can_modify if modify else permissions.can_see
    return [s for s in permissions.visible_structures(user) if check(user, s, espace)]


def sender_structures(user, modify: bool = False) -> list[Structure]:
    """The structures the user sees (or acts in, `modify`) « Sollicitations émises » of."""
    return _structures(user, Espace.SOLLICITATIONS_EMISES, modify)


def receiver_structures(user, modify: bool = False) -> list[Structure]:
    return _structures(user, Espace.SOLLICITATIONS_RECUES, modify)


def _sent_scope(user) -> Q:
    ids = [s.pk for s in sender_structures(user)]
    if not ids:
        return NOTHING
    if permissions.is_technical_account(user):  # it has no drafts: it sends at once
        return Q(sender_structure_id__in=ids) & ~Q(status=Status.BROUILLON)
    return Q(sender_structure_id__in=ids) & (~Q(status=Status.BROUILLON) | Q(sender_user=user))


def _received_scope(user) -> Q:
    scope = NOTHING
    whole = []
    for structure in receiver_structures(user):
        services = permissions.services_of(user, structure)
        if services is None:
            whole.append(structure.pk)
        elif services:
            scope |= Q(recipient_structure=structure, recipient_service__in=services)
    if whole:
        scope |= Q(recipient_structure_id__in=whole)
    return (Q(to_support=False) & scope & ~Q(status=Status.BROUILLON)) if scope != NOTHING \
        else NOTHING


def _support_scope(user) -> Q:
    if not is_agent(user):
        return NOTHING
    return Q(to_support=True) & ~Q(status=Status.BROUILLON)


def _followup_scope(actor) -> Q:
    if not is_logged_out_sender(actor):
        return NOTHING
    return (Q(pk=actor.sollicitation_id, sender_structure__isnull=True)
            & ~Q(status=Status.BROUILLON))


def sent(user) -> QuerySet[Sollicitation]:
    return Sollicitation.objects.filter(_sent_scope(user)).select_related(*RELATED)


def received(user) -> QuerySet[Sollicitation]:
    return Sollicitation.objects.filter(_received_scope(user)).select_related(*RELATED)


def support(user) -> QuerySet[Sollicitation]:
    return Sollicitation.objects.filter(_support_scope(user)).select_related(*RELATED)


def visible(user) -> QuerySet[Sollicitation]:
    return Sollicitation.objects.filter(
        _sent_scope(user) | _received_scope(user) | _support_scope(user)
        | _followup_scope(user))


def sollicitation(user, sollicitation_id, *, lock: bool = False) -> Sollicitation:
    """One ticket the user sees; SOL_NOT_FOUND otherwise, whether it exists or not."""
    pk = parse_id(sollicitation_id)
    if pk is None:
        raise errors.SollicitationNotFound()
    found = visible(user).filter(pk=pk)
    if lock:
        found = found.select_for_update(of=("self",))
    found = found.select_related(*RELATED).first()
    if found is None:
        raise errors.SollicitationNotFound()
    return found


def is_sender(user, ticket: Sollicitation, modify: bool = True) -> bool:
    if is_logged_out_sender(user):  # its one ticket, sent by no structure
        return (ticket.sender_structure_id is None and ticket.pk == user.sollicitation_id
                and ticket.status != Status.BROUILLON)
    if ticket.sender_structure_id is None or not _acting(user):
        return False
    if ticket.status == Status.BROUILLON and (permissions.is_technical_account(user)
                                              or ticket.sender_user_id != user.pk):
        return False
    check = permissions.can_modify if modify else permissions.can_see
    return check(user, ticket.sender_structure, Espace.SOLLICITATIONS_EMISES)


def is_receiver(user, ticket: Sollicitation, modify: bool = True) -> bool:
    if ticket.status == Status.BROUILLON or not _acting(user):
        return False
    if ticket.to_support:
        return is_agent(user)
    structure = ticket.recipient_structure
    check = permissions.can_modify if modify else permissions.can_see
    if structure is None or not check(user, structure, Espace.SOLLICITATIONS_RECUES):
        return False
    services = permissions.services_of(user, structure)
    return services is None or (ticket.recipient_service_id is not None
                                and ticket.recipient_service in services)


def sides(user, ticket: Sollicitation, modify: bool = True) -> set[str]:
    """The sides the user holds on the ticket (acts on, `modify`; sees otherwise)."""
    held = set()
    if is_sender(user, ticket, modify):
        held.add(Side.EMETTEUR)
    if is_receiver(user, ticket, modify):
        held.add(Side.DESTINATAIRE)
    return held


def is_assignee(actor, ticket: Sollicitation) -> bool:
    """Whether the actor is the one who took the ticket (a person, or a technical account:
    their ids are of different tables, never compared with each other)."""
    if permissions.is_technical_account(actor):
        return ticket.assignee_account_id is not None and ticket.assignee_account_id == actor.pk
    return ticket.assignee_id is not None and ticket.assignee_id == getattr(actor, "pk", None)


def thread(ticket: Sollicitation) -> list:
    return list(ticket.messages.select_related("author").prefetch_related("attachments"))


def attachment(user, sollicitation_id, attachment_id) -> Attachment:
    ticket = sollicitation(user, sollicitation_id)
    pk = parse_id(attachment_id)
    found = ticket.attachments.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise errors.SollicitationNotFound()
    return found


def in_tab(queryset: QuerySet, tabs: dict, tab: str) -> QuerySet:
    return queryset.filter(status__in=tabs[tab])


# --- Response-time figures -------------------------------------------------------------------

#: The figures read the last year's tickets of a structure.
FIGURES_WINDOW = timedelta(days=365)


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    seconds = statistics.median(d.total_seconds() for d in durations)
    return timedelta(seconds=round(seconds))


def figures(*, structure: Structure | None = None, support: bool = False) -> dict:
    """A receiving side's figures: median time from reception to first answer and to
    closing (tickets received in the last year), and the tickets open today."""
    tickets = Sollicitation.objects.filter(to_support=True) if support else \
        Sollicitation.objects.filter(to_support=False, recipient_structure=structure)
    since = clock.now() - FIGURES_WINDOW
    rows = list(tickets.filter(received_at__gte=since).values_list(
        "received_at", "first_answer_at", "closed_at"))
    return {
        "answer": _median([a - r for r, a, _c in rows if a is not None]),
        "closing": _median([c - r for r, _a, c in rows if c is not None]),
        "open": tickets.filter(status__in=OPEN).count(),
        "received": len(rows),
    }
