"""The matelas de données's works set (issue 16, docs/TRAVAUX.md): dossiers de facturation
between the matelas's supplier (and its co-traitant), its maître d'œuvre and its maître
d'ouvrage, one at each stage, so that a trainee can start from any step.

Monthly: paid (mise en paiement); validated and at the paying service; an état d'acompte
waiting for the MOA; a projet de décompte waiting for the MOE (the supplier's, and the
co-traitant's A13); one refused by the MOE; one whose MOE's 7 days have passed. Final: a
projet de décompte final waiting for the MOE's A17; a décompte général waiting for the
titulaire's signature (A8); a DGD signed, at the paying service. The tacit procedure is not
built: it starts 30 days after the A7, a date the matelas does not fake — moving the instance's
clock (Horloge) past them opens it on the dossier « en attente du maître d'œuvre ».

Everything goes through the travaux services (statuses by the transition table, history,
notifications, PDFs), acting as the matelas's user (gestionnaire of every structure), in the
generation's transaction. The routing and the paying service's processing of the last pieces
are the invoicing services themselves, run at once. The MOE's lapse is the timer's service,
run for that one piece at its due date. Amounts, numbers and the marché are drawn from the
seed (an rng of their own: the structures' draws stay what they were).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing import services as invoicing
from choeur.invoicing.data import InvoiceData, LineData
from choeur.invoicing.models import Invoice, TravauxCadre
from choeur.invoicing.statuses import Status
from choeur.travaux import final, queries, services
from choeur.travaux.models import Dossier

#: The stages built, in their order of creation (the oldest first: the cumulation over the
#: marché grows from one to the next as it would month after month).
STAGES = {
    "mensuel_paye": _("Mensuel : mis en paiement"),
    "mensuel_service_payeur": _("Mensuel : état d'acompte validé, au service payeur"),
    "mensuel_attente_moa": _("Mensuel : état d'acompte en attente du maître d'ouvrage"),
    "mensuel_attente_moe": _("Mensuel : projet de décompte en attente du maître d'œuvre"),
    "mensuel_cotraitant": _("Mensuel : projet du co-traitant en attente du maître d'œuvre"),
    "mensuel_refuse_moe": _("Mensuel : refusé par le maître d'œuvre"),
    "mensuel_delai_moe": _("Mensuel : délai de 7 jours du maître d'œuvre dépassé"),
    "final_attente_moe": _("Final : projet de décompte final en attente du maître d'œuvre "
                           "(A17)"),
    "final_attente_titulaire": _("Final : décompte général en attente de la signature du "
                                 "titulaire (A8)"),
    "final_dgd_signe": _("Final : décompte général et définitif signé, au service payeur"),
}
#: The stages left waiting for the maître d'œuvre's état d'acompte: the pieces the matelas
#: answered itself (acting as its user) are in the other stages (formation/checks.py).
WAITING_FOR_MOE = ("mensuel_attente_moe", "mensuel_cotraitant")
REFUSAL_REASON = "Travaux du lot non constatés sur le chantier à la date du projet."


@dataclass
class Built:
    stage: str
    dossier: Dossier

    @property
    def label(self):
        return STAGES[self.stage]


@dataclass
class Row:
    """A dossier as « Mon matelas » lists it: as it stands now."""

    dossier: Dossier
    last_kind: str
    last_number: str
    last_status: str
    waiting: str
    stage: str = ""  # a key of STAGES: known on the generation's answer only

    @property
    def stage_label(self):
        return STAGES.get(self.stage, "")


class _Builder:
    def __init__(self, user, matelas, seed: int):
        self.user = user
        self.rng = random.Random(f"matelas-travaux:{seed}")  # noqa: S311 - test data
        entry = {role: matelas.of_role(role)[0].structure
                 for role in ("fournisseur", "maitre_oeuvre", "maitre_ouvrage", "cotraitant")}
        self.supplier, self.moe = entry["fournisseur"], entry["maitre_oeuvre"]
        self.moa, self.cotraitant = entry["maitre_ouvrage"], entry["cotraitant"]
        moa_entry = matelas.of_role("maitre_ouvrage")[0]
        self.service = "TRAVAUX" if "TRAVAUX" in moa_entry.services else ""
        self.engagement = moa_entry.engagements[0] if moa_entry.engagements else ""
        self.year = clock.today().year
        self.marche = f"{self.year}-TRV-{self.rng.randint(100, 999)}"
        self.lot = self.rng.choice(["Gros œuvre", "Charpente et couverture", "Menuiseries",
                                    "Plâtrerie et isolation", "Électricité", "Plomberie"])
        self.counters: dict[str, int] = {}

    # --- data -------------------------------------------------------------------------------

    def _number(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.year}-{self.counters[prefix]:02d}"

    def _lines(self, amount: Decimal, what: str) -> list[LineData]:
        return [LineData(designation=f"Lot {self.lot} : {what}", quantity=Decimal(1),
                         unit_price=amount, vat_rate=Decimal(20), unit="LS")]

    def claim(self, prefix: str, amount: Decimal, what: str, supplier=None) -> InvoiceData:
        supplier = supplier or self.supplier
        account = supplier.bank_accounts.filter(is_active=True).order_by("pk").first()
        return InvoiceData(
            recipient_identifier=self.moa.identifier, recipient_service_code=self.service,
            number=self._number(prefix), invoice_date=clock.today(),
            marche_number=self.marche,
            engagement_number=self.engagement if supplier == self.supplier else "",
            payment_mode="VIREMENT", bank_account_id=account.pk if account else None,
            lines=self._lines(amount, what))

    def admitted(self, amount: Decimal, what: str) -> InvoiceData:
        return InvoiceData(invoice_date=clock.today(), lines=self._lines(amount, what))

    def amount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low, high, 50))

    def less(self, amount: Decimal) -> Decimal:
        """What a MOE or MOA admits of a claim: often all, sometimes a little less."""
        return amount - Decimal(self.rng.choice([0, 0, 150, 400, 750]))

    # --- monthly ----------------------------------------------------------------------------

    def projet(self, month: int, supplier=None):
        supplier = supplier or self.supplier
        cadre = TravauxCadre.A4 if supplier == self.supplier else TravauxCadre.A13
        claimed = self.amount(6_000, 45_000)
        return services.deposit_projet_decompte(
            self.user, supplier,
            self.claim("PDM" if cadre == TravauxCadre.A4 else "PDC", claimed,
                       f"situation n° {month}", supplier),
            moe_identifier=self.moe.identifier, cadre=cadre), claimed

    def etat(self, dossier_id, claimed: Decimal, month: int):
        admitted = self.less(claimed)
        services.deposit_etat_acompte(self.user, dossier_id,
                                      self.admitted(admitted, f"situation n° {month} (admis)"))
        return admitted

    def valide(self, dossier_id, admitted: Decimal, month: int):
        return services.validate_etat_acompte(
            self.user, dossier_id, self.admitted(self.less(admitted),
                                                 f"situation n° {month} (validé)"))

    def to_payer(self, piece, paid: bool = False):
        """The paying service's side, through invoicing's own services: routed, and paid."""
        invoicing.route(piece.invoice_id)
        if paid:
            invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=piece.invoice_id)
            invoicing.process(self.user, invoice, Status.MISE_EN_PAIEMENT,
                              comment="Matelas de données : mise en paiement.")

    def build(self) -> list[Built]:
        built: list[Built] = []
        month = 0

        def monthly(stage: str, steps: int, **options):
            nonlocal month
            month += 1
            piece, claimed = self.projet(month, options.get("supplier"))
            dossier_id = piece.dossier_id
            if steps >= 2:
                claimed = self.etat(dossier_id, claimed, month)
            if steps >= 3:
                self.to_payer(self.valide(dossier_id, claimed, month),
                              paid=options.get("paid", False))
            if options.get("refused"):
                services.refuse_as_moe(self.user, dossier_id, REFUSAL_REASON)
            if options.get("lapsed"):
                # The timer's own service, for this piece, at its due date (7 days on).
                services.apply_moe_deadlines(now=piece.due_at, pieces=[piece.pk])
            built.append(Built(stage, Dossier.objects.get(pk=dossier_id)))

        monthly("mensuel_paye", 3, paid=True)
        monthly("mensuel_service_payeur", 3)
        monthly("mensuel_attente_moa", 2)
        monthly("mensuel_attente_moe", 1)
        monthly("mensuel_cotraitant", 1, supplier=self.cotraitant)
        monthly("mensuel_refuse_moe", 1, refused=True)
        monthly("mensuel_delai_moe", 1, lapsed=True)

        for stage, steps in (("final_attente_moe", 1), ("final_attente_titulaire", 3),
                             ("final_dgd_signe", 4)):
            claimed = self.amount(120_000, 400_000)
            piece = final.deposit_projet_decompte_final(
                self.user, self.supplier, self.claim("PDF", claimed, "décompte final"),
                moe_identifier=self.moe.identifier)
            dossier_id = piece.dossier_id
            if steps >= 2:
                general = self.less(claimed)
                final.deposit_projet_decompte_general(
                    self.user, dossier_id, self.admitted(general, "projet de décompte général"))
            if steps >= 3:
                general = self.less(general)
                final.deposit_decompte_general(
                    self.user, dossier_id, self.admitted(general, "décompte général"))
            if steps >= 4:
                signed = final.sign_decompte_general(
                    self.user, dossier_id,
                    self.claim("DGD", general, "décompte général et définitif"))
                self.to_payer(signed)
            built.append(Built(stage, Dossier.objects.get(pk=dossier_id)))
        return built


def build(user, matelas, seed: int) -> list[Built]:
    """The works set of a matelas being generated (the caller's transaction)."""
    return _Builder(user, matelas, seed).build()


def rows(user, matelas, stages: dict[int, str] | None = None) -> list[Row]:
    """The works dossiers of a matelas as they stand now, the user's sight only: those between
    its supplier or co-traitant and its maître d'ouvrage (the trainee's own later ones too),
    oldest first. `stages`: dossier pk → the stage it was built at, to name it."""
    suppliers = [e.structure.pk for e in matelas.entries
                 if e.role in ("fournisseur", "cotraitant")]
    moas = [e.structure.pk for e in matelas.of_role("maitre_ouvrage")]
    if not suppliers or not moas:
        return []
    stages = stages or {}
    found = []
    for dossier in queries.listed(user).filter(supplier_id__in=suppliers,
                                               moa_id__in=moas).order_by("pk"):
        pieces = list(dossier.pieces.all())
        last = pieces[-1] if pieces else None
        found.append(Row(
            dossier=dossier, last_kind=last.get_kind_display() if last else "",
            last_number=last.invoice.number if last else "",
            last_status=last.invoice.get_status_display() if last else "",
            waiting=dossier.get_next_actor_display()
            if queries.waiting_for(dossier, last) else "",
            stage=stages.get(dossier.pk, "")))
    return found
