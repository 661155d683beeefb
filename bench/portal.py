"""Server time of the portal's invoice lists and searches on PostgreSQL, at 1,000,000 invoices.

    make bench            (or: .venv/bin/python bench/portal.py [--invoices N] [--rounds N]
                           [--explain] [--target MS])

Starts a throwaway PostgreSQL 15 cluster, as scripts/test.sh does (initdb as the `postgres`
user when run as root, a free port on 127.0.0.1, fsync off), and removes it at the end; or
uses the database CHOEUR_DATABASE_URL names (empty: loaded; holding this bench's data set:
reused as it is; holding anything else: refused). Then it migrates, loads a data set in bulk
(structures with the ORM's bulk_create, invoices with one INSERT ... SELECT generate_series,
the invoice indexes built after the rows, then VACUUM ANALYZE):

- 2,000 supplier structures and 300 public recipients with 1 to 30 services each;
- N invoices (default 1,000,000) with status_changed_at over three years: mostly settled
  (MISE_EN_PAIEMENT, COMPTABILISEE, REJETEE...), uniformly old; the ones still in progress
  (MISE_A_DISPOSITION, BROUILLON, SUSPENDUE...) mostly recent; a big supplier issues 5 % of
  them, a big recipient receives 20 %;
- users: the big supplier's gestionnaire, the big recipient's gestionnaire, a user of the big
  recipient limited to two of its services, an accounting firm attached to five suppliers.

Each page is then asked through Django's test client, logged in (force_login), at its real
URL: a few warm-up requests, then --rounds timed ones; the time is around client.get, i.e.
the whole server side (middleware, session, permissions, queries, template). Median and p95
in ms; the target (the issue's acceptance criterion) is < 200 ms. With --explain, the
slowest query of every page over the target is shown with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta

import _cluster

BENCH_DOMAIN = "bench.choeur.test"
SUPPLIERS = 2000
RECIPIENTS = 300
BIG_SUPPLIER_SHARE = 0.05
BIG_RECIPIENT_SHARE = 0.20

# (status, share in %): first the settled ones, spread evenly over three years, then the
# ones in progress, most of them recent. The order matters: see load_invoices().
SETTLED = [
    ("MISE_EN_PAIEMENT", 66), ("COMPTABILISEE", 7), ("REJETEE", 5), ("SERVICE_FAIT", 3),
    ("MANDATEE", 3), ("MISE_A_DISPOSITION_COMPTABLE", 2), ("SUPPRIMEE", 1), ("REFUSEE_1", 0.3),
]
IN_PROGRESS = [
    ("MISE_A_DISPOSITION", 6), ("BROUILLON", 2), ("SUSPENDUE", 0.8), ("A_RECYCLER", 0.5),
    ("A_VALIDER_1", 0.5), ("COMPLETEE", 0.4), ("DEPOSEE", 0.2), ("EN_COURS_ACHEMINEMENT", 0.2),
    ("ERREUR_FOURNISSEUR_SUR_VALIDEUR", 0.1),
]

TRADES = ["Boulangerie", "Papeterie", "Menuiserie", "Plomberie", "Transports", "Imprimerie",
          "Électricité", "Informatique", "Nettoyage", "Traiteur", "Librairie", "Garage",
          "Jardins", "Peinture", "Conseil", "Formation", "Sécurité", "Fournitures", "Bâtiment",
          "Ascenseurs", "Chauffage", "Toitures", "Mobilier", "Laboratoire", "Pharmacie"]
NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
         "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
         "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
         "Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel",
         "Nicolas"]
FORMS = ["SARL", "SAS", "SA", "EURL", "SASU"]
BODIES = ["Commune de", "Centre hospitalier de", "Lycée Victor Hugo de", "Collège Jean Moulin de",
          "Communauté d'agglomération de", "Université de", "Préfecture de",
          "Centre communal d'action sociale de", "Office de tourisme de", "Syndicat des eaux de"]
CITIES = ["Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier",
          "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Grenoble", "Dijon", "Angers",
          "Nîmes", "Villeurbanne", "Clermont-Ferrand", "Le Mans", "Aix-en-Provence", "Brest",
          "Tours", "Amiens", "Limoges", "Annecy", "Perpignan", "Metz", "Besançon", "Orléans",
          "Rouen", "Mulhouse", "Caen", "Nancy", "Argenteuil", "Roubaix", "Tourcoing"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# --- The data set --------------------------------------------------------------------------


@dataclass
class World:
    supplier_ids: list[int]
    recipient_ids: list[int]


@dataclass(frozen=True)
class Spread:
    """How the invoices spread over structures and time (bench/ten_million.py widens it).

    `supplier_pick` and `recipient_pick` are SQL expressions over the arrays `ids.sup` and
    `ids.rec` (the structures' ids, the big one first) choosing one per invoice; `days`: the
    settled invoices' ages, uniform; `recent_days`: the scale of the ones in progress (their
    age is recent_days × r⁴, mostly recent)."""

    suppliers: int = SUPPLIERS
    recipients: int = RECIPIENTS
    days: int = 1095
    recent_days: int = 1095
    supplier_pick: str = (
        "CASE WHEN random() < %(big_supplier_share)s THEN ids.sup[1] "
        "ELSE ids.sup[2 + floor(power(random(), 1.6) * (cardinality(ids.sup) - 1))::int] END")
    recipient_pick: str = (
        "CASE WHEN random() < %(big_recipient_share)s THEN ids.rec[1] "
        "ELSE ids.rec[2 + floor(power(random(), 1.6) * (cardinality(ids.rec) - 1))::int] END")


def siret(siren: int, establishment: int) -> str:
    from stdnum import luhn

    body = f"{siren:09d}{establishment:04d}"
    return body + luhn.calc_check_digit(body)


def load_structures(rng, spread: Spread = Spread()) -> World:
    from choeur.core import clock
    from choeur.organisations.models import OpenEspace, Service, Structure
    from choeur.organisations.services import DEFAULT_ESPACES

    now = clock.now()
    structures = []
    sirens = rng.sample(range(300_000_000, 999_999_999), spread.suppliers)
    for n, siren in enumerate(sirens):
        structures.append(Structure(
            identifier_type="SIRET", identifier=siret(siren, 10 + n % 7),
            kind=Structure.Kind.PRIVEE,
            company_name=f"{rng.choice(TRADES)} {rng.choice(NAMES)} {rng.choice(FORMS)}",
            postcode=f"{rng.randrange(1000, 95999):05d}", city=rng.choice(CITIES),
            created_at=now, updated_at=now))
    public = [(body, city) for city in CITIES for body in BODIES]
    rng.shuffle(public)
    sirens = rng.sample(range(200_000_000, 299_999_999), spread.recipients)
    for n, siren in enumerate(sirens):
        body, city = public[n % len(public)]
        suffix = f" ({n // len(public) + 1})" if n >= len(public) else ""
        structures.append(Structure(
            identifier_type="SIRET", identifier=siret(siren, 13),
            kind=Structure.Kind.PUBLIQUE, company_name=f"{body} {city}{suffix}",
            city=city, created_at=now, updated_at=now))
    Structure.objects.bulk_create(structures, batch_size=1000)
    suppliers, recipients = structures[:spread.suppliers], structures[spread.suppliers:]
    services = []
    for n, recipient in enumerate(recipients):
        count = 30 if n == 0 else rng.choice([1, 1, 1, 2, 3, 4, 6])
        services.append(Service(structure=recipient, code=Service.DEFAULT_PUBLIC_CODE,
                                name="Factures publiques", created_at=now, updated_at=now))
        for k in range(1, count):
            services.append(Service(structure=recipient, code=f"SERVICE-{k:02d}",
                                    name=f"Service {k}", created_at=now, updated_at=now))
    Service.objects.bulk_create(services, batch_size=1000)
    OpenEspace.objects.bulk_create(
        [OpenEspace(structure=s, espace=e, opened_at=now)
         for s in structures for e in DEFAULT_ESPACES[s.kind]], batch_size=2000)
    return World([s.pk for s in suppliers], [s.pk for s in recipients])


def make_users(world: World) -> None:
    from choeur.accounts.models import User
    from choeur.organisations.models import (
        Espace,
        Habilitation,
        HabilitationMode,
        Rattachement,
        Service,
    )

    role = Rattachement.Role

    def user(name: str, attachments: list[tuple[int, str]]) -> None:
        person = User.objects.create_user(email=f"{name}@{BENCH_DOMAIN}")  # no password
        for structure_id, rank in attachments:
            Rattachement.objects.create(user=person, structure_id=structure_id, role=rank,
                                        status=Rattachement.Status.VALIDEE)

    big_supplier, big_recipient = world.supplier_ids[0], world.recipient_ids[0]
    user("fournisseur", [(big_supplier, role.GESTIONNAIRE_PRINCIPAL)])
    user("destinataire", [(big_recipient, role.GESTIONNAIRE_PRINCIPAL)])
    user("service", [(big_recipient, role.UTILISATEUR)])
    user("cabinet", [(pk, role.GESTIONNAIRE) for pk in world.supplier_ids[1:6]])
    limited = Rattachement.objects.get(user__email=f"service@{BENCH_DOMAIN}")
    limited.services.set(Service.objects.filter(structure_id=big_recipient,
                                                code__in=["SERVICE-03", "SERVICE-11"]))
    Habilitation.objects.create(rattachement=limited, espace=Espace.FACTURES_RECUES,
                                mode=HabilitationMode.CONSULTATION)


def _case(column: str, choices: list[tuple[str, float]]) -> str:
    """CASE on a uniform [0, 1) column picking one of the weighted choices (constants only)."""
    total = sum(weight for _, weight in choices)
    cumulated, branches = 0.0, []
    for value, weight in choices[:-1]:
        cumulated += weight / total
        branches.append(f"WHEN {column} < {cumulated:.6f} THEN '{value}'")
    return f"CASE {' '.join(branches)} ELSE '{choices[-1][0]}' END"


def load_invoices(world: World, count: int, spread: Spread = Spread()) -> None:
    """One INSERT ... SELECT over generate_series: every random draw is made once per row in
    the inner query (OFFSET 0 keeps PostgreSQL from inlining it, which would draw again);
    the outer query derives the columns from them. Columns not named here get the model's
    default, so that a field added later does not break the bench."""
    from django.db import DatabaseError, connection, transaction

    from choeur.core import clock
    from choeur.invoicing.models import Invoice

    statuses = SETTLED + IN_PROGRESS
    settled_share = sum(w for _, w in SETTLED) / sum(w for _, w in statuses)
    age = (f"(CASE WHEN a.r_status < {settled_share:.6f} "
           f"THEN a.r_age * interval '{spread.days} days' "
           f"ELSE power(a.r_age, 4) * interval '{spread.recent_days} days' END)")
    year = "extract(year FROM b.invoice_date)::int"
    derived = {
        "supplier_id": "b.supplier_id",
        "recipient_id": "b.recipient_id",
        "recipient_service_id": (
            "CASE WHEN s.ids IS NULL OR (b.recipient_id <> %(big_recipient)s AND b.r_svc < 0.25)"
            " THEN NULL ELSE s.ids[1 + floor(power(b.r_svc2, 1.5) * cardinality(s.ids))::int]"
            " END"),
        "status": "b.status",
        "status_changed_at": "b.changed_at",
        "cadre": ("CASE WHEN b.status IN ('A_VALIDER_1', 'REFUSEE_1', "
                  "'ERREUR_FOURNISSEUR_SUR_VALIDEUR') THEN 'A9_FACTURE_SOUSTRAITANT' "
                  "WHEN b.r_misc < 0.05 THEN 'A2_FACTURE_FOURNISSEUR_DEJA_PAYEE' "
                  "ELSE 'A1_FACTURE_FOURNISSEUR' END"),
        "validator_id": ("CASE WHEN b.status IN ('A_VALIDER_1', 'REFUSEE_1', "
                         "'ERREUR_FOURNISSEUR_SUR_VALIDEUR') THEN %(other_supplier)s END"),
        "validation_due_at": ("CASE WHEN b.status = 'A_VALIDER_1' "
                              "THEN b.changed_at + interval '15 days' END"),
        "type_facture": "CASE WHEN b.r_misc > 0.97 THEN 'AVOIR' ELSE 'FACTURE' END",
        "number": (f"(ARRAY['FA-', 'F', 'FAC', 'INV-', '', 'FACT/'])[1 + mod(b.supplier_id, 6)] "
                   f"|| {year} || '-' || lpad(b.i::text, 7, '0')"),
        "number_year": year,
        "invoice_date": "b.invoice_date",
        "deposited_at": ("CASE WHEN b.status <> 'BROUILLON' "
                         "THEN b.changed_at - b.r_misc * interval '40 days' END"),
        "engagement_number": "'EJ' || lpad(mod(b.i, 99991)::text, 8, '0')",
        "payment_mode": "'VIREMENT'",
        "total_ht": "round((10 + power(b.r_amount, 3) * 50000)::numeric, 2)",
        "total_tva": "round((10 + power(b.r_amount, 3) * 50000)::numeric * 0.2, 2)",
        "total_ttc": "round((10 + power(b.r_amount, 3) * 50000)::numeric * 1.2, 2)",
        "amount_due": "round((10 + power(b.r_amount, 3) * 50000)::numeric * 1.2, 2)",
        "mode_depot": _case("b.r_misc", [("SAISIE_PORTAIL", 3), ("DEPOT_PDF_PORTAIL", 3),
                                         ("UPLOAD_API", 2), ("EDI", 2)]),
        "main_file_sha256": "md5(b.i::text) || md5((b.i + 1)::text)",
        "main_file_name": "'facture-' || lpad(b.i::text, 7, '0') || '.pdf'",
        "certificate_sha256": ("CASE WHEN b.status <> 'BROUILLON' "
                               "THEN md5((-b.i)::text) || md5((b.i * 7)::text) ELSE '' END"),
        # Taken note of within 5 days: only the recent ones are pending (none overdue, which
        # would block every page but the acknowledgement one).
        "acknowledged": ("b.status IN ('REJETEE', 'SUSPENDUE') "
                         "AND b.changed_at < %(now)s - interval '5 days'"),
        "downloaded_by_recipient": ("b.status NOT IN ('BROUILLON', 'SUPPRIMEE', 'A_VALIDER_1', "
                                    "'REFUSEE_1', 'DEPOSEE', 'EN_COURS_ACHEMINEMENT', "
                                    "'ERREUR_FOURNISSEUR_SUR_VALIDEUR') "
                                    "AND NOT (b.status = 'MISE_A_DISPOSITION' AND b.r_svc < 0.5)"),
        "created_at": "b.changed_at - b.r_misc * interval '45 days'",
        "updated_at": "b.changed_at",
    }
    columns, expressions, params = [], [], {
        "n": count, "now": clock.now(), "big_supplier_share": BIG_SUPPLIER_SHARE,
        "big_recipient_share": BIG_RECIPIENT_SHARE, "suppliers": world.supplier_ids,
        "recipients": world.recipient_ids, "big_recipient": world.recipient_ids[0],
        "other_supplier": world.supplier_ids[-1]}
    for model_field in Invoice._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.column in derived:
            expressions.append(derived[model_field.column])
        else:
            name = f"default_{model_field.column}"
            params[name] = model_field.get_default()
            expressions.append(f"CAST(%({name})s AS {model_field.db_type(connection)})")
    sql = f"""
        INSERT INTO invoicing_invoice ({", ".join(columns)})
        SELECT {", ".join(expressions)}
        FROM (
            SELECT a.*, {_case("a.r_status", statuses)} AS status,
                   %(now)s - {age} AS changed_at,
                   (%(now)s - {age} - a.r_misc * interval '30 days')::date AS invoice_date
            FROM (
                SELECT g.i, {spread.supplier_pick} AS supplier_id,
                       {spread.recipient_pick} AS recipient_id,
                       random() AS r_status, random() AS r_age, random() AS r_misc,
                       random() AS r_amount, random() AS r_svc, random() AS r_svc2
                FROM generate_series(1, %(n)s) AS g(i),
                     (SELECT %(suppliers)s::bigint[] AS sup,
                             %(recipients)s::bigint[] AS rec) AS ids
                OFFSET 0
            ) AS a
        ) AS b
        LEFT JOIN bench_services AS s ON s.structure_id = b.recipient_id
    """  # noqa: S608 (constants and the model's own names only)
    with connection.cursor() as cursor:
        # Every id comes from the rows just made: the foreign key checks (one per key and
        # row) can be skipped, where the role allows it (a superuser, as in our own cluster).
        try:
            with transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            pass
        cursor.execute("SELECT setseed(0.4242)")
        cursor.execute("DROP TABLE IF EXISTS bench_services")
        cursor.execute("CREATE TEMPORARY TABLE bench_services AS "
                       "SELECT structure_id, array_agg(id ORDER BY id) AS ids "
                       "FROM organisations_service GROUP BY structure_id")
        cursor.execute(sql, params)
        cursor.execute("RESET session_replication_role")


def invoice_indexes(table: str = "invoicing_invoice") -> list[tuple[str, str]]:
    """A table's indexes that back no constraint (name, CREATE INDEX statement): dropped
    before a bulk load and built after it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1""", [table])
        return cursor.fetchall()


def add_detail_rows(invoice) -> None:
    """Lines, VAT breakdown and history for a detail page (the bulk invoices have none)."""
    from decimal import Decimal as D

    from choeur.invoicing.models import InvoiceLine, StatusChange, VatLine

    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, number=n, designation=f"Article {n}", quantity=D(n * 10),
                    unit="C62", unit_price=D("4.35"), vat_rate=D("20"), total_ht=D(n * 43.5))
        for n in range(1, 6)])
    VatLine.objects.create(invoice=invoice, rate=D("20"), base_ht=invoice.total_ht,
                           amount=invoice.total_tva)
    at = invoice.status_changed_at
    StatusChange.objects.bulk_create([
        StatusChange(invoice=invoice, status=status, previous=previous,
                     at=at - timedelta(days=days), actor_label="Choeur")
        for status, previous, days in [("DEPOSEE", "BROUILLON", 30),
                                       ("EN_COURS_ACHEMINEMENT", "DEPOSEE", 30),
                                       ("MISE_A_DISPOSITION", "EN_COURS_ACHEMINEMENT", 29),
                                       (invoice.status, "MISE_A_DISPOSITION", 0)]])


def load(count: int, spread: Spread = Spread()) -> dict[str, float]:
    import random

    from django.db import connection

    from choeur.invoicing import tally
    from choeur.invoicing.models import Invoice

    timings = {}
    started = time.perf_counter()
    world = load_structures(random.Random(42), spread)  # noqa: S311
    make_users(world)
    timings["structures, services, users"] = time.perf_counter() - started

    indexes = invoice_indexes()
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    started = time.perf_counter()
    load_invoices(world, count, spread)
    timings[f"{count:,} invoices (INSERT ... SELECT)"] = time.perf_counter() - started
    started = time.perf_counter()
    tally.rebuild()  # the load ran with triggers off (session_replication_role = replica)
    timings["invoice tally"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _, statement in indexes:
            cursor.execute(statement)
    timings[f"{len(indexes)} invoice indexes"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.perf_counter() - started

    for invoice in (Invoice.objects.filter(supplier_id=world.supplier_ids[0],
                                           status="MISE_EN_PAIEMENT")
                    .order_by("-status_changed_at").first(),
                    Invoice.objects.filter(recipient_id=world.recipient_ids[0],
                                           status="MISE_A_DISPOSITION")
                    .order_by("-status_changed_at").first()):
        add_detail_rows(invoice)
    return timings


def database_state() -> str:
    """"empty", "bench" (this bench's data set, reused) or "other" (refused)."""
    from choeur.accounts.models import User
    from choeur.invoicing.models import Invoice

    if User.objects.filter(email=f"fournisseur@{BENCH_DOMAIN}").exists():
        return "bench"
    if Invoice.objects.exists() or User.objects.exists():
        return "other"
    return "empty"


# --- The pages -----------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    user: str
    url: str
    params: dict = field(default_factory=dict)
    detail: bool = False  # an invoice's page, not a list


ROW = re.compile(r'<td><a href="/factures/(?:emises|recues)/\d+/">')
NEXT = re.compile(r'<a href="\?([^"]*apres=[^"]*)">')


def pages(client_for) -> list[Page]:
    """The pages to measure, with search values taken from the data set."""
    from django.db.models import Count
    from django.urls import reverse

    from choeur.invoicing.models import Invoice
    from choeur.organisations.models import Structure

    def structure_of(name: str) -> Structure:
        return Structure.objects.get(rattachements__user__email=f"{name}@{BENCH_DOMAIN}")

    big_supplier, big_recipient = structure_of("fournisseur"), structure_of("destinataire")
    issued = reverse("invoicing:issued_list")
    received = reverse("invoicing:received_list")

    def next_cursor(user: str, url: str) -> dict:
        body = client_for(user).get(url).content.decode()
        match = NEXT.search(body)
        return dict(pair.split("=", 1) for pair in html.unescape(match[1]).split("&"))

    def sample(**filters) -> Invoice:
        """Neither the newest nor on the first pages: the 500th newest (fewer in small sets)."""
        chosen = Invoice.objects.filter(**filters).exclude(status="SUPPRIMEE")
        rank = min(500, chosen.count() // 4)
        return chosen.order_by("-status_changed_at")[rank:rank + 1].get()

    mine = sample(supplier=big_supplier)
    theirs = sample(recipient=big_recipient, status="MISE_EN_PAIEMENT")
    # A partner with a fair share of the big structures' invoices, and one with a few.
    partners = (Invoice.objects.filter(supplier=big_supplier).values("recipient")
                .annotate(n=Count("id")).order_by("-n"))
    recipient = Structure.objects.get(pk=partners[5]["recipient"])
    suppliers = (Invoice.objects.filter(recipient=big_recipient).values("supplier")
                 .annotate(n=Count("id")).order_by("n"))
    small_supplier = Structure.objects.get(pk=suppliers[len(suppliers) // 2]["supplier"])
    busy_supplier = Structure.objects.get(pk=suppliers[len(suppliers) - 3]["supplier"])
    trade = small_supplier.company_name.split()[0]
    year = str(theirs.number_year)
    detail_issued = Invoice.objects.filter(supplier=big_supplier, lines__isnull=False).first()
    detail_received = Invoice.objects.filter(recipient=big_recipient,
                                             lines__isnull=False).first()
    limited = sample(recipient=big_recipient,
                     recipient_service__rattachements__user__email=f"service@{BENCH_DOMAIN}")
    return [
        Page("émises: page 1", "fournisseur", issued),
        Page("émises: à traiter", "fournisseur", issued, {"onglet": "a-traiter"}),
        Page("émises: page 2", "fournisseur", issued, next_cursor("fournisseur", issued)),
        Page(f"émises: n° exact {mine.number}", "fournisseur", issued, {"numero": mine.number}),
        Page(f"émises: n° partiel {mine.number[-5:]}", "fournisseur", issued,
             {"numero": mine.number[-5:]}),
        Page(f"émises: n° partiel {year} (fréquent)", "fournisseur", issued, {"numero": year}),
        Page("émises: n° absent", "fournisseur", issued, {"numero": "ZZ-0000"}),
        Page("émises: SIRET destinataire", "fournisseur", issued,
             {"partenaire": recipient.identifier}),
        Page("émises: SIREN destinataire", "fournisseur", issued,
             {"partenaire": recipient.identifier[:9]}),
        Page(f"émises: nom « {recipient.company_name[:22]} »", "fournisseur", issued,
             {"partenaire": recipient.company_name}),
        Page("émises: nom « Commune » (fréquent)", "fournisseur", issued,
             {"partenaire": "Commune"}),
        Page("émises: statut SUSPENDUE", "fournisseur", issued, {"statut": "SUSPENDUE"}),
        Page("émises: statut MISE_EN_PAIEMENT", "fournisseur", issued,
             {"statut": "MISE_EN_PAIEMENT"}),
        Page("émises: à traiter + statut A_RECYCLER", "fournisseur", issued,
             {"onglet": "a-traiter", "statut": "A_RECYCLER"}),
        Page("émises: détail", "fournisseur",
             reverse("invoicing:issued_detail", args=[detail_issued.pk]), detail=True),
        Page("reçues: page 1", "destinataire", received),
        Page("reçues: à traiter", "destinataire", received, {"onglet": "a-traiter"}),
        Page("reçues: page 2", "destinataire", received, next_cursor("destinataire", received)),
        Page(f"reçues: n° exact {theirs.number}", "destinataire", received,
             {"numero": theirs.number}),
        Page(f"reçues: n° partiel {theirs.number[-5:]}", "destinataire", received,
             {"numero": theirs.number[-5:]}),
        Page(f"reçues: n° partiel {year} (fréquent)", "destinataire", received,
             {"numero": year}),
        Page("reçues: n° absent", "destinataire", received, {"numero": "ZZ-0000"}),
        Page("reçues: SIRET fournisseur", "destinataire", received,
             {"partenaire": small_supplier.identifier}),
        Page("reçues: SIRET fournisseur actif", "destinataire", received,
             {"partenaire": busy_supplier.identifier}),
        Page(f"reçues: nom « {trade} » (fréquent)", "destinataire", received,
             {"partenaire": trade}),
        Page(f"reçues: nom « {small_supplier.company_name[:22]} »", "destinataire", received,
             {"partenaire": small_supplier.company_name}),
        Page("reçues: statut COMPLETEE", "destinataire", received, {"statut": "COMPLETEE"}),
        Page("reçues: statut MISE_EN_PAIEMENT", "destinataire", received,
             {"statut": "MISE_EN_PAIEMENT"}),
        Page("reçues: détail", "destinataire",
             reverse("invoicing:received_detail", args=[detail_received.pk]), detail=True),
        Page("reçues, 2 services: page 1", "service", received),
        Page("reçues, 2 services: à traiter", "service", received, {"onglet": "a-traiter"}),
        Page("reçues, 2 services: page 2", "service", received, next_cursor("service", received)),
        Page(f"reçues, 2 services: n° {limited.number}", "service", received,
             {"numero": limited.number}),
        Page("reçues, 2 services: nom « Commune »", "service", received,
             {"partenaire": "Commune"}),
        Page("émises, 5 structures: page 1", "cabinet", issued),
        Page("émises, 5 structures: à traiter", "cabinet", issued, {"onglet": "a-traiter"}),
        Page("émises, 5 structures: page 2", "cabinet", issued, next_cursor("cabinet", issued)),
        Page(f"émises, 5 structures: n° {year}", "cabinet", issued, {"numero": year}),
    ]


@dataclass
class Result:
    page: Page
    times: list[float]
    cpu: list[float]
    rows: int | None
    queries: int
    slowest_sql: str
    slowest_ms: float
    db_cpu: list[float] = field(default_factory=list)  # the PostgreSQL backend's, ms


def measure(page: Page, client, rounds: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response = client.get(page.url, page.params)
        if response.status_code != 200:
            sys.exit(f"{page.label}: HTTP {response.status_code} for {page.url} {page.params}")
    times, cpu, db_cpu = [], [], []
    for _ in range(rounds):
        started_db = _cluster.backend_cpu()
        started, started_cpu = time.perf_counter(), time.thread_time()
        client.get(page.url, page.params)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        db_cpu.append((_cluster.backend_cpu() - started_db) * 1000)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(page.url, page.params).content.decode()
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    rows = None if page.detail else len(ROW.findall(body))
    return Result(page, times, cpu, rows, len(captured.captured_queries),
                  slowest["sql"], float(slowest["time"]) * 1000, db_cpu)



def logged_in_clients():
    """`client_for(name)`: a test client logged in as the bench user `name`, past the pop-up
    of pending rejections (« Plus tard »), made once."""
    from django.test import Client

    from choeur.accounts.models import User

    clients: dict[str, Client] = {}

    def client_for(name: str) -> Client:
        if name not in clients:
            client = clients[name] = Client(SERVER_NAME="localhost")
            client.force_login(User.objects.get(email=f"{name}@{BENCH_DOMAIN}"))
            response = client.get("/")
            if response.status_code == 302:
                response = client.post(response["Location"].split("?")[0], {"next": "/"})
            if client.get("/").status_code != 200:
                sys.exit(f"{name}@{BENCH_DOMAIN} cannot open the home page")
        return clients[name]

    return client_for


def measure_pages(client_for, rounds: int, target: float) -> list[Result]:
    """Every page of pages(), timed and printed as a table; the results."""
    print(f"\nServer time per page (ms), {rounds} requests after a warm-up; "
          f"target < {target:.0f} ms. rows: invoices shown; SQL: queries per page; "
          f"\ncpu: the Python side's median, db: the PostgreSQL backend's CPU median (the rest "
          f"is waiting for a core; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores):")
    print(f"  {'page':<46} {'user':<12} {'rows':>4} {'SQL':>4} {'median':>8} {'p95':>8} "
          f"{'cpu':>6} {'db':>6} {'slowest SQL':>11}")
    results = []
    for page in pages(client_for):
        result = measure(page, client_for(page.user), rounds)
        results.append(result)
        median = statistics.median(result.times)
        flag = "" if median < target and p95(result.times) < target else "  ✗"
        rows = "—" if result.rows is None else result.rows
        print(f"  {page.label[:46]:<46} {page.user:<12} {rows:>4} {result.queries:>4} "
              f"{median:>8.1f} {p95(result.times):>8.1f} {statistics.median(result.cpu):>6.1f} "
              f"{statistics.median(result.db_cpu):>6.1f} {result.slowest_ms:>11.1f}{flag}",
              flush=True)
    slow = [r for r in results if p95(r.times) >= target]
    everything = [t for r in results for t in r.times]
    print(f"\n  all pages: median {statistics.median(everything):.1f} ms, "
          f"p95 {p95(everything):.1f} ms, worst page p95 "
          f"{max(p95(r.times) for r in results):.1f} ms; "
          f"{len(slow)} page(s) over {target:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per page")
    parser.add_argument("--target", type=float, default=200.0, help="ms, server time")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the slowest query of each page over the target")
    args = parser.parse_args()

    _cluster.run_in_django(run_bench, args)


def run_bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from choeur.accounts.models import User
    from choeur.invoicing.models import Invoice

    if connection.vendor != "postgresql":
        sys.exit("bench/portal.py measures PostgreSQL: CHOEUR_DATABASE_URL must be postgresql://")
    call_command("migrate", verbosity=0)
    state = database_state()
    if state == "other":
        sys.exit("The database of CHOEUR_DATABASE_URL holds other data: give an empty one.")
    if state == "empty":
        print(f"\nLoading {args.invoices:,} invoices:")
        started = time.perf_counter()
        for step, seconds in load(args.invoices).items():
            print(f"  {step:<40} {seconds:8.1f} s")
        print(f"  {'total':<40} {time.perf_counter() - started:8.1f} s")
    else:
        print(f"\nReusing this bench's data set ({Invoice.objects.count():,} invoices).")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics of the indexes a migration may have added
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_table_size('invoicing_invoice')), "
                       "pg_size_pretty(pg_indexes_size('invoicing_invoice'))")
        table, indexes = cursor.fetchone()
    print(f"  invoicing_invoice: {table} of rows, {indexes} of indexes")
    for name in ("fournisseur", "destinataire", "service", "cabinet"):
        user = User.objects.get(email=f"{name}@{BENCH_DOMAIN}")
        structures = [r.structure_id for r in user.rattachements.all()]
        issued = Invoice.objects.filter(supplier_id__in=structures).count()
        received = Invoice.objects.filter(recipient_id__in=structures).count()
        print(f"  {name + '@':<14} {len(structures)} structure(s), {issued:>9,} issued, "
              f"{received:>9,} received")

    results = measure_pages(logged_in_clients(), args.rounds, args.target)
    slow = [r for r in results if p95(r.times) >= args.target]
    if args.explain:
        for result in slow:
            print(f"\n== {result.page.label}: slowest query ({result.slowest_ms:.1f} ms)\n"
                  f"{result.slowest_sql}\n\n{_cluster.explain(result.slowest_sql)}")


if __name__ == "__main__":
    main()
