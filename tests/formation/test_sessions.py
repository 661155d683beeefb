"""Training sessions, the trainer's view (issue 20): a trainer opens a session, invites by
e-mail or gives the code, a trainee joins with it, and the trainer sees each trainee's
account, matelas, quiz scores and exercises, and exports them (CSV, PDF). Only a trainer
opens sessions, sees only their own, and only the trainees who joined; wrong codes are
throttled."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pikepdf
import pytest
from django.db import transaction
from django.test import Client

from choeur.accounts.models import User
from choeur.core import clock
from choeur.core.models import AuditEvent, OutgoingEmail
from choeur.formation import exercises, sessions, sheets
from choeur.formation.models import (
    ExerciseProgress,
    Invitation,
    Participant,
    QuizAttempt,
    TrainingSession,
)
from choeur.formation.modules import MODULES
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _user(email, **extra):
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trainer():
    return _user("formatrice@example.fr", first_name="Ada", last_name="Lovelace",
                 is_trainer=True)


@pytest.fixture
def session(trainer):
    with transaction.atomic():
        return sessions.create_session(trainer, "Chorus Pro — prise en main", clock.today(),
                                       "Salle 2")


def test_only_a_trainer_opens_sessions(user):
    response = _client(user).get("/formation/sessions/")
    assert response.status_code == 403 and "FORM_NOT_TRAINER" in response.content.decode()
    assert Client().get("/formation/sessions/").status_code == 302  # to the login page
    response = _client(user).post("/formation/sessions/", {"title": "x", "date": "2026-12-01"})
    assert response.status_code == 403 and not TrainingSession.objects.exists()


def test_a_trainer_opens_a_session_with_a_random_code(trainer):
    client = _client(trainer)
    response = client.post("/formation/sessions/", {
        "title": "Chorus Pro — prise en main", "date": clock.today().isoformat(),
        "place": "Salle 2"})
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/formation/sessions/{session.pk}/"
    assert len(session.code) == sessions.CODE_LENGTH
    assert set(session.code) <= set(sessions.CODE_ALPHABET)
    page = client.get(response["Location"]).content.decode()
    assert sessions.format_code(session.code) in page
    assert AuditEvent.objects.filter(action="formation.session_created").count() == 1


@pytest.mark.parametrize("fields", [
    {"title": "  ", "date": "2026-12-08"},
    {"title": "Cours", "date": "2031-01-01"},  # a typo of the year
    {"title": "Cours", "date": "pas une date"},
])
def test_a_wrong_session_is_refused_and_nothing_made(trainer, fields):
    response = _client(trainer).post("/formation/sessions/", fields)
    assert response.status_code == 400 and not TrainingSession.objects.exists()


def test_invitations_send_the_link_and_the_code_once(trainer, session):
    client = _client(trainer)
    response = client.post(f"/formation/sessions/{session.pk}/inviter/", {
        "addresses": "lea@example.fr, Paul@Example.fr\nlea@example.fr"})
    assert response.status_code == 302
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "lea@example.fr", "paul@example.fr"]
    mails = list(OutgoingEmail.objects.order_by("pk"))
    assert [m.to for m in mails] == [["lea@example.fr"], ["paul@example.fr"]]
    assert f"/formation/rejoindre/{session.code}/" in mails[0].body
    assert sessions.format_code(session.code) in mails[0].body
    assert "Chorus Pro — prise en main" in mails[0].subject
    # Again: nothing sent twice; the page says who was invited already.
    page = client.post(f"/formation/sessions/{session.pk}/inviter/",
                       {"addresses": "lea@example.fr"}, follow=True).content.decode()
    assert OutgoingEmail.objects.count() == 2 and "Déjà invité" in page
    assert page.count("lea@example.fr") >= 1 and 'data-testid="session-waiting"' in page


def test_one_wrong_address_sends_nothing(trainer, session):
    response = _client(trainer).post(f"/formation/sessions/{session.pk}/inviter/", {
        "addresses": "lea@example.fr; pas-une-adresse"})
    assert response.status_code == 400
    assert "FORM_INVITATIONS_INVALID" in response.content.decode()
    assert not Invitation.objects.exists() and not OutgoingEmail.objects.exists()


def test_invitations_are_bounded(trainer, session, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_INVITATIONS", 2)
    response = _client(trainer).post(f"/formation/sessions/{session.pk}/inviter/", {
        "addresses": "a@example.fr b@example.fr c@example.fr"})
    assert response.status_code == 400 and not Invitation.objects.exists()


def test_a_trainee_joins_with_the_code_however_typed(session, user):
    client = _client(user)
    typed = sessions.format_code(session.code).lower()
    response = client.post("/formation/rejoindre/", {"code": f" {typed} "}, follow=True)
    assert response.status_code == 200
    assert "Vous avez rejoint la session « Chorus Pro — prise en main »" in (
        response.content.decode().replace("&#x27;", "'"))
    assert Participant.objects.filter(session=session, user=user).count() == 1
    page = client.post("/formation/rejoindre/", {"code": session.code}, follow=True)
    assert "déjà inscrit" in page.content.decode()
    assert Participant.objects.count() == 1
    # The invitation's link fills the code in; only the button joins.
    page = client.get(f"/formation/rejoindre/{session.code}/").content.decode()
    assert f'value="{session.code}"' in page


def test_a_wrong_code_is_refused_counted_and_throttled(session, user):
    client = _client(user)
    for _ in range(10):
        response = client.post("/formation/rejoindre/", {"code": "ABCD-EFGH"})
        assert response.status_code == 400
        assert "FORM_CODE_UNKNOWN" in response.content.decode()
    # At the limit, even the right code waits: a guesser learns nothing more.
    response = client.post("/formation/rejoindre/", {"code": session.code})
    assert response.status_code == 429 and "FORM_CODE_THROTTLED" in response.content.decode()
    assert not Participant.objects.exists()
    # Another user (same address) still joins: a room's mistakes do not lock everyone out.
    other = _user("autre@example.fr")
    assert _client(other).post("/formation/rejoindre/", {"code": session.code}).status_code == 302


def test_a_closed_sessions_code_is_unknown_and_the_trainer_cannot_join(trainer, session, user):
    client = _client(trainer)
    assert client.post("/formation/rejoindre/", {"code": session.code}).status_code == 409
    client.post(f"/formation/sessions/{session.pk}/cloture/")
    response = _client(user).post("/formation/rejoindre/", {"code": session.code})
    assert response.status_code == 400 and "FORM_CODE_UNKNOWN" in response.content.decode()
    client.post(f"/formation/sessions/{session.pk}/cloture/", {"closed": "0"})
    assert _client(user).post("/formation/rejoindre/", {"code": session.code}).status_code == 302


def test_a_trainer_sees_only_their_sessions_and_their_trainees(trainer, session, user):
    other_trainer = _user("autre.formateur@example.fr", is_trainer=True)
    with transaction.atomic():
        sessions.join(user, session.code)
        other = sessions.create_session(other_trainer, "Autre", clock.today())
    stranger = _user("inconnu@example.fr")
    with transaction.atomic():
        sessions.join(stranger, other.code)
    mine = _client(trainer)
    for url in (f"/formation/sessions/{other.pk}/", f"/formation/sessions/{other.pk}/resultats.csv",
                f"/formation/sessions/{other.pk}/emargement.pdf",
                f"/formation/sessions/{other.pk}/stagiaires/{stranger.pk}/",
                f"/formation/sessions/{session.pk}/stagiaires/{stranger.pk}/"):
        assert mine.get(url).status_code == 404, url
    assert mine.post(f"/formation/sessions/{other.pk}/inviter/",
                     {"addresses": "x@example.fr"}).status_code == 404
    assert mine.post(f"/formation/sessions/{other.pk}/cloture/").status_code == 404
    assert mine.get(f"/formation/sessions/{session.pk}/stagiaires/{user.pk}/").status_code == 200
    listed = mine.get("/formation/sessions/").content.decode()
    assert "Chorus Pro — prise en main" in listed and "Autre" not in listed
    assert [s.trainee_count for s in sessions.trainer_sessions(trainer)] == [1]


def _progress(user):
    """Two quiz attempts, a matelas-like record, one exercise done and one started."""
    from choeur.qualification.models import GeneratedMatelas

    QuizAttempt.objects.create(user=user, module="cadre-juridique", score=3, total=8)
    QuizAttempt.objects.create(user=user, module="cadre-juridique", score=7, total=8)
    GeneratedMatelas.objects.create(user=user, seed=1, created_at=clock.now())
    ExerciseProgress.objects.create(user=user, exercise="facture-code-service",
                                    done_at=clock.now(), failed_checks=2)
    ExerciseProgress.objects.create(user=user, exercise="suspendre-piece-manquante",
                                    failed_checks=1)


def test_the_trainers_page_the_csv_and_the_sheet_show_each_trainee(trainer, session, user,
                                                                   django_assert_max_num_queries):
    with transaction.atomic():
        sessions.join(user, session.code)
        sessions.invite(trainer, session.pk, ["marie.curie@example.fr", "attend@example.fr"])
    _progress(user)
    client = _client(trainer)
    page = client.get(f"/formation/sessions/{session.pk}/").content.decode()
    assert 'data-trainee="marie.curie@example.fr"' in page
    assert '<td data-quiz="cadre-juridique">7/8</td>' in page
    assert f"1/{len(exercises.all_exercises())}" in page and "généré le" in page
    # An invitation answered by the user who joined with that address is no longer waiting.
    assert "attend@example.fr" in page and page.count("marie.curie@example.fr") == 2

    response = client.get(f"/formation/sessions/{session.pk}/resultats.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="session-')
    text = response.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert table[0] == [
        "statut", "nom", "prenom", "email", "inscrit_le", "compte_cree_le", "compte_active_le",
        "matelas_genere_le", *(f"quiz_{module.slug}" for module in MODULES),
        "quiz_tentatives", "exercices_reussis",
        *(f"exercice_{exercise.id}" for exercise in exercises.all_exercises())]
    assert "exercice_facture-code-service" in table[0]
    row = dict(zip(table[0], table[1], strict=True))
    assert (row["statut"], row["nom"], row["email"]) == ("inscrit", "Curie",
                                                        "marie.curie@example.fr")
    assert row["quiz_cadre-juridique"] == "7/8" and row["quiz_modes-d-acces"] == ""
    assert row["quiz_tentatives"] == "2"
    assert row["exercices_reussis"] == f"1/{len(exercises.all_exercises())}"
    assert row["exercice_facture-code-service"] and not row["exercice_suspendre-piece-manquante"]
    assert row["matelas_genere_le"]
    assert table[2][:4] == ["invite", "", "", "attend@example.fr"] and len(table) == 3

    response = client.get(f"/formation/sessions/{session.pk}/emargement.pdf")
    assert response["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        assert len(pdf.pages) == 1
        assert str(pdf.docinfo["/Title"]).startswith("Émargement")
    # The same results, the same bytes.
    assert client.get(f"/formation/sessions/{session.pk}/emargement.pdf").content == (
        response.content)

    page = client.get(f"/formation/sessions/{session.pk}/stagiaires/{user.pk}/").content.decode()
    assert page.count("/8</td>") == 2 and "réussi le" in page

    # The page's reads do not grow with the trainees.
    for number in range(5):
        other = _user(f"stagiaire{number}@example.fr")
        with transaction.atomic():
            sessions.join(other, session.code)
        _progress(other)
    with django_assert_max_num_queries(12):
        found = sessions.results(trainer, session.pk)
        sheets.rows(found)


def test_a_long_session_fills_several_pages_of_the_sheet(trainer, session):
    for number in range(40):
        trainee = _user(f"s{number:02}@example.fr", first_name="Prénom", last_name=f"Nom{number}")
        Participant.objects.create(session=session, user=trainee)
    data = sheets.to_pdf(sessions.results(trainer, session.pk))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) >= 2


def test_a_trainee_who_leaves_is_no_longer_seen(trainer, session, user):
    with transaction.atomic():
        sessions.join(user, session.code)
    client = _client(user)
    assert client.post(f"/formation/sessions/{session.pk}/quitter/").status_code == 302
    assert not Participant.objects.exists()
    assert _client(trainer).get(
        f"/formation/sessions/{session.pk}/stagiaires/{user.pk}/").status_code == 404
    assert client.post(f"/formation/sessions/{session.pk}/quitter/").status_code == 404


def test_the_index_offers_joining_and_the_trainers_sessions(trainer, user):
    page = _client(user).get("/formation/").content.decode()
    assert "/formation/rejoindre/" in page and "/formation/sessions/" not in page
    assert "/formation/sessions/" in _client(trainer).get("/formation/").content.decode()


def test_the_session_date_is_checked_by_the_service_too(trainer):
    with pytest.raises(sessions.errors.SessionInvalid), transaction.atomic():
        sessions.create_session(trainer, "Cours", clock.today() + timedelta(days=3 * 366))


def test_choeur_formateur_grants_and_takes_back(user, capsys):
    from choeur.cli import cmd_formateur

    class Args:
        email, retirer = "Marie.Curie@example.fr", False

    assert cmd_formateur(Args, None) == 0
    assert User.objects.get(pk=user.pk).is_trainer
    Args.retirer = True
    assert cmd_formateur(Args, None) == 0
    assert not User.objects.get(pk=user.pk).is_trainer
    Args.email = "personne@example.fr"
    assert cmd_formateur(Args, None) == 1
    assert AuditEvent.objects.filter(action__startswith="formation.trainer_").count() == 2


def test_a_title_on_several_lines_is_refused(trainer):
    response = _client(trainer).post("/formation/sessions/", {
        "title": "Intro\r\nBcc: x@example.fr", "date": clock.today().isoformat()})
    assert response.status_code == 400 and "FORM_SESSION_INVALID" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_invitations_are_bounded_per_trainer_and_per_address(trainer, monkeypatch):
    monkeypatch.setattr(sessions, "MAX_INVITATIONS_A_DAY", 3)
    with transaction.atomic():
        first = sessions.create_session(trainer, "Un", clock.today())
        second = sessions.create_session(trainer, "Deux", clock.today())
        sessions.invite(trainer, first.pk, ["a@example.fr", "b@example.fr"])
    client = _client(trainer)
    response = client.post(f"/formation/sessions/{second.pk}/inviter/",
                           {"addresses": "c@example.fr d@example.fr"})
    assert response.status_code == 400 and "24 heures" in response.content.decode()
    monkeypatch.setattr(sessions, "MAX_INVITATIONS_A_DAY", 100)
    for title in ("Trois", "Quatre"):
        with transaction.atomic():
            other = sessions.create_session(trainer, title, clock.today())
            sessions.invite(trainer, other.pk, ["a@example.fr"])
    response = client.post(f"/formation/sessions/{second.pk}/inviter/",
                           {"addresses": "a@example.fr"})
    assert response.status_code == 400
    assert "a@example.fr a déjà reçu 3 invitations" in response.content.decode().replace(
        "&#x27;", "'")
    assert OutgoingEmail.objects.filter(to=["a@example.fr"]).count() == 3


def test_inviting_to_a_session_closed_meanwhile_says_so(trainer, session):
    client = _client(trainer)
    client.post(f"/formation/sessions/{session.pk}/cloture/")
    page = client.post(f"/formation/sessions/{session.pk}/inviter/",
                       {"addresses": "lea@example.fr"}, follow=True).content.decode()
    assert "FORM_SESSION_CLOSED" in page and not Invitation.objects.exists()


def test_a_former_trainers_sessions_take_nobody_new(trainer, session, user):
    with transaction.atomic():
        sessions.set_trainer("test", trainer.email, False)
    response = _client(user).post("/formation/rejoindre/", {"code": session.code})
    assert response.status_code == 400 and not Participant.objects.exists()


def test_a_deactivated_trainee_is_no_longer_listed_and_leaving_is_audited(trainer, session,
                                                                          user):
    other = _user("autre@example.fr")
    with transaction.atomic():
        sessions.join(user, session.code)
        sessions.join(other, session.code)
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert [t.user.pk for t in sessions.results(trainer, session.pk).trainees] == [user.pk]
    _client(user).post(f"/formation/sessions/{session.pk}/quitter/")
    event = AuditEvent.objects.get(action="formation.session_left")
    assert event.object_id == str(session.pk)


def test_the_trainers_and_the_trainees_pages_speak_english(trainer, session, user):
    client = _client(trainer)
    client.cookies["django_language"] = "en"
    listed = client.get("/formation/sessions/").content.decode()
    assert "My training sessions" in listed and "Open the session" in listed
    page = client.get(f"/formation/sessions/{session.pk}/").content.decode()
    assert "Attendance and result sheet (PDF)" in page and "Session code:" in page
    trainee = _client(user)
    trainee.cookies["django_language"] = "en"
    joined = trainee.post("/formation/rejoindre/", {"code": session.code}, follow=True)
    assert "You joined the session" in joined.content.decode()
