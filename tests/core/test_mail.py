"""E-mail leaves only after commit, through a task, into the outbox (or SMTP), with retries."""

import smtplib
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from choeur.core import clock, mail
from choeur.core.models import OutgoingEmail


def send(*args, **kwargs):
    with transaction.atomic():
        return mail.send_mail(*args, **kwargs)


@pytest.mark.django_db
def test_mail_is_queued_then_delivered_to_the_outbox(run_tasks):
    email = send("marie@example.fr", "Votre compte", "Bonjour Marie,\nVoici le lien.",
                 html_body="<p>Bonjour <b>Marie</b></p>")
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [email.pk]  # the task carries an id, not the message
    assert mail.outbox_messages() == []  # nothing leaves before the worker runs
    results = run_tasks()
    assert [r.status for r in results] == ["SUCCESSFUL"]
    [message] = mail.outbox_messages()
    assert message.to == "marie@example.fr"
    assert message.subject == "Votre compte"
    assert message.text.strip() == "Bonjour Marie,\nVoici le lien."
    assert "<b>Marie</b>" in message.html
    assert mail.outbox_message(message.name) == message
    email.refresh_from_db()
    assert email.status == "SENT" and email.attempts == 1
    assert email.body == "" and email.html_body == ""  # links are not kept once delivered


@pytest.mark.django_db
def test_delivery_is_idempotent(run_tasks):
    email = send("marie@example.fr", "Une fois", "...")
    run_tasks()
    mail.deliver(email.pk)  # a task replayed after a crash
    assert len(mail.outbox_messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_rollback_sends_nothing(run_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_mail("marie@example.fr", "Jamais envoyé", "...")
        raise RuntimeError("the use case failed")
    assert not DBTaskResult.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert run_tasks() == []
    assert mail.outbox_messages() == []


@pytest.mark.django_db
def test_smtp_failure_is_retried_later_then_given_up(settings, run_tasks, monkeypatch):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")

    monkeypatch.setattr(mail.OutboxBackend, "send_messages", refuse)
    email = send("marie@example.fr", "Réessayé", "...")
    run_tasks()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("QUEUED", 1)
    assert "SMTPServerDisconnected" in email.last_error
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after > clock.wall_now() + timedelta(seconds=50)
    for _ in mail.RETRY_DELAYS:  # every later attempt fails too
        DBTaskResult.objects.filter(status="READY").update(run_after=clock.wall_now())
        run_tasks()
    email.refresh_from_db()
    assert email.status == "FAILED" and email.attempts == len(mail.RETRY_DELAYS) + 1
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert mail.outbox_messages() == []


def test_outbox_names_cannot_escape_the_folder():
    assert mail.outbox_message("../secret_key") is None
    assert mail.outbox_message("20260101T000000.000000-abcdefghijkl.eml/../../x") is None
    assert mail.outbox_message("20260101T000000.000000-abcdefghijkl.eml\n") is None


@pytest.mark.django_db
def test_smtp_backend_when_configured(settings, run_tasks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail as django_mail

    send(["a@example.fr", "b@example.fr"], "Objet", "Corps")
    run_tasks()
    assert len(django_mail.outbox) == 1
    assert django_mail.outbox[0].to == ["a@example.fr", "b@example.fr"]
    assert django_mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.django_db
def test_outbox_page_for_platform_administrators_only(client, user, admin_user, run_tasks):
    send("marie@example.fr", "Lien d'activation", "https://choeur.test/activer/abc")
    run_tasks()
    url = reverse("outbox")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(user)
    assert client.get(url).status_code == 403  # a plain user
    user.is_staff = True
    user.save()
    assert client.get(url).status_code == 403  # staff, but not a platform administrator
    client.force_login(admin_user)
    page = client.get(url)
    assert page.status_code == 200
    assert "Lien d&#x27;activation" in page.content.decode()
    [message] = mail.outbox_messages()
    detail = client.get(reverse("outbox-detail", args=[message.name]))
    assert "https://choeur.test/activer/abc" in detail.content.decode()
    assert client.get(reverse("outbox-detail", args=["nope.eml"])).status_code == 404
