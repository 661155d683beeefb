"""E-mail leaves only after commit, through a task, into the outbox (or SMTP)."""

import pytest
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from choeur.core import mail


@pytest.mark.django_db
def test_mail_is_queued_on_commit_and_delivered_to_the_outbox(
    django_capture_on_commit_callbacks, run_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail("marie@example.fr", "Votre compte", "Bonjour Marie,\nVoici le lien.",
                       html_body="<p>Bonjour <b>Marie</b></p>")
    assert DBTaskResult.objects.count() == 1
    assert mail.outbox_messages() == []  # nothing leaves before the worker runs
    results = run_tasks()
    assert [r.status for r in results] == ["SUCCESSFUL"]
    [message] = mail.outbox_messages()
    assert message.to == "marie@example.fr"
    assert message.subject == "Votre compte"
    assert message.text.strip() == "Bonjour Marie,\nVoici le lien."
    assert "<b>Marie</b>" in message.html
    assert mail.outbox_message(message.name) == message


@pytest.mark.django_db(transaction=True)
def test_rollback_sends_nothing(run_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_mail("marie@example.fr", "Jamais envoyé", "...")
        raise RuntimeError("the use case failed")
    assert not DBTaskResult.objects.exists()
    assert run_tasks() == []
    assert mail.outbox_messages() == []


def test_outbox_names_cannot_escape_the_folder():
    assert mail.outbox_message("../secret_key") is None
    assert mail.outbox_message("20260101T000000-abcdefghijkl.eml/../../x") is None


@pytest.mark.django_db
def test_smtp_backend_when_configured(settings, django_capture_on_commit_callbacks, run_tasks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail as django_mail

    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail(["a@example.fr", "b@example.fr"], "Objet", "Corps")
    run_tasks()
    assert len(django_mail.outbox) == 1
    assert django_mail.outbox[0].to == ["a@example.fr", "b@example.fr"]
    assert django_mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.django_db
def test_outbox_page_for_administrators_only(client, user, admin_user,
                                             django_capture_on_commit_callbacks, run_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail("marie@example.fr", "Lien d'activation", "https://choeur.test/activer/abc")
    run_tasks()
    url = reverse("outbox")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(user)
    assert client.get(url).status_code == 302  # not staff
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "Lien d&#x27;activation" in page.content.decode()
    [message] = mail.outbox_messages()
    detail = client.get(reverse("outbox-detail", args=[message.name]))
    assert "https://choeur.test/activer/abc" in detail.content.decode()
    assert client.get(reverse("outbox-detail", args=["nope.eml"])).status_code == 404
