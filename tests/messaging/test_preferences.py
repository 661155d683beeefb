"""Issue 17, notification preferences: every kind belongs to one application; notify()
honours each user's channels per application (portal, e-mail) at the cost of one query for
all the users concerned; the defaults are everything on."""

from __future__ import annotations

import pytest
from django.db import transaction

from choeur.core.models import OutgoingEmail
from choeur.messaging import services
from choeur.messaging.catalogue import (
    KINDS,
    SWITCHABLE,
    Application,
    application_of,
    kinds_of,
)
from choeur.messaging.models import Digest, Notification, NotificationPreference
from tests.messaging.conftest import ENGAGEMENT, INVOICE, mails_to, rows

pytestmark = pytest.mark.django_db


# --- The catalogue ----------------------------------------------------------------------------


def test_every_kind_belongs_to_an_application():
    unmapped = [kind for kind in KINDS if application_of(kind) is None]
    assert unmapped == []
    assert set(Application) >= {application_of(kind) for kind in KINDS}


@pytest.mark.parametrize("kind, application", [
    ("invoice_status", Application.FACTURES),
    ("invoice_unassigned", Application.FACTURES),
    ("flux_integrated", Application.FACTURES),
    ("travaux_to_moe", Application.FACTURES),
    ("travaux_recycled", Application.FACTURES),
    ("engagement_received", Application.ENGAGEMENTS),
    ("engagement_refused", Application.ENGAGEMENTS),
    ("sollicitation_answered", Application.SOLLICITATIONS),
    ("actualite_published", Application.ACTUALITES),
    ("account_password_changed", Application.COMPTE),
    ("rattachement_validated", Application.COMPTE),
])
def test_the_mapping(kind, application):
    assert application_of(kind) == application


def test_security_notices_are_not_switchable():
    assert Application.COMPTE not in SWITCHABLE
    assert set(SWITCHABLE) == {Application.FACTURES, Application.ENGAGEMENTS,
                               Application.SOLLICITATIONS, Application.ACTUALITES}
    assert "engagement_received" in kinds_of([Application.ENGAGEMENTS])
    assert "invoice_status" not in kinds_of([Application.ENGAGEMENTS])


# --- notify() and the preferences ----------------------------------------------------------------


def _prefs(user, **values) -> NotificationPreference:
    return NotificationPreference.objects.create(user=user, **values)


def test_defaults_everything_on(alice):
    assert not NotificationPreference.objects.filter(user=alice).exists()
    assert services.notify([alice], "invoice_received", INVOICE, "/factures/1/") == 1
    assert rows(alice) == ["invoice_received"]
    [mail] = mails_to(alice)
    assert "F-2026-001" in mail.subject and "/factures/1/" in mail.body
    default = services.preferences_of(alice)
    assert default.pk is None and default.digest == Digest.NONE
    assert all(default.wants(a, c) for a in SWITCHABLE for c in ("portal", "email"))


def test_portal_off_writes_no_row_but_still_mails(alice):
    _prefs(alice, factures_portal=False)
    services.notify([alice], "invoice_received", INVOICE)
    assert rows(alice) == []
    assert len(mails_to(alice)) == 1


def test_email_off_writes_the_row_but_sends_nothing(alice):
    _prefs(alice, factures_email=False)
    services.notify([alice], "invoice_received", INVOICE)
    assert rows(alice) == ["invoice_received"]
    assert mails_to(alice) == []


def test_preferences_are_per_application(alice):
    _prefs(alice, engagements_portal=False, engagements_email=False)
    services.notify([alice], "engagement_received", ENGAGEMENT)
    assert rows(alice) == [] and mails_to(alice) == []
    services.notify([alice], "invoice_received", INVOICE)  # Factures untouched
    assert rows(alice) == ["invoice_received"] and len(mails_to(alice)) == 1


