"""The matelas de données: a whole test data set generated for one user in a qualification
instance (Chorus Pro's "Générer mon matelas de données", reference §6.4).

One call creates a supplier with bank details, a technical account and an OAuth2 client; a
public recipient for each case of the recipients' requirements (`VARIANTS`); a maître d'œuvre
and a maître d'ouvrage; a co-traitant and a sous-traitant; services and engagements for the
public ones. The user is gestionnaire principal of every one, so that they can deposit as the
supplier and then process as the recipient. Secrets are returned once (`Matelas.secrets`) and
stored only hashed, as everywhere else.

The same seed gives the same data on any instance (names, identifiers, services, engagement
numbers, IBANs): scripts and courses can rely on it. Numbers clashing with structures the
instance already holds are refused for an explicit seed (its data set exists already) and
drawn again for a random one.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from choeur.accounts.models import User
from choeur.core import audit, clock, queue
from choeur.invoicing import engagements as engagement_use_cases
from choeur.invoicing.models import Engagement
from choeur.organisations import raccordements
from choeur.organisations import services as organisations
from choeur.organisations.models import (
    Espace,
    IdentifierType,
    Rattachement,
    Structure,
)
from choeur.qualification import clock_control, errors, fictitious, matelas_travaux, simulator
from choeur.qualification.models import GeneratedMatelas

MAX_SEED = 2**31 - 1

#: The recipients' cases (`variante` in the CSV): which requirement each one sets.
VARIANTS = {
    "sans_exigence": {},
    "code_service": {"service_code_required": True},
    "engagement": {"engagement_required": True},
    "code_service_et_engagement": {"service_code_required": True, "engagement_required": True},
    "etat": {"engagement_required": True},
}

#: What the portal calls the roles and cases (the CSV keeps the codes).
ROLE_LABELS = {
    "fournisseur": _("Fournisseur"), "destinataire": _("Destinataire"),
    "maitre_oeuvre": _("Maître d'œuvre"), "maitre_ouvrage": _("Maître d'ouvrage"),
    "cotraitant": _("Co-traitant"), "soustraitant": _("Sous-traitant"),
}
VARIANT_LABELS = {
    "sans_exigence": _("Aucune exigence"), "code_service": _("Code service exigé"),
    "engagement": _("Engagement exigé"),
    "code_service_et_engagement": _("Code service et engagement exigés"),
    "etat": _("Type État : engagement exigé"),
}

#: The CSV's columns, in this order: a contract other tools read (issue 15).
CSV_COLUMNS = [
    "role", "variante", "type_identifiant", "identifiant", "raison_sociale", "id_structure_cpp",
    "services", "engagements", "token_url", "api_url", "client_id", "client_secret",
    "login_technique", "mot_de_passe_technique",
]

# The State-like recipient: a ministry's regional directorate, invoiced on its default
# service with an engagement juridique (a 10-digit EJ number, as Chorus Pro's State buyers).
STATE_BODIES = [
    "Direction régionale de l'environnement, de l'aménagement et du logement",
    "Direction régionale des affaires culturelles",
    "Direction départementale des territoires",
    "Rectorat de l'académie",
]


@dataclass
class Entry:
    """One structure of the data set: a CSV row."""

    role: str  # fournisseur, destinataire, maitre_oeuvre, maitre_ouvrage, cotraitant, ...
    variante: str
    structure: Structure
    services: list[str] = field(default_factory=list)
    engagements: list[str] = field(default_factory=list)

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    @property
    def variante_label(self):
        return VARIANT_LABELS.get(self.variante, "")


@dataclass
class Matelas:
    user: object
    seed: int
    entries: list[Entry]
    technical_login: str = ""
    client_id: str = ""
    # Shown once: never stored in clear, not kept by Choeur after this object is gone.
    technical_password: str = field(default="", repr=False)
    client_secret: str = field(default="", repr=False)
    # The works dossiers, one per stage (matelas_travaux.Row): on the page, not in the CSV
    # (its columns describe structures, a contract).
    travaux: list = field(default_factory=list)
    travaux_pending: bool = False  # the worker has not built them yet

    @property
    def supplier(self) -> Structure:
        return self.entries[0].structure

    def of_role(self, role: str) -> list[Entry]:
        return [e for e in self.entries if e.role == role]

    def recipient(self, variante: str) -> Entry | None:
        """The recipient of that case; None once the user no longer manages it."""
        return next((e for e in self.entries if e.variante == variante), None)


def parse_seed(value) -> int:
    """A seed as the user typed it: a whole number from 0 to MAX_SEED."""
    try:
        seed = int(str(value).strip())
    except (TypeError, ValueError):
        raise errors.MatelasSeedInvalid(seed=str(value)[:30], limit=MAX_SEED) from None
    if not 0 <= seed <= MAX_SEED:
        raise errors.MatelasSeedInvalid(seed=seed, limit=MAX_SEED)
    return seed


def generate(user, *, seed=None, valid_sirets: bool = True,
             seen: int | None = None) -> Matelas | None:
    """Create the data set for `user` (an active account), in the caller's transaction.

    `seen`: how many data sets the user had when the form was shown. A second click (or tab)
    posting the same form finds one more and gets None instead of another data set: the
    user's row is locked first, so two clicks at once are decided one after the other."""
    clock_control.require_qualification()
    if seen is not None:
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        if GeneratedMatelas.objects.filter(user=user).count() != seen:
            return None
    explicit = seed is not None
    seed = parse_seed(seed) if explicit else secrets.randbelow(MAX_SEED + 1)
    rng = random.Random(seed)  # noqa: S311 - test data drawn again from its seed, not secrets
    plan = _plan(rng, valid_sirets)
    clashes = _taken(plan)
    if clashes and explicit:
        raise errors.MatelasExists(seed=seed, identifier=sorted(clashes)[0])
    while clashes:  # a random seed met numbers already used here: draw the clashing ones again
        for item in plan:
            if item["identifier"] in clashes:
                item["identifier"] = fictitious.siret(rng, valid=valid_sirets)
        clashes = _taken(plan)
    matelas = Matelas(user=user, seed=seed, entries=[])
    for item in plan:
        matelas.entries.append(_create(user, item))
    _connect(user, matelas)
    _add_engagements(user, matelas, rng)
    record = GeneratedMatelas.objects.create(
        user=user, seed=seed, valid_sirets=valid_sirets, created_at=clock.now(),
        entries=[{"structure": e.structure.pk, "role": e.role, "variante": e.variante}
                 for e in matelas.entries])
    audit.record(user, "qualification.matelas_generated", matelas.supplier, seed=seed,
                 structures=[e.structure.pk for e in matelas.entries],
                 valid_sirets=valid_sirets)
    # The works set (twenty pieces, each PDF written and checked: seconds in a fresh process)
    # is built by the worker just after this commit, where the rules are already compiled:
    # the data set answers at once, its dossiers follow (bench/matelas.py).
    queue.enqueue("qualification.build_matelas_travaux", record.pk)
    matelas.travaux_pending = True
    return matelas


