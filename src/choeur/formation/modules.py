"""The modules of the two one-day courses Choeur is used to teach (issue 20): the guides follow
them, one guide a module (formation/guides/<slug>.md)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.utils import translation


@dataclass(frozen=True)
class Module:
    slug: str
    course: int  # 1: « Chorus Pro », 2: « Chorus Pro, au quotidien »
    number: int
    title_fr: str
    title_en: str


MODULES = (
    Module("cadre-juridique", 1, 1, "Cerner le cadre juridique", "The legal frame"),
    Module("decouvrir-chorus-pro", 1, 2, "Découvrir Chorus Pro", "Discovering Chorus Pro"),
    Module("modes-d-acces", 1, 3, "Distinguer les modes d'accès", "The ways in"),
    Module("portail-de-qualification", 1, 4, "Manipuler sur le portail de qualification",
           "Hands-on in the qualification portal"),
    Module("portail-de-production", 1, 5, "Appliquer sur le portail de production",
           "Applying it in production"),
    Module("au-quotidien", 2, 6, "Chorus Pro au quotidien : comptes, factures, travaux",
           "Chorus Pro day to day: accounts, invoices, works"),
)
BY_SLUG = {module.slug: module for module in MODULES}


def english(language: str | None = None) -> bool:
    """Whether a guide, quiz or exercise is read in English: the language given, else the
    page's (the portal is French first)."""
    return (language or translation.get_language() or "fr").startswith("en")


def read_data_file(path: Path, invalid) -> tuple[dict, Module]:
    """A quiz's or exercises' TOML file and the module it names, or `invalid(path, where,
    problem)` raised (QuizInvalid, ExerciseInvalid). utf-8-sig: a file saved by a Notepad-like
    editor starts with a BOM."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise invalid(path, "fichier", f"illisible ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise invalid(path, "fichier", f"TOML invalide ({exc})") from None
    module = BY_SLUG.get(raw.get("module")) if isinstance(raw.get("module"), str) else None
    if module is None:
        raise invalid(path, "en-tête", f"module inconnu « {raw.get('module')} »")
    return raw, module


def check_keys(path: Path, where: str, table, allowed: set[str], invalid) -> None:
    """A TOML table of a quiz or exercises file holds only the keys its format knows (a typo,
    « explication_fr », would otherwise be silently ignored): `invalid(...)` raised if not."""
    if not isinstance(table, dict):
        raise invalid(path, where, "une table TOML est attendue")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise invalid(path, where, f"clé(s) inconnue(s) : {', '.join(unknown)} (admises : "
                                   f"{', '.join(sorted(allowed))})")
