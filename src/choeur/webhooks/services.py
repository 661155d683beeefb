"""Signed webhooks: subscriptions (use cases of a structure's gestionnaires), events (called
in the transaction of the status change) and delivery (the worker).

Events
    `facture.statut`: an invoice of the structure — as supplier, recipient (once the invoice
    is routed to it) or validator — changed status. `flux.etat`: a flux the structure
    deposited reached a final state (`IN_INTEGRE`, `IN_INTEGRE_PARTIEL`, `IN_REJETE`).
    `ping`: the portal's "Envoyer un événement de test".

    `invoice_status_changed` / `flux_state_changed` run in the caller's transaction: they write
    one `Delivery` per interested subscription and enqueue its task there, so a rollback sends
    nothing and a commit forgets nothing (the database task queue makes the task visible only
    on commit). The same event never leaves two deliveries for one subscription (unique
    constraint on (subscription, event id)).

Request (what the receiver gets)
    `POST <url>`, body UTF-8 JSON fixed when the event happened (the same bytes on every
    attempt)::

        {"id": "<event id>", "type": "facture.statut",
         "dateEvenement": "2026-03-10T10:30:00.000+01:00",
         "idStructure": 12, "roles": ["FOURNISSEUR"],
         "donnees": {"idFacture": 345, "numeroFacture": "FA-2026-0117",
                     "statut": "MISE_A_DISPOSITION", "statutPrecedent": "EN_COURS_ACHEMINEMENT",
                     "dateHeureEtatCourant": "...", ...}}

    `flux.etat` carries `numeroFluxDepot`, `etatCourantFlux`, `dateHeureEtatCourantFlux`, ...
    Field names are the wire API's; `statutPrecedent`, `roles` and the flux counts are Choeur's.

    Headers: `Choeur-Webhook-Id` (the event id: the same on every attempt, deduplicate on it —
    delivery is at least once), `Choeur-Webhook-Event`, `Choeur-Webhook-Attempt`, and
    `Choeur-Signature: t=<unix time>,v1=<hex>` where `<hex>` is the HMAC-SHA256, keyed with the
    subscription's secret (the whole `whsec_...` string, UTF-8), of `"<t>." + body` (the raw
    body bytes). After a rotation the previous secret signs too (a second `v1=`) for
    `PREVIOUS_SECRET_GRACE`. To verify: split the header on `,`, recompute the HMAC with `t`
    and the raw body, compare in constant time with each `v1`, and refuse a `t` more than five
    minutes away from now (replays). `verify_signature` below does exactly that.

Delivery
    A 2xx answer within `TIMEOUT` seconds is a success; anything else (network error, timeout,
    any other status, an address that resolves to a private network) is retried after
    `RETRY_DELAYS` (1 min, 5 min, 30 min, 2 h, 12 h, 24 h, 24 h: at most `MAX_ATTEMPTS` = 8
    attempts), then the delivery is `ECHEC`. Redirects are not followed. "Renvoyer" in the
    portal makes one more attempt at once (and the automatic ones left, if any).

Addresses (SSRF)
    https only, no credentials in the URL. Literal private, loopback, link-local, reserved or
    multicast addresses are refused when the subscription is made; at each delivery the name
    is resolved and every address must be public, and the connection goes to the address that
    was checked (no second resolution a DNS rebinding could change). `http://localhost` is
    allowed only when `CHOEUR_WEBHOOKS_ALLOW_LOCALHOST` (default: DEBUG) is set, for
    development and tests.

Secrets are never logged, audited nor shown again after the answer that created them.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from choeur.core import audit, clock, queue
from choeur.core.errors import Conflict, OutsideTransaction
from choeur.organisations import permissions
from choeur.organisations.models import Structure
from choeur.webhooks import errors
from choeur.webhooks.models import Attempt, Delivery, EventType, Subscription

logger = logging.getLogger("choeur.webhooks")

RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=12), timedelta(hours=24),
                timedelta(hours=24)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: Seconds for each network operation (connect, send, first byte...) ...
TIMEOUT = 10
#: ... and for the whole exchange: a receiver that trickles its answer is cut off.
TOTAL_TIMEOUT = 15
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
SIGNATURE_TOLERANCE = 300  # seconds, for receivers (verify_signature)
MAX_ACTIVE_PER_STRUCTURE = 10
MAX_URL = 500
USER_AGENT = "Choeur-Webhooks/1"
#: uuid5 namespace of event ids: an event's id is derived from what it is about, so it is
#: the same for every subscription and every attempt, and computing it twice gives one id.
EVENT_NAMESPACE = uuid.UUID("5d0c7a52-0f1e-4d8a-9a43-2f3b8c6e1a10")


# --- Signatures ---------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>." + body`, keyed with the secret."""
    return hmac.new(secret.encode(), str(int(timestamp)).encode() + b"." + body,
                    hashlib.sha256).hexdigest()


