"""Random mutations of real invoices fed to every entry point of `choeur.formats` (issue 19):
never a crash, every failure coded.

Seeds: invoices the project writes itself (CII, UBL, a UBL credit note, a Factur-X PDF), so
that the test runs on a machine with the project only, plus a few files of the shared corpus
(`../shared/corpus/`) when it is there. Mutations: byte flips, truncation, chunk deletion and
duplication, element deletion / duplication / renaming, attribute and text changes, another
encoding (declared or not, with or without a BOM), and for PDFs the same on the file's bytes
plus a Factur-X PDF carrying a mutated XML.

Entry points: `validate` (detection, container, XML, profile, XSD, rules), `read` (the
normalised model, also of the XML a validation extracted, and the model's PDF rendering, as a
deposit makes it), `pdf.extract_invoice`,
`archives.iter_archive`, `xmlparse.parse`. Only `ReadError` (with a `READ_…` code) may
escape, and only from `read`; every finding has a code and words in both languages; a report
that is not valid says why (a blocking finding).

Bounded and reproducible: derandomised, CHOEUR_FUZZ_EXAMPLES examples per test (default 25);
set it higher for a longer hunt (e.g. 500).
"""

from __future__ import annotations

import copy
import functools
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from choeur.formats import ReadError, Report, archives, default_engine, pdf, read, xmlparse
from choeur.formats.findings import Finding
from choeur.formats.writers import render_pdf, to_cii, to_facturx_pdf, to_ubl
from tests.formats.test_writers import b2g_invoice, credit_note

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CORPUS_SAMPLE = (
    "zugferd/XML-Rechnung/CII/EN16931_1_Teilrechnung.cii.xml",
    "zugferd/XML-Rechnung/UBL/EN16931_Einfach.ubl.xml",
    "zugferd/XML-Rechnung/FX/EN16931_Einfach.pdf",
    "zugferd/ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_FR_BASICWL.pdf",
    "cen/ubl-examples/ubl-tc434-example2.xml",
)
EXAMPLES = int(os.environ.get("CHOEUR_FUZZ_EXAMPLES", "25"))
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CODE = re.compile(r"^[A-Za-z0-9_.\-()#]+$")


@functools.cache
def seeds() -> dict[str, bytes]:
    found = {
        "cii": to_cii(b2g_invoice()),
        "ubl": to_ubl(b2g_invoice()),
        "ubl-credit-note": to_ubl(credit_note()),
        "facturx-pdf": to_facturx_pdf(b2g_invoice()),
    }
    for path in CORPUS_SAMPLE:
        if (CORPUS / path).is_file():
            found[path] = (CORPUS / path).read_bytes()
    return found


def xml_seeds() -> list[str]:
    return sorted(name for name, data in seeds().items() if not data.startswith(b"%PDF"))


def pdf_seeds() -> list[str]:
    return sorted(name for name, data in seeds().items() if data.startswith(b"%PDF"))


# --- the checks -----------------------------------------------------------------------------------

def assert_coded(findings: list[Finding]) -> None:
    for finding in findings:
        assert isinstance(finding, Finding)
        assert finding.rule and CODE.match(finding.rule), finding
        assert finding.message_fr.strip() and finding.message_en.strip(), finding


def check_validate(data: bytes) -> Report:
    report = default_engine().validate(data, "fuzz")
    assert isinstance(report, Report)
    assert_coded(report.findings)
    if not report.valid:
        assert any(f.blocking for f in report.findings), report.findings
    if report.xml:
        check_read(report.xml)
    return report


def check_read(data: bytes) -> None:
    try:
        invoice = read(data)
    except ReadError as exc:
        assert exc.code.startswith("READ_") and CODE.match(exc.code), exc.code
        assert exc.message_fr.strip() and exc.message_en.strip()
        return
    render_pdf(invoice)  # what a deposit does with what it read: its readable rendering


def check_everything(data: bytes) -> None:
    check_validate(data)
    check_read(data)
    parsed = xmlparse.parse(data)
    assert_coded(parsed.findings)
    if parsed.root is None:
        assert parsed.findings
    if data.startswith(b"%PDF"):
        result = pdf.extract_invoice(data)
        assert_coded(result.findings)
        if result.xml is None:
            assert result.findings
    batch = archives.iter_archive(data)
    assert_coded(batch.findings)


# --- the mutations --------------------------------------------------------------------------------