def test_preferences_are_per_user(alice, bob):
    _prefs(alice, factures_portal=False, factures_email=False)
    assert services.notify([alice, bob], "invoice_received", INVOICE) == 1
    assert rows(alice) == [] and mails_to(alice) == []
    assert rows(bob) == ["invoice_received"] and len(mails_to(bob)) == 1


def test_everything_off_still_delivers_security_notices(alice):
    _prefs(alice, **{NotificationPreference.field(a, c): False
                     for a in SWITCHABLE for c in ("portal", "email")})
    services.notify([alice], "account_password_changed", {})
    assert rows(alice) == ["account_password_changed"]
    assert len(mails_to(alice)) == 1


def test_a_digest_replaces_the_mails_of_the_applications_it_covers(alice):
    _prefs(alice, digest=Digest.DAILY, engagements_portal=False)
    services.notify([alice], "invoice_received", INVOICE)
    assert rows(alice) == ["invoice_received"]
    assert mails_to(alice) == []  # waits for the digest
    # Not shown in the portal, an engagement cannot be in the digest: it is mailed at once.
    services.notify([alice], "engagement_received", ENGAGEMENT)
    assert len(mails_to(alice)) == 1
    # A security notice never waits for a digest.
    services.notify([alice], "account_password_changed", {})
    assert len(mails_to(alice)) == 2


def test_inactive_and_repeated_users_are_notified_once_or_never(alice, bob):
    bob.is_active = False
    bob.save()
    assert services.notify([alice, alice, bob], "invoice_received", INVOICE) == 1
    assert Notification.objects.count() == 1 and OutgoingEmail.objects.count() == 1


def test_a_rollback_notifies_no_one(alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify([alice], "invoice_received", INVOICE)
        raise RuntimeError
    assert rows(alice) == [] and mails_to(alice) == []


# --- The cost of notify() -------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_notify_reads_the_preferences_once_whatever_the_number_of_users(
        make_user, django_assert_num_queries, count):
    users = [make_user(f"user{i}@example.fr") for i in range(count)]
    for user in users[::2]:  # half have a row, the other half the defaults
        _prefs(user, factures_email=False)
    for user in users[1::2]:
        _prefs(user, factures_email=False, engagements_portal=False)
    # One SELECT of the preferences, one INSERT of the rows: nothing per user.
    with django_assert_num_queries(2):
        services.notify(users, "invoice_received", INVOICE)
    assert Notification.objects.count() == count


def test_a_kind_nobody_may_switch_off_reads_no_preference(alice, bob, django_assert_num_queries):
    _prefs(alice, factures_email=False)
    _prefs(bob, factures_email=False)
    for user in (alice, bob):
        user.contact_email = ""
    # The INSERT of the rows, then each e-mail (its row and its task, in a savepoint).
    with django_assert_num_queries(1 + 2 * 4, exact=False) as context:
        services.notify([alice, bob], "account_password_changed", {})
    assert not any("messaging_notificationpreference" in q["sql"]
                   for q in context.captured_queries)


def test_notify_cost_grows_with_the_mails_only(make_user, django_assert_max_num_queries):
    users = [make_user(f"user{i}@example.fr") for i in range(10)]
    with django_assert_max_num_queries(2 + 10 * 4):
        services.notify(users, "invoice_received", INVOICE)
    assert OutgoingEmail.objects.count() == 10


def test_the_e_mail_text_is_plain_text(alice):
    """A notification's words reach the e-mail as written: no HTML entity for an apostrophe
    or an ampersand (the template is text, not HTML)."""
    services.notify([alice], "travaux_recycling_requested", {
        "number": "PDM-1", "dossier": "DF2026000001", "party": "maître d'œuvre",
        "reason": "Ce n'est pas le nôtre & il faut le revoir"})
    [mail] = mails_to(alice)
    assert "n'est pas le nôtre & il faut" in mail.body
    assert "&#x27;" not in mail.body and "&amp;" not in mail.body
