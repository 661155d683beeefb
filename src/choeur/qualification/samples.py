"""Sample invoices for a matelas de données: for each recipient case a ready Factur-X, UBL and
CII file that a deposit accepts, and files that each fail one platform check, so that a
trainee sees every rejection once (`choeur matelas --samples DIR`, the portal's download).

Files are written by Choeur's own writers from a draft saved and rolled back in a savepoint
(the database is left as it was), so they carry the matelas' real identifiers, service codes,
engagement numbers and IBAN. `index.csv` says for each file what a deposit gets: `IN_INTEGRE`
or the rejection code (the columns are a contract: `INDEX_COLUMNS`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from choeur.core import clock
from choeur.formats import writers
from choeur.invoicing import documents, errors, services
from choeur.invoicing.data import InvoiceData, LineData
from choeur.invoicing.models import ModeDepot
from choeur.qualification import fictitious
from choeur.qualification.matelas import Matelas

INDEX_COLUMNS = ["fichier", "format", "destinataire", "variante", "attendu"]
ACCEPTED = "IN_INTEGRE"
#: The `variante` of the factures de travaux samples (the others name a recipient case).
TRAVAUX = "travaux"
FORMATS = {"facturx": "pdf", "ubl": "xml", "cii": "xml"}
# Short tags keep the invoice numbers within Chorus Pro's 20 characters.
VARIANT_TAGS = {"sans_exigence": "SE", "code_service": "CS", "engagement": "EJ",
                "code_service_et_engagement": "CSEJ", "etat": "ETAT"}


@dataclass
class Sample:
    fichier: str
    format: str  # facturx, ubl, cii, pdf
    destinataire: str  # the recipient's identifier
    variante: str
    attendu: str  # IN_INTEGRE or the rejection code
    content: bytes
    description: str = ""  # French, for the portal and the README of the ZIP

    def row(self) -> dict:
        return {"fichier": self.fichier, "format": self.format,
                "destinataire": self.destinataire, "variante": self.variante,
                "attendu": self.attendu}


def build(matelas: Matelas) -> list[Sample]:
    """Every sample of the data set. Writes nothing (each draft is rolled back)."""
    user, supplier = matelas.user, matelas.supplier
    account = supplier.bank_accounts.filter(is_active=True).order_by("pk").first()
    prefix = f"Q{matelas.seed % 100000:05d}"
    samples: list[Sample] = []

    def data(entry, number, *, service="", engagement="", **changes) -> InvoiceData:
        return replace(InvoiceData(
            recipient_identifier=entry.structure.identifier, recipient_service_code=service,
            number=number, invoice_date=clock.today(), engagement_number=engagement,
            payment_mode="VIREMENT", bank_account_id=account.pk if account else None,
            lines=[LineData(designation="Prestation de formation Chorus Pro", quantity=Decimal(2),
                            unit_price=Decimal("450.00"), vat_rate=Decimal(20), unit="DAY"),
                   LineData(designation="Support de cours imprimé", quantity=Decimal(12),
                            unit_price=Decimal("8.50"), vat_rate=Decimal(20), unit="C62")],
        ), **changes)

    def add(name, fmt, entry, attendu, invoice_data, description, *, alter=None,
            variante=None):
        content = _write(user, supplier, invoice_data, fmt, alter)
        samples.append(Sample(fichier=f"{name}.{FORMATS.get(fmt, 'pdf')}", format=fmt,
                              destinataire=entry.structure.identifier,
                              variante=variante or entry.variante,
                              attendu=attendu, content=content, description=description))

    # The accepted ones: each recipient case, each format, with what the case requires.
    for entry in matelas.of_role("destinataire"):
        tag = VARIANT_TAGS[entry.variante]
        needs_service = entry.structure.service_code_required
        needs_engagement = entry.structure.engagement_required
        if (needs_service and not _real_services(entry)) or (
                needs_engagement and not entry.engagements):
            continue  # its services or engagements were removed since: no valid file for it
        service = _real_services(entry)[0] if needs_service else ""
        engagement = entry.engagements[0] if needs_engagement else ""
        for fmt in ("facturx", "ubl", "cii"):
            number = f"{prefix}-{tag}-{fmt[:2].upper()}"
            add(f"valide_{entry.variante}_{fmt}", fmt, entry, ACCEPTED,
                data(entry, number, service=service, engagement=engagement),
                f"Facture {fmt} conforme pour le cas « {entry.variante} »"
                + (f", code service {service}" if service else "")
                + (f", engagement {engagement}" if engagement else "") + ".")

    _travaux_samples(matelas, data, add, prefix)

    # The refused ones: one platform check each, on the recipient where it applies (those the
    # user still manages, with what the check needs).
    cs, ej = matelas.recipient("code_service"), matelas.recipient("engagement")
    plain = matelas.recipient("sans_exigence")
    if cs is None or not _real_services(cs):
        cs = None
    if ej is None or not ej.engagements:
        ej = None
    if not (cs and ej and plain):
        return samples + _without_xml_sample(samples)
    add("rejet_code_service_absent", "cii", cs, errors.ServiceRequired.code,
        data(cs, f"{prefix}-R-CS"), "Le destinataire exige un code service ; il manque.")
    add("rejet_code_service_inconnu", "ubl", cs, errors.ServiceUnknown.code,
        data(cs, f"{prefix}-R-CSX", service=_real_services(cs)[0]),
        "Le code service INCONNU n'existe pas chez ce destinataire.",
        alter=lambda model: replace(model, buyer_reference="INCONNU"))
    add("rejet_engagement_absent", "cii", ej, errors.EngagementRequired.code,
        data(ej, f"{prefix}-R-EJ"), "Le destinataire exige un numéro d'engagement ; il manque.")
    add("rejet_engagement_inconnu", "facturx", ej, errors.EngagementUnknown.code,
        data(ej, f"{prefix}-R-EJX", engagement=ej.engagements[0]),
        "Le numéro d'engagement n'est pas l'un de ceux du destinataire.",
        alter=lambda model: replace(model, purchase_order_reference="EJ0000000000"))
    add("rejet_destinataire_inconnu", "cii", plain, errors.RecipientUnknown.code,
        data(plain, f"{prefix}-R-DEST"),
        "Le SIRET de l'acheteur ne désigne aucune structure publique de l'annuaire.",
        alter=_unknown_buyer)
    add("rejet_montants_incoherents", "cii", plain, "INV_FILE_INVALID",
        data(plain, f"{prefix}-R-MNT"),
        "Le total TTC ne correspond pas à la somme des lignes : règles du format refusées.",
        alter=_wrong_totals)
    add("rejet_coordonnees_bancaires", "ubl", plain, errors.BankAccountRequired.code,
        data(plain, f"{prefix}-R-IBAN"),
        "L'IBAN de la facture (BT-84) n'est pas l'un de ceux enregistrés par le fournisseur.",
        alter=_unregistered_iban)
    add("rejet_date_future", "cii", plain, errors.DateInFuture.code,
        data(plain, f"{prefix}-R-DATE"),
        "La facture est datée du futur (BT-2) : une facture ne précède pas son émission.",
        alter=lambda model: replace(model, issue_date=model.issue_date + timedelta(days=30)))
    add("rejet_doublon", "cii", plain, errors.NumberAlreadyUsed.code,
        data(plain, f"{prefix}-SE-CI"),
        "Même numéro que valide_sans_exigence_cii : refusée si celle-ci a été déposée avant.")
    return samples + _without_xml_sample(samples)


def _travaux_samples(matelas: Matelas, data, add, prefix: str) -> None:
    """Factures de travaux (docs/TRAVAUX.md, "Flux"): the supplier's projet de décompte
    mensuel (A4) in each format, to the matelas' maître d'ouvrage (the buyer) for its maître
    d'œuvre (the « MOE:<SIRET> » note), which a deposit puts in a new dossier; and the files
    a deposit refuses: no MOE, a buyer not flagged « Structure avec MOA »."""
    moe, moa = matelas.of_role("maitre_oeuvre"), matelas.of_role("maitre_ouvrage")
    plain = matelas.recipient("sans_exigence")
    if not (moe and moa and plain):
        return
    moe, moa = moe[0], moa[0]
    service = next((c for c in moa.services if c == "TRAVAUX"), moa.services[0]
                   if moa.services else "")
    lines = [LineData(designation="Gros œuvre — situation mensuelle de travaux",
                      quantity=Decimal(1), unit_price=Decimal("12500.00"),
                      vat_rate=Decimal(20), unit="C62")]

    def works(moe_siret):
        return lambda model: _as_works(model, "A4", moe_siret)

    for fmt in ("facturx", "ubl", "cii"):
        add(f"valide_travaux_a4_{fmt}", fmt, moa, ACCEPTED,
            data(moa, f"{prefix}-TX-{fmt[:2].upper()}", service=service, lines=lines),
            f"Projet de décompte mensuel (cadre A4) en {fmt} : le maître d'ouvrage est "
            f"l'acheteur, le maître d'œuvre {moe.structure.identifier} est nommé par la note "
            "« MOE:<SIRET> » ; le dépôt ouvre un dossier de facturation.",
            alter=works(moe.structure.identifier), variante=TRAVAUX)
    add("rejet_travaux_sans_moe", "cii", moa, "TRAV_MOE_REQUIRED",
        data(moa, f"{prefix}-TX-RMOE", service=service, lines=lines),
        "Projet de décompte mensuel (A4) sans maître d'œuvre : le cadre A4 lui est adressé.",
        alter=works(None), variante=TRAVAUX)
    add("rejet_travaux_moa_non_signalee", "ubl", plain, "TRAV_MOA_REQUIRED",
        data(plain, f"{prefix}-TX-RMOA", lines=lines),
        "Projet de décompte mensuel (A4) à un acheteur qui n'est pas une « Structure avec "
        "MOA » : il ne peut pas être le maître d'ouvrage du dossier.",
        alter=works(moe.structure.identifier), variante=TRAVAUX)


def _as_works(model, cadre: str, moe_siret: str | None):
    """The model as a works piece's file: the cadre in BT-23, the MOE in a note."""
    from choeur.formats import model as fmodel
    from choeur.formats import travaux

    notes = list(model.notes)
    if moe_siret:
        notes.append(fmodel.Note(travaux.MOE_NOTE_SUBJECT, travaux.moe_note(moe_siret)))
    return replace(model, business_process=cadre, notes=notes)


