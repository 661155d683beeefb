"""Categories and sub-categories of a sollicitation (reference §6.2: both mandatory; they
route the ticket either to the platform's support or to the public structure concerned, its
« service métier »). In code, not in the database: each entry's routing is part of the
design (docs/SOLLICITATIONS.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SUPPORT = "SUPPORT"
STRUCTURE = "STRUCTURE"


@dataclass(frozen=True)
class SubCategory:
    code: str
    label: object
    route: str  # SUPPORT or STRUCTURE
    #: Offered to a logged-out sender (sign-in problems): always routed to the support.
    logged_out: bool = False


@dataclass(frozen=True)
class Category:
    code: str
    label: object
    subcategories: tuple[SubCategory, ...]


CATEGORIES: tuple[Category, ...] = (
    Category("COMPTE", _("Compte et connexion"), (
        SubCategory("CONNEXION", _("Impossible de me connecter"), SUPPORT, logged_out=True),
        SubCategory("ACTIVATION", _("Activation du compte"), SUPPORT, logged_out=True),
        SubCategory("MOT_DE_PASSE", _("Mot de passe ou second facteur"), SUPPORT,
                    logged_out=True),
        SubCategory("RATTACHEMENT", _("Rattachement à une structure"), SUPPORT),
    )),
    Category("FACTURE", _("Factures"), (
        SubCategory("SUIVI", _("Suivi du traitement d'une facture"), STRUCTURE),
        SubCategory("REJET", _("Facture rejetée ou suspendue"), STRUCTURE),
        SubCategory("PAIEMENT", _("Paiement d'une facture"), STRUCTURE),
        SubCategory("DEPOT", _("Anomalie lors du dépôt d'une facture"), SUPPORT),
    )),
    Category("TRAVAUX", _("Factures de travaux"), (
        SubCategory("DOSSIER", _("Dossier de facturation de travaux"), STRUCTURE),
    )),
    Category("ENGAGEMENT", _("Engagements"), (
        SubCategory("ENGAGEMENT", _("Engagement juridique ou bon de commande"), STRUCTURE),
    )),
    Category("RACCORDEMENT", _("Flux et raccordements (EDI, API)"), (
        SubCategory("FLUX", _("Flux rejeté ou en incident"), SUPPORT),
        SubCategory("API", _("Raccordement par API"), SUPPORT),
    )),
    Category("GENERAL", _("Demande d'ordre général"), (
        SubCategory("ENTITE_PUBLIQUE", _("Question à une entité publique"), STRUCTURE),
        SubCategory("PLATEFORME", _("Question sur la plateforme"), SUPPORT),
    )),
)

_BY_CODE = {(c.code, s.code): (c, s) for c in CATEGORIES for s in c.subcategories}


def find(category: str, subcategory: str) -> tuple[Category, SubCategory] | None:
    return _BY_CODE.get(((category or "").strip(), (subcategory or "").strip()))


def choices(logged_out: bool = False) -> list[tuple[str, str]]:
    """`CATEGORY/SUB` values for a single select, grouped by category label."""
    groups = []
    for category in CATEGORIES:
        options = [(f"{category.code}/{sub.code}", sub.label) for sub in category.subcategories
                   if sub.logged_out or not logged_out]
        if options:
            groups.append((category.label, options))
    return groups


def labels(category: str, subcategory: str) -> tuple[str, str]:
    found = find(category, subcategory)
    if found is None:
        return category, subcategory
    return str(found[0].label), str(found[1].label)
