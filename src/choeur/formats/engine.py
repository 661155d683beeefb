"""The validation engine: detection, container, XML, profile routing, XSD, official rules.

One `Engine` per process (see `default_engine()`): one Saxon processor, each stylesheet
compiled once and kept, each XSD loaded once — on first use, so that a batch compiles only
the rule sets its files need (`warm_up()` compiles them all, for benchmarks). Saxon is
created lazily, in the process that uses it (never before a fork). Layers run in order and
are never skipped silently: a layer that cannot run is a fatal finding.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from choeur.formats import detect, rules, stylesheets, xmlparse
from choeur.formats.findings import Finding, Layer, Report, Severity

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
MAX_XSD_FINDINGS = 50
FLAG_SEVERITY = {"fatal": Severity.FATAL, "error": Severity.ERROR,
                 "warning": Severity.WARNING, "information": Severity.INFO,
                 "info": Severity.INFO}
CII = {"rsm": rules.CII_NS,
       "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def _describe(rule_id: str, rule_text: str):
    """The human message of a rule (messages.py), or a plain one made of the rule's text."""
    try:
        from choeur.formats.messages import describe
    except ImportError:  # pragma: no cover - the catalogue is part of the package
        return None
    return describe(rule_id, rule_text)


def _finding(rule: str, severity: Severity, layer: Layer, fr: str, en: str, **extra) -> Finding:
    described = _describe(rule, extra.get("rule_text", ""))
    if described is not None:
        extra.setdefault("bt", described.bt)
        extra.setdefault("hint_fr", described.hint_fr)
        extra.setdefault("hint_en", described.hint_en)
    return Finding(rule=rule, severity=severity, layer=layer, message_fr=fr, message_en=en,
                   **extra)


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


def _detail(exc: BaseException) -> str:
    """What a failing component said, for a message: its text (Saxon's error code and words),
    never a Python object's address, bounded."""
    text = _OBJECT_REPR.sub("", str(exc))
    return " ".join(text.split())[:300] or "?"


def _generic(rule: str, severity: Severity, layer: Layer, detail_fr: str = "",
             detail_en: str = "", **extra) -> Finding:
    described = _describe(rule, "")
    fr = described.fr if described else rule
    en = described.en if described else rule
    if detail_fr:
        fr = f"{fr} {detail_fr}"
        en = f"{en} {detail_en or detail_fr}"
    return _finding(rule, severity, layer, fr, en, **extra)


_GUIDELINE_AT = "/CrossIndustryInvoice/ExchangedDocumentContext/" \
                "GuidelineSpecifiedDocumentContextParameter/ID"


def _unknown_profile(identifier: str, location: str) -> Finding:
    if identifier:
        fr = f"« {identifier} » n'est l'identifiant d'aucun profil connu."
        en = f"“{identifier}” is the identifier of no known profile."
    else:
        fr, en = "L'identifiant est absent.", "The identifier is missing."
    return _generic("PROFILE_UNKNOWN", Severity.ERROR, Layer.PROFILE, fr, en, location=location)


def _what_it_is(namespace: str | None, name: str) -> tuple[str, str, str]:
    """A well-formed document that is not an invoice, named for the supplier: French, English,
    and the syntax to report ("" when unknown)."""
    if namespace == rules.ORDER_X_NS:
        return (f"une commande Order-X (rsm:{name})", f"an Order-X order (rsm:{name})",
                "Order-X")
    ubl = rules.UBL_DOCUMENT_NS.match(namespace or "")
    if ubl:
        return (f"un document UBL {ubl.group(1)}, pas une facture (Invoice) ni un avoir "
                "(CreditNote)",
                f"a UBL {ubl.group(1)} document, neither an Invoice nor a CreditNote", "UBL")
    if namespace:
        return (f"un document XML d'élément racine {name} (espace de noms {namespace})",
                f"an XML document whose root element is {name} (namespace {namespace})", "")
    return (f"un document XML d'élément racine {name}, sans espace de noms",
            f"an XML document whose root element is {name}, without namespace", "")


