"""The dossier follows its last piece at the paying service (docs/TRAVAUX.md, "Where it
stands").

Once a dossier's last piece is deposited to the paying service (A19, A16, A6, A8, A23-A25),
it is an invoice like any other, processed in « Factures reçues » by invoicing's services
(routing, `traiter/recue`, the supplier's `recycler` and `completer`), which know nothing of
travaux. This module receives invoicing's `signals.status_changed` (connected in
`TravauxConfig.ready()`) and keeps the dossier's `next_actor` true:

- the paying service routes and processes the piece (DEPOSEE ... MISE_A_DISPOSITION,
  COMPLETEE, SERVICE_FAIT, MANDATEE, MISE_A_DISPOSITION_COMPTABLE, COMPTABILISEE):
  DESTINATAIRE;
- it suspended the piece or sent it back for recycling (SUSPENDUE, A_RECYCLER): the supplier
  must answer (invoicing's `completer` / `recycler`, supplier's moves in the table):
  FOURNISSEUR;
- it put the piece en paiement, or rejected it (MISE_EN_PAIEMENT, REJETEE): the dossier is
  closed — `next_actor` empty, no deadline — and every party (supplier, MOE, MOA: the users
  of their espace Factures de travaux) is told. A closed dossier's last piece says how it
  ended (MISE_EN_PAIEMENT, REJETEE; REFUSEE_* when a party refused it on the way).

The travaux statuses before it (MISE_A_DISPOSITION_MOE, ...) are the travaux services' own
business: they set the dossier themselves, and are ignored here. So is a piece whose `Piece`
row is not written yet (the service depositing it sets its dossier after the move).
"""

from __future__ import annotations

from choeur.core import audit, clock
from choeur.invoicing.models import Invoice, TypeDemandePaiement
from choeur.invoicing.statuses import Status
from choeur.messaging.services import notify
from choeur.travaux import notifications
from choeur.travaux.models import Actor, Dossier, Piece

S = Status
#: Who must act on a dossier whose last piece is at the paying service, per its status ("":
#: nobody, the dossier is closed).
FOLLOWED: dict[str, str] = {
    **{status: Actor.DESTINATAIRE for status in (
        S.DEPOSEE, S.EN_COURS_ACHEMINEMENT, S.MISE_A_DISPOSITION, S.COMPLETEE,
        S.SERVICE_FAIT, S.MANDATEE, S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE)},
    S.SUSPENDUE: Actor.FOURNISSEUR,
    S.A_RECYCLER: Actor.FOURNISSEUR,
    S.MISE_EN_PAIEMENT: "",
    S.REJETEE: "",
}
#: The notice every party gets when the dossier closes.
CLOSING = {S.MISE_EN_PAIEMENT: "travaux_paid", S.REJETEE: "travaux_rejected"}


def invoice_status_changed(sender, invoice: Invoice, previous: str, actor=None,
                           **kwargs) -> None:
    """The receiver of `invoicing.signals.status_changed`, in the transition's transaction."""
    if invoice.type_demande_paiement != TypeDemandePaiement.FACTURE_TRAVAUX:
        return  # an ordinary invoice: no query at all
    if invoice.status not in FOLLOWED:
        return
    piece = (Piece.objects.select_related("dossier", "invoice").filter(invoice_id=invoice.pk)
             .first())
    if piece is None or Piece.objects.filter(previous_id=piece.pk).exists():
        return  # being deposited (its service sets the dossier), or not the last piece
    follow(piece, invoice, actor)


def follow(piece: Piece, invoice: Invoice, actor=None) -> Dossier:
    """Set the dossier of `piece` (its last) after its invoice's new status."""
    dossier = Dossier.objects.select_for_update().get(pk=piece.dossier_id)
    status = invoice.status
    dossier.next_actor, dossier.due_at = FOLLOWED[status], None
    dossier.updated_at = clock.now()
    dossier.save(update_fields=["next_actor", "due_at", "updated_at"])
    kind = CLOSING.get(status)
    if kind:
        audit.record(actor or "system", "travaux.dossier_closed", dossier,
                     invoice=invoice.pk, status=status)
        # Everyone, the acting person included: they acted as the paying service, in
        # « Factures reçues »; this says that the dossier de travaux is closed.
        users = (notifications._users(dossier.supplier) + notifications._users(dossier.moe)
                 + notifications._users(dossier.moa))
        piece.invoice = invoice
        notify(users, kind, notifications._params(
            dossier, piece, reason=(invoice.status_comment or "")[:200]))
    return dossier
