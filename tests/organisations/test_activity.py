"""« Activités du gestionnaire » tells every audit kind of the organisations feature as a
sentence, in French and in English, with its parameters; an unknown kind still reads."""

import re
from pathlib import Path

import pytest
from django.utils import translation

import choeur
from choeur.core.models import AuditEvent
from choeur.organisations import activity

SOURCES = Path(choeur.__file__).parent
KIND = re.compile(r'"(organisations\.[a-z_]+)"')


def recorded_kinds() -> set[str]:
    """Every `organisations.*` kind written in the sources (they are whole literals: no kind
    is assembled from pieces, so that this walk finds them all)."""
    kinds = set()
    for path in SOURCES.rglob("*.py"):
        if path.name == "activity.py" or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "audit.record" not in text and "record_many" not in text:
            continue
        kinds.update(KIND.findall(text))
    return kinds


def event(action: str, **details) -> AuditEvent:
    return AuditEvent(action=action, actor_type="accounts.user", actor_label="gp@acme.fr",
                      object_label="COMPTA — Comptabilité", details=details)


DETAILS = {
    "user": "membre@acme.fr", "espace": "FACTURES_RECUES", "mode": "CONSULTATION",
    "role": "GESTIONNAIRE", "services": ["COMPTA"], "reason": "inconnu",
    "fields": ["city", "service_code_required"], "new_identifier": "55208131766522",
    "new": "autre@acme.fr", "iban": "FR14 **** 2606", "created": 3, "updated": 1,
    "services_created": 4, "services_updated": 0,
}


def test_every_recorded_kind_has_its_sentence():
    kinds = recorded_kinds()
    assert "organisations.espace_opened" in kinds and len(kinds) >= 30
    assert sorted(kinds - set(activity.SENTENCES)) == []


@pytest.mark.parametrize("kind", sorted(activity.SENTENCES))
def test_each_sentence_reads_in_french_and_english(kind):
    with translation.override("fr"):
        french = activity.sentence(event(kind, **DETAILS))
    with translation.override("en"):
        english = activity.sentence(event(kind, **DETAILS))
    for text in (french, english):
        assert text.startswith("gp@acme.fr ") and text.endswith(".")
        assert "organisations." not in text and "%(" not in text
        assert "FACTURES_RECUES" not in text and "service_code_required" not in text
    assert french != english


def test_parameters_are_named_in_words():
    with translation.override("fr"):
        assert activity.sentence(event("organisations.espace_opened", espace="FACTURES_RECUES")) \
            == "gp@acme.fr a ouvert l'espace « Factures reçues »."
        assert activity.sentence(event("organisations.structure_updated",
                                       fields=["city", "service_code_required"])) == (
            "gp@acme.fr a modifié la structure COMPTA — Comptabilité : ville, "
            "Code service obligatoire.")
        assert activity.sentence(event("organisations.habilitation_set", user="m@acme.fr",
                                       espace="ENGAGEMENTS", mode="")) == (
            "gp@acme.fr a réglé l'accès de m@acme.fr à l'espace « Engagements » : aucun accès.")
    with translation.override("en"):
        assert activity.sentence(event("organisations.espace_opened", espace="FACTURES_RECUES")) \
            == "gp@acme.fr opened the “Factures reçues” area."


def test_an_unknown_kind_still_reads():
    with translation.override("fr"):
        text = activity.sentence(event("organisations.something_new"))
    assert text == "gp@acme.fr : action « something new » sur COMPTA — Comptabilité."
    with translation.override("en"):
        assert activity.sentence(event("webhooks.created")) == (
            "gp@acme.fr: action “created” on COMPTA — Comptabilité.")