@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert"]))
    size = len(data)
    at = draw(st.integers(0, size - 1))
    if kind == "flip":
        out = bytearray(data)
        for position in [at] + draw(st.lists(st.integers(0, size - 1), max_size=7)):
            out[position] = draw(st.integers(0, 255))
        return bytes(out)
    if kind == "truncate":
        return data[:at]
    length = draw(st.integers(1, min(4096, size - at)))
    if kind == "delete":
        return data[:at] + data[at + length:]
    if kind == "duplicate":
        return data[:at + length] + data[at:at + length] + data[at + length:]
    return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]


WEIRD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "-1", "1e400", "NaN", "0.000000001", "99999999999999999999.99",
                     "2026-02-30", "20261399", "FR", "ZZ", "EUR", "XXX", "\u202e", "&amp;",
                     "<![CDATA[x]]>", "urn:cen.eu:en16931:2017", "urn:factur-x.eu:1p0:minimum",
                     "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"]),
)


def _legal(text: str) -> str:
    """Characters XML can carry (lxml refuses the others at once, before any reader)."""
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff")
                   or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000")


@st.composite
def tree_mutation(draw, data: bytes) -> bytes:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    elements = list(root.iter(etree.Element))
    target = elements[draw(st.integers(0, len(elements) - 1))]
    parent = target.getparent()
    kind = draw(st.sampled_from(["delete", "duplicate", "text", "attribute", "rename",
                                 "empty", "move"]))
    if kind == "delete" and parent is not None:
        parent.remove(target)
    elif kind == "duplicate" and parent is not None:
        parent.insert(parent.index(target), copy.deepcopy(target))
    elif kind == "text":
        target.text = _legal(draw(WEIRD_TEXT))
    elif kind == "attribute":
        names = list(target.attrib) + ["currencyID", "schemeID", "unitCode", "format"]
        target.set(draw(st.sampled_from(names)), _legal(draw(WEIRD_TEXT)))
    elif kind == "rename":
        namespace = draw(st.sampled_from([etree.QName(target).namespace, None, "urn:x"]))
        local = draw(st.sampled_from([etree.QName(target).localname, "Invoice", "X",
                                      "CrossIndustryInvoice", "CreditNote"]))
        target.tag = f"{{{namespace}}}{local}" if namespace else local
    elif kind == "empty":
        for child in list(target):
            target.remove(child)
        target.text = None
    elif kind == "move" and parent is not None:
        parent.remove(target)
        elements = list(root.iter(etree.Element))
        destination = elements[draw(st.integers(0, len(elements) - 1))]
        destination.append(target)
    return etree.tostring(root, xml_declaration=draw(st.booleans()), encoding="UTF-8")


@st.composite
def encoding_mutation(draw, data: bytes) -> bytes:
    text = data.decode("utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1",
                                     "cp1252", "ascii", "utf-32"]))
    declared = draw(st.sampled_from([encoding, "UTF-8", "ISO-8859-1", "UTF-16", "EBCDIC-US",
                                     "nonsense", None]))
    if declared:
        text = f'<?xml version="1.0" encoding="{declared}"?>\n{text}'
    body = text.encode(encoding, errors=draw(st.sampled_from(["xmlcharrefreplace",
                                                                "replace"])))
    if draw(st.booleans()):
        body = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + body
    return body


@st.composite
def xml_inputs(draw) -> bytes:
    data = seeds()[draw(st.sampled_from(xml_seeds()))]
    kind = draw(st.sampled_from(["bytes", "tree", "tree", "tree", "encoding", "tree+bytes"]))
    if kind == "bytes":
        return draw(byte_mutation(data))
    if kind == "encoding":
        return draw(encoding_mutation(data))
    mutated = draw(tree_mutation(data))
    if kind == "tree+bytes":
        mutated = draw(byte_mutation(mutated))
    return mutated


# --- the tests ------------------------------------------------------------------------------------

def test_the_seeds_are_valid_or_coded():
    for name, data in seeds().items():
        report = check_validate(data)
        assert report.readable, name


@FUZZ
@given(xml_inputs())
def test_mutated_xml_never_crashes_and_every_failure_is_coded(data):
    check_everything(data)


@FUZZ
@given(st.data())
def test_mutated_pdf_never_crashes_and_every_failure_is_coded(data):
    seed = seeds()[data.draw(st.sampled_from(pdf_seeds()))]
    check_everything(data.draw(byte_mutation(seed)))


