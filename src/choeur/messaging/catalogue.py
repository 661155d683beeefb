"""What each kind of notification says (French source strings, English in the catalogue),
and the application each kind belongs to (the user's preferences are per application)."""

from __future__ import annotations

import logging

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext_lazy

from choeur.formats import display

logger = logging.getLogger("choeur.messaging")


class Application(TextChoices):
    """What a notification is about. The first four are the user's to switch per channel
    (« Mon compte › Notifications »); COMPTE (account and security notices) is not."""

    FACTURES = "FACTURES", gettext_lazy("Factures")
    ENGAGEMENTS = "ENGAGEMENTS", gettext_lazy("Engagements")
    SOLLICITATIONS = "SOLLICITATIONS", gettext_lazy("Sollicitations")
    ACTUALITES = "ACTUALITES", gettext_lazy("Actualités")
    COMPTE = "COMPTE", gettext_lazy("Compte et sécurité")


#: The applications a user may switch off, in the order the preferences page shows them.
SWITCHABLE = (Application.FACTURES, Application.ENGAGEMENTS, Application.SOLLICITATIONS,
              Application.ACTUALITES)
#: The channels of a switchable application.
CHANNELS = ("portal", "email")

#: A kind belongs to the application of its prefix (longest first wins; `APPLICATION_OF`
#: names exceptions). Invoices, their flux and the factures de travaux are « Factures »;
#: a security notice (account, password, rattachement) is « Compte et sécurité », never
#: switched off — today those are e-mailed by accounts and organisations directly, not through
#: `notify()`, so they are never switchable either. `tests/messaging` checks every kind of
#: `KINDS` resolves.
PREFIXES = (
    ("invoice_", Application.FACTURES),
    ("flux_", Application.FACTURES),
    ("travaux_", Application.FACTURES),
    ("archive_", Application.FACTURES),  # the archive exports (archives/services.py)
    ("engagement_", Application.ENGAGEMENTS),
    ("sollicitation_", Application.SOLLICITATIONS),
    ("chat_", Application.SOLLICITATIONS),  # « Contacter un agent » (chat/)
    ("actualite_", Application.ACTUALITES),
    ("account_", Application.COMPTE),
    ("security_", Application.COMPTE),
    ("rattachement_", Application.COMPTE),
)
APPLICATION_OF: dict[str, Application] = {}


def application_of(kind: str) -> Application | None:
    """The application of `kind`, None for a kind nobody mapped (delivered as a security
    notice would be: a notification is never lost for want of a mapping)."""
    if kind in APPLICATION_OF:
        return APPLICATION_OF[kind]
    for prefix, application in PREFIXES:
        if kind.startswith(prefix):
            return application
    logger.warning("notification kind %r belongs to no application", kind)
    return None


def kinds_of(applications) -> list[str]:
    """The kinds of `KINDS` that belong to one of `applications`."""
    wanted = set(applications)
    return [kind for kind in KINDS if application_of(kind) in wanted]

