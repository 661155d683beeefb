"""Notify people: one in-app notification each and one e-mail to their contact address,
both written in the caller's transaction (a rollback notifies no one)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from choeur.core import clock, mail
from choeur.core.ids import parse_id
from choeur.messaging.catalogue import render
from choeur.messaging.models import Notification


def notify(users: Iterable, kind: str, params: dict, url: str = "", email: bool = True) -> int:
    seen = set()
    count = 0
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        Notification.objects.create(user=user, kind=kind, params=params, url=url,
                                    created_at=clock.now())
        count += 1
        if email:
            with translation.override("fr"):
                text = render(kind, params)
                body = render_to_string("messaging/email.txt", {
                    "recipient": user, "text": text, "url": url,
                    "base_url": settings.CHOEUR_BASE_URL})
            address = getattr(user, "contact_email", "") or user.email
            mail.send_mail(address, f"[Choeur] {text[:120]}", body)
    return count


def mark_read(user, notification_ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=[i for i in map(parse_id, notification_ids)
                                       if i is not None])
    return unread.update(read_at=clock.now())
