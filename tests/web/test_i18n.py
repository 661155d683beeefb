"""The English catalogue is complete and its compiled .mo matches the .po."""

import gettext
import re
from pathlib import Path

import choeur

LOCALE = Path(choeur.__file__).parent / "locale"


def _po_entries(path: Path) -> dict[tuple[str | None, str], str]:
    """(context or None, msgid) → msgstr: "Nom" (a service's name) and "Nom" in the context
    "personne" (a person's last name) are two entries."""
    entries = {}
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)',
                         re.MULTILINE)
    for match in pattern.finditer(text):
        def join(block):
            return "".join(re.findall(r'"(.*)"', block)).encode().decode("unicode_escape")

        def utf8(value):
            return value.encode("latin-1").decode("utf-8")

        msgid = join(match.group(2))
        if msgid:
            context = utf8(match.group(1)) if match.group(1) is not None else None
            entries[(context, utf8(msgid))] = utf8(join(match.group(3)))
    return entries


def test_every_string_has_an_english_translation():
    entries = _po_entries(LOCALE / "en/LC_MESSAGES/django.po")
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []


def test_compiled_catalogue_is_up_to_date():
    entries = _po_entries(LOCALE / "en/LC_MESSAGES/django.po")
    with open(LOCALE / "en/LC_MESSAGES/django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = {k: v for k, v in entries.items()
             if (compiled.pgettext(k[0], k[1]) if k[0] else compiled.gettext(k[1])) != v}
    assert stale == {}, "run `make messages` to recompile the catalogue"


def test_nom_is_a_last_name_only_for_a_person():
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("en"):
        assert pgettext("personne", "Nom") == "Last name"
        assert gettext("Nom") == "Name"  # a service's or a structure's name