def add_travaux(record_id: int) -> int:
    """The works set of a generated matelas, once (the task; the caller's transaction)."""
    clock_control.require_qualification()
    record = GeneratedMatelas.objects.select_for_update().filter(pk=record_id).first()
    if record is None or record.travaux:
        return 0
    loaded = _load(record)
    if loaded is None:  # the user left its supplier in the meantime: nothing to build on
        return 0
    built = matelas_travaux.build(record.user, loaded, record.seed)
    record.travaux = [{"dossier": b.dossier.pk, "stage": b.stage} for b in built]
    record.save(update_fields=["travaux"])
    return len(built)


def _plan(rng: random.Random, valid_sirets: bool) -> list[dict]:
    """Everything drawn from the seed, before anything is written (so that a seed always
    draws the same values, whatever the instance already holds)."""

    def private(role, name):
        siren = fictitious.siren(rng)
        town, postcode = fictitious.town(rng)
        return {"role": role, "variante": "", "kind": Structure.Kind.PRIVEE,
                "identifier": fictitious.siret(rng, valid=valid_sirets, of_siren=siren),
                "data": {"company_name": name, "vat_number": fictitious.vat_number(siren),
                         "address_line1": fictitious.address(rng), "postcode": postcode,
                         "city": town, "email": ""},
                "services": [], "iban": fictitious.iban(rng)}

    def public(role, variante, name, services, **flags):
        town, postcode = fictitious.town(rng)
        return {"role": role, "variante": variante, "kind": Structure.Kind.PUBLIQUE,
                "identifier": fictitious.siret(rng, valid=valid_sirets),
                "data": {"company_name": name, "address_line1": fictitious.address(rng),
                         "postcode": postcode, "city": town, **flags},
                "services": services, "iban": None}

    plan = [private("fournisseur", fictitious.company_name(rng))]
    used_names = set()
    for variante, flags in VARIANTS.items():
        if variante == "etat":
            town = fictitious.town(rng)[0]
            name = f"{rng.choice(STATE_BODIES)} — {town}"
            plan.append(public("destinataire", variante, name, [], **flags))
            continue
        while True:  # five different bodies, so that a trainee tells them apart
            _, name, services = fictitious.public_body(rng)
            if name not in used_names:
                used_names.add(name)
                break
        plan.append(public("destinataire", variante, name, services, **flags))
    architect = rng.choice(fictitious.FAMILY_NAMES)
    plan.append(private("maitre_oeuvre", f"Atelier d'architecture {architect} "
                                         f"{rng.choice(fictitious.COMPANY_FORMS)}"))
    town = fictitious.town(rng)[0]
    plan.append(public("maitre_ouvrage", "", fictitious.public_body_name(
                           "Syndicat mixte d'aménagement de {town}", town),
                       [("TRAVAUX", "Direction des travaux"), ("MARCHES", "Marchés publics")],
                       moa=True))
    plan.append(private("cotraitant", fictitious.company_name(rng)))
    plan.append(private("soustraitant", fictitious.company_name(rng)))
    return plan


