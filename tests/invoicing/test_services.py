"""The invoicing use cases, through the services as every channel calls them."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection, transaction

from choeur.core import clock, storage
from choeur.core.errors import Conflict, NotFound, PermissionRefused
from choeur.core.worker import run_ready
from choeur.invoicing import errors, queries, services, statuses
from choeur.invoicing.models import Engagement, Invoice, InvoiceEvent, ModeDepot, StatusChange
from choeur.invoicing.statuses import Role, Status
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from choeur.organisations.models import Espace
from tests.invoicing.conftest import (
    OTHER_RECIPIENT_SIRET,
    TITULAIRE_SIRET,
    invoice_data,
    pdf_bytes,
    run,
)
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=False)


def deposit_pdf(user, supplier, bank_account, **overrides):
    data = invoice_data(**{"bank_account_id": bank_account.pk, **overrides})
    return run(services.deposit, user, supplier, data, mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
               document=("facture.pdf", pdf_bytes()))


def routed(invoice) -> Invoice:
    run_ready()
    return Invoice.objects.get(pk=invoice.pk)


# --- Deposit and platform checks -------------------------------------------------------------


def test_pdf_deposit_is_routed_to_the_recipient(supplier_user, supplier, bank_account,
                                                recipient, recipient_user):
    invoice = deposit_pdf(supplier_user, supplier, bank_account)
    assert invoice.status == Status.DEPOSEE
    assert invoice.total_ht == D("300.30") and invoice.total_tva == D("41.75")
    assert invoice.total_ttc == D("342.05")
    assert invoice.deposited_at is not None
    assert invoice.certificate_sha256 == ""  # made by the routing task, or at first need
    invoice = routed(invoice)
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert storage.read(invoice.certificate_sha256).startswith(b"%PDF-")
    assert [h.status for h in invoice.history.all()] == [
        Status.DEPOSEE, Status.EN_COURS_ACHEMINEMENT, Status.MISE_A_DISPOSITION]
    assert queries.received_invoice(recipient_user, invoice.pk) == invoice
    assert Notification.objects.filter(user=recipient_user, kind="invoice_received").exists()


def test_saisie_generates_a_valid_facturx(supplier_user, supplier, bank_account, recipient):
    from choeur import formats
    from choeur.core import storage

    invoice = run(services.deposit, supplier_user, supplier,
                  invoice_data(bank_account_id=bank_account.pk),
                  mode_depot=ModeDepot.SAISIE_PORTAIL)
    pdf = storage.read(invoice.main_file_sha256)
    report = formats.validate(pdf)
    assert report.valid, report.failed_rules
    assert formats.read(report.xml).buyer_reference == "COMPTA"


@pytest.mark.parametrize("overrides, error", [
    ({"recipient_identifier": "99999999999999"}, errors.RecipientUnknown),
    ({"recipient_service_code": "NOPE"}, errors.ServiceUnknown),
    ({"number": ""}, errors.NumberMissing),
    ({"number": "F" * 21}, errors.NumberInvalid),
    ({"number": "FA 2026*1"}, errors.NumberInvalid),
    ({"invoice_date": None}, errors.DateMissing),
    ({"type_facture": "AVOIR", "bank_account_id": None, "payment_mode": ""},
     errors.CreditNoteOriginMissing),
    ({"original_invoice_number": "FA-1"}, errors.OriginOnlyForCreditNote),
    ({"lines": []}, errors.LinesMissing),
    ({"cadre": "A9_FACTURE_SOUSTRAITANT"}, errors.ValidatorRequired),
    ({"cadre": "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR"}, errors.CadreNotAllowed),
])
def test_platform_checks_refuse_and_change_nothing(supplier_user, supplier, bank_account,
                                                   recipient, overrides, error):
    with pytest.raises(error) as raised:
        deposit_pdf(supplier_user, supplier, bank_account, **overrides)
    assert raised.value.code.startswith("INV_")
    assert not Invoice.objects.exists() and not StatusChange.objects.exists()


def test_future_date_is_refused(supplier_user, supplier, bank_account, recipient):
    with pytest.raises(errors.DateInFuture):
        deposit_pdf(supplier_user, supplier, bank_account,
                    invoice_date=clock.today() + timedelta(days=1))


def test_service_code_required_by_the_recipient(supplier_user, supplier, bank_account,
                                                recipient):
    recipient.service_code_required = True
    recipient.save()
    with pytest.raises(errors.ServiceRequired) as raised:
        deposit_pdf(supplier_user, supplier, bank_account, recipient_service_code="")
    assert raised.value.bt == "BT-10" and "BT-10" in raised.value.message("fr")
    assert deposit_pdf(supplier_user, supplier, bank_account).status == Status.DEPOSEE


def test_engagement_checked_when_the_recipient_manages_them(
        supplier_user, supplier, bank_account, recipient, recipient_user):
    recipient.engagement_required = True
    recipient.save()
    with pytest.raises(errors.EngagementRequired):
        deposit_pdf(supplier_user, supplier, bank_account, engagement_number="")
    Engagement.objects.create(structure=recipient, number="EJ-1", supplier=supplier)
    with pytest.raises(errors.EngagementUnknown):
        deposit_pdf(supplier_user, supplier, bank_account, engagement_number="EJ-2")
    assert deposit_pdf(supplier_user, supplier, bank_account,
                       engagement_number="EJ-1").status == Status.DEPOSEE


def test_bank_details_and_amounts(supplier_user, supplier, bank_account, recipient):
    with pytest.raises(errors.BankAccountRequired):
        deposit_pdf(supplier_user, supplier, bank_account, bank_account_id=None)
    data = invoice_data(bank_account_id=bank_account.pk)
    data.totals = data.computed_totals()
    data.totals.total_ttc += D("1.00")
    with pytest.raises(errors.AmountsInconsistent):
        run(services.deposit, supplier_user, supplier, data,
            mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))


def test_number_unique_per_supplier_and_year(supplier_user, supplier, bank_account, recipient):
    deposit_pdf(supplier_user, supplier, bank_account)
    with pytest.raises(errors.NumberAlreadyUsed):
        deposit_pdf(supplier_user, supplier, bank_account)
    assert Invoice.objects.count() == 1
    with clock.shifted(timedelta(days=366)):
        later = deposit_pdf(supplier_user, supplier, bank_account)
    assert later.number_year == clock.today().year + 1


def test_pdf_deposit_needs_its_document(supplier_user, supplier, bank_account, recipient):
    with pytest.raises(errors.DocumentMissing):
        run(services.deposit, supplier_user, supplier,
            invoice_data(bank_account_id=bank_account.pk),
            mode_depot=ModeDepot.DEPOT_PDF_PORTAIL)


def test_a_keyed_invoice_subject_to_vat_needs_the_sellers_vat_number(
        supplier_user, supplier, bank_account, recipient):
    from choeur.organisations.models import Structure

    Structure.objects.filter(pk=supplier.pk).update(vat_number="")
    with pytest.raises(errors.SellerVatNumberRequired) as caught:
        run(services.deposit, supplier_user, supplier,
            invoice_data(bank_account_id=bank_account.pk), mode_depot=ModeDepot.SAISIE_PORTAIL)
    assert caught.value.bt == "BT-31"
    assert not Invoice.objects.exists()


def test_the_document_must_be_a_pdf_on_every_channel(supplier_user, supplier, bank_account,
                                                    recipient):
    for use_case in (services.deposit, services.save_draft):
        with pytest.raises(errors.DocumentNotPdf) as caught:
            run(use_case, supplier_user, supplier, invoice_data(bank_account_id=bank_account.pk),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL,
                document=("facture.pdf", b"<html>not a pdf</html>"))
        assert caught.value.code == "INV_DOCUMENT_NOT_PDF"
    assert not Invoice.objects.exists()


def test_attachments_limits(supplier_user, supplier, bank_account, recipient):
    for name, content, code in [
        ("x" * 47 + ".pdf", b"%PDF-1", "INV_ATTACHMENT_REFUSED"),
        ("virus.exe", b"MZ", "INV_ATTACHMENT_REFUSED"),
        ("gros.pdf", b"0" * (10 * 1024 * 1024 + 1), "INV_ATTACHMENT_REFUSED"),
    ]:
        with pytest.raises(errors.InvoicingError) as raised:
            run(services.deposit, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()),
                attachments=[(name, content)])
        assert raised.value.code == code
    assert not Invoice.objects.exists()


def test_outsider_cannot_deposit_for_a_structure(recipient, supplier, bank_account):
    intruder = make_user("intrus@ailleurs.fr")
    with pytest.raises((NotFound, PermissionRefused)):
        deposit_pdf(intruder, supplier, bank_account)


def test_drafts_may_repeat_a_number_and_be_deleted(supplier_user, supplier, bank_account,
                                                   recipient):
    data = invoice_data(bank_account_id=bank_account.pk)
    draft = run(services.save_draft, supplier_user, supplier, data,
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    again = run(services.save_draft, supplier_user, supplier, data,
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    assert draft.status == again.status == Status.BROUILLON
    run(services.delete_draft, supplier_user, draft)
    assert Invoice.objects.get(pk=draft.pk).status == Status.SUPPRIMEE
    with pytest.raises(errors.TransitionRefused):
        run(services.delete_draft, supplier_user, draft)
    sent = run(services.send, supplier_user, again)
    assert sent.status == Status.DEPOSEE
    with pytest.raises(errors.NotADraft):
        run(services.send, supplier_user, again)


def test_draft_attachments_may_be_removed_until_sent(supplier_user, supplier, bank_account,
                                                     recipient, recipient_user):
    draft = run(services.save_draft, supplier_user, supplier,
                invoice_data(bank_account_id=bank_account.pk),
                mode_depot=ModeDepot.SAISIE_PORTAIL,
                attachments=[("devis.pdf", pdf_bytes("Devis")), ("bl.pdf", pdf_bytes("BL"))])
    first, second = draft.attachments.order_by("pk")
    with pytest.raises((NotFound, PermissionRefused)):
        run(services.remove_attachment, recipient_user, draft, first.pk)
    with pytest.raises(NotFound):
        run(services.remove_attachment, supplier_user, draft, 999999)
    run(services.remove_attachment, supplier_user, draft, first.pk)
    assert [a.name for a in draft.attachments.all()] == ["bl.pdf"]
    sent = run(services.send, supplier_user, draft)
    with pytest.raises(errors.NotADraft):
        run(services.remove_attachment, supplier_user, sent, second.pk)
    assert sent.attachments.count() == 1


# --- Recipient processing ---------------------------------------------------------------------


def test_recipient_lifecycle_with_suspension_and_completion(
        supplier_user, supplier, bank_account, recipient, recipient_user):
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    with pytest.raises(errors.ReasonRequired):
        run(services.process, recipient_user, invoice, Status.SUSPENDUE)
    run(services.process, recipient_user, invoice, Status.SUSPENDUE, "Bon de livraison ?")
    invoice.refresh_from_db()
    assert invoice.status == Status.SUSPENDUE and not invoice.acknowledged
    assert list(services.pending_acknowledgements(supplier_user)) == [invoice]
    run(services.acknowledge, supplier_user, invoice)
    run(services.complete, supplier_user, invoice, "Voici le bon de livraison",
        [("bon-livraison.pdf", pdf_bytes("BL"))])
    invoice.refresh_from_db()
    assert invoice.status == Status.COMPLETEE and invoice.attachments.count() == 1
    run(services.process, recipient_user, invoice, Status.SERVICE_FAIT)
    with pytest.raises(errors.MandateNumberRequired):
        run(services.process, recipient_user, invoice, Status.MANDATEE)
    run(services.process, recipient_user, invoice, Status.MANDATEE, mandate_number="M-42")
    run(services.process, recipient_user, invoice, Status.MISE_EN_PAIEMENT)
    invoice.refresh_from_db()
    assert invoice.mandate_number == "M-42"
    assert [h.status for h in invoice.history.all()][-5:] == [
        Status.SUSPENDUE, Status.COMPLETEE, Status.SERVICE_FAIT, Status.MANDATEE,
        Status.MISE_EN_PAIEMENT]
    assert InvoiceEvent.objects.filter(
        invoice=invoice, code=InvoiceEvent.Code.ACQUITTEMENT_SUSPENSION).count() == 1
    # The supplier heard of every change it did not make itself (not DEPOSEE nor COMPLETEE).
    kinds = list(Notification.objects.filter(user=supplier_user).values_list("kind", flat=True))
    assert kinds.count("invoice_status") == 5
    assert Notification.objects.filter(user=recipient_user, kind="invoice_completed").exists()
    # Nothing follows MISE_EN_PAIEMENT.
    with pytest.raises(errors.TransitionRefused):
        run(services.process, recipient_user, invoice, Status.REJETEE, "trop tard")


def test_illegal_transitions_change_nothing(supplier_user, supplier, bank_account, recipient,
                                            recipient_user):
    invoice = deposit_pdf(supplier_user, supplier, bank_account)  # DEPOSEE, not routed yet
    before = StatusChange.objects.count()
    for target in (Status.SERVICE_FAIT, Status.BROUILLON, Status.COMPLETEE):
        with pytest.raises((errors.TransitionRefused, NotFound)):
            run(services.process, recipient_user, invoice, target, "x")
    assert StatusChange.objects.count() == before
    assert Invoice.objects.get(pk=invoice.pk).status == Status.DEPOSEE


def test_rejection_is_terminal_and_acknowledged_once(supplier_user, supplier, bank_account,
                                                     recipient, recipient_user):
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    run(services.process, recipient_user, invoice, Status.REJETEE, "Montants erronés")
    run(services.acknowledge, supplier_user, invoice)
    run(services.acknowledge, supplier_user, invoice)  # a double click
    invoice.refresh_from_db()
    assert invoice.rejet_traite and invoice.acknowledged
    assert invoice.events.filter(code=InvoiceEvent.Code.ACQUITTEMENT_REJET).count() == 1
    assert statuses.targets(Status.REJETEE) == []


def test_acknowledgements_are_asked_of_who_may_act(supplier_user, supplier, bank_account,
                                                   recipient, recipient_user):
    reader = make_user("lecture@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, reader.email)
    rattachement = reader.rattachements.get()
    run(org.set_habilitation, supplier_user, supplier, rattachement.pk,
        Espace.FACTURES_EMISES, "CONSULTATION")
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    run(services.process, recipient_user, invoice, Status.SUSPENDUE, "Bon de livraison ?")
    assert list(services.pending_acknowledgements(supplier_user)) == [invoice]
    assert queries.issued_invoices(reader).filter(pk=invoice.pk).exists()
    assert not services.pending_acknowledgements(reader).exists()


def test_recycle_routes_to_the_new_recipient(supplier_user, supplier, bank_account, recipient,
                                             recipient_user, other_recipient):
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    run(services.process, recipient_user, invoice, Status.A_RECYCLER, "Pas chez nous")
    with pytest.raises(errors.RecipientUnknown):
        run(services.recycle, supplier_user, invoice, "12345678901234")
    run(services.recycle, supplier_user, invoice, OTHER_RECIPIENT_SIRET, "", "EJ-9")
    invoice = routed(invoice)
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert invoice.recipient == other_recipient and invoice.engagement_number == "EJ-9"
    with pytest.raises(NotFound):  # the first recipient no longer sees it
        queries.received_invoice(recipient_user, invoice.pk)


def test_recipient_user_limited_to_a_service(supplier_user, supplier, bank_account, recipient,
                                             recipient_user):
    achats_only = make_user("achats@drfip.gouv.fr")
    service = recipient.services.get(code="ACHATS")
    run(org.attach_user, recipient_user, recipient, achats_only.email, [service.pk])
    rattachement = achats_only.rattachements.get()
    run(org.set_habilitation, recipient_user, recipient, rattachement.pk,
        Espace.FACTURES_RECUES, "MODIFICATION")
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))  # service COMPTA
    assert not queries.received_invoices(achats_only).exists()
    with pytest.raises((NotFound, PermissionRefused)):
        run(services.process, achats_only, invoice, Status.SERVICE_FAIT)


def test_forged_ids_are_not_found(supplier_user, supplier, bank_account, recipient):
    invoice = deposit_pdf(supplier_user, supplier, bank_account)
    stranger = make_user("curieux@ailleurs.fr")
    for lookup in (queries.issued_invoice, queries.received_invoice,
                   queries.invoice_to_validate):
        for forged in (invoice.pk, invoice.pk + 1000, "abc", None):
            with pytest.raises(NotFound):
                lookup(stranger, forged)


def test_lifecycle_requires_the_expected_status(supplier_user, supplier, bank_account,
                                                recipient, recipient_user):
    """Two recipients acting on a stale copy: the second one changes nothing."""
    from choeur.invoicing import lifecycle

    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    stale = Invoice.objects.get(pk=invoice.pk)
    run(services.process, recipient_user, invoice, Status.SERVICE_FAIT)
    with pytest.raises(Conflict):
        run(lifecycle.transition, stale, Status.REJETEE, actor=recipient_user,
            role=Role.RECIPIENT, comment="trop tard")
    assert Invoice.objects.get(pk=invoice.pk).status == Status.SERVICE_FAIT


@pytest.mark.django_db(transaction=True)
def test_two_recipients_at_once_decide_once(supplier_user, supplier, bank_account, recipient,
                                            recipient_user):
    colleague = make_user("collegue@drfip.gouv.fr")
    run(org.attach_user, recipient_user, recipient, colleague.email)
    rattachement = colleague.rattachements.get()
    run(org.set_habilitation, recipient_user, recipient, rattachement.pk,
        Espace.FACTURES_RECUES, "MODIFICATION")
    invoice = routed(deposit_pdf(supplier_user, supplier, bank_account))
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user, target, comment):
        try:
            barrier.wait()
            run(services.process, user, Invoice.objects.get(pk=invoice.pk), target, comment)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - we count the refusals
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(recipient_user, Status.REJETEE, "non")),
               threading.Thread(target=act, args=(colleague, Status.SUSPENDUE, "pièce ?"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert StatusChange.objects.filter(invoice=invoice, status__in=[
        Status.REJETEE, Status.SUSPENDUE]).count() == 1


# --- Validators (A9 / A12) ---------------------------------------------------------------------


def a9_invoice(supplier_user, supplier, bank_account):
    return deposit_pdf(supplier_user, supplier, bank_account,
                       cadre="A9_FACTURE_SOUSTRAITANT", validator_identifier=TITULAIRE_SIRET)


def test_a9_validated_by_its_titulaire(supplier_user, supplier, bank_account, recipient,
                                       titulaire, titulaire_user, recipient_user):
    invoice = a9_invoice(supplier_user, supplier, bank_account)
    assert invoice.status == Status.A_VALIDER_1 and invoice.validator == titulaire
    assert not queries.received_invoices(recipient_user).filter(pk=invoice.pk).exists()
    assert Notification.objects.filter(user=titulaire_user, kind="invoice_to_validate").exists()
    with pytest.raises((NotFound, PermissionRefused)):
        run(services.validate, recipient_user, invoice)
    run(services.validate, titulaire_user, queries.invoice_to_validate(titulaire_user,
                                                                        invoice.pk))
    invoice = routed(invoice)
    assert invoice.status == Status.MISE_A_DISPOSITION and invoice.validated_at is not None
    assert [h.status for h in invoice.history.all()][:3] == [
        Status.A_VALIDER_1, Status.VALIDEE_1, Status.DEPOSEE]


def test_a9_left_15_days_is_validated_tacitly(supplier_user, supplier, bank_account,
                                              recipient, titulaire):
    invoice = a9_invoice(supplier_user, supplier, bank_account)
    with clock.shifted(timedelta(days=14, hours=23)):
        assert services.apply_tacit_validations() == 0
    with clock.shifted(timedelta(days=15, minutes=1)):
        assert services.apply_tacit_validations() == 1
        assert services.apply_tacit_validations() == 0
        invoice = routed(invoice)
    assert invoice.status == Status.MISE_A_DISPOSITION
    assert Status.ABSENCE_VALIDATION_1_HORS_DELAI in [h.status for h in invoice.history.all()]


def test_validator_refuses_or_says_wrong_validator(supplier_user, supplier, bank_account,
                                                   recipient, titulaire, titulaire_user):
    invoice = a9_invoice(supplier_user, supplier, bank_account)
    with pytest.raises(errors.ReasonRequired):
        run(services.refuse, titulaire_user, invoice, "")
    run(services.wrong_validator, titulaire_user, invoice, "Pas notre marché")
    invoice.refresh_from_db()
    assert invoice.status == Status.ERREUR_FOURNISSEUR_SUR_VALIDEUR
    run(services.correct_validator, supplier_user, invoice, TITULAIRE_SIRET)
    invoice.refresh_from_db()
    assert invoice.status == Status.A_VALIDER_1
    run(services.refuse, titulaire_user, invoice, "Travaux non réalisés")
    invoice.refresh_from_db()
    assert invoice.status == Status.REFUSEE_1
    assert statuses.targets(Status.REFUSEE_1) == []


def test_validator_cannot_be_the_supplier_or_recipient(supplier_user, supplier, bank_account,
                                                       recipient):
    with pytest.raises(errors.ValidatorNotAllowed):
        deposit_pdf(supplier_user, supplier, bank_account, cadre="A12_FACTURE_COTRAITANT",
                    validator_identifier=supplier.identifier)


def test_timer_task_is_queued_by_the_worker_heartbeat(db):
    from choeur.core.worker import enqueue_timers

    with transaction.atomic():
        enqueue_timers()
    assert run_ready()  # the queued timer ran


def lose_routing_task(invoice) -> None:
    """What a lost routing leaves: the invoice DEPOSEE, its task gone (or failed)."""
    routing_task(invoice).delete()


def routing_task(invoice):
    from django_tasks_db.models import DBTaskResult

    from choeur.invoicing.tasks import route_invoice

    return DBTaskResult.objects.get(task_path=route_invoice.module_path,
                                    args_kwargs__args=[invoice.pk])


def overdue():
    return clock.shifted(services.ROUTING_OVERDUE + timedelta(minutes=1))


def test_a_lost_routing_is_queued_again_by_the_timers(supplier_user, supplier, bank_account,
                                                      recipient, frozen_now):
    from choeur.core.models import AuditEvent

    lost = deposit_pdf(supplier_user, supplier, bank_account)
    lose_routing_task(lost)
    waiting = deposit_pdf(supplier_user, supplier, bank_account, number="F-2026-0002")
    assert services.requeue_lost_routings() == 0  # not overdue yet
    with overdue():
        # Another invoice's routing waiting in the queue does not hold this one back.
        assert services.requeue_lost_routings() == 1
        assert services.requeue_lost_routings() == 0  # its routing waits in the queue now
        run_ready()
    for invoice in (lost, waiting):
        invoice.refresh_from_db()
        assert invoice.status == Status.MISE_A_DISPOSITION
        assert StatusChange.objects.filter(invoice=invoice,
                                           status=Status.MISE_A_DISPOSITION).count() == 1
    assert AuditEvent.objects.filter(action=services.ROUTING_REQUEUED,
                                     object_id=str(lost.pk)).count() == 1


def test_a_routing_that_keeps_failing_is_tried_a_few_times_then_left_to_a_person(
        supplier_user, supplier, bank_account, recipient, frozen_now, monkeypatch):
    invoice = deposit_pdf(supplier_user, supplier, bank_account)

    def broken(*args, **kwargs):
        raise RuntimeError("routing bug")

    monkeypatch.setattr(services, "route", broken)
    monkeypatch.setattr(services, "route_many", broken)  # a batch's routing (requeued ones)
    run_ready()  # the routing fails (logged); the invoice stays DEPOSEE
    with overdue():
        for _ in range(services.ROUTING_RETRIES):
            assert services.requeue_lost_routings() == 1
            run_ready()
        assert services.requeue_lost_routings() == 0
    invoice.refresh_from_db()
    assert invoice.status == Status.DEPOSEE


def test_a_routing_task_running_for_long_lost_its_worker(supplier_user, supplier, bank_account,
                                                         recipient, frozen_now):
    from django_tasks.base import TaskResultStatus

    invoice = deposit_pdf(supplier_user, supplier, bank_account)
    task = routing_task(invoice)
    task.status, task.started_at = TaskResultStatus.RUNNING, clock.wall_now()
    task.save()
    with overdue():
        assert services.requeue_lost_routings() == 0  # running: not lost
        task.started_at = clock.wall_now() - services.ROUTING_OVERDUE - timedelta(minutes=1)
        task.save()  # its worker was killed a quarter of an hour ago
        assert services.requeue_lost_routings() == 1
        run_ready()
    invoice.refresh_from_db()
    assert invoice.status == Status.MISE_A_DISPOSITION


# --- Structured deposit (unit, validated at once) ---------------------------------------------


def facturx_of_a_draft(supplier_user, supplier, bank_account, **overrides) -> bytes:
    """A Factur-X written by Choeur for this supplier (the draft is then deleted)."""
    from choeur.invoicing import documents

    draft = run(services.save_draft, supplier_user, supplier,
                invoice_data(**{"bank_account_id": bank_account.pk, **overrides}),
                mode_depot=ModeDepot.SAISIE_PORTAIL)
    pdf = documents.render_facturx(draft)
    run(services.delete_draft, supplier_user, draft)
    return pdf


def test_structured_deposit_takes_the_data_from_the_file(supplier_user, supplier, bank_account,
                                                         recipient):
    from choeur.invoicing import structured

    pdf = facturx_of_a_draft(supplier_user, supplier, bank_account, number="FX-1")
    invoice = run(structured.deposit_file, supplier_user, supplier, pdf, "FX-1.pdf",
                  cadre="A1_FACTURE_FOURNISSEUR")
    assert invoice.status == Status.DEPOSEE and invoice.mode_depot == ModeDepot.UPLOAD_PORTAIL
    invoice.refresh_from_db()
    assert invoice.number == "FX-1" and invoice.recipient == recipient
    assert invoice.recipient_service.code == "COMPTA" and invoice.bank_account == bank_account
    assert invoice.total_ttc == D("342.05") and invoice.syntax == "CII"
    assert invoice.lines.count() == 2 and len(invoice.xml_sha256) == 64


def test_structured_deposit_refuses_an_invalid_file_with_its_report(supplier_user, supplier,
                                                                    recipient):
    from choeur.invoicing import structured

    with pytest.raises(errors.InvoiceFileInvalid) as raised:
        run(structured.deposit_file, supplier_user, supplier, b"<Invoice/>", "f.xml",
            cadre="A1_FACTURE_FOURNISSEUR")
    assert raised.value.report is not None and raised.value.report.findings
    assert not Invoice.objects.exists()


def test_structured_deposit_keyed_data_must_match(supplier_user, supplier, bank_account,
                                                  recipient):
    from choeur.invoicing import structured
    from choeur.invoicing.data import InvoiceData

    pdf = facturx_of_a_draft(supplier_user, supplier, bank_account, number="FX-2")
    with pytest.raises(errors.DataMismatch) as raised:
        run(structured.deposit_file, supplier_user, supplier, pdf, "FX-2.pdf",
            cadre="A1_FACTURE_FOURNISSEUR",
            keyed=InvoiceData(recipient_service_code="ACHATS"))
    assert "ACHATS" in raised.value.message("fr")
    assert not Invoice.objects.exclude(status=Status.SUPPRIMEE).exists()
