"""Issue 15, the recipient simulator: public structures play their part on the invoices they
receive by a scenario (days after the mise à disposition → status), as the clock advances;
edited by the structure's gestionnaires only; production refuses all of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from choeur.core import periodic
from choeur.core.errors import NotFound, PermissionRefused
from choeur.core.models import AuditEvent
from choeur.invoicing import services
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from choeur.organisations.models import Rattachement
from choeur.qualification import clock_control, errors, simulator, tasks
from choeur.qualification.models import RecipientScenario, ScenarioStep
from choeur.qualification.simulator import Step
from tests.invoicing.conftest import (  # noqa: F401 (fixtures)
    bank_account,
    invoice_data,
    other_recipient,
    pdf_bytes,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
)
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

S = Status


@pytest.fixture
def timer(qualification):
    """The simulator's timer, as QualificationConfig.ready() registers it in qualification
    (the tests' instance started in production)."""
    periodic.timer(tasks.apply_recipient_scenarios)
    yield
    periodic._TIMERS.pop(tasks.apply_recipient_scenarios.module_path, None)


def received(supplier_user, supplier, bank_account, number="FA-2026-0117",  # noqa: F811
             recipient_identifier=None) -> Invoice:
    """A PDF invoice deposited by the supplier and routed: MISE_A_DISPOSITION."""
    from choeur.core.worker import run_ready

    overrides = {"bank_account_id": bank_account.pk, "number": number}
    if recipient_identifier:
        overrides.update(recipient_identifier=recipient_identifier, recipient_service_code="",
                         engagement_number="")
    invoice = run(services.deposit, supplier_user, supplier, invoice_data(**overrides),
                  mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("facture.pdf", pdf_bytes()))
    run_ready()
    invoice.refresh_from_db()
    assert invoice.status == S.MISE_A_DISPOSITION
    return invoice


def advance(days: int, run_tasks) -> None:
    """Move the instance's clock; the timers it queues run (as a worker would)."""
    run(clock_control.advance, "cli", days)
    run_tasks()


def status_of(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).status


def simulated(invoice) -> list[str]:
    return [h.status for h in invoice.history.filter(actor_label=simulator.SIMULATOR)]


# --- Scenarios played as the clock advances ---------------------------------------------------


def test_the_default_scenario_takes_an_invoice_to_payment(
        timer, run_tasks, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user):  # noqa: F811
    run(simulator.install_default, recipient_user, recipient)
    invoice = received(supplier_user, supplier, bank_account)
    told = Notification.objects.filter(user=supplier_user, kind="invoice_status").count()
    advance(1, run_tasks)
    assert status_of(invoice) == S.MISE_A_DISPOSITION
    advance(1, run_tasks)
    assert status_of(invoice) == S.SERVICE_FAIT
    advance(3, run_tasks)
    invoice.refresh_from_db()
    assert invoice.status == S.MANDATEE and invoice.mandate_number == f"SIM-{invoice.pk}"
    advance(4, run_tasks)
    assert status_of(invoice) == S.MANDATEE
    advance(1, run_tasks)
    assert status_of(invoice) == S.MISE_EN_PAIEMENT
    # Exactly as if a person had acted: history naming the simulator, supplier told, audit.
    changes = list(invoice.history.filter(actor_label=simulator.SIMULATOR))
    assert [h.status for h in changes] == [S.SERVICE_FAIT, S.MANDATEE, S.MISE_EN_PAIEMENT]
    assert all(h.actor is None for h in changes)
    assert Notification.objects.filter(user=supplier_user,
                                       kind="invoice_status").count() == told + 3
    assert AuditEvent.objects.filter(action="invoice.processed",
                                     actor_label=simulator.SIMULATOR).count() == 3
    advance(30, run_tasks)  # nothing follows MISE_EN_PAIEMENT
    assert invoice.history.count() == 6


def test_a_jump_of_the_clock_plays_every_due_step_in_order(
        timer, run_tasks, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user):  # noqa: F811
    run(simulator.install_default, recipient_user, recipient)
    invoice = received(supplier_user, supplier, bank_account)
    advance(30, run_tasks)
    assert simulated(invoice) == [S.SERVICE_FAIT, S.MANDATEE, S.MISE_EN_PAIEMENT]


def test_a_suspension_waits_for_the_supplier_then_the_scenario_resumes(
        timer, run_tasks, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user):  # noqa: F811
    run(simulator.set_scenario, recipient_user, recipient, [
        Step(2, S.SUSPENDUE, "Bon de livraison manquant"), Step(4, S.SERVICE_FAIT),
        Step(6, S.MISE_EN_PAIEMENT)])
    invoice = received(supplier_user, supplier, bank_account)
    advance(3, run_tasks)
    invoice.refresh_from_db()
    assert invoice.status == S.SUSPENDUE and not invoice.acknowledged
    assert invoice.status_comment == "Bon de livraison manquant"
    advance(10, run_tasks)
    assert status_of(invoice) == S.SUSPENDUE  # the supplier's turn
    run(services.complete, supplier_user, invoice, "Voici le bon de livraison")
    run_tasks()
    assert status_of(invoice) == S.COMPLETEE  # the timer has not run since
    advance(1, run_tasks)
    # Resumed after the suspension, which is not played a second time.
    assert simulated(invoice) == [S.SUSPENDUE, S.SERVICE_FAIT, S.MISE_EN_PAIEMENT]


@pytest.mark.parametrize("preset, final, comment", [
    ("rejet", S.REJETEE, "Facture non conforme au bon de commande."),
    ("recyclage", S.A_RECYCLER, "Mauvais destinataire : adressez la facture au bon service."),
])
def test_reject_and_recycle_scenarios(timer, run_tasks, supplier_user, supplier,  # noqa: F811
                                      bank_account, recipient, recipient_user,  # noqa: F811
                                      preset, final, comment):
    run(simulator.set_scenario, recipient_user, recipient, simulator.PRESETS[preset].steps)
    invoice = received(supplier_user, supplier, bank_account)
    advance(5, run_tasks)
    invoice.refresh_from_db()
    assert invoice.status == final and invoice.status_comment == comment
    advance(30, run_tasks)
    assert simulated(invoice) == [final]
    assert Notification.objects.filter(user=supplier_user, kind="invoice_status").exists()


def test_manual_mode_and_a_managed_structure_without_scenario_do_nothing(
        timer, run_tasks, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user, other_recipient):  # noqa: F811
    run(simulator.set_manual, recipient_user, recipient, True)
    mine = received(supplier_user, supplier, bank_account)
    # other_recipient has a gestionnaire and no scenario: its people play it by hand.
    theirs = received(supplier_user, supplier, bank_account, "FA-2026-0118",
                      other_recipient.identifier)
    advance(30, run_tasks)
    assert status_of(mine) == status_of(theirs) == S.MISE_A_DISPOSITION
    assert simulator.scenario_of(other_recipient)["source"] == "gestionnaires"
    # Switched back on, the scenario catches up at once.
    run(simulator.set_manual, recipient_user, recipient, False)
    run(simulator.apply_due)
    assert status_of(mine) == S.MISE_EN_PAIEMENT


def test_a_public_structure_nobody_manages_follows_the_default(
        timer, run_tasks, supplier_user, supplier, bank_account, platform_admin):  # noqa: F811
    lone = run(org.create_public_structure, platform_admin, "21590350100017",
               {"company_name": "Commune de Lille", "postcode": "59000", "city": "Lille"})
    invoice = received(supplier_user, supplier, bank_account,
                       recipient_identifier=lone.identifier)
    assert simulator.scenario_of(lone)["source"] == "defaut"
    assert not RecipientScenario.objects.exists()
    advance(10, run_tasks)
    assert simulated(invoice) == [S.SERVICE_FAIT, S.MANDATEE, S.MISE_EN_PAIEMENT]


def test_a_persons_earlier_action_is_respected(
        timer, run_tasks, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user):  # noqa: F811
    run(simulator.install_default, recipient_user, recipient)
    invoice = received(supplier_user, supplier, bank_account)
    run(services.process, recipient_user, invoice, S.MANDATEE, mandate_number="M-7")
    advance(3, run_tasks)  # SERVICE_FAIT is due, but the invoice is past it
    invoice.refresh_from_db()
    assert invoice.status == S.MANDATEE and invoice.mandate_number == "M-7"
    advance(7, run_tasks)
    assert status_of(invoice) == S.MISE_EN_PAIEMENT
    assert simulated(invoice) == [S.MISE_EN_PAIEMENT]
    # A suspension by a person, answered by the supplier: the scenario goes on from there.
    second = received(supplier_user, supplier, bank_account, "FA-2026-0118")
    run(services.process, recipient_user, second, S.SUSPENDUE, "RIB ?")
    run(services.complete, supplier_user, second, "RIB joint")
    advance(30, run_tasks)
    assert simulated(second) == [S.SERVICE_FAIT, S.MANDATEE, S.MISE_EN_PAIEMENT]


def test_one_failing_invoice_does_not_stop_the_others_and_runs_are_bounded(
        qualification, supplier_user, supplier, bank_account, recipient,  # noqa: F811
        recipient_user, monkeypatch):  # noqa: F811
    run(simulator.install_default, recipient_user, recipient)
    first = received(supplier_user, supplier, bank_account)
    second = received(supplier_user, supplier, bank_account, "FA-2026-0118")
    third = received(supplier_user, supplier, bank_account, "FA-2026-0119")
    run(clock_control.advance, "cli", 3)
    real = services.apply_processing

    def broken(actor, invoice, *args, **kwargs):
        if invoice.pk == first.pk:
            raise RuntimeError("boom")
        return real(actor, invoice, *args, **kwargs)

    monkeypatch.setattr(services, "apply_processing", broken)
    assert simulator.apply_due(limit=2) == 1  # first failed alone, third waits its turn
    assert [status_of(i) for i in (first, second, third)] == [
        S.MISE_A_DISPOSITION, S.SERVICE_FAIT, S.MISE_A_DISPOSITION]
    assert simulator.apply_due() == 1
    assert status_of(third) == S.SERVICE_FAIT
    monkeypatch.setattr(services, "apply_processing", real)
    assert simulator.apply_due() == 1 and status_of(first) == S.SERVICE_FAIT
    assert simulator.apply_due() == 0  # idempotent: nothing is due any more


# --- Editing a scenario --------------------------------------------------------------------------


@pytest.mark.parametrize("steps, code", [
    ([], "QUAL_SCENARIO_EMPTY"),
    ([Step(d, S.SERVICE_FAIT) for d in range(11)], "QUAL_SCENARIO_TOO_MANY_STEPS"),
    ([{"days": "-1", "status": "SERVICE_FAIT"}], "QUAL_SCENARIO_DAYS_INVALID"),
    ([{"days": "deux", "status": "SERVICE_FAIT"}], "QUAL_SCENARIO_DAYS_INVALID"),
    ([{"days": "400", "status": "SERVICE_FAIT"}], "QUAL_SCENARIO_DAYS_INVALID"),
    ([Step(5, S.SERVICE_FAIT), Step(3, S.MANDATEE)], "QUAL_SCENARIO_DAYS_INVALID"),
    ([Step(2, S.MANDATEE), Step(4, S.SERVICE_FAIT)], "QUAL_SCENARIO_STATUS_NOT_ALLOWED"),
    ([Step(2, S.REJETEE, "non"), Step(4, S.SERVICE_FAIT)], "QUAL_SCENARIO_STATUS_NOT_ALLOWED"),
    ([Step(2, S.MISE_A_DISPOSITION)], "QUAL_SCENARIO_STATUS_NOT_ALLOWED"),
    ([Step(2, S.COMPLETEE)], "QUAL_SCENARIO_STATUS_NOT_ALLOWED"),
    ([Step(2, "PAYEE")], "QUAL_SCENARIO_STATUS_NOT_ALLOWED"),
    ([Step(2, S.SUSPENDUE)], "QUAL_SCENARIO_REASON_REQUIRED"),
    ([Step(2, S.REJETEE, "   ")], "QUAL_SCENARIO_REASON_REQUIRED"),
    ([Step(2, S.SUSPENDUE, "a"), Step(3, S.SERVICE_FAIT), Step(4, S.SUSPENDUE, "b")],
     "QUAL_SCENARIO_STATUS_REPEATED"),
    ([Step(2, S.REJETEE, "x" * 501)], "QUAL_SCENARIO_COMMENT_TOO_LONG"),
])
def test_an_invalid_scenario_is_refused_and_changes_nothing(qualification, recipient,  # noqa: F811
                                                            recipient_user, steps, code):  # noqa: F811
    run(simulator.install_default, recipient_user, recipient)
    audit_before = AuditEvent.objects.count()
    with pytest.raises(errors.ChoeurError) as caught:
        run(simulator.set_scenario, recipient_user, recipient, steps)
    assert caught.value.code == code
    assert caught.value.message("fr") and caught.value.message("en")
    assert simulator.scenario_of(recipient)["steps"] == simulator.default_steps()
    assert AuditEvent.objects.count() == audit_before


def test_a_valid_scenario_with_optional_steps_and_a_suspension_is_saved(
        qualification, recipient, recipient_user):  # noqa: F811
    steps = [{"days": " 0 ", "status": "service_fait", "comment": ""},
             {"days": "3", "status": "SUSPENDUE", "comment": " Pièce manquante "},
             {"days": "3", "status": "MANDATEE"},
             {"days": "9", "status": "COMPTABILISEE"},
             {"days": "12", "status": "MISE_EN_PAIEMENT"}]
    run(simulator.set_scenario, recipient_user, recipient, steps)
    assert simulator.scenario_of(recipient)["steps"] == [
        Step(0, S.SERVICE_FAIT), Step(3, S.SUSPENDUE, "Pièce manquante"),
        Step(3, S.MANDATEE), Step(9, S.COMPTABILISEE), Step(12, S.MISE_EN_PAIEMENT)]
    assert AuditEvent.objects.filter(action="qualification.scenario_set").count() == 1
    run(simulator.reset_default, recipient_user, recipient)
    assert ScenarioStep.objects.count() == 3


def test_install_default_is_idempotent(qualification, recipient, recipient_user,  # noqa: F811
                                       platform_admin):  # noqa: F811
    first = run(simulator.install_default, recipient_user, recipient)
    run(simulator.set_scenario, recipient_user, recipient, simulator.PRESETS["rejet"].steps)
    again = run(simulator.install_default, "cli", recipient)
    assert again.pk == first.pk and ScenarioStep.objects.get().status == S.REJETEE
    # The matelas, for a public structure it has just created (no gestionnaire yet).
    fresh = run(org.create_public_structure, platform_admin, "21590350100017",
                {"company_name": "Commune de Lille"})
    assert run(simulator.install_default, "cli", fresh).mode == RecipientScenario.Mode.AUTOMATIQUE


def test_only_the_structures_gestionnaires_may_edit(qualification, client, recipient,  # noqa: F811
                                                    recipient_user, other_recipient,  # noqa: F811
                                                    supplier, supplier_user):  # noqa: F811
    outsider = Rattachement.objects.get(structure=other_recipient).user
    with pytest.raises(NotFound):
        run(simulator.set_scenario, outsider, recipient, simulator.default_steps())
    with pytest.raises(NotFound):
        run(simulator.install_default, outsider, recipient)
    plain = make_user("agent@drfip.gouv.fr")
    run(org._attach, None, recipient, plain, Rattachement.Role.UTILISATEUR, services=())
    with pytest.raises(PermissionRefused):
        run(simulator.set_manual, plain, recipient, True)
    with pytest.raises(errors.SimulatorPublicOnly):
        run(simulator.set_scenario, supplier_user, supplier, simulator.default_steps())
    assert not RecipientScenario.objects.exists()
    page = reverse("qualification:simulator", args=[recipient.pk])
    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(page, {"action": "reset"}).status_code == 404
    assert recipient.pk not in [s.pk for s, _ in simulator.managed_structures(outsider)]
    client.force_login(plain)
    assert client.post(page, {"action": "reset"}).status_code == 403
    client.force_login(supplier_user)
    assert client.get(reverse("qualification:simulator", args=[supplier.pk])).status_code == 404
    assert client.get(reverse("qualification:simulator", args=[999999])).status_code == 404
    assert not RecipientScenario.objects.exists()


def test_the_portal_pages(qualification, client, recipient, recipient_user):  # noqa: F811
    client.force_login(recipient_user)
    listing = client.get(reverse("qualification:simulator_list")).content.decode()
    assert 'data-testid="simulator-structures"' in listing and recipient.company_name in listing
    assert "Manuel" in listing  # managed, no scenario: played by hand
    detail = client.get(reverse("structure-detail", args=[recipient.pk])).content.decode()
    page = reverse("qualification:simulator", args=[recipient.pk])
    assert page in detail  # linked from the structure's pages
    content = client.get(page).content.decode()
    assert 'data-testid="scenario-steps"' in content and 'value="MISE_EN_PAIEMENT"' in content
    form = {"action": "save", "rows": "4", "mode": "AUTOMATIQUE",
            "days-0": "1", "status-0": "SERVICE_FAIT", "comment-0": "",
            "days-1": "2", "status-1": "SUSPENDUE", "comment-1": "Attestation ?",
            "days-2": "3", "status-2": "MANDATEE", "remove-2": "1",
            "days-3": "", "status-3": "", "comment-3": ""}
    response = client.post(page, form)
    assert response.status_code == 302
    assert simulator.scenario_of(recipient)["steps"] == [
        Step(1, S.SERVICE_FAIT), Step(2, S.SUSPENDUE, "Attestation ?")]
    assert simulator.scenario_of(recipient)["mode"] == "AUTOMATIQUE"
    refused = client.post(page, {**form, "comment-1": "", "remove-2": ""})
    assert refused.status_code == 200
    assert "QUAL_SCENARIO_REASON_REQUIRED" in refused.content.decode()
    assert 'value="MANDATEE" selected' in refused.content.decode()  # the rows kept
    assert len(simulator.scenario_of(recipient)["steps"]) == 2
    assert client.post(page, {"action": "preset", "preset": "rejet"}).status_code == 302
    assert simulator.scenario_of(recipient)["steps"][0].status == S.REJETEE
    client.post(page, {**form, "mode": "MANUEL"})
    assert simulator.scenario_of(recipient)["mode"] == "MANUEL"
    assert client.post(page, {"action": "reset"}).status_code == 302
    current = simulator.scenario_of(recipient)
    assert current["mode"] == "AUTOMATIQUE" and current["steps"] == simulator.default_steps()


# --- Production ------------------------------------------------------------------------------


def test_the_timer_is_registered_in_qualification_only(settings):
    from django.apps import apps
    from django.core.signals import request_started
    from django_tasks.signals import task_started

    config = apps.get_app_config("qualification")
    path = tasks.apply_recipient_scenarios.module_path
    settings.CHOEUR_ENVIRONMENT = "production"
    config.ready()
    assert path not in [t.module_path for t in periodic.timers()]
    settings.CHOEUR_ENVIRONMENT = "qualification"
    try:
        config.ready()
        assert path in [t.module_path for t in periodic.timers()]
    finally:
        periodic._TIMERS.pop(path, None)
        request_started.disconnect(dispatch_uid="qualification-clock-request")
        task_started.disconnect(dispatch_uid="qualification-clock-task")


def test_production_refuses_all_of_it(settings, client, supplier_user, supplier,  # noqa: F811
                                      bank_account, recipient, recipient_user):  # noqa: F811
    settings.CHOEUR_ENVIRONMENT = "production"
    invoice = received(supplier_user, supplier, bank_account)
    client.force_login(recipient_user)
    for url in (reverse("qualification:simulator_list"),
                reverse("qualification:simulator", args=[recipient.pk])):
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "reset"}).status_code == 404
    for use_case, args in ((simulator.install_default, ()), (simulator.reset_default, ()),
                           (simulator.set_manual, (True,)),
                           (simulator.set_scenario, (simulator.default_steps(),))):
        with pytest.raises(errors.QualificationOnly):
            run(use_case, recipient_user, recipient, *args)
    with pytest.raises(errors.QualificationOnly):
        simulator.apply_due()
    assert not RecipientScenario.objects.exists()
    assert status_of(invoice) == S.MISE_A_DISPOSITION
    detail = client.get(reverse("structure-detail", args=[recipient.pk])).content.decode()
    assert "/qualification/simulateur/" not in detail
