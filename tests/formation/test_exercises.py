# ruff: noqa: F811 - the qualification fixture, used by name
"""Exercises in a simulated situation (issue 20): stated as tasks, checked on the trainee's own
matelas de données, each first failing its check (with what is missing and a hint), then
passing once the trainee did it; restartable; qualification only; a file naming an unknown
check is refused at load."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from choeur.accounts.models import User
from choeur.core.worker import run_ready
from choeur.formation import exercises
from choeur.formation.apps import check_course_files
from choeur.formation.models import ExerciseProgress
from choeur.invoicing import services
from choeur.invoicing.models import Invoice, ModeDepot
from choeur.invoicing.statuses import Status
from choeur.qualification import matelas
from tests.invoicing.conftest import invoice_data, pdf_bytes, run
from tests.qualification.conftest import qualification  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

EXERCISE = """module = "portail-de-qualification"
[[exercises]]
id = "essai"
title_fr = "Titre"
title_en = "Title"
task_fr = "Tâche."
task_en = "Task."
hint_fr = "Indice."
hint_en = "Hint."
check = "suspension_piece_manquante"
"""


def test_the_shipped_exercises_load_and_their_pages_exist():
    from django.urls import reverse

    found = exercises.all_exercises()
    assert [e.id for e in found] == ["facture-code-service", "suspendre-piece-manquante",
                                     "completer-facture-suspendue",
                                     "rattachement-service-achats", "etat-acompte-projet-recu"]
    assert [e.id for e in found][:3] == ["facture-code-service", "suspendre-piece-manquante",
                                     "completer-facture-suspendue"]
    for exercise in found:
        assert exercise.page and reverse(exercise.page)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.replace('check = "suspension_piece_manquante"', 'check = "deviner"'),
     "exercice « essai » : vérification inconnue « deviner » (admises : "),
    (lambda s: s.replace('module = "portail-de-qualification"', 'module = "x"'),
     "module inconnu « x »"),
    (lambda s: s.replace('hint_en = "Hint."\n', ""), "« hint_en » manquant"),
    (lambda s: s + 'note = "?"\n', "clé(s) inconnue(s) : note"),
])
def test_a_broken_exercise_file_is_refused_with_a_clear_message(tmp_path, change, problem):
    path = tmp_path / "essai.toml"
    path.write_text(change(EXERCISE), encoding="utf-8")
    with pytest.raises(exercises.ExerciseInvalid) as caught:
        exercises.parse(path)
    assert str(caught.value).startswith("essai.toml, ") and problem in str(caught.value)


def test_the_system_checks_read_every_course_file():
    assert check_course_files() == []


@pytest.fixture
def trainee(qualification, user):
    with transaction.atomic():
        data = matelas.generate(user, seed=42)
    client = Client()
    client.force_login(user)
    return user, data, client


def _verify(client, ident):
    response = client.post(f"/formation/exercices/{ident}/verifier/", follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_three_exercises_each_failing_then_passing(trainee):
    user, data, client = trainee
    for ident in ("facture-code-service", "suspendre-piece-manquante",
                  "completer-facture-suspendue"):
        client.post(f"/formation/exercices/{ident}/commencer/")
    recipient = data.recipient("code_service")

    # 1. Deposit to the recipient requiring a service code: first nothing, then a draft.
    page = _verify(client, "facture-code-service").replace("&#x27;", "'")
    name = recipient.structure.company_name
    assert "Pas encore" in page and f"aucune facture envoyée à « {name} »" in page
    assert "ce destinataire exige un code service" in page and "Indice :" in page
    bank = data.supplier.bank_accounts.first()
    fields = {"recipient_identifier": recipient.structure.identifier,
              "recipient_service_code": recipient.services[0], "engagement_number": "",
              "bank_account_id": bank.pk, "number": "EX-001"}
    draft = run(services.save_draft, user, data.supplier, invoice_data(**fields),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    assert "votre facture n° EX-001 est encore en brouillon" in _verify(
        client, "facture-code-service")
    run(services.send, user, draft)
    run_ready()
    assert "Exercice réussi" in _verify(client, "facture-code-service")

    # 2. Suspend it as the recipient, with a reason.
    assert "aucune suspension faite par vous" in _verify(client, "suspendre-piece-manquante")
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == Status.MISE_A_DISPOSITION
    run(services.process, user, invoice, Status.SUSPENDUE, "Pièce manquante : bon de livraison")
    assert "Exercice réussi" in _verify(client, "suspendre-piece-manquante")

    # 3. Complete it as the supplier.
    assert "pas encore complétée" in _verify(client, "completer-facture-suspendue")
    run(services.complete, user, Invoice.objects.get(pk=draft.pk), "Bon de livraison joint")
    assert "Exercice réussi" in _verify(client, "completer-facture-suspendue")

    progress = {p.exercise: p for p in ExerciseProgress.objects.filter(user=user)}
    assert all(p.done_at for p in progress.values())
    assert progress["facture-code-service"].failed_checks == 2
    page = client.get("/formation/exercices/").content.decode()
    assert page.count('data-testid="exercise-done"') == 3


def test_restarting_counts_only_what_is_done_after(trainee):
    user, data, client = trainee
    client.post("/formation/exercices/suspendre-piece-manquante/commencer/")
    ExerciseProgress.objects.filter(user=user).update(done_at=None)
    client.post("/formation/exercices/suspendre-piece-manquante/commencer/")
    progress = ExerciseProgress.objects.get(user=user)
    assert progress.done_at is None and progress.failed_checks == 0
    assert "déposez-en une d" in _verify(client, "suspendre-piece-manquante")


def test_without_a_matelas_the_trainee_is_sent_to_generate_it(qualification, user):
    client = Client()
    client.force_login(user)
    page = client.get("/formation/exercices/").content.decode()
    assert 'data-testid="exercises-no-matelas"' in page
    client.post("/formation/exercices/facture-code-service/commencer/")
    response = client.post("/formation/exercices/facture-code-service/verifier/")
    assert response.status_code == 302 and response["Location"] == "/qualification/matelas/"


def test_checking_before_starting_says_to_start(trainee):
    user, data, client = trainee
    page = client.post("/formation/exercices/facture-code-service/verifier/",
                       follow=True).content.decode()
    assert "Commencez d&#x27;abord l&#x27;exercice" in page
    assert not ExerciseProgress.objects.exists()


def test_a_draft_saved_before_the_start_and_sent_after_counts(trainee):
    user, data, client = trainee
    recipient = data.recipient("code_service")
    fields = {"recipient_identifier": recipient.structure.identifier,
              "recipient_service_code": recipient.services[0], "engagement_number": "",
              "bank_account_id": data.supplier.bank_accounts.first().pk, "number": "EX-002"}
    draft = run(services.save_draft, user, data.supplier, invoice_data(**fields),
                mode_depot=ModeDepot.DEPOT_PDF_PORTAIL, document=("f.pdf", pdf_bytes()))
    client.post("/formation/exercices/facture-code-service/commencer/")
    assert "votre facture n° EX-002 est encore en brouillon" in _verify(
        client, "facture-code-service")
    run(services.send, user, draft)
    assert "Exercice réussi" in _verify(client, "facture-code-service")


def test_exercises_are_the_qualification_portals(client, user):
    client.force_login(user)
    assert client.get("/formation/exercices/").status_code == 404
    assert client.post("/formation/exercices/facture-code-service/commencer/").status_code == 404
    assert "portail de qualification" in client.get("/formation/").content.decode()


def test_exercises_need_a_signed_in_trainee_and_csrf(qualification, user):
    assert Client().get("/formation/exercices/").status_code == 302
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    assert csrf_client.post(
        "/formation/exercices/facture-code-service/commencer/").status_code == 403
    assert not ExerciseProgress.objects.exists()
    client = Client()
    client.force_login(user)
    assert client.post("/formation/exercices/inconnu/verifier/").status_code == 404
    assert client.get("/formation/exercices/facture-code-service/verifier/").status_code == 405


def test_attaching_to_a_purchasing_service_fails_then_passes(trainee):
    """« Rattachez-vous au service Achats »: a hospital of the annuaire nobody manages yet; the
    trainee's request naming its ACHATS service makes them its gestionnaire (qualification)."""
    from choeur.organisations import services as organisations
    from choeur.organisations.models import Rattachement

    user, data, client = trainee
    with transaction.atomic():
        hospital = organisations.create_public_structure(
            "test", "26750045200011", {"company_name": "Centre hospitalier de Melun"})
        achats = organisations.add_service("test", hospital, "ACHATS",
                                           {"name": "Direction des achats"})
        pharma = organisations.add_service("test", hospital, "PHARMA", {"name": "Pharmacie"})
    client.post("/formation/exercices/rattachement-service-achats/commencer/")
    page = _verify(client, "rattachement-service-achats").replace("&#x27;", "'")
    assert "aucune demande de rattachement depuis le début" in page
    assert "(service ACHATS)" in page
    # A request naming another service does not count.
    other_user = User.objects.create_user(email="autre@example.fr", password="x")
    with transaction.atomic():
        organisations.request_rattachement(other_user, hospital, [pharma.pk])
    with transaction.atomic():
        organisations.request_rattachement(user, hospital, [pharma.pk])
    mine = Rattachement.objects.get(user=user, structure=hospital)
    assert mine.status == Rattachement.Status.EN_COURS_DE_VALIDATION
    assert "ne vise pas le service Achats" in _verify(client, "rattachement-service-achats")
    Rattachement.objects.filter(user=user, structure=hospital).delete()
    with transaction.atomic():
        organisations.request_rattachement(user, hospital, [achats.pk])
    assert "attend la décision de son gestionnaire" in _verify(
        client, "rattachement-service-achats")
    pending = Rattachement.objects.get(user=user, structure=hospital)
    with transaction.atomic():
        organisations.validate_rattachements(other_user, hospital, [pending.pk])
    assert "Exercice réussi" in _verify(client, "rattachement-service-achats")


