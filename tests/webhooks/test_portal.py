"""The portal pages (Raccordements → Webhooks): gestionnaires only, the secret shown once,
another structure's webhooks not found, CSRF on every form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from choeur.core.errors import PermissionRefused
from choeur.organisations import services as org
from choeur.webhooks import services
from choeur.webhooks.models import Delivery, Subscription
from tests.organisations.conftest import make_user

from .conftest import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(supplier_user, supplier):
    """A plain user of the supplier (not a gestionnaire)."""
    user = make_user("membre@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, user.email)
    return user


@pytest.fixture
def hook(supplier_user, supplier, local_webhooks):
    subscription, _secret = run(services.create_subscription, supplier_user, supplier,
                                "https://erp.lumiere.fr/hooks")
    run(services.send_test, supplier_user, supplier, subscription.pk)
    return subscription


def urls(structure_pk, hook_pk, delivery_pk):
    get = [reverse("webhooks:list", args=[structure_pk]),
           reverse("webhooks:create", args=[structure_pk]),
           reverse("webhooks:detail", args=[structure_pk, hook_pk])]
    post = [reverse("webhooks:create", args=[structure_pk]),
            reverse("webhooks:rotate", args=[structure_pk, hook_pk]),
            reverse("webhooks:deactivate", args=[structure_pk, hook_pk]),
            reverse("webhooks:test", args=[structure_pk, hook_pk]),
            reverse("webhooks:redeliver", args=[structure_pk, hook_pk, delivery_pk])]
    return get, post


EVIL = {"url": "https://evil.example/", "on_invoice_status": "on", "description": "x"}


def snapshot():
    return (sorted(Subscription.objects.values_list("pk", "url", "secret", "is_active")),
            sorted(Delivery.objects.values_list("pk", "state", "attempts")))


def test_the_gestionnaire_creates_sees_the_secret_once_and_manages(client, supplier_user,
                                                                   supplier):
    client.force_login(supplier_user)
    page = client.get(reverse("structure-raccordements", args=[supplier.pk]))
    assert reverse("webhooks:list", args=[supplier.pk]) in page.content.decode()
    response = client.post(reverse("webhooks:create", args=[supplier.pk]), {
        "url": "https://erp.lumiere.fr/hooks", "description": "ERP",
        "on_invoice_status": "on", "on_flux_state": "on"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.on_flux_state and subscription.created_by == supplier_user
    detail = client.get(reverse("webhooks:detail", args=[supplier.pk, subscription.pk]))
    listing = client.get(reverse("webhooks:list", args=[supplier.pk]))
    for page in (detail, listing):
        assert page.status_code == 200
        assert "erp.lumiere.fr" in page.content.decode()
        assert subscription.secret not in page.content.decode()
    client.post(reverse("webhooks:test", args=[supplier.pk, subscription.pk]))
    delivery = Delivery.objects.get()
    detail = client.get(reverse("webhooks:detail", args=[supplier.pk, subscription.pk]))
    assert delivery.event_id in detail.content.decode()
    old = subscription.secret
    rotated = client.post(reverse("webhooks:rotate", args=[supplier.pk, subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret in rotated.content.decode()
    assert rotated["Cache-Control"] == "no-store"
    response = client.post(reverse("webhooks:redeliver",
                                   args=[supplier.pk, subscription.pk, delivery.pk]))
    assert response.status_code == 302
    response = client.post(reverse("webhooks:deactivate", args=[supplier.pk, subscription.pk]))
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.CANCELLED


def test_a_refused_address_is_shown_on_the_form(client, supplier_user, supplier):
    client.force_login(supplier_user)
    response = client.post(reverse("webhooks:create", args=[supplier.pk]), {
        "url": "https://169.254.169.254/latest", "on_invoice_status": "on"})
    assert response.status_code == 400 and "WEBHOOK_URL_FORBIDDEN" in response.content.decode()
    response = client.post(reverse("webhooks:create", args=[supplier.pk]), {
        "url": "https://erp.lumiere.fr/"})
    assert "WEBHOOK_NO_EVENT" in response.content.decode()
    assert not Subscription.objects.exists()


def test_members_who_are_not_gestionnaires_are_refused(client, supplier, member, hook):
    delivery = Delivery.objects.get()
    get, post = urls(supplier.pk, hook.pk, delivery.pk)
    client.force_login(member)
    before = snapshot()
    for url in get:
        assert client.get(url).status_code == 403, url
    for url in post:
        assert client.post(url, EVIL).status_code == 403, url
    assert snapshot() == before
    page = client.get(reverse("structure-raccordements", args=[supplier.pk]))
    assert reverse("webhooks:list", args=[supplier.pk]) not in page.content.decode()
    with pytest.raises(PermissionRefused):
        run(services.create_subscription, member, supplier, "https://erp.example.fr/")


@pytest.mark.parametrize("who", ["anonymous", "other gestionnaire", "own ids mixed"])
def test_another_structure_s_webhooks_are_not_found(client, supplier, hook, recipient,
                                                    recipient_user, who):
    delivery = Delivery.objects.get()
    if who == "own ids mixed":  # the outsider's own structure, the victim's webhook ids
        get, post = urls(recipient.pk, hook.pk, delivery.pk)
    else:
        get, post = urls(supplier.pk, hook.pk, delivery.pk)
    if who != "anonymous":
        client.force_login(recipient_user)
    before = snapshot()
    post = [u for u in post if not (who == "own ids mixed" and u.endswith("/nouveau/"))]
    for url, response in [*((u, client.get(u)) for u in get),
                          *((u, client.post(u, EVIL)) for u in post)]:
        if who == "anonymous":
            assert response.status_code == 302 and "/connexion/" in response.url, url
        elif who == "own ids mixed" and url.endswith(("/webhooks/", "/nouveau/")):
            continue  # the outsider's own list and creation form (tested elsewhere)
        else:
            assert response.status_code == 404, (url, response.status_code)
        assert "erp.lumiere.fr" not in response.content.decode(), url
    assert snapshot() == before


def test_forms_need_the_csrf_token(supplier_user, supplier, hook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supplier_user)
    response = client.post(reverse("webhooks:create", args=[supplier.pk]), EVIL)
    assert response.status_code == 403
    response = client.post(reverse("webhooks:rotate", args=[supplier.pk, hook.pk]))
    assert response.status_code == 403
    assert Subscription.objects.count() == 1
