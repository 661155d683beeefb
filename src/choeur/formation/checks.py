"""The checks behind the exercises (issue 20): each looks at the trainee's own data, in their
matelas de données (qualification/matelas.py), for what the task asks, done since the
exercise was started. A check is named in an exercise file (formation/exercises/*.toml); a
name not in CHECKS is refused when the file is read.

A check returns None when the exercise is done, else the reason it is not (French and
English): what is missing, said from the trainee's data (« votre facture n° F-12 est encore en
brouillon »), so that the hint shown after a failed check points at the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from choeur.invoicing.models import Invoice, StatusChange
from choeur.invoicing.statuses import Status
from choeur.qualification import matelas as matelas_data

Missing = tuple[str, str] | None  # (French, English) or None when done


def _matelas(user):
    found = matelas_data.latest(user)
    if found is None:
        raise NoMatelas
    return found


class NoMatelas(Exception):
    """The trainee has no matelas de données yet: every exercise starts from one."""


def invoice_to_service_code_recipient(user, since: datetime) -> Missing:
    """« Déposez une facture au destinataire qui exige un code service »: an invoice from the
    matelas' supplier to its « code service » recipient, with a service, sent since."""
    data = _matelas(user)
    recipient = data.recipient("code_service")
    if recipient is None:
        return ("votre matelas n'a plus de destinataire « code service ».",
                "your data set has no « code service » recipient any more.")
    mine = Invoice.objects.filter(supplier=data.supplier, recipient=recipient.structure)
    # Sent since the start (a draft saved before and sent after counts: the task is to send).
    sent = mine.filter(deposited_at__gte=since).exclude(
        status__in=[Status.BROUILLON, Status.SUPPRIMEE])
    if sent.filter(recipient_service__isnull=False).exists():
        return None
    draft = mine.filter(status=Status.BROUILLON).order_by("-pk").first()
    # Its own services (the default FACTURES_PUBLIQUES is not one a trainee should pick).
    examples = ", ".join([code for code in recipient.services
                          if code != "FACTURES_PUBLIQUES"][:2]) or "—"
    if draft is not None:
        return (f"votre facture n° {draft.number or '(sans numéro)'} est encore en brouillon : "
                f"envoyez-la.", f"your invoice No {draft.number or '(no number)'} is still a "
                                f"draft: send it.")
    return (f"aucune facture envoyée à « {recipient.structure.company_name} » depuis le début "
            f"de l'exercice ; ce destinataire exige un code service (par exemple {examples}).",
            f"no invoice sent to « {recipient.structure.company_name} » since the exercise "
            f"started; this recipient requires a service code (for instance {examples}).")


def _recipients(data) -> list:
    return [entry.structure for entry in data.of_role("destinataire")]


def suspend_for_missing_piece(user, since: datetime) -> Missing:
    """« Traitez en tant que destinataire la facture reçue : suspendez-la pour pièce
    manquante »: a suspension, by the trainee, with a reason, of an invoice one of their
    matelas' recipients received."""
    data = _matelas(user)
    done = StatusChange.objects.filter(
        invoice__recipient__in=_recipients(data), status=Status.SUSPENDUE, actor=user,
        at__gte=since).exclude(comment="")
    if done.exists():
        return None
    waiting = Invoice.objects.filter(recipient__in=_recipients(data),
                                     status__in=[Status.MISE_A_DISPOSITION, Status.COMPLETEE])
    if not waiting.exists():
        return ("aucune facture n'attend l'un de vos destinataires : déposez-en une d'abord, "
                "comme fournisseur.", "no invoice waits for one of your recipients: deposit "
                                     "one first, as the supplier.")
    return ("aucune suspension faite par vous depuis le début de l'exercice : ouvrez la "
            "facture dans « Factures reçues » et suspendez-la en donnant le motif.",
            "no suspension made by you since the exercise started: open the invoice in "
            "« Invoices received » and suspend it, giving the reason.")


def complete_suspended_invoice(user, since: datetime) -> Missing:
    """« Complétez la facture suspendue »: the supplier's answer to a suspension (COMPLETEE)."""
    data = _matelas(user)
    done = StatusChange.objects.filter(invoice__supplier=data.supplier,
                                       status=Status.COMPLETEE, actor=user, at__gte=since)
    if done.exists():
        return None
    if not Invoice.objects.filter(supplier=data.supplier, status=Status.SUSPENDUE).exists():
        return ("aucune facture de votre fournisseur n'est suspendue : faites d'abord "
                "l'exercice de suspension.", "no invoice of your supplier is suspended: do the "
                                                "suspension exercise first.")
    return ("la facture suspendue n'est pas encore complétée : ouvrez-la dans « Factures "
            "émises » et complétez-la.", "the suspended invoice is not completed yet: open "
                                          "it in « Invoices issued » and complete it.")


CHECKS: dict[str, Callable[[object, datetime], Missing]] = {
    "facture_destinataire_code_service": invoice_to_service_code_recipient,
    "suspension_piece_manquante": suspend_for_missing_piece,
    "completer_facture_suspendue": complete_suspended_invoice,
}
