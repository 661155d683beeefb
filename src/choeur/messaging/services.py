"""Notify people, as their preferences say: an in-app notification and an e-mail to their
contact address, each channel per application (catalogue.Application) on or off, e-mails
gathered in a daily or weekly digest for who chose one. Everything is written in the caller's
transaction (a rollback notifies no one)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from choeur.core import audit, clock, mail
from choeur.core.ids import parse_id
from choeur.messaging import errors
from choeur.messaging.catalogue import CHANNELS, SWITCHABLE, application_of, kinds_of, render
from choeur.messaging.models import Digest, Notification, NotificationPreference

#: Users whose preferences one query reads (an IN list both databases take).
PREFERENCE_BATCH = 500
#: Digests are sent from 07:00 (Paris): every day, or on Mondays for the weekly one.
DIGEST_HOUR = 7
#: Notifications a digest lists one by one; beyond, it says how many more there are.
DIGEST_LISTED = 100


@dataclass
class _Batch:
    """What `notify` gathers within `emails_grouped()`: the e-mails by user pk, the in-app
    rows to insert at the end, the preferences already read."""

    emails: dict[int, tuple] = field(default_factory=dict)  # {pk: (user, [(kind, params, url)])}
    rows: list[Notification] = field(default_factory=list)
    preferences: dict[int, NotificationPreference] = field(default_factory=dict)


_batch: ContextVar[_Batch | None] = ContextVar("choeur_notification_batch", default=None)


@contextlib.contextmanager
def emails_grouped() -> Iterator[None]:
    """Within this block (a batch: a flux's routing tells a recipient of each of its
    invoices), the e-mails `notify` sends are gathered, then sent at the block's end in the
    same transaction: one e-mail a user listing them all (`messaging/grouped.txt`), or the
    usual one when there is only one. The in-app notifications stay one a notification, all
    inserted at the end in one statement, and each user's preferences are read once."""
    token = _batch.set(_Batch())
    try:
        yield
        pending = _batch.get()
    finally:
        _batch.reset(token)
    Notification.objects.bulk_create(pending.rows, batch_size=1000)
    for user, items in pending.emails.values():
        if len(items) == 1:
            _send_one(user, *items[0])
        else:
            _send_grouped(user, items)


def notify(users: Iterable, kind: str, params: dict, url: str = "", email: bool = True) -> int:
    """Notify each active user once; return how many were reached by some channel.

    The preferences of all the users concerned are read in one query (per
    `PREFERENCE_BATCH` users), none for a kind the users cannot switch off; the in-app rows
    are one insert."""
    targets, seen = [], set()
    for user in users:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        targets.append(user)
    if not targets:
        return 0
    batch = _batch.get()
    application = application_of(kind)
    preferences = _preferences([u.pk for u in targets], batch) \
        if application in SWITCHABLE else {}
    default = _default_preference()
    now = clock.now()
    rows, mails = [], []
    for user in targets:
        preference = preferences.get(user.pk, default)
        if preference.wants(application, "portal"):
            rows.append(Notification(user=user, kind=kind, params=params, url=url,
                                     created_at=now))
        if (email and preference.wants(application, "email")
                and not preference.digest_covers(application)):
            mails.append(user)
    if batch is None:
        Notification.objects.bulk_create(rows)
    else:
        batch.rows.extend(rows)
    for user in mails:
        if batch is None:
            _send_one(user, kind, params, url)
        else:
            batch.emails.setdefault(user.pk, (user, []))[1].append((kind, params, url))
    return len({r.user_id for r in rows} | {u.pk for u in mails})


def _default_preference() -> NotificationPreference:
    return NotificationPreference(digest=Digest.NONE)


def _preferences(user_ids: list[int], batch: _Batch | None = None
                 ) -> dict[int, NotificationPreference]:
    """{user pk: preferences} of those who saved some; within a batch, each user read once
    (the defaults of who has none are remembered too)."""
    known = batch.preferences if batch is not None else {}
    missing = [pk for pk in user_ids if pk not in known]
    found = {}
    for start in range(0, len(missing), PREFERENCE_BATCH):
        chunk = missing[start:start + PREFERENCE_BATCH]
        found.update((p.user_id, p) for p in NotificationPreference.objects.filter(
            user_id__in=chunk))
    if batch is None:
        return found
    default = _default_preference()
    known.update((pk, found.get(pk, default)) for pk in missing)
    return {pk: known[pk] for pk in user_ids}


def _send_one(user, kind: str, params: dict, url: str) -> None:
    with translation.override("fr"):
        text = render(kind, params)
        body = render_to_string("messaging/email.txt", {
            "recipient": user, "text": text, "url": url,
            "base_url": settings.CHOEUR_BASE_URL})
    mail.send_mail(_address(user), f"[Choeur] {text[:120]}", body)


def _send_grouped(user, items: list[tuple[str, dict, str]]) -> None:
    with translation.override("fr"):
        texts = [{"text": render(kind, params),
                  "url": url if url.startswith("/") and not url.startswith("//") else ""}
                 for kind, params, url in items]
        context = {"recipient": user, "items": texts[:DIGEST_LISTED], "total": len(texts),
                   "more": max(0, len(texts) - DIGEST_LISTED), "first": texts[0]["text"][:100],
                   "base_url": settings.CHOEUR_BASE_URL}
        body = render_to_string("messaging/grouped.txt", context)
        subject = render_to_string("messaging/grouped_subject.txt", context)
    mail.send_mail(_address(user), " ".join(subject.split())[:200], body)