class Engine:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the dictionaries below, held briefly
        self._processor = None
        self._executables: dict[Path, object] = {}
        self._schemas: dict[Path, etree.XMLSchema] = {}
        self._building: dict[Path, threading.Lock] = {}  # one lock per resource being built

    # --- resources, built once, on first use ------------------------------------------------

    @property
    def processor(self):
        if self._processor is None:
            with self._lock:
                if self._processor is None:
                    from saxonche import PySaxonProcessor

                    self._processor = PySaxonProcessor(license=False)
        return self._processor

    def _once(self, cache: dict, key: Path, build):
        """The cached resource, built by the first thread that needs it; the others wait for
        that one only (a thread needing another rule set is not held up)."""
        found = cache.get(key)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found = cache.get(key)
            if found is None:
                found = build()
                cache[key] = found
            return found

    def executable(self, ruleset: rules.RuleSet):
        return self._once(self._executables, ruleset.xslt, lambda: self._compile(ruleset))

    def compiled(self) -> list[str]:
        """The file names of the stylesheets compiled so far (tests, benchmarks)."""
        return sorted(path.name for path in self._executables)

    def _compile(self, ruleset: rules.RuleSet):
        """Compile an official stylesheet, prepared for speed with the same verdicts
        (stylesheets.py says how)."""
        text = stylesheets.prepare(ruleset.xslt.read_text(encoding="utf-8"),
                                   ruleset.codedb.name if ruleset.codedb else None)
        exe = self.processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=text)
        if exe is None:
            raise RuntimeError(f"cannot compile {ruleset.xslt.name}")
        if ruleset.codedb is not None:
            exe.set_parameter(stylesheets.CODEDB_PARAM,
                              self.processor.parse_xml(xml_file_name=str(ruleset.codedb)))
        return exe

    def schema(self, path: Path) -> etree.XMLSchema:
        def load():
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            return etree.XMLSchema(etree.parse(str(path), parser))

        return self._once(self._schemas, path, load)

    def warm_up(self) -> None:
        """Compile every stylesheet and load every schema now (benchmarks that must not time
        a compilation). Nothing else needs it: each is built when a file first needs it."""
        for profile in rules.PROFILES:
            self.schema(rules.facturx_xsd(profile))
            self.executable(rules.facturx_rules(profile))
        for path in (rules.UBL_INVOICE_XSD, rules.UBL_CREDIT_NOTE_XSD):
            self.schema(path)
        for ruleset in (rules.CEN_UBL, rules.BR_FR_UBL, rules.BR_FR_CII):
            self.executable(ruleset)

    def run_ruleset(self, xml_text: str, ruleset: rules.RuleSet) -> list[Finding]:
        """One rule set on one document, nothing else (the CEN unit tests use this)."""
        report = Report()
        node = self.processor.parse_xml(xml_text=xml_text)
        self._rules(node, ruleset, report)
        return report.findings

    # --- the pipeline ---------------------------------------------------------------------------

    def validate(self, data: bytes, filename: str = "") -> Report:
        """Validate one file (PDF or XML). Batches go through `validate_batch`."""
        report = Report()
        kind = detect.kind(data)
        if kind == "empty":
            report.add(_generic("INPUT_EMPTY", Severity.FATAL, Layer.INPUT))
            return report
        if kind in ("zip", "tar"):
            report.add(_finding(
                "INPUT_BATCH", Severity.FATAL, Layer.INPUT,
                "Ce fichier est une archive (lot de factures) : déposez-le comme un flux, ou "
                "déposez les factures une à une.",
                "This file is an archive (a batch of invoices): deposit it as a flux, or "
                "deposit the invoices one by one."))
            return report
        xmp_profile = ""
        if kind == "pdf":
            report.container = "pdf"
            xml, xmp_profile = self._from_pdf(data, report)
            if xml is None:
                if any(f.rule == "PDF_ORDER_X" for f in report.findings):
                    report.syntax = "Order-X"
                return report
        elif kind == "xml":
            report.container = "xml"
            xml = data
        else:
            report.add(_generic("INPUT_UNKNOWN_FORMAT", Severity.FATAL, Layer.INPUT))
            return report
        report.xml = xml
        self._validate_xml(xml, report, xmp_profile)
        return report

    def _from_pdf(self, data: bytes, report: Report) -> tuple[bytes | None, str]:
        from choeur.formats import pdf

        result = pdf.extract_invoice(data)
        report.findings.extend(result.findings)
        report.layers_run.append(str(Layer.PDF))
        return result.xml, result.xmp_profile

    # The engine is shared by the threads of a process: everything about one document lives
    # in the call's arguments and its report, never on the engine.
    def _validate_xml(self, xml: bytes, report: Report, xmp_profile: str = "") -> None:
        parsed = xmlparse.parse(xml)
        report.findings.extend(parsed.findings)
        report.layers_run.append(str(Layer.XML))
        root = parsed.root
        if root is None:
            return
        namespace = etree.QName(root).namespace
        name = etree.QName(root).localname
        if namespace == rules.CII_NS and name == "CrossIndustryInvoice":
            report.syntax = "CII"
            self._cii(root, report, xmp_profile)
        elif namespace in (rules.UBL_INVOICE_NS, rules.UBL_CREDIT_NOTE_NS):
            report.syntax = "UBL"
            report.document_type = "credit_note" if name == "CreditNote" else "invoice"
            self._ubl(root, report)
        elif namespace == rules.ZUGFERD1_NS:
            # Not CII D16B: ZUGFeRD 1.0 has its own root and namespace (CII D13B based).
            report.syntax = "ZUGFeRD 1.0"
            guideline = _text(
                root, ".//*[local-name()='GuidelineSpecifiedDocumentContextParameter']"
                      "/*[local-name()='ID']")
            report.profile = guideline or "zugferd1"
            said = f" « {guideline} »" if guideline else ""
            said_en = f" “{guideline}”" if guideline else ""
            report.add(_finding(
                "PROFILE", Severity.ERROR, Layer.PROFILE,
                f"Le fichier est une facture ZUGFeRD 1.0{said} (élément racine "
                f"CrossIndustryDocument, espace de noms {rules.ZUGFERD1_NS}) : ce format, "
                "antérieur à la norme EN 16931, n'est pas accepté.",
                f"The file is a ZUGFeRD 1.0 invoice{said_en} (root element "
                f"CrossIndustryDocument, namespace {rules.ZUGFERD1_NS}): this format, older "
                "than the EN 16931 norm, is not accepted.",
                location=f"/{name}"))
        else:
            # Well-formed, but not an invoice: the file is read, it is just not what a deposit
            # takes (an error, not a fatal "unreadable"). Say what it is.
            what_fr, what_en, syntax = _what_it_is(namespace, name)
            report.syntax = syntax
            report.add(_generic(
                "INPUT_NOT_AN_INVOICE", Severity.ERROR, Layer.INPUT,
                f"C'est : {what_fr}.", f"It is: {what_en}.", location=f"/{name}"))

    def _cii(self, root, report: Report, xmp_profile: str = "") -> None:
        guideline = _text(root, "rsm:ExchangedDocumentContext/"
                                "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", CII)
        profile = rules.profile_of(guideline)
        type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode", CII)
        report.document_type = "credit_note" if type_code in ("381", "396", "261") else "invoice"
        if profile is None:
            report.profile = guideline
            family = rules.unsupported_family(guideline)
            if family:
                report.add(_generic("PROFILE", Severity.ERROR, Layer.PROFILE,
                                    f"({family} : « {guideline} »)",
                                    f"({family}: “{guideline}”)", location=_GUIDELINE_AT))
            else:
                report.add(_unknown_profile(guideline, _GUIDELINE_AT))
            return
        report.profile = profile
        if report.container == "pdf":
            from choeur.formats import pdf

            mismatch = pdf.xmp_vs_xml_profile(xmp_profile, profile)
            if mismatch is not None:
                report.add(mismatch)
        self._xsd(root, rules.facturx_xsd(profile), report)
        node = self._saxon_node(root, report)
        if node is None:
            return
        self._rules(node, rules.facturx_rules(profile), report)
        seller = _text(root, ".//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID", CII)
        buyer = _text(root, ".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID", CII)
        if seller == "FR" and buyer == "FR":
            self._rules(node, rules.BR_FR_CII, report)

    def _ubl(self, root, report: Report) -> None:
        report.profile = "en16931"
        customization = _text(root, "cbc:CustomizationID", UBL)
        if customization and not rules.ubl_customization_known(customization):
            # The EN 16931 rules still run (UBL has no other rule set here): the supplier sees
            # every other defect at once. A missing id is BR-01's business.
            report.add(_unknown_profile(customization, "/*/CustomizationID"))
        xsd = (rules.UBL_CREDIT_NOTE_XSD if report.document_type == "credit_note"
               else rules.UBL_INVOICE_XSD)
        self._xsd(root, xsd, report)
        node = self._saxon_node(root, report)
        if node is None:
            return
        self._rules(node, rules.CEN_UBL, report)
        seller = _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/"
                             "cbc:IdentificationCode", UBL)
        buyer = _text(root, "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/"
                            "cbc:IdentificationCode", UBL)
        if seller == "FR" and buyer == "FR":
            self._rules(node, rules.BR_FR_UBL, report)

    # --- layers ---------------------------------------------------------------------------------

    def _xsd(self, root, path: Path, report: Report) -> None:
        report.layers_run.append(str(Layer.XSD))
        try:
            schema = self.schema(path)
        except (etree.XMLSchemaParseError, OSError) as exc:
            report.add(_generic("RULES_ENGINE_FAILED", Severity.FATAL, Layer.XSD,
                                f"({path.name} : {_detail(exc)})",
                                f"({path.name}: {_detail(exc)})"))
            return
        if schema.validate(root):
            return
        for error in list(schema.error_log)[:MAX_XSD_FINDINGS]:
            report.add(_generic(
                "XSD", Severity.ERROR, Layer.XSD,
                f"Ligne {error.line} : {error.message}", f"Line {error.line}: {error.message}",
                location=f"line {error.line}, column {error.column}", source=path.name,
                rule_text=error.message))

    def _saxon_node(self, root, report: Report):
        try:
            return self.processor.parse_xml(xml_text=etree.tostring(root, encoding="unicode"))
        except Exception as exc:  # PySaxonApiError and friends: fail closed
            report.add(_generic("RULES_ENGINE_FAILED", Severity.FATAL, Layer.RULES,
                                f"({_detail(exc)})", f"({_detail(exc)})"))
            return None

    def _rules(self, node, ruleset: rules.RuleSet, report: Report) -> None:
        report.layers_run.append(ruleset.name)
        try:
            svrl = self.executable(ruleset).transform_to_string(xdm_node=node)
        except Exception as exc:  # e.g. FORG0001 on a non-numeric amount: fail closed
            report.add(_generic("RULES_ENGINE_FAILED", Severity.FATAL, Layer.RULES,
                                f"({ruleset.name} : {_detail(exc)})",
                                f"({ruleset.name}: {_detail(exc)})",
                                source=ruleset.xslt.name))
            return
        if not svrl:
            report.add(_generic("RULES_ENGINE_FAILED", Severity.FATAL, Layer.RULES,
                                f"({ruleset.name} : aucun résultat)",
                                f"({ruleset.name}: no output)", source=ruleset.xslt.name))
            return
        for finding in parse_svrl(svrl.encode("utf-8"), ruleset.xslt.name):
            report.add(finding)