def signature_header(keys: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={int(timestamp)}", *(f"v1={sign(k, timestamp, body)}" for k in keys)])


def verify_signature(secret: str, header: str, body: bytes, *,
                     tolerance: int = SIGNATURE_TOLERANCE, now: float | None = None) -> bool:
    """What a receiver does: True when one `v1` of the header is the HMAC of `"t." + body`
    with `secret` and `t` is within `tolerance` seconds of now."""
    timestamp, candidates = None, []
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


# --- Addresses (SSRF guard) ---------------------------------------------------------------------


def _localhost_allowed() -> bool:
    return bool(getattr(settings, "CHOEUR_WEBHOOKS_ALLOW_LOCALHOST", settings.DEBUG))


def _is_localhost_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def address_allowed(address: str) -> bool:
    """Whether Choeur may connect to this IP address: public unicast only (plus loopback
    while `CHOEUR_WEBHOOKS_ALLOW_LOCALHOST` is set)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return _localhost_allowed()
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> str:
    """The URL, normalised, or a coded error: https (http to localhost in development only),
    a host, no credentials, no literal private address."""
    def invalid(detail_fr: str, detail_en: str):
        return errors.WebhookUrlInvalid(detail_fr=detail_fr, detail_en=detail_en)

    url = (url or "").strip()
    if len(url) > MAX_URL:
        raise invalid(f"{MAX_URL} caractères au plus", f"{MAX_URL} characters at most")
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        raise invalid("format", "format")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid("format", "format") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise invalid("hôte manquant", "no host")
    if parts.username is not None or parts.password is not None:
        raise invalid("identifiants dans l'URL", "credentials in the URL")
    local = _is_localhost_name(host)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and literal.is_loopback:
        local = True
    if scheme == "http":
        if not (local and _localhost_allowed()):
            raise invalid("https:// obligatoire", "https:// required")
    elif scheme != "https":
        raise invalid("https:// obligatoire", "https:// required")
    if local and not _localhost_allowed():
        raise errors.WebhookUrlForbidden()
    if literal is not None and not address_allowed(str(literal)):
        raise errors.WebhookUrlForbidden()
    netloc = f"[{host}]" if literal is not None and literal.version == 6 else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def resolve(host: str, port: int) -> str:
    """The address to connect to: every address the name resolves to must be allowed (a name
    that also points inside the network is refused as a whole)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"résolution DNS impossible : {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(address_allowed(a) for a in addresses):
        raise errors.WebhookUrlForbidden()
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST the body; the answer's status code. Network errors raise OSError (or
    http.client.HTTPException); a forbidden address raises WebhookUrlForbidden."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    address = resolve(host, port)
    cls = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    conn = cls(host, port, address=address, timeout=TIMEOUT)

    def cut_off():
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(TOTAL_TIMEOUT, cut_off)
    watchdog.daemon = True
    watchdog.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # not kept: only the status code matters
        return response.status
    finally:
        watchdog.cancel()
        conn.close()


# --- Subscriptions (gestionnaires) --------------------------------------------------------------


