"""Hostile and broken inputs through the whole engine: a coded finding each, never a crash
or a hang."""

import io
import time
import zipfile
from pathlib import Path

import pytest

from choeur.formats import Severity, default_engine

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
UBL = (CORPUS / "cen/ubl-examples/ubl-tc434-example2.xml").read_bytes()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>"""
DEEP = b"<a>" * 5000 + b"</a>" * 5000


def rules_of(data: bytes) -> list[str]:
    started = time.perf_counter()
    report = default_engine().validate(data)
    assert time.perf_counter() - started < 10
    assert report.findings, "a hostile input must say something"
    for finding in report.findings:
        assert finding.message_fr and finding.message_en
    return [f.rule for f in report.findings]


@pytest.mark.parametrize(("data", "rule"), [
    (b"", "INPUT_EMPTY"),
    (b"   \n", "INPUT_EMPTY"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "INPUT_UNKNOWN_FORMAT"),
    (BILLION_LAUGHS, "XML_FORBIDDEN_DTD"),
    (XXE, "XML_FORBIDDEN_DTD"),
    (DEEP, "XML_TOO_DEEP"),
    (UBL[: len(UBL) // 2], "XML_MALFORMED"),
    (b"<html><body>hello</body></html>", "INPUT_NOT_AN_INVOICE"),
    (UBL.replace(b'encoding="UTF-8"', b'encoding="EBCDIC-CP-US"'), "INPUT_ENCODING"),
    # truncated UTF-16 (declared as such: declared UTF-8 it is XML_ENCODING_MISMATCH)
    (UBL.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode().encode("utf-16")[:200],
     "XML_MALFORMED"),
    (b"<?xml version='1.0' encoding='UTF-8'?><x>\xff\xfe\xfa</x>", "INPUT_ENCODING"),
])
def test_hostile_xml(data, rule):
    assert rule in rules_of(data)


def test_oversized_xml():
    big = b"<a>" + b"x" * (21 * 1024 * 1024) + b"</a>"
    assert "XML_TOO_LARGE" in rules_of(big)


def test_an_archive_is_not_a_single_invoice():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", UBL)
    assert rules_of(buffer.getvalue()) == ["INPUT_BATCH"]


def test_corpus_hostile_files():
    for path in sorted((CORPUS / "zugferd/other").glob("*")):
        report = default_engine().validate(path.read_bytes())
        assert not report.valid, path
    plain = next((CORPUS / "zugferd/unstructured").glob("*.pdf"))
    assert rules_of(plain.read_bytes()) == ["PDF_NO_INVOICE_XML"]


def test_truncated_pdf():
    pdf = next((CORPUS / "zugferd/XML-Rechnung/FX").glob("*.pdf")).read_bytes()
    report = default_engine().validate(pdf[: len(pdf) // 2])
    assert any(f.rule == "PDF_UNREADABLE" and f.severity == Severity.FATAL
               for f in report.findings)
    assert not report.readable


def test_engine_failure_is_fatal_never_silent(monkeypatch):
    engine = default_engine()

    def broken(*args, **kwargs):
        raise RuntimeError("stylesheet exploded")

    monkeypatch.setattr(engine, "executable", broken)
    report = engine.validate(UBL)
    assert any(f.rule == "RULES_ENGINE_FAILED" and f.severity == Severity.FATAL
               for f in report.findings)
    assert not report.valid


def test_one_engine_serves_threads():
    """gunicorn runs threads: concurrent validations on one engine give each its own verdict."""
    from concurrent.futures import ThreadPoolExecutor

    good = (CORPUS / "cen/cii-examples/CII_example1.xml").read_bytes()
    bad = (CORPUS / "zugferd/XML-Rechnung/UBL/EN16931_ElektronischeAdresse.ubl.xml").read_bytes()
    pdf = next((CORPUS / "zugferd/XML-Rechnung/FX").glob("EN16931_*.pdf")).read_bytes()
    engine = default_engine()
    expected = {name: engine.validate(blob).failed_rules
                for name, blob in (("good", good), ("bad", bad), ("pdf", pdf))}
    jobs = [("good", good), ("bad", bad), ("pdf", pdf)] * 8
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: (job[0], engine.validate(job[1]).failed_rules),
                                jobs))
    assert all(rules == expected[name] for name, rules in results)


def test_rules_without_id_are_explained_in_words():
    report = default_engine().validate((CORPUS / "cen/cii-examples/CII_example5.xml").read_bytes())
    [first, *_] = [f for f in report.findings if f.rule == "UNNAMED_RULE"]
    assert first.rule_text.startswith("Element variant")
    assert first.message_fr.startswith("L'élément ram:AdditionalReferencedDocument")
    assert "profil" in first.hint_fr and "profile" in first.hint_en


@pytest.mark.parametrize("levels, refused", [(128, False), (129, True), (200, True)])
def test_depth_limit_is_exact(levels, refused):
    from choeur.formats import xmlparse

    parsed = xmlparse.parse(b"<a>" * levels + b"</a>" * levels)
    assert (parsed.root is None) is refused
    if refused:
        [finding] = parsed.findings
        assert finding.rule == "XML_TOO_DEEP" and str(levels) in finding.message_fr