def _address(user) -> str:
    return getattr(user, "contact_email", "") or user.email


def mark_read(user, notification_ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=[i for i in map(parse_id, notification_ids)
                                       if i is not None])
    return unread.update(read_at=clock.now())


# --- Preferences ------------------------------------------------------------------------------


def preferences_of(user) -> NotificationPreference:
    """The user's preferences (the defaults, unsaved, when they never changed them)."""
    return (NotificationPreference.objects.filter(user=user).first()
            or NotificationPreference(user=user, digest=Digest.NONE))


def set_preferences(user, channels: Iterable[str], digest: str) -> NotificationPreference:
    """The user's own preferences: `channels` names the "<APPLICATION>_<channel>" pairs left
    on (every other switchable pair is off), `digest` one of `Digest`. Anything else is
    refused with a coded error and nothing changes."""
    wanted = set(channels)
    known = {NotificationPreference.field(a, c) for a in SWITCHABLE for c in CHANNELS}
    for value in sorted(wanted):
        if value.lower() not in known:
            raise errors.PreferenceInvalid(value=str(value)[:50])
    if digest not in Digest.values:
        raise errors.DigestInvalid(value=str(digest)[:50])
    wanted = {value.lower() for value in wanted}
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, defaults={"digest": Digest.NONE})
    before = {f: getattr(preference, f) for f in sorted(known)}
    for name in known:
        setattr(preference, name, name in wanted)
    now = clock.now()
    if digest == Digest.NONE:
        preference.digest_from = None
    elif preference.digest == Digest.NONE or preference.digest_from is None:
        preference.digest_from = now  # the first digest lists what comes from now on
    previous_digest, preference.digest = preference.digest, digest
    preference.updated_at = now
    preference.save()
    changed = sorted(f for f in known if before[f] != getattr(preference, f))
    audit.record(user, "messaging.preferences_changed", preference, channels=changed,
                 digest=[previous_digest, digest])
    return preference


# --- Digests ----------------------------------------------------------------------------------


def period_start(digest: str, now: datetime) -> datetime:
    """The latest moment a digest of this frequency was due at or before `now`: 07:00 in
    Paris, every day (daily) or on Mondays (weekly)."""
    local = now.astimezone(clock.PARIS)
    start = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    step = timedelta(days=1)
    if digest == Digest.WEEKLY:
        start -= timedelta(days=local.weekday())
        step = timedelta(days=7)
    if start > local:
        start -= step
    # Wall-clock arithmetic: 07:00 stays 07:00 across a change of summer time.
    return start.replace(tzinfo=None).replace(tzinfo=clock.PARIS)


def due_digests(limit: int = 500) -> list[int]:
    """The preferences whose digest fell due (their window starts before the latest 07:00 of
    their frequency), active users only, at most `limit` (the rest at the next run)."""
    now = clock.now()
    due = NotificationPreference.objects.filter(
        user__is_active=True, digest_from__isnull=False).filter(
        Q(digest=Digest.DAILY, digest_from__lt=period_start(Digest.DAILY, now))
        | Q(digest=Digest.WEEKLY, digest_from__lt=period_start(Digest.WEEKLY, now)))
    return list(due.order_by("pk").values_list("pk", flat=True)[:limit])


def send_digest(preference_id: int) -> bool:
    """One user's digest, if due: one e-mail listing their unread notifications since the last
    digest, of the applications it covers. The window is claimed first by a conditional
    update (two workers at once send one e-mail), and each notification listed is marked, so
    that none is ever listed twice. Returns whether an e-mail was sent."""
    now = clock.now()
    preference = (NotificationPreference.objects.select_related("user")
                  .filter(pk=preference_id).first())
    if (preference is None or preference.digest == Digest.NONE
            or preference.digest_from is None or not preference.user.is_active
            or preference.digest_from >= period_start(preference.digest, now)):
        return False
    since = preference.digest_from
    claimed = NotificationPreference.objects.filter(
        pk=preference.pk, digest=preference.digest, digest_from=since,
    ).update(digest_from=now, last_digest_at=now)
    if not claimed:
        return False  # another worker sent it, or the user changed it meanwhile
    kinds = kinds_of([a for a in SWITCHABLE if preference.digest_covers(a)])
    pending = Notification.objects.filter(
        user_id=preference.user_id, read_at__isnull=True, digested_at__isnull=True,
        created_at__gte=since, created_at__lt=now, kind__in=kinds)
    listed = list(pending.order_by("created_at", "id")[:DIGEST_LISTED])
    if not listed:
        return False
    total = pending.count()
    pending.update(digested_at=now)
    user = preference.user
    with translation.override("fr"):
        items = [{"text": render(n.kind, n.params), "created_at": n.created_at,
                  "url": n.url if n.url.startswith("/") and not n.url.startswith("//") else ""}
                 for n in listed]
        context = {"recipient": user, "items": items, "more": total - len(listed),
                   "total": total, "daily": preference.digest == Digest.DAILY,
                   "since": since, "base_url": settings.CHOEUR_BASE_URL}
        body = render_to_string("messaging/digest.txt", context)
        subject = render_to_string("messaging/digest_subject.txt", context)
    mail.send_mail(_address(user), " ".join(subject.split()), body)
    return True
