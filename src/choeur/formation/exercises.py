"""The exercises in a simulated situation (issue 20): tasks done in the qualification portal on
the trainee's own matelas de données, checked automatically (formation/checks.py).

An exercise file is TOML, `formation/exercises/<module>.toml`:

    module = "portail-de-qualification"
    [[exercises]]
    id = "facture-code-service"      # a-z, 0-9 and dashes; unique among all exercises
    title_fr = "…"
    title_en = "…"
    task_fr = "…"                    # the task, as the trainer states it
    task_en = "…"
    hint_fr = "…"                    # shown after a failed check, with what is missing
    hint_en = "…"
    check = "facture_destinataire_code_service"   # a name of checks.CHECKS
    page = "invoicing:deposit_start" # optional: the portal page where it is done

A file naming an unknown check, module or key is refused with its name, the exercise and what
is wrong (`ExerciseInvalid`), when the section is first shown and by `choeur check`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from choeur.formation import checks
from choeur.formation.modules import (
    MODULES,
    Module,
    check_keys,
    english,
    read_data_file,
)

EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
FILE_KEYS = {"module", "exercises"}
EXERCISE_KEYS = {"id", "title_fr", "title_en", "task_fr", "task_en", "hint_fr", "hint_en",
                 "check", "page"}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ExerciseInvalid(ValueError):
    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path.name}, {where} : {problem}")



@dataclass(frozen=True)
class Exercise:
    id: str
    module: Module
    title_fr: str
    title_en: str
    task_fr: str
    task_en: str
    hint_fr: str
    hint_en: str
    check: str
    page: str = ""

    def title(self, language: str | None = None) -> str:
        return self.title_en if english(language) else self.title_fr

    def task(self, language: str | None = None) -> str:
        return self.task_en if english(language) else self.task_fr

    def hint(self, language: str | None = None) -> str:
        return self.hint_en if english(language) else self.hint_fr


def parse(path: Path) -> list[Exercise]:
    """One exercise file, checked (ExerciseInvalid otherwise)."""
    raw, module = read_data_file(path, ExerciseInvalid)
    check_keys(path, "en-tête", raw, FILE_KEYS, ExerciseInvalid)
    listed = raw.get("exercises")
    if not isinstance(listed, list) or not listed:
        raise ExerciseInvalid(path, "en-tête", "aucun exercice ([[exercises]])")
    found = []
    for number, item in enumerate(listed, start=1):
        where = f"exercice {number}"
        check_keys(path, where, item, EXERCISE_KEYS, ExerciseInvalid)
        ident = item.get("id")
        if not isinstance(ident, str) or not _ID.fullmatch(ident):
            raise ExerciseInvalid(path, where, "« id » manquant ou invalide (a-z, 0-9, tirets)")
        where = f"exercice « {ident} »"
        values = {}
        for key in EXERCISE_KEYS - {"id", "page"}:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ExerciseInvalid(path, where, f"« {key} » manquant ou vide")
            values[key] = value.strip()
        if values["check"] not in checks.CHECKS:
            raise ExerciseInvalid(path, where, f"vérification inconnue « {values['check']} » "
                                               f"(admises : {', '.join(sorted(checks.CHECKS))})")
        page = item.get("page", "")
        if not isinstance(page, str) or (page and not _page_exists(page)):
            raise ExerciseInvalid(path, where, f"« page » : aucune page du portail ne s'appelle "
                                               f"« {page} »")
        found.append(Exercise(ident, module, page=page.strip(), **values))
    return found


def _page_exists(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@functools.cache
def all_exercises() -> tuple[Exercise, ...]:
    """Every exercise, by module then as its file orders them (read once a process)."""
    found: list[Exercise] = []
    seen: set[str] = set()
    for path in sorted(EXERCISES_DIR.glob("*.toml")):
        for exercise in parse(path):
            if exercise.id in seen:
                raise ExerciseInvalid(path, f"exercice « {exercise.id} »",
                                      "identifiant déjà pris par un autre exercice")
            seen.add(exercise.id)
            found.append(exercise)
    order = {module.slug: index for index, module in enumerate(MODULES)}
    return tuple(sorted(found, key=lambda e: order[e.module.slug]))


def exercise(ident: str) -> Exercise | None:
    return next((e for e in all_exercises() if e.id == ident), None)
