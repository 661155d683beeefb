"""The course's guides (issue 20): read and checked at load, their generated parts equal to the
code's tables (a guide never disagrees with the software), every link a page of the portal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from choeur.aide import markup
from choeur.formation import blocks, guides
from choeur.invoicing.models import Cadre, TravauxCadre
from choeur.invoicing.statuses import INVOICE_STATUSES, TERMINAL, Status

GUIDE = """---
module: cadre-juridique
title_fr: Titre
title_en: Title
---
Texte.

[[echeancier]]
::: en
Text.
"""


def rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf"<tr {attribute}='([^']+)'>", html)


def test_every_guide_loads_in_the_modules_order():
    found = guides.all_guides()
    assert [g.slug for g in found][:3] == ["cadre-juridique", "decouvrir-chorus-pro",
                                           "modes-d-acces"]
    for guide in found:
        assert guide.title("fr") and guide.title("en")
        assert guide.render("fr") != guide.render("en")


def test_every_link_of_a_guide_is_a_page_of_the_portal():
    for guide in guides.all_guides():
        for body in (guide.body_fr, guide.body_en):
            for target in markup.targets(body):
                assert markup.default_link(target) is not None, (guide.slug, target)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_status_list_is_the_transition_tables(language):
    html = blocks.statuts(language)
    assert rows(html, "data-status") == list(INVOICE_STATUSES)
    from django.utils import translation

    with translation.override(language):
        for status in INVOICE_STATUSES:
            assert str(Status(status).label).replace("'", "&#x27;") in html, status
    final = "Final status." if language == "en" else "Statut final."
    assert html.count(final) == len([s for s in INVOICE_STATUSES
                                     if s in TERMINAL or not blocks.next_moves(s)])


def test_who_moves_an_invoice_on_comes_from_the_table():
    moves = dict(blocks.next_moves(Status.MISE_A_DISPOSITION))
    from choeur.invoicing.statuses import Role, recipient_targets

    assert moves[Role.RECIPIENT] == recipient_targets(Status.MISE_A_DISPOSITION)
    assert Role.MOA not in dict(blocks.next_moves(Status.BROUILLON))  # works pieces only
    assert blocks.next_moves(Status.MISE_EN_PAIEMENT) == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_cadre_lists_are_the_codes(language):
    assert rows(blocks.cadres(language), "data-cadre") == list(Cadre.values)
    assert rows(blocks.cadres_travaux(language), "data-cadre") == list(TravauxCadre.values)


def test_the_guides_name_the_generated_parts():
    slugs = {g.slug: g for g in guides.all_guides()}
    assert slugs["cadre-juridique"].blocks() == {"echeancier"}
    assert slugs["decouvrir-chorus-pro"].blocks() == {"cycle-de-vie", "statuts", "cadres",
                                                      "cadres-travaux"}
    html = slugs["decouvrir-chorus-pro"].render("fr")
    assert rows(html, "data-status") == list(INVOICE_STATUSES)


def test_the_echeancier_draws_every_milestone_and_lists_it():
    html = blocks.echeancier("fr")
    assert html.count("<circle") == len(blocks.ECHEANCIER) == 6
    assert "1er janvier 2017" in html and "1er septembre 2027" in html
    assert "1 September 2026" in blocks.echeancier("en")
    assert 'role="img"' in html and "<title" in html


@pytest.mark.parametrize(("change", "problem"), [
    (lambda s: s.replace("[[echeancier]]", "[[inconnu]]"), "bloc inconnu « inconnu »"),
    (lambda s: s.replace("module: cadre-juridique", "module: nulle-part"),
     "module inconnu « nulle-part »"),
    (lambda s: s.replace("::: en\n", ""), "une ligne « ::: en »"),
    (lambda s: s.replace("title_en: Title\n", "title_en: Title\nauteur: X\n"),
     "champ inconnu « auteur »"),
    (lambda s: s.replace("title_en: Title\n", ""), "champ(s) manquant(s) : title_en"),
    (lambda s: s.replace("Text.\n", ""), "le texte anglais sont obligatoires"),
    (lambda s: s.replace("---\nmodule", "module", 1), "commencer par « --- »"),
    (lambda s: s.replace("title_en: Title\n", "title_en: Title\ntitle_fr: Autre\n"),
     "champ « title_fr » donné deux fois"),
])
def test_a_broken_guide_is_refused_with_its_file_line_and_reason(tmp_path, change, problem):
    path = tmp_path / "cadre-juridique.md"
    path.write_text(change(GUIDE), encoding="utf-8")
    with pytest.raises(guides.GuideInvalid) as caught:
        guides.parse(path)
    assert problem in str(caught.value)
    assert str(caught.value).startswith("cadre-juridique.md, ligne ")


def test_a_header_problem_names_its_own_line(tmp_path):
    path = tmp_path / "cadre-juridique.md"
    path.write_text(GUIDE.replace("module: cadre-juridique", "module: nulle-part")
                    .replace("---\nmodule", "---\ntitle_fr: T\nmodule", 1)
                    .replace("title_fr: Titre\n", ""), encoding="utf-8")
    with pytest.raises(guides.GuideInvalid, match="ligne 3 : module inconnu"):
        guides.parse(path)


def test_a_guide_is_named_after_its_module(tmp_path):
    path = tmp_path / "autre-nom.md"
    path.write_text(GUIDE, encoding="utf-8")
    with pytest.raises(guides.GuideInvalid, match="cadre-juridique.md"):
        guides.parse(path)
    good = tmp_path / "cadre-juridique.md"
    good.write_text(GUIDE, encoding="utf-8")
    assert guides.parse(good).blocks() == {"echeancier"}


def test_the_shipped_guides_are_the_modules_files():
    names = {path.stem for path in Path(guides.GUIDES_DIR).glob("*.md")}
    assert names == {g.slug for g in guides.all_guides()}