def _subscription(structure: Structure, subscription_id) -> Subscription:
    try:
        return structure.webhook_subscriptions.get(pk=int(subscription_id))
    except (Subscription.DoesNotExist, TypeError, ValueError):
        raise errors.WebhookNotFound() from None


def subscription_for(actor, structure: Structure, subscription_id) -> Subscription:
    """A subscription of the structure, for one of its gestionnaires (read side)."""
    permissions.require_gestionnaire(actor, structure)
    return _subscription(structure, subscription_id)


def create_subscription(actor, structure: Structure, url: str, *, description: str = "",
                        on_invoice_status: bool = True,
                        on_flux_state: bool = False) -> tuple[Subscription, str]:
    """A new endpoint and its secret, to be shown once."""
    permissions.require_gestionnaire(actor, structure)
    permissions.require_active(structure)
    url = check_url(url)
    if not (on_invoice_status or on_flux_state):
        raise errors.WebhookNoEvent()
    active = structure.webhook_subscriptions.filter(is_active=True).count()
    if active >= MAX_ACTIVE_PER_STRUCTURE:
        raise errors.WebhookLimitReached(limit=MAX_ACTIVE_PER_STRUCTURE)
    secret = new_secret()
    subscription = Subscription.objects.create(
        structure=structure, url=url, description=(description or "").strip()[:100],
        on_invoice_status=bool(on_invoice_status), on_flux_state=bool(on_flux_state),
        secret=secret, created_at=clock.now(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit.record(actor, "webhooks.created", subscription, structure=structure.pk,
                 host=subscription.host, events=subscription.events())
    return subscription, secret


def rotate_secret(actor, structure: Structure, subscription_id) -> tuple[Subscription, str]:
    """A new secret (shown once); the previous one still signs for PREVIOUS_SECRET_GRACE."""
    permissions.require_gestionnaire(actor, structure)
    subscription = _subscription(structure, subscription_id)
    if not subscription.is_active:
        raise errors.WebhookInactive()
    secret = new_secret()
    now = clock.now()
    updated = Subscription.objects.filter(pk=subscription.pk, secret=subscription.secret).update(
        secret=secret, previous_secret=subscription.secret,
        previous_secret_expires_at=now + PREVIOUS_SECRET_GRACE, secret_rotated_at=now)
    if updated != 1:
        raise Conflict()
    subscription.refresh_from_db()
    audit.record(actor, "webhooks.secret_rotated", subscription, structure=structure.pk)
    return subscription, secret


def deactivate_subscription(actor, structure: Structure, subscription_id) -> Subscription:
    """No more events; deliveries still waiting are cancelled."""
    permissions.require_gestionnaire(actor, structure)
    subscription = _subscription(structure, subscription_id)
    if not subscription.is_active:
        return subscription
    subscription.is_active = False
    subscription.deactivated_at = clock.now()
    subscription.save(update_fields=["is_active", "deactivated_at"])
    subscription.deliveries.filter(state=Delivery.State.PENDING).update(
        state=Delivery.State.CANCELLED, next_attempt_at=None)
    audit.record(actor, "webhooks.deactivated", subscription, structure=structure.pk)
    return subscription


def redeliver(actor, structure: Structure, subscription_id, delivery_id) -> Delivery:
    """"Renvoyer": one more attempt at once, same event id and body (a fresh signature)."""
    permissions.require_gestionnaire(actor, structure)
    subscription = _subscription(structure, subscription_id)
    if not subscription.is_active:
        raise errors.WebhookInactive()
    try:
        delivery = subscription.deliveries.get(pk=int(delivery_id))
    except (Delivery.DoesNotExist, TypeError, ValueError):
        raise errors.WebhookNotFound() from None
    updated = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        state=Delivery.State.PENDING, next_attempt_at=clock.wall_now())
    if updated != 1:
        raise Conflict()
    queue.enqueue("webhooks.deliver_webhook", delivery.pk, delivery.attempts, True)
    audit.record(actor, "webhooks.redelivered", subscription, structure=structure.pk,
                 delivery=delivery.pk, event=delivery.event_id)
    delivery.refresh_from_db()
    return delivery


def send_test(actor, structure: Structure, subscription_id) -> Delivery:
    """A `ping` event to this endpoint only (to check the receiver and its signature check)."""
    permissions.require_gestionnaire(actor, structure)
    subscription = _subscription(structure, subscription_id)
    if not subscription.is_active:
        raise errors.WebhookInactive()
    event_id = str(uuid.uuid4())
    delivery = _record(subscription, event_id, EventType.PING, "ping",
                       _envelope(event_id, EventType.PING, clock.now(), subscription, [], {}))
    audit.record(actor, "webhooks.test_sent", subscription, structure=structure.pk,
                 event=event_id)
    return delivery


# --- Events (in the caller's transaction) -------------------------------------------------------


def event_id(kind: str, key: object) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{kind}:{key}"))


def _wire_datetime(value) -> str | None:
    """As the wire API writes date-times: Paris time, milliseconds, offset."""
    if value is None:
        return None
    return value.astimezone(clock.PARIS).isoformat(timespec="milliseconds")


def _envelope(event: str, kind: str, at, subscription: Subscription, roles: list[str],
              data: dict) -> dict:
    return {"id": event, "type": str(kind), "dateEvenement": _wire_datetime(at),
            "idStructure": subscription.structure_id, "roles": roles, "donnees": data}


def _record(subscription: Subscription, event: str, kind: str, subject: str,
            payload: dict) -> Delivery | None:
    """One delivery of one event to one subscription, and its task, in the caller's
    transaction; None when that event already has its delivery there."""
    if not connection.in_atomic_block:
        raise OutsideTransaction()
    if Delivery.objects.filter(subscription=subscription, event_id=event).exists():
        return None
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        with transaction.atomic():  # a twin written concurrently must not spoil the caller's
            delivery = Delivery.objects.create(
                subscription=subscription, event_id=event, event_type=kind,
                subject=subject[:100], payload=body, created_at=clock.now(),
                next_attempt_at=clock.wall_now())
    except IntegrityError:
        return None
    queue.enqueue("webhooks.deliver_webhook", delivery.pk, 0)
    return delivery


def subscribed(structure_ids) -> set:
    """Which of these structures have an active subscription to invoice status changes (a
    batch asks once, then calls `invoice_status_changed` only for its invoices concerned)."""
    return set(Subscription.objects.filter(
        structure_id__in=list(structure_ids), is_active=True, on_invoice_status=True)
        .values_list("structure_id", flat=True))


def invoice_status_changed(invoice, previous: str) -> list[Delivery]:
    """Called by the invoicing lifecycle right after a status change (its history row
    written), in its transaction. Tells the subscriptions of the supplier, of the recipient
    (once the invoice is visible to it) and of the validators."""
    from choeur.invoicing.models import StatusChange
    from choeur.invoicing.statuses import RECIPIENT_VISIBLE, Status

    status = invoice.status
    if status == Status.BROUILLON:
        return []
    roles: dict[int, list[str]] = {invoice.supplier_id: ["FOURNISSEUR"]}
    if status in RECIPIENT_VISIBLE and invoice.recipient_id:
        roles.setdefault(invoice.recipient_id, []).append("DESTINATAIRE")
    if status != Status.SUPPRIMEE:
        for validator_id in {invoice.validator_id, invoice.validator2_id} - {None}:
            roles.setdefault(validator_id, []).append("VALIDEUR")
    subscriptions = list(Subscription.objects.filter(
        structure_id__in=list(roles), is_active=True, on_invoice_status=True))
    if not subscriptions:
        return []
    change = StatusChange.objects.filter(invoice_id=invoice.pk).order_by("-pk").first()
    event = event_id(EventType.INVOICE_STATUS, change.pk if change else
                     f"{invoice.pk}:{status}:{invoice.status_changed_at.isoformat()}")
    data = {
        "idFacture": invoice.pk,
        "numeroFacture": invoice.number or None,
        "typeFacture": invoice.type_facture,
        "statut": status,
        "statutPrecedent": previous,
        "dateHeureEtatCourant": _wire_datetime(invoice.status_changed_at),
        "commentaireEtatCourant": invoice.status_comment or None,
        "codeFournisseur": invoice.supplier.identifier,
        "typeIdentifiantFournisseur": invoice.supplier.identifier_type,
        "idDestinataire": invoice.recipient_id,
        "codeDestinataire": invoice.recipient.identifier if invoice.recipient_id else None,
        "codeServiceExecutant": invoice.recipient_service.code
        if invoice.recipient_service_id else None,
        "montantTTC": float(invoice.total_ttc) if invoice.total_ttc is not None else None,
        "devise": invoice.currency,
    }
    deliveries = []
    for subscription in subscriptions:
        payload = _envelope(event, EventType.INVOICE_STATUS, invoice.status_changed_at,
                            subscription, roles[subscription.structure_id], data)
        delivery = _record(subscription, event, EventType.INVOICE_STATUS,
                           f"{invoice.number} → {status}", payload)
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


#: The flux states a subscriber hears of: the outcome of an integration.
FLUX_STATES_SENT = ("IN_INTEGRE", "IN_INTEGRE_PARTIEL", "IN_REJETE")


def flux_state_changed(flux_id: int) -> list[Delivery]:
    """Called by flux integration when a flux reached its final state, in its transaction
    (the state is read from the database: the caller changed it with an UPDATE)."""
    from choeur.flux.models import Flux

    flux = Flux.objects.filter(pk=flux_id).first()
    if flux is None or flux.status not in FLUX_STATES_SENT:
        return []
    subscriptions = list(Subscription.objects.filter(
        structure_id=flux.structure_id, is_active=True, on_flux_state=True))
    if not subscriptions:
        return []
    event = event_id(EventType.FLUX_STATE, f"{flux.pk}:{flux.status}:{flux.attempts}")
    data = {
        "numeroFluxDepot": flux.numero,
        "etatCourantFlux": flux.status,
        "dateHeureEtatCourantFlux": _wire_datetime(flux.status_at),
        "dateDepotFlux": _wire_datetime(flux.deposited_at),
        "nomFichier": flux.filename,
        "syntaxeFlux": flux.syntaxe,
        "nombreFactures": flux.invoice_count,
        "nombreFacturesIntegrees": flux.integrated_count,
        "nombreFacturesRejetees": flux.rejected_count,
    }
    deliveries = []
    for subscription in subscriptions:
        payload = _envelope(event, EventType.FLUX_STATE, flux.status_at, subscription, [],
                            data)
        delivery = _record(subscription, event, EventType.FLUX_STATE,
                           f"{flux.numero} → {flux.status}", payload)
        if delivery is not None:
            deliveries.append(delivery)
    return deliveries


# --- Delivery (the worker) ----------------------------------------------------------------------


#: How long the journal keeps an ended delivery (delivered, failed, cancelled) and its
#: attempts: long enough for the portal's "Derniers envois" and a receiver's investigation;
#: with one delivery per invoice status change and subscription, the table would otherwise
#: grow without end. A delivery still pending is never removed.
DELIVERIES_KEPT = timedelta(days=30)


def prune_deliveries(now=None, batch: int = 5000, batches: int = 20) -> int:
    """Remove the ended deliveries whose event and last attempt are older than
    `DELIVERIES_KEPT` (with their attempts), a batch per transaction, at most `batches`
    batches a run (the worker's heartbeat thread runs it hourly and must beat on time: a
    backlog goes over the following hours). Returns how many went."""
    from django.db.models import Q

    cutoff = (now or clock.now()) - DELIVERIES_KEPT
    attempted_before = clock.wall_now() - DELIVERIES_KEPT  # attempts are dated in wall time
    ended = (Delivery.objects.filter(created_at__lt=cutoff)  # the index, then the rest
             .exclude(state=Delivery.State.PENDING)
             .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=attempted_before)))
    removed = 0
    for _ in range(batches):
        with transaction.atomic():
            # Locked, and still ended: a delivery sent again ("Renvoyer") meanwhile stays,
            # and two workers pruning at once take different rows.
            ids = list(ended.select_for_update(skip_locked=True).order_by()
                       .values_list("pk", flat=True)[:batch])
            if not ids:
                break
            _, per_model = ended.filter(pk__in=ids).only("pk").delete()
        removed += per_model.get(Delivery._meta.label, 0)
    return removed


