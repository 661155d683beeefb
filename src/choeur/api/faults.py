"""The qualification's injected faults as the wire API answers them (`qualification.faults`
decides, per authenticated call of a technical account that opted in; production never
does, and costs no query for it).

- `401`: an empty body (no `Content-Type`), with `WWW-Authenticate: Bearer realm="PISTE",
  error="invalid_token"` as HTTP requires and as the gateway says it: a client should fetch a
  new token and try again, and must not choke on the empty body.
- `403`: an empty body.
- `429`: the wire envelope (`codeRetour` 20011, `libelle` "QUAL_FAULT_INJECTED_TOO_MANY_REQUESTS -
  ...") and `Retry-After` in seconds: the header is what a client's retry logic must read.
- slow: the answer comes normally, after the delay.

Each injected answer also carries `Choeur-Injected-Fault: <fault>`, so that whoever reads a
client's logs knows it was asked for. Each is logged at INFO with the account's login and the
fault, never a secret.
"""

from __future__ import annotations

import logging
import threading
import time

from django.http import HttpRequest, HttpResponse

from choeur.api import errors
from choeur.organisations.models import TechnicalAccount
from choeur.qualification import errors as qualification_errors
from choeur.qualification import faults

logger = logging.getLogger(__name__)

HEADER = "Choeur-Injected-Fault"
#: Waits through here, so that tests can observe the wait without spending it.
sleep = time.sleep
#: At most this many injected waits at once in a process: a client calling in parallel must
#: not hold every web thread of the instance (its neighbours' calls too) for 30 s. Past it, the
#: call is answered at once, said in the log.
MAX_CONCURRENT_WAITS = 2
_waits = threading.BoundedSemaphore(MAX_CONCURRENT_WAITS)


def apply(request: HttpRequest, account: TechnicalAccount) -> None:
    """Called once the caller is known: wait, or raise the injected answer, or nothing."""
    fault = faults.for_call(account)
    if fault is None:
        return
    logger.info("injected fault %s for technical account %s: %s %s", fault.kind,
                account.login, request.method, request.path)
    if fault.kind == faults.Kind.SLOW:
        if not _waits.acquire(blocking=False):
            logger.info("injected wait skipped for %s: %d waits already running",
                        account.login, MAX_CONCURRENT_WAITS)
            return
        try:
            sleep(fault.delay_seconds)
        finally:
            _waits.release()
        return
    raise errors.Answer(_answer(request, fault))


def _answer(request: HttpRequest, fault: faults.CallFault) -> HttpResponse:
    if fault.kind == faults.Kind.TOO_MANY_REQUESTS:
        response = errors.respond(request, qualification_errors.InjectedTooManyRequests(
            retry_after=fault.retry_after_seconds))
        # The referential's family (/cpro/organisations/) would say 400: a 429 stays a 429.
        response.status_code = 429
        response["Retry-After"] = str(fault.retry_after_seconds)
    else:
        response = HttpResponse(b"", status=int(fault.kind))
        del response["Content-Type"]
        if fault.kind == faults.Kind.UNAUTHORIZED:
            response["WWW-Authenticate"] = 'Bearer realm="PISTE",error="invalid_token"'
    response[HEADER] = fault.kind
    return response
