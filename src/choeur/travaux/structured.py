"""Factures de travaux from structured files (Factur-X, UBL, CII): a flux's invoice or the
portal's « Déposer un fichier structuré » whose BT-23 names a works cadre lands in its dossier
exactly as the same piece deposited from the espace Factures de travaux — the same services
(`services`, `final`, `variants`), the same checks, statuses and notifications.

What the file must say (`choeur.formats.travaux`, table in docs/TRAVAUX.md): the cadre in
BT-23; the maître d'ouvrage as the buyer (SIRET BT-46/47, service code BT-10); the maître
d'œuvre in a note « MOE:<SIRET>[:<code service>] » for the cadres that go to it (A4, A13, A7,
A14); the previous piece's number in BT-25 for a piece that follows one (A8, A15–A20,
A22–A25), which names the dossier. Its seller (BT-29) is the dossier's supplier, whoever
deposits the piece: the supplier for its own pieces, the MOE or the MOA for theirs.

`invoicing.structured` hands such a file over (`register_travaux`, from this app's
`ready()`): invoicing does not import travaux. The file itself is kept as the piece's
structured data (and a Factur-X deposited with its own number as its document).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from choeur.core import storage
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing import records, structured
from choeur.invoicing import services as invoicing
from choeur.invoicing.models import Invoice, ModeDepot, TravauxCadre
from choeur.organisations.models import Structure
from choeur.travaux import errors, final, queries, services, variants
from choeur.travaux.models import Actor, Dossier, Piece

C = TravauxCadre

#: Initial deposits by the supplier: cadre → (use case, whether the MOE is named).
STARTS = {
    "A4": (lambda a, s, d, moe, m: services.deposit_projet_decompte(
        a, s, d, moe_identifier=moe, cadre=C.A4, mode_depot=m), True),
    "A13": (lambda a, s, d, moe, m: services.deposit_projet_decompte(
        a, s, d, moe_identifier=moe, cadre=C.A13, mode_depot=m), True),
    "A7": (lambda a, s, d, moe, m: final.deposit_projet_decompte_final(
        a, s, d, moe_identifier=moe, cadre=C.A7, mode_depot=m), True),
    "A14": (lambda a, s, d, moe, m: final.deposit_projet_decompte_final(
        a, s, d, moe_identifier=moe, cadre=C.A14, mode_depot=m), True),
    "A5": (lambda a, s, d, _moe, m: variants.deposit_etat_acompte_fournisseur(
        a, s, d, mode_depot=m), False),
    "A6": (lambda a, s, d, _moe, m: variants.deposit_etat_acompte_valide_fournisseur(
        a, s, d, mode_depot=m), False),
}
#: Pieces associated to the previous one: cadre → (the depositor's role, use case).
FOLLOWS = {
    "A15": (Actor.MOE, services.deposit_etat_acompte),
    "A16": (Actor.MOE, variants.deposit_etat_acompte_valide_moe),
    "A17": (Actor.MOE, final.deposit_projet_decompte_general),
    "A18": (Actor.MOE, final.deposit_decompte_general_moe),
    "A24": (Actor.MOE, final.deposit_dgd_tacite_moe),
    "A19": (Actor.MOA, services.validate_etat_acompte),
    "A20": (Actor.MOA, final.deposit_decompte_general),
    "A25": (Actor.MOA, final.deposit_dgd_tacite_moa),
    "A8": (Actor.FOURNISSEUR, final.sign_decompte_general),
    "A22": (Actor.FOURNISSEUR, final.deposit_projet_tacite),
    "A23": (Actor.FOURNISSEUR, final.deposit_dgd_tacite),
}


class _Rollback(Exception):
    """Ends `check`'s savepoint: everything the deposit would write is undone."""


def deposit(actor, structure: Structure, content: bytes, filename: str, examined, *,
            mode_depot: str = ModeDepot.UPLOAD_PORTAIL) -> Invoice:
    """Deposit the works piece a structured file carries, for `structure` (the depositor);
    coded errors otherwise, nothing created. The caller owns the transaction."""
    structured.require_valid(examined)
    refs = examined.travaux
    if refs.cadre in STARTS:
        piece = _start(actor, structure, content, examined, mode_depot)
    elif refs.cadre in FOLLOWS:
        piece = _follow(actor, structure, examined)
    else:  # A10: the sous-traitant's projet goes through the titulaire's validation first
        raise errors.CadreNotHere(cadre=refs.cadre)
    if piece.depositor_role == Actor.FOURNISSEUR:
        _keep_file(piece.invoice, content, filename, examined, mode_depot)
    else:  # the MOE's or MOA's: never its own IBAN or PDF in the piece the payer receives
        invoicing.keep_original(actor, piece.invoice, filename, content)
    return piece.invoice


