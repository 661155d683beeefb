"""Issue 15, fault injection: a technical account opts in, in qualification, to the answers
its software must survive — 401 / 403 with an empty body, 429 with `Retry-After`, slow
answers, a flux that ends `IN_REJETE` or `IN_INCIDENTE` later — seen here by a client that
speaks as the real ones do (OAuth2 bearer + cpro-account). Production never injects anything,
even with a row, and refuses the setting; another structure's account cannot be configured;
bad input is refused with a coded error and changes nothing."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from choeur.api import faults as api_faults
from choeur.core import clock
from choeur.core.errors import PermissionRefused
from choeur.core.models import AuditEvent
from choeur.flux import outcome_hooks, services
from choeur.flux.models import EtatFlux, Flux
from choeur.invoicing.models import Invoice
from choeur.organisations.errors import TechnicalAccountNotFound
from choeur.organisations.models import Rattachement
from choeur.qualification import errors, faults
from choeur.qualification.models import FaultInjection, InjectedFluxOutcome
from tests.api.conftest import CLIENT_SECRET, TECH_PASSWORD
from tests.flux import conftest as flux_world
from tests.flux.conftest import deposit_body
from tests.organisations.conftest import make_user

# The flux tests' world: a supplier (its gestionnaire principal `supplier_user`), a public
# recipient, the supplier's technical account and OAuth2 client, and a victim structure.
_fast_hashes = flux_world._fast_hashes
victim = flux_world.victim
bank_account = flux_world.bank_account
platform_admin = flux_world.platform_admin
recipient = flux_world.recipient
recipient_user = flux_world.recipient_user
supplier = flux_world.supplier
supplier_user = flux_world.supplier_user
party = flux_world.party
wire = flux_world.wire
invoice_file = flux_world.invoice_file

pytestmark = pytest.mark.django_db

HEALTH = "transverses/v1/health-check"


def inject(actor, party, **given):
    with transaction.atomic():
        return faults.set_fault(actor, party.structure, party.account.pk, **given)


def stop(actor, party):
    with transaction.atomic():
        return faults.stop_fault(actor, party.structure, party.account.pk)


@pytest.fixture
def flux_hook():
    """The flux fault's hook, as the app's ready() registers it in qualification (the tests
    start in production, where it registers nothing)."""
    outcome_hooks.register(faults.HOOK_NAME, faults.flux_outcome)
    yield
    outcome_hooks.unregister(faults.HOOK_NAME)


# --- The API faults, as a client sees them -----------------------------------------------------


def test_401_with_an_empty_body(qualification, wire, party, supplier_user, caplog):
    inject(supplier_user, party, kind="401")
    wire.get_token()  # the token endpoint is not touched by the fault
    with caplog.at_level(logging.INFO, logger="choeur.api.faults"):
        response = wire.get(HEALTH)
    assert response.status_code == 401
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert response["WWW-Authenticate"] == 'Bearer realm="PISTE",error="invalid_token"'
    assert response["Choeur-Injected-Fault"] == "401"
    # Logged at INFO with the login and the fault, never a secret.
    [record] = [r for r in caplog.records if r.name == "choeur.api.faults"]
    assert record.levelno == logging.INFO
    assert party.account.login in record.getMessage() and "401" in record.getMessage()
    for secret in (TECH_PASSWORD, CLIENT_SECRET, wire.token, party.cpro_account):
        assert secret not in caplog.text


def test_403_with_an_empty_body_even_on_a_deposit(qualification, wire, party, supplier_user,
                                                   invoice_file):
    inject(supplier_user, party, kind="403")
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(invoice_file("cii"), "facture.xml"))
    assert response.status_code == 403 and response.content == b""
    assert "WWW-Authenticate" not in response.headers
    assert not Flux.objects.exists()  # the operation did not run


def test_429_with_retry_after_and_the_wire_envelope(qualification, wire, party, supplier_user):
    inject(supplier_user, party, kind="429", retry_after_seconds="42")
    response = wire.post("transverses/v1/recuperer/pays", {})
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    body = response.json()
    assert body["codeRetour"] == 20011
    assert body["libelle"].startswith("QUAL_FAULT_INJECTED_TOO_MANY_REQUESTS - ")
    assert "42 secondes" in body["libelle"]
    # The referential family answers in its own shape, and a 429 stays a 429 there.
    referential = wire.get("organisations/v1/healthcheck")
    assert referential.status_code == 429 and referential["Retry-After"] == "42"
    assert referential.json()[0]["error"] == "TooManyRequests"


def test_one_call_out_of_n_starting_with_the_first_so_a_retry_succeeds(
        qualification, wire, party, supplier_user):
    inject(supplier_user, party, kind="429", every=2, retry_after_seconds=1)
    seen = [wire.get(HEALTH).status_code for _ in range(5)]
    assert seen == [429, 200, 429, 200, 429]
    # Set again: the count starts again, deterministic.
    inject(supplier_user, party, kind="403", every=3)
    assert [wire.get(HEALTH).status_code for _ in range(4)] == [403, 200, 200, 403]
    assert FaultInjection.objects.get().calls == 4


def test_slow_answers_wait_then_answer_normally(qualification, wire, party, supplier_user,
                                                monkeypatch):
    waits = []
    monkeypatch.setattr(api_faults, "sleep", waits.append)
    inject(supplier_user, party, kind="lent", delay_seconds=7)
    response = wire.get(HEALTH)
    assert response.status_code == 200 and waits == [7]
    assert response.json() == wire.get(HEALTH).json()  # the normal answer, after the wait
    assert waits == [7, 7]


def test_slow_answers_never_hold_more_than_two_threads_at_once(
        qualification, wire, party, supplier_user, monkeypatch):
    """A client calling in parallel must not hold every web thread for 30 s: past two waits
    at once in a process, a call is answered without waiting."""
    monkeypatch.setattr(api_faults, "_waits", threading.BoundedSemaphore(2))
    for _ in range(2):  # two calls of this client are waiting right now
        assert api_faults._waits.acquire(blocking=False)
    waits = []
    monkeypatch.setattr(api_faults, "sleep", waits.append)
    inject(supplier_user, party, kind="lent", delay_seconds=7)
    assert wire.get(HEALTH).status_code == 200 and waits == []
    api_faults._waits.release()
    assert wire.get(HEALTH).status_code == 200 and waits == [7]


def test_a_slow_answer_really_takes_its_time(qualification, wire, party, supplier_user):
    inject(supplier_user, party, kind="lent", delay_seconds=1)
    wire.get_token()
    started = time.monotonic()
    response = wire.get(HEALTH)
    assert response.status_code == 200
    assert time.monotonic() - started >= 1


def test_normal_answers_when_stopped_or_never_set(qualification, wire, party, supplier_user,
                                                  victim):
    assert wire.get(HEALTH).status_code == 200  # never set
    inject(supplier_user, party, kind="401")
    assert wire.get(HEALTH).status_code == 401
    stopped = stop(supplier_user, party)
    assert not stopped.enabled and stopped.kind == "401"  # its settings stay, to start again
    assert [wire.get(HEALTH).status_code for _ in range(3)] == [200, 200, 200]
    actions = list(AuditEvent.objects.filter(action__startswith="qualification.fault_")
                   .values_list("action", flat=True).order_by("pk"))
    assert actions == ["qualification.fault_set", "qualification.fault_stopped"]


def test_only_the_opted_in_account_meets_the_fault(qualification, client, party, victim,
                                                   supplier_user):
    from tests.api.conftest import Wire

    inject(supplier_user, party, kind="401")
    assert Wire(client, victim).get(HEALTH).status_code == 200


# --- Who may set it -----------------------------------------------------------------------------


def test_another_structures_account_cannot_be_configured(qualification, party, victim,
                                                         supplier_user, client):
    with pytest.raises(TechnicalAccountNotFound), transaction.atomic():
        faults.set_fault(supplier_user, party.structure, victim.account.pk, kind="401")
    with pytest.raises(TechnicalAccountNotFound), transaction.atomic():
        faults.stop_fault(supplier_user, party.structure, victim.account.pk)
    assert not FaultInjection.objects.exists()
    # Nor through the page: a forged id is not found, whatever is posted.
    client.force_login(supplier_user)
    url = f"/qualification/pannes/{victim.account.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "set", "kind": "401", "every": "1"}).status_code == 404
    assert client.get("/qualification/pannes/999999/").status_code == 404
    assert not FaultInjection.objects.exists()


def test_a_plain_user_of_the_structure_cannot_set_it(qualification, party, supplier):
    user = make_user("simple@lumiere.fr")
    Rattachement.objects.create(user=user, structure=supplier, role=Rattachement.Role.UTILISATEUR,
                                status=Rattachement.Status.VALIDEE)
    with pytest.raises(PermissionRefused), transaction.atomic():
        faults.set_fault(user, supplier, party.account.pk, kind="401")
    assert not FaultInjection.objects.exists()


# --- Production -----------------------------------------------------------------------------------


def test_production_never_applies_a_fault_even_with_a_row(wire, party, flux_hook, invoice_file,
                                                          run_tasks):
    FaultInjection.objects.create(account=party.account, kind="401", changed_at=clock.now())
    wire.get_token()
    with CaptureQueriesContext(connection) as queries:
        assert wire.get(HEALTH).status_code == 200
    assert not [q for q in queries.captured_queries if "qualification_" in q["sql"]]
    # Nor a flux fault, even with the hook registered.
    FaultInjection.objects.update(kind="flux", flux_outcome="IN_REJETE")
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(invoice_file("cii"), "facture.xml"))
    assert response.status_code == 200, response.content
    run_tasks()
    assert Flux.objects.get().status == EtatFlux.INTEGRE
    assert not InjectedFluxOutcome.objects.exists()
    assert FaultInjection.objects.get().calls == 0


def test_production_refuses_the_setting_and_the_page(party, supplier_user, client):
    with pytest.raises(errors.QualificationOnly), transaction.atomic():
        faults.set_fault(supplier_user, party.structure, party.account.pk, kind="401")
    with pytest.raises(errors.QualificationOnly), transaction.atomic():
        faults.stop_fault(supplier_user, party.structure, party.account.pk)
    assert not FaultInjection.objects.exists()
    client.force_login(supplier_user)
    url = f"/qualification/pannes/{party.account.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "set", "kind": "401", "every": "1"}).status_code == 404
    assert not FaultInjection.objects.exists()
    page = client.get(f"/structures/{party.structure.pk}/raccordements/")
    assert "Injection de pannes" not in page.content.decode()


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "error", "text"), [
    ({"kind": "500"}, errors.FaultUnknown, "Panne inconnue"),
    ({"kind": ""}, errors.FaultUnknown, "Panne inconnue"),
    ({"kind": "lent", "delay_seconds": "-5"}, errors.FaultValueInvalid, "Délai de réponse"),
    ({"kind": "lent", "delay_seconds": "31"}, errors.FaultValueInvalid, "de 1 à 30"),
    ({"kind": "lent", "delay_seconds": "2.5"}, errors.FaultValueInvalid, "Délai"),
    ({"kind": "429", "retry_after_seconds": None}, errors.FaultValueInvalid, "Retry-After"),
    ({"kind": "401", "every": "0"}, errors.FaultValueInvalid, "Un appel sur"),
    ({"kind": "flux", "flux_outcome": "IN_INTEGRE"}, errors.FaultFluxOutcomeUnknown, "IN_REJETE"),
    ({"kind": "flux", "flux_outcome": "IN_REJETE", "flux_after_seconds": "-1"},
     errors.FaultValueInvalid, "au bout de"),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(qualification, party,
                                                              supplier_user, given, error,
                                                              text):
    before = inject(supplier_user, party, kind="429", every=3, retry_after_seconds=9)
    events = AuditEvent.objects.count()
    with pytest.raises(error) as refused, transaction.atomic():
        faults.set_fault(supplier_user, party.structure, party.account.pk, **given)
    assert refused.value.code.startswith("QUAL_FAULT_")
    assert text in refused.value.message("fr")
    after = FaultInjection.objects.get()
    assert (after.kind, after.every, after.retry_after_seconds, after.enabled) == \
        (before.kind, before.every, before.retry_after_seconds, True)
    assert AuditEvent.objects.count() == events


def test_the_page_shows_a_refusal_with_its_code(qualification, party, supplier_user, client):
    client.force_login(supplier_user)
    url = f"/qualification/pannes/{party.account.pk}/"
    response = client.post(url, {"action": "set", "kind": "lent", "every": "1",
                                 "delay_seconds": "-3"})
    assert response.status_code == 200
    assert "QUAL_FAULT_VALUE_INVALID" in response.content.decode()
    assert not FaultInjection.objects.exists()


# --- The flux fault -------------------------------------------------------------------------------


def cr_detaille(wire, numero: str) -> dict:
    response = wire.post("transverses/v1/consulterCRDetaille", {"numeroFluxDepot": numero})
    assert response.status_code == 200, response.content
    return response.json()


def deposit(wire, invoice_file, number="FA-2026-0117") -> str:
    response = wire.post("factures/v1/deposer/flux",
                         deposit_body(invoice_file("cii", number=number), f"{number}.xml"))
    assert response.status_code == 200, response.content
    return response.json()["numeroFluxDepot"]


def test_a_flux_that_ends_rejected(qualification, flux_hook, wire, party, supplier_user,
                                   invoice_file, run_tasks):
    inject(supplier_user, party, kind="flux", flux_outcome="IN_REJETE", flux_after_seconds=0)
    numero = deposit(wire, invoice_file)
    run_tasks()
    detail = cr_detaille(wire, numero)
    assert detail["etatCourantDepotFlux"] == "IN_REJETE"
    [line] = detail["listeErreurDP"]
    assert line["numeroDP"] == "FA-2026-0117"
    assert line["libelleErreurDP"].startswith("QUAL_FAULT_INJECTED_FLUX_REJECTED - ")
    assert "panne injectée en qualification" in line["libelleErreurDP"]
    assert party.account.login in line["libelleErreurDP"]
    assert not Invoice.objects.exists()


def test_a_flux_that_ends_in_incident_later_then_recovers_once_stopped(
        qualification, flux_hook, wire, party, supplier_user, invoice_file, run_tasks, caplog):
    inject(supplier_user, party, kind="flux", flux_outcome="IN_INCIDENTE",
           flux_after_seconds=120)
    with caplog.at_level(logging.INFO, logger="choeur.qualification.faults"):
        numero = deposit(wire, invoice_file)
        run_tasks()
    assert f"technical account {party.account.login}" in caplog.text
    # Not yet: the flux waits, its integration queued for later (wall time), no attempt spent.
    flux = Flux.objects.get(numero=numero)
    assert flux.status == EtatFlux.EN_ATTENTE and flux.attempts == 0
    assert cr_detaille(wire, numero)["etatCourantDepotFlux"] == EtatFlux.EN_ATTENTE
    waiting = DBTaskResult.objects.ready()
    assert not waiting.exists()
    later = DBTaskResult.objects.filter(status="READY", run_after__gt=clock.wall_now()
                                        + timedelta(seconds=100))
    assert later.count() == 1
    # Two minutes pass (for the task's schedule and for the choice the fault made).
    past = clock.wall_now() - timedelta(seconds=1)
    later.update(run_after=past)
    assert InjectedFluxOutcome.objects.update(due_at=past) == 1
    run_tasks()
    detail = cr_detaille(wire, numero)
    assert detail["etatCourantDepotFlux"] == "IN_INCIDENTE"
    [technical] = detail["listeErreurTechnique"]
    assert technical["codeErreur"] == "QUAL_FAULT_INJECTED_FLUX_INCIDENT"
    assert "panne injectée en qualification" in technical["libelleErreur"]
    assert not Invoice.objects.exists()
    # Resumed while the fault is active: in incident again (the same choice).
    with transaction.atomic():
        services.queue_integration(Flux.objects.get(numero=numero))
    run_tasks()
    assert Flux.objects.get(numero=numero).status == EtatFlux.INCIDENTE
    # Stopped: the next attempt integrates it normally.
    stop(supplier_user, party)
    with transaction.atomic():
        services.queue_integration(Flux.objects.get(numero=numero))
    run_tasks()
    assert cr_detaille(wire, numero)["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert Invoice.objects.get().number == "FA-2026-0117"


def test_one_flux_out_of_two(qualification, flux_hook, wire, party, supplier_user,
                             invoice_file, run_tasks):
    inject(supplier_user, party, kind="flux", every=2, flux_outcome="IN_REJETE")
    numbers = [deposit(wire, invoice_file, number=f"FA-2026-{n}") for n in (1, 2, 3)]
    run_tasks()
    states = [Flux.objects.get(numero=n).status for n in numbers]
    assert states == [EtatFlux.REJETE, EtatFlux.INTEGRE, EtatFlux.REJETE]
    # API calls do not count for the flux fault, nor meet it.
    assert FaultInjection.objects.get().calls == 3


# --- The portal -----------------------------------------------------------------------------------


def test_the_raccordements_page_links_to_the_faults_and_shows_the_active_one(
        qualification, party, supplier_user, client):
    client.force_login(supplier_user)
    page = client.get(f"/structures/{party.structure.pk}/raccordements/").content.decode()
    url = f"/qualification/pannes/{party.account.pk}/"
    assert url in page and f'data-testid="fault-{party.account.pk}"' not in page

    response = client.post(url, {"action": "set", "kind": "429", "every": "2",
                                 "retry_after_seconds": "30", "delay_seconds": "5",
                                 "flux_outcome": "IN_REJETE", "flux_after_seconds": "60"})
    assert response.status_code == 302
    fault = FaultInjection.objects.get()
    assert (fault.kind, fault.every, fault.retry_after_seconds, fault.delay_seconds,
            fault.flux_outcome) == ("429", 2, 30, 0, "")  # only the chosen fault's settings
    shown = client.get(url).content.decode()
    assert "Panne active" in shown and "Arrêter la panne" in shown
    page = client.get(f"/structures/{party.structure.pk}/raccordements/").content.decode()
    assert f'data-testid="fault-{party.account.pk}"' in page

    assert client.post(url, {"action": "stop"}).status_code == 302
    assert not FaultInjection.objects.get().enabled
    shown = client.get(url).content.decode()
    assert "Aucune panne" in shown and "Arrêter la panne" not in shown


def test_the_flux_hook_is_registered_in_qualification_only(settings):
    from django.core.signals import request_started
    from django_tasks.signals import task_started

    from choeur.qualification.apps import QualificationConfig

    outcome_hooks.unregister(faults.HOOK_NAME)
    QualificationConfig.ready(None)  # production: the app connects nothing
    assert not outcome_hooks.registered()
    settings.CHOEUR_ENVIRONMENT = "qualification"
    try:
        QualificationConfig.ready(None)
        assert outcome_hooks.registered()
    finally:
        outcome_hooks.unregister(faults.HOOK_NAME)
        request_started.disconnect(dispatch_uid="qualification-clock-request")
        task_started.disconnect(dispatch_uid="qualification-clock-task")
