"""Factur-X container checks (choeur.formats.pdf): built PDFs, hostile PDFs and the real corpus."""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from collections import Counter
from pathlib import Path

import pikepdf
import pytest

from choeur.formats.findings import Layer, Severity
from choeur.formats.pdf import (
    MAX_XML_SIZE,
    extract_invoice,
    normalise_profile,
    xmp_vs_xml_profile,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "zugferd"

CII = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
    b'CrossIndustryInvoice:100"><rsm:ExchangedDocumentContext/></rsm:CrossIndustryInvoice>\n'
)

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def xmp_packet(*, part="3", conformance="B", level="EN 16931", file_name="factur-x.xml",
               doc_type="INVOICE", version="1.0", attributes=False, ns=FX_NS,
               doctype=b"") -> bytes:
    fx = {"ConformanceLevel": level, "DocumentFileName": file_name,
          "DocumentType": doc_type, "Version": version}
    fx = {k: v for k, v in fx.items() if v is not None}
    pdfaid = {"part": part, "conformance": conformance}
    pdfaid = {k: v for k, v in pdfaid.items() if v is not None}
    if attributes:
        pdfa_desc = ('<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
                     + " ".join(f'pdfaid:{k}="{v}"' for k, v in pdfaid.items()) + "/>")
        fx_desc = (f'<rdf:Description rdf:about="" xmlns:fx="{ns}" '
                   + " ".join(f'fx:{k}="{v}"' for k, v in fx.items()) + "/>")
    else:
        pdfa_desc = ('<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
                     + "".join(f"<pdfaid:{k}>{v}</pdfaid:{k}>" for k, v in pdfaid.items())
                     + "</rdf:Description>")
        fx_desc = (f'<rdf:Description rdf:about="" xmlns:fx="{ns}">'
                   + "".join(f"<fx:{k}>{v}</fx:{k}>" for k, v in fx.items())
                   + "</rdf:Description>")
    body = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        + '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        + pdfa_desc + fx_desc + "</rdf:RDF></x:xmpmeta>" + '<?xpacket end="w"?>'
    ).encode()
    return doctype + body


def _embedded_stream(pdf: pikepdf.Pdf, data: bytes, mime: str | None,
                     compressed: bytes | None = None, declared: int | None = None):
    if compressed is not None:
        stream = pikepdf.Stream(pdf, compressed)
        stream.Filter = pikepdf.Name.FlateDecode
    else:
        stream = pikepdf.Stream(pdf, data)
    stream.Type = pikepdf.Name.EmbeddedFile
    if mime:
        stream.Subtype = pikepdf.Name("/" + mime)
    params = pikepdf.Dictionary()
    if declared is not None:
        params.Size = declared
    stream.Params = params
    return stream


def _filespec(pdf: pikepdf.Pdf, name: str, stream, relationship: str | None):
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=name, UF=name,
                              EF=pikepdf.Dictionary(F=stream, UF=stream))
    if relationship:
        spec.AFRelationship = pikepdf.Name("/" + relationship)
    return pdf.make_indirect(spec)