KINDS = {
    "invoice_status": gettext_lazy(
        "La facture {number} de {supplier} à {recipient} est passée au statut « {status} »."),
    "invoice_received": gettext_lazy(
        "Nouvelle facture {number} de {supplier} ({amount}) à traiter."),
    "invoice_completed": gettext_lazy(
        "La facture {number} de {supplier} a été complétée : elle est de nouveau à traiter."),
    "invoice_to_validate": gettext_lazy(
        "La facture {number} de {supplier} pour {recipient} attend votre validation avant le "
        "{due}."),
    "invoice_unassigned": gettext_lazy(
        "La facture {number} de {supplier} est arrivée sans qu'aucun utilisateur habilité "
        "ne puisse la voir : attribuez les habilitations « Factures reçues »."),
    "flux_integrated": gettext_lazy(
        "Le flux {numero} ({filename}) est traité : {state} — {integrated} facture(s) "
        "intégrée(s), {rejected} rejetée(s)."),
    "engagement_received": gettext_lazy(
        "{buyer} vous a adressé l'engagement {number} ({amount})."),
    "engagement_updated": gettext_lazy(
        "{buyer} a modifié l'engagement {number} ({amount})."),
    "engagement_inactivated": gettext_lazy(
        "{buyer} a inactivé l'engagement {number} : « {reason} »."),
    "engagement_accepted": gettext_lazy(
        "{supplier} a pris en compte l'engagement {number}."),
    "engagement_refused": gettext_lazy(
        "{supplier} a refusé l'engagement {number} : « {reason} »."),
    "travaux_to_moe": gettext_lazy(
        "{supplier} a déposé le projet de décompte {number} ({amount}, dossier {dossier}) : "
        "déposez votre état d'acompte avant le {due}."),
    "travaux_to_moa": gettext_lazy(
        "{moe} a déposé l'état d'acompte {number} ({amount}, dossier {dossier}) : déposez "
        "votre état d'acompte validé."),
    "travaux_moe_late": gettext_lazy(
        "Le maître d'œuvre n'a pas déposé d'état d'acompte dans les 7 jours pour le dossier "
        "{dossier} : le maître d'ouvrage peut le traiter à partir du projet de décompte."),
    "travaux_refused": gettext_lazy(
        "{moe} a refusé le projet de décompte {number} (dossier {dossier}) : « {reason} »."),
    "travaux_final_to_moe": gettext_lazy(
        "{supplier} a déposé le projet de décompte final {number} ({amount}, dossier "
        "{dossier}) : établissez le projet de décompte général."),
    "travaux_final_to_moa": gettext_lazy(
        "{moe} a déposé le projet de décompte général {number} ({amount}, dossier {dossier}) : "
        "notifiez le décompte général avant le {due}."),
    "travaux_dg_to_supplier": gettext_lazy(
        "Le décompte général {number} ({amount}, dossier {dossier}) vous est notifié : signez-le "
        "et déposez le décompte général et définitif avant le {due}, ou refusez-le."),
    "travaux_dgd_reminder": gettext_lazy(
        "Rappel : le décompte général {number} (dossier {dossier}) attend votre signature ; "
        "le délai de 30 jours s'achève le {due}."),
    "travaux_dgd_late": gettext_lazy(
        "Le délai de 30 jours laissé au titulaire pour le décompte général {number} (dossier "
        "{dossier}) est échu depuis le {due}."),
    "travaux_dg_refused": gettext_lazy(
        "{supplier} a refusé le décompte général {number} (dossier {dossier}) : « {reason} »."),
    "travaux_tacit_to_moa": gettext_lazy(
        "{supplier} a déposé le projet de décompte général {number} ({amount}, dossier "
        "{dossier}) en procédure tacite : sans décompte général notifié avant le {due}, il "
        "deviendra le décompte général et définitif."),
    "travaux_to_moa_from_supplier": gettext_lazy(
        "{supplier} a déposé l'état d'acompte {number} ({amount}, dossier {dossier}) sans "
        "maître d'œuvre : déposez votre état d'acompte validé."),
    "travaux_sent_to_payer": gettext_lazy(
        "La pièce {number} ({amount}, dossier {dossier}) a été transmise au service payeur."),
    # Sous-traitance and co-traitance (travaux/subcontracting.py).
    "travaux_to_titulaire": gettext_lazy(
        "{supplier}, votre sous-traitant, a déposé le projet de décompte {number} ({amount}, "
        "dossier {dossier}) : acceptez-le ou refusez-le avant le {due} ; sans réponse, il sera "
        "réputé validé et mis à disposition du maître d'œuvre."),
    "travaux_titulaire_reminder": gettext_lazy(
        "Rappel : le projet de décompte {number} de votre sous-traitant {supplier} (dossier "
        "{dossier}) attend votre décision ; sans réponse avant le {due}, il sera réputé "
        "validé."),
    "travaux_titulaire_accepted": gettext_lazy(
        "{titulaire} a accepté le projet de décompte {number} (dossier {dossier}) : il est mis "
        "à disposition du maître d'œuvre {moe}."),
    "travaux_titulaire_refused": gettext_lazy(
        "{titulaire} a refusé le projet de décompte {number} (dossier {dossier}) : "
        "« {reason} »."),
    "travaux_titulaire_tacit": gettext_lazy(
        "Sans décision du titulaire {titulaire} dans les 15 jours, le projet de décompte "
        "{number} de {supplier} (dossier {dossier}) est réputé validé : il est mis à "
        "disposition du maître d'œuvre."),
    "travaux_to_mandataire": gettext_lazy(
        "{supplier}, co-traitant du groupement dont vous êtes le mandataire, a déposé le projet "
        "de décompte {number} ({amount}, dossier {dossier}) pour le maître d'œuvre."),
    "travaux_paid": gettext_lazy(
        "La pièce {number} ({amount}, dossier {dossier}) a été mise en paiement par le "
        "service payeur : le dossier est clos."),
    "travaux_rejected": gettext_lazy(
        "Le service payeur a rejeté la pièce {number} ({amount}, dossier {dossier}) : "
        "« {reason} ». Le dossier est clos."),
    "travaux_recycling_requested": gettext_lazy(
        "La pièce {number} (dossier {dossier}) n'est pas adressée au bon {party} : « {reason} ». "
        "Recyclez-la en désignant le bon."),
    "travaux_recycled": gettext_lazy(
        "{supplier} a recyclé la pièce {number} ({amount}, dossier {dossier}) vers votre "
        "structure : à traiter."),
    # The archive exports asked for in the portal (archives/services.py).
    "archive_export_ready": gettext_lazy(
        "L'export des archives de {structure} ({period}) est prêt : {size}, à télécharger "
        "avant le {expires}."),
    "archive_export_failed": gettext_lazy(
        "L'export des archives de {structure} n'a pas pu être préparé ({code}) : demandez-en "
        "un nouveau depuis la page « Archives » de la structure."),
    "actualite_published": gettext_lazy("Actualité de la plateforme : {title}"),
    "chat_closed": gettext_lazy(
        "Votre conversation avec un agent (« {subject} ») est terminée : son fil reste "
        "consultable."),
    "chat_unanswered": gettext_lazy(
        "Aucun agent n'a pu répondre à votre demande « {subject} » : émettez une "
        "sollicitation depuis la conversation, elle en reprend l'échange."),
    # Sollicitations (sollicitations/notifications.py): every step tells the other side.
    "sollicitation_received": gettext_lazy(
        "Nouvelle sollicitation {number} de {sender} : « {title} »."),
    "sollicitation_transferred_in": gettext_lazy(
        "La sollicitation {number} de {sender} (« {title} ») vous a été transférée : à "
        "traiter."),
    "sollicitation_taken": gettext_lazy(
        "Votre sollicitation {number} (« {title} ») est prise en charge par {agent}."),
    "sollicitation_complement_requested": gettext_lazy(
        "Un complément vous est demandé sur la sollicitation {number} (« {title} »)."),
    "sollicitation_completed": gettext_lazy(
        "{sender} a complété la sollicitation {number} (« {title} ») : à traiter."),
    "sollicitation_answered": gettext_lazy(
        "Votre sollicitation {number} (« {title} ») a reçu une réponse."),
    "sollicitation_transferred": gettext_lazy(
        "Votre sollicitation {number} (« {title} ») a été transférée à {target}."),
    "sollicitation_closed": gettext_lazy(
        "La sollicitation {number} (« {title} ») est clôturée."),
    "sollicitation_reopened": gettext_lazy(
        "{sender} a rouvert la sollicitation {number} (« {title} ») : à traiter."),
}


def render(kind: str, params: dict) -> str:
    template = KINDS.get(kind)
    if template is None:
        return kind
    values = dict(params)
    if "status_code" in values:
        from choeur.invoicing.statuses import Status

        code = values["status_code"]
        values["status"] = str(Status(code).label) if code in Status.values else code
    if "flux_state" in values:
        from choeur.flux.models import EtatFlux

        code = values["flux_state"]
        values["state"] = str(EtatFlux(code).label) if code in EtatFlux.values else code
    if "amount" in values:  # as every page shows amounts: « 12 345,67 € », « €12,345.67 »
        values["amount"] = display.money(values["amount"], translation.get_language() or "fr",
                                         values.get("currency")) or values["amount"]
    try:
        return str(template).format(**values)
    except (KeyError, IndexError):
        return str(template)
