"""Format checks of structure identifiers and VAT numbers (reference §3.1).

A qualification instance accepts a SIRET whose check digit is wrong: Chorus Pro's own
qualification hands out such fictitious SIRETs, and test data built on them must work the
same here (`siret_key_warning` gives the portal a line saying so). Production refuses them.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siret as fr_siret

from choeur.organisations.errors import InvalidIdentifier, InvalidVatNumber
from choeur.organisations.models import IdentifierType

EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}


def _fail(identifier: str, type_: str, reason_fr: str, reason_en: str):
    raise InvalidIdentifier(
        identifier=identifier, type_label=IdentifierType(type_).label, reason=reason_fr,
        reason_en=reason_en,
    )


def _wrong_keys_tolerated() -> bool:
    return settings.CHOEUR_ENVIRONMENT == "qualification"


def siret_key_warning(type_: str, value: str) -> str:
    """What to tell the user about an accepted identifier whose check digit is wrong (only a
    qualification instance accepts one); "" when there is nothing to say."""
    if type_ != IdentifierType.SIRET or fr_siret.is_valid(value):
        return ""
    return _("La clé de contrôle du SIRET %(siret)s est fausse : l'environnement de "
             "qualification l'accepte, comme les SIRET fictifs de Chorus Pro, mais la "
             "production le refusera.") % {"siret": value}


def normalise_identifier(type_: str, raw: str) -> str:
    """Check an identifier's format for its type; return its canonical spelling."""
    value = re.sub(r"[\s.]", "", raw or "").upper()
    if type_ == IdentifierType.SIRET:
        if not re.fullmatch(r"\d{14}", value):
            _fail(raw, type_, "14 chiffres attendus.", "14 digits expected.")
        if not fr_siret.is_valid(value) and not _wrong_keys_tolerated():
            _fail(raw, type_, "la clé de contrôle est fausse (vérifiez chaque chiffre).",
                  "its check digit is wrong (check every digit).")
        return value
    if type_ == IdentifierType.UE_HORS_FRANCE:
        if not 3 <= len(value) <= 18 or value[:2] not in EU_COUNTRIES:
            _fail(raw, type_, "numéro de TVA d'un pays de l'Union, préfixe du pays compris "
                  "(18 caractères au plus).", "an EU VAT number with its country prefix "
                  "(18 characters at most).")
        if value.startswith("FR"):
            _fail(raw, type_, "une structure française s'identifie par son SIRET.",
                  "a French structure is identified by its SIRET.")
        if not eu_vat.is_valid(value):
            _fail(raw, type_, "le numéro ne respecte pas le format ou la clé de son pays.",
                  "the number does not match its country's format or check digits.")
        return value
    if type_ == IdentifierType.HORS_UE:
        value = re.sub(r"\s+", "", (raw or "").upper())
        if not re.fullmatch(r"[A-Z]{2}[A-Z0-9&'\-]{1,16}", value) or value[:2] in EU_COUNTRIES:
            _fail(raw, type_, "code pays hors UE (2 lettres) suivi des 16 premiers caractères "
                  "de la raison sociale, 3 à 18 caractères.", "a non-EU country code (2 "
                  "letters) followed by the first 16 characters of the company name, 3 to 18 "
                  "characters.")
        return value
    if type_ == IdentifierType.RIDET:
        if not re.fullmatch(r"\d{9,10}", value):
            _fail(raw, type_, "9 ou 10 chiffres attendus.", "9 or 10 digits expected.")
        return value
    if type_ == IdentifierType.TAHITI:
        if not re.fullmatch(r"[A-Z0-9]{9}", value):
            _fail(raw, type_, "9 caractères (lettres et chiffres) attendus.",
                  "9 characters (letters and digits) expected.")
        return value
    if type_ in (IdentifierType.AUTRE, IdentifierType.PARTICULIER):
        value = (raw or "").strip().upper()
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9 \-_/.]{0,79}", value):
            _fail(raw, type_, "1 à 80 caractères parmi lettres, chiffres, espace, - _ / .",
                  "1 to 80 characters among letters, digits, space, - _ / .")
        return value
    raise InvalidIdentifier(identifier=raw, type_label=type_, reason="type inconnu.",
                            reason_en="unknown type.")


def normalise_vat(raw: str, siret: str | None = None) -> str:
    """Check a VAT number (any EU country); a French one must match the structure's SIREN."""
    value = re.sub(r"[\s.\-]", "", raw or "").upper()
    if not value:
        return ""
    try:
        value = eu_vat.validate(value)
    except stdnum_errors.ValidationError:
        raise InvalidVatNumber(vat=raw, detail_fr="", detail_en="") from None
    if siret and value.startswith("FR") and value[4:] != siret[:9]:
        raise InvalidVatNumber(
            vat=raw,
            detail_fr=f" : il ne correspond pas au SIREN {siret[:9]} de la structure",
            detail_en=f": it does not match the structure's SIREN {siret[:9]}",
        )
    return value
