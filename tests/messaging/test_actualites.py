"""Actualités: platform news written by the platform's administrators (Administration ›
Actualités), shown on the home page within their dates, notified once at publication to the
users whose « Actualités » preference is on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from choeur.core import clock, worker
from choeur.core.errors import PermissionRefused
from choeur.core.models import AuditEvent
from choeur.messaging import actualites
from choeur.messaging.models import Actualite, Notification, NotificationPreference
from tests.messaging.conftest import mails_to, rows

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # 10:30 in Paris
LIST = "/administration/actualites/"
NEW = "/administration/actualites/nouvelle/"


@pytest.fixture
def platform_admin(make_user):
    return make_user("admin@example.fr", is_superuser=True, is_staff=True)


def _create(actor, title="Maintenance samedi", body="Le portail sera fermé de 8 h à 12 h.",
            start=NOW, end=None) -> Actualite:
    with transaction.atomic():
        return actualites.create(actor, title, body, start, end)


def _form(title="Maintenance samedi", body="Le portail sera fermé.\n<b>Merci</b>",
          start="2026-03-10T10:00", end="") -> dict:
    return {"title": title, "body": body, "published_from": start, "published_until": end}


# --- Shown on the home page within their dates -----------------------------------------------


def test_shown_on_the_home_page_only_while_published(client, platform_admin):
    clock.freeze(NOW)
    later = _create(platform_admin, "Nouvelle version", start=NOW + timedelta(days=2),
                    end=NOW + timedelta(days=5))
    _create(platform_admin, "Maintenance samedi", body="Fermé <b>samedi</b>.\nMerci.")
    _create(platform_admin, "Ancienne", start=NOW - timedelta(days=10),
            end=NOW - timedelta(days=1))
    html = client.get("/").content.decode()
    assert "Maintenance samedi" in html and "Ancienne" not in html
    assert "Nouvelle version" not in html
    assert "&lt;b&gt;samedi&lt;/b&gt;" in html and "<b>samedi" not in html  # text, not HTML
    assert 'id="actualite-' in html
    clock.advance(timedelta(days=2))  # its start
    html = client.get("/").content.decode()
    assert "Nouvelle version" in html
    clock.advance(timedelta(days=3))  # its end: no longer shown
    html = client.get("/").content.decode()
    assert "Nouvelle version" not in html and "Maintenance samedi" in html
    assert [a.pk for a in actualites.published(NOW + timedelta(days=4))][0] == later.pk


def test_the_home_page_without_news_has_no_section(client):
    assert 'data-testid="actualites"' not in client.get("/").content.decode()


# --- Notified at publication, through the preferences ---------------------------------------


def test_publishing_notifies_users_whose_preference_is_on(platform_admin, alice, bob,
                                                          make_user):
    clock.freeze(NOW)
    carol = make_user("carol@example.fr")
    NotificationPreference.objects.create(user=bob, actualites_portal=False,
                                          actualites_email=False)
    NotificationPreference.objects.create(user=carol, actualites_email=False)
    news = _create(platform_admin)
    assert news.notified_at == NOW
    assert rows(alice) == ["actualite_published"] and len(mails_to(alice)) == 1
    assert "Maintenance samedi" in mails_to(alice)[0].subject
    assert rows(bob) == [] and mails_to(bob) == []
    assert rows(carol) == ["actualite_published"] and mails_to(carol) == []
    note = Notification.objects.get(user=alice)
    assert note.url == f"/#actualite-{news.pk}" and "Maintenance samedi" in note.text


def test_a_future_news_is_notified_by_the_timer_when_its_date_comes(platform_admin, alice,
                                                                    run_tasks):
    clock.freeze(NOW)
    news = _create(platform_admin, start=NOW + timedelta(days=1))
    assert news.notified_at is None and rows(alice) == []
    worker.enqueue_timers()
    run_tasks()
    assert rows(alice) == []
    clock.advance(timedelta(days=1))
    worker.enqueue_timers()
    run_tasks()
    assert rows(alice) == ["actualite_published"]
    # Once: a later beat, or an edit, notifies no more.
    worker.enqueue_timers()
    run_tasks()
    with transaction.atomic():
        actualites.update(platform_admin, news.pk, "Maintenance décalée", news.body,
                          news.published_from, None)
    assert rows(alice) == ["actualite_published"]
    assert len(mails_to(alice)) == 1


def test_a_news_already_over_is_never_notified(platform_admin, alice, run_tasks):
    clock.freeze(NOW)
    _create(platform_admin, start=NOW - timedelta(days=3), end=NOW - timedelta(days=1))
    worker.enqueue_timers()
    run_tasks()
    assert rows(alice) == []


def test_many_users_are_notified_in_batches(platform_admin, make_user, monkeypatch):
    monkeypatch.setattr(actualites, "NOTIFY_BATCH", 3)
    for i in range(7):
        make_user(f"user{i}@example.fr")
    clock.freeze(NOW)
    with CaptureQueriesContext(connection) as context:
        _create(platform_admin)
    # 8 users in 3 batches: one read of the preferences and one insert of the rows each.
    assert Notification.objects.filter(kind="actualite_published").count() == 8
    sql = [q["sql"] for q in context.captured_queries]
    assert sum("messaging_notificationpreference" in q for q in sql) == 3
    assert sum(q.startswith("INSERT") and "messaging_notification\"" in q for q in sql) == 3


# --- Written by platform administrators only ----------------------------------------------------


def test_an_administrator_writes_and_edits_news_in_the_portal(client, platform_admin):
    clock.freeze(NOW)
    client.force_login(platform_admin)
    assert LIST in client.get("/administration/").content.decode()
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, _form())
    assert response.status_code == 302 and response["Location"] == LIST
    news = Actualite.objects.get()
    assert news.author == platform_admin and news.title == "Maintenance samedi"
    assert news.published_from == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Paris time
    assert news.published_until is None and news.notified_at == NOW
    assert "Maintenance samedi" in client.get(LIST).content.decode()
    edit = f"/administration/actualites/{news.pk}/"
    assert 'value="2026-03-10T10:00"' in client.get(edit).content.decode()
    response = client.post(edit, _form(title="Maintenance dimanche", end="2026-03-15T18:00"))
    assert response.status_code == 302
    news.refresh_from_db()
    assert news.title == "Maintenance dimanche"
    assert news.published_until == datetime(2026, 3, 15, 17, 0, tzinfo=UTC)
    assert AuditEvent.objects.filter(action__startswith="messaging.actualite_").count() == 2


@pytest.mark.parametrize("as_whom", ["user", "staff"])
def test_others_may_not_write_news(client, alice, make_user, platform_admin, as_whom):
    news = _create(platform_admin)
    if as_whom == "staff":  # the back office's staff is not a platform administrator
        alice = make_user("staff@example.fr", is_staff=True)
    client.force_login(alice)
    edit = f"/administration/actualites/{news.pk}/"
    for url in (LIST, NEW, edit):
        assert client.get(url).status_code == 403
    assert client.post(NEW, _form(title="Piratée")).status_code == 403
    assert client.post(edit, _form(title="Piratée")).status_code == 403
    assert list(Actualite.objects.values_list("title", flat=True)) == ["Maintenance samedi"]
    with pytest.raises(PermissionRefused), transaction.atomic():
        actualites.create(alice, "Piratée", "x", NOW)
    with pytest.raises(PermissionRefused), transaction.atomic():
        actualites.update(alice, news.pk, "Piratée", "x", NOW)


def test_anonymous_goes_to_the_login_page(client):
    for url in (LIST, NEW):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_a_missing_news_is_not_found(client, platform_admin):
    client.force_login(platform_admin)
    response = client.get("/administration/actualites/999999/")
    assert response.status_code == 404 and "MSG_NEWS_NOT_FOUND" in response.content.decode()


@pytest.mark.parametrize("data, code", [
    (_form(title=""), "MSG_NEWS_TITLE_INVALID"),
    (_form(title="x" * 201), "MSG_NEWS_TITLE_INVALID"),
    (_form(body="   "), "MSG_NEWS_BODY_INVALID"),
    (_form(start=""), "MSG_NEWS_DATE_INVALID"),
    (_form(start="demain"), "MSG_NEWS_DATE_INVALID"),
    (_form(start="2026-02-30T10:00"), "MSG_NEWS_DATE_INVALID"),
    (_form(end="2026-03-10T09:00"), "MSG_NEWS_PERIOD_INVALID"),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(client, platform_admin, alice,
                                                             data, code):
    clock.freeze(NOW)
    client.force_login(platform_admin)
    response = client.post(NEW, data)
    assert response.status_code == 400 and code in response.content.decode()
    assert not Actualite.objects.exists() and not Notification.objects.exists()
    news = _create(platform_admin)
    response = client.post(f"/administration/actualites/{news.pk}/", data)
    assert response.status_code == 400 and code in response.content.decode()
    news.refresh_from_db()
    assert news.title == "Maintenance samedi"


def test_the_forms_need_the_csrf_token(platform_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(platform_admin)
    assert client.post(NEW, _form()).status_code == 403
    assert not Actualite.objects.exists()
