"""Use cases of flux deposits: deposit (API, portal, drop folder) and integration (worker).

Deposit checks what can be checked at once — base64 already decoded by the caller, the file's
kind, 10 MB a file, 30 MB an archive, 500 invoices, a safe archive (no bomb, no path escaping
it, no link) — and refuses with a coded error, storing nothing. Otherwise the file is stored
once by its sha256, the flux numbered (`CPP` + 22 digits) and its integration queued in the
same transaction. The same bytes deposited again by the same account within `RESEND_WINDOW`
are a re-send: the first flux is answered and nothing is stored (`_first_deposit`).

Integration (`integrate`, run by the worker) deposits each invoice of the flux through
`invoicing.structured.deposit_file` — the very checks of the portal's structured deposit —
each in its own transaction with the `FluxItem` that records it, so one bad invoice undoes
nothing else and a second run after a failure skips what the first one did. An unexpected
failure leaves the flux `IN_INCIDENTE`; `retry_stalled` (queued every five minutes by the
worker) runs it again, at most `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Q

from choeur import formats
from choeur.core import audit, clock, outage, queue, storage
from choeur.core.errors import ChoeurError, PermissionRefused
from choeur.flux import errors, outcome_hooks
from choeur.flux.models import Canal, EtatFlux, Flux, FluxItem, SyntaxeFlux
from choeur.formats import archives, detect
from choeur.invoicing import batch_deposit, structured
from choeur.invoicing import errors as invoicing_errors
from choeur.invoicing.models import Cadre, ModeDepot
from choeur.organisations import permissions
from choeur.organisations.models import Espace

logger = logging.getLogger("choeur.flux")

MB = 1024 * 1024
MAX_FILE = 10 * MB  # one invoice file (alone, or inside an archive, uncompressed)
MAX_ARCHIVE = 30 * MB  # a batch, compressed
MAX_INVOICES = 500
MAX_FILENAME = 200
MAX_ATTEMPTS = 5
#: Invoices deposited per transaction: long enough to spread its cost, short enough not to
#: hold SQLite's writer for long (about 50 ms).
BATCH = 50
#: An integration still "en cours" after this long is taken for dead (worker killed).
STALE_AFTER = timedelta(minutes=30)
#: A re-send: the same bytes deposited again by the same account (technical account, or
#: portal user) for the same structure within this window answer the first flux — its
#: number, date and current state — instead of creating a second one (whose invoices would
#: be rejected as duplicate numbers). Past it, the same bytes are a new flux.
RESEND_WINDOW = timedelta(hours=24)
#: A flux this small may be integrated during the deposit request (opt-in, see api/flux.py).
SYNC_MAX_INVOICES = 20

MODE_DEPOT = {Canal.API: ModeDepot.UPLOAD_API, Canal.PORTAIL: ModeDepot.UPLOAD_PORTAIL,
              Canal.EDI: ModeDepot.EDI}
CLAIMABLE = (EtatFlux.RECU, EtatFlux.EN_ATTENTE, EtatFlux.INCIDENTE)
#: Nature of an error in `listeErreurTechnique`: the file's validation, the platform's checks.
IRRECEVABILITE = "IRRECEVABILITE"
REJET = "REJET"
TECHNIQUE = "TECHNIQUE"


# --- Reading a flux -----------------------------------------------------------------------------


@dataclass
class Member:
    name: str
    content: bytes


def _is_noise(name: str) -> bool:
    """Files archivers add beside the invoices (macOS resource forks, Windows thumbnails)."""
    base = posixpath.basename(name.replace("\\", "/"))
    return (name.startswith("__MACOSX/") or base.startswith("._")
            or base in (".DS_Store", "Thumbs.db", "desktop.ini"))


def split(content: bytes, filename: str) -> tuple[str, list[Member]]:
    """The file's kind and the invoice files it holds, in order; coded errors otherwise."""
    kind = detect.kind(content)
    if kind == "empty":
        raise errors.FluxEmpty()
    if kind in ("zip", "tar"):
        if len(content) > MAX_ARCHIVE:
            raise errors.FluxArchiveTooLarge(limit=MAX_ARCHIVE // MB, size=len(content))
        result = archives.iter_archive(content, max_files=MAX_INVOICES, max_file=MAX_FILE)
        if any(f.rule == "ARCHIVE_TOO_MANY_FILES" for f in result.findings):
            raise errors.FluxTooManyInvoices(limit=MAX_INVOICES)
        if result.findings:
            raise errors.FluxArchiveRefused(result.findings)
        members = [Member(name, data) for name, data in result.members if not _is_noise(name)]
        if not members:
            raise errors.FluxEmpty()
        return result.kind, members
    if kind in ("xml", "pdf"):
        if len(content) > MAX_FILE:
            raise errors.FluxFileTooLarge(limit=MAX_FILE // MB, size=len(content))
        return kind, [Member(filename, content)]
    raise errors.FluxFormatUnknown()


def clean_filename(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").strip()
    name = posixpath.basename(name).strip()
    name = "".join(c for c in name if c.isprintable())
    if not name or len(name) > MAX_FILENAME:
        raise errors.FluxFileNameInvalid(limit=MAX_FILENAME)
    return name


def guess_syntax(kind: str, members: list[Member]) -> str:
    """The `syntaxeFlux` a client would have named, from the content (when none was given)."""
    first = members[0].content if members else b""
    if detect.kind(first) == "pdf":
        return SyntaxeFlux.E2_CII_FACTURX
    head = first[:4096]
    if b"oasis:names:specification:ubl" in head:
        return SyntaxeFlux.E1_UBL_INVOICE
    return SyntaxeFlux.E1_CII_16B


def check_syntax(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in SyntaxeFlux.values:
        raise errors.FluxSyntaxInvalid(value=value[:60], allowed=", ".join(SyntaxeFlux.values))
    return value


def new_number() -> str:
    """`numeroFluxDepot`: `CPP` + 22 digits (reference §1.5), unguessable."""
    return "CPP" + f"{secrets.randbelow(10**22):022d}"


# --- Deposit ------------------------------------------------------------------------------------


def deposit(actor, structure, content: bytes, filename: str, syntaxe: str | None = None, *,
            channel: str, avec_signature: bool = False, enqueue: bool = True) -> Flux:
    """Accept a flux (or refuse it with a coded error, storing nothing) and queue its
    integration. With `enqueue=False` the caller integrates it itself (`integrate`) after
    its transaction committed; the flux then stays `IN_RECU` until then."""
    permissions.require_espace(actor, structure, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(structure)
    filename = clean_filename(filename)
    syntaxe = check_syntax(syntaxe)
    with transaction.atomic():  # the caller's, usually: the lock lasts until it commits
        first = _first_deposit(actor, structure, hashlib.sha256(content).hexdigest())
        if first is not None:
            return _resent(actor, first, channel=channel, enqueue=enqueue)
        return _new_flux(actor, structure, content, filename, syntaxe, channel=channel,
                         avec_signature=avec_signature, enqueue=enqueue)


def _new_flux(actor, structure, content: bytes, filename: str, syntaxe: str | None, *,
              channel: str, avec_signature: bool, enqueue: bool) -> Flux:
    kind, members = split(content, filename)
    blob = storage.put(content, content_type=_content_type(kind), max_size=MAX_ARCHIVE)
    is_account = permissions.is_technical_account(actor)
    now = clock.now()
    flux = Flux.objects.create(
        numero=new_number(), structure=structure,
        technical_account=actor if is_account else None, user=None if is_account else actor,
        channel=channel, syntaxe=syntaxe or guess_syntax(kind, members), filename=filename,
        sha256=blob.sha256, size=blob.size, kind=kind, avec_signature=bool(avec_signature),
        invoice_count=len(members), status=EtatFlux.RECU, status_at=now, deposited_at=now)
    audit.record(actor, "flux.deposit", flux, numero=flux.numero, channel=channel,
                 invoices=len(members), sha256=blob.sha256)
    if enqueue:
        queue_integration(flux)
    return flux


def _resend_lock(actor, sha256: str) -> None:
    """Serialise the deposits of the same bytes by the same account, so two identical
    deposits at the same instant make one flux: on PostgreSQL a transaction-scoped advisory
    lock keyed on (account, sha256), held until the deposit commits; SQLite's transactions
    are IMMEDIATE, serialised whole already."""
    if connection.vendor != "postgresql":
        return
    kind = "account" if permissions.is_technical_account(actor) else "user"
    digest = hashlib.sha256(f"choeur.flux.resend:{kind}:{actor.pk}:{sha256}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)",
                       [int.from_bytes(digest[:8], "big", signed=True)])


def _first_deposit(actor, structure, sha256: str) -> Flux | None:
    """The flux of the same bytes the same account deposited for the same structure within
    `RESEND_WINDOW` (the latest), if any; a wholly rejected one does not count (nothing of it
    was deposited: depositing the file again duplicates nothing, and may succeed now)."""
    _resend_lock(actor, sha256)
    owner = ({"technical_account": actor} if permissions.is_technical_account(actor)
             else {"user": actor, "technical_account": None})
    return (Flux.objects.filter(sha256=sha256, structure=structure,
                                deposited_at__gte=clock.now() - RESEND_WINDOW, **owner)
            .exclude(status=EtatFlux.REJETE).order_by("-deposited_at", "-pk").first())


def _resent(actor, flux: Flux, *, channel: str, enqueue: bool) -> Flux:
    """A re-send: nothing stored (no flux, no file, no invoice), the first flux answered,
    marked `is_resend`. A first flux left `IN_RECU` (its deposit asked to integrate it at
    once and died before) is queued now, or left to the synchronous caller."""
    if enqueue and flux.status == EtatFlux.RECU:
        queue_integration(flux)
    audit.record(actor, "flux.resend", flux, numero=flux.numero, channel=channel)
    flux.is_resend = True
    return flux


#: Invoices a verification reads during the request, at most (its cost is the validation's,
#: ~10 ms an invoice): larger batches are verified by depositing them.
VERIFY_MAX_INVOICES = 100


def verify(actor, structure, content: bytes, filename: str, syntaxe: str | None = None
           ) -> tuple[Flux, list[FluxItem]]:
    """« Vérifier sans envoyer » for a flux: every check its deposit and integration would
    make (the flux's own, then each invoice's validation and platform checks, as
    `structured.check_file` makes them for the portal), and nothing stored — no flux, no
    file, no invoice, no number taken. Returns the flux as it would be (unsaved, its state
    the one its integration would reach) and one unsaved item per invoice file."""
    permissions.require_espace(actor, structure, Espace.FACTURES_EMISES, modify=True)
    permissions.require_active(structure)
    filename = clean_filename(filename)
    syntaxe = check_syntax(syntaxe)
    kind, members = split(content, filename)
    if len(members) > VERIFY_MAX_INVOICES:
        raise errors.FluxTooLargeToVerify(limit=VERIFY_MAX_INVOICES, count=len(members))
    now = clock.now()
    flux = Flux(numero="", structure=structure, channel=Canal.API, filename=filename,
                syntaxe=syntaxe or guess_syntax(kind, members), kind=kind,
                invoice_count=len(members), status=EtatFlux.RECU, status_at=now,
                deposited_at=now)
    items, numbers = [], set()
    for position, member in enumerate(members, start=1):
        try:
            examined = structured.check_file(actor, structure, member.content, cadre=Cadre.A1)
            number = (examined.data.number or "").strip()
            if number in numbers:  # the integration refuses the second of a pair
                raise invoicing_errors.NumberAlreadyUsed(
                    number=number, year=now.astimezone(clock.PARIS).year)
            numbers.add(number)
            items.append(FluxItem(flux=flux, position=position, name=member.name[:255],
                                  number=number[:100], accepted=True,
                                  supplier_identifier=structure.identifier, created_at=now))
        except ChoeurError as exc:
            items.append(_refused_item(flux, position, member, exc, None))
    accepted = sum(item.accepted for item in items)
    flux.integrated_count, flux.rejected_count = accepted, len(items) - accepted
    flux.status = (EtatFlux.INTEGRE if accepted == len(items) else
                   EtatFlux.REJETE if not accepted else EtatFlux.INTEGRE_PARTIEL)
    return flux, items


def queue_integration(flux: Flux) -> None:
    """Queue the integration of a flux received or in incident (in the caller's
    transaction: the task exists only if it commits)."""
    Flux.objects.filter(pk=flux.pk, status__in=(EtatFlux.RECU, EtatFlux.INCIDENTE)).update(
        status=EtatFlux.EN_ATTENTE, status_at=clock.now())
    flux.status = EtatFlux.EN_ATTENTE
    queue.enqueue("flux.integrate_flux", flux.pk)


def _content_type(kind: str) -> str:
    return {"xml": "application/xml", "pdf": "application/pdf", "zip": "application/zip",
            "tar": "application/x-tar"}.get(kind, "application/gzip"
                                             if kind == "tar.gz" else "application/octet-stream")


# --- Integration (the worker) -------------------------------------------------------------------


def integrate(flux_id: int, *, resume: bool = False) -> Flux | None:
    """Integrate a flux: the task's body, and the synchronous deposit's. Owns its
    transactions (one to claim the flux, one per invoice, one to conclude). Returns None
    when the flux was not there to claim (done, or being done elsewhere). `resume`: the task
    runs again after its worker died (`core.leases`), so a flux left "en cours" is its own,
    taken up where the lost run stopped (the invoices it wrote are skipped)."""
    claimable = (*CLAIMABLE, EtatFlux.EN_COURS) if resume else CLAIMABLE
    with transaction.atomic():
        claimed = Flux.objects.filter(pk=flux_id, status__in=claimable).update(
            status=EtatFlux.EN_COURS, status_at=clock.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    flux = Flux.objects.select_related("structure", "technical_account", "user").get(pk=flux_id)
    try:
        if not _injected_outcome(flux):
            _integrate_items(flux)
            with transaction.atomic():
                _conclude(flux)
    except Exception as exc:
        if outage.is_passing(exc):
            # Nothing can be written while the database or the file store is away: no
            # incident, the caller (the task: `flux.tasks.integrate_flux`) waits for it and
            # `hand_back`s the flux.
            raise
        logger.exception("integration of flux %s failed", flux.numero)
        with transaction.atomic():
            _incident(flux, exc)
    flux.refresh_from_db()
    return flux


def hand_back(flux_id: int) -> bool:
    """After an outage (database, file store) stopped its integration: the flux claimed
    « en cours » is claimable again at once, without costing an attempt (the invoices
    already integrated — whole batches — are skipped when it resumes). Not the 30-minute
    stale rule."""
    with transaction.atomic():
        return bool(Flux.objects.filter(pk=flux_id, status=EtatFlux.EN_COURS).update(
            status=EtatFlux.EN_ATTENTE, status_at=clock.now(), attempts=F("attempts") - 1))


def _injected_outcome(flux: Flux) -> bool:
    """Whether a registered hook (qualification's fault injection: `outcome_hooks`) decided
    this flux's outcome instead of its integration — then applied here: not due yet, the flux
    waits again (the wait costs no attempt); `IN_REJETE`, each invoice refused with the
    hook's line; `IN_INCIDENTE`, an incident (resumed later like any). Nothing registered
    (production): no question asked, nothing read."""
    if not outcome_hooks.registered():
        return False
    with transaction.atomic():
        injected = outcome_hooks.decide(flux)
        if injected is None:
            return False
        if injected.due_at > clock.wall_now():
            Flux.objects.filter(pk=flux.pk, status=EtatFlux.EN_COURS).update(
                status=EtatFlux.EN_ATTENTE, status_at=clock.now(),
                attempts=F("attempts") - 1)
            # Wall time, as every task's schedule (business time may travel).
            queue.get("flux.integrate_flux").using(run_after=injected.due_at).enqueue(flux.pk)
        elif injected.status == EtatFlux.INCIDENTE:
            _incident(flux, injected.error, error=injected.error)
        else:
            content = storage.read(flux.sha256)
            _kind, members = split(content, flux.filename)
            done = set(flux.items.values_list("position", flat=True))
            FluxItem.objects.bulk_create([
                _refused_item(flux, position, member, injected.error, None)
                for position, member in enumerate(members, start=1) if position not in done])
            _conclude(flux)
    return True


def _integrate_items(flux: Flux) -> None:
    content = storage.read(flux.sha256)
    _kind, members = split(content, flux.filename)
    done = set(flux.items.values_list("position", flat=True))
    actor = flux.actor
    pending = [(position, member) for position, member in enumerate(members, start=1)
               if position not in done]
    for start in range(0, len(pending), BATCH):
        _test_delay()
        _integrate_batch(flux, actor, pending[start:start + BATCH])


def _test_delay() -> None:
    """The kill tests' slow integration (tests/core/test_leases_kill.py): a pause before each
    batch, so that a worker can be killed mid-flux. Only under pytest (its variable is set)."""
    import os

    delay = os.environ.get("CHOEUR_TEST_INTEGRATION_DELAY")
    if delay and os.environ.get("PYTEST_CURRENT_TEST"):
        import time

        time.sleep(float(delay))


def _test_hold() -> None:
    """The web kill test's lost answer (tests/flux/test_web_kill.py): after a deposit's
    commit, before its answer leaves, the request waits while the file named by
    `CHOEUR_TEST_DEPOSIT_HOLD` exists (at most a minute), so that the web process can be
    killed in between. Only under pytest (its variable is set), like `_test_delay`."""
    import os

    path = os.environ.get("CHOEUR_TEST_DEPOSIT_HOLD")
    if path and os.environ.get("PYTEST_CURRENT_TEST"):
        import time

        deadline = time.monotonic() + 60
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)


def _integrate_batch(flux: Flux, actor, batch: list[tuple[int, Member]]) -> None:
    """Some fifty invoices of the flux: examined first (validation needs no database, and
    SQLite is held by a writing transaction as a whole), then deposited together with their
    `FluxItem` rows in one transaction (invoicing.batch_deposit). A retry after a failure
    skips the positions whose rows exist: a batch is written whole or not at all."""
    files: dict[int, batch_deposit.File] = {}
    refused: dict[int, ChoeurError] = {}
    for position, member in batch:
        try:
            files[position] = batch_deposit.File(
                member.content, posixpath.basename(member.name),
                structured.examine_for_deposit(member.content))
        except Exception:
            logger.exception("flux %s: invoice %d could not be examined", flux.numero, position)
            refused[position] = errors.FluxInvoiceUnprocessable()
    with transaction.atomic():
        outcomes = _deposit_batch(flux, actor, files)
        rows = []
        for position, member in batch:
            outcome = outcomes.get(position)
            if outcome is not None and outcome.invoice is not None:
                rows.append(_accepted_item(flux, position, member, outcome.invoice))
                continue
            error = outcome.error if outcome is not None else refused[position]
            file = files.get(position)
            rows.append(_refused_item(flux, position, member, error,
                                      file.examined.model if file is not None else None))
        FluxItem.objects.bulk_create(rows)
        # Also the integration's heartbeat: a long flux is not taken for a dead one.
        Flux.objects.filter(pk=flux.pk, status=EtatFlux.EN_COURS).update(status_at=clock.now())


def _deposit_batch(flux: Flux, actor, files: dict[int, batch_deposit.File]) -> dict:
    """{position: Outcome}. The batch at once; if that fails for a reason of one invoice (a
    number taken meanwhile from elsewhere, an internal error), the invoices one by one, each
    in its savepoint, so that the culprit is refused alone."""
    if not files:
        return {}
    # A works piece (BT-23 names a travaux cadre) joins its dossier through the travaux
    # services, one by one (`structured.deposit_file` hands it over): never in the batch.
    works = {p: _deposit_one(flux, actor, p, file) for p, file in files.items()
             if file.examined.travaux is not None}
    files = {p: file for p, file in files.items() if p not in works}
    if not files:
        return works
    return {**works, **_deposit_ordinary(flux, actor, files)}


def _deposit_ordinary(flux: Flux, actor, files: dict[int, batch_deposit.File]) -> dict:
    positions = list(files)
    try:
        with transaction.atomic():
            outcomes = batch_deposit.deposit_files(
                actor, flux.structure, [files[p] for p in positions], cadre=Cadre.A1,
                mode_depot=MODE_DEPOT[flux.channel], tell_supplier=False)
        return dict(zip(positions, outcomes, strict=True))
    except ChoeurError as exc:  # refuses the whole batch alike (rights, supplier's state)
        return {p: batch_deposit.Outcome(error=exc) for p in positions}
    except IntegrityError:
        pass  # a number taken meanwhile: one by one tells which invoice lost
    except (DatabaseError, OSError):
        raise  # the database's or storage's trouble, not an invoice's: an incident
    except Exception as exc:
        if outage.is_passing(exc):
            raise  # an object store away (botocore's errors are no OSError): wait, resume
        logger.exception("flux %s: batch deposit failed, depositing one by one", flux.numero)
    return {p: _deposit_one(flux, actor, p, files[p]) for p in positions}


def _deposit_one(flux: Flux, actor, position: int, file) -> batch_deposit.Outcome:
    try:
        with transaction.atomic():
            return batch_deposit.Outcome(invoice=structured.deposit_file(
                actor, flux.structure, file.content, file.filename, cadre=Cadre.A1,
                mode_depot=MODE_DEPOT[flux.channel], prepared=file.examined))
    except ChoeurError as exc:
        return batch_deposit.Outcome(error=exc)
    except (DatabaseError, OSError):
        raise  # the database's or storage's trouble, not the invoice's: an incident, retried
    except Exception as exc:
        if outage.is_passing(exc):
            raise  # the object store away: the flux waits for it, no invoice refused
        # This invoice makes Choeur fail: retrying would fail the same way and hold the rest
        # of the flux up for good. Refused alone, logged.
        logger.exception("flux %s: invoice %d refused after an internal error", flux.numero,
                         position)
        return batch_deposit.Outcome(error=errors.FluxInvoiceUnprocessable())


def _accepted_item(flux: Flux, position: int, member: Member, invoice) -> FluxItem:
    return FluxItem(flux=flux, position=position, name=member.name[:255],
                    number=invoice.number[:100], supplier_identifier=flux.structure.identifier,
                    recipient_identifier=invoice.recipient.identifier
                    if invoice.recipient_id else "", accepted=True, invoice=invoice,
                    created_at=clock.now())


def _refused_item(flux: Flux, position: int, member: Member, error: ChoeurError,
                  model) -> FluxItem:
    number, supplier, recipient = _identify(member.content, error, model)
    return FluxItem(flux=flux, position=position, name=member.name[:255], number=number[:100],
                    supplier_identifier=(supplier or flux.structure.identifier)[:80],
                    recipient_identifier=recipient[:80], accepted=False,
                    errors=errors_of(error), created_at=clock.now())


def errors_of(exc: ChoeurError) -> list[dict]:
    """The blocking problems of a refused invoice, with their rule ids and messages."""
    report = getattr(exc, "report", None)
    if report is not None:
        found = [{"code": f.rule, "message_fr": f.message_fr, "message_en": f.message_en,
                  "location": f.location, "bt": f.bt, "nature": IRRECEVABILITE}
                 for f in report.findings if f.blocking]
        if found:
            return found
    return [{"code": exc.code, "message_fr": exc.message("fr"), "message_en": exc.message("en"),
             "location": "", "bt": exc.bt or "", "nature": REJET}]


def _identify(content: bytes, exc: ChoeurError, model=None) -> tuple[str, str, str]:
    """Invoice number, seller and buyer identifiers of a refused file, when it can be read
    (`model`: the file's normalised invoice when the caller has already read it)."""
    if model is not None:
        return (model.number or "", structured._siret(model.seller) if model.seller else "",
                structured._siret(model.buyer) if model.buyer else "")
    report = getattr(exc, "report", None)
    xml = report.xml if report is not None else None
    try:
        if xml is None:
            kind = detect.kind(content)
            if kind == "xml":
                xml = content
            elif kind == "pdf":
                from choeur.formats.pdf import extract_invoice

                xml = extract_invoice(content).xml
        if not xml:
            return "", "", ""
        model = formats.read(xml)
    except Exception:  # an unreadable file: its errors say why, no number to show
        return "", "", ""
    return (model.number or "", structured._siret(model.seller) if model.seller else "",
            structured._siret(model.buyer) if model.buyer else "")


def _conclude(flux: Flux) -> None:
    counts = flux.items.aggregate(integrated=Count("pk", filter=Q(accepted=True)),
                                  rejected=Count("pk", filter=Q(accepted=False)))
    integrated, rejected = counts["integrated"], counts["rejected"]
    if integrated and not rejected:
        status = EtatFlux.INTEGRE
    elif integrated:
        status = EtatFlux.INTEGRE_PARTIEL
    else:
        status = EtatFlux.REJETE
    updated = Flux.objects.filter(pk=flux.pk, status=EtatFlux.EN_COURS).update(
        status=status, status_at=clock.now(), integrated_count=integrated,
        rejected_count=rejected)
    if updated:
        audit.record(None, "flux.integrated", flux, numero=flux.numero, status=status,
                     integrated=integrated, rejected=rejected)
        from choeur.webhooks.services import flux_state_changed

        flux_state_changed(flux.pk)  # signed webhooks, queued in this transaction
        _tell_supplier(flux, status, integrated, rejected)
        if flux.channel == Canal.EDI and flux.technical_account_id and rejected:
            from choeur.flux import rejections

            flux_id = flux.pk
            transaction.on_commit(lambda: rejections.write_flux_rejections(flux_id))


def _tell_supplier(flux: Flux, status: str, integrated: int, rejected: int) -> None:
    """The supplier's users hear of a flux once, at its outcome (not once per invoice: a flux
    of 500 would be 500 e-mails)."""
    from choeur.invoicing.notifications import reverse
    from choeur.messaging.services import notify

    url = reverse("flux:detail", [flux.numero])  # "" on an API-only deployment
    users = permissions.users_in_espace(flux.structure, Espace.FACTURES_EMISES)
    if flux.user is not None:
        users.append(flux.user)  # the depositor (notify skips inactive users and doubles)
    notify(users, "flux_integrated", {"numero": flux.numero, "flux_state": status,
                                      "filename": flux.filename, "integrated": integrated,
                                      "rejected": rejected}, url)


def _incident(flux: Flux, exc: Exception, error: ChoeurError | None = None) -> None:
    """Leave the flux `IN_INCIDENTE` with a technical error line: the generic one, or
    `error`'s own (an incident an outcome hook decided says so)."""
    if error is None:
        line = {"code": "FLUX_INTEGRATION_INCIDENT",
                "message_fr": "Incident technique pendant l'intégration du flux ; il sera repris "
                              "automatiquement (les factures déjà intégrées ne le seront pas "
                              "deux fois).",
                "message_en": "Technical incident while integrating the flux; it will be "
                              "resumed automatically (invoices already integrated will not be "
                              "integrated twice)."}
    else:
        line = {"code": error.code, "message_fr": error.message("fr"),
                "message_en": error.message("en")}
    line.update(nature=TECHNIQUE, at=clock.now().isoformat(), detail=type(exc).__name__)
    current = Flux.objects.filter(pk=flux.pk).values_list("technical_errors", flat=True).first()
    Flux.objects.filter(pk=flux.pk, status=EtatFlux.EN_COURS).update(
        status=EtatFlux.INCIDENTE, status_at=clock.now(),
        technical_errors=[*(current or [])[-9:], line])
    audit.record(None, "flux.incident", flux, numero=flux.numero, error=type(exc).__name__)


def retry_stalled() -> int:
    """Queue again what needs it: flux `IN_INCIDENTE` (after a back-off of 1, 2, 4, 8 minutes
    per attempt, at most `MAX_ATTEMPTS` attempts), integrations "en cours" for longer than
    `STALE_AFTER` (a killed worker), and flux waiting that long. Idempotent: the claim in
    `integrate` lets one run only."""
    now = clock.now()
    with transaction.atomic():
        stale = Flux.objects.filter(status=EtatFlux.EN_COURS, status_at__lt=now - STALE_AFTER)
        for flux in stale:
            _incident(flux, TimeoutError("integration stalled"))
    queued = 0
    waiting = Flux.objects.filter(status__in=(EtatFlux.RECU, EtatFlux.EN_ATTENTE),
                                  status_at__lt=now - STALE_AFTER)
    failed = Flux.objects.filter(status=EtatFlux.INCIDENTE, attempts__lt=MAX_ATTEMPTS)
    for flux in [*waiting, *failed]:
        if flux.status == EtatFlux.INCIDENTE and \
                flux.status_at > now - timedelta(minutes=2 ** max(flux.attempts - 1, 0)):
            continue
        with transaction.atomic():
            queue_integration(flux)
        queued += 1
    return queued


def retry(actor, flux: Flux) -> Flux:
    """Queue an `IN_INCIDENTE` flux again at once (the portal's "Relancer")."""
    if not can_deposit(actor, flux.structure):
        raise PermissionRefused()
    if flux.status != EtatFlux.INCIDENTE:
        return flux
    queue_integration(flux)
    audit.record(actor, "flux.retry", flux, numero=flux.numero)
    return flux


def can_deposit(actor, structure) -> bool:
    return permissions.can_modify(actor, structure, Espace.FACTURES_EMISES)
