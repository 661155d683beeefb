"""The digest: daily (07:00 Paris) or weekly (Mondays 07:00), one e-mail listing the unread
notifications since the previous one, sent by the clock-driven timer; twice sends nothing
more, and a notification is listed at most once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from choeur.core import clock, mail, periodic, worker
from choeur.core.models import OutgoingEmail
from choeur.messaging import services, tasks
from choeur.messaging.models import Digest, Notification, NotificationPreference
from choeur.qualification import clock_control
from tests.messaging.conftest import ENGAGEMENT, INVOICE, mails_to

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026, 10:30 in Paris (UTC+1).
TUESDAY = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def _subscribe(user, digest) -> None:
    with transaction.atomic():
        services.set_preferences(user, [f"{a}_{c}" for a in (
            "factures", "engagements", "sollicitations", "actualites")
            for c in ("portal", "email")], digest)


def _tick(run_tasks) -> list:
    """What a worker's heartbeat does: queue the timers; then run what is queued (the digest
    e-mail's delivery included, into the outbox)."""
    worker.enqueue_timers()
    return run_tasks()


def _digests(user) -> list:
    return [m for m in mail.outbox_messages() if user.email in m.to and "capitulatif" in m.subject]


def test_the_timer_is_declared():
    assert tasks.messaging_timers in periodic.timers()


def test_period_starts():
    # Tuesday 10:30 Paris: the daily one started at 07:00 today, the weekly one on Monday.
    assert services.period_start(Digest.DAILY, TUESDAY) == datetime(
        2026, 3, 10, 6, 0, tzinfo=UTC)
    assert services.period_start(Digest.WEEKLY, TUESDAY) == datetime(
        2026, 3, 9, 6, 0, tzinfo=UTC)
    # Before 07:00 it is the previous one; in summer time 07:00 Paris is 05:00 UTC.
    assert services.period_start(Digest.DAILY, datetime(2026, 3, 10, 5, 59, tzinfo=UTC)) \
        == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    assert services.period_start(Digest.DAILY, datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) \
        == datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
    assert services.period_start(Digest.WEEKLY, datetime(2026, 3, 9, 5, 0, tzinfo=UTC)) \
        == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_daily_digest(alice, bob, run_tasks):
    clock.freeze(TUESDAY)
    _subscribe(alice, Digest.DAILY)
    services.notify([alice, bob], "invoice_received", INVOICE, "/factures/1/")
    services.notify([alice], "engagement_received", ENGAGEMENT)
    read = Notification.objects.filter(user=alice, kind="engagement_received").get()
    services.mark_read(alice, [read.pk])
    assert mails_to(alice) == [] and len(mails_to(bob)) == 1  # bob has no digest
    _tick(run_tasks)
    assert _digests(alice) == []  # today's 07:00 came before the subscription

    clock.advance(timedelta(hours=20))  # Wednesday 06:30 Paris: not yet
    _tick(run_tasks)
    assert _digests(alice) == []
    clock.advance(timedelta(minutes=30))  # Wednesday 07:00 Paris
    _tick(run_tasks)
    [digest] = _digests(alice)
    assert "quotidien" in digest.subject and "1 notification non lue" in digest.subject
    assert "F-2026-001" in digest.text and "/factures/1/" in digest.text
    assert "EJ-42" not in digest.text  # read before the digest
    assert "/notifications/" in digest.text
    preference = NotificationPreference.objects.get(user=alice)
    assert preference.last_digest_at == clock.now() == preference.digest_from
    assert Notification.objects.get(user=alice, kind="invoice_received").digested_at
    assert _digests(bob) == []

    # Idempotent: the same day again sends nothing more.
    _tick(run_tasks)
    clock.advance(timedelta(hours=5))
    _tick(run_tasks)
    assert len(_digests(alice)) == 1

    # The next day lists what came since, never the one already listed (still unread).
    services.notify([alice], "invoice_status", {**INVOICE, "recipient": "Commune",
                                                "status_code": "REJETEE"})
    clock.advance(timedelta(days=1))
    _tick(run_tasks)
    assert len(_digests(alice)) == 2
    latest = _digests(alice)[0]
    assert "REJET" in latest.text.upper() and "1 notification non lue" in latest.subject
    assert latest.text.count("F-2026-001") == 1

    # A day with nothing unread: no e-mail, but the window moves on.
    clock.advance(timedelta(days=1))
    _tick(run_tasks)
    assert len(_digests(alice)) == 2
    assert NotificationPreference.objects.get(user=alice).digest_from == clock.now()


