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


def _achats(services) -> object:
    """The services an « Achats » task means: code ACHATS, or « achat » in the name."""
    from django.db.models import Q

    return services.filter(Q(code__iexact="ACHATS") | Q(name__icontains="achat"))


def attach_to_purchasing_service(user, since: datetime) -> Missing:
    """« Rattachez-vous au service Achats »: a rattachement the trainee asked for since the
    start, to a service « Achats » of a public structure, and validated (by its gestionnaire;
    in qualification, a public structure nobody managed yet makes the first requester its
    gestionnaire at once). One a gestionnaire made for them (« Rattacher un utilisateur »)
    is not theirs."""
    from choeur.core.models import AuditEvent
    from choeur.organisations.models import Rattachement, Service, Structure

    asked = list(Rattachement.objects.filter(
        user=user, requested_at__gte=since, structure__kind=Structure.Kind.PUBLIQUE)
        .select_related("structure")
        .order_by("-requested_at", "-pk"))
    requested = {int(pk) for pk in AuditEvent.objects.filter(
        action="organisations.rattachement_requested", actor_id=str(user.pk),
        object_id__in=[str(r.pk) for r in asked]).values_list("object_id", flat=True)}
    asked = [r for r in asked if r.pk in requested or r.decided_by_id == user.pk]
    with_achats = set(Rattachement.objects.filter(
        pk__in=[r.pk for r in asked], services__in=_achats(Service.objects.all()))
        .values_list("pk", flat=True))
    achats = [r for r in asked if r.pk in with_achats]
    if any(r.status == Rattachement.Status.VALIDEE for r in achats):
        return None
    if achats:
        latest = achats[0]
        name = latest.structure.company_name
        if latest.status == Rattachement.Status.EN_COURS_DE_VALIDATION:
            return (f"votre demande de rattachement à « {name} » attend la décision de son "
                    f"gestionnaire : il la valide dans « Mes structures ».",
                    f"your rattachement request to « {name} » waits for its gestionnaire's "
                    f"decision: they approve it in « My structures ».")
        return (f"votre demande de rattachement à « {name} » n'a pas abouti "
                f"({latest.get_status_display()}) : demandez-en une à une autre structure.",
                f"your rattachement request to « {name} » did not succeed "
                f"({latest.status}): ask another structure.")
    if asked:
        name = asked[0].structure.company_name
        return (f"votre demande à « {name} » ne vise pas le service Achats : demandez-en une "
                f"autre en cochant ce service.",
                f"your request to « {name} » does not name the purchasing service: ask "
                f"again, ticking that service.")
    candidates = _achats(Service.objects.current().filter(
        structure__is_active=True, structure__kind=Structure.Kind.PUBLIQUE)).exclude(
        structure__rattachements__user=user).select_related("structure")
    # Nobody manages it yet: the first trainee to ask becomes its gestionnaire at once, the
    # next ones would wait for them.
    example = (candidates.filter(structure__principal_assigned_at__isnull=True).order_by("pk")
               .first() or candidates.order_by("pk").first())
    if example is None:
        return ("aucune structure de cette instance n'a de service Achats : l'administrateur "
                "peuple l'annuaire de qualification (choeur annuaire-qualification).",
                "no structure of this instance has a purchasing service: the administrator "
                "fills the qualification annuaire (choeur annuaire-qualification).")
    return (f"aucune demande de rattachement depuis le début de l'exercice : cherchez par "
            f"exemple « {example.structure.company_name} » (service {example.code}) et "
            f"demandez votre rattachement en cochant ce service.",
            f"no rattachement request since the exercise started: look for instance for "
            f"« {example.structure.company_name} » (service {example.code}) and ask to be "
            f"attached, ticking that service.")


#: The piece an état d'acompte answers (a final projet is answered by the MOE's A17).
MONTHLY_PROJET = "PROJET_DECOMPTE_MENSUEL"


def etat_acompte_for_received_projet(user, since: datetime) -> Missing:
    """« Déposez l'état d'acompte du projet de décompte reçu »: as the matelas's maître
    d'œuvre, a projet de décompte answered with its état d'acompte (the projet moves from
    « Mise à disposition de la MOE » to « Associée »)."""
    from choeur.qualification import matelas_travaux
    from choeur.qualification.models import GeneratedMatelas

    data = _matelas(user)
    moe = [entry.structure for entry in data.of_role("maitre_oeuvre")]
    # The matelas builds its dossiers acting as its user: an état d'acompte it deposited
    # (a matelas generated after the start) is not the trainee's.
    built = [item["dossier"] for travaux in GeneratedMatelas.objects.filter(user=user)
             .values_list("travaux", flat=True) for item in travaux or ()
             if item.get("stage") not in matelas_travaux.WAITING_FOR_MOE]
    done = StatusChange.objects.filter(
        actor=user, at__gte=since, status=Status.ASSOCIEE,
        previous=Status.MISE_A_DISPOSITION_MOE, invoice__piece__dossier__moe__in=moe,
        invoice__piece__kind=MONTHLY_PROJET).exclude(invoice__piece__dossier__in=built)
    if done.exists():
        return None
    waiting = Invoice.objects.filter(status=Status.MISE_A_DISPOSITION_MOE,
                                     piece__dossier__moe__in=moe,
                                     piece__kind=MONTHLY_PROJET).select_related(
        "piece__dossier").order_by("pk").first()
    if waiting is None:
        return ("aucun projet de décompte n'attend votre maîtrise d'œuvre : déposez-en un "
                "comme fournisseur (« Factures de travaux »), ou attendez que le matelas "
                "finisse de préparer ses dossiers.",
                "no projet de décompte waits for your maître d'œuvre: deposit one as the "
                "supplier (« Works invoices »), or wait until the data set's dossiers are "
                "ready.")
    dossier = waiting.piece.dossier.number
    return (f"le projet de décompte n° {waiting.number} du dossier {dossier} attend l'état "
            f"d'acompte de la maîtrise d'œuvre : ouvrez le dossier dans « Factures de travaux "
            f"» et déposez-le.",
            f"the projet de décompte No {waiting.number} of dossier {dossier} waits for the "
            f"maître d'œuvre's état d'acompte: open the dossier in « Works invoices » and "
            f"deposit it.")


CHECKS: dict[str, Callable[[object, datetime], Missing]] = {
    "rattachement_service_achats": attach_to_purchasing_service,
    "etat_acompte_projet_recu": etat_acompte_for_received_projet,
    "facture_destinataire_code_service": invoice_to_service_code_recipient,
    "suspension_piece_manquante": suspend_for_missing_piece,
    "completer_facture_suspendue": complete_suspended_invoice,
}
