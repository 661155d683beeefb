"""Hardened XML parsing: no DTD, no entities, no network, bounded size and depth.

Invoices come from strangers. A DOCTYPE is refused outright (it is the door for XXE and
entity bombs, and no invoice format needs one); lxml is told not to resolve entities nor touch
the network anyway, and a too-deep tree is refused before anyone walks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from choeur.formats.findings import Finding, Layer, Severity
from choeur.formats.messages import hints

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 128
# True when an element sits deeper than MAX_DEPTH: libxml2 walks the levels in C, which is
# twenty times faster than measuring the depth from Python on every invoice.
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(r"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
ACCEPTED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1",
                      "iso-8859-15", "windows-1252", "cp1252", "utf-16", "utf-16le", "utf-16be"}
UTF16_NAMES = {"utf-16", "utf-16le", "utf-16be", "utf16", "ucs-2", "iso-10646-ucs-2"}
# Encodings whose bytes cannot look like ASCII "<?xml": declared on a file that does, they lie.
_WIDE_PREFIXES = ("utf-16", "utf16", "utf-32", "utf32", "ucs-2", "ucs-4", "iso-10646-ucs")
# The encoding the first bytes show: a byte order mark, or the UTF-16 pattern of "<?"
# (XML 1.0, appendix F). None for an ASCII-compatible file without BOM.
_SIGNATURES = (
    (b"\xef\xbb\xbf", "UTF-8", "utf-8", True),
    (b"\xff\xfe", "UTF-16", "utf-16-le", True),
    (b"\xfe\xff", "UTF-16", "utf-16-be", True),
    (b"<\x00?\x00", "UTF-16", "utf-16-le", False),
    (b"\x00<\x00?", "UTF-16", "utf-16-be", False),
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=False, remove_pis=False, collect_ids=False,
    )


@dataclass
class Parsed:
    root: etree._Element | None
    findings: list[Finding]


def _fatal(rule: str, fr: str, en: str, location: str = "") -> Finding:
    hint_fr, hint_en = hints(rule)
    return Finding(rule=rule, severity=Severity.FATAL, layer=Layer.XML, message_fr=fr,
                   message_en=en, location=location, hint_fr=hint_fr, hint_en=hint_en)


def _declared_encoding(head: bytes) -> tuple[str, Finding | None]:
    """The encoding the XML declaration names ("" if none), and a fatal finding when the
    bytes say otherwise.

    lxml trusts the byte order mark and ignores such a contradiction; the official rule
    tools do not: Saxon (its Xerces parser) stops with SXXP0003 "Content is not allowed in
    prolog" on UTF-16 declared UTF-8 and on single-byte text declared UTF-16, and XML 1.0
    (§ 4.3.3, appendix F) makes both an error. Refusing them here gives the verdict those
    tools give. A UTF-8 BOM under a single-byte declaration (ISO-8859-1…) is read as UTF-8
    by both, and accepted here too (tests/formats/test_edge_cases.py checks against Saxon)."""
    shown, codec, has_bom = "", "ascii", False
    for signature, name, candidate, bom in _SIGNATURES:
        if head.startswith(signature):
            shown, codec, has_bom = name, candidate, bom
            if bom:
                head = head[len(signature):]
            break
    text = head[:1024].decode(codec, errors="replace")
    found = _DECLARED_ENCODING.match(text)
    declared = found.group(1) if found else ""
    lowered = declared.lower()
    if not declared:
        return "", None
    if shown == "UTF-16" and lowered not in UTF16_NAMES:
        how_fr, how_en = (("d'après sa marque d'ordre des octets, BOM",
                           "according to its byte order mark") if has_bom else
                          ("d'après ses premiers octets", "according to its first bytes"))
        return declared, _mismatch(f"est encodé en UTF-16 ({how_fr})",
                                   f"is encoded in UTF-16 ({how_en})", declared)
    if shown == "UTF-8" and lowered.startswith(_WIDE_PREFIXES):
        return declared, _mismatch(
            "est encodé en UTF-8 (d'après sa marque d'ordre des octets, BOM)",
            "is encoded in UTF-8 (according to its byte order mark)", declared)
    if not shown and lowered.startswith(_WIDE_PREFIXES):
        return declared, _mismatch(
            "est écrit un octet par caractère, sans marque d'ordre des octets (comme en UTF-8)",
            "is written one byte per character, without a byte order mark (as in UTF-8)",
            declared)
    return declared, None


def _mismatch(actual_fr: str, actual_en: str, declared: str) -> Finding:
    return _fatal(
        "XML_ENCODING_MISMATCH",
        f"Le fichier XML {actual_fr} mais son en-tête déclare encoding=\"{declared}\" : les "
        "analyseurs XML officiels (libxml2, Saxon, Xerces) refusent cette contradiction.",
        f"The XML file {actual_en} but its header declares encoding=\"{declared}\": the "
        "official XML parsers (libxml2, Saxon, Xerces) refuse this contradiction.",
        "line 1",
    )


def parse(data: bytes) -> Parsed:
    """Parse untrusted XML; on any problem, return no tree and a fatal finding."""
    if len(data) > MAX_XML_BYTES:
        return Parsed(None, [_fatal(
            "XML_TOO_LARGE",
            f"Le fichier XML dépasse la taille maximale de {MAX_XML_BYTES // (1024 * 1024)} Mo.",
            f"The XML file is larger than the maximum of {MAX_XML_BYTES // (1024 * 1024)} MB.",
        )])
    head = data[:4096]
    if _DOCTYPE.search(data):
        return Parsed(None, [_fatal(
            "XML_FORBIDDEN_DTD",
            "Le fichier contient une déclaration DOCTYPE ou ENTITY : refusée pour des raisons "
            "de sécurité (aucun format de facture n'en a besoin).",
            "The file contains a DOCTYPE or ENTITY declaration: refused for security reasons "
            "(no invoice format needs one).",
        )])
    declared, mismatch = _declared_encoding(head)
    if mismatch is not None:
        return Parsed(None, [mismatch])
    if declared and declared.lower() not in ACCEPTED_ENCODINGS:
        return Parsed(None, [_fatal(
            "INPUT_ENCODING",
            f"L'encodage déclaré « {declared} » n'est pas pris en charge : enregistrez le "
            "fichier en UTF-8.",
            f"Declared encoding “{declared}” is not supported: save the file as UTF-8.",
        )])
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = f"ligne {exc.lineno}" if exc.lineno else ""
        if "depth" in str(exc).lower():  # libxml2 stops at 256 levels by itself
            return Parsed(None, [_fatal(
                "XML_TOO_DEEP",
                f"L'arborescence XML est trop profonde (plus de {MAX_DEPTH} niveaux).",
                f"The XML tree is too deep (more than {MAX_DEPTH} levels).", line)])
        if "encoding" in str(exc).lower() or "utf-8" in str(exc).lower():
            return Parsed(None, [_fatal(
                "INPUT_ENCODING",
                f"Le fichier n'est pas correctement encodé ({exc.msg}) : enregistrez-le en "
                "UTF-8.",
                f"The file is not correctly encoded ({exc.msg}): save it as UTF-8.", line)])
        return Parsed(None, [_fatal(
            "XML_MALFORMED",
            f"Le fichier XML est mal formé ({exc.msg}).",
            f"The XML file is not well-formed ({exc.msg}).", line)])
    except ValueError:  # lxml's own refusals; their text is Python's, not the user's
        return Parsed(None, [_fatal("XML_MALFORMED", "Fichier XML illisible.",
                                    "Unreadable XML file.")])
    if root is None:
        return Parsed(None, [_fatal("XML_MALFORMED", "Fichier XML vide.", "Empty XML file.")])
    if _TOO_DEEP(root):
        depth = _depth(root)
        return Parsed(None, [_fatal(
            "XML_TOO_DEEP",
            f"L'arborescence XML est trop profonde ({depth} niveaux, {MAX_DEPTH} au plus).",
            f"The XML tree is too deep ({depth} levels, {MAX_DEPTH} at most).")])
    return Parsed(root, [])


def _depth(root) -> int:
    """Depth of the tree, iteratively (recursion is what a deep tree would exploit; libxml2
    has already refused anything deeper than 256 levels)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node)
    return deepest


def local_name(element) -> str:
    return etree.QName(element).localname
