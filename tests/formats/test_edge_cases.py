"""Validation edge cases where Choeur must give the official tools' verdict (issue 14, C):
encodings that contradict their declaration, well-formed files that are not invoices, unknown
profile ids, and messages free of Python internals, from the engine to `choeur validate`."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pikepdf
import pytest

from choeur.formats import Layer, Severity, cli, default_engine
from choeur.formats.messages import CATALOGUE, GENERIC
from choeur.formats.pdf import extract_invoice
from tests.formats.test_pdf import build_pdf, xmp_packet

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CII_VALID = CORPUS / "cen/cii-examples/CII_example1.xml"  # valid, Factur-X EN 16931
UBL_VALID = CORPUS / "zugferd/XML-Rechnung/UBL/EN16931_Einfach.ubl.xml"
ZUGFERD1_AND_2 = CORPUS / "zugferd/ZUGFeRDv2/fail/MustangRE-20171118_506_ZUGFeRD1and2.pdf"
ORDER_X_NS = "urn:un:unece:uncefact:data:standard:SCRDMCCBDACIOMessageStructure:100"
ORDER_X = f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:SCRDMCCBDACIOMessageStructure xmlns:rsm="{ORDER_X_NS}"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:order-x.eu:1p0:basic</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>PO-2024-1</ram:ID><ram:TypeCode>220</ram:TypeCode>
  </rsm:ExchangedDocument>
</rsm:SCRDMCCBDACIOMessageStructure>
""".encode()

# What must never reach a supplier: object reprs, addresses, Python exception classes, errno.
PYTHON_INTERNALS = re.compile(
    r"0x[0-9a-fA-F]{4,}|object at|Traceback|\[Errno|\bErrno\b|BytesIO|"
    r"\b\w*(Error|Exception)\b(?!\s*\()|\bpikepdf\b|\blxml\b|\bzipfile\b"
)


def assert_clean(text: str) -> None:
    leaked = PYTHON_INTERNALS.search(text)
    assert leaked is None, (leaked.group(0), text)


def findings(report, rule: str):
    return [f for f in report.findings if f.rule == rule]


def guideline_replaced(new: str) -> bytes:
    data = CII_VALID.read_bytes()
    old = b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>"
    assert data.count(old) == 1
    return data.replace(old, f"<ram:ID>{new}</ram:ID>".encode())


# --- 1. an encoding that contradicts the declaration ------------------------------------------

def _variants():
    prolog, rest = CII_VALID.read_text(encoding="utf-8").split("?>", 1)
    assert prolog.lower() == '<?xml version="1.0" encoding="utf-8"'
    text = '<?xml version="1.0" encoding="UTF-8"?>' + rest
    as_utf16 = text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    return {
        "utf16-bom-declared-utf8": text.encode("utf-16"),
        "utf16be-bom-declared-utf8": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf16-no-bom-declared-utf8": text.encode("utf-16-le"),
        "utf8-declared-utf16": as_utf16.encode("utf-8"),
        "utf8-bom-declared-utf16": b"\xef\xbb\xbf" + as_utf16.encode("utf-8"),
    }, {
        # the BOM wins over a single-byte declaration, for Saxon as for libxml2
        "utf8-bom-declared-latin1": b"\xef\xbb\xbf" + text.replace(
            'encoding="UTF-8"', 'encoding="ISO-8859-1"', 1).encode("utf-8"),
        "utf16-bom-declared-utf16": as_utf16.encode("utf-16"),
        "utf8-bom-declared-utf8": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf16-bom-no-declaration": text.split("?>", 1)[1].lstrip().encode("utf-16"),
    }


MISMATCHED, CONSISTENT = _variants()


@pytest.mark.parametrize("name", sorted(MISMATCHED))
def test_an_encoding_contradicting_the_declaration_is_refused(name):
    report = default_engine().validate(MISMATCHED[name])
    [finding] = report.findings
    assert finding.rule == "XML_ENCODING_MISMATCH"
    assert finding.severity == Severity.FATAL and finding.layer == Layer.XML
    assert not report.valid and not report.readable
    declared = re.search(r'encoding="([^"]+)"', finding.message_en).group(1)
    assert declared in ("UTF-8", "UTF-16")
    assert f'encoding="{declared}"' in finding.message_fr
    assert finding.hint_fr and finding.hint_en and "UTF-8" in finding.hint_en


