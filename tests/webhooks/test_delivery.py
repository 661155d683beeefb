"""Delivery: the documented signature, one delivery per event, retries with back-off against a
real local HTTP server, "renvoyer", the SSRF guard at delivery time, secrets kept out of logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from choeur.core import clock
from choeur.core.models import AuditEvent
from choeur.core.worker import run_ready
from choeur.webhooks import services
from choeur.webhooks.models import Attempt, Delivery, EventType

from .conftest import delivery_tasks, make_due, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(supplier_user, supplier, receiver):
    subscription, secret = run(services.create_subscription, supplier_user, supplier,
                               receiver.url, description="ERP", on_flux_state=True)
    return subscription, secret


def ping(supplier_user, supplier, subscription) -> Delivery:
    return run(services.send_test, supplier_user, supplier, subscription.pk)


# --- Signature ------------------------------------------------------------------------------


def test_the_signature_is_the_documented_hmac():
    secret, body, t = "whsec_test", b'{"id":"x"}', 1_773_135_000
    expected = hmac.new(secret.encode(), b"1773135000." + body, hashlib.sha256).hexdigest()
    assert services.sign(secret, t, body) == expected
    header = services.signature_header([secret], t, body)
    assert header == f"t=1773135000,v1={expected}"
    assert services.verify_signature(secret, header, body, now=t + 10)
    assert not services.verify_signature(secret, header, body + b" ", now=t)
    assert not services.verify_signature("whsec_other", header, body, now=t)
    assert not services.verify_signature(secret, header, body, now=t + 301)  # a replay
    assert not services.verify_signature(secret, "v1=" + expected, body, now=t)
    assert not services.verify_signature(secret, "", body, now=t)


def test_a_delivery_is_signed_and_carries_the_event_id(supplier_user, supplier, hook,
                                                       receiver):
    subscription, secret = hook
    assert secret.startswith("whsec_") and len(secret) > 40
    delivery = ping(supplier_user, supplier, subscription)
    assert receiver.requests == []  # nothing is sent before the worker runs the task
    run_ready()
    [request] = receiver.requests
    assert request.path == "/hooks/choeur?k=1"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Choeur-Webhook-Id"] == delivery.event_id
    assert request.headers["Choeur-Webhook-Event"] == "ping"
    assert request.headers["Choeur-Webhook-Attempt"] == "1"
    assert services.verify_signature(secret, request.headers["Choeur-Signature"], request.body)
    assert request.json == {"id": delivery.event_id, "type": "ping",
                            "dateEvenement": request.json["dateEvenement"],
                            "idStructure": supplier.pk, "roles": [], "donnees": {}}
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED and delivery.last_status_code == 200
    assert delivery.attempts == 1 and delivery.next_attempt_at is None
    run_ready()  # the retry queued with the claim finds the delivery done: no second request
    assert len(receiver.requests) == 1


def test_after_a_rotation_both_secrets_sign_for_a_while(supplier_user, supplier, hook,
                                                        receiver):
    subscription, old = hook
    _subscription, new = run(services.rotate_secret, supplier_user, supplier, subscription.pk)
    assert new != old
    ping(supplier_user, supplier, subscription)
    run_ready()
    header = receiver.requests[-1].headers["Choeur-Signature"]
    assert header.count("v1=") == 2
    body = receiver.requests[-1].body
    assert services.verify_signature(new, header, body)
    assert services.verify_signature(old, header, body)
    with clock.shifted(services.PREVIOUS_SECRET_GRACE + timedelta(minutes=1)):
        ping(supplier_user, supplier, subscription)
        run_ready()
    header = receiver.requests[-1].headers["Choeur-Signature"]
    assert header.count("v1=") == 1
    assert not services.verify_signature(old, header, receiver.requests[-1].body)


# --- Idempotency ----------------------------------------------------------------------------


def test_the_same_event_never_gives_two_deliveries(hook):
    subscription, _secret = hook
    payload = {"id": "e1"}
    with transaction.atomic():
        first = services._record(subscription, "e1", EventType.PING, "x", payload)
        again = services._record(subscription, "e1", EventType.PING, "x", payload)
    assert first is not None and again is None
    assert Delivery.objects.count() == 1 and delivery_tasks().count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(subscription=subscription, event_id="e1",
                                event_type=EventType.PING, payload="{}")


def test_a_duplicated_task_sends_once(supplier_user, supplier, hook, receiver):
    subscription, _secret = hook
    delivery = ping(supplier_user, supplier, subscription)
    assert services.deliver(delivery.pk, 0) == "delivered"
    assert services.deliver(delivery.pk, 0) == "stale"  # the same task run twice
    assert len(receiver.requests) == 1


# --- Retries --------------------------------------------------------------------------------


def test_a_500_is_retried_after_a_minute_then_delivered(supplier_user, supplier, hook,
                                                        receiver):
    subscription, secret = hook
    receiver.statuses = [500, 200]
    delivery = ping(supplier_user, supplier, subscription)
    before = clock.wall_now()
    run_ready()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.PENDING
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "HTTP 500"
    [retry] = delivery_tasks().filter(status="READY")
    assert timedelta(seconds=59) < retry.run_after - before < timedelta(seconds=75)
    assert retry.args_kwargs["args"] == [delivery.pk, 1]
    assert run_ready() == []  # not due yet
    make_due()
    run_ready()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED and delivery.attempts == 2
    first, second = receiver.requests
    assert first.body == second.body  # the same bytes, the same event id, a fresh signature
    assert first.headers["Choeur-Webhook-Id"] == second.headers["Choeur-Webhook-Id"]
    assert second.headers["Choeur-Webhook-Attempt"] == "2"
    assert services.verify_signature(secret, second.headers["Choeur-Signature"], second.body)
    assert [(a.number, a.status_code) for a in delivery.attempt_log.all()] == [
        (1, 500), (2, 200)]


@pytest.fixture
def closed_port_url(local_webhooks):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens: connection refused, a network error
    return f"http://127.0.0.1:{port}/"


def test_back_off_then_give_up_after_eight_attempts(supplier_user, supplier, closed_port_url,
                                                     caplog):
    subscription, _secret = run(services.create_subscription, supplier_user, supplier,
                                closed_port_url)
    delivery = ping(supplier_user, supplier, subscription)
    delays = []
    for _ in range(services.MAX_ATTEMPTS):
        started = clock.wall_now()
        make_due()
        run_ready()
        scheduled = list(delivery_tasks().filter(status="READY"))
        if scheduled:
            delays.append(round((scheduled[0].run_after - started).total_seconds() / 60))
    assert delays == [1, 5, 30, 120, 720, 1440, 1440]
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS == 8
    assert delivery.last_status_code is None and "ConnectionRefused" in delivery.last_error
    assert not delivery_tasks().filter(status="READY").exists()
    assert "failed (attempt 8/8)" in caplog.text


def test_renvoyer_makes_one_more_attempt_with_the_same_event(supplier_user, supplier,
                                                             closed_port_url, receiver):
    subscription, _secret = run(services.create_subscription, supplier_user, supplier,
                                closed_port_url)
    delivery = ping(supplier_user, supplier, subscription)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=8, state=Delivery.State.FAILED)
    delivery_tasks().delete()
    # The receiver is up again, at the subscription's address.
    type(subscription).objects.filter(pk=subscription.pk).update(url=receiver.url)
    run(services.redeliver, supplier_user, supplier, subscription.pk, delivery.pk)
    run_ready()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED and delivery.attempts == 9
    assert receiver.requests[0].headers["Choeur-Webhook-Id"] == delivery.event_id
    assert Attempt.objects.get(delivery=delivery).manual


def test_a_deactivated_webhook_sends_nothing_more(supplier_user, supplier, hook, receiver):
    subscription, _secret = hook
    delivery = ping(supplier_user, supplier, subscription)
    run(services.deactivate_subscription, supplier_user, supplier, subscription.pk)
    run_ready()
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.CANCELLED and receiver.requests == []


# --- SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize("url, error", [
    ("http://erp.example.fr/hook", "WEBHOOK_URL_INVALID"),
    ("ftp://erp.example.fr/hook", "WEBHOOK_URL_INVALID"),
    ("https://user:pw@erp.example.fr/hook", "WEBHOOK_URL_INVALID"),
    ("https:///hook", "WEBHOOK_URL_INVALID"),
    ("https://erp.example.fr:99999/", "WEBHOOK_URL_INVALID"),
    ("https://erp.example.fr/a b", "WEBHOOK_URL_INVALID"),
    ("https://10.1.2.3/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://192.168.0.10/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://169.254.169.254/latest/meta-data/", "WEBHOOK_URL_FORBIDDEN"),
    ("https://127.0.0.1/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://[::1]/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://[::ffff:10.0.0.1]/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://[fd00::1]/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://100.64.0.1/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://0.0.0.0/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("https://localhost/hook", "WEBHOOK_URL_FORBIDDEN"),
    ("http://localhost:8000/hook", "WEBHOOK_URL_INVALID"),
])
def test_private_and_odd_addresses_are_refused(url, error):
    with pytest.raises(services.errors.WebhookError) as refused:
        services.check_url(url)
    assert refused.value.code == error


def test_public_https_and_development_localhost_are_accepted(settings):
    assert services.check_url(" https://ERP.example.fr/hook?x=1#frag ") == \
        "https://erp.example.fr/hook?x=1"
    assert services.check_url("https://93.184.216.34:8443") == "https://93.184.216.34:8443/"
    settings.CHOEUR_WEBHOOKS_ALLOW_LOCALHOST = True
    assert services.check_url("http://localhost:8000/h") == "http://localhost:8000/h"
    assert services.check_url("http://127.0.0.1:8000/h") == "http://127.0.0.1:8000/h"
    with pytest.raises(services.errors.WebhookUrlForbidden):
        services.check_url("https://10.0.0.1/")  # development opens loopback only
    with pytest.raises(services.errors.WebhookUrlInvalid):
        services.check_url("http://erp.example.fr/")


def test_a_name_that_resolves_inside_is_refused_at_delivery(supplier_user, supplier,
                                                            monkeypatch, receiver):
    subscription, _secret = run(services.create_subscription, supplier_user, supplier,
                                "https://erp.example.fr/hook")
    asked = []

    def rebinding(host, port, *args, **kwargs):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(services.socket, "getaddrinfo", rebinding)
    connected = []
    monkeypatch.setattr(services.socket, "create_connection",
                        lambda *a, **k: connected.append(a) or (_ for _ in ()).throw(OSError()))
    delivery = ping(supplier_user, supplier, subscription)
    run_ready()
    delivery.refresh_from_db()
    assert asked == ["erp.example.fr"] and connected == []
    assert delivery.state == Delivery.State.PENDING and "réseau privé" in delivery.last_error


def test_localhost_is_refused_at_delivery_once_development_is_over(
        supplier_user, supplier, hook, receiver, settings):
    subscription, _secret = hook
    settings.CHOEUR_WEBHOOKS_ALLOW_LOCALHOST = False
    delivery = ping(supplier_user, supplier, subscription)
    run_ready()
    delivery.refresh_from_db()
    assert receiver.requests == [] and "réseau privé" in delivery.last_error


def test_the_connection_goes_to_the_checked_address(monkeypatch, local_webhooks, receiver):
    """No second resolution between the check and the connection (DNS rebinding)."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    asked = []
    real = socket.getaddrinfo

    def once(host, *args, **kwargs):
        asked.append(host)
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(services.socket, "getaddrinfo", once)
    status = services.post(f"http://localhost:{port}/x", b"{}", {"Content-Length": "2"})
    assert status == 200 and receiver.requests[0].headers["Host"] == f"localhost:{port}"
    assert asked.count("localhost") == 1  # then only the checked literal address


