"""The English catalogue is complete and its compiled .mo matches the .po."""

import gettext
import re
from pathlib import Path

import choeur

LOCALE = Path(choeur.__file__).parent / "locale"


def _po_entries(path: Path) -> dict[str, str]:
    entries = {}
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.MULTILINE)
    for match in pattern.finditer(text):
        def join(block):
            return "".join(re.findall(r'"(.*)"', block)).encode().decode("unicode_escape")

        msgid = join(match.group(1))
        if msgid:
            entries[msgid.encode("latin-1").decode("utf-8")] = join(
                match.group(2)).encode("latin-1").decode("utf-8")
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
    stale = {k: v for k, v in entries.items() if compiled.gettext(k) != v}
    assert stale == {}, "run `make messages` to recompile the catalogue"