PDF_VALUES = st.sampled_from(["name", "string", "int", "negative", "array", "dict", "null",
                              "huge"])


def _pdf_value(kind: str):
    import pikepdf

    return {"name": pikepdf.Name("/Bogus"), "string": pikepdf.String("x"), "int": 3,
            "negative": -1, "array": pikepdf.Array([pikepdf.Name("/FlateDecode")] * 3),
            "dict": pikepdf.Dictionary(), "null": None, "huge": 2**62}[kind]


@st.composite
def structure_mutation(draw, data: bytes) -> bytes:
    """A change to the Factur-X structure (the attachment, its filters, its size, the /AF
    and name tree, the XMP), written as a new well-formed PDF."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as document:
        specs = list(document.Root.Names.EmbeddedFiles.Names)[1::2] \
            if "/Names" in document.Root else []
        spec = specs[0] if specs else pikepdf.Dictionary()
        stream = spec.get("/EF", {}).get("/F") if "/EF" in spec else None
        kind = draw(st.sampled_from(["content", "filter", "parms", "length", "size", "af",
                                     "names", "spec", "xmp", "subtype"]))
        if kind == "content" and stream is not None:
            stream.write(draw(st.one_of(st.binary(max_size=200),
                                        tree_mutation(seeds()["cii"]))))
        elif kind == "filter" and stream is not None:
            stream.Filter = draw(st.sampled_from([
                pikepdf.Name("/FlateDecode"), pikepdf.Name("/LZWDecode"),
                pikepdf.Name("/ASCIIHexDecode"), pikepdf.Name("/ASCII85Decode"),
                pikepdf.Name("/RunLengthDecode"), pikepdf.Name("/DCTDecode"),
                pikepdf.Array([pikepdf.Name("/ASCIIHexDecode")] * 9), pikepdf.String("x"), 7]))
        elif kind == "parms" and stream is not None:
            stream.DecodeParms = pikepdf.Dictionary(Predictor=_pdf_value(draw(PDF_VALUES)))
        elif kind == "length" and stream is not None:
            stream.Length = _pdf_value(draw(PDF_VALUES))
        elif kind == "size" and stream is not None:
            stream.Params = pikepdf.Dictionary(Size=_pdf_value(draw(PDF_VALUES)))
        elif kind == "af":
            document.Root.AF = _pdf_value(draw(PDF_VALUES))
        elif kind == "names" and "/Names" in document.Root:
            document.Root.Names.EmbeddedFiles.Names = _pdf_value(draw(PDF_VALUES))
        elif kind == "spec":
            key = draw(st.sampled_from(["/F", "/UF", "/AFRelationship", "/EF", "/Type"]))
            spec[key] = _pdf_value(draw(PDF_VALUES))
        elif kind == "xmp" and "/Metadata" in document.Root:
            document.Root.Metadata.write(draw(st.one_of(
                st.binary(max_size=200),
                st.just(document.Root.Metadata.read_bytes().replace(b"EN 16931",
                                                                     b"EXTENDED")))))
        elif kind == "subtype" and stream is not None:
            stream.Subtype = _pdf_value(draw(PDF_VALUES))
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


@FUZZ
@given(st.data())
def test_a_facturx_pdf_of_another_structure_is_coded(data):
    seed = seeds()[data.draw(st.sampled_from(pdf_seeds()))]
    try:
        mutated = data.draw(structure_mutation(seed))
    except (ValueError, TypeError, AttributeError, KeyError):  # pikepdf refused the change
        return
    check_everything(mutated)


@pytest.fixture(scope="module")
def page() -> bytes:
    return render_pdf(b2g_invoice())


@settings(FUZZ, max_examples=max(5, EXAMPLES // 3))
@given(data=st.data())
def test_a_facturx_pdf_carrying_a_mutated_xml_is_coded(page, data):
    import facturx

    xml = data.draw(tree_mutation(seeds()["cii"]))
    try:
        document = facturx.generate_from_binary(page, xml, flavor="factur-x", level="en16931",
                                                check_xsd=False)
    except Exception:  # the generator refuses what it cannot place: nothing to test
        return
    check_everything(document)


@FUZZ
@given(st.data())
def test_a_mutated_zip_batch_is_coded(data):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", seeds()["cii"])
        archive.writestr("b.xml", seeds()["ubl"])
    mutated = data.draw(byte_mutation(buffer.getvalue()))
    batch = archives.iter_archive(mutated)
    assert_coded(batch.findings)
    check_validate(mutated)
