"""The annuaire of a qualification instance: hundreds of fictitious public recipients, so that
a trainee or an integrator finds someone to invoice on a fresh instance, in the portal's
annuaire and through the API's structure search.

Each recipient is what `organisations.services.create_public_structure` makes (SIRET, default
espaces, the default service FACTURES_PUBLIQUES) plus the usual services of its kind of body
(`fictitious.PUBLIC_BODIES`), an address in its town and a realistic mix of requirements:
none, service code, engagement, both, either, a State-like body requiring engagements, some
maîtres d'ouvrage. They are written in bulk (one insert per table: 300 recipients take a
fraction of a second) and audited as one line, `qualification.annuaire_populated`.

Deterministic: a seed gives the same recipients in the same order, and recipient n is the same
whatever the count (`--count 500` after 300 adds the next 200). Idempotent: a recipient whose
name is already a public structure's is not made again, so a second run creates nothing; a
drawn SIRET that some structure already holds is drawn again. `valid_sirets=False` gives SIRETs
with a wrong check digit, like Chorus Pro's qualification (organisations.identifiers accepts
them in qualification only).

Runs on the first `choeur migrate` of a qualification database (cli.py), and on demand:
`choeur annuaire-qualification [--count N] [--seed N] [--invalid-sirets]`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from choeur.accounts.models import User
from choeur.core import audit, clock
from choeur.core.errors import PermissionRefused
from choeur.organisations import services as organisation_services
from choeur.organisations.models import IdentifierType, OpenEspace, Service, Structure
from choeur.qualification import errors, fictitious
from choeur.qualification.clock_control import require_qualification

DEFAULT_COUNT = 300
DEFAULT_SEED = 0
MAX_COUNT = 5000
MAX_SEED = 2**31 - 1  # as the matelas's

#: Requirement variants (the matelas CSV's `variante` names, plus "either") and their weight
#: in the annuaire; a préfecture is always `etat`.
VARIANTS = {
    "sans_exigence": ({}, 40),
    "code_service": ({"service_code_required": True}, 20),
    "engagement": ({"engagement_required": True}, 15),
    "code_service_et_engagement": ({"service_code_required": True,
                                    "engagement_required": True}, 10),
    "engagement_ou_code_service": ({"engagement_or_service_required": True}, 15),
    "etat": ({"engagement_required": True}, 0),
}
STATE_KINDS = {"prefecture"}
#: Kinds of bodies that commission works, hence may act as maître d'ouvrage.
MOA_KINDS = {"commune", "agglo", "office", "hopital", "universite", "sdis"}


@dataclass(frozen=True)
class Recipient:
    """One generated public recipient, before it has a SIRET."""

    index: int
    kind: str
    variant: str
    company_name: str
    address: str
    postcode: str
    city: str
    flags: dict
    services: tuple[tuple[str, str, bool], ...]  # (code, name, engagement required)


def _whole(value, limit: int, error, low: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise error(value=str(value)[:20], limit=limit) from None
    if not low <= number <= limit:
        raise error(value=number, limit=limit)
    return number


def _rng(*parts) -> random.Random:
    """A stream of its own for each part of the annuaire: fictitious data, not secrets."""
    return random.Random(":".join(["annuaire", *map(str, parts)]))  # noqa: S311


def plan(count: int, seed: int) -> list[Recipient]:
    """The first `count` recipients of `seed` (pure: no database)."""
    # Every (kind of body, town) once before any twice: names stay distinct.
    pairs = [(b, t) for b in range(len(fictitious.PUBLIC_BODIES))
             for t in range(len(fictitious.TOWNS))]
    _rng(seed).shuffle(pairs)
    return [_recipient(i, seed, *pairs[i % len(pairs)], i // len(pairs)) for i in range(count)]


def _recipient(index: int, seed: int, body: int, town: int, round_: int) -> Recipient:
    rng = _rng(seed, index)
    kind, pattern, services = fictitious.PUBLIC_BODIES[body]
    city, postcode = fictitious.TOWNS[town]
    name = fictitious.public_body_name(pattern, city)
    if round_:
        name = f"{name} – antenne {round_ + 1}"
    if kind in STATE_KINDS:
        variant = "etat"
    else:
        names = [v for v, (_, weight) in VARIANTS.items() if weight]
        variant = rng.choices(names, weights=[VARIANTS[v][1] for v in names])[0]
    flags = dict(VARIANTS[variant][0])
    if kind in MOA_KINDS and rng.random() < 0.3:
        flags["moa"] = True
        flags["moa_only"] = rng.random() < 0.1
    flags["payment_status_not_reported"] = rng.random() < 0.1
    # A State body wants an engagement everywhere; elsewhere one service in five does.
    with_engagement = tuple(
        (code, service_name, variant == "etat" or rng.random() < 0.2)
        for code, service_name in services)
    return Recipient(index=index, kind=kind, variant=variant, company_name=name,
                     address=fictitious.address(rng), postcode=postcode, city=city,
                     flags=flags, services=with_engagement)


def _sirets(recipients: list[Recipient], seed: int, valid: bool) -> list[str]:
    """One SIRET per recipient, held by no structure yet, each from the recipient's own
    stream (a collision redraws that one alone)."""
    streams = [_rng(seed, r.index, "siret") for r in recipients]
    sirets = [fictitious.siret(stream, valid=valid) for stream in streams]
    while True:
        taken = set(Structure.objects.filter(identifier_type=IdentifierType.SIRET,
                                             identifier__in=sirets)
                    .values_list("identifier", flat=True))
        seen: set[str] = set()
        clashes = []
        for position, siret in enumerate(sirets):
            if siret in taken or siret in seen:
                clashes.append(position)
            seen.add(siret)
        if not clashes:
            return sirets
        for position in clashes:
            sirets[position] = fictitious.siret(streams[position], valid=valid)


def populate(count=DEFAULT_COUNT, seed=DEFAULT_SEED, valid_sirets: bool = True,
             actor="system") -> int:
    """Add the first `count` recipients of `seed` that the annuaire lacks; how many were
    created. The caller owns the transaction."""
    require_qualification()
    if isinstance(actor, User) and not actor.is_superuser:
        raise PermissionRefused()
    count = _whole(count, MAX_COUNT, errors.AnnuaireCountInvalid, low=1)
    seed = _whole(seed, MAX_SEED, errors.AnnuaireSeedInvalid, low=0)
    wanted = plan(count, seed)
    present = set(Structure.objects.filter(
        kind=Structure.Kind.PUBLIQUE, company_name__in=[r.company_name for r in wanted],
    ).values_list("company_name", flat=True))
    missing = [r for r in wanted if r.company_name not in present]
    if not missing:
        return 0
    now = clock.now()
    structures = [
        Structure(identifier_type=IdentifierType.SIRET, identifier=siret,
                  kind=Structure.Kind.PUBLIQUE, company_name=r.company_name,
                  address_line1=r.address, postcode=r.postcode, city=r.city, country="FR",
                  created_at=now, updated_at=now, **r.flags)
        for r, siret in zip(missing, _sirets(missing, seed, valid_sirets), strict=True)
    ]
    Structure.objects.bulk_create(structures, batch_size=500)
    if any(s.pk is None for s in structures):  # a database that returns no ids from a bulk insert
        ids = dict(Structure.objects.filter(
            identifier_type=IdentifierType.SIRET,
            identifier__in=[s.identifier for s in structures]).values_list("identifier", "pk"))
        for structure in structures:
            structure.pk = ids[structure.identifier]
    espaces: list[OpenEspace] = []
    services: list[Service] = []
    for structure, recipient in zip(structures, missing, strict=True):
        default_espaces, default_services = organisation_services.default_rows(structure)
        espaces += default_espaces
        services += default_services
        services += [Service(structure=structure, code=code, name=name,
                             engagement_required=engagement, address_line1=recipient.address,
                             postcode=recipient.postcode, city=recipient.city,
                             created_at=now, updated_at=now)
                     for code, name, engagement in recipient.services]
    OpenEspace.objects.bulk_create(espaces, batch_size=1000)
    Service.objects.bulk_create(services, batch_size=1000)
    audit.record(actor, "qualification.annuaire_populated", None, count=len(structures),
                 seed=seed, valid_sirets=bool(valid_sirets))
    return len(structures)
