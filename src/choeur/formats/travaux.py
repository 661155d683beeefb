"""What a structured file says of a facture de travaux (Chorus Pro cadres A4–A25): its cadre,
its maître d'œuvre (MOE), its maître d'ouvrage (MOA) and the previous piece it follows.

Read from the normalised model (`choeur.formats.model.Invoice`), so the same for CII,
Factur-X and UBL (docs/TRAVAUX.md, "Flux", has the table):

- cadre: BT-23 (CII `ExchangedDocumentContext/BusinessProcessSpecifiedDocumentContextParameter/
  ID`, UBL `cbc:ProfileID`), where Chorus Pro reads it (reference §2.1): the short code (`A4`)
  or the API's (`A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR`);
- MOA: the buyer (BG-7: SIRET in BT-46/BT-47 scheme 0009, service code in BT-10), who is the
  paying structure of a works dossier;
- MOE: EN 16931 has no party for it; a note (BG-1) whose text (BT-22) is `MOE:<SIRET>` or
  `MOE:<SIRET>:<code service>` (subject code BT-21 `ACB`, additional information, when
  written by Choeur; any subject code is read);
- previous piece: the first preceding invoice reference (BG-3, BT-25).

BR-FR-08 (the B2B reform's list of BT-23 codes) knows no works cadre: works flux stay outside
the reform (Chorus Pro's E4/E5 flux, reference §5.2), so `waive_cadre_rule` drops that one
finding for a file whose BT-23 is a works cadre. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from choeur.formats.findings import Report

#: The works cadres (reference §2.2), short codes. A9, A12 are ordinary invoices; A11 is
#: retired, A21 is not a works piece.
CADRES = frozenset({"A4", "A5", "A6", "A7", "A8", "A10", "A13", "A14", "A15", "A16", "A17",
                    "A18", "A19", "A20", "A22", "A23", "A24", "A25"})
#: The finding a works cadre in BT-23 raises, and only that one, is waived.
WAIVED_RULE = "BR-FR-08_BT-23"
#: The subject code Choeur writes on the MOE's note (UNTDID 4451 ACB, additional information).
MOE_NOTE_SUBJECT = "ACB"
_MOE_NOTE = re.compile(r"^\s*MOE\s*:\s*([^\s:/]+)\s*(?:[:/]\s*(\S{1,100}))?\s*$", re.I)


@dataclass(frozen=True)
class PartyRef:
    identifier: str  # SIRET
    service: str = ""  # code service, optional


@dataclass(frozen=True)
class Travaux:
    cadre: str  # short code, e.g. "A4"
    moe: PartyRef | None
    moa: PartyRef | None
    previous: str | None  # BT-25: the previous piece's number


def cadre_of(business_process: str | None) -> str | None:
    """The works cadre BT-23 names (short code), or None (an ordinary invoice's, or none)."""
    value = (business_process or "").strip().upper()
    short = value.split("_", 1)[0]
    return short if short in CADRES else None


def moe_note(siret: str, service: str = "") -> str:
    """The note text that names the MOE (what `references` reads back)."""
    return f"MOE:{siret}:{service}" if service else f"MOE:{siret}"


def _siret(party) -> str:
    if party is None:
        return ""
    if party.legal_id and party.legal_id_scheme == "0009":
        return party.legal_id
    for identifier in party.identifiers:
        if identifier.scheme == "0009":
            return identifier.value
    if party.electronic_address_scheme == "0009":
        return party.electronic_address or ""
    return ""


def references(model) -> Travaux | None:
    """The works references of a normalised invoice, None when BT-23 is no works cadre."""
    cadre = cadre_of(model.business_process)
    if cadre is None:
        return None
    moe = None
    for note in model.notes:
        found = _MOE_NOTE.match(note.text or "")
        if found:
            moe = PartyRef(found.group(1), found.group(2) or "")
            break
    buyer = _siret(model.buyer)
    moa = PartyRef(buyer, model.buyer_reference or "") if buyer else None
    previous = next((p.number.strip() for p in model.preceding_invoices
                     if p.number and p.number.strip()), None)
    return Travaux(cadre, moe, moa, previous)


def waive_cadre_rule(report: Report, model) -> None:
    """Drop BR-FR-08's finding on BT-23 when BT-23 is a works cadre (see the module's
    docstring); every other finding stays."""
    if cadre_of(model.business_process) is not None:
        report.findings = [f for f in report.findings if f.rule != WAIVED_RULE]
