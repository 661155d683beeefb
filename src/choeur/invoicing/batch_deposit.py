"""Deposit of a batch of structured files: a flux's integration, some fifty invoices at a time.

Each file gets the very checks of `structured.deposit_file` — its validation report, the
keyed-data agreement (`structured._prepare`), every platform check of a sending
(`services.check_sendable`) — and a refused file refuses itself alone, with the same coded
error. What changes is the cost: the lookups are made once for the batch
(`lookups.cached_lookups`), the numbers already used are fetched in one query, and the
accepted invoices are written together (`lifecycle.create_many`: the rows, their lines, their
history, their notifications), their files stored in one go and their routing queued as one
task. Made one by one, a deposit is some twenty round trips to the database; here a batch of
fifty is about fifteen.

The caller owns the transaction and should give the writes a savepoint: a unique-constraint
failure (the same number deposited at the same instant from elsewhere) then undoes the batch's
writes only, and the caller deposits those files one by one (`structured.deposit_file`),
which tells which one lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from choeur.core import audit, clock, queue, storage
from choeur.core.errors import ChoeurError
from choeur.invoicing import deposit_documents, errors, lifecycle, lookups, services, structured
from choeur.invoicing.models import Invoice, InvoiceLine, VatLine
from choeur.invoicing.statuses import Role, Status
from choeur.organisations import permissions
from choeur.organisations.models import Espace


@dataclass
class File:
    content: bytes
    filename: str
    examined: structured.Examined  # structured.examine_for_deposit(content)


@dataclass
class Outcome:
    invoice: Invoice | None = None
    error: ChoeurError | None = None


def deposit_files(actor, supplier, files: list[File], *, cadre: str, mode_depot: str,
                  tell_supplier: bool = True) -> list[Outcome]:
    """Deposit each file as `structured.deposit_file` would; one Outcome per file, in order.
    Raises what refuses the whole batch alike (the actor's rights, the supplier's state).
    `tell_supplier=False`: the supplier's users hear of the batch once, from the caller."""
    permissions.require_espace(actor, supplier, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(supplier)
    if not supplier.is_active:
        raise errors.SupplierInactive(identifier=supplier.identifier)
    if permissions.services_of(actor, supplier) is not None:
        # As a draft without a supplier service: out of a limited user's own sight once sent.
        raise errors.SupplierServiceRequired()
    year, now = clock.today().year, clock.now()
    numbers = {(f.examined.data.number or "").strip() for f in files
               if f.examined.data is not None}
    taken = set(Invoice.objects.filter(supplier=supplier, number_year=year, number__in=numbers)
                .exclude(status__in=[Status.BROUILLON, Status.SUPPRIMEE])
                .values_list("number", flat=True))
    outcomes: list[Outcome] = []
    accepted: list[tuple[Invoice, File, list, list]] = []
    user = lifecycle.acting_user(actor)
    with lookups.cached_lookups():
        for file in files:
            try:
                invoice, lines, vats = _checked(supplier, file, cadre, taken)
            except ChoeurError as exc:
                outcomes.append(Outcome(error=exc))
                continue
            invoice.created_by, invoice.mode_depot = user, mode_depot
            invoice.number_year, invoice.deposited_at = year, now
            taken.add(invoice.number)  # twice in one batch: the second is refused
            accepted.append((invoice, file, lines, vats))
            outcomes.append(Outcome(invoice=invoice))
        if accepted:
            _write(actor, accepted, tell_supplier)
    return outcomes


def _checked(supplier, file: File, cadre: str, taken: set):
    """The invoice of one file, checked and unsaved, with its line rows."""
    examined, data = structured._prepare(supplier, file.content, cadre=cadre, keyed=None,
                                         examined=file.examined)
    _number, recipient, service, validator, validator_service = services.check_sendable(
        supplier, data, taken_numbers=taken)
    vat_lines, totals = services.amounts(data)  # check_sendable checked them
    invoice = Invoice(supplier=supplier, recipient=recipient, recipient_service=service,
                      validator=validator, validator_service=validator_service,
                      bank_account=services.check_payment(supplier, data),
                      syntax=examined.report.syntax, profile=examined.report.profile or "")
    services.fill(invoice, data, totals)
    lines, vats = services.line_rows(invoice, data, vat_lines)
    return invoice, lines, vats


def _write(actor, accepted: list, tell_supplier: bool) -> None:
    files = [file for _invoice, file, _lines, _vats in accepted]
    xml = storage.put_many([f.examined.report.xml for f in files], "application/xml")
    is_pdf = [f.content.startswith(services.PDF_MAGIC) for f in files]
    pdfs = iter(storage.put_many([f.content for f, pdf in zip(files, is_pdf, strict=True)
                                  if pdf], "application/pdf"))
    by_target: dict[str, list[Invoice]] = {}
    for (invoice, file, _lines, _vats), sha256, pdf in zip(accepted, xml, is_pdf, strict=True):
        invoice.xml_sha256 = sha256
        if pdf:  # a Factur-X is its own readable document
            invoice.main_file_sha256, invoice.main_file_name = next(pdfs), file.filename[:200]
        else:  # a UBL or CII file: rendered after the deposit (deposit_documents.py)
            invoice.main_file_name = deposit_documents.readable_name(file.filename)
        if invoice.validator_id:
            invoice.validation_due_at = invoice.deposited_at + services.VALIDATION_DELAY
        target = Status.A_VALIDER_1 if invoice.validator_id else Status.DEPOSEE
        by_target.setdefault(target, []).append(invoice)
    for target, invoices in by_target.items():
        lifecycle.create_many(invoices, target, actor=actor, role=Role.SUPPLIER,
                              tell_supplier=tell_supplier)
    InvoiceLine.objects.bulk_create([row for _i, _f, lines, _v in accepted for row in lines])
    VatLine.objects.bulk_create([row for _i, _f, _l, vats in accepted for row in vats])
    invoices = [invoice for invoice, *_rest in accepted]
    audit.record_many(actor, "invoice.sent", invoices,
                      lambda invoice: {"number": invoice.number, "status": invoice.status})
    deposited = [invoice.pk for invoice in by_target.get(Status.DEPOSEE, [])]
    if deposited:
        # Committed with the batch, or not at all.
        queue.enqueue("invoicing.route_invoices", deposited)
