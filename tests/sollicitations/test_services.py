"""Sollicitations' use cases (docs/SOLLICITATIONS.md): each move by the right side only, the
wrong side or a forged id refused with a code and nothing changed, another structure sees
nothing, attachments checked as invoicing checks them."""

import re
from datetime import timedelta

import pytest

from choeur.core import clock
from choeur.core.errors import ChoeurError
from choeur.core.models import Blob, OutgoingEmail
from choeur.invoicing import errors as invoicing_errors
from choeur.messaging.models import Notification
from choeur.organisations import services as org
from choeur.organisations.models import Espace, Rattachement
from choeur.sollicitations import errors, queries, services
from choeur.sollicitations.models import Attachment, Message, Sollicitation
from choeur.sollicitations.statuses import Action, Side, Status
from choeur.sollicitations.tasks import sollicitations_timers
from tests.invoicing.conftest import OTHER_RECIPIENT_SIRET, RECIPIENT_SIRET
from tests.organisations.conftest import make_user
from tests.sollicitations.conftest import pdf_bytes, run

pytestmark = pytest.mark.django_db


def about_invoice(user, structure, invoice, **extra):
    fields = {"category": "FACTURE", "subcategory": "REJET",
              "title": "Pourquoi ce rejet ?",
              "description": "Notre facture a été rejetée pour « montants erronés ».",
              "invoice_id": invoice.pk, **extra}
    return run(services.create, user, structure.pk, **fields)


def snapshot():
    return (list(Sollicitation.objects.order_by("pk").values()),
            list(Message.objects.order_by("pk").values()), Attachment.objects.count(),
            Notification.objects.count(), Blob.objects.count())


def kinds(user):
    return list(Notification.objects.filter(user=user).order_by("pk")
                .values_list("kind", flat=True))


# --- Creation and routing ---------------------------------------------------------------------


def test_a_ticket_about_an_invoice_goes_to_its_recipient(supplier_user, supplier,
                                                         rejected_invoice, recipient,
                                                         recipient_user):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    assert re.fullmatch(rf"SOL{clock.today().year}\d{{6}}", ticket.number)
    assert ticket.status == Status.NOUVELLE and not ticket.to_support
    assert ticket.recipient_structure == recipient
    assert ticket.recipient_service == rejected_invoice.recipient_service
    assert ticket.invoice == rejected_invoice and ticket.sender_user == supplier_user
    assert [m.action for m in ticket.messages.all()] == [Action.ENVOYER]
    assert "sollicitation_received" in kinds(recipient_user)
    assert queries.sollicitation(recipient_user, ticket.pk) == ticket
    assert list(queries.received(recipient_user)) == [ticket]
    assert list(queries.sent(supplier_user)) == [ticket]
    # The second one is numbered next.
    second = about_invoice(supplier_user, supplier, rejected_invoice)
    assert int(second.number[-6:]) == int(ticket.number[-6:]) + 1


def test_routing_by_siret_and_service_or_to_the_support(supplier_user, supplier, recipient,
                                                        other_recipient, agent,
                                                        recipient_user):
    named = run(services.create, supplier_user, supplier.pk, category="GENERAL",
                subcategory="ENTITE_PUBLIQUE", title="Une question", description="Bonjour.",
                recipient_identifier=RECIPIENT_SIRET, service_code="ACHATS")
    assert named.recipient_structure == recipient and named.recipient_service.code == "ACHATS"
    support = run(services.create, supplier_user, supplier.pk, category="COMPTE",
                  subcategory="RATTACHEMENT", title="Rattachement",
                  description="Mon rattachement attend.",
                  recipient_identifier=OTHER_RECIPIENT_SIRET)
    assert support.to_support and support.recipient_structure is None
    assert list(queries.support(agent)) == [support]
    assert "sollicitation_received" in kinds(agent)
    assert list(queries.received(recipient_user)) == [named]
    with pytest.raises(errors.SollicitationNotFound):
        queries.sollicitation(recipient_user, support.pk)