def test_the_etat_d_acompte_of_the_projet_received_fails_then_passes(trainee):
    from decimal import Decimal

    from choeur.invoicing.data import InvoiceData, LineData
    from choeur.travaux import services as travaux

    user, data, client = trainee
    run_ready()  # the matelas's works dossiers, as the worker builds them
    data = matelas.latest(user)
    waiting = next(row for row in data.travaux if row.stage == "mensuel_attente_moe")
    client.post("/formation/exercices/etat-acompte-projet-recu/commencer/")
    page = _verify(client, "etat-acompte-projet-recu")
    assert "attend l" in page and waiting.dossier.number in page
    with transaction.atomic():
        travaux.deposit_etat_acompte(user, waiting.dossier.pk, InvoiceData(lines=[LineData(
            designation="Admis", quantity=Decimal(1), unit_price=Decimal("1000"),
            vat_rate=Decimal(20), unit="LS")]))
    assert "Exercice réussi" in _verify(client, "etat-acompte-projet-recu")


def test_the_matelas_own_etats_d_acompte_do_not_count(qualification, user):
    """A matelas generated after the start builds its dossiers acting as its user: the
    état d'acompte it deposits itself is not the trainee's."""
    client = Client()
    client.force_login(user)
    with transaction.atomic():
        matelas.generate(user, seed=3)
    client.post("/formation/exercices/etat-acompte-projet-recu/commencer/")
    with transaction.atomic():
        matelas.generate(user, seed=4)
    run_ready()
    assert "Pas encore" in _verify(client, "etat-acompte-projet-recu")


def test_a_rattachement_made_by_someone_else_or_refused_is_not_done(trainee):
    from choeur.organisations import services as organisations

    user, data, client = trainee
    with transaction.atomic():
        hospital = organisations.create_public_structure(
            "test", "26750045200011", {"company_name": "Centre hospitalier de Melun"})
        achats = organisations.add_service("test", hospital, "ACHATS",
                                           {"name": "Direction des achats"})
    boss = User.objects.create_user(email="chef@example.fr", password="x")
    with transaction.atomic():
        organisations.request_rattachement(boss, hospital)  # its gestionnaire principal
    client.post("/formation/exercices/rattachement-service-achats/commencer/")
    with transaction.atomic():
        attached = organisations.attach_user(boss, hospital, user.email, [achats.pk])
    assert attached.status == "VALIDEE"
    assert "Pas encore" in _verify(client, "rattachement-service-achats")
    with transaction.atomic():
        organisations.detach_user(boss, hospital, attached.pk)
        asked = organisations.request_rattachement(user, hospital, [achats.pk])
        organisations.refuse_rattachements(boss, hospital, [asked.pk], "Inconnu du service")
    page = _verify(client, "rattachement-service-achats").replace("&#x27;", "'")
    assert "n'a pas abouti" in page
