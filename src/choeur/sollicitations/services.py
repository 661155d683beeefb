"""Use cases of the sollicitations (docs/SOLLICITATIONS.md): create (draft or sent, logged in
for one of the user's structures or logged out for a sign-in problem), then the moves of the
transition table (statuses.py), each by the side it belongs to. Each takes the acting user,
finds the ticket through queries (a forged id is not found), checks the move, writes the
status with a conditional update, one message of the thread (the history row) with its
attachments, an audit line, and tells the other side — all in the caller's transaction.

The actor may be a technical account (the wire API): it acts for its own structure, on the
side(s) that structure holds; it is recorded by its label (it is no user), and when it takes a
ticket it is its `assignee_account`.

Or the logged-out sender of one ticket, holding its follow-up link (actors.LoggedOutSender):
it holds that ticket's sender side only, is recorded by its address, and deposits no file
ahead (its files come as (name, bytes), checked the same way)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from choeur.core import audit, clock, storage
from choeur.core.errors import Conflict, NotFound
from choeur.flux import queries as flux_queries
from choeur.invoicing import queries as invoicing_queries
from choeur.invoicing import services as invoicing
from choeur.invoicing.services import MAX_DOSSIER
from choeur.organisations import permissions
from choeur.organisations.models import Espace, Service, Structure
from choeur.sollicitations import catalogue, errors, notifications, queries
from choeur.sollicitations.actors import is_logged_out_sender
from choeur.sollicitations.models import MAX_TEXT, MAX_TITLE, Attachment, Message, Sollicitation
from choeur.sollicitations.statuses import TABLE, Action, Side, Status
from choeur.travaux import queries as travaux_queries

#: Without a reaction of its sender, an answered ticket closes after this.
AUTO_CLOSE_DELAY = timedelta(days=15)
#: A logged-out sender's tickets per address and day (each one e-mails that address).
MAX_LOGGED_OUT_PER_DAY = 5
MAX_ATTACHMENTS_PER_MESSAGE = 10
NUMBER_LOCK = 0x50_4C_17  # pg_advisory_xact_lock key of the numbering
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- Checks ----------------------------------------------------------------------------------


def _text(value: str, field: str, limit: int, required: bool = True,
          one_line: bool = False) -> str:
    text = _CONTROL.sub("", (value or ""))
    if one_line:  # a title goes into e-mail subjects: no line break there
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > limit:
        raise errors.TextTooLong(field=field, limit=limit)
    if required and not text:
        raise errors.TextRequired(field=field, limit=limit)
    return text


@dataclass(frozen=True)
class Upload:
    """An attachment given as a file its structure deposited ahead (the wire API's
    `transverses/v1/ajouter/fichier`, its `pieceJointeId`), instead of (name, bytes)."""

    upload_id: int


def _uploaded(actor, attachments) -> list[tuple[str, bytes]]:
    """(name, bytes) pairs, the `Upload`s read: each one an unexpired upload of one of the
    actor's own structures (a technical account's: its structure's), marked used; any other
    id, another structure's included, is not found (nothing told apart)."""
    from choeur.invoicing.errors import UploadExpired
    from choeur.invoicing.models import UploadedFile

    pairs, used = [], []
    own = (Structure.objects.none() if is_logged_out_sender(actor)
           else permissions.visible_structures(actor)).values("pk")
    for item in attachments or []:
        if not isinstance(item, Upload):
            pairs.append(item)
            continue
        upload = (UploadedFile.objects.select_for_update()
                  .filter(pk=item.upload_id, structure__in=own).first())
        if upload is None:
            raise errors.LinkedObjectNotFound(object_label=_("Pièce jointe"),
                                              reference=str(item.upload_id)[:40],
                                              structure=_("vos structures"))
        if upload.used_at is None and upload.expires_at <= clock.now():
            raise UploadExpired(upload_id=upload.pk, hours=int(
                invoicing.UPLOAD_LIFETIME.total_seconds() // 3600))
        pairs.append((upload.name, storage.read(upload.sha256)))
        used.append(upload)
    if used:
        invoicing.mark_used(used, None)
    return pairs


def _checked_files(attachments, already: int = 0, actor=None) -> list[tuple[str, bytes]]:
    """`attachments`: (name, bytes) pairs (or `Upload`s, read first), checked as invoicing
    checks a pièce jointe (Chorus Pro's extensions, 50 characters, 10 MB, a PDF read as a
    PDF) before anything is stored."""
    if len(attachments or []) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise errors.TooManyAttachments(limit=MAX_ATTACHMENTS_PER_MESSAGE,
                                        limit_mb=MAX_DOSSIER // 1024 // 1024)
    attachments = _uploaded(actor, attachments) if actor is not None else attachments
    files = [((name or "").strip(), content) for name, content in (attachments or [])]
    if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise errors.TooManyAttachments(limit=MAX_ATTACHMENTS_PER_MESSAGE,
                                        limit_mb=MAX_DOSSIER // 1024 // 1024)
    for name, content in files:
        invoicing.check_attachment(name, len(content))
        if name.lower().endswith(".pdf"):
            invoicing.check_pdf(name, content, attachment=True)
    if already + sum(len(content) for _name, content in files) > MAX_DOSSIER:
        raise errors.TooManyAttachments(limit=MAX_ATTACHMENTS_PER_MESSAGE,
                                        limit_mb=MAX_DOSSIER // 1024 // 1024)
    return files


def _store(ticket: Sollicitation, message: Message, files) -> None:
    for name, content in files:
        blob = storage.put(content)
        Attachment.objects.create(sollicitation=ticket, message=message, sha256=blob.sha256,
                                  name=name, size=len(content), added_at=clock.now())


def _existing_size(ticket: Sollicitation) -> int:
    return sum(ticket.attachments.values_list("size", flat=True))


def _category(category: str, subcategory: str, *, logged_out: bool = False):
    found = catalogue.find(category, subcategory)
    if found is None or (logged_out and not found[1].logged_out):
        raise errors.CategoryUnknown()
    return found


def _public_structure(identifier: str) -> Structure:
    found = invoicing.find_structure(identifier)
    if found is None or not found.is_public or not found.is_active:
        raise errors.RecipientUnknown(identifier=(identifier or "")[:40])
    return found


def _service(structure: Structure, code: str) -> Service | None:
    code = (code or "").strip()
    if not code:
        return None
    service = structure.services.current().filter(code=code).first()
    if service is None:
        raise errors.ServiceUnknown(code=code[:40], recipient=structure.company_name)
    return service


# --- Links ------------------------------------------------------------------------------------


def _linked_invoice(actor, structure: Structure, invoice_id=None, number: str = ""):
    """An invoice of the sender's structure (issued by it or received by it) that the actor
    sees; not found otherwise, forged ids included."""
    from choeur.core.ids import parse_id

    number = (number or "").strip()
    if invoice_id in (None, "") and not number:
        return None
    issued = invoicing_queries.issued_invoices(actor).filter(supplier=structure)
    received = invoicing_queries.received_invoices(actor).filter(recipient=structure)
    found = []
    for queryset in (issued, received):
        if invoice_id not in (None, ""):
            pk = parse_id(invoice_id)
            queryset = queryset.filter(pk=pk) if pk is not None else queryset.none()
        if number:
            queryset = queryset.filter(number=number)
        found += list(queryset.select_related("recipient", "recipient_service")[:2])
    if len({invoice.pk for invoice in found}) != 1:
        raise errors.LinkedObjectNotFound(object_label=_("Facture"),
                                          reference=(number or str(invoice_id))[:40],
                                          structure=structure.company_name)
    return found[0]


def _linked_flux(actor, structure: Structure, numero: str = ""):
    from choeur.flux.errors import FluxNotFound

    numero = (numero or "").strip()
    if not numero:
        return None
    try:
        flux = flux_queries.flux_for(actor, numero)
    except FluxNotFound:
        flux = None
    if flux is None or flux.structure_id != structure.pk:
        raise errors.LinkedObjectNotFound(object_label=_("Flux"), reference=numero[:40],
                                          structure=structure.company_name)
    return flux


def _linked_dossier(actor, structure: Structure, number: str = "", dossier_id=None):
    from choeur.travaux.errors import DossierNotFound

    number = (number or "").strip()
    if not number and dossier_id in (None, ""):
        return None
    try:
        dossier = travaux_queries.dossier(
            actor, number=number, dossier_id=None if dossier_id in (None, "") else dossier_id)
    except DossierNotFound:
        dossier = None
    if dossier is None or structure.pk not in (dossier.supplier_id, dossier.moe_id,
                                               dossier.moa_id, dossier.titulaire_id):
        raise errors.LinkedObjectNotFound(object_label=_("Dossier de facturation"),
                                          reference=(number or str(dossier_id))[:40],
                                          structure=structure.company_name)
    return dossier


def _concerned(structure: Structure, invoice, dossier) -> tuple[Structure | None, Service | None]:
    """The public structure a linked object points to, from the sender's side of it."""
    if invoice is not None and invoice.supplier_id == structure.pk:
        return invoice.recipient, invoice.recipient_service
    if dossier is not None:
        if dossier.moa_id != structure.pk:
            return dossier.moa, dossier.moa_service
        if dossier.moe_id and dossier.moe.is_public:
            return dossier.moe, dossier.moe_service
    return None, None


# --- Numbering and the thread -----------------------------------------------------------------


def _next_number() -> str:
    if connection.vendor == "postgresql":  # two creations at once take turns (SQLite's do)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NUMBER_LOCK])
    prefix = f"SOL{clock.today().year}"
    last = Sollicitation.objects.filter(number__startswith=prefix).aggregate(Max("number"))
    sequence = int(last["number__max"][len(prefix):]) + 1 if last["number__max"] else 1
    return f"{prefix}{sequence:06d}"


def _label(actor) -> str:
    if actor is None:
        return str(_("Plateforme"))
    if is_logged_out_sender(actor):
        return actor.email[:200]
    if permissions.is_technical_account(actor):
        return (_("Compte technique %(login)s") % {"login": actor.login})[:200]
    return (actor.get_full_name() or actor.email)[:200]


def _person(actor):
    """The acting user, or None for a technical account or a logged-out sender (no user)."""
    if permissions.is_technical_account(actor) or is_logged_out_sender(actor):
        return None
    return actor


def _message(ticket, action: str, side: str, actor, body: str, previous: str,
             files=()) -> Message:
    message = Message.objects.create(
        sollicitation=ticket, action=action, side=side, author=_person(actor),
        author_label=_label(actor) if side != Side.SYSTEME else str(_("Plateforme")),
        body=body, previous_status=previous, status=ticket.status, created_at=clock.now())
    _store(ticket, message, files)
    return message


# --- Creation ----------------------------------------------------------------------------------


def create(actor, structure_id, *, category: str, subcategory: str, title: str,
           description: str, recipient_identifier: str = "", service_code: str = "",
           invoice_id=None, invoice_number: str = "", flux_number: str = "",
           dossier_number: str = "", dossier_id=None, attachments=(),
           draft: bool = False) -> Sollicitation:
    """A logged-in user's ticket for one of its structures (espace Sollicitations émises in
    modification), sent at once or kept as a draft; or a technical account's for its own
    structure, sent at once."""
    try:
        structure = permissions.structure_for(actor, structure_id)
    except NotFound:
        raise errors.StructureRequired() from None
    if not permissions.can_modify(actor, structure, Espace.SOLLICITATIONS_EMISES):
        raise errors.StructureRequired()
    permissions.require_active(structure)
    technical = permissions.is_technical_account(actor)
    draft = draft and not technical  # a draft is a person's: its author alone sees it
    _category_found, sub = _category(category, subcategory)
    title = _text(title, _("Le titre"), MAX_TITLE, one_line=True)
    description = _text(description, _("La description"), MAX_TEXT)
    invoice = _linked_invoice(actor, structure, invoice_id, invoice_number)
    flux = _linked_flux(actor, structure, flux_number)
    dossier = _linked_dossier(actor, structure, dossier_number, dossier_id)
    recipient, service = None, None
    if sub.route == catalogue.STRUCTURE:
        if (recipient_identifier or "").strip():
            recipient = _public_structure(recipient_identifier)
            service = _service(recipient, service_code)
        else:
            recipient, service = _concerned(structure, invoice, dossier)
            if recipient is not None and (service_code or "").strip():
                service = _service(recipient, service_code)
        if recipient is None:
            raise errors.RecipientRequired()
        if recipient.pk == structure.pk:
            raise errors.RecipientIsSender()
    files = _checked_files(attachments, actor=actor)
    now = clock.now()
    ticket = Sollicitation.objects.create(
        number=_next_number(), category=category.strip(), subcategory=subcategory.strip(),
        title=title, description=description,
        status=Status.BROUILLON if draft else Status.NOUVELLE, status_at=now,
        sender_structure=structure, sender_user=_person(actor),
        sender_email=(structure.email if technical
                      else getattr(actor, "contact_email", "") or actor.email),
        to_support=sub.route == catalogue.SUPPORT, recipient_structure=recipient,
        recipient_service=service, invoice=invoice, flux=flux, dossier=dossier,
        created_at=now, received_at=None if draft else now)
    _message(ticket, Action.CREER if draft else Action.ENVOYER, Side.EMETTEUR, actor,
             "", "", files)
    audit.record(actor, "sollicitations.created", ticket, draft=draft,
                 support=ticket.to_support, recipient=getattr(recipient, "pk", None))
    if not draft:
        notifications.to_receiver(ticket, "sollicitation_received")
    return ticket


def create_logged_out(email: str, *, category: str, subcategory: str, title: str,
                      description: str, attachments=()) -> Sollicitation:
    """A ticket from someone who cannot sign in: always to the support, known by an e-mail
    address, to which every later step is written. (The portal checks the registration
    form's bot check before calling this, outside the transaction, so that a refused
    attempt still uses its question.)"""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise errors.TextRequired(field=_("L'adresse électronique"), limit=254) from None
    if len(email) > 254:
        raise errors.TextTooLong(field=_("L'adresse électronique"), limit=254)
    _category(category, subcategory, logged_out=True)
    recent = Sollicitation.objects.filter(
        sender_structure__isnull=True, sender_email__iexact=email,
        created_at__gte=clock.now() - timedelta(days=1)).count()
    if recent >= MAX_LOGGED_OUT_PER_DAY:
        raise errors.TooManyLoggedOut(limit=MAX_LOGGED_OUT_PER_DAY)
    title = _text(title, _("Le titre"), MAX_TITLE, one_line=True)
    description = _text(description, _("La description"), MAX_TEXT)
    files = _checked_files(attachments)
    now = clock.now()
    ticket = Sollicitation.objects.create(
        number=_next_number(), category=category.strip(), subcategory=subcategory.strip(),
        title=title, description=description, status=Status.NOUVELLE, status_at=now,
        sender_email=email, to_support=True, created_at=now, received_at=now)
    message = _message(ticket, Action.ENVOYER, Side.EMETTEUR, None, "", "", files)
    message.author_label = email[:200]
    message.save(update_fields=["author_label"])
    audit.record("anonymous", "sollicitations.created_logged_out", ticket)
    notifications.to_receiver(ticket, "sollicitation_received")
    notifications.acknowledge_logged_out(ticket)
    return ticket


# --- The moves ---------------------------------------------------------------------------------

SIDE_LABELS = {Side.EMETTEUR: gettext_lazy("l'émetteur"),
               Side.DESTINATAIRE: gettext_lazy("l'agent destinataire")}


def _who(ticket: Sollicitation) -> str:
    if ticket.assignee_id or ticket.assignee_account_id:
        return _("prise en charge par %(name)s") % {"name": ticket.assignee_label}
    return _("prise en charge par personne")


def _checked(actor, sollicitation_id, action: str):
    """The ticket (locked), the side the actor makes `action` from, and the move: or the
    coded refusal (not found, not your side, not now, not taken by you)."""
    ticket = queries.sollicitation(actor, sollicitation_id, lock=True)
    candidates = [side for (act, side) in TABLE if act == action]
    held = [side for side in candidates if side in queries.sides(actor, ticket)]
    if not held:
        raise errors.ActionNotYours(side=" / ".join(str(SIDE_LABELS[s]) for s in candidates),
                                    number=ticket.number)
    side = next((s for s in held if ticket.status in TABLE[(action, s)].sources), None)
    taking = TABLE.get((Action.PRENDRE, Side.DESTINATAIRE))
    if side is None and Side.DESTINATAIRE in held and TABLE[(action, Side.DESTINATAIRE)].assigned \
            and ticket.status in taking.sources:
        raise errors.NotAssigned(number=ticket.number, who=_who(ticket))
    if side is None:
        raise errors.TransitionRefused(number=ticket.number,
                                       status=Status(ticket.status).label,
                                       action=Action(action).label)
    move = TABLE[(action, side)]
    if move.assigned and not queries.is_assignee(actor, ticket):
        raise errors.NotAssigned(number=ticket.number, who=_who(ticket))
    return ticket, side, move


def _apply(actor, ticket, action: str, side: str, move, body: str = "", attachments=(),
           **changes) -> Sollicitation:
    """Write the move: the status by a conditional update on the status read, the thread's
    message with its attachments, the audit line."""
    body = _text(body, _("Le message"), MAX_TEXT, required=move.needs_text)
    files = _checked_files(attachments, _existing_size(ticket), actor)
    previous, now = ticket.status, clock.now()
    fields = {"status": move.target, "status_at": now, **changes}
    updated = Sollicitation.objects.filter(pk=ticket.pk, status=previous).update(**fields)
    if updated != 1:
        raise Conflict()
    for name, value in fields.items():
        setattr(ticket, name, value)
    _message(ticket, action, side, actor, body, previous, files)
    audit.record(actor, f"sollicitations.{action.lower()}", ticket, previous=previous,
                 status=move.target)
    return ticket


def _move(actor, sollicitation_id, action: str, body: str = "", attachments=(),
          **changes) -> tuple[Sollicitation, str]:
    """Check and make one move of the table; return the ticket and the side that made it."""
    ticket, side, move = _checked(actor, sollicitation_id, action)
    return _apply(actor, ticket, action, side, move, body, attachments, **changes), side


def send(actor, sollicitation_id) -> Sollicitation:
    """A draft sent: NOUVELLE on the receiving side."""
    ticket, _side = _move(actor, sollicitation_id, Action.ENVOYER, received_at=clock.now())
    notifications.to_receiver(ticket, "sollicitation_received")
    return ticket


def discard(actor, sollicitation_id) -> None:
    """A draft thrown away by its author (nothing was ever sent)."""
    ticket = queries.sollicitation(actor, sollicitation_id, lock=True)
    if not queries.is_sender(actor, ticket):
        raise errors.ActionNotYours(side=_("l'émetteur"), number=ticket.number)
    if ticket.status != Status.BROUILLON:
        raise errors.TransitionRefused(number=ticket.number, status=Status(ticket.status).label,
                                       action=_("Supprimer le brouillon"))
    audit.record(actor, "sollicitations.draft_discarded", ticket)
    ticket.delete()


def take(actor, sollicitation_id) -> Sollicitation:
    """Self-assignment by an agent of the receiving side (or taking over from another)."""
    ticket = queries.sollicitation(actor, sollicitation_id)
    if queries.is_assignee(actor, ticket) and ticket.status == Status.EN_COURS:
        raise errors.AlreadyAssigned(number=ticket.number)
    technical = permissions.is_technical_account(actor)
    ticket, _side = _move(actor, sollicitation_id, Action.PRENDRE,
                          assignee=None if technical else actor,
                          assignee_account=actor if technical else None)
    notifications.to_sender(ticket, "sollicitation_taken", agent=_label(actor))
    return ticket


def request_complement(actor, sollicitation_id, text: str, attachments=()) -> Sollicitation:
    ticket, _side = _move(actor, sollicitation_id, Action.DEMANDER_COMPLEMENT, text,
                          attachments)
    notifications.to_sender(ticket, "sollicitation_complement_requested", body=text)
    return ticket


def complete(actor, sollicitation_id, text: str, attachments=()) -> Sollicitation:
    ticket, _side = _move(actor, sollicitation_id, Action.COMPLETER, text, attachments)
    notifications.to_receiver(ticket, "sollicitation_completed")
    return ticket


def answer(actor, sollicitation_id, text: str, attachments=()) -> Sollicitation:
    ticket = queries.sollicitation(actor, sollicitation_id)
    first = {} if ticket.first_answer_at else {"first_answer_at": clock.now()}
    ticket, _side = _move(actor, sollicitation_id, Action.REPONDRE, text, attachments, **first)
    notifications.to_sender(ticket, "sollicitation_answered", body=text)
    return ticket


def transfer(actor, sollicitation_id, text: str, *, to_support: bool = False,
             recipient_identifier: str = "", service_code: str = "") -> Sollicitation:
    """To the support, or to another public structure (and service): NOUVELLE there, nobody
    assigned, its figures counted from now."""
    ticket, side, move = _checked(actor, sollicitation_id, Action.TRANSFERER)
    if to_support:
        if ticket.to_support:
            raise errors.TransferTargetInvalid()
        target, service = None, None
    else:
        if not (recipient_identifier or "").strip():
            raise errors.TransferTargetInvalid()
        target = _public_structure(recipient_identifier)
        service = _service(target, service_code)
        if (not ticket.to_support and target.pk == ticket.recipient_structure_id
                and getattr(service, "pk", None) == ticket.recipient_service_id):
            raise errors.TransferTargetInvalid()
        if target.pk == ticket.sender_structure_id:
            raise errors.RecipientIsSender()
    _apply(actor, ticket, Action.TRANSFERER, side, move, text, to_support=bool(to_support),
           recipient_structure=target, recipient_service=service, assignee=None,
           assignee_account=None,
           received_at=clock.now(), first_answer_at=None)
    ticket = Sollicitation.objects.select_related(*queries.RELATED).get(pk=ticket.pk)
    notifications.to_sender(ticket, "sollicitation_transferred", body=text,
                            target=ticket.recipient_label[:120])
    notifications.to_receiver(ticket, "sollicitation_transferred_in")
    return ticket


def close(actor, sollicitation_id, text: str = "") -> Sollicitation:
    ticket, side = _move(actor, sollicitation_id, Action.CLOTURER, text,
                         closed_at=clock.now())
    if side == Side.EMETTEUR:
        notifications.to_receiver(ticket, "sollicitation_closed")
    else:
        notifications.to_sender(ticket, "sollicitation_closed", body=text)
    return ticket


def reopen(actor, sollicitation_id, text: str) -> Sollicitation:
    ticket, _side = _move(actor, sollicitation_id, Action.ROUVRIR, text, closed_at=None)
    notifications.to_receiver(ticket, "sollicitation_reopened")
    return ticket


# --- The timer ---------------------------------------------------------------------------------


def close_unanswered(now=None, limit: int = 500) -> int:
    """Answered tickets whose sender did not react within 15 days close (each in its own
    transaction: this is called by the timer task, an entry point)."""
    now = now or clock.now()
    due = list(Sollicitation.objects.filter(
        status=Status.REPONDUE, status_at__lte=now - AUTO_CLOSE_DELAY)
        .values_list("pk", flat=True)[:limit])
    done = 0
    for pk in due:
        with transaction.atomic():
            ticket = (Sollicitation.objects.select_for_update(of=("self",))
                      .select_related(*queries.RELATED).filter(pk=pk).first())
            if ticket is None or ticket.status != Status.REPONDUE \
                    or ticket.status_at > now - AUTO_CLOSE_DELAY:
                continue  # the sender reacted meanwhile
            previous, at = ticket.status, clock.now()
            Sollicitation.objects.filter(pk=pk, status=previous).update(
                status=Status.CLOTUREE, status_at=at, closed_at=at)
            ticket.status, ticket.status_at, ticket.closed_at = Status.CLOTUREE, at, at
            _message(ticket, Action.CLOTURE_AUTOMATIQUE, Side.SYSTEME, None, "", previous)
            audit.record("system", "sollicitations.auto_closed", ticket)
            notifications.to_sender(ticket, "sollicitation_closed")
            notifications.to_receiver(ticket, "sollicitation_closed")
            done += 1
    return done