def test_weekly_digest(alice, run_tasks):
    clock.freeze(TUESDAY)
    _subscribe(alice, Digest.WEEKLY)
    services.notify([alice], "invoice_received", INVOICE)
    for _day in range(5):  # Wednesday … Sunday
        clock.advance(timedelta(days=1))
        services.notify([alice], "engagement_received", ENGAGEMENT)
        _tick(run_tasks)
    assert _digests(alice) == [] and mails_to(alice) == []
    clock.advance(timedelta(days=1) - timedelta(hours=3, minutes=30))  # Monday 07:00 Paris
    _tick(run_tasks)
    [digest] = _digests(alice)
    assert "hebdomadaire" in digest.subject and "6 notifications non lues" in digest.subject
    assert digest.text.count("EJ-42") == 5 and "F-2026-001" in digest.text
    _tick(run_tasks)
    clock.advance(timedelta(days=3))
    _tick(run_tasks)
    assert len(_digests(alice)) == 1  # next one on the following Monday
    clock.advance(timedelta(days=4) - timedelta(minutes=1))  # Monday 06:59
    services.notify([alice], "invoice_received", INVOICE)
    _tick(run_tasks)
    assert len(_digests(alice)) == 1
    clock.advance(timedelta(minutes=1))  # Monday 07:00: the next one
    _tick(run_tasks)
    assert len(_digests(alice)) == 2
    assert "1 notification non lue" in _digests(alice)[0].subject
    clock.advance(timedelta(days=7))
    _tick(run_tasks)
    assert len(_digests(alice)) == 2  # nothing unread since


def test_the_digest_lists_only_the_applications_it_covers(alice, run_tasks):
    clock.freeze(TUESDAY)
    with transaction.atomic():
        services.set_preferences(alice, ["factures_portal", "factures_email",
                                         "engagements_portal"], Digest.DAILY)
    services.notify([alice], "invoice_received", INVOICE)
    services.notify([alice], "engagement_received", ENGAGEMENT)  # portal only: no e-mail
    clock.advance(timedelta(days=1))
    _tick(run_tasks)
    [digest] = _digests(alice)
    assert "F-2026-001" in digest.text and "EJ-42" not in digest.text
    assert not Notification.objects.get(kind="engagement_received").digested_at


def test_two_runs_at_once_send_one_digest(alice):
    clock.freeze(TUESDAY)
    _subscribe(alice, Digest.DAILY)
    services.notify([alice], "invoice_received", INVOICE)
    clock.advance(timedelta(days=1))
    due = services.due_digests()
    assert len(due) == 1
    with transaction.atomic():
        assert services.send_digest(due[0]) is True
    # A second worker that read the list before the first sent: its claim fails.
    with transaction.atomic():
        assert services.send_digest(due[0]) is False
    assert OutgoingEmail.objects.filter(subject__contains="capitulatif").count() == 1
    assert services.due_digests() == []


def test_an_inactive_user_gets_no_digest(alice, run_tasks):
    clock.freeze(TUESDAY)
    _subscribe(alice, Digest.DAILY)
    services.notify([alice], "invoice_received", INVOICE)
    alice.is_active = False
    alice.save()
    clock.advance(timedelta(days=1))
    _tick(run_tasks)
    assert _digests(alice) == []


@pytest.mark.parametrize("days, digest", [(1, Digest.DAILY), (7, Digest.WEEKLY)])
def test_the_qualification_clock_sends_the_digest(qualification, admin, alice, run_tasks,
                                                  days, digest):
    """Moving a qualification instance's date queues the timers at once: the digest is in
    the outbox without waiting for the workers' next beat."""
    _subscribe(alice, digest)
    services.notify([alice], "invoice_received", INVOICE)
    run_tasks()
    assert _digests(alice) == []
    with transaction.atomic():
        clock_control.advance(admin, days)
    run_tasks()
    [message] = _digests(alice)
    assert "F-2026-001" in message.text
    with transaction.atomic():
        clock_control.advance(admin, 1 if digest == Digest.DAILY else 6)
    run_tasks()
    assert len(_digests(alice)) == 1  # nothing new to list