def _without_xml_sample(samples: list[Sample]) -> list[Sample]:
    """A PDF without its XML: readable by a person, not by the platform's deposit of files."""
    facturx = next((s for s in samples if s.format == "facturx"
                    and s.attendu == ACCEPTED), None)
    if facturx is None:
        return []
    return [Sample(
        fichier="rejet_pdf_sans_xml.pdf", format="pdf", destinataire=facturx.destinataire,
        variante=facturx.variante, attendu="INV_FILE_INVALID",
        content=_without_xml(facturx.content),
        description="Un PDF simple, sans factur-x.xml : à déposer par le formulaire PDF du "
                    "portail (données saisies), pas comme fichier structuré.")]


def _without_xml(pdf: bytes) -> bytes:
    """The Factur-X's page alone: its embedded XML and the catalogue's references removed."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        for key in ("/AF", "/Names", "/Metadata"):
            if key in root:
                del root[key]
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _real_services(entry) -> list[str]:
    return [c for c in entry.services if c != "FACTURES_PUBLIQUES"] or entry.services


def _write(user, supplier, data: InvoiceData, fmt: str, alter=None) -> bytes:
    with transaction.atomic():
        draft = services.save_draft(user, supplier, data, mode_depot=ModeDepot.SAISIE_PORTAIL)
        if fmt == "facturx" and alter is None:
            content = documents.render_facturx(draft)
        else:
            model = documents.to_model(draft)
            if alter is not None:
                model = alter(model)
            content = {"facturx": writers.to_facturx_pdf, "ubl": writers.to_ubl,
                       "cii": writers.to_cii}[fmt](model)
        transaction.set_rollback(True)
    return content


def _unknown_buyer(model):
    """The buyer's SIRET replaced by one the annuaire does not hold, in every place the file
    spells it (BT-46 identifier, BT-47 SIREN, BT-49 address), so that the file stays valid and
    only the annuaire's lookup fails."""
    import random

    buyer = model.buyer
    old = next((i.value for i in buyer.identifiers if i.scheme == "0009"), buyer.siret or "")
    new = fictitious.siret(random.Random(f"unknown-{model.number}"))  # noqa: S311 - test data

    def swap(value):
        return value.replace(old, new).replace(old[:9], new[:9]) if value and old else value

    return replace(model, buyer=replace(
        buyer, legal_id=swap(buyer.legal_id), electronic_address=swap(buyer.electronic_address),
        identifiers=[i._replace(value=swap(i.value)) for i in buyer.identifiers]))


