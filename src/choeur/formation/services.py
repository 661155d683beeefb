"""The course's use cases: answering a quiz (graded, kept for a signed-in trainee)."""

from __future__ import annotations

from dataclasses import dataclass

from choeur.formation import quizzes
from choeur.formation.models import QuizAttempt


@dataclass(frozen=True)
class Result:
    quiz: quizzes.Quiz
    graded: list[quizzes.Graded]
    attempt: QuizAttempt | None

    @property
    def score(self) -> int:
        return sum(g.right for g in self.graded)

    @property
    def total(self) -> int:
        return len(self.graded)


def answer_quiz(user, found: quizzes.Quiz, chosen: dict[str, frozenset[int]]) -> Result:
    """Grade the answer sheet; a signed-in user's is kept (every attempt: a retake is another),
    a visitor's only shown."""
    graded = quizzes.grade(found, chosen)
    attempt = None
    if user is not None and user.is_authenticated:
        attempt = QuizAttempt.objects.create(
            user=user, module=found.slug, score=sum(g.right for g in graded),
            total=len(graded),
            answers={g.question.id: sorted(g.chosen) for g in graded})
    return Result(found, graded, attempt)


def scores(user) -> dict[str, dict]:
    """The user's best and last score per module, and how many attempts."""
    if user is None or not user.is_authenticated:
        return {}
    found: dict[str, dict] = {}
    for module, score, total in (QuizAttempt.objects.filter(user=user)
                                 .order_by("created_at", "pk")
                                 .values_list("module", "score", "total")):
        entry = found.setdefault(module, {"best": (score, total), "attempts": 0})
        entry["attempts"] += 1
        entry["last"] = (score, total)
        if score * entry["best"][1] > entry["best"][0] * total:
            entry["best"] = (score, total)
    return found
