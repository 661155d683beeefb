"""`money` and `unit_label`: the portal's one way of showing an amount and a unit, in the
page's language (the functions are `choeur.formats.display`'s, shared with the PDFs).
Registered as template builtins (settings.TEMPLATES), so no template has to load them."""

from django import template
from django.utils import translation

from choeur.formats import display

register = template.Library()


@register.filter
def money(value, currency=None):
    """`{{ invoice.total_ttc|money:invoice.currency }}` → « 12 345,67 € »; "—" for none."""
    text = display.money(value, translation.get_language() or "fr", currency or None)
    return text or "—"


@register.filter
def unit_label(code):
    """`{{ line.unit|unit_label }}` → « mètre carré (MTK) »; "—" for none."""
    return display.unit_label(code, translation.get_language() or "fr") or "—"
