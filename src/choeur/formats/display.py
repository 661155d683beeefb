"""How amounts and units are shown to people: the portal's pages and lists (through the
`money` and `unit_label` template filters of `choeur.web`) and the PDFs Choeur writes (the
Factur-X readable page, the certificat de dépôt) all call these two functions, so a figure
reads the same everywhere.

French: `12 345,67 €` — groups of three separated by a no-break space (U+00A0), decimal
comma, a no-break space before the currency. U+00A0 rather than the narrow U+202F because the
fonts embedded in the PDFs (reportlab's Vera) have no glyph for U+202F: one separator
everywhere, the one every font has. English: `€12,345.67` (`12,345.67 USD` for a currency
without a symbol here).

Units: UN/ECE Recommendation 20 codes (BT-130) are shown as their name with the code,
« mètre carré (MTK) »; the names are those of Recommendation 20 (English) and their usual
French equivalents, for the codes Choeur offers and writes. A code outside the table is shown
as it is.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

NBSP = "\u00a0"

CURRENCY_SYMBOLS = {"EUR": "€"}

#: Rec. 20 code → (French name, English name). Every code `choeur.invoicing` offers in its
#: forms or keeps when it writes BT-130 (`documents.UNIT_CODES`) has its names here.
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "C62": ("unité", "one"),
    "H87": ("pièce", "piece"),
    "EA": ("chaque", "each"),
    "E48": ("unité de service", "service unit"),
    "LS": ("forfait", "lump sum"),
    "SET": ("lot", "set"),
    "PR": ("paire", "pair"),
    "NAR": ("nombre d'articles", "number of articles"),
    "P1": ("pour cent", "percent"),
    "HUR": ("heure", "hour"),
    "MIN": ("minute", "minute"),
    "SEC": ("seconde", "second"),
    "DAY": ("jour", "day"),
    "WEE": ("semaine", "week"),
    "MON": ("mois", "month"),
    "ANN": ("année", "year"),
    "KGM": ("kilogramme", "kilogram"),
    "GRM": ("gramme", "gram"),
    "TNE": ("tonne", "tonne"),
    "MTR": ("mètre", "metre"),
    "KMT": ("kilomètre", "kilometre"),
    "CMT": ("centimètre", "centimetre"),
    "MMT": ("millimètre", "millimetre"),
    "MTK": ("mètre carré", "square metre"),
    "MTQ": ("mètre cube", "cubic metre"),
    "LTR": ("litre", "litre"),
    "CLT": ("centilitre", "centilitre"),
    "MLT": ("millilitre", "millilitre"),
    "KWH": ("kilowattheure", "kilowatt hour"),
    "MWH": ("mégawattheure", "megawatt hour"),
    "KWT": ("kilowatt", "kilowatt"),
}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None


def money(value, language: str = "fr", currency: str | None = None) -> str:
    """An amount for people: two decimals (more only when the value has more, e.g. a unit
    price of 0.125), grouped thousands, the currency's symbol or code when given.
    "" for None or a value that is not a number."""
    amount = _decimal(value)
    if amount is None:
        return ""
    digits = -amount.normalize().as_tuple().exponent if amount.is_finite() else 0
    places = max(2, min(int(digits), 6))
    text = f"{amount:,.{places}f}"
    english = (language or "fr").lower().startswith("en")
    if not english:
        text = text.replace(",", NBSP).replace(".", ",")
    if not currency:
        return text
    code = currency.strip().upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if english and symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text}{NBSP}{symbol or code}"


def unit_name(code: str | None, language: str = "fr") -> str | None:
    """The Rec. 20 name of a unit code in the language, or None when the code is unknown."""
    names = UNIT_NAMES.get((code or "").strip().upper())
    if names is None:
        return None
    return names[1] if (language or "fr").lower().startswith("en") else names[0]


def unit_label(code: str | None, language: str = "fr") -> str:
    """« mètre carré (MTK) »; an unknown code as it is; "" for none."""
    code = (code or "").strip()
    name = unit_name(code, language)
    return f"{name} ({code.upper()})" if name else code


__all__ = ["NBSP", "UNIT_NAMES", "money", "unit_label", "unit_name"]
