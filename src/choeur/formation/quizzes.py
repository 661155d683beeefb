"""The modules' quizzes (issue 20): data files a trainer can extend, checked at load, graded
here, each trainee's attempts kept (models.QuizAttempt).

A quiz is a TOML file named after its module (`<module>.toml`): in formation/quizzes/ for the
shipped ones, and in `<data directory>/formation/quizzes/` for a trainer's own (a file there
replaces the shipped quiz of its module). Its keys:

    module = "cadre-juridique"
    title_fr = "…"
    title_en = "…"
    [[questions]]
    id = "echeancier-pme"               # a-z, 0-9 and dashes; unique in the quiz
    text_fr = "…"
    text_en = "…"
    multiple = false                    # several answers to tick (true) or one (false)
    explanation_fr = "…"                # shown after answering
    explanation_en = "…"
    reference = "Décret n° 2016-1478, art. 3"   # the source behind the answer
      [[questions.answers]]
      text_fr = "…"
      text_en = "…"
      correct = true

A file that breaks these rules — a question without a correct answer, a single-answer
question with several, an unknown module or key — is refused with its name, the question and
what is wrong (`QuizInvalid`), when the section is first shown and by the test suite.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from choeur.formation.modules import (
    MODULES,
    Module,
    check_keys,
    english,
    read_data_file,
)

logger = logging.getLogger("choeur.formation")
QUIZZES_DIR = Path(__file__).resolve().parent / "quizzes"
QUIZ_KEYS = {"module", "title_fr", "title_en", "questions"}
QUESTION_KEYS = {"id", "text_fr", "text_en", "multiple", "explanation_fr", "explanation_en",
                 "reference", "answers"}
ANSWER_KEYS = {"text_fr", "text_en", "correct"}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_QUESTIONS = 50
MAX_ANSWERS = 8


class QuizInvalid(ValueError):
    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path.name}, {where} : {problem}")
        self.path, self.where, self.problem = path, where, problem


def trainer_dir() -> Path:
    """Where a trainer puts their own quizzes."""
    return Path(settings.DATA_DIR) / "formation" / "quizzes"



@dataclass(frozen=True)
class Answer:
    text_fr: str
    text_en: str
    correct: bool

    def text(self, language: str | None = None) -> str:
        return self.text_en if english(language) else self.text_fr


@dataclass(frozen=True)
class Question:
    id: str
    text_fr: str
    text_en: str
    multiple: bool
    explanation_fr: str
    explanation_en: str
    reference: str
    answers: tuple[Answer, ...]

    def text(self, language: str | None = None) -> str:
        return self.text_en if english(language) else self.text_fr

    def explanation(self, language: str | None = None) -> str:
        return self.explanation_en if english(language) else self.explanation_fr

    @property
    def correct(self) -> frozenset[int]:
        return frozenset(i for i, answer in enumerate(self.answers) if answer.correct)


@dataclass(frozen=True)
class Quiz:
    module: Module
    title_fr: str
    title_en: str
    questions: tuple[Question, ...]
    source: str  # "choeur" or "formateur"

    @property
    def slug(self) -> str:
        return self.module.slug

    def title(self, language: str | None = None) -> str:
        return self.title_en if english(language) else self.title_fr


def _text(path: Path, where: str, table: dict, key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise QuizInvalid(path, where, f"« {key} » manquant ou vide")
    return value.strip()


def parse(path: Path, source: str = "choeur") -> Quiz:
    """One quiz file, checked (QuizInvalid otherwise)."""
    raw, module = read_data_file(path, QuizInvalid)
    check_keys(path, "en-tête", raw, QUIZ_KEYS, QuizInvalid)
    if path.stem != module.slug:
        raise QuizInvalid(path, "en-tête", f"le fichier d'un quiz porte le nom de son module "
                                           f"({module.slug}.toml)")
    listed = raw.get("questions")
    if not isinstance(listed, list) or not listed:
        raise QuizInvalid(path, "en-tête", "aucune question ([[questions]])")
    if len(listed) > MAX_QUESTIONS:
        raise QuizInvalid(path, "en-tête", f"plus de {MAX_QUESTIONS} questions")
    questions, seen = [], set()
    for number, item in enumerate(listed, start=1):
        where = f"question {number}"
        check_keys(path, where, item, QUESTION_KEYS, QuizInvalid)
        ident = item.get("id")
        if not isinstance(ident, str) or not _ID.fullmatch(ident):
            raise QuizInvalid(path, where, "« id » manquant ou invalide (a-z, 0-9, tirets)")
        where = f"question « {ident} »"
        if ident in seen:
            raise QuizInvalid(path, where, "identifiant déjà pris dans ce quiz")
        seen.add(ident)
        multiple = item.get("multiple", False)
        if not isinstance(multiple, bool):
            raise QuizInvalid(path, where, "« multiple » vaut true ou false")
        answers_raw = item.get("answers")
        if not isinstance(answers_raw, list) or len(answers_raw) < 2:
            raise QuizInvalid(path, where, "deux réponses au moins ([[questions.answers]])")
        if len(answers_raw) > MAX_ANSWERS:
            raise QuizInvalid(path, where, f"plus de {MAX_ANSWERS} réponses")
        answers = []
        for index, answer in enumerate(answers_raw, start=1):
            at = f"{where}, réponse {index}"
            check_keys(path, at, answer, ANSWER_KEYS, QuizInvalid)
            if not isinstance(answer.get("correct", False), bool):
                raise QuizInvalid(path, at, "« correct » vaut true ou false")
            answers.append(Answer(_text(path, at, answer, "text_fr"),
                                  _text(path, at, answer, "text_en"),
                                  answer.get("correct", False)))
        correct = sum(answer.correct for answer in answers)
        if correct == 0:
            raise QuizInvalid(path, where, "aucune bonne réponse (correct = true)")
        if not multiple and correct > 1:
            raise QuizInvalid(path, where, f"{correct} bonnes réponses à une question à "
                                           f"réponse unique (multiple = false)")
        questions.append(Question(
            ident, _text(path, where, item, "text_fr"), _text(path, where, item, "text_en"),
            multiple, _text(path, where, item, "explanation_fr"),
            _text(path, where, item, "explanation_en"),
            _text(path, where, item, "reference"), tuple(answers)))
    return Quiz(module, _text(path, "en-tête", raw, "title_fr"),
                _text(path, "en-tête", raw, "title_en"), tuple(questions), source)


@functools.cache
def all_quizzes() -> tuple[Quiz, ...]:
    """Every quiz, in the modules' order: the shipped ones, each replaced by a trainer's file
    of the same module if there is one (read once a process). A trainer's file that breaks
    the rules is refused — logged, and listed by `choeur check` (problems()) — and the
    shipped quiz stays; a shipped one that does is an error of Choeur's (the tests read
    them)."""
    found = {quiz.slug: quiz for quiz in map(parse, sorted(QUIZZES_DIR.glob("*.toml")))}
    for path in _trainer_files():
        try:
            own = parse(path, "formateur")
        except QuizInvalid as exc:
            logger.error("formation: quiz refused: %s", exc)
            continue
        found[own.slug] = own
    return tuple(found[module.slug] for module in MODULES if module.slug in found)


def _trainer_files() -> list[Path]:
    own = trainer_dir()
    return sorted(own.glob("*.toml")) if own.is_dir() else []


def problems() -> list[str]:
    """What is wrong with each quiz file, shipped or a trainer's (read again now)."""
    found = []
    for path, source in [*((p, "choeur") for p in sorted(QUIZZES_DIR.glob("*.toml"))),
                         *((p, "formateur") for p in _trainer_files())]:
        try:
            parse(path, source)
        except QuizInvalid as exc:
            found.append(f"{path.parent}/{exc}")
    return found


def quiz(slug: str) -> Quiz | None:
    return next((q for q in all_quizzes() if q.slug == slug), None)


@dataclass(frozen=True)
class Graded:
    question: Question
    chosen: frozenset[int]

    @property
    def right(self) -> bool:
        return self.chosen == self.question.correct


def grade(found: Quiz, chosen: dict[str, frozenset[int]]) -> list[Graded]:
    """Each question with the answers ticked (indexes; an unanswered question is wrong).
    Indexes outside a question's answers are ignored, and a single-answer question with
    several ticked is wrong."""
    graded = []
    for question in found.questions:
        picked = frozenset(i for i in chosen.get(question.id, frozenset())
                           if 0 <= i < len(question.answers))
        graded.append(Graded(question, picked))
    return graded