@pytest.mark.parametrize("name", sorted(CONSISTENT))
def test_an_encoding_matching_the_declaration_is_validated(name):
    report = default_engine().validate(CONSISTENT[name])
    assert report.valid, [(f.rule, f.message_en) for f in report.findings]
    assert (report.syntax, report.profile) == ("CII", "en16931")


@pytest.mark.parametrize("name", sorted(MISMATCHED | CONSISTENT))
def test_the_verdict_is_saxons(tmp_path, name):
    """The official rule artefacts run in Saxon, whose XML parser (Xerces) reads the file's
    bytes: Choeur refuses exactly what it refuses."""
    from saxonche import PySaxonApiError

    data = (MISMATCHED | CONSISTENT)[name]
    path = tmp_path / "invoice.xml"
    path.write_bytes(data)
    try:
        default_engine().processor.parse_xml(xml_file_name=str(path))
        saxon_refuses = False
    except PySaxonApiError:
        saxon_refuses = True
    report = default_engine().validate(data)
    assert saxon_refuses == (not report.readable)


def test_the_mismatch_inside_a_factur_x_pdf_is_refused_too():
    data = build_pdf(attachments=(("factur-x.xml", MISMATCHED["utf16-bom-declared-utf8"]),))
    report = default_engine().validate(data)
    assert "XML_ENCODING_MISMATCH" in [f.rule for f in report.findings]
    assert not report.readable


# --- 2. well-formed, but not an invoice ---------------------------------------------------------

def test_an_order_x_order_is_invalid_and_named():
    report = default_engine().validate(ORDER_X)
    [finding] = report.findings
    assert finding.rule == "INPUT_NOT_AN_INVOICE"
    assert finding.severity == Severity.ERROR  # readable, not an invoice: invalid, exit 1
    assert report.readable and not report.valid
    assert report.syntax == "Order-X"
    assert "Order-X order (rsm:SCRDMCCBDACIOMessageStructure)" in finding.message_en
    assert "commande Order-X (rsm:SCRDMCCBDACIOMessageStructure)" in finding.message_fr
    assert finding.hint_fr and finding.hint_en


@pytest.mark.parametrize("data, named_en", [
    (b'<n:Statement xmlns:n="urn:example:bank"><n:x/></n:Statement>',
     "root element is Statement (namespace urn:example:bank)"),
    (b"<html><body>hello</body></html>", "root element is html, without namespace"),
    (b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
     "a UBL Order document"),
])
def test_an_unknown_root_is_named_by_its_namespace_and_name(data, named_en):
    report = default_engine().validate(data)
    [finding] = report.findings
    assert finding.rule == "INPUT_NOT_AN_INVOICE" and finding.severity == Severity.ERROR
    assert named_en in finding.message_en
    assert report.readable and not report.valid


def _zugferd1_xml() -> bytes:
    with pikepdf.open(ZUGFERD1_AND_2) as pdf:
        return pdf.attachments["ZUGFeRD-invoice.xml"].get_file().read_bytes()


def test_a_zugferd_1_invoice_is_named_zugferd_1_not_cii():
    data = _zugferd1_xml()
    assert b"urn:ferd:CrossIndustryDocument:invoice:1p0" in data[:2000]
    report = default_engine().validate(data)
    assert report.syntax == "ZUGFeRD 1.0"
    [finding] = report.findings
    assert finding.rule == "PROFILE" and finding.severity == Severity.ERROR
    assert "ZUGFeRD 1.0" in finding.message_fr and "ZUGFeRD 1.0" in finding.message_en
    assert "CrossIndustryDocument" in finding.message_en
    assert report.readable and not report.valid


@pytest.mark.parametrize("guideline", ["urn:example:my-own-profile", "",
                                       "urn:factur-x.eu:9p9:gold"])
def test_an_unknown_cii_profile_id_has_its_own_code(guideline):
    report = default_engine().validate(guideline_replaced(guideline))
    [finding] = report.findings
    assert finding.rule == "PROFILE_UNKNOWN" and finding.layer == Layer.PROFILE
    assert finding.severity == Severity.ERROR and finding.bt == "BT-24"
    if guideline:
        assert guideline in finding.message_fr and guideline in finding.message_en
    else:
        assert "absent" in finding.message_fr and "missing" in finding.message_en


