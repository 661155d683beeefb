"""Who hears of each step of a sollicitation: the other side (docs/SOLLICITATIONS.md).

- The sender's side: the user who wrote the ticket while it still sees the espace
  Sollicitations émises of its structure, else every user of that espace; a logged-out
  sender by e-mail at the address it gave (it has no account to read notifications in),
  each e-mail with a fresh personal follow-up link (followup.py).
- The receiving side: the agent who took the ticket while it still may, else every user who
  sees the ticket there (the structure's Sollicitations reçues, within their services; or the
  platform's support agents).
Everything is written in the caller's transaction: a rollback tells no one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from choeur.core import mail
from choeur.messaging.catalogue import render
from choeur.messaging.services import notify
from choeur.organisations import permissions
from choeur.organisations.models import Espace
from choeur.sollicitations import followup, queries
from choeur.sollicitations.models import Sollicitation


def _params(ticket: Sollicitation, **extra) -> dict:
    return {"number": ticket.number, "title": ticket.title[:80],
            "sender": ticket.sender_label[:120], **extra}


def _url(ticket: Sollicitation) -> str:
    return reverse("sollicitations:detail", args=[ticket.pk])


def sender_users(ticket: Sollicitation) -> list:
    if ticket.sender_structure_id is None:
        return []
    author = ticket.sender_user
    if author is not None and author.is_active and queries.is_sender(author, ticket, False):
        return [author]
    return [user for user in permissions.users_in_espace(ticket.sender_structure,
                                                         Espace.SOLLICITATIONS_EMISES)
            if queries.is_sender(user, ticket, False)]


def receiver_users(ticket: Sollicitation) -> list:
    agent = ticket.assignee
    if agent is not None and agent.is_active and queries.is_receiver(agent, ticket, False):
        return [agent]
    if ticket.to_support:
        return list(get_user_model().objects.filter(
            Q(is_support_agent=True) | Q(is_staff=True), is_active=True))
    return [user for user in permissions.users_in_espace(
        ticket.recipient_structure, Espace.SOLLICITATIONS_RECUES, ticket.recipient_service)
        if queries.is_receiver(user, ticket, False)]


def to_sender(ticket: Sollicitation, kind: str, body: str = "", **extra) -> None:
    params = _params(ticket, **extra)
    if ticket.sender_structure_id is None:
        if ticket.sender_email:
            _mail_logged_out(ticket, kind, params, body)
        return
    notify(sender_users(ticket), kind, params, url=_url(ticket))


def to_receiver(ticket: Sollicitation, kind: str, **extra) -> None:
    notify(receiver_users(ticket), kind, _params(ticket, **extra), url=_url(ticket))


def _mail_logged_out(ticket: Sollicitation, kind: str, params: dict, body: str) -> None:
    """A logged-out sender hears by e-mail, with the words of the step."""
    link = followup.url(followup.issue(ticket))
    with translation.override("fr"):
        text = render(kind, params)
        content = render_to_string("sollicitations/email_logged_out.txt", {
            "ticket": ticket, "text": text, "body": body, "followup_url": link,
            "base_url": settings.CHOEUR_BASE_URL})
    mail.send_mail(ticket.sender_email, f"[Choeur] {text[:120]}", content)


def acknowledge_logged_out(ticket: Sollicitation) -> None:
    """The receipt a logged-out sender gets: its ticket's number and its follow-up link."""
    link = followup.url(followup.issue(ticket))
    with translation.override("fr"):
        content = render_to_string("sollicitations/email_receipt.txt", {
            "ticket": ticket, "followup_url": link, "base_url": settings.CHOEUR_BASE_URL})
    mail.send_mail(ticket.sender_email,
                   f"[Choeur] Sollicitation {ticket.number} enregistrée", content)
