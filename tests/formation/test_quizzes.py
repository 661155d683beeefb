"""The modules' quizzes (issue 20): data files checked at load (a question without a correct
answer is refused with a clear message), graded with explanations, each trainee's attempts
kept, a retake always allowed."""

from __future__ import annotations

import pytest
from django.test import Client

from choeur.formation import guides, quizzes
from choeur.formation.models import QuizAttempt

QUIZ = """module = "cadre-juridique"
title_fr = "Quiz"
title_en = "Quiz"

[[questions]]
id = "une"
text_fr = "Question ?"
text_en = "Question?"
multiple = false
explanation_fr = "Parce que."
explanation_en = "Because."
reference = "Décret n° 2016-1478"
  [[questions.answers]]
  text_fr = "Oui"
  text_en = "Yes"
  correct = true
  [[questions.answers]]
  text_fr = "Non"
  text_en = "No"
  correct = false
"""


def write(tmp_path, text, name="cadre-juridique.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_quizzes_load():
    found = {q.slug: q for q in quizzes.all_quizzes()}
    assert set(found) >= {"cadre-juridique", "decouvrir-chorus-pro"}
    for quiz in found.values():
        for question in quiz.questions:
            assert question.correct, question.id
            assert question.reference and question.explanation("fr") and question.explanation("en")


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.replace("correct = true", "correct = false"),
     "question « une » : aucune bonne réponse"),
    (lambda s: s.replace("correct = false", "correct = true"),
     "question « une » : 2 bonnes réponses à une question à réponse unique"),
    (lambda s: s.replace('module = "cadre-juridique"', 'module = "ailleurs"'),
     "module inconnu « ailleurs »"),
    (lambda s: s.replace('reference = "Décret n° 2016-1478"', 'source = "x"'),
     "clé(s) inconnue(s) : source"),
    (lambda s: s.replace('reference = "Décret n° 2016-1478"\n', ""), "« reference » manquant"),
    (lambda s: s.replace('id = "une"', 'id = "Une Question"'), "« id » manquant ou invalide"),
    (lambda s: s.replace('id = "une"', 'id = "une\\n"'), "« id » manquant ou invalide"),
    (lambda s: s.replace('module = "cadre-juridique"', 'module = ["cadre-juridique"]'),
     "module inconnu"),
    (lambda s: s + s[s.index("[[questions]]"):], "question « une » : identifiant déjà pris"),
    (lambda s: s.replace("multiple = false", 'multiple = "non"'), "« multiple » vaut true"),
    (lambda s: s.replace('title_fr = "Quiz"', 'title_fr = "Quiz'), "TOML invalide"),
    (lambda s: s[:s.index("  [[questions.answers]]\n  text_fr = \"Non\"")],
     "deux réponses au moins"),
])
def test_a_broken_quiz_is_refused_with_its_file_question_and_reason(tmp_path, change, problem):
    with pytest.raises(quizzes.QuizInvalid) as caught:
        quizzes.parse(write(tmp_path, change(QUIZ)))
    assert str(caught.value).startswith("cadre-juridique.toml, ")
    assert problem in str(caught.value)


def test_a_quiz_is_named_after_its_module(tmp_path):
    with pytest.raises(quizzes.QuizInvalid, match="cadre-juridique.toml"):
        quizzes.parse(write(tmp_path, QUIZ, "autre.toml"))