def _taken(plan: list[dict]) -> set[str]:
    return set(Structure.objects.filter(
        identifier_type=IdentifierType.SIRET,
        identifier__in=[item["identifier"] for item in plan]).values_list("identifier", flat=True))


def _create(user, item: dict) -> Entry:
    if item["kind"] == Structure.Kind.PRIVEE:
        structure = organisations.create_private_structure(
            user, IdentifierType.SIRET, item["identifier"], item["data"])
    else:
        # A public structure comes from the platform (the annuaire), not from its users: the
        # matelas creates it as the platform, then makes the user its gestionnaire principal.
        structure = organisations.create_public_structure(
            "qualification.matelas", item["identifier"], item["data"])
        organisations.request_rattachement(user, structure)  # qualification: claimed at once
        organisations.set_espace_open(user, structure, Espace.ENGAGEMENTS, True)
        # The recipient plays itself until the user takes over (Simulateur: mode manuel).
        simulator.install_default(user, structure)
    for code, name in item["services"]:
        organisations.create_service(user, structure, code, {"name": name})
    if item["iban"]:
        iban, bic = item["iban"]
        organisations.add_bank_account(user, structure, "Compte principal",
                                       structure.company_name, iban, bic)
    return Entry(role=item["role"], variante=item["variante"], structure=structure,
                 services=_service_codes(structure))


def _connect(user, matelas: Matelas) -> None:
    """The supplier's raccordement: a technical account and an OAuth2 client."""
    account, password = raccordements.create_technical_account(user, matelas.supplier)
    client, secret = raccordements.create_api_client(user, matelas.supplier,
                                                     "Matelas de données")
    matelas.technical_login, matelas.technical_password = account.login, password
    matelas.client_id, matelas.client_secret = client.client_id, secret