def build_pdf(*, attachments=(("factur-x.xml", CII),), relationship="Data", mime="text/xml",
              af=True, xmp: bytes | None = None, no_xmp=False, encryption=None,
              compressed: bytes | None = None, declared: int | None = None,
              raw_names: list | None = None) -> bytes:
    """A small Factur-X-like PDF built with pikepdf; every part can be broken on purpose."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    specs = []
    names = []
    for i, (name, data) in enumerate(attachments):
        stream = _embedded_stream(pdf, data, mime, compressed if i == 0 else None,
                                  declared if i == 0 else len(data))
        spec = _filespec(pdf, name, stream, relationship)
        specs.append(spec)
        names.extend([pikepdf.String(name), spec])
    if raw_names is not None:
        names = raw_names
    if names:
        pdf.Root.Names = pikepdf.Dictionary(
            EmbeddedFiles=pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(names))))
    if af and specs:
        pdf.Root.AF = pikepdf.Array(specs)
    if not no_xmp:
        packet = xmp if xmp is not None else xmp_packet(
            file_name=attachments[0][0] if attachments else "factur-x.xml")
        pdf.Root.Metadata = pdf.make_indirect(pikepdf.Stream(
            pdf, packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML))
    out = io.BytesIO()
    if encryption is not None:
        pdf.save(out, encryption=encryption, fix_metadata_version=False)
    else:
        pdf.save(out, fix_metadata_version=False)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
    b'CrossIndustryInvoice:100">&lol9;</rsm:CrossIndustryInvoice>\n'
)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("invoice.xml", CII)
    return buf.getvalue()


def build_hostile_pdfs() -> dict[str, bytes]:
    """Hostile PDFs, each named after what it attempts."""
    valid = build_pdf()
    big = 50 * 1024 * 1024
    packed = zlib.compress(bytes(big), 9)  # about 50 KB
    tiny = [(f"f{i:05d}.txt", b"x") for i in range(10_000)]
    return {
        "encrypted": build_pdf(encryption=pikepdf.Encryption(user="secret", owner="owner")),
        "encrypted_owner_only": build_pdf(encryption=pikepdf.Encryption(user="", owner="o")),
        "zip_attachment": build_pdf(attachments=(("factur-x.xml", _zip_bytes()),)),
        "truncated": valid[: len(valid) // 2],
        "many_attachments": build_pdf(attachments=tiny, af=False),
        "billion_laughs": build_pdf(attachments=(("factur-x.xml", BILLION_LAUGHS),)),
        "huge_declared": build_pdf(compressed=packed, declared=big),
        "huge_undeclared": build_pdf(compressed=packed, declared=None),
        "huge_lying": build_pdf(compressed=packed, declared=1000),
    }


@pytest.fixture(scope="module")
def hostile() -> dict[str, bytes]:
    return build_hostile_pdfs()


def rules(result) -> list[str]:
    return [f.rule for f in result.findings]


# --- a good Factur-X -------------------------------------------------------------------------

def test_valid_facturx_has_no_finding():
    result = extract_invoice(build_pdf())
    assert result.findings == []
    assert result.xml == CII
    assert result.xml_name == "factur-x.xml"
    assert (result.xmp_profile, result.xmp_document_type, result.xmp_version) == (
        "en16931", "INVOICE", "1.0")
    assert (result.pdfa_part, result.pdfa_conformance) == ("3", "B")
    assert result.af_relationship == "Data"
    assert result.page_count == 1
    assert result.attachments == []
    assert result.readable


def test_other_attachments_are_listed_with_their_size():
    result = extract_invoice(build_pdf(attachments=(("factur-x.xml", CII),
                                                    ("bon.pdf", b"%PDF-1.4 x" * 10))))
    assert result.findings == []
    assert result.attachments == [("bon.pdf", 100)]


def test_xmp_properties_as_attributes_are_accepted():
    result = extract_invoice(build_pdf(xmp=xmp_packet(attributes=True, level="BASIC WL")))
    assert result.findings == []
    assert result.xmp_profile == "basicwl"
    assert result.pdfa_part == "3"


@pytest.mark.parametrize("ns", [
    "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#",
    "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#",
])
def test_zugferd_xmp_namespaces_are_accepted(ns):
    result = extract_invoice(build_pdf(xmp=xmp_packet(ns=ns, level="EXTENDED")))
    assert result.findings == []
    assert result.xmp_profile == "extended"


@pytest.mark.parametrize("raw, key", [
    ("MINIMUM", "minimum"), ("BASIC WL", "basicwl"), ("BASIC", "basic"),
    ("EN 16931", "en16931"), ("EXTENDED", "extended"), ("en16931", "en16931"),
    ("XRECHNUNG", "xrechnung"), ("COMFORT", "comfort"), ("", ""), ("GOLD", ""),
])
def test_normalise_profile(raw, key):
    assert normalise_profile(raw) == key


# --- names of the invoice attachment ----------------------------------------------------------

@pytest.mark.parametrize("name, rule, version", [
    ("zugferd-invoice.xml", "PDF_LEGACY_NAME", "ZUGFeRD 2.0"),
    ("ZUGFeRD-invoice.xml", "PDF_LEGACY_NAME", "ZUGFeRD 1.0"),
    ("xrechnung.xml", "PDF_XRECHNUNG_NAME", "XRechnung"),
])
def test_names_earlier_versions_specified_are_read_with_a_warning(name, rule, version):
    result = extract_invoice(build_pdf(attachments=((name, CII),)))
    assert rules(result) == [rule]
    [finding] = result.findings
    assert finding.severity == Severity.WARNING
    assert version in finding.message_fr and version in finding.message_en
    # the hint quotes the specifications' rule: which names, by which version
    for hint in (finding.hint_fr, finding.hint_en):
        assert "Factur-X" in hint and "1.0.07" in hint and "2.1" in hint
        assert "factur-x.xml" in hint and "xrechnung.xml" in hint
    assert result.xml == CII
    assert result.xml_name == name


@pytest.mark.parametrize("name", ["rechnung.xml", "invoice.xml", "facturx.xml"])
def test_a_name_no_version_specifies_is_an_error_citing_the_rule(name):
    """Factur-X 1.0.07: the embedded invoice is named factur-x.xml (ZUGFeRD 2.0
    zugferd-invoice.xml, ZUGFeRD 1.0 ZUGFeRD-invoice.xml, ZUGFeRD 2.1+ xrechnung.xml for the
    XRECHNUNG profile). Mustang and the factur-x library find no invoice under another name;
    Choeur reads it, to report everything else, but refuses the file."""
    result = extract_invoice(build_pdf(attachments=((name, CII),)))
    assert rules(result) == ["PDF_UNUSUAL_NAME"]
    [finding] = result.findings
    assert finding.severity == Severity.ERROR and finding.blocking
    assert name in finding.message_fr and name in finding.message_en
    assert "Factur-X (1.0.07)" in finding.message_fr
    assert "Factur-X specification (1.0.07)" in finding.message_en
    for message in (finding.message_fr, finding.message_en):
        for accepted in ("factur-x.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml",
                         "xrechnung.xml", "ZUGFeRD 2.0", "ZUGFeRD 1.0", "2.1"):
            assert accepted in message, (accepted, message)
    assert result.xml == CII and result.xml_name == name


def test_factur_x_wins_over_a_legacy_name():
    result = extract_invoice(build_pdf(attachments=(("ZUGFeRD-invoice.xml", b"<old/>"),
                                                    ("factur-x.xml", CII)),
                                       xmp=xmp_packet()))
    assert result.xml == CII
    assert rules(result) == ["PDF_MULTIPLE_INVOICE_XML"]
    assert [name for name, _size in result.attachments] == ["ZUGFeRD-invoice.xml"]


def test_other_xml_that_is_not_cii_is_not_an_invoice():
    result = extract_invoice(build_pdf(attachments=(("notes.xml", b"<notes/>"),)))
    assert rules(result) == ["PDF_NO_INVOICE_XML"]
    assert result.xml is None


def test_plain_pdf_says_it_has_no_structured_invoice():
    result = extract_invoice(build_pdf(attachments=(), no_xmp=True))
    assert rules(result) == ["PDF_NO_INVOICE_XML"]
    finding = result.findings[0]
    assert finding.severity == Severity.ERROR and finding.layer == Layer.PDF
    assert "Ce PDF ne contient pas de facture structurée (factur-x.xml)" in finding.message_fr
    assert "structured invoice" in finding.message_en
    assert finding.hint_fr and finding.hint_en
    assert result.readable  # the caller decides what a plain PDF means


# --- /AF, AFRelationship, MIME ---------------------------------------------------------------

def test_af_missing():
    result = extract_invoice(build_pdf(af=False))
    assert rules(result) == ["PDF_AF_MISSING"]
    assert result.xml == CII


@pytest.mark.parametrize("relationship", [None, "Invoice", "data"])
def test_af_relationship_missing_or_not_a_pdfa3_value_is_an_error(relationship):
    result = extract_invoice(build_pdf(relationship=relationship))
    assert rules(result) == ["PDF_AF_RELATIONSHIP"]
    assert result.findings[0].severity == Severity.ERROR


@pytest.mark.parametrize("relationship", ["Unspecified", "Supplement"])
def test_af_relationship_pdfa3_admits_is_a_warning(relationship):
    """PDF/A-3 validators and Mustang accept /Unspecified on the invoice XML: so does Choeur,
    with a warning saying what Factur-X asks for."""
    result = extract_invoice(build_pdf(relationship=relationship))
    assert rules(result) == ["PDF_AF_RELATIONSHIP_UNUSUAL"]
    [finding] = result.findings
    assert finding.severity == Severity.WARNING and not finding.blocking
    assert relationship in finding.message_fr and relationship in finding.message_en
    assert "Alternative" in finding.message_en and finding.hint_fr and finding.hint_en
    assert result.xml == CII and result.readable


@pytest.mark.parametrize("relationship", ["Data", "Source", "Alternative"])
def test_af_relationship_allowed(relationship):
    assert extract_invoice(build_pdf(relationship=relationship)).findings == []


@pytest.mark.parametrize("mime", ["application/octet-stream", None])
def test_mime_type_is_a_warning(mime):
    result = extract_invoice(build_pdf(mime=mime))
    assert rules(result) == ["PDF_MIME_TYPE"]
    assert result.findings[0].severity == Severity.WARNING
    assert result.xml == CII


# --- XMP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({"part": "2"}, ["PDF_NOT_PDFA3"]),
    ({"part": None, "conformance": None}, ["PDF_NOT_PDFA3"]),
    ({"level": "GOLD"}, ["PDF_XMP_PROFILE"]),
    ({"level": None}, ["PDF_XMP_PROFILE"]),
    ({"file_name": "invoice.xml"}, ["PDF_XMP_FILENAME"]),
    ({"file_name": None}, ["PDF_XMP_FILENAME"]),
    ({"doc_type": "ORDER"}, ["PDF_XMP_DOCTYPE"]),
    ({"doc_type": None}, ["PDF_XMP_DOCTYPE"]),
    ({"version": None}, ["PDF_XMP_VERSION"]),
])
def test_xmp_claims(kwargs, expected):
    result = extract_invoice(build_pdf(xmp=xmp_packet(**kwargs)))
    assert rules(result) == expected
    assert all(f.severity == Severity.ERROR for f in result.findings)
    assert result.xml == CII


def test_xmp_missing():
    assert rules(extract_invoice(build_pdf(no_xmp=True))) == ["PDF_XMP_MISSING"]


def test_xmp_without_facturx_description():
    packet = xmp_packet(level=None, file_name=None, doc_type=None, version=None)
    assert rules(extract_invoice(build_pdf(xmp=packet))) == ["PDF_XMP_FACTURX_MISSING"]


@pytest.mark.parametrize("packet", [
    b"<x:xmpmeta",  # malformed
    xmp_packet(doctype=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
])
def test_xmp_unreadable_or_with_doctype(packet):
    result = extract_invoice(build_pdf(xmp=packet))
    assert rules(result) == ["PDF_XMP_INVALID"]
    assert result.xml == CII


# --- profile XMP vs XML ------------------------------------------------------------------------

def test_profile_mismatch():
    finding = xmp_vs_xml_profile("en16931", "basic")
    assert finding.rule == "PDF_PROFILE_MISMATCH"
    assert finding.severity == Severity.ERROR and finding.layer == Layer.PDF
    assert "EN 16931" in finding.message_fr and "BASIC" in finding.message_en


@pytest.mark.parametrize("xmp, xml", [
    ("basicwl", "basicwl"), ("", "basic"), ("basic", ""), ("xrechnung", "en16931"),
    ("en16931", "urn:something:else"),
])
def test_profile_no_mismatch(xmp, xml):
    assert xmp_vs_xml_profile(xmp, xml) is None


# --- hostile PDFs ------------------------------------------------------------------------------

def _fatal(result, rule):
    assert rule in rules(result), rules(result)
    finding = next(f for f in result.findings if f.rule == rule)
    assert finding.severity == Severity.FATAL and finding.layer == Layer.PDF
    assert finding.message_fr and finding.message_en
    assert result.xml is None
    assert not result.readable


@pytest.mark.parametrize("name", ["encrypted", "encrypted_owner_only"])
def test_encrypted_pdf_is_refused(hostile, name):
    _fatal(extract_invoice(hostile[name]), "PDF_ENCRYPTED")


def test_zip_attachment_is_not_xml(hostile):
    result = extract_invoice(hostile["zip_attachment"])
    assert "PDF_ATTACHMENT_NOT_XML" in rules(result)
    assert result.xml is None


def test_truncated_pdf(hostile):
    _fatal(extract_invoice(hostile["truncated"]), "PDF_UNREADABLE")


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04" + bytes(100),
                                  b"%PDF-1.7\n" + bytes(5000) + b"%%EOF",
                                  b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF"])
def test_not_a_pdf_or_garbage(data):
    result = extract_invoice(data)
    assert result.findings and result.findings[0].blocking
    assert result.xml is None


def test_ten_thousand_attachments(hostile):
    started = time.monotonic()
    _fatal(extract_invoice(hostile["many_attachments"]), "PDF_TOO_MANY_ATTACHMENTS")
    assert time.monotonic() - started < 5


def test_billion_laughs_is_returned_as_bytes_only(hostile):
    started = time.monotonic()
    result = extract_invoice(hostile["billion_laughs"])
    assert time.monotonic() - started < 2
    assert result.xml == BILLION_LAUGHS
    assert result.findings == []  # parsing (and refusing) it is the engine's job


@pytest.mark.parametrize("name", ["huge_declared", "huge_undeclared", "huge_lying"])
def test_huge_attachment_is_refused_without_inflating_it(hostile, name):
    started = time.monotonic()
    _fatal(extract_invoice(hostile[name]), "PDF_ATTACHMENT_TOO_LARGE")
    assert time.monotonic() - started < 2


def test_attachment_just_under_the_limit_is_read():
    data = b"<a>" + b" " * (MAX_XML_SIZE - 10) + b"</a>"
    result = extract_invoice(build_pdf(compressed=zlib.compress(data), declared=len(data)))
    assert result.xml == data


def test_name_tree_loop_does_not_hang():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    node = pdf.make_indirect(pikepdf.Dictionary())
    node.Kids = pikepdf.Array([node])
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=node)
    out = io.BytesIO()
    pdf.save(out)
    assert rules(extract_invoice(out.getvalue())) == ["PDF_NO_INVOICE_XML"]


def test_unsupported_compression_of_the_xml():
    pdf_bytes = build_pdf()
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    stream = pdf.Root.Names.EmbeddedFiles.Names[1].EF.F
    stream.write(b"garbage", filter=pikepdf.Name.LZWDecode)
    out = io.BytesIO()
    pdf.save(out)
    assert "PDF_ATTACHMENT_UNREADABLE" in rules(extract_invoice(out.getvalue()))


# --- the real corpus ---------------------------------------------------------------------------

CORPUS_PDFS = sorted(CORPUS.rglob("*.pdf")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_PDFS, reason="shared corpus not present")
def test_corpus_never_crashes_and_gives_the_known_findings():
    by_rule: Counter[str] = Counter()
    for path in CORPUS_PDFS:
        result = extract_invoice(path.read_bytes())
        by_rule.update(rules(result))
        blocking = [f.rule for f in result.findings if f.blocking]
        if "unstructured" in path.parts:
            assert blocking == ["PDF_NO_INVOICE_XML"], path
            continue
        assert blocking == [], (path, blocking)
        assert result.xml is not None and result.xmp_profile, path
        assert result.pdfa_part == "3", path
    assert by_rule == {"PDF_LEGACY_NAME": 32, "PDF_XRECHNUNG_NAME": 4,
                       "PDF_MULTIPLE_INVOICE_XML": 1, "PDF_NO_INVOICE_XML": 1}


@pytest.mark.skipif(not CORPUS_PDFS, reason="shared corpus not present")
def test_corpus_zugferd1_and_2_uses_the_factur_x_xml():
    path = CORPUS / "ZUGFeRDv2" / "fail" / "MustangRE-20171118_506_ZUGFeRD1and2.pdf"
    result = extract_invoice(path.read_bytes())
    assert result.xml_name == "factur-x.xml"
    assert b"CrossIndustryInvoice" in result.xml[:400]
    assert rules(result) == ["PDF_MULTIPLE_INVOICE_XML"]
    assert result.attachments == [("ZUGFeRD-invoice.xml", 11278)]


@pytest.mark.skipif(not CORPUS_PDFS, reason="shared corpus not present")
def test_corpus_truncated_halves_are_refused():
    for path in CORPUS_PDFS[::10]:
        data = path.read_bytes()
        result = extract_invoice(data[: len(data) // 2])
        assert [f.rule for f in result.findings] == ["PDF_UNREADABLE"], path
