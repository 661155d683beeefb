"""Factur-X / ZUGFeRD container: find the invoice XML inside a PDF and check the container.

Pure library (pikepdf + lxml, no Django). `extract_invoice` never raises and never hangs on a
hostile file: every pikepdf/qpdf error becomes a FATAL finding, the name tree walk, the number
of attachments and the decompressed size of the XML are bounded, and the XML attachment is
decompressed here, by a bounded inflater, not by qpdf. The XML is returned as bytes only: parsing
and validating it is the engine's job.

What is checked (reference invoice-validation.md §4): the embedded file's name, `/AF`,
`/AFRelationship`, the MIME subtype, and the XMP claims (PDF/A part, Factur-X extension). What is
*claimed* is not verified: PDF/A-3 conformance of fonts and colours (and `/OutputIntents`) needs
veraPDF and is not judged here.
"""

from __future__ import annotations

import base64
import io
import re
import zlib
from dataclasses import dataclass, field

import pikepdf
from lxml import etree

from choeur.formats.findings import Finding, Layer, Severity
from choeur.formats.messages import NAMES_RULE_EN, NAMES_RULE_FR, hints

MAX_XML_SIZE = 20 * 1024 * 1024  # decompressed invoice XML
MAX_XMP_SIZE = 4 * 1024 * 1024
MAX_ATTACHMENTS = 1000  # embedded files read from the name tree (and /AF)
MAX_NAME_TREE_NODES = 5000
MAX_NAME_TREE_DEPTH = 32
MAX_OBJECTS = 1_000_000  # the trailer's /Size
MAX_XML_SNIFFED = 20  # other *.xml attachments opened to look for a CII invoice

FACTURX_NAME = "factur-x.xml"
ZUGFERD_NAME = "zugferd-invoice.xml"  # ZUGFeRD 2.0; ZUGFeRD 1.0 wrote "ZUGFeRD-invoice.xml"
ZUGFERD1_NAME = "ZUGFeRD-invoice.xml"
XRECHNUNG_NAME = "xrechnung.xml"
ORDER_X_NAME = "order-x.xml"
ORDER_X_ROOT = "SCRDMCCBDACIOMessageStructure"
ORDER_X_TYPES = {"ORDER": ("commande", "order"),
                 "ORDER_RESPONSE": ("réponse à une commande", "order response"),
                 "ORDER_CHANGE": ("modification de commande", "order change")}
_INVOICE_NAMES = {FACTURX_NAME: 0, ZUGFERD_NAME: 1, XRECHNUNG_NAME: 2}  # lower case → rank

FX_NAMESPACES = (  # in order of preference
    "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#",
    "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#",
)
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"

# fx:ConformanceLevel, normalised (upper case, no blanks, dashes or underscores) → short key.
PROFILE_KEYS = {
    "MINIMUM": "minimum",
    "BASICWL": "basicwl",
    "BASIC": "basic",
    "EN16931": "en16931",
    "EXTENDED": "extended",
    "XRECHNUNG": "xrechnung",  # ZUGFeRD 2.1+ with an XRechnung XML
    "COMFORT": "comfort",  # ZUGFeRD 1.0 (legacy)
}
PROFILE_LABELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
    "xrechnung": "XRECHNUNG",
    "comfort": "COMFORT",
}
# XML guideline profiles an XMP profile is compatible with (besides itself).
_PROFILE_EQUIVALENTS = {"comfort": {"en16931"}, "xrechnung": {"en16931"}}
_AF_RELATIONSHIPS = ("Data", "Source", "Alternative")  # what Factur-X asks of the invoice XML
# Every value PDF/A-3 (ISO 19005-3, with ISO 32000-2) defines: on the invoice XML, one of these
# outside the three above is accepted by PDF/A-3 validators and by Mustang, hence a warning.
_PDFA3_RELATIONSHIPS = _AF_RELATIONSHIPS + ("Supplement", "EncryptedPayload", "FormData",
                                            "Schema", "Unspecified")