@pytest.mark.parametrize("guideline, family", [
    ("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", "ZUGFeRD 1.0"),
    ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "XRechnung"),
])
def test_a_known_profile_choeur_does_not_run_keeps_the_profile_code(guideline, family):
    report = default_engine().validate(guideline_replaced(guideline))
    [finding] = report.findings
    assert finding.rule == "PROFILE" and family in finding.message_en


def test_an_unknown_ubl_customization_id_has_its_own_code_and_the_rules_still_run():
    data = UBL_VALID.read_bytes()
    assert default_engine().validate(data).valid
    match = re.search(rb"<cbc:CustomizationID>[^<]*</cbc:CustomizationID>", data)
    odd = data.replace(match.group(0),
                       b"<cbc:CustomizationID>urn:example:not-a-profile</cbc:CustomizationID>")
    report = default_engine().validate(odd)
    assert [f.rule for f in report.findings if f.blocking] == ["PROFILE_UNKNOWN"]
    assert "urn:example:not-a-profile" in report.findings[0].message_en
    assert "EN 16931 UBL" in report.layers_run


def _order_x_pdf(**kwargs) -> bytes:
    attachments = kwargs.pop("attachments", (("order-x.xml", ORDER_X),))
    return build_pdf(attachments=attachments, xmp=xmp_packet(
        level="BASIC", file_name=attachments[0][0], doc_type=kwargs.pop("doc_type", "ORDER")))


@pytest.mark.parametrize("pdf, kind_en, where_en", [
    (lambda: _order_x_pdf(), "order", "order-x.xml"),
    (lambda: _order_x_pdf(doc_type="ORDER_CHANGE"), "order change", "order-x.xml"),
    # found by its root element, under another name, with an XMP that does not say ORDER
    (lambda: _order_x_pdf(attachments=(("commande.xml", ORDER_X),), doc_type="INVOICE"),
     "order", "commande.xml"),
])
def test_an_order_x_pdf_is_named_not_called_a_plain_pdf(pdf, kind_en, where_en):
    report = default_engine().validate(pdf())
    [finding] = report.findings
    assert finding.rule == "PDF_ORDER_X" and finding.severity == Severity.ERROR
    assert f"Order-X document ({kind_en}, file \"{where_en}\"" in finding.message_en
    assert "Order-X" in finding.message_fr and "pas une facture" in finding.message_fr
    assert report.syntax == "Order-X" and report.readable and not report.valid


def test_a_plain_pdf_is_still_a_plain_pdf():
    report = default_engine().validate(build_pdf(attachments=(), no_xmp=True))
    assert [f.rule for f in report.findings] == ["PDF_NO_INVOICE_XML"]