def check(actor, structure: Structure, content: bytes, examined):
    """« Vérifier sans envoyer » for a works file: the deposit made and undone (its
    savepoint rolled back: no row, no notification, no task), raising what it would raise."""
    try:
        with transaction.atomic():
            deposit(actor, structure, content, "verification", examined)
            raise _Rollback
    except _Rollback:
        pass
    return examined


def _start(actor, structure, content, examined, mode_depot) -> Piece:
    refs = examined.travaux
    use_case, with_moe = STARTS[refs.cadre]
    moe_service = None
    if with_moe:
        if refs.moe is None:
            raise errors.MoeRequired(cadre=refs.cadre)
        moe = invoicing.find_structure(refs.moe.identifier)
        if moe is None or not moe.is_active:
            raise errors.MoeUnknown(identifier=refs.moe.identifier[:80])
        if refs.moe.service:
            moe_service = invoicing.resolve_service(moe, refs.moe.service)
    cadre = TravauxCadre[refs.cadre]
    # The supplier's own piece: the file's seller is the depositor, its IBAN one of its own.
    _examined, data = structured._prepare(structure, content, cadre=cadre, keyed=None,
                                          examined=examined, works=True)
    piece = use_case(actor, structure, data, refs.moe.identifier if with_moe else None,
                     mode_depot)
    if moe_service is not None:
        Dossier.objects.filter(pk=piece.dossier_id).update(moe_service=moe_service)
    return piece


def _follow(actor, structure, examined) -> Piece:
    refs = examined.travaux
    role, use_case = FOLLOWS[refs.cadre]
    previous = _previous(actor, structure, refs, examined.seller_siret)
    dossier = previous.dossier
    holder = {Actor.FOURNISSEUR: dossier.supplier_id, Actor.MOE: dossier.moe_id,
              Actor.MOA: dossier.moa_id}[role]
    if holder != structure.pk:
        raise errors.PieceNotExpected(dossier=dossier.number,
                                      detail=services._role_detail(role))
    last = services._last(dossier)
    if last.pk != previous.pk:
        raise errors.PieceNotExpected(
            dossier=dossier.number,
            detail=f"la pièce précédente est la dernière du dossier ({last.invoice.number})")
    if refs.moa is not None and refs.moa.identifier != dossier.moa.identifier:
        raise invoicing_errors.DataMismatch(
            field_fr="SIRET du maître d'ouvrage (BT-46)", field_en="project owner SIRET (BT-46)",
            keyed=dossier.moa.identifier, in_file=refs.moa.identifier)
    data = examined.data
    if role == Actor.FOURNISSEUR:  # its own number and bank account, as for a new dossier
        _examined, data = structured._prepare(structure, b"", cadre=TravauxCadre[refs.cadre],
                                              keyed=None, examined=examined, works=True)
    return use_case(actor, dossier.pk, data)


def _previous(actor, structure, refs, seller: str) -> Piece:
    """The piece BT-25 names among the dossiers `structure` is a party to (and the actor
    sees): another's is not found, whatever it is."""
    if not refs.previous:
        raise errors.PreviousRequired(cadre=refs.cadre)
    found = list(queries.pieces(actor).filter(
        Q(dossier__supplier=structure) | Q(dossier__moe=structure) | Q(dossier__moa=structure),
        invoice__number=refs.previous).order_by("-pk")[:20])
    if not found:
        raise errors.PreviousNotFound(number=refs.previous[:50])
    mine = [piece for piece in found if piece.dossier.supplier.identifier == seller]
    if not mine:
        raise errors.PreviousOtherSupplier(number=refs.previous[:50], seller=seller[:80])
    return mine[0]


def _keep_file(invoice: Invoice, content: bytes, filename: str, examined,
               mode_depot: str) -> None:
    """The deposited file is the original (house rule 4): kept as the piece's structured data,
    and a Factur-X that carries the piece's own number is its document (a MOE's or MOA's piece
    is numbered by its dossier: Choeur's rendering, with that number, stays its document)."""
    xml = storage.put(examined.report.xml, content_type="application/xml")
    changes = {"xml_sha256": xml.sha256, "syntax": examined.report.syntax,
               "profile": examined.report.profile or "", "mode_depot": mode_depot}
    if content.startswith(invoicing.PDF_MAGIC) and invoice.number == examined.data.number:
        pdf = storage.put(content, content_type="application/pdf")
        changes.update(main_file_sha256=pdf.sha256, main_file_name=filename[:200])
    Invoice.objects.filter(pk=invoice.pk).update(**changes)
    for name, value in changes.items():
        setattr(invoice, name, value)
    records.document_changed(invoice)  # the piece's archive record: the file kept