# --- Secrets --------------------------------------------------------------------------------


def test_the_secret_is_never_logged_nor_audited(supplier_user, supplier, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [500, 200]
    subscription, secret = run(services.create_subscription, supplier_user, supplier,
                               receiver.url)
    ping(supplier_user, supplier, subscription)
    run_ready()
    _subscription, rotated = run(services.rotate_secret, supplier_user, supplier,
                                 subscription.pk)
    make_due()
    run_ready()
    assert len(receiver.requests) == 2 and "failed" in caplog.text
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    for value in (secret, rotated, secret[6:], rotated[6:]):
        assert value not in logged
        assert value not in json.dumps(list(AuditEvent.objects.values_list("details",
                                                                           flat=True)))
        assert value not in repr(subscription) and value not in str(subscription)


# --- Retention --------------------------------------------------------------------------------


def test_ended_deliveries_are_kept_30_days_and_pending_ones_always(supplier_user, supplier,
                                                                    hook, frozen_now):
    subscription, _ = hook
    deliveries = {}
    for state in Delivery.State:
        deliveries[state] = ping(supplier_user, supplier, subscription)
        Delivery.objects.filter(pk=deliveries[state].pk).update(state=state)
        Attempt.objects.create(delivery=deliveries[state], number=1, at=clock.now(),
                               status_code=500)
    assert services.prune_deliveries() == 0
    with clock.shifted(services.DELIVERIES_KEPT - timedelta(minutes=1)):
        assert services.prune_deliveries() == 0
    with clock.shifted(services.DELIVERIES_KEPT + timedelta(minutes=1)):
        assert services.prune_deliveries(batch=2) == 3  # delivered, failed, cancelled
    kept = Delivery.objects.get()
    assert kept.pk == deliveries[Delivery.State.PENDING].pk
    assert list(Attempt.objects.values_list("delivery", flat=True)) == [kept.pk]


def test_a_delivery_sent_again_lately_is_kept_30_days_from_then(supplier_user, supplier,
                                                                 hook, frozen_now):
    subscription, _ = hook
    again, old = (ping(supplier_user, supplier, subscription) for _ in range(2))
    Delivery.objects.filter(pk=again.pk).update(state=Delivery.State.DELIVERED,
                                                last_attempt_at=clock.wall_now())
    Delivery.objects.filter(pk=old.pk).update(
        state=Delivery.State.FAILED,
        last_attempt_at=clock.wall_now() - services.DELIVERIES_KEPT - timedelta(hours=1))
    with clock.shifted(services.DELIVERIES_KEPT + timedelta(days=1)):
        assert services.prune_deliveries() == 1
    assert list(Delivery.objects.values_list("pk", flat=True)) == [again.pk]


def test_a_large_backlog_goes_a_bounded_part_an_hour(supplier_user, supplier, hook,
                                                     frozen_now):
    subscription, _ = hook
    for _ in range(5):
        ping(supplier_user, supplier, subscription)
    Delivery.objects.update(state=Delivery.State.DELIVERED)
    with clock.shifted(services.DELIVERIES_KEPT + timedelta(days=1)):
        assert services.prune_deliveries(batch=2, batches=2) == 4
        assert services.prune_deliveries(batch=2, batches=2) == 1


def test_the_worker_housekeeping_prunes_deliveries_even_if_task_pruning_fails(
        supplier_user, supplier, hook, frozen_now, monkeypatch, caplog):
    from choeur.core import periodic, worker

    subscription, _ = hook
    delivery = ping(supplier_user, supplier, subscription)
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.DELIVERED)

    def broken():
        raise RuntimeError("task table unavailable")

    # Declared first (core's app comes first), it fails before the webhooks' turn.
    monkeypatch.setitem(periodic._HOUSEKEEPING, "finished task results",
                        periodic.Housekeeping("finished task results", broken))
    with clock.shifted(services.DELIVERIES_KEPT + timedelta(days=1)):
        worker.housekeeping()
    assert not Delivery.objects.exists()
    assert "pruning finished task results failed" in caplog.text
