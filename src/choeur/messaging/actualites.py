"""Actualités: the platform's news, written by its administrators, shown on the home page
while published, and notified once to every user whose « Actualités » preference is on."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from choeur.core import audit, clock
from choeur.core.errors import PermissionRefused
from choeur.core.ids import parse_id
from choeur.core.permissions import is_platform_admin
from choeur.messaging import errors, services
from choeur.messaging.models import Actualite

TITLE_MAX = 200
BODY_MAX = 10_000
#: Users notified per `notify()` call when news is published (one preference query each).
NOTIFY_BATCH = 500
#: News shown on the home page at most.
HOME_MAX = 5


def published(at: datetime | None = None, limit: int = HOME_MAX) -> list[Actualite]:
    """The news published at `at` (now by default), newest first."""
    at = at or clock.now()
    return list(Actualite.objects.filter(published_from__lte=at).filter(
        Q(published_until__isnull=True) | Q(published_until__gt=at))[:limit])


def parse_moment(value: str, required: bool = True) -> datetime | None:
    """A date and time typed in the form (Paris time, « 2026-03-10T09:30 » or with a space);
    a coded error when unreadable."""
    text = (value or "").strip()
    if not text:
        if required:
            raise errors.NewsDateInvalid(value="")
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise errors.NewsDateInvalid(value=text[:40])
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=clock.PARIS)
    return parsed


def _require_admin(actor) -> None:
    if not is_platform_admin(actor):
        raise PermissionRefused()


def _clean(title: str, body: str, published_from: datetime,
           published_until: datetime | None) -> dict:
    title = (title or "").strip()
    body = (body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise errors.NewsTitleInvalid(max=TITLE_MAX)
    if not body or len(body) > BODY_MAX:
        raise errors.NewsBodyInvalid(max=BODY_MAX)
    if published_from is None:
        raise errors.NewsDateInvalid(value="")
    if published_until is not None and published_until <= published_from:
        raise errors.NewsPeriodInvalid()
    return {"title": title, "body": body, "published_from": published_from,
            "published_until": published_until}


def get_for_admin(actor, actualite_id) -> Actualite:
    _require_admin(actor)
    pk = parse_id(actualite_id)
    actualite = Actualite.objects.filter(pk=pk).first() if pk is not None else None
    if actualite is None:
        raise errors.NewsNotFound()
    return actualite


def create(actor, title: str, body: str, published_from: datetime,
           published_until: datetime | None = None) -> Actualite:
    """Write a news item; if it is published already, its users are notified at once (else
    by the timer, when its date comes: `publish_due`)."""
    _require_admin(actor)
    values = _clean(title, body, published_from, published_until)
    now = clock.now()
    actualite = Actualite.objects.create(author=actor, created_at=now, updated_at=now, **values)
    audit.record(actor, "messaging.actualite_created", actualite,
                 published_from=actualite.published_from.isoformat())
    _publish_if_due(actualite, now)
    return actualite


def update(actor, actualite_id, title: str, body: str, published_from: datetime,
           published_until: datetime | None = None) -> Actualite:
    """Change a news item (an end date withdraws it). Users are notified once only: a news
    item already notified is not notified again."""
    actualite = get_for_admin(actor, actualite_id)
    values = _clean(title, body, published_from, published_until)
    for name, value in values.items():
        setattr(actualite, name, value)
    actualite.updated_at = clock.now()
    actualite.save()
    audit.record(actor, "messaging.actualite_updated", actualite)
    _publish_if_due(actualite, actualite.updated_at)
    return actualite


def _is_published(actualite: Actualite, at: datetime) -> bool:
    return actualite.published_from <= at and (
        actualite.published_until is None or actualite.published_until > at)


def _publish_if_due(actualite: Actualite, now: datetime) -> bool:
    if actualite.notified_at is not None or not _is_published(actualite, now):
        return False
    # Claimed by a conditional update: two workers (or a worker and an edit) notify once.
    if not Actualite.objects.filter(pk=actualite.pk, notified_at__isnull=True).update(
            notified_at=now):
        return False
    actualite.notified_at = now
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    last = 0
    while True:
        batch = list(users.filter(pk__gt=last)[:NOTIFY_BATCH])
        if not batch:
            break
        services.notify(batch, "actualite_published", {"title": actualite.title},
                        url=f"/#actualite-{actualite.pk}")
        last = batch[-1].pk
    return True


def due_publications(limit: int = 100) -> list[int]:
    """News whose publication came and whose users were not notified yet."""
    now = clock.now()
    return list(Actualite.objects.filter(notified_at__isnull=True, published_from__lte=now)
                .filter(Q(published_until__isnull=True) | Q(published_until__gt=now))
                .order_by("pk").values_list("pk", flat=True)[:limit])


def publish_due(actualite_id: int) -> bool:
    """The timer's use case: notify one news item whose date came."""
    actualite = Actualite.objects.filter(pk=actualite_id).first()
    return actualite is not None and _publish_if_due(actualite, clock.now())
