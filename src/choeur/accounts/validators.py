"""Password rules that Django does not ship (registered in AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> set[str]:
    """Which of the four classes the password uses: lower, upper, digit, symbol."""
    classes = set()
    for char in password:
        if char.isdigit():
            classes.add("digit")
        elif char.islower():
            classes.add("lower")
        elif char.isupper():
            classes.add("upper")
        else:
            classes.add("symbol")  # punctuation, signs, spaces, other scripts
    return classes


class CharacterClassesValidator:
    """At least `min_classes` of: lower case, upper case, digit, symbol."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len(character_classes(password or "")) < self.min_classes:
            raise ValidationError(
                _(
                    "Ce mot de passe doit mélanger au moins %(min)d de ces 4 types de "
                    "caractères : minuscules, majuscules, chiffres, symboles."
                ),
                code="password_too_few_character_classes",
                params={"min": self.min_classes},
            )

    def get_help_text(self):
        return _(
            "Votre mot de passe doit mélanger au moins %(min)d de ces 4 types de caractères : "
            "minuscules, majuscules, chiffres, symboles."
        ) % {"min": self.min_classes}
