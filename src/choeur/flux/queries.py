"""The read side of flux: always scoped to what the actor (a user or a technical account)
may see. A flux belongs to its structure; whoever sees the structure's Factures émises or
Raccordements espace sees its flux. Anything else is "not found", forged numbers included."""

from __future__ import annotations

from django.db.models import QuerySet

from choeur.flux.errors import FluxNotFound
from choeur.flux.models import Flux
from choeur.invoicing.models import Invoice
from choeur.organisations import permissions
from choeur.organisations.models import Espace

ESPACES = (Espace.FACTURES_EMISES, Espace.RACCORDEMENTS)


def structures_seeing_flux(actor) -> list:
    return [structure for structure in permissions.visible_structures(actor)
            if any(permissions.can_see(actor, structure, espace) for espace in ESPACES)]


def visible_flux(actor) -> QuerySet[Flux]:
    ids = [structure.pk for structure in structures_seeing_flux(actor)]
    return Flux.objects.filter(structure_id__in=ids).select_related(
        "structure", "technical_account", "user")


def flux_for(actor, numero: str | None) -> Flux:
    """The flux with this `numeroFluxDepot` if the actor may see it; FluxNotFound otherwise."""
    numero = (numero or "").strip()
    flux = Flux.objects.select_related("structure", "technical_account", "user").filter(
        numero=numero).first() if numero else None
    if flux is None or not any(permissions.can_see(actor, flux.structure, espace)
                               for espace in ESPACES):
        raise FluxNotFound(numero=numero[:40] or "—")
    return flux


def invoices_of_flux(actor, numero: str) -> QuerySet[Invoice]:
    """The invoices a flux created (`rechercher/fournisseur {numeroFluxDepot}`)."""
    flux = flux_for(actor, numero)
    return Invoice.objects.filter(flux_items__flux=flux).order_by("flux_items__position")
