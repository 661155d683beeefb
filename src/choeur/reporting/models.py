"""The dashboards' rollup (docs/CONSERVATION.md « Dashboards »): one row per invoice with what
the figures read, kept by reporting/facts.py in the transaction that changes the invoice, so
that each figure is one indexed aggregate over one table (no join to the history).

The columns are copies of the invoice's (who, when, how much, status, payment dates) and
facts of its history (`StatusChange`): the first MISE_A_DISPOSITION, the recipient's first
action (the first status the transition table lets the recipient set from
MISE_A_DISPOSITION, as queries.RECIPIENT_ACTIONS), the first MISE_EN_PAIEMENT, each with its
duration from the deposit in days (None when it precedes the deposit); whether it was ever
rejected or suspended, with the first such row's reason (the comment, spaces folded)."""

from __future__ import annotations

from django.db import models

from choeur.invoicing.models import AMOUNT, Invoice

#: The columns the recipient's and the supplier's figures read, beyond the index's keys.
COVERED_RECIPIENT = ("status", "recipient_service_id", "supplier_id", "deposit_month",
                     "total_ttc", "amount_due", "payment_due_on", "paid_on",
                     "days_to_available", "days_to_first_action", "days_to_payment",
                     "rejected", "rejection_reason", "suspended", "suspension_reason")
COVERED_SUPPLIER = ("status", "supplier_service_id", "recipient_id", "total_ttc",
                    "days_to_payment")


class InvoiceFacts(models.Model):
    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, primary_key=True,
                                   related_name="facts")
    recipient_id = models.BigIntegerField()
    recipient_service_id = models.BigIntegerField(null=True, blank=True)
    supplier_id = models.BigIntegerField()
    supplier_service_id = models.BigIntegerField(null=True, blank=True)
    deposited_at = models.DateTimeField(null=True, blank=True)
    deposit_month = models.DateField(null=True, blank=True)  # its first day, Paris time
    status = models.CharField(max_length=60)
    total_ttc = models.DecimalField(**AMOUNT, default=0)
    amount_due = models.DecimalField(**AMOUNT, default=0)
    payment_due_on = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)  # paid_at's day, Paris time
    made_available_at = models.DateTimeField(null=True, blank=True)
    first_action_at = models.DateTimeField(null=True, blank=True)
    payment_started_at = models.DateTimeField(null=True, blank=True)  # first MISE_EN_PAIEMENT
    days_to_available = models.FloatField(null=True, blank=True)
    days_to_first_action = models.FloatField(null=True, blank=True)
    days_to_payment = models.FloatField(null=True, blank=True)
    rejected = models.BooleanField(default=False)
    rejection_reason = models.CharField(max_length=120, blank=True)
    suspended = models.BooleanField(default=False)
    suspension_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "faits de facture"
        verbose_name_plural = "faits de factures"
        # On PostgreSQL, migration 0001 builds facts_recipient and facts_supplier with INCLUDE
        # (the columns the figures read, COVERED_*): each figure is then an index-only scan
        # of one structure's period (SQLite has no INCLUDE: plain indexes there).
        indexes = [
            # A dashboard reads one structure's invoices deposited in a period, maybe of one
            # service (or among the services a rattachement is limited to).
            models.Index(fields=["recipient_id", "deposited_at"], name="facts_recipient"),
            models.Index(fields=["recipient_id", "recipient_service_id", "deposited_at"],
                         name="facts_recipient_service"),
            models.Index(fields=["supplier_id", "deposited_at"], name="facts_supplier"),
            models.Index(fields=["supplier_id", "supplier_service_id", "deposited_at"],
                         name="facts_supplier_service"),
        ]

    def __str__(self):
        return f"facts of invoice {self.invoice_id}"
