"""What a validation says: findings and the report. Plain data, no Django."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    FATAL = "fatal"  # the file cannot be read or a layer could not run: nothing else is sure
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Layer(StrEnum):
    """Where a finding comes from, in the order the layers run."""

    INPUT = "input"  # detection, size, encoding, archive
    XML = "xml"  # well-formedness, hardened parsing
    PDF = "pdf"  # Factur-X container: attachment, /AF, XMP
    PROFILE = "profile"  # which rule set applies
    XSD = "xsd"
    RULES = "rules"  # Schematron (official XSLT artefacts)


@dataclass
class Finding:
    rule: str  # the rule id ("BR-CO-10", "FX-SCH-A-000571", "XSD", "INPUT_NOT_AN_INVOICE"…)
    severity: Severity
    layer: Layer
    message_fr: str
    message_en: str
    location: str = ""  # XPath (rules), line:column (XSD, XML) or a place in the file
    bt: str = ""  # EN 16931 business term, e.g. "BT-10"
    hint_fr: str = ""
    hint_en: str = ""
    rule_text: str = ""  # the rule's own text, as the artefact says it
    source: str = ""  # which artefact (e.g. "FACTUR-X_EN16931.xslt")

    @property
    def blocking(self) -> bool:
        return self.severity in (Severity.FATAL, Severity.ERROR)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["layer"] = str(self.layer)
        return data


@dataclass
class Report:
    syntax: str = ""  # "CII", "UBL", "" when unknown
    profile: str = ""  # "minimum", "basicwl", "basic", "en16931", "extended", or the raw guideline
    container: str = ""  # "pdf" (Factur-X), "xml"
    document_type: str = ""  # "invoice" / "credit_note" (UBL root; CII type code)
    findings: list[Finding] = field(default_factory=list)
    xml: bytes | None = None  # the invoice XML (extracted from the PDF where there was one)
    layers_run: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def readable(self) -> bool:
        return not any(f.severity == Severity.FATAL and f.layer in (Layer.INPUT, Layer.XML,
                                                                    Layer.PDF)
                       for f in self.findings)

    @property
    def failed_rules(self) -> list[str]:
        """Ids of blocking findings, each once, in order of appearance."""
        seen: dict[str, None] = {}
        for finding in self.findings:
            if finding.blocking:
                seen.setdefault(finding.rule, None)
        return list(seen)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
