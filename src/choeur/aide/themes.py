"""The help centre's themes, in the order the index page shows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    slug: str
    fr: str
    en: str

    def label(self, english: bool) -> str:
        return self.en if english else self.fr


THEMES = (
    Theme("compte", "Compte et connexion", "Account and signing in"),
    Theme("structures", "Structures, services et habilitations",
          "Structures, services and habilitations"),
    Theme("depot", "Déposer une facture", "Depositing an invoice"),
    Theme("suivi", "Suivre ses factures", "Following your invoices"),
    Theme("reception", "Factures reçues et validation", "Received invoices and validation"),
    Theme("engagements", "Engagements et commandes", "Engagements and orders"),
    Theme("travaux", "Factures de travaux", "Works invoices"),
    Theme("raccordements", "API, flux et raccordements", "API, flux and connections"),
    Theme("qualification", "Environnement de qualification", "Qualification environment"),
    Theme("formation", "Formation", "Training"),
    Theme("erreurs", "Codes d'erreur", "Error codes"),
)
BY_SLUG = {theme.slug: theme for theme in THEMES}
ERRORS = "erreurs"