_XML_PARSER_OPTIONS = dict(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


@dataclass
class PdfResult:
    xml: bytes | None = None  # the invoice XML, undecoded and unparsed
    xml_name: str = ""  # the attachment it came from
    xmp_profile: str = ""  # fx:ConformanceLevel as a short key ("en16931"…), "" if none
    xmp_profile_raw: str = ""  # as written in the XMP
    xmp_document_type: str = ""
    xmp_document_file_name: str = ""
    xmp_version: str = ""
    pdfa_part: str = ""  # claimed in the XMP, not verified
    pdfa_conformance: str = ""
    af_relationship: str = ""  # of the invoice's file specification ("Data"…)
    findings: list[Finding] = field(default_factory=list)
    page_count: int = 0
    attachments: list[tuple[str, int]] = field(default_factory=list)  # the others: name, size

    @property
    def readable(self) -> bool:
        return not any(f.severity == Severity.FATAL for f in self.findings)


# --- findings -----------------------------------------------------------------------------------

def _finding(rule: str, severity: Severity, fr: str, en: str, hint_fr: str = "",
             hint_en: str = "", location: str = "") -> Finding:
    if not hint_fr:
        hint_fr, hint_en = hints(rule)
    return Finding(rule=rule, severity=severity, layer=Layer.PDF, message_fr=fr, message_en=en,
                   location=location, hint_fr=hint_fr, hint_en=hint_en)


_REEXPORT_FR = ("Générez de nouveau la facture avec votre logiciel de facturation au format "
                "Factur-X (PDF/A-3 avec le fichier factur-x.xml joint).")
_REEXPORT_EN = ("Generate the invoice again from your invoicing software as Factur-X (PDF/A-3 "
                "with the factur-x.xml file embedded).")


def _unreadable(cause_fr: str, cause_en: str, location: str = "") -> Finding:
    return _finding(
        "PDF_UNREADABLE", Severity.FATAL,
        f"Le fichier PDF ne peut pas être lu : {cause_fr}.",
        f"The PDF file cannot be read: {cause_en}.",
        "Vérifiez que le fichier est complet (un envoi interrompu le tronque) et déposez-le de "
        "nouveau, ou exportez-le une nouvelle fois depuis votre logiciel.",
        "Check that the file is complete (an interrupted upload truncates it) and send it again, "
        "or export it again from your software.",
        location,
    )


def _too_complex(what_fr: str, what_en: str) -> Finding:
    return _finding(
        "PDF_TOO_COMPLEX", Severity.FATAL,
        f"Le PDF est trop complexe pour être analysé sans risque ({what_fr}).",
        f"The PDF is too complex to be analysed safely ({what_en}).",
        "Une facture n'a pas besoin d'une telle structure : exportez-la de nouveau, sans pièces "
        "jointes superflues.",
        "An invoice does not need such a structure: export it again, without superfluous "
        "attachments.",
    )


def _no_invoice_xml() -> Finding:
    return _finding(
        "PDF_NO_INVOICE_XML", Severity.ERROR,
        "Ce PDF ne contient pas de facture structurée (factur-x.xml) : c'est un PDF simple, "
        "sans données exploitables automatiquement.",
        "This PDF does not contain a structured invoice (factur-x.xml): it is a plain PDF, "
        "without machine-readable data.",
        "Déposez une facture Factur-X (un PDF/A-3 qui contient le fichier factur-x.xml) ou une "
        "facture XML (UBL ou CII). " + _REEXPORT_FR,
        "Send a Factur-X invoice (a PDF/A-3 containing the factur-x.xml file) or an XML invoice "
        "(UBL or CII). " + _REEXPORT_EN,
    )


# --- bounded stream decoding --------------------------------------------------------------------

class _TooLarge(Exception):
    pass


class _Undecodable(Exception):
    pass


def _filters(stream: pikepdf.Stream) -> list[tuple[str, object]]:
    filt = stream.get("/Filter")
    parms = stream.get("/DecodeParms")
    if filt is None:
        return []
    if isinstance(filt, pikepdf.Name):
        return [(str(filt), parms)]
    if isinstance(filt, pikepdf.Array):
        if len(filt) > 8:
            raise _Undecodable("too many filters")
        out = []
        for i, name in enumerate(filt):
            parm = parms[i] if isinstance(parms, pikepdf.Array) and i < len(parms) else None
            out.append((str(name), parm))
        return out
    raise _Undecodable("bad /Filter")


def _inflate(data: bytes, cap: int) -> bytes:
    for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        decomp = zlib.decompressobj(wbits)
        try:
            out = decomp.decompress(data, cap + 1)  # never produces more than cap + 1 bytes
        except zlib.error:
            continue
        if len(out) > cap:
            raise _TooLarge
        return out
    raise _Undecodable("bad Flate data")


def _run_length(data: bytes, cap: int) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        n = data[i]
        if n == 128:
            break
        if n < 128:
            out += data[i + 1:i + 2 + n]
            i += 2 + n
        else:
            out += data[i + 1:i + 2] * (257 - n)
            i += 2
        if len(out) > cap:
            raise _TooLarge
    return bytes(out)


def _bounded_bytes(stream: pikepdf.Stream, cap: int) -> bytes:
    """The decoded stream, refusing (without decoding it all) anything over `cap` bytes."""
    declared = _declared_size(stream)
    if declared is not None and declared > cap:
        raise _TooLarge
    data = stream.read_raw_bytes()  # bounded by the file's own size
    for name, parm in _filters(stream):
        if isinstance(parm, pikepdf.Dictionary) and int(parm.get("/Predictor", 1)) > 1:
            raise _Undecodable("predictor")
        try:
            if name in ("/FlateDecode", "/Fl"):
                data = _inflate(data, cap)
            elif name in ("/ASCIIHexDecode", "/AHx"):
                hexa = re.sub(rb"\s", b"", data).split(b">")[0]
                data = bytes.fromhex((hexa + b"0" * (len(hexa) % 2)).decode("ascii"))
            elif name in ("/ASCII85Decode", "/A85"):
                text = re.sub(rb"\s", b"", data)
                text = text.removeprefix(b"<~").split(b"~>")[0]
                data = base64.a85decode(text)
            elif name in ("/RunLengthDecode", "/RL"):
                data = _run_length(data, cap)
            else:  # LZW is forbidden by PDF/A; image and crypt filters make no sense here
                raise _Undecodable(name)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _Undecodable(name) from exc
        if len(data) > cap:
            raise _TooLarge
    return data


def _declared_size(stream: pikepdf.Stream) -> int | None:
    params = stream.get("/Params")
    if isinstance(params, pikepdf.Dictionary):
        size = params.get("/Size")
        if isinstance(size, int | pikepdf.Object):
            try:
                return int(size)
            except (TypeError, ValueError):
                return None
    return None


def _stored_size(stream: pikepdf.Stream) -> int:
    declared = _declared_size(stream)
    if declared is not None:
        return declared
    try:
        return int(stream.get("/Length", 0))
    except (TypeError, ValueError):
        return 0


# --- attachments --------------------------------------------------------------------------------

@dataclass
class _Attachment:
    key: str  # name-tree key
    spec: pikepdf.Dictionary
    stream: pikepdf.Stream | None

    @property
    def name(self) -> str:
        for key in ("/UF", "/F"):
            value = self.spec.get(key)
            if isinstance(value, pikepdf.String):
                return str(value)
        return self.key

    @property
    def names(self) -> set[str]:
        return {self.name.lower(), self.key.lower()}


def _objgen(obj: pikepdf.Object) -> tuple[int, int]:
    return obj.objgen if obj.is_indirect else (0, 0)


def _embedded_stream(spec: pikepdf.Dictionary) -> pikepdf.Stream | None:
    ef = spec.get("/EF")
    if not isinstance(ef, pikepdf.Dictionary):
        return None
    for key in ("/F", "/UF"):
        stream = ef.get(key)
        if isinstance(stream, pikepdf.Stream):
            return stream
    return None


class _Limit(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def _attachments(pdf: pikepdf.Pdf) -> list[_Attachment]:
    """Embedded files of the /EmbeddedFiles name tree, then those only in /AF, bounded."""
    found: list[_Attachment] = []
    seen_specs: set[tuple[int, int]] = set()
    visited: set[tuple[int, int]] = set()
    nodes = 0

    def add(key: str, spec: object) -> None:
        if not isinstance(spec, pikepdf.Dictionary):
            return
        og = _objgen(spec)
        if og != (0, 0):
            if og in seen_specs:
                return
            seen_specs.add(og)
        if len(found) >= MAX_ATTACHMENTS:
            raise _Limit(_finding(
                "PDF_TOO_MANY_ATTACHMENTS", Severity.FATAL,
                f"Le PDF contient plus de {MAX_ATTACHMENTS} pièces jointes : il n'est pas "
                "analysé.",
                f"The PDF contains more than {MAX_ATTACHMENTS} attachments: it is not analysed.",
                "Une facture Factur-X contient le fichier factur-x.xml et quelques pièces "
                "justificatives au plus. Déposez les justificatifs séparément.",
                "A Factur-X invoice contains the factur-x.xml file and at most a few supporting "
                "documents. Send the supporting documents separately.",
            ))
        found.append(_Attachment(key, spec, _embedded_stream(spec)))

    def walk(node: object, depth: int) -> None:
        nonlocal nodes
        if not isinstance(node, pikepdf.Dictionary):
            return
        og = _objgen(node)
        if og != (0, 0):
            if og in visited:
                return  # a loop in the tree
            visited.add(og)
        nodes += 1
        if depth > MAX_NAME_TREE_DEPTH or nodes > MAX_NAME_TREE_NODES:
            raise _Limit(_too_complex("arbre des pièces jointes", "attachment name tree"))
        names = node.get("/Names")
        if isinstance(names, pikepdf.Array):
            for i in range(0, len(names) - 1, 2):
                key = names[i]
                add(str(key) if isinstance(key, pikepdf.String) else "", names[i + 1])
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                walk(kid, depth + 1)

    root_names = pdf.Root.get("/Names")
    if isinstance(root_names, pikepdf.Dictionary):
        walk(root_names.get("/EmbeddedFiles"), 0)
    af = pdf.Root.get("/AF")
    if isinstance(af, pikepdf.Array):
        known = {att.name.lower() for att in found}
        for i, spec in enumerate(af):
            if i >= MAX_ATTACHMENTS:
                break
            if isinstance(spec, pikepdf.Dictionary) and not (
                    _Attachment("", spec, None).names & known):
                add("", spec)
    return found


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64]
    if head.startswith((b"\xff\xfe<\x00", b"\xfe\xff\x00<")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


def _root_local_name(data: bytes) -> str:
    try:
        for _event, element in etree.iterparse(io.BytesIO(data), events=("start",),
                                               **_XML_PARSER_OPTIONS):
            return etree.QName(element).localname
    except (etree.XMLSyntaxError, ValueError):
        return ""
    return ""


# --- XMP ----------------------------------------------------------------------------------------

@dataclass
class _Xmp:
    present: bool = False
    error: Finding | None = None
    props: dict[str, str] = field(default_factory=dict)  # "{ns}name" → text, first wins


def _read_xmp(pdf: pikepdf.Pdf) -> _Xmp:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return _Xmp()
    result = _Xmp(present=True)

    def invalid(why_fr: str, why_en: str) -> _Xmp:
        result.error = _finding(
            "PDF_XMP_INVALID", Severity.ERROR,
            f"Les métadonnées XMP du PDF sont illisibles ({why_fr}).",
            f"The PDF's XMP metadata cannot be read ({why_en}).",
            _REEXPORT_FR, _REEXPORT_EN, "/Metadata",
        )
        return result

    try:
        data = _bounded_bytes(stream, MAX_XMP_SIZE)
    except _TooLarge:
        return invalid("plus de 4 Mo", "over 4 MB")
    except _Undecodable:
        return invalid("compression non prise en charge", "unsupported compression")
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        return invalid("déclaration DOCTYPE refusée", "DOCTYPE declaration refused")
    data = data.strip(b"\x00 \t\r\n")
    try:
        root = etree.fromstring(data, etree.XMLParser(**_XML_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError):
        return invalid("XML mal formé", "malformed XML")
    for desc in root.iter(f"{{{RDF}}}Description"):
        for name, value in desc.attrib.items():
            if name.startswith("{") and not name.startswith(f"{{{RDF}}}"):
                result.props.setdefault(name, value.strip())
        for child in desc:
            if not isinstance(child.tag, str):
                continue
            text = (child.text or "").strip()
            if not text:  # rdf:Alt / rdf:Seq / rdf:Bag: the first item
                item = child.find(f".//{{{RDF}}}li")
                text = (item.text or "").strip() if item is not None else ""
            result.props.setdefault(child.tag, text)
    return result


def normalise_profile(raw: str) -> str:
    """fx:ConformanceLevel → short key ("BASIC WL" → "basicwl"); unknown → "" ."""
    token = re.sub(r"[\s_\-]", "", raw).upper()
    return PROFILE_KEYS.get(token, "")


def _check_xmp(xmp: _Xmp, result: PdfResult) -> list[Finding]:
    findings: list[Finding] = []
    if not xmp.present:
        return [_finding(
            "PDF_XMP_MISSING", Severity.ERROR,
            "Le PDF n'a pas de métadonnées XMP : il ne peut pas être un PDF/A-3 Factur-X "
            "(le profil et le nom du fichier XML y sont déclarés).",
            "The PDF has no XMP metadata: it cannot be a Factur-X PDF/A-3 (the profile and "
            "the XML file name are declared there).",
            _REEXPORT_FR, _REEXPORT_EN, "/Metadata",
        )]
    if xmp.error:
        return [xmp.error]
    if result.pdfa_part != "3":
        claimed_fr = (f"il se déclare PDF/A-{result.pdfa_part}" if result.pdfa_part
                      else "il ne se déclare pas PDF/A")
        claimed_en = (f"it declares PDF/A-{result.pdfa_part}" if result.pdfa_part
                      else "it does not declare PDF/A")
        findings.append(_finding(
            "PDF_NOT_PDFA3", Severity.ERROR,
            f"Une facture Factur-X doit être un PDF/A-3 : {claimed_fr}.",
            f"A Factur-X invoice must be a PDF/A-3: {claimed_en}.",
            "Exportez la facture en PDF/A-3 (option « PDF/A-3 » ou « Factur-X » de votre "
            "logiciel).",
            "Export the invoice as PDF/A-3 (the \"PDF/A-3\" or \"Factur-X\" option of your "
            "software).",
            "XMP pdfaid:part",
        ))
    fx_ns = next((ns for ns in FX_NAMESPACES
                  if any(key.startswith(f"{{{ns}}}") for key in xmp.props)), None)
    if fx_ns is None:
        findings.append(_finding(
            "PDF_XMP_FACTURX_MISSING", Severity.ERROR,
            "Les métadonnées XMP du PDF ne contiennent pas la description Factur-X (profil, "
            "nom du fichier XML, type de document, version).",
            "The PDF's XMP metadata lacks the Factur-X description (profile, XML file name, "
            "document type, version).",
            _REEXPORT_FR, _REEXPORT_EN, "XMP fx:*",
        ))
        return findings
    prefix = f"{{{fx_ns}}}"
    level = xmp.props.get(prefix + "ConformanceLevel", "")
    result.xmp_profile_raw = level
    result.xmp_profile = normalise_profile(level)
    result.xmp_document_type = xmp.props.get(prefix + "DocumentType", "")
    result.xmp_document_file_name = xmp.props.get(prefix + "DocumentFileName", "")
    result.xmp_version = xmp.props.get(prefix + "Version", "")
    if not result.xmp_profile:
        said_fr = f"« {level} » n'est pas un profil connu" if level else "il est absent"
        said_en = f"\"{level}\" is not a known profile" if level else "it is missing"
        findings.append(_finding(
            "PDF_XMP_PROFILE", Severity.ERROR,
            f"Le profil Factur-X déclaré dans les métadonnées XMP (ConformanceLevel) n'est pas "
            f"valable : {said_fr}.",
            f"The Factur-X profile declared in the XMP metadata (ConformanceLevel) is not "
            f"valid: {said_en}.",
            "Valeurs admises : MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED. " + _REEXPORT_FR,
            "Allowed values: MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED. " + _REEXPORT_EN,
            "XMP fx:ConformanceLevel",
        ))
    if result.xml_name and result.xmp_document_file_name != result.xml_name:
        said_fr = (f"« {result.xmp_document_file_name} »" if result.xmp_document_file_name
                   else "aucun nom")
        said_en = (f"\"{result.xmp_document_file_name}\"" if result.xmp_document_file_name
                   else "no name")
        findings.append(_finding(
            "PDF_XMP_FILENAME", Severity.ERROR,
            f"Les métadonnées XMP annoncent {said_fr} comme fichier de la facture, mais le "
            f"fichier joint s'appelle « {result.xml_name} ».",
            f"The XMP metadata names {said_en} as the invoice file, but the embedded file is "
            f"called \"{result.xml_name}\".",
            "Le nom déclaré (DocumentFileName) et celui du fichier joint doivent être "
            "identiques. " + _REEXPORT_FR,
            "The declared name (DocumentFileName) and the embedded file's name must be the "
            "same. " + _REEXPORT_EN,
            "XMP fx:DocumentFileName",
        ))
    if result.xmp_document_type.strip().upper() != "INVOICE":
        said_fr = (f"« {result.xmp_document_type} »" if result.xmp_document_type
                   else "absent")
        said_en = (f"\"{result.xmp_document_type}\"" if result.xmp_document_type
                   else "missing")
        findings.append(_finding(
            "PDF_XMP_DOCTYPE", Severity.ERROR,
            f"Le type de document déclaré dans les métadonnées XMP doit être INVOICE : il est "
            f"{said_fr}.",
            f"The document type declared in the XMP metadata must be INVOICE: it is "
            f"{said_en}.",
            "Seules les factures et les avoirs sont acceptés (pas les commandes Order-X). "
            + _REEXPORT_FR,
            "Only invoices and credit notes are accepted (not Order-X orders). "
            + _REEXPORT_EN,
            "XMP fx:DocumentType",
        ))
    if not result.xmp_version:
        findings.append(_finding(
            "PDF_XMP_VERSION", Severity.ERROR,
            "La version Factur-X n'est pas déclarée dans les métadonnées XMP (Version).",
            "The Factur-X version is not declared in the XMP metadata (Version).",
            _REEXPORT_FR, _REEXPORT_EN, "XMP fx:Version",
        ))
    return findings


# --- the invoice's file specification -----------------------------------------------------------

def _check_filespec(pdf: pikepdf.Pdf, att: _Attachment, result: PdfResult) -> list[Finding]:
    findings: list[Finding] = []
    location = f"/EmbeddedFiles ({att.name})"
    af = pdf.Root.get("/AF")
    referenced = False
    if isinstance(af, pikepdf.Array):
        og = _objgen(att.spec)
        for i, item in enumerate(af):
            if i >= MAX_ATTACHMENTS:
                break
            if not isinstance(item, pikepdf.Dictionary):
                continue
            # the same object, or (as some producers write) a copy of it under the same name
            if (og != (0, 0) and _objgen(item) == og) or (
                    att.name.lower() in _Attachment("", item, None).names):
                referenced = True
                break
    if not referenced:
        findings.append(_finding(
            "PDF_AF_MISSING", Severity.ERROR,
            f"Le fichier « {att.name} » est joint au PDF mais n'est pas déclaré comme fichier "
            "associé du document (tableau /AF), comme PDF/A-3 et Factur-X l'exigent.",
            f"The file \"{att.name}\" is embedded in the PDF but not declared as an associated "
            "file of the document (/AF array), as PDF/A-3 and Factur-X require.",
            _REEXPORT_FR, _REEXPORT_EN, "/Root/AF",
        ))
    relationship = att.spec.get("/AFRelationship")
    rel = str(relationship)[1:] if isinstance(relationship, pikepdf.Name) else ""
    result.af_relationship = rel
    if rel in _PDFA3_RELATIONSHIPS and rel not in _AF_RELATIONSHIPS:
        findings.append(_finding(
            "PDF_AF_RELATIONSHIP_UNUSUAL", Severity.WARNING,
            f"La relation du fichier « {att.name} » avec le PDF (AFRelationship) vaut « {rel} » "
            ": PDF/A-3 l'admet, mais Factur-X demande Data, Source ou Alternative.",
            f"The relationship of the file \"{att.name}\" to the PDF (AFRelationship) is "
            f"\"{rel}\": PDF/A-3 admits it, but Factur-X asks for Data, Source or Alternative.",
            location=location + " /AFRelationship",
        ))
    elif rel not in _AF_RELATIONSHIPS:
        said_fr = f"elle vaut « {rel} »" if rel else "elle est absente"
        said_en = f"it is \"{rel}\"" if rel else "it is missing"
        findings.append(_finding(
            "PDF_AF_RELATIONSHIP", Severity.ERROR,
            f"La relation du fichier « {att.name} » avec le PDF (AFRelationship) doit être "
            f"Data, Source ou Alternative : {said_fr}.",
            f"The relationship of the file \"{att.name}\" to the PDF (AFRelationship) must be "
            f"Data, Source or Alternative: {said_en}.",
            "PDF/A-3 exige cette clé sur tout fichier joint, avec une valeur de sa liste ; "
            "Factur-X demande Data, Source ou Alternative. " + _REEXPORT_FR,
            "PDF/A-3 requires this key on every embedded file, with a value from its list; "
            "Factur-X asks for Data, Source or Alternative. " + _REEXPORT_EN,
            location + " /AFRelationship",
        ))
    subtype = att.stream.get("/Subtype") if att.stream is not None else None
    mime = str(subtype)[1:] if isinstance(subtype, pikepdf.Name) else ""
    if mime != "text/xml":
        said_fr = f"« {mime} »" if mime else "aucun"
        said_en = f"\"{mime}\"" if mime else "none"
        findings.append(_finding(
            "PDF_MIME_TYPE", Severity.WARNING,
            f"Le type du fichier « {att.name} » devrait être text/xml (type déclaré : "
            f"{said_fr}).",
            f"The type of the file \"{att.name}\" should be text/xml (declared type: "
            f"{said_en}).",
            "Sans gravité pour la lecture de la facture ; corrigez le réglage d'export à "
            "l'occasion.",
            "Harmless for reading the invoice; fix the export setting when you can.",
            location + " /Subtype",
        ))
    return findings


# --- entry points -------------------------------------------------------------------------------

def extract_invoice(data: bytes) -> PdfResult:
    """Find the invoice XML in a PDF and check the Factur-X container. Never raises."""
    result = PdfResult()
    try:
        _extract(data, result)
    except _Limit as limit:
        result.xml = None
        result.findings.append(limit.finding)
    except pikepdf.PasswordError:
        result.xml = None
        result.findings.append(_encrypted())
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, etree.LxmlError, OSError,
            RuntimeError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            RecursionError, MemoryError, zlib.error) as exc:
        result.xml = None
        del exc  # its class and text are Python's, not the supplier's
        result.findings.append(_unreadable("sa structure est endommagée",
                                           "its structure is damaged"))
    return result


def _encrypted() -> Finding:
    return _finding(
        "PDF_ENCRYPTED", Severity.FATAL,
        "Le PDF est chiffré ou protégé par un mot de passe : il ne peut pas être traité.",
        "The PDF is encrypted or password-protected: it cannot be processed.",
        "Enregistrez la facture sans mot de passe ni restriction (chiffrement, protection contre "
        "la copie ou l'impression) et déposez-la de nouveau.",
        "Save the invoice without password or restrictions (encryption, copy or print "
        "protection) and send it again.",
    )


def _extract(data: bytes, result: PdfResult) -> None:
    findings = result.findings
    if b"%PDF-" not in data[:1024]:
        findings.append(_unreadable("ce n'est pas un fichier PDF", "it is not a PDF file"))
        return
    if b"%%EOF" not in data[-1024:]:
        findings.append(_unreadable(
            "il est tronqué (la fin du fichier manque)", "it is truncated (its end is missing)",
            "%%EOF"))
        return
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if pdf.is_encrypted:
            findings.append(_encrypted())
            return
        size = pdf.trailer.get("/Size")
        if isinstance(size, int | pikepdf.Object) and int(size) > MAX_OBJECTS:
            findings.append(_too_complex("nombre d'objets", "number of objects"))
            return
        if not isinstance(pdf.Root, pikepdf.Dictionary):
            findings.append(_unreadable("le catalogue du document manque",
                                        "the document catalog is missing"))
            return
        try:
            result.page_count = len(pdf.pages)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError):
            result.page_count = 0
        xmp = _read_xmp(pdf)
        result.pdfa_part = xmp.props.get(f"{{{PDFAID}}}part", "")
        result.pdfa_conformance = xmp.props.get(f"{{{PDFAID}}}conformance", "")
        attachments = _attachments(pdf)
        invoice = _pick_invoice(attachments, result)
        result.attachments = [(att.name, _stored_size(att.stream) if att.stream is not None
                               else 0) for att in attachments if att is not invoice]
        if invoice is None:
            _xmp_info_only(xmp, result)
            if not any(f.blocking for f in findings):
                order = _order_x(attachments, result.xmp_document_type)
                findings.append(order if order is not None else _no_invoice_xml())
            return
        if result.xml is None and any(f.severity == Severity.FATAL for f in findings):
            return
        findings.extend(_check_filespec(pdf, invoice, result))
        findings.extend(_check_xmp(xmp, result))
        warnings = [w for w in pdf.get_warnings() if w]
        if warnings:
            findings.append(_finding(
                "PDF_DAMAGED", Severity.WARNING,
                "Le PDF est endommagé : il a pu être lu après réparation, mais d'autres "
                "logiciels pourraient le refuser.",
                "The PDF is damaged: it could be read after repair, but other software may "
                "refuse it.",
                "Exportez de nouveau la facture depuis votre logiciel.",
                "Export the invoice again from your software.",
                damage_location(warnings),
            ))


# qpdf's warnings start with the input's name, which for bytes is a Python object's repr
# ("<_io.BytesIO object at 0x7f…>"): only the byte offset it names is kept.
_QPDF_OFFSET = re.compile(r"\(.*?offset (\d+)\)")


def damage_location(warnings: list) -> str:
    """Where qpdf first found the damage, as "offset N" ("" when it does not say)."""
    found = next(filter(None, (_QPDF_OFFSET.search(str(w)) for w in warnings)), None)
    return f"offset {found.group(1)}" if found else ""


def _xmp_info_only(xmp: _Xmp, result: PdfResult) -> None:
    """Fill the XMP claims of a PDF without invoice, without judging them."""
    scratch = PdfResult()
    if xmp.present and not xmp.error:
        _check_xmp(xmp, scratch)
    for name in ("xmp_profile", "xmp_profile_raw", "xmp_document_type",
                 "xmp_document_file_name", "xmp_version"):
        setattr(result, name, getattr(scratch, name))


def _pick_invoice(attachments: list[_Attachment], result: PdfResult) -> _Attachment | None:
    """Choose the invoice attachment, read it (bounded) into result.xml, add findings."""
    findings = result.findings
    named = sorted(
        ((min(_INVOICE_NAMES.get(n, 99) for n in att.names), i, att)
         for i, att in enumerate(attachments)),
        key=lambda t: (t[0], t[1]),
    )
    named = [(rank, att) for rank, _i, att in named if rank < 99]
    if named:
        rank, invoice = named[0]
        for _rank, other in named[1:]:
            findings.append(_finding(
                "PDF_MULTIPLE_INVOICE_XML", Severity.WARNING,
                f"Le PDF contient plusieurs factures XML : « {invoice.name} » est utilisée, "
                f"« {other.name} » est ignorée.",
                f"The PDF contains several XML invoices: \"{invoice.name}\" is used, "
                f"\"{other.name}\" is ignored.",
                "Ne joignez qu'un seul fichier factur-x.xml.",
                "Embed only one factur-x.xml file.",
                f"/EmbeddedFiles ({other.name})",
            ))
        data = _read_attachment(invoice, findings)
        result.xml_name = invoice.name
        if data is None:
            return invoice
        if not _looks_like_xml(data):
            findings.append(_finding(
                "PDF_ATTACHMENT_NOT_XML", Severity.ERROR,
                f"Le fichier « {invoice.name} » joint au PDF n'est pas un fichier XML : la "
                "facture structurée ne peut pas être lue.",
                f"The file \"{invoice.name}\" embedded in the PDF is not an XML file: the "
                "structured invoice cannot be read.",
                _REEXPORT_FR, _REEXPORT_EN, f"/EmbeddedFiles ({invoice.name})",
            ))
            return invoice
        result.xml = data
        if rank == 1:
            version = "1.0" if invoice.name == ZUGFERD1_NAME else "2.0"
            findings.append(_finding(
                "PDF_LEGACY_NAME", Severity.WARNING,
                f"Le fichier de la facture s'appelle « {invoice.name} » (nom ZUGFeRD "
                f"{version}) ; le nom attendu aujourd'hui est factur-x.xml.",
                f"The invoice file is called \"{invoice.name}\" (ZUGFeRD {version} name); the "
                "name expected today is factur-x.xml.",
                location=f"/EmbeddedFiles ({invoice.name})",
            ))
        elif rank == 2:
            findings.append(_finding(
                "PDF_XRECHNUNG_NAME", Severity.WARNING,
                f"Le fichier de la facture s'appelle « {invoice.name} » (facture XRechnung "
                "allemande) ; le nom attendu est factur-x.xml.",
                f"The invoice file is called \"{invoice.name}\" (German XRechnung invoice); "
                "the expected name is factur-x.xml.",
                location=f"/EmbeddedFiles ({invoice.name})",
            ))
        return invoice
    sniffed = 0
    for att in attachments:
        if not att.name.lower().endswith(".xml") or att.stream is None:
            continue
        sniffed += 1
        if sniffed > MAX_XML_SNIFFED:
            break
        scratch: list[Finding] = []
        data = _read_attachment(att, scratch)
        if data is None or _root_local_name(data) != "CrossIndustryInvoice":
            continue
        result.xml = data
        result.xml_name = att.name
        # Read anyway, so that the supplier learns every other defect at once; but it is an
        # error, as in the official readers: Mustang and the factur-x library look for the
        # specified names only and find no invoice in this PDF.
        findings.append(_finding(
            "PDF_UNUSUAL_NAME", Severity.ERROR,
            f"La facture structurée a été trouvée dans le fichier « {att.name} », un nom "
            f"qu'aucune version de Factur-X ni de ZUGFeRD n'admet. {NAMES_RULE_FR}",
            f"The structured invoice was found in the file \"{att.name}\", a name no version "
            f"of Factur-X or ZUGFeRD admits. {NAMES_RULE_EN}",
            "Renommez le fichier joint factur-x.xml : " + _REEXPORT_FR,
            "Rename the embedded file factur-x.xml: " + _REEXPORT_EN,
            f"/EmbeddedFiles ({att.name})",
        ))
        return att
    return None


def _order_x(attachments: list[_Attachment], xmp_document_type: str) -> Finding | None:
    """An Order-X PDF (an order, not an invoice) named as such: by its order-x.xml file, or an
    XML attachment whose root is Order-X's, or an XMP document type ORDER*."""
    found = next((att for att in attachments if ORDER_X_NAME in att.names), None)
    sniffed = 0
    for att in attachments:
        if found is not None:
            break
        if not att.name.lower().endswith(".xml") or att.stream is None:
            continue
        sniffed += 1
        if sniffed > MAX_XML_SNIFFED:
            break
        data = _read_attachment(att, [])
        if data is not None and _root_local_name(data) == ORDER_X_ROOT:
            found = att
    doc_type = xmp_document_type.strip().upper()
    if found is None and doc_type not in ORDER_X_TYPES:
        return None
    kind_fr, kind_en = ORDER_X_TYPES.get(doc_type, ORDER_X_TYPES["ORDER"])
    where_fr = f", fichier « {found.name} »" if found is not None else ""
    where_en = f", file \"{found.name}\"" if found is not None else ""
    return _finding(
        "PDF_ORDER_X", Severity.ERROR,
        f"Ce PDF est un document Order-X ({kind_fr}{where_fr}, élément racine "
        f"rsm:{ORDER_X_ROOT}), pas une facture.",
        f"This PDF is an Order-X document ({kind_en}{where_en}, root element "
        f"rsm:{ORDER_X_ROOT}), not an invoice.",
        location=f"/EmbeddedFiles ({found.name})" if found is not None
        else "XMP fx:DocumentType",
    )


def _read_attachment(att: _Attachment, findings: list[Finding]) -> bytes | None:
    location = f"/EmbeddedFiles ({att.name})"
    if att.stream is None:
        findings.append(_finding(
            "PDF_ATTACHMENT_UNREADABLE", Severity.ERROR,
            f"Le fichier « {att.name} » est déclaré dans le PDF mais son contenu est absent.",
            f"The file \"{att.name}\" is declared in the PDF but its content is missing.",
            _REEXPORT_FR, _REEXPORT_EN, location,
        ))
        return None
    try:
        return _bounded_bytes(att.stream, MAX_XML_SIZE)
    except _TooLarge:
        findings.append(_finding(
            "PDF_ATTACHMENT_TOO_LARGE", Severity.FATAL,
            f"Le fichier « {att.name} » joint au PDF dépasse {MAX_XML_SIZE // (1024 * 1024)} Mo "
            "une fois décompressé : il est refusé.",
            f"The file \"{att.name}\" embedded in the PDF exceeds "
            f"{MAX_XML_SIZE // (1024 * 1024)} MB once decompressed: it is refused.",
            "Une facture XML pèse rarement plus de quelques centaines de Ko : vérifiez le "
            "fichier joint ou déposez les justificatifs séparément.",
            "An XML invoice rarely weighs more than a few hundred KB: check the embedded file "
            "or send the supporting documents separately.",
            location,
        ))
    except _Undecodable:
        findings.append(_finding(
            "PDF_ATTACHMENT_UNREADABLE", Severity.ERROR,
            f"Le fichier « {att.name} » joint au PDF ne peut pas être décompressé (méthode de "
            "compression endommagée ou non admise en PDF/A-3).",
            f"The file \"{att.name}\" embedded in the PDF cannot be decompressed (damaged "
            "compression, or a method PDF/A-3 does not allow).",
            _REEXPORT_FR, _REEXPORT_EN, location,
        ))
    return None


def xmp_vs_xml_profile(xmp_profile: str, xml_profile: str) -> Finding | None:
    """An error when the XMP claims another profile than the XML's guideline says.

    Both are short keys ("minimum", "basicwl", "basic", "en16931", "extended"…). Nothing is
    said when either is empty or unknown: a missing XMP profile is PDF_XMP_PROFILE's business.
    """
    if xmp_profile not in PROFILE_LABELS or xml_profile not in PROFILE_LABELS:
        return None
    if xmp_profile == xml_profile or xml_profile in _PROFILE_EQUIVALENTS.get(xmp_profile, ()):
        return None
    xmp_label, xml_label = PROFILE_LABELS[xmp_profile], PROFILE_LABELS[xml_profile]
    return _finding(
        "PDF_PROFILE_MISMATCH", Severity.ERROR,
        f"Le PDF annonce le profil Factur-X {xmp_label} (métadonnées XMP) mais la facture XML "
        f"jointe est au profil {xml_label}.",
        f"The PDF announces the Factur-X profile {xmp_label} (XMP metadata) but the embedded "
        f"XML invoice has the profile {xml_label}.",
        "Le profil déclaré dans le PDF et celui de la facture XML (identifiant de la "
        "spécification, BT-24) doivent être identiques. " + _REEXPORT_FR,
        "The profile declared in the PDF and the XML invoice's one (specification identifier, "
        "BT-24) must be the same. " + _REEXPORT_EN,
        "XMP fx:ConformanceLevel",
    )
