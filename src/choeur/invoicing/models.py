"""Demandes de paiement (invoices and credit notes), their lines, files, history; engagements.

Field names are English; Chorus Pro's wire names are given in comments for the API layer.
An invoice, once sent, is immutable (house rule 4): its routing data change only through the
recycle use case, its files are content-addressed blobs, and every status change, user action
and complementary event is a history row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from choeur.core import clock
from choeur.invoicing.statuses import RECIPIENT_VISIBLE, Status
from choeur.organisations.models import BankAccount, Service, Structure

AMOUNT = {"max_digits": 19, "decimal_places": 6}  # decimal(19,6), as Chorus Pro


class Cadre(models.TextChoices):
    """`codeCadreFacturation` of this scope (the works cadres come with the works issue)."""

    A1 = "A1_FACTURE_FOURNISSEUR", _("A1 — Dépôt par un fournisseur d'une facture")
    A2 = "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE", _(
        "A2 — Dépôt par un fournisseur d'une facture déjà payée")
    A9 = "A9_FACTURE_SOUSTRAITANT", _("A9 — Dépôt par un sous-traitant d'une facture")
    A12 = "A12_FACTURE_COTRAITANT", _("A12 — Dépôt par un cotraitant d'une facture")

    @classmethod
    def needs_validator(cls, cadre: str) -> bool:
        return cadre in (cls.A9, cls.A12)

    @classmethod
    def short(cls, cadre: str) -> str:
        return cadre.split("_", 1)[0]


class TravauxCadre(models.TextChoices):
    """The cadres of the factures de travaux (reference §2.2; docs/TRAVAUX.md): who deposits
    which piece of a dossier de facturation."""

    A4 = "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR", _(
        "A4 — Dépôt par un fournisseur d'un projet de décompte mensuel")
    A5 = "A5_ETAT_ACOMPTE_FOURNISSEUR", _("A5 — Dépôt par un fournisseur d'un état d'acompte")
    A6 = "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR", _(
        "A6 — Dépôt par un fournisseur d'un état d'acompte validé")
    A7 = "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR", _(
        "A7 — Dépôt par un fournisseur d'un projet de décompte final")
    A8 = "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR", _(
        "A8 — Dépôt par un fournisseur d'un décompte général et définitif")
    A10 = "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT", _(
        "A10 — Dépôt par un sous-traitant d'un projet de décompte mensuel")
    A13 = "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT", _(
        "A13 — Dépôt par un cotraitant d'un projet de décompte mensuel")
    A14 = "A14_PROJET_DECOMPTE_FINAL_COTRAITANT", _(
        "A14 — Dépôt par un cotraitant d'un projet de décompte final")
    A15 = "A15_ETAT_ACOMPTE_MOE", _("A15 — Dépôt par une MOE d'un état d'acompte")
    A16 = "A16_ETAT_ACOMPTE_VALIDE_MOE", _("A16 — Dépôt par une MOE d'un état d'acompte validé")
    A17 = "A17_PROJET_DECOMPTE_GENERAL_MOE", _(
        "A17 — Dépôt par une MOE d'un projet de décompte général")
    A18 = "A18_DECOMPTE_GENERAL_MOE", _("A18 — Dépôt par une MOE d'un décompte général")
    A19 = "A19_ETAT_ACOMPTE_VALIDE_MOA", _("A19 — Dépôt par une MOA d'un état d'acompte validé")
    A20 = "A20_DECOMPTE_GENERAL_MOA", _("A20 — Dépôt par une MOA d'un décompte général")
    A22 = "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE", _(
        "A22 — Projet de décompte général déposé par le fournisseur (procédure tacite)")
    A23 = "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR", _(
        "A23 — Décompte général et définitif tacite déposé par le fournisseur")
    A24 = "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE", _(
        "A24 — Dépôt par une MOE d'un décompte général et définitif (procédure tacite)")
    A25 = "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE", _(
        "A25 — Dépôt par une MOA d'un décompte général et définitif tacite")


class TypeDemandePaiement(models.TextChoices):
    """`typeDemandePaiement`: an ordinary invoice, or a piece of a works dossier."""

    FACTURE = "FACTURE", _("Facture")
    FACTURE_TRAVAUX = "FACTURE_TRAVAUX", _("Facture de travaux")


class TypeFacture(models.TextChoices):
    FACTURE = "FACTURE", _("Facture")
    AVOIR = "AVOIR", _("Avoir")
    ACOMPTE = "ACOMPTE", _("Facture d'acompte")


class TypeTva(models.TextChoices):
    TVA_SUR_DEBIT = "TVA_SUR_DEBIT", _("TVA sur les débits")
    TVA_SUR_ENCAISSEMENT = "TVA_SUR_ENCAISSEMENT", _("TVA sur les encaissements")
    EXONERATION = "EXONERATION", _("Exonération de TVA")
    SANS_TVA = "SANS_TVA", _("Sans TVA")


class ModePaiement(models.TextChoices):
    VIREMENT = "VIREMENT", _("Virement")
    CHEQUE = "CHEQUE", _("Chèque")
    PRELEVEMENT = "PRELEVEMENT", _("Prélèvement")
    ESPECE = "ESPECE", _("Espèces")
    REPORT = "REPORT", _("Report")
    AUTRE = "AUTRE", _("Autre")


class ModeDepot(models.TextChoices):
    """`modeDepot`, verbatim (the portal and API modes of this scope, then the flux ones)."""

    SAISIE_PORTAIL = "SAISIE_PORTAIL", _("Saisie sur le portail")
    DEPOT_PDF_PORTAIL = "DEPOT_PDF_PORTAIL", _("Dépôt d'un PDF sur le portail")
    UPLOAD_PORTAIL = "UPLOAD_PORTAIL", _("Dépôt d'un fichier structuré sur le portail")
    SAISIE_API = "SAISIE_API", _("Saisie par API")
    DEPOT_PDF_API = "DEPOT_PDF_API", _("Dépôt d'un PDF par API")
    DEPOT_PDF_SIGNE_API = "DEPOT_PDF_SIGNE_API", _("Dépôt d'un PDF signé par API")
    UPLOAD_API = "UPLOAD_API", _("Flux déposé par API")
    EDI = "EDI", _("Flux EDI")


class FollowedQuerySet(models.QuerySet):
    """`update()` (and `bulk_update()`, which goes through it) tells `signals.updated` which
    rows changed and which fields, when someone listens: the features that copy an invoice's
    fields or history (reporting's facts) follow every write, not only the lifecycle's."""

    def update(self, **kwargs):
        from choeur.invoicing import signals

        if not signals.updated.has_listeners(self.model):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))  # before: the filter may stop matching
        count = super().update(**kwargs)
        if pks and count:
            signals.updated.send(sender=self.model, pks=pks, fields=frozenset(kwargs))
        return count

    update.alters_data = True


class Invoice(models.Model):
    """A demande de paiement of type FACTURE: an invoice, a credit note or an advance invoice.
    `idFacture` / `identifiantFactureCPP` is the primary key."""

    supplier = models.ForeignKey(  # fournisseur (idFournisseur)
        Structure, on_delete=models.PROTECT, related_name="issued_invoices",
        verbose_name=_("fournisseur"))
    supplier_service = models.ForeignKey(  # idServiceFournisseur
        Service, on_delete=models.PROTECT, related_name="issued_invoices", null=True,
        blank=True, verbose_name=_("service du fournisseur"))
    recipient = models.ForeignKey(  # destinataire (codeDestinataire)
        Structure, on_delete=models.PROTECT, related_name="received_invoices",
        verbose_name=_("destinataire"))
    recipient_service = models.ForeignKey(  # codeServiceExecutant
        Service, on_delete=models.PROTECT, related_name="received_invoices", null=True,
        blank=True, verbose_name=_("service destinataire"))
    cadre = models.CharField(_("cadre de facturation"), max_length=60,
                             choices=Cadre.choices + TravauxCadre.choices,
                             default=Cadre.A1)
    validator = models.ForeignKey(  # codeStructureValideur (level 1)
        Structure, on_delete=models.PROTECT, related_name="invoices_to_validate", null=True,
        blank=True, verbose_name=_("valideur"))
    validator_service = models.ForeignKey(  # codeServiceValideur
        Service, on_delete=models.PROTECT, related_name="invoices_to_validate", null=True,
        blank=True, verbose_name=_("service du valideur"))
    validator2 = models.ForeignKey(  # idValideur2 (sous-traitant of a cotraitant)
        Structure, on_delete=models.PROTECT, related_name="invoices_to_validate_2", null=True,
        blank=True, verbose_name=_("second valideur"))
    validated_at = models.DateTimeField(_("validée (niveau 1) le"), null=True, blank=True)
    validated2_at = models.DateTimeField(_("validée (niveau 2) le"), null=True, blank=True)
    validation_due_at = models.DateTimeField(  # 15 days after the deposit or level-1 decision
        _("date limite de validation"), null=True, blank=True)

    type_demande_paiement = models.CharField(  # typeDemandePaiement
        _("type de demande de paiement"), max_length=16, choices=TypeDemandePaiement.choices,
        default=TypeDemandePaiement.FACTURE)
    type_facture = models.CharField(_("type de facture"), max_length=10,
                                    choices=TypeFacture.choices, default=TypeFacture.FACTURE)
    number = models.CharField(_("numéro de facture"), max_length=20)  # numeroFacture
    number_year = models.PositiveSmallIntegerField(  # année de création: the number's scope
        _("année du numéro"))
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    deposited_at = models.DateTimeField(_("date de dépôt"), null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    type_tva = models.CharField(_("régime de TVA"), max_length=24, choices=TypeTva.choices,
                                default=TypeTva.TVA_SUR_DEBIT)
    vat_exemption_reason = models.CharField(_("motif d'exonération de TVA"), max_length=255,
                                            blank=True)
    marche_number = models.CharField(_("numéro de marché"), max_length=50, blank=True)
    engagement_number = models.CharField(  # numeroBonCommande / numéro d'engagement (BT-13)
        _("numéro d'engagement"), max_length=50, blank=True)
    original_invoice_number = models.CharField(  # numeroFactureOrigine (credit notes)
        _("numéro de la facture d'origine"), max_length=20, blank=True)
    payment_mode = models.CharField(_("mode de paiement"), max_length=12,
                                    choices=ModePaiement.choices, blank=True)
    bank_account = models.ForeignKey(  # codeCoordonneesBancairesFournisseur
        BankAccount, on_delete=models.PROTECT, null=True, blank=True,
        verbose_name=_("coordonnées bancaires"))
    comment = models.CharField(_("commentaire"), max_length=2000, blank=True)

    total_ht = models.DecimalField(_("montant HT"), **AMOUNT, default=0)  # montantHtTotal
    total_tva = models.DecimalField(_("montant TVA"), **AMOUNT, default=0)  # montantTVA
    total_ttc = models.DecimalField(_("montant TTC"), **AMOUNT, default=0)  # montantTtcTotal
    amount_due = models.DecimalField(_("montant à payer"), **AMOUNT, default=0)  # montantAPayer

    mode_depot = models.CharField(_("mode de dépôt"), max_length=24, choices=ModeDepot.choices)
    syntax = models.CharField(_("format"), max_length=16, blank=True)  # CII, UBL, PDF
    profile = models.CharField(_("profil"), max_length=40, blank=True)
    main_file_sha256 = models.CharField(max_length=64, blank=True)  # pieceJointePrincipale
    main_file_name = models.CharField(_("fichier de la facture"), max_length=200, blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)  # the structured data, if any
    certificate_sha256 = models.CharField(max_length=64, blank=True)  # empreinteCertificatDepot
    # The main file is Choeur's PDF rendering of a deposited UBL/CII file (made at first
    # need), not the document deposited: the certificate then names the XML file instead.
    main_file_rendered = models.BooleanField(default=False, editable=False)

    status = models.CharField(_("statut"), max_length=60, choices=Status.choices,
                              default=Status.BROUILLON)
    status_changed_at = models.DateTimeField(_("date du statut"), default=clock.now)
    status_comment = models.CharField(  # commentaireEtatCourant / motif
        _("commentaire du statut"), max_length=2000, blank=True)
    mandate_number = models.CharField(_("numéro de mandat"), max_length=50, blank=True)
    rejet_traite = models.BooleanField(_("rejet traité"), default=False)
    acknowledged = models.BooleanField(  # rejection / suspension acknowledged by the supplier
        _("acquittée par le fournisseur"), default=False)
    downloaded_by_recipient = models.BooleanField(  # factureTelechargeeParDestinataire
        _("téléchargée par le destinataire"), default=False)

    # The délai global de paiement (invoicing/delays.py), kept by lifecycle with the status
    # changes that move it; read by the lists and the dashboards. Null: no délai (a draft, a
    # credit note, a private recipient, a rejection) or, for the due date, suspended.
    payment_delay_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"), null=True, blank=True)
    payment_due_on = models.DateField(_("à payer au plus tard le"), null=True, blank=True)
    paid_at = models.DateTimeField(_("mise en paiement le"), null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("créée le"), default=clock.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=clock.now)

    objects = FollowedQuerySet.as_manager()

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        constraints = [
            # "Vous avez déjà déposé une demande de paiement avec ce numéro de facture pour
            # cette structure": unique per supplier and year once sent (drafts may repeat).
            models.UniqueConstraint(
                fields=["supplier", "number", "number_year"],
                condition=~Q(status__in=["BROUILLON", "SUPPRIMEE"]),
                name="invoice_number_unique_per_supplier_year"),
        ]
        # The lists (views/common.invoice_list) read pages of (-status_changed_at, -id) keys
        # backwards along these indexes, 51 rows at a time whatever the table's size; the
        # number search has a trigram index on PostgreSQL (migration 0002). bench/portal.py
        # measures them at 1,000,000 invoices.
        indexes = [
            # One structure's invoices, newest first: "Toutes", and the searches whose
            # filter many rows pass.
            models.Index(fields=["supplier", "status_changed_at", "id"], name="inv_supplier_page"),
            models.Index(fields=["recipient", "status_changed_at", "id"],
                         name="inv_recipient_page"),
            # Several structures' invoices (a user attached to a few), newest first.
            models.Index(fields=["status_changed_at", "id"], name="inv_page"),
            # The partner search: one partner's invoices with the structure, newest first.
            models.Index(fields=["supplier", "recipient", "status_changed_at", "id"],
                         name="inv_supplier_partner_page"),
            models.Index(fields=["recipient", "supplier", "status_changed_at", "id"],
                         name="inv_recipient_partner_page"),
            # The status search, for the rare statuses.
            models.Index(fields=["supplier", "status", "status_changed_at", "id"],
                         name="inv_supplier_status_page"),
            models.Index(fields=["recipient", "status", "status_changed_at", "id"],
                         name="inv_recipient_status_page"),
            # "À traiter": only the few invoices waiting for their supplier or recipient. The
            # lists must be statuses.SUPPLIER_TO_PROCESS and RECIPIENT_TO_PROCESS (or a subset
            # of them): PostgreSQL uses a partial index only for a query it implies.
            models.Index(fields=["supplier", "status_changed_at", "id"],
                         condition=Q(status__in=[Status.BROUILLON,
                                                 Status.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
                                                 Status.A_RECYCLER, Status.SUSPENDUE]),
                         name="inv_supplier_to_process"),
            models.Index(fields=["recipient", "status_changed_at", "id"],
                         condition=Q(status__in=[Status.MISE_A_DISPOSITION,
                                                 Status.COMPLETEE]),
                         name="inv_recipient_to_process"),
            # Rejections and suspensions not acknowledged yet (the login pop-up and its
            # middleware, the box on top of "Factures émises").
            models.Index(fields=["supplier", "status_changed_at"],
                         condition=Q(status__in=[Status.REJETEE, Status.SUSPENDUE],
                                     acknowledged=False),
                         name="inv_to_acknowledge"),
            # The same for a user of several suppliers (an accounting firm): read oldest first
            # along this small index, where PostgreSQL would otherwise walk inv_page from the
            # oldest invoice, all acknowledged (bench/ten_million.py: 5.6 s at 1 M invoices).
            models.Index(fields=["status_changed_at"],
                         condition=Q(status__in=[Status.REJETEE, Status.SUSPENDUE],
                                     acknowledged=False),
                         name="inv_to_acknowledge_all"),
            models.Index(fields=["validator", "status"], name="inv_validator_status"),
            models.Index(fields=["status", "validation_due_at"], name="inv_validation_due"),
            models.Index(fields=["number"], name="inv_number"),
            # The wire API's supplier search (rechercher/fournisseur): sorted by deposit date
            # by default (`triColonne` DateDepot), over what queries.issued_invoices shows
            # (all but SUPPRIMEE: the same condition, so PostgreSQL uses the partial index),
            # which also serves its COUNT (`parametresRetour.total`) and the deposit-date
            # range; the invoice-date range has its own.
            models.Index(fields=["supplier", "deposited_at", "id"],
                         condition=~Q(status=Status.SUPPRIMEE), name="inv_supplier_deposit"),
            models.Index(fields=["supplier", "invoice_date"],
                         condition=~Q(status=Status.SUPPRIMEE), name="inv_supplier_inv_date"),
            # The same search with a status criterion that leaves drafts out (PostgreSQL
            # proves `status IN (…)` implies this condition): the newest-first order no longer
            # walks the supplier's drafts first (no deposit date: first in a descending order),
            # 13,000 rows for a big supplier at 10 M invoices (bench/ten_million.py).
            models.Index(fields=["supplier", "deposited_at", "id"],
                         condition=~Q(status__in=[Status.BROUILLON, Status.SUPPRIMEE]),
                         name="inv_supplier_deposited"),
            # The wire searches sorted by deposit date whose rows are recent, few and not at
            # the start of that order (the oldest invoices are all settled): both
            # rechercher/atraiter, and rechercher/recipiendaire with
            # factureTelechargeeParDestinataire=false. Without them PostgreSQL walks the
            # structure's whole history by deposit date (bench/ten_million.py).
            models.Index(fields=["supplier", "deposited_at", "id"],
                         condition=Q(status__in=[Status.BROUILLON,
                                                 Status.ERREUR_FOURNISSEUR_SUR_VALIDEUR,
                                                 Status.A_RECYCLER, Status.SUSPENDUE]),
                         name="inv_supplier_to_process_dep"),
            models.Index(fields=["recipient", "deposited_at", "id"],
                         condition=Q(status__in=[Status.MISE_A_DISPOSITION,
                                                 Status.COMPLETEE]),
                         name="inv_recipient_to_process_dep"),
            models.Index(fields=["recipient", "deposited_at", "id"], include=["status"],
                         condition=Q(downloaded_by_recipient=False,
                                     status__in=RECIPIENT_VISIBLE),
                         name="inv_recipient_not_dl_visible"),
            # rechercher/recipiendaire sorted by deposit date, over what the recipient sees
            # (queries.received_invoices: the same statuses, so PostgreSQL uses it): without
            # it, the newest-first order first walks the suppliers' drafts addressed to the
            # structure (no deposit date: first in a descending order), 38,000 rows for the
            # biggest ministry at 10 M invoices (bench/ten_million.py).
            models.Index(fields=["recipient", "deposited_at", "id"],
                         condition=Q(status__in=RECIPIENT_VISIBLE),
                         name="inv_recipient_visible_dep"),
            # The dashboards (reporting/queries.py): a recipient's invoices by deposit date,
            # with what the monthly volumes read (index-only on PostgreSQL; bench/reporting.py).
            models.Index(fields=["recipient", "deposited_at"],
                         include=["status", "total_ttc"], name="inv_recipient_deposit"),
            # The invoices waiting for their routing (services.requeue_lost_routings): a few.
            models.Index(fields=["status_changed_at", "id"], condition=Q(status=Status.DEPOSEE),
                         name="inv_deposee"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.supplier_id} → {self.recipient_id})"

    @property
    def is_draft(self) -> bool:
        return self.status == Status.BROUILLON

    @property
    def rendering_pending(self) -> bool:
        """A UBL or CII deposit whose PDF rendering is not made yet (deposit_documents.py)."""
        return bool(self.xml_sha256 and not self.main_file_sha256
                    and self.deposited_at is not None)

    @property
    def deposited_sha256(self) -> str:
        """The fingerprint of the document the supplier deposited (what the certificate
        names): the PDF it sent or Choeur wrote for it, or the UBL/CII file itself."""
        if self.main_file_rendered or self.rendering_pending:
            return self.xml_sha256
        return self.main_file_sha256

    @property
    def has_document(self) -> bool:
        """Whether there is (or will be, at first need) a PDF the recipient reads."""
        return bool(self.main_file_sha256) or self.rendering_pending

    @property
    def is_credit_note(self) -> bool:
        return self.type_facture == TypeFacture.AVOIR


class InvoiceLine(models.Model):
    """`lignePoste`."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveIntegerField(_("numéro"))  # lignePosteNumero
    reference = models.CharField(_("référence"), max_length=50, blank=True)
    designation = models.TextField(_("désignation"))  # whole, never cut (BT-153)
    quantity = models.DecimalField(_("quantité"), **AMOUNT)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("prix unitaire HT"), **AMOUNT)
    discount = models.DecimalField(_("remise HT"), **AMOUNT, default=0)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    vat_category = models.CharField(_("catégorie de TVA"), max_length=3, default="S")
    total_ht = models.DecimalField(_("montant HT"), **AMOUNT)

    class Meta:
        ordering = ["invoice", "number"]
        constraints = [models.UniqueConstraint(fields=["invoice", "number"],
                                               name="invoice_line_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.designation}"


class VatLine(models.Model):
    """`ligneTva`: the VAT breakdown per rate."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_lines")
    rate = models.DecimalField(_("taux"), max_digits=5, decimal_places=2)
    category = models.CharField(_("catégorie"), max_length=3, default="S")
    base_ht = models.DecimalField(_("base HT"), **AMOUNT)
    amount = models.DecimalField(_("montant de TVA"), **AMOUNT)

    class Meta:
        ordering = ["invoice", "-rate"]

    def __str__(self) -> str:
        return f"{self.rate} %"


class Attachment(models.Model):
    """A pièce jointe complémentaire (the invoice document itself is on the invoice)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(_("nom du fichier"), max_length=50)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("taille"))
    added_at = models.DateTimeField(_("ajoutée le"), default=clock.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    added_with_status = models.CharField(max_length=60, blank=True)  # e.g. added to complete

    class Meta:
        ordering = ["invoice", "added_at", "id"]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    """`HistoriqueStatus`: one row per status the invoice went through."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=60, choices=Status.choices)
    previous = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=255, blank=True)  # "Choeur" for the system
    comment = models.CharField(max_length=2000, blank=True)

    objects = FollowedQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "at", "id"]
        indexes = [models.Index(fields=["invoice", "at"], name="inv_history")]

    def __str__(self) -> str:
        return self.status


class InvoiceEvent(models.Model):
    """`HistoriqueActionUtilisateur` (coded user actions) and the événements complémentaires
    (free label) of an invoice."""

    class Code(models.TextChoices):
        TELECHARGEMENT_FACTURE = "TELECHARGEMENT_FACTURE", _("Téléchargement de la facture")
        ACQUITTEMENT_REJET = "ACQUITTEMENT_REJET", _("Acquittement du rejet")
        ACQUITTEMENT_SUSPENSION = "ACQUITTEMENT_SUSPENSION", _("Acquittement de la suspension")
        TRAITEMENT_REJET = "TRAITEMENT_REJET", _("Traitement du rejet")
        EVENEMENT = "EVENEMENT", _("Événement complémentaire")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=32, choices=Code.choices)
    label = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(default=clock.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["invoice", "at", "id"]

    def __str__(self) -> str:
        return self.code


class Engagement(models.Model):
    """An engagement juridique created by a public structure (espace Engagements), seen by
    its supplier as an order; invoices quote its number (BT-13)."""

    class Kind(models.TextChoices):
        BON_DE_COMMANDE = "BON_DE_COMMANDE", _("Bon de commande")
        MARCHE = "MARCHE", _("Marché")
        ORDRE_DE_SERVICE = "ORDRE_DE_SERVICE", _("Ordre de service")
        BAIL = "BAIL", _("Bail")
        SUBVENTION = "SUBVENTION", _("Subvention")
        AUTRE_CONTRAT = "AUTRE_CONTRAT", _("Autre contrat")

    class State(models.TextChoices):  # etatCourantEngagementJuridique
        COMMANDE = "COMMANDE", _("Commandé")
        PRIS_EN_COMPTE = "PRIS_EN_COMPTE", _("Pris en compte par le fournisseur")
        REFUSE = "REFUSE", _("Refusé par le fournisseur")
        INACTIF = "INACTIF", _("Inactivé")

    structure = models.ForeignKey(  # structureReceptriceEngagementJuridique... the buyer
        Structure, on_delete=models.PROTECT, related_name="engagements",
        verbose_name=_("structure publique"))
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="engagements", verbose_name=_("service"))
    number = models.CharField(_("numéro d'engagement"), max_length=50)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices,
                            default=Kind.BON_DE_COMMANDE)
    supplier = models.ForeignKey(Structure, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="orders", verbose_name=_("fournisseur"))
    label = models.CharField(_("objet"), max_length=255, blank=True)
    amount_ht = models.DecimalField(_("montant HT"), **AMOUNT, default=0)
    amount_ttc = models.DecimalField(_("montant TTC"), **AMOUNT, default=0)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    state = models.CharField(_("état"), max_length=16, choices=State.choices,
                             default=State.COMMANDE)
    state_reason = models.CharField(_("motif"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("créé le"), default=clock.now)
    updated_at = models.DateTimeField(_("modifié le"), default=clock.now)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["-created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["structure", "number"],
                                               name="engagement_unique_number")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_usable(self) -> bool:
        return self.state in (self.State.COMMANDE, self.State.PRIS_EN_COMPTE)

    @property
    def version(self) -> int:
        """The version a page showed (microseconds of `updated_at`): its forms send it back,
        so an answer to terms changed since is a Conflict."""
        return clock.micros(self.updated_at)


class UploadedFile(models.Model):
    """A file deposited ahead of the invoice that will carry it: `deposer/pdf`,
    `transverses/v1/ajouter/fichier` and the portal's PDF deposit. Its id is the wire's
    `pieceJointeId`, used by `soumettre` as `pieceJointePrincipaleId` (once) or
    `pieceJointeComplementaireId` (the same file may go with several invoices, as a contract
    does). Only its own structure may use it; an upload never used is removed after
    `services.UPLOAD_LIFETIME` by the worker's sweep (`services.sweep_uploads`), and its blob
    with it when nothing else refers to it."""

    class Source(models.TextChoices):
        DEPOSER_PDF = "DEPOSER_PDF", _("API : deposer/pdf")
        AJOUTER_FICHIER = "AJOUTER_FICHIER", _("API : ajouter/fichier")
        PORTAIL = "PORTAIL", _("portail")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT,
                                  related_name="uploaded_files", verbose_name=_("structure"))
    technical_account = models.ForeignKey(
        "organisations.TechnicalAccount", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("compte technique"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("utilisateur"))
    source = models.CharField(_("canal"), max_length=16, choices=Source.choices)
    sha256 = models.CharField(max_length=64, db_index=True)  # the blob (core.storage)
    name = models.CharField(_("nom"), max_length=200)
    extension = models.CharField(_("extension"), max_length=10)
    content_type = models.CharField(_("type MIME"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("taille"))
    is_pdf = models.BooleanField(_("PDF lisible"), default=False)  # checked on upload
    created_at = models.DateTimeField(_("déposé le"), default=clock.now)
    expires_at = models.DateTimeField(_("supprimé s'il n'est pas utilisé le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    invoice = models.OneToOneField(  # the invoice it is the main piece of (once only)
        "Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="upload",
        verbose_name=_("facture (pièce principale)"))

    class Meta:
        verbose_name = _("fichier déposé")
        verbose_name_plural = _("fichiers déposés")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["expires_at"], condition=Q(used_at__isnull=True),
                                name="upload_unused_expiry")]

    def __str__(self) -> str:
        return self.name


class InterestRate(models.Model):
    """The ECB's main refinancing rate in force over a period (the administrators' table,
    invoicing/interest.py): the intérêts moratoires take the one in force on the first day
    of the half-year in which they began to run (CCP R2192-31). The periods follow each
    other without gap or overlap; only the last may be open (`valid_until` null)."""

    valid_from = models.DateField(_("du"), unique=True)
    valid_until = models.DateField(_("au"), null=True, blank=True)
    ecb_rate = models.DecimalField(_("taux de la BCE (%)"), max_digits=6, decimal_places=3)
    updated_at = models.DateTimeField(_("modifié le"), default=clock.now)

    class Meta:
        verbose_name = _("taux de la BCE")
        verbose_name_plural = _("taux de la BCE")
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from} → {self.valid_until or '…'} : {self.ecb_rate} %"


class _TallyKey(models.Model):
    """A tally row's key and count (invoicing/tally.py KEY, n)."""

    side = models.CharField(max_length=1)  # tally.SUPPLIER or tally.RECIPIENT
    structure_id = models.BigIntegerField()
    service_id = models.BigIntegerField()  # 0: no service
    status = models.CharField(max_length=60)
    downloaded = models.BooleanField()  # the recipient's flag; always False on the supplier side
    n = models.BigIntegerField()

    class Meta:
        abstract = True


class InvoiceTally(_TallyKey):
    """How many invoices a structure has on one side, per service, status and « téléchargée »
    flag: the wire searches' `total` (invoicing/tally.py). Kept by database triggers, never
    written by the application."""

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["side", "structure_id", "service_id", "status", "downloaded"],
            name="invoice_tally_key")]

    def __str__(self) -> str:
        return f"{self.side} {self.structure_id}/{self.service_id} {self.status}: {self.n}"


class InvoiceTallyDelta(_TallyKey):
    """PostgreSQL: changes to the tally not yet folded into it (tally.fold), appended by the
    invoices' statement triggers so that concurrent transactions never wait on a counter."""

    class Meta:
        indexes = [models.Index(fields=["side", "structure_id"], name="invoice_tally_delta")]

    def __str__(self) -> str:
        return f"{self.side} {self.structure_id}/{self.service_id} {self.status}: {self.n:+d}"