# The Factur-X stylesheets' rules without id are nearly all "this element / attribute is not
# used in this profile": say so in words, with the element's name.
_NOT_USED = re.compile(
    r"^(Element|Attribute)(?: variant)? '?(@?[\w:]+(?:\[.*\])?)'? (?:is )?marked as not used in "
    r"the given context\.?$"
)


def _unnamed_messages(text: str, fr: str, en: str, hint_fr: str, hint_en: str):
    found = _NOT_USED.match(text)
    if not found:
        return f"{fr} {text}", f"{en} {text}", hint_fr, hint_en
    kind, name = found.groups()
    name = name.split("[")[0]
    hint_fr = ("Chaque profil Factur-X n'admet que certaines données : retirez celle-ci, ou "
               "déclarez un profil plus riche (EN 16931, EXTENDED) si elle est nécessaire.")
    hint_en = ("Each Factur-X profile admits only some data: remove this one, or declare a "
               "richer profile (EN 16931, EXTENDED) if it is needed.")
    if kind == "Attribute":
        return (f"L'attribut {name} n'est pas utilisé à cet endroit dans ce profil Factur-X.",
                f"Attribute {name} is not used at this place in this Factur-X profile.",
                hint_fr, hint_en)
    return (f"L'élément {name} n'est pas utilisé à cet endroit dans ce profil Factur-X.",
            f"Element {name} is not used at this place in this Factur-X profile.",
            hint_fr, hint_en)