def _unregistered_iban(model):
    """A credit transfer to an IBAN the supplier has not registered (valid keys all the same,
    so that only the platform's check refuses it)."""
    import random

    iban, _ = fictitious.iban(random.Random(f"iban-{model.number}"))  # noqa: S311 - test data
    return replace(model, payment_means=[replace(pm, iban=iban) if pm.iban else pm
                                         for pm in model.payment_means])


def _wrong_totals(model):
    return replace(model, totals=replace(model.totals, with_vat=model.totals.with_vat + 100,
                                         due=model.totals.due + 100))


# --- Output ------------------------------------------------------------------------------------


def index_csv(samples: list[Sample]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=INDEX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(s.row() for s in samples)
    return out.getvalue()


def write(samples: list[Sample], directory: Path) -> None:
    """The files and `index.csv` into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        (directory / sample.fichier).write_bytes(sample.content)
    (directory / "index.csv").write_text(index_csv(samples), encoding="utf-8")


def as_zip(samples: list[Sample]) -> bytes:
    """The same as `write`, as one ZIP (the portal's download)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for sample in samples:
            archive.writestr(sample.fichier, sample.content)
        archive.writestr("index.csv", index_csv(samples))
        archive.writestr("LISEZMOI.txt", "\n".join(
            f"{s.fichier} — {s.description} Attendu : {s.attendu}." for s in samples) + "\n")
    return out.getvalue()
