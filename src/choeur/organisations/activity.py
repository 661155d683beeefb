"""« Activités du gestionnaire »: each audit line of the organisations feature told as a
sentence, in the reader's language, with who did it and on what (user, espace, service...).

The audit log keeps stable internal codes (`organisations.espace_opened`) and raw details
(field names, espace codes): this module is where they become words. Every kind the feature
records has its sentence here (a test walks the sources for them); a kind without one (an
older line, another feature's line about the structure) still reads as a sentence.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from choeur.core.models import AuditEvent
from choeur.organisations import forms
from choeur.organisations.models import (
    Espace,
    HabilitationMode,
    Rattachement,
    Service,
    Structure,
)

SENTENCES = {
    "organisations.structure_created": gettext_lazy(
        "%(who)s a créé la structure %(object)s."),
    "organisations.structure_updated": gettext_lazy(
        "%(who)s a modifié la structure %(object)s : %(fields)s."),
    "organisations.structure_activated": gettext_lazy(
        "%(who)s a activé la structure %(object)s."),
    "organisations.structure_deactivated": gettext_lazy(
        "%(who)s a désactivé la structure %(object)s."),
    "organisations.identifier_changed": gettext_lazy(
        "%(who)s a changé l'identifiant de la structure %(object)s : nouvel identifiant "
        "%(new_identifier)s."),
    "organisations.structures_imported": gettext_lazy(
        "%(who)s a importé des structures publiques : %(created)s créée(s), %(updated)s "
        "modifiée(s), %(services_created)s service(s) créé(s), %(services_updated)s "
        "modifié(s)."),
    "organisations.service_created": gettext_lazy(
        "%(who)s a créé le service %(object)s."),
    "organisations.service_updated": gettext_lazy(
        "%(who)s a modifié le service %(object)s : %(fields)s."),
    "organisations.service_activated": gettext_lazy(
        "%(who)s a activé le service %(object)s."),
    "organisations.service_deactivated": gettext_lazy(
        "%(who)s a désactivé le service %(object)s."),
    "organisations.user_attached": gettext_lazy(
        "%(who)s a rattaché %(user)s à la structure (rôle : %(role)s)."),
    "organisations.rattachement_requested": gettext_lazy(
        "%(who)s a demandé son rattachement à la structure (services : %(services)s)."),
    "organisations.rattachement_validated": gettext_lazy(
        "%(who)s a validé le rattachement de %(user)s."),
    "organisations.rattachement_refused": gettext_lazy(
        "%(who)s a refusé le rattachement de %(user)s (motif : %(reason)s)."),
    "organisations.user_detached": gettext_lazy(
        "%(who)s a détaché %(user)s de la structure."),
    "organisations.rattachement_left": gettext_lazy(
        "%(who)s s'est détaché(e) de la structure."),
    "organisations.first_principal_approved": gettext_lazy(
        "%(who)s a désigné %(user)s gestionnaire principal de la structure."),
    "organisations.gestionnaire_granted": gettext_lazy(
        "%(who)s a nommé %(user)s gestionnaire."),
    "organisations.gestionnaire_withdrawn": gettext_lazy(
        "%(who)s a retiré le rôle de gestionnaire à %(user)s."),
    "organisations.principal_transferred": gettext_lazy(
        "%(who)s a transmis le rôle de gestionnaire principal à %(new)s."),
    "organisations.espace_opened": gettext_lazy(
        "%(who)s a ouvert l'espace « %(espace)s »."),
    "organisations.espace_closed": gettext_lazy(
        "%(who)s a fermé l'espace « %(espace)s »."),
    "organisations.habilitation_set": gettext_lazy(
        "%(who)s a réglé l'accès de %(user)s à l'espace « %(espace)s » : %(mode)s."),
    "organisations.habilitation_subscribed": gettext_lazy(
        "%(who)s s'est abonné(e) à l'espace « %(espace)s » (%(mode)s)."),
    "organisations.habilitation_requested": gettext_lazy(
        "%(who)s a demandé l'accès à l'espace « %(espace)s » (%(mode)s)."),
    "organisations.habilitation_request_approved": gettext_lazy(
        "%(who)s a accepté la demande d'accès de %(user)s à l'espace « %(espace)s »."),
    "organisations.habilitation_request_refused": gettext_lazy(
        "%(who)s a refusé la demande d'accès de %(user)s à l'espace « %(espace)s »."),
    "organisations.bank_account_added": gettext_lazy(
        "%(who)s a ajouté les coordonnées bancaires %(iban)s."),
    "organisations.bank_account_deactivated": gettext_lazy(
        "%(who)s a désactivé les coordonnées bancaires %(iban)s."),
    "organisations.technical_account_created": gettext_lazy(
        "%(who)s a créé le compte technique %(object)s."),
    "organisations.technical_password_reset": gettext_lazy(
        "%(who)s a renouvelé le mot de passe du compte technique %(object)s."),
    "organisations.technical_account_deactivated": gettext_lazy(
        "%(who)s a désactivé le compte technique %(object)s."),
    "organisations.technical_account_lenient_bearer_on": gettext_lazy(
        "%(who)s a permis au compte technique %(object)s des appels sans jeton "
        "(qualification)."),
    "organisations.technical_account_lenient_bearer_off": gettext_lazy(
        "%(who)s a exigé le jeton à chaque appel du compte technique %(object)s."),
    "organisations.api_client_created": gettext_lazy(
        "%(who)s a créé le client API %(object)s."),
    "organisations.api_client_revoked": gettext_lazy(
        "%(who)s a révoqué le client API %(object)s."),
    "organisations.config_exported": gettext_lazy(
        "%(who)s a exporté la configuration de la structure %(object)s (services, "
        "engagements, coordonnées bancaires, réglages des raccordements ; aucun secret)."),
    "organisations.config_imported": gettext_lazy(
        "%(who)s a importé une configuration (%(source)s) : %(created)s élément(s) créé(s), "
        "%(updated)s modifié(s), %(unchanged)s inchangé(s), %(skipped)s non repris."),
}

#: A kind without its sentence (recorded by a newer or another feature) still reads.
FALLBACK = gettext_lazy("%(who)s : action « %(action)s » sur %(object)s.")

_MODELS_OF_FIELDS = {"structure": Structure, "service": Service}


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _fields(names, model) -> str:
    """Changed fields by their French (or English) names, never their code names."""
    labels = {**forms.STRUCTURE_PARAMETER_LABELS} if model is Structure else {
        **forms.SERVICE_PARAMETER_LABELS}
    shown = []
    for name in names or ():
        label = labels.get(name)
        if label is None:
            try:
                label = model._meta.get_field(name).verbose_name
            except Exception:  # a field since removed: its name is what remains
                label = name.replace("_", " ")
        shown.append(str(label))
    return ", ".join(shown) or _("aucun champ")


def _parameters(event: AuditEvent) -> dict[str, str]:
    details = event.details if isinstance(event.details, dict) else {}
    model = Service if event.action.startswith("organisations.service_") else Structure
    mode = details.get("mode")
    services = details.get("services")
    return {
        "who": event.actor_label or "Choeur",
        "object": event.object_label or "—",
        "user": details.get("user") or event.object_label.split(" → ", 1)[0] or "—",
        "espace": _label(Espace, details.get("espace")) or "—",
        "mode": _label(HabilitationMode, mode) if mode else _("aucun accès"),
        "role": _label(Rattachement.Role, details.get("role")) or "—",
        "services": ", ".join(services) if services else _("aucun service précisé"),
        "reason": details.get("reason") or _("aucun motif donné"),
        "fields": _fields(details.get("fields"), model),
        "new_identifier": str(details.get("new_identifier") or "—"),
        "new": str(details.get("new") or "—"),
        "iban": str(details.get("iban") or event.object_label or "—"),
        **{key: str(details.get(key, 0)) for key in (
            "created", "updated", "services_created", "services_updated", "unchanged",
            "skipped")},
        "source": " ".join(str(details.get(key) or "") for key in (
            "source_environment", "source_identifier")).strip() or "—",
        "action": event.action.rsplit(".", 1)[-1].replace("_", " "),
    }


def sentence(event: AuditEvent) -> str:
    """The audit line told in the active language."""
    template = SENTENCES.get(event.action, FALLBACK)
    return str(template) % _parameters(event)


__all__ = ["FALLBACK", "SENTENCES", "sentence"]