@pytest.mark.parametrize("fields, error", [
    ({"category": "FACTURE", "subcategory": "NOPE"}, errors.CategoryUnknown),
    ({"title": "   "}, errors.TextRequired),
    ({"description": "x" * 10_001}, errors.TextTooLong),
    ({"recipient_identifier": ""}, errors.RecipientRequired),
    ({"recipient_identifier": "99999999999999"}, errors.RecipientUnknown),
    ({"service_code": "INCONNU"}, errors.ServiceUnknown),
    ({"invoice_id": "999999"}, errors.LinkedObjectNotFound),
    ({"invoice_id": "1 OR 1=1"}, errors.LinkedObjectNotFound),
    ({"flux_number": "CPP0000000000000000000001"}, errors.LinkedObjectNotFound),
    ({"dossier_number": "DF2026000001"}, errors.LinkedObjectNotFound),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(supplier_user, supplier,
                                                              recipient, fields, error):
    data = {"category": "GENERAL", "subcategory": "ENTITE_PUBLIQUE", "title": "Question",
            "description": "Bonjour.", "recipient_identifier": RECIPIENT_SIRET, **fields}
    before = snapshot()
    with pytest.raises(error):
        run(services.create, supplier_user, supplier.pk, **data)
    assert snapshot() == before


def test_a_user_sends_only_for_its_own_structures(supplier_user, supplier, recipient,
                                                  titulaire_user, titulaire,
                                                  rejected_invoice):
    before = snapshot()
    # Another structure's id: refused as if it had none.
    with pytest.raises(errors.StructureRequired):
        run(services.create, titulaire_user, supplier.pk, category="GENERAL",
            subcategory="PLATEFORME", title="x", description="y")
    # Its own structure, but another's invoice: not found, the same answer as a missing one.
    with pytest.raises(errors.LinkedObjectNotFound) as caught:
        about_invoice(titulaire_user, titulaire, rejected_invoice)
    assert caught.value.code == "SOL_LINKED_OBJECT_NOT_FOUND"
    # A user without the espace's modification.
    reader = make_user("lecture@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, reader.email)
    rattachement = Rattachement.objects.get(user=reader, structure=supplier)
    rattachement.habilitations.filter(espace=Espace.SOLLICITATIONS_EMISES).update(
        mode="CONSULTATION")
    with pytest.raises(errors.StructureRequired):
        about_invoice(reader, supplier, rejected_invoice)
    assert snapshot() == before


@pytest.mark.parametrize("name, content, why", [
    ("programme.exe", b"MZ\x90\x00", "extension"),
    ("faux.pdf", b"<html><script>alert(1)</script></html>", "PDF"),
    ("vide.txt", b"", "vide"),
    ("un-nom-de-fichier-beaucoup-trop-long-pour-chorus-pro.txt", b"x", "50"),
    ("gros.txt", b"x" * (10 * 1024 * 1024 + 1), "10 Mo"),
])
def test_hostile_or_oversized_attachments_are_refused(supplier_user, supplier,
                                                      rejected_invoice, name, content, why):
    before = snapshot()
    with pytest.raises(invoicing_errors.AttachmentRefused) as caught:
        about_invoice(supplier_user, supplier, rejected_invoice,
                      attachments=[("capture.png", b"\x89PNG ok"), (name, content)])
    assert why in caught.value.message("fr")
    assert snapshot() == before


def test_attachments_are_kept_and_too_many_refused(supplier_user, supplier, rejected_invoice):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice,
                           attachments=[("avis.pdf", pdf_bytes("Avis de rejet")),
                                        ("notes.txt", b"notes")])
    assert sorted(a.name for a in ticket.attachments.all()) == ["avis.pdf", "notes.txt"]
    before = snapshot()
    with pytest.raises(errors.TooManyAttachments):
        about_invoice(supplier_user, supplier, rejected_invoice,
                      attachments=[(f"f{i}.txt", b"x") for i in range(11)])
    assert snapshot() == before


# --- The moves --------------------------------------------------------------------------------


def test_the_whole_circuit_each_move_by_its_side(supplier_user, supplier, rejected_invoice,
                                                 recipient_user):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    pk = ticket.pk
    ticket = run(services.take, recipient_user, pk)
    assert ticket.status == Status.EN_COURS and ticket.assignee == recipient_user
    ticket = run(services.request_complement, recipient_user, pk,
                 "Joignez le bon de livraison.")
    assert ticket.status == Status.COMPLEMENT_DEMANDE
    ticket = run(services.complete, supplier_user, pk, "Le voici.",
                 [("bl.pdf", pdf_bytes("Bon de livraison"))])
    assert ticket.status == Status.COMPLETEE
    ticket = run(services.answer, recipient_user, pk, "Déposez une nouvelle facture.")
    assert ticket.status == Status.REPONDUE and ticket.first_answer_at is not None
    ticket = run(services.close, recipient_user, pk, "Bonne journée.")
    assert ticket.status == Status.CLOTUREE and ticket.closed_at is not None
    thread = list(ticket.messages.all())
    assert [(m.action, m.side, m.status) for m in thread] == [
        (Action.ENVOYER, Side.EMETTEUR, Status.NOUVELLE),
        (Action.PRENDRE, Side.DESTINATAIRE, Status.EN_COURS),
        (Action.DEMANDER_COMPLEMENT, Side.DESTINATAIRE, Status.COMPLEMENT_DEMANDE),
        (Action.COMPLETER, Side.EMETTEUR, Status.COMPLETEE),
        (Action.REPONDRE, Side.DESTINATAIRE, Status.REPONDUE),
        (Action.CLOTURER, Side.DESTINATAIRE, Status.CLOTUREE)]
    assert thread[3].attachments.get().name == "bl.pdf"
    # Every step told the other side.
    assert [k for k in kinds(supplier_user) if k.startswith("sollicitation")] == [
        "sollicitation_taken", "sollicitation_complement_requested",
        "sollicitation_answered", "sollicitation_closed"]
    assert [k for k in kinds(recipient_user) if k.startswith("sollicitation")] == [
        "sollicitation_received", "sollicitation_completed"]
    # The sender, unsatisfied, reopens it: back on the agent's list.
    ticket = run(services.reopen, supplier_user, pk, "Ce n'est pas clair.")
    assert ticket.status == Status.ROUVERTE and ticket.closed_at is None
    assert kinds(recipient_user)[-1] == "sollicitation_reopened"
    assert queries.in_tab(queries.received(recipient_user),
                          {"actions": (Status.ROUVERTE,)}, "actions").get() == ticket


def test_the_wrong_side_gets_a_code_and_nothing_changes(supplier_user, supplier,
                                                        rejected_invoice, recipient_user):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    pk = ticket.pk
    before = snapshot()
    for use_case, args in [(services.take, ()), (services.answer, ("Réponse",)),
                           (services.request_complement, ("?",)),
                           (services.transfer, ("x",))]:
        with pytest.raises(errors.ActionNotYours) as caught:
            run(use_case, supplier_user, pk, *args)
        assert caught.value.http_status == 403 and caught.value.code == "SOL_ACTION_NOT_YOURS"
    with pytest.raises(errors.ActionNotYours):
        run(services.complete, recipient_user, pk, "complément")
    with pytest.raises(errors.ActionNotYours):
        run(services.reopen, recipient_user, pk, "motif")
    # The receiving side must take the ticket before answering it.
    with pytest.raises(errors.NotAssigned):
        run(services.answer, recipient_user, pk, "Réponse")
    # Nothing to complete yet.
    with pytest.raises(errors.TransitionRefused):
        run(services.complete, supplier_user, pk, "complément")
    assert snapshot() == before
    # Another agent of the structure cannot answer what a colleague took, until taking it.
    colleague = make_user("collegue@drfip.gouv.fr")
    run(org.attach_user, recipient_user, ticket.recipient_structure, colleague.email)
    run(services.take, recipient_user, pk)
    with pytest.raises(errors.NotAssigned):
        run(services.answer, colleague, pk, "Réponse")
    with pytest.raises(errors.AlreadyAssigned):
        run(services.take, recipient_user, pk)
    run(services.take, colleague, pk)
    assert Sollicitation.objects.get(pk=pk).assignee == colleague


def test_another_structure_sees_and_does_nothing(supplier_user, supplier, rejected_invoice,
                                                 recipient_user, titulaire_user, titulaire,
                                                 other_recipient, agent):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    stranger = other_recipient.rattachements.get().user
    before = snapshot()
    for outsider in (titulaire_user, stranger, agent):
        assert not queries.visible(outsider).exists()
        assert not queries.sent(outsider).exists() and not queries.received(outsider).exists()
        for use_case, args in [(services.take, ()), (services.answer, ("x",)),
                               (services.close, ()), (services.complete, ("x",)),
                               (services.reopen, ("x",)), (services.send, ()),
                               (services.discard, ())]:
            with pytest.raises(errors.SollicitationNotFound):
                run(use_case, outsider, ticket.pk, *args)
    # Forged ids: the same answer as a missing one.
    for forged in (ticket.pk + 1000, "abc", "-1", "1e3", None, "²"):
        with pytest.raises(errors.SollicitationNotFound):
            run(services.take, recipient_user, forged)
    with pytest.raises(errors.SollicitationNotFound):
        queries.attachment(titulaire_user, ticket.pk, 1)
    assert snapshot() == before


def test_a_service_limited_user_sees_its_services_tickets_only(supplier_user, supplier,
                                                               recipient, recipient_user):
    limited = make_user("achats@drfip.gouv.fr")
    achats = recipient.services.get(code="ACHATS")
    run(org.attach_user, recipient_user, recipient, limited.email, service_ids=[achats.pk])
    to_achats, to_compta = (
        run(services.create, supplier_user, supplier.pk, category="GENERAL",
            subcategory="ENTITE_PUBLIQUE", title=code, description="?",
            recipient_identifier=RECIPIENT_SIRET, service_code=code)
        for code in ("ACHATS", "COMPTA"))
    assert list(queries.received(limited)) == [to_achats]
    with pytest.raises(errors.SollicitationNotFound):
        run(services.take, limited, to_compta.pk)
    assert set(queries.received(recipient_user)) == {to_achats, to_compta}


def test_transfer_to_the_support_then_to_another_structure(supplier_user, supplier,
                                                           rejected_invoice, recipient_user,
                                                           agent, other_recipient):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    run(services.take, recipient_user, ticket.pk)
    before = snapshot()
    with pytest.raises(errors.TextRequired):
        run(services.transfer, recipient_user, ticket.pk, "", to_support=True)
    with pytest.raises(errors.TransferTargetInvalid):
        run(services.transfer, recipient_user, ticket.pk, "x",
            recipient_identifier=RECIPIENT_SIRET, service_code=ticket.recipient_service.code)
    assert snapshot() == before
    ticket = run(services.transfer, recipient_user, ticket.pk, "Problème technique",
                 to_support=True)
    assert ticket.to_support and ticket.status == Status.NOUVELLE and ticket.assignee is None
    assert "sollicitation_transferred" in kinds(supplier_user)
    assert "sollicitation_transferred_in" in kinds(agent)
    # The structure no longer sees it; the agent does.
    with pytest.raises(errors.SollicitationNotFound):
        queries.sollicitation(recipient_user, ticket.pk)
    run(services.take, agent, ticket.pk)
    ticket = run(services.transfer, agent, ticket.pk, "Pour la mairie",
                 recipient_identifier=OTHER_RECIPIENT_SIRET)
    assert ticket.recipient_structure == other_recipient and not ticket.to_support
    mayor = other_recipient.rattachements.get().user
    assert queries.sollicitation(mayor, ticket.pk) == ticket
    assert "sollicitation_transferred_in" in kinds(mayor)


def test_an_answer_left_15_days_closes_by_itself(supplier_user, supplier, rejected_invoice,
                                                 recipient_user, frozen_now):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    run(services.take, recipient_user, ticket.pk)
    run(services.answer, recipient_user, ticket.pk, "Voici.")
    with clock.shifted(timedelta(days=14, hours=23)):
        assert sollicitations_timers.call() == 0
    with clock.shifted(timedelta(days=15)):
        assert sollicitations_timers.call() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOTUREE
    assert ticket.messages.last().action == Action.CLOTURE_AUTOMATIQUE
    assert kinds(supplier_user)[-1] == "sollicitation_closed"


def test_drafts_are_their_authors_until_sent(supplier_user, supplier, recipient,
                                             recipient_user):
    colleague = make_user("collegue@lumiere.fr")
    run(org.attach_user, supplier_user, supplier, colleague.email)
    draft = run(services.create, supplier_user, supplier.pk, category="GENERAL",
                subcategory="ENTITE_PUBLIQUE", title="Brouillon", description="...",
                recipient_identifier=RECIPIENT_SIRET, draft=True)
    assert draft.status == Status.BROUILLON and draft.received_at is None
    assert not queries.received(recipient_user).exists()
    assert not queries.sent(colleague).exists()
    assert not Notification.objects.filter(user=recipient_user).exists()
    with pytest.raises(errors.SollicitationNotFound):
        run(services.send, colleague, draft.pk)
    sent = run(services.send, supplier_user, draft.pk)
    assert sent.status == Status.NOUVELLE and sent.received_at is not None
    assert list(queries.sent(colleague)) == [sent]
    assert kinds(recipient_user) == ["sollicitation_received"]
    with pytest.raises(errors.TransitionRefused):
        run(services.discard, supplier_user, sent.pk)
    other = run(services.create, supplier_user, supplier.pk, category="GENERAL",
                subcategory="PLATEFORME", title="À jeter", description="...", draft=True)
    run(services.discard, supplier_user, other.pk)
    assert not Sollicitation.objects.filter(pk=other.pk).exists()


def test_the_sender_may_close_its_ticket_at_any_time(supplier_user, supplier,
                                                     rejected_invoice, recipient_user):
    ticket = about_invoice(supplier_user, supplier, rejected_invoice)
    ticket = run(services.close, supplier_user, ticket.pk)
    assert ticket.status == Status.CLOTUREE
    assert kinds(recipient_user)[-1] == "sollicitation_closed"
    with pytest.raises(errors.TransitionRefused):
        run(services.close, supplier_user, ticket.pk)


# --- Logged out -------------------------------------------------------------------------------


def test_a_logged_out_ticket_goes_to_the_support_and_answers_by_email(agent):
    ticket = run(services.create_logged_out, "jeanne@example.fr", category="COMPTE",
                 subcategory="CONNEXION", title="Je ne peux pas me connecter",
                 description="Mon compte est verrouillé.")
    assert ticket.to_support and ticket.sender_structure is None
    assert ticket.sender_email == "jeanne@example.fr"
    receipt = OutgoingEmail.objects.get(to=["jeanne@example.fr"])
    assert ticket.number in receipt.subject and ticket.number in receipt.body
    run(services.take, agent, ticket.pk)
    run(services.answer, agent, ticket.pk, "Votre compte est déverrouillé.")
    answer = OutgoingEmail.objects.filter(to=["jeanne@example.fr"]).order_by("pk").last()
    assert "Votre compte est déverrouillé." in answer.body and ticket.number in answer.body
    # A logged-out sender may only ask about signing in, and gives a real address.
    before = snapshot()
    for email, sub in [("jeanne@example.fr", "REJET"), ("pas une adresse", "CONNEXION")]:
        with pytest.raises(ChoeurError):
            run(services.create_logged_out, email, category="FACTURE" if sub == "REJET"
                else "COMPTE", subcategory=sub, title="x", description="y")
    assert snapshot() == before


def test_logged_out_tickets_per_address_are_bounded(agent):
    for i in range(services.MAX_LOGGED_OUT_PER_DAY):
        run(services.create_logged_out, "Jeanne@Example.fr", category="COMPTE",
            subcategory="CONNEXION", title=f"Essai\r\nBcc: x@y.fr {i}", description="?")
    assert Sollicitation.objects.first().title.startswith("Essai Bcc: x@y.fr")
    before = snapshot()
    with pytest.raises(errors.TooManyLoggedOut):
        run(services.create_logged_out, "jeanne@example.fr", category="COMPTE",
            subcategory="CONNEXION", title="Encore", description="?")
    assert snapshot() == before


# --- Figures ----------------------------------------------------------------------------------


def test_response_time_figures_per_receiving_structure(supplier_user, supplier,
                                                       rejected_invoice, recipient,
                                                       recipient_user, frozen_now):
    first = about_invoice(supplier_user, supplier, rejected_invoice)
    second = about_invoice(supplier_user, supplier, rejected_invoice)
    about_invoice(supplier_user, supplier, rejected_invoice)
    with clock.shifted(timedelta(hours=2)):
        run(services.take, recipient_user, first.pk)
        run(services.answer, recipient_user, first.pk, "ok")
    with clock.shifted(timedelta(hours=4)):
        run(services.take, recipient_user, second.pk)
        run(services.answer, recipient_user, second.pk, "ok")
        run(services.close, recipient_user, second.pk)
    figures = queries.figures(structure=recipient)
    assert figures["answer"] == timedelta(hours=3)
    assert figures["closing"] == timedelta(hours=4)
    assert figures["open"] == 2 and figures["received"] == 3