def test_a_trainers_quiz_replaces_the_shipped_one(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    own = tmp_path / "formation" / "quizzes"
    own.mkdir(parents=True)
    write(own, QUIZ.replace('title_fr = "Quiz"', 'title_fr = "Mon quiz"'))
    quizzes.all_quizzes.cache_clear()
    try:
        found = quizzes.quiz("cadre-juridique")
        assert (found.title("fr"), found.source, len(found.questions)) == ("Mon quiz",
                                                                            "formateur", 1)
        assert quizzes.quiz("decouvrir-chorus-pro").source == "choeur"
    finally:
        quizzes.all_quizzes.cache_clear()


def test_a_broken_trainers_quiz_is_left_out_and_said_by_the_checks(tmp_path, settings):
    from choeur.formation.apps import check_course_files

    settings.DATA_DIR = tmp_path
    own = tmp_path / "formation" / "quizzes"
    own.mkdir(parents=True)
    write(own, QUIZ.replace("correct = true", "correct = false"))
    quizzes.all_quizzes.cache_clear()
    try:
        assert quizzes.quiz("cadre-juridique").source == "choeur"  # the shipped one stays
        errors = check_course_files()
        assert [e.id for e in errors] == ["formation.E001"]
        assert "cadre-juridique.toml, question « une » : aucune bonne réponse" in errors[0].msg
    finally:
        quizzes.all_quizzes.cache_clear()
    settings.DATA_DIR = tmp_path / "nothing"
    assert check_course_files() == []


def test_a_trainers_file_saved_with_a_bom_is_read(tmp_path):
    path = tmp_path / "cadre-juridique.toml"
    path.write_bytes("\ufeff".encode() + QUIZ.encode())
    assert quizzes.parse(path).questions[0].id == "une"


@pytest.mark.django_db
def test_a_trainers_quiz_for_a_module_without_a_guide_is_listed(client, tmp_path, settings,
                                                               monkeypatch):
    settings.DATA_DIR = tmp_path
    shipped = guides.guide  # every module has its guide now: one is taken away here
    monkeypatch.setattr(guides, "guide",
                        lambda slug: None if slug == "portail-de-production" else shipped(slug))
    own = tmp_path / "formation" / "quizzes"
    own.mkdir(parents=True)
    write(own, QUIZ.replace('module = "cadre-juridique"', 'module = "portail-de-production"')
          .replace('title_fr = "Quiz"', 'title_fr = "Quiz de production"'),
          "portail-de-production.toml")
    # And a broken one, whose module is not even a name: left out, never a 500.
    write(own, QUIZ.replace('module = "cadre-juridique"', 'module = {a = 1}'),
          "decouvrir-chorus-pro.toml")
    quizzes.all_quizzes.cache_clear()
    try:
        page = client.get("/formation/").content.decode()
        assert "Module 5 — Quiz de production" in page
        assert "/formation/portail-de-production/quiz/" in page
        assert client.get("/formation/portail-de-production/quiz/").status_code == 200
        assert client.get("/formation/decouvrir-chorus-pro/quiz/").status_code == 200
        assert quizzes.quiz("decouvrir-chorus-pro").source == "choeur"
    finally:
        quizzes.all_quizzes.cache_clear()


def test_grading_ignores_answers_that_do_not_exist(tmp_path):
    quiz = quizzes.parse(write(tmp_path, QUIZ))
    assert [g.right for g in quizzes.grade(quiz, {"une": frozenset({0})})] == [True]
    assert [g.right for g in quizzes.grade(quiz, {"une": frozenset({0, 1})})] == [False]
    assert [g.right for g in quizzes.grade(quiz, {"une": frozenset({0, 7})})] == [True]
    assert [g.right for g in quizzes.grade(quiz, {})] == [False]


# --- Pages --------------------------------------------------------------------------------

def _answers(quiz, right: bool) -> dict[str, list[str]]:
    """A form body answering every question right (or every one wrong)."""
    body = {}
    for question in quiz.questions:
        picked = question.correct if right else (
            set(range(len(question.answers))) - question.correct)
        body[f"q-{question.id}"] = [str(i) for i in sorted(picked)][:1 if not question.multiple
                                                                    else None]
    return body


@pytest.mark.django_db
def test_a_trainee_answers_sees_the_corrections_and_retakes(client, user):
    quiz = quizzes.quiz("cadre-juridique")
    client.force_login(user)
    page = client.get("/formation/cadre-juridique/quiz/").content.decode()
    assert page.count('class="quiz-question"') == len(quiz.questions)
    assert 'type="checkbox" name="q-facture-electronique"' in page  # several answers
    wrong = client.post("/formation/cadre-juridique/quiz/", _answers(quiz, right=False))
    text = wrong.content.decode()
    assert f"Votre score : 0 sur {len(quiz.questions)}." in text
    assert "Décret n° 2016-1478 du 2 novembre 2016, art. 4" in text  # the reference
    assert "réponse inexacte" in text and "(votre choix)" in text
    right = client.post("/formation/cadre-juridique/quiz/", _answers(quiz, right=True))
    assert f"Votre score : {len(quiz.questions)} sur {len(quiz.questions)}." in \
        right.content.decode()
    attempts = list(QuizAttempt.objects.filter(user=user).order_by("pk")
                    .values_list("module", "score", "total"))
    total = len(quiz.questions)
    assert attempts == [("cadre-juridique", 0, total), ("cadre-juridique", total, total)]
    again = client.get("/formation/cadre-juridique/quiz/").content.decode()
    assert f"2 tentatives : meilleur score {total}/{total}, dernier {total}/{total}" in again
    index = client.get("/formation/").content.decode()
    assert f"meilleur score {total}/{total}" in index


@pytest.mark.django_db
def test_a_visitor_sees_the_correction_but_nothing_is_kept(client):
    quiz = quizzes.quiz("decouvrir-chorus-pro")
    response = client.post("/formation/decouvrir-chorus-pro/quiz/", _answers(quiz, True))
    assert response.status_code == 200
    assert "Il est enregistré." not in response.content.decode()
    assert QuizAttempt.objects.count() == 0


@pytest.mark.django_db
def test_hostile_answer_sheets_are_graded_as_wrong_never_a_500(client, user):
    client.force_login(user)
    quiz = quizzes.quiz("cadre-juridique")
    for values in (["²"], ["-1"], ["99"], ["1" * 5000], ["abc"], [str(i) for i in range(150)]):
        body = {f"q-{q.id}": values for q in quiz.questions}  # 900 fields at most
        response = client.post("/formation/cadre-juridique/quiz/", body)
        assert response.status_code == 200, values
    # Every sheet kept, every question wrong: no value stood for an answer it did not name.
    assert list(QuizAttempt.objects.values_list("score", flat=True)) == [0] * 6


@pytest.mark.django_db
def test_the_answer_sheet_needs_its_csrf_token(user):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post("/formation/cadre-juridique/quiz/", {"q-portail-exclusif": "0"})
    assert response.status_code == 403
    assert QuizAttempt.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_quiz_is_a_404(client):
    assert client.get("/formation/nulle-part/quiz/").status_code == 404