def test_the_command_line_says_invalid_not_unreadable(tmp_path, capsys):
    order = tmp_path / "commande.xml"
    order.write_bytes(ORDER_X)
    assert cli.main(["--json", str(order)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    report = json.loads(line)
    assert report["readable"] is True and report["valid"] is False
    assert report["syntax"] == "Order-X"
    assert [f["rule"] for f in report["findings"]] == ["INPUT_NOT_AN_INVOICE"]
    assert cli.main(["--lang", "en", str(order)]) == 1
    out = capsys.readouterr().out
    assert "invalid" in out and "unreadable" not in out and "Order-X order" in out


# --- 4. no Python internals, every code explained -----------------------------------------------

FORMATS_SOURCES = Path(__file__).resolve().parents[2] / "src" / "choeur" / "formats"
# A code as the layers emit it: a string literal in capitals with an underscore, in a call.
EMITTED = re.compile(r'"((?:INPUT|XML|PDF|ARCHIVE|PROFILE|RULES)_[A-Z0-9_]+|XSD|PROFILE|'
                     r'UNNAMED_RULE)"')


def emitted_codes() -> set[str]:
    codes = set()
    for path in FORMATS_SOURCES.glob("*.py"):
        if path.name == "messages.py":
            continue
        codes.update(EMITTED.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_code_the_layers_emit_is_in_the_catalogue():
    codes = emitted_codes()
    assert {"PDF_DAMAGED", "XML_ENCODING_MISMATCH", "INPUT_FILE_NOT_FOUND",
            "ARCHIVE_CORRUPT", "PROFILE_UNKNOWN", "PDF_ORDER_X"} <= codes
    assert sorted(codes - GENERIC.keys()) == []


@pytest.mark.parametrize("catalogue", [GENERIC, CATALOGUE], ids=["generic", "rules"])
def test_every_code_of_the_catalogue_reads_well_in_both_languages(catalogue):
    for code, message in catalogue.items():
        for field in ("fr", "en", "hint_fr", "hint_en"):
            text = getattr(message, field)
            assert text.strip(), (code, field)
            assert_clean(text)
        assert message.fr != message.en and message.hint_fr != message.hint_en, code


def _damaged_pdf() -> bytes:
    """A Factur-X PDF whose cross-reference offset is wrong: qpdf repairs it, with warnings
    that name the input (for bytes, a Python object) and an offset."""
    data = build_pdf()
    at = data.rindex(b"startxref")
    offset = int(re.match(rb"startxref\s+(\d+)", data[at:]).group(1))
    return data[:at] + b"startxref\n" + str(offset + 7).encode() + b"\n%%EOF\n"


def test_a_damaged_pdf_from_bytes_names_no_python_object():
    result = extract_invoice(_damaged_pdf())
    [damaged] = [f for f in result.findings if f.rule == "PDF_DAMAGED"]
    assert re.fullmatch(r"offset \d+", damaged.location), damaged.location
    assert damaged.hint_fr and damaged.hint_en
    for finding in result.findings:
        assert_clean(f"{finding.location} {finding.message_fr} {finding.message_en}")


def test_a_broken_pdf_structure_names_no_exception_class():
    result = extract_invoice(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF\n")
    [finding] = result.findings
    assert finding.rule == "PDF_UNREADABLE" and finding.location == ""
    assert_clean(finding.location + finding.message_en + finding.hint_en)


def test_a_corrupt_archive_names_no_exception_class():
    from choeur.formats.archives import iter_archive

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"<a/>" * 1000)
    data = bytearray(buffer.getvalue())
    data[40:80] = b"\xff" * 40  # inside the member's data and header
    [finding] = iter_archive(bytes(data)).findings
    assert finding.rule == "ARCHIVE_CORRUPT"
    assert_clean(finding.location + finding.message_en + finding.hint_en)


def _hostile_paths(tmp_path: Path) -> dict[str, tuple[Path, str, int]]:
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(_damaged_pdf())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage\n%%EOF\n")
    mismatch = tmp_path / "utf16.xml"
    mismatch.write_bytes(MISMATCHED["utf16-bom-declared-utf8"])
    folder = tmp_path / "a-folder"
    folder.mkdir()
    return {
        "damaged": (damaged, "PDF_DAMAGED", 1),  # warning; the small CII inside is invalid
        "broken": (broken, "PDF_UNREADABLE", 2),
        "mismatch": (mismatch, "XML_ENCODING_MISMATCH", 2),
        "directory": (folder, "INPUT_NOT_A_FILE", 2),
        "missing": (tmp_path / "nowhere.xml", "INPUT_FILE_NOT_FOUND", 2),
    }


@pytest.mark.parametrize("case", ["damaged", "broken", "mismatch", "directory", "missing"])
def test_hostile_paths_through_the_command_line_are_clean(tmp_path, capsys, case):
    path, rule, status = _hostile_paths(tmp_path)[case]
    assert cli.main(["--json", str(path)]) == status
    [line] = capsys.readouterr().out.splitlines()
    report = json.loads(line)
    assert report["file"] == str(path)
    [finding] = [f for f in report["findings"] if f["rule"] == rule]
    for key in ("message_fr", "message_en", "hint_fr", "hint_en"):
        assert finding[key], key
    for found in report["findings"]:
        for key in ("message_fr", "message_en", "hint_fr", "hint_en", "location"):
            assert_clean(found[key])
    for lang in ("fr", "en"):
        assert cli.main(["--lang", lang, str(path)]) == status
        text = capsys.readouterr().out
        assert rule in text and "→" in text  # the hint is printed
        assert_clean(text.replace(str(path), "FILE"))


def test_a_file_that_cannot_be_read(tmp_path, capsys, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who reads everything)."""
    secret = tmp_path / "secret.xml"
    secret.write_bytes(CII_VALID.read_bytes())

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert cli.main(["--json", str(secret)]) == 2
    report = json.loads(capsys.readouterr().out)
    [finding] = report["findings"]
    assert finding["rule"] == "INPUT_UNREADABLE_FILE" and finding["hint_en"]
    assert_clean(json.dumps(report, ensure_ascii=False).replace(str(secret), "FILE"))