def parse_svrl(svrl: bytes, source: str) -> list[Finding]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    document = etree.fromstring(svrl, parser)
    findings = []
    for failed in document.iter(f"{{{SVRL_NS}}}failed-assert",
                                f"{{{SVRL_NS}}}successful-report"):
        # The Factur-X stylesheets also use successful-report (e.g. an attribute that the
        # profile does not allow): like a failed assert, it has no flag, so it is an error.
        flag = (failed.get("flag") or "").lower()
        severity = FLAG_SEVERITY.get(flag, Severity.ERROR)  # no flag means error
        text_node = failed.find(f"{{{SVRL_NS}}}text")
        text = " ".join((text_node.text or "").split()) if text_node is not None else ""
        rule_id = failed.get("id") or "UNNAMED_RULE"
        described = _describe(rule_id, text)
        fr = described.fr if described else text
        en = described.en if described else text
        hint_fr = described.hint_fr if described else ""
        hint_en = described.hint_en if described else ""
        if rule_id == "UNNAMED_RULE" and text:
            fr, en, hint_fr, hint_en = _unnamed_messages(text, fr, en, hint_fr, hint_en)
        findings.append(Finding(
            rule=rule_id, severity=severity, layer=Layer.RULES, message_fr=fr, message_en=en,
            location=readable_location(failed.get("location", "")),
            bt=described.bt if described else "",
            hint_fr=hint_fr, hint_en=hint_en, rule_text=text, source=source,
        ))
    return findings


_NS_PREDICATE = re.compile(r"\[namespace-uri\(\)='[^']*'\]")


def readable_location(xpath: str) -> str:
    """The SVRL location without its namespace noise: /*:Invoice[namespace-uri()='…'][1]/…
    becomes /Invoice[1]/… (local names are unambiguous in these formats)."""
    return _NS_PREDICATE.sub("", xpath).replace("*:", "")


def _text(root, path: str, namespaces: dict | None = None) -> str:
    found = root.xpath(path, namespaces=namespaces or {}) if "local-name" in path else \
        root.find(path, namespaces)
    if isinstance(found, list):
        found = found[0] if found else None
    return (found.text or "").strip() if found is not None else ""


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process's engine (created on first use, in the process that uses it)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default