def _add_engagements(user, matelas: Matelas, rng: random.Random) -> None:
    """Orders placed with the supplier by every public structure: two each (an EJ for the
    State-like one), on its first real service when it has one."""
    supplier = matelas.supplier
    for entry in matelas.entries:
        if entry.structure.kind != Structure.Kind.PUBLIQUE:
            continue
        state = entry.variante == "etat"
        services = [c for c in entry.services if c != "FACTURES_PUBLIQUES"]
        for n in range(2):
            number = (f"13{rng.randint(10**7, 10**8 - 1)}" if state
                      else fictitious.engagement_number(rng))
            amount = Decimal(rng.randrange(5_000, 200_000, 500))
            engagement_use_cases.create_engagement(user, entry.structure,
                                                   engagement_use_cases.EngagementData(
                number=number,
                kind="MARCHE" if state or entry.role == "maitre_ouvrage" else "BON_DE_COMMANDE",
                supplier_identifier=supplier.identifier,
                service_code=services[n % len(services)] if services else "",
                label=f"Commande {n + 1} du matelas de données",
                amount_ht=amount, amount_ttc=amount * Decimal("1.2")))
            entry.engagements.append(number)


# --- The CSV ------------------------------------------------------------------------------------


def rows(matelas: Matelas, base_url: str, *, with_secrets: bool = True) -> list[dict]:
    """One row per structure with CSV_COLUMNS; the connection columns on the supplier's row
    only (its secrets only when `with_secrets`, i.e. right after the generation)."""
    base = base_url.rstrip("/")
    result = []
    for entry in matelas.entries:
        s = entry.structure
        row = dict.fromkeys(CSV_COLUMNS, "")
        row.update(role=entry.role, variante=entry.variante, type_identifiant=s.identifier_type,
                   identifiant=s.identifier, raison_sociale=s.company_name,
                   id_structure_cpp=str(s.pk), services="|".join(entry.services),
                   engagements="|".join(entry.engagements))
        if entry.role == "fournisseur":
            row.update(token_url=f"{base}/api/oauth/token", api_url=base,
                       client_id=matelas.client_id, login_technique=matelas.technical_login)
            if with_secrets:
                row.update(client_secret=matelas.client_secret,
                           mot_de_passe_technique=matelas.technical_password)
        result.append(row)
    return result


def to_csv(matelas: Matelas, base_url: str, *, with_secrets: bool = True) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(matelas, base_url, with_secrets=with_secrets))
    return out.getvalue()


# --- Reading a user's data set back (the portal's "Mon matelas", without secrets) ---------------


def latest(user) -> Matelas | None:
    """The user's last generated data set, as it stands now (structures the user left are
    dropped); secrets are not kept, so they are absent."""
    record = GeneratedMatelas.objects.filter(user=user).first()
    return _load(record) if record is not None else None


def _load(record: GeneratedMatelas) -> Matelas | None:
    user = record.user
    ids = [item["structure"] for item in record.entries]
    structures = {s.pk: s for s in Structure.objects.filter(
        pk__in=ids, rattachements__user=user,
        rattachements__status=Rattachement.Status.VALIDEE)}
    if not ids or ids[0] not in structures:
        return None
    entries = [
        Entry(role=item["role"], variante=item["variante"], structure=structures[item["structure"]],
              services=_service_codes(structures[item["structure"]]),
              # Those a deposit may still name (inactivated ones would be refused).
              engagements=list(Engagement.objects.filter(
                  structure_id=item["structure"],
                  state__in=[Engagement.State.COMMANDE, Engagement.State.PRIS_EN_COMPTE])
                  .order_by("pk").values_list("number", flat=True)))
        for item in record.entries if item["structure"] in structures]
    supplier = entries[0].structure
    account = supplier.technical_accounts.filter(is_active=True).order_by("pk").first()
    client = supplier.api_clients.filter(is_active=True).order_by("pk").first()
    result = Matelas(user=user, seed=record.seed, entries=entries,
                     technical_login=account.login if account else "",
                     client_id=client.client_id if client else "")
    result.travaux = matelas_travaux.rows(
        user, result, {item["dossier"]: item["stage"] for item in record.travaux})
    result.travaux_pending = not record.travaux
    return result


def _service_codes(structure: Structure) -> list[str]:
    return list(structure.services.current().order_by("code").values_list("code", flat=True))
