"""The modules of the two one-day courses Choeur is used to teach (issue 20): the guides follow
them, one guide a module (formation/guides/<slug>.md)."""

from __future__ import annotations

from dataclasses import dataclass


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
