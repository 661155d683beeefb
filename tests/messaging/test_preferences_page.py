"""« Mon compte › Mes préférences de notification »: the user's own preferences only, behind
CSRF; bad input gets a coded error and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from choeur.core.models import AuditEvent
from choeur.messaging.models import Digest, NotificationPreference

pytestmark = pytest.mark.django_db

URL = "/mon-compte/notifications/"
ALL_ON = ["factures_portal", "factures_email", "engagements_portal", "engagements_email",
          "sollicitations_portal", "sollicitations_email", "actualites_portal",
          "actualites_email"]


def test_the_url():
    assert reverse("messaging:preferences") == URL


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    client.post(URL, {"channel": [], "digest": "DAILY"})
    assert not NotificationPreference.objects.exists()


def test_the_page_shows_the_defaults(client, alice):
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ALL_ON:
        assert f'value="{name}" id="pref-{name}" checked' in html
    assert 'value="NONE" id="digest-NONE" checked' in html
    # Reached from « Mon compte ».
    assert URL in client.get("/mon-compte/").content.decode()


def test_saving_changes_the_users_own_preferences(client, alice, bob):
    NotificationPreference.objects.create(user=bob, factures_email=False)
    client.force_login(alice)
    kept = ["factures_portal", "engagements_email", "actualites_portal"]
    # A forged `user` field changes nothing: the page only ever edits its own user.
    response = client.post(URL, {"channel": kept, "digest": "WEEKLY", "user": bob.pk})
    assert response.status_code == 302 and response["Location"] == URL
    mine = NotificationPreference.objects.get(user=alice)
    assert {n for n in ALL_ON if getattr(mine, n)} == set(kept)
    assert mine.digest == Digest.WEEKLY and mine.digest_from is not None
    theirs = NotificationPreference.objects.get(user=bob)
    assert theirs.factures_email is False and theirs.factures_portal is True
    assert theirs.digest == Digest.NONE
    html = client.get(URL).content.decode()
    assert 'value="factures_email" id="pref-factures_email">' in html
    assert 'value="WEEKLY" id="digest-WEEKLY" checked' in html
    assert AuditEvent.objects.filter(action="messaging.preferences_changed",
                                     actor_id=str(alice.pk)).count() == 1


def test_choosing_no_digest_forgets_its_window(client, alice):
    client.force_login(alice)
    client.post(URL, {"channel": ALL_ON, "digest": "DAILY"})
    client.post(URL, {"channel": ALL_ON, "digest": "NONE"})
    mine = NotificationPreference.objects.get(user=alice)
    assert mine.digest == Digest.NONE and mine.digest_from is None


@pytest.mark.parametrize("data, code", [
    ({"channel": ALL_ON, "digest": "HOURLY"}, "MSG_DIGEST_INVALID"),
    ({"channel": ALL_ON}, "MSG_DIGEST_INVALID"),
    ({"channel": ["factures_portal", "compte_email"], "digest": "NONE"},
     "MSG_PREFERENCE_INVALID"),
    ({"channel": ["digest"], "digest": "NONE"}, "MSG_PREFERENCE_INVALID"),
    ({"channel": ["<script>"], "digest": "NONE"}, "MSG_PREFERENCE_INVALID"),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(client, alice, data, code):
    NotificationPreference.objects.create(user=alice, factures_email=False,
                                          digest=Digest.DAILY, digest_from="2026-03-01T08:00Z")
    before = list(NotificationPreference.objects.values())
    client.force_login(alice)
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert code in html and 'role="alert"' in html and "<script>" not in html
    assert list(NotificationPreference.objects.values()) == before
    assert not AuditEvent.objects.filter(action="messaging.preferences_changed").exists()


def test_bad_input_creates_no_row_for_a_user_who_had_none(client, alice):
    client.force_login(alice)
    assert client.post(URL, {"digest": "MONTHLY"}).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_the_form_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(URL, {"channel": [], "digest": "DAILY"})
    assert response.status_code == 403
    assert "CORE_CSRF_FAILED" in response.content.decode()
    assert not NotificationPreference.objects.exists()