def _signing_keys(subscription: Subscription) -> list[str]:
    keys = [subscription.secret]
    if subscription.previous_secret and subscription.previous_secret_expires_at and \
            subscription.previous_secret_expires_at > clock.now():
        keys.append(subscription.previous_secret)
    return keys


def deliver(delivery_id: int, expected_attempts: int, *, manual: bool = False) -> str:
    """One attempt of one delivery: the task's body. Owns its transactions, and holds none
    during the HTTP exchange.

    The attempt is claimed with a conditional update on the number of attempts the task was
    queued for (a duplicate or superseded task finds it changed and does nothing), and the
    next automatic attempt is queued in that same claim: a worker killed during the exchange
    leaves a retry behind. A success makes that retry moot (it finds the delivery done)."""
    number = expected_attempts + 1
    with transaction.atomic():
        delivery = Delivery.objects.select_related("subscription").filter(
            pk=delivery_id).first()
        if delivery is None:
            return "missing"
        if not delivery.subscription.is_active:
            Delivery.objects.filter(pk=delivery_id, state=Delivery.State.PENDING).update(
                state=Delivery.State.CANCELLED, next_attempt_at=None)
            return "cancelled"
        retry_at = None
        if number < MAX_ATTEMPTS:
            retry_at = clock.wall_now() + RETRY_DELAYS[number - 1]
        claimed = Delivery.objects.filter(
            pk=delivery_id, state=Delivery.State.PENDING, attempts=expected_attempts,
        ).update(attempts=number, last_attempt_at=clock.wall_now(), next_attempt_at=retry_at)
        if not claimed:
            return "stale"
        if retry_at is not None:
            queue.get("webhooks.deliver_webhook").using(run_after=retry_at).enqueue(
                delivery_id, number)
    subscription = delivery.subscription
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Choeur-Webhook-Id": delivery.event_id,
        "Choeur-Webhook-Event": delivery.event_type,
        "Choeur-Webhook-Attempt": str(number),
        "Choeur-Signature": signature_header(_signing_keys(subscription),
                                             int(clock.wall_now().timestamp()), body),
    }
    status_code, error = None, ""
    started = time.monotonic()
    try:
        status_code = post(subscription.url, body, headers)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except errors.WebhookUrlForbidden:
        error = "adresse refusée : réseau privé, local ou réservé"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    error = error[:300]
    with transaction.atomic():
        Attempt.objects.create(delivery_id=delivery_id, number=number, at=clock.wall_now(),
                               status_code=status_code, error=error, duration_ms=duration,
                               manual=manual)
        mine = Delivery.objects.filter(pk=delivery_id, attempts=number)
        if not error:
            mine.update(state=Delivery.State.DELIVERED, delivered_at=clock.wall_now(),
                        last_status_code=status_code, last_error="", next_attempt_at=None)
            return "delivered"
        values = {"last_status_code": status_code, "last_error": error}
        if number >= MAX_ATTEMPTS:
            values.update(state=Delivery.State.FAILED, next_attempt_at=None)
        mine.update(**values)
    # The host only: a URL may carry a token in its query string. Never the headers.
    logger.warning("webhook delivery %s to %s failed (attempt %s/%s): %s", delivery_id,
                   subscription.host, number, MAX_ATTEMPTS, error)
    return "failed"
