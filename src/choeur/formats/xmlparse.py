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

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 128
# True when an element sits deeper than MAX_DEPTH: libxml2 walks the levels in C, which is
# twenty times faster than measuring the depth from Python on every invoice.
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
ACCEPTED_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1",
                      "iso-8859-15", "windows-1252", "cp1252", "utf-16"}


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
    return Finding(rule=rule, severity=Severity.FATAL, layer=Layer.XML, message_fr=fr,
                   message_en=en, location=location)


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
    declared = _DECLARED_ENCODING.match(head)
    if declared and declared.group(1).decode("ascii").lower() not in ACCEPTED_ENCODINGS:
        return Parsed(None, [_fatal(
            "INPUT_ENCODING",
            f"L'encodage déclaré « {declared.group(1).decode('ascii')} » n'est pas pris en "
            "charge : enregistrez le fichier en UTF-8.",
            f"Declared encoding “{declared.group(1).decode('ascii')}” is not supported: save "
            "the file as UTF-8.",
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
    except ValueError as exc:  # e.g. a str with an encoding declaration
        return Parsed(None, [_fatal("XML_MALFORMED", f"Fichier XML illisible ({exc}).",
                                    f"Unreadable XML file ({exc}).")])
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
