"""Server time of the annuaire's searches on PostgreSQL, at 1,000,000 structures.

    make bench            (or: .venv/bin/python bench/annuaire.py [--structures N]
                           [--public N] [--rounds N] [--explain] [--target MS])

Starts a throwaway PostgreSQL 15 cluster (bench/_cluster.py, as bench/portal.py does) and
removes it at the end; or uses the database CHOEUR_DATABASE_URL names (empty: loaded; holding
this bench's data set: reused as it is, after `migrate` — which is how a new index migration is
measured on the same rows, and how its concurrent build is tried on a big table; holding
anything else: refused). It migrates, then loads in bulk, with one INSERT ... SELECT over
generate_series each:

- N structures (default 1,000,000), of which --public (default 100,000) are public (98 %
  active): communes, CCAS, collèges, lycées, EHPAD, hospitals, syndicates... named after ~4,000
  communes; the others private companies ("Boulangerie Martin SARL"); every structure in a
  commune drawn with a skew towards the big cities (Paris, Lyon and Marseille with their
  arrondissements' postcodes), SIRETs starting 1 or 2 for public bodies, 3 to 9 otherwise;
- every public structure's services (FACTURES_PUBLIQUES and up to five more, ~250,000);
- a private structure with a gestionnaire, a technical account and an OAuth2 client (made by
  the use cases of organisations.raccordements) for the API calls.

Then VACUUM ANALYZE, and each search is asked --rounds times after a warm-up, at its real URL
with Django's test client: the portal's annuaire page (`/annuaire/`, anonymous, the view's
paginator: COUNT then 50 rows and their services), the Structures API's
`structures/v1/rechercher` and the referential's `organisations/v1/structures/recherche` and
`siren/recherche` (token + `cpro-account`). The time is around the client call: the whole
server side. Median and p95 in ms; the target is p95 < 50 ms for every search. With --explain,
the slowest query of every search is shown with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

import _cluster

BENCH_DOMAIN = "annuaire.bench.choeur.test"
JSON = "application/json;charset=utf-8"

# Communes: the big cities first (their arrondissements as separate postcodes), then names
# made of a head and a tail, as French communes are ("Saint-Cyr-en-Bresse").
BIG_CITIES = [("Paris", [f"750{n:02d}" for n in range(1, 21)]),
              ("Marseille", [f"130{n:02d}" for n in range(1, 17)]),
              ("Lyon", [f"6900{n}" for n in range(1, 10)]),
              ("Toulouse", ["31000", "31100", "31200", "31300", "31400", "31500"]),
              ("Nice", ["06000", "06100", "06200", "06300"]), ("Nantes", ["44000", "44100",
                                                                     "44200", "44300"]),
              ("Strasbourg", ["67000", "67100", "67200"]), ("Montpellier", ["34000", "34070",
                                                                          "34080", "34090"]),
              ("Bordeaux", ["33000", "33100", "33200", "33300", "33800"]),
              ("Lille", ["59000", "59160", "59260", "59777", "59800"]),
              ("Rennes", ["35000", "35200", "35700"]), ("Reims", ["51100"]),
              ("Toulon", ["83000", "83100", "83200"]), ("Grenoble", ["38000", "38100"]),
              ("Dijon", ["21000"]), ("Angers", ["49000", "49100"]), ("Nîmes", ["30000", "30900"]),
              ("Villeurbanne", ["69100"]), ("Clermont-Ferrand", ["63000", "63100"]),
              ("Le Mans", ["72000", "72100"]), ("Aix-en-Provence", ["13080", "13090", "13100"]),
              ("Brest", ["29200"]), ("Tours", ["37000", "37100", "37200"]), ("Amiens", ["80000",
                                                                                   "80080"]),
              ("Limoges", ["87000", "87100"]), ("Annecy", ["74000"]), ("Perpignan", ["66000",
                                                                                   "66100"]),
              ("Metz", ["57000", "57050", "57070"]), ("Besançon", ["25000"]),
              ("Orléans", ["45000", "45100"]), ("Rouen", ["76000", "76100"]),
              ("Mulhouse", ["68100", "68200"]), ("Caen", ["14000"]), ("Nancy", ["54000",
                                                                                "54100"])]
SAINTS = ["Aubin", "Martin", "Germain", "Laurent", "Denis", "Étienne", "Jean", "Pierre", "Paul",
          "Michel", "Georges", "Hilaire", "Julien", "Maur", "Médard", "Quentin", "Rémy", "Cyr",
          "Sauveur", "Vincent", "Amand", "André", "Didier", "Genis", "Gervais", "Lambert",
          "Léger", "Loup", "Lubin", "Marcel", "Nazaire", "Ouen", "Priest", "Romain", "Sulpice",
          "Symphorien", "Thibault", "Urbain", "Victor", "Yrieix"]
PLACES = ["Beaumont", "Belleville", "Bourg", "Chabrol", "Champagne", "Châteauneuf",
          "Clairvaux", "Fontaine", "Fougerolles", "Marcillac", "Montfort", "Neuville",
          "Rochefort", "Roquebrune", "Vaux", "Villiers", "Vernon", "Villeneuve", "Montreuil",
          "Charmes", "Bréhal", "Coulanges", "Dampierre", "Échallon", "Ferrières", "Gondreville",
          "Hautefort", "Issigeac", "Jaulnay", "Lagarde", "Lussac", "Mauves", "Nogent",
          "Orgelet", "Pouilly", "Quincy", "Rivières", "Sablons", "Tournon", "Ussel",
          "Valence", "Vernoux", "Aubeterre", "Brassac", "Cerisy", "Durfort", "Espalion",
          "Figeac", "Gisors", "Hermies"]
TAILS = ["", "-sur-Loire", "-sur-Mer", "-sur-Seine", "-les-Bains", "-en-Vexin", "-la-Forêt",
         "-le-Château", "-de-Provence", "-sur-Marne", "-d'Azergues", "-en-Bresse", "-sous-Bois",
         "-le-Vieux", "-la-Rivière", "-sur-Garonne", "-en-Auge", "-du-Lac", "-les-Mines",
         "-aux-Bois", "-sur-Rhône", "-en-Argonne", "-la-Chapelle", "-des-Prés", "-sur-Vienne",
         "-le-Haut", "-en-Velay", "-sur-Dordogne", "-les-Vignes", "-du-Bois", "-sur-Lot",
         "-en-Champagne", "-sur-Cher", "-de-Bigorre", "-le-Marais", "-en-Forez", "-sur-Aisne",
         "-des-Landes", "-en-Morvan", "-sur-Indre"]
PEOPLE = ["Jean Moulin", "Victor Hugo", "Jules Ferry", "Marie Curie", "Louise Michel",
          "Jean Jaurès", "Paul Éluard", "Albert Camus", "Jacques Prévert", "Simone Veil",
          "Anne Frank", "Jean de La Fontaine", "Pierre Mendès France", "George Sand",
          "Les Tilleuls", "Les Glycines", "Le Parc", "Les Lilas", "Saint-Exupéry", "Colette"]
# (public body pattern, weight); {c} the commune, {p} a person or a place's name.
BODIES = [("Commune de {c}", 35), ("Centre communal d'action sociale de {c}", 8),
          ("Caisse des écoles de {c}", 4), ("Collège {p} de {c}", 10), ("Lycée {p} de {c}", 6),
          ("EHPAD {p} de {c}", 6), ("Syndicat intercommunal des eaux de {c}", 5),
          ("Communauté de communes de {c}", 3), ("Centre hospitalier de {c}", 2),
          ("Office public de l'habitat de {c}", 2), ("Trésorerie de {c}", 3),
          ("Syndicat mixte de collecte des déchets de {c}", 3),
          ("Service départemental d'incendie et de secours de {c}", 1),
          ("Établissement public foncier de {c}", 1), ("Régie des transports de {c}", 1),
          ("Conservatoire de musique {p} de {c}", 2), ("Bibliothèque {p} de {c}", 2),
          ("Musée {p} de {c}", 1), ("Université de {c}", 1), ("Préfecture de {c}", 1),
          ("Direction départementale des territoires de {c}", 1),
          ("Chambre de commerce et d'industrie de {c}", 1)]
TRADES = ["Boulangerie", "Papeterie", "Menuiserie", "Plomberie", "Transports", "Imprimerie",
          "Électricité", "Informatique", "Nettoyage", "Traiteur", "Librairie", "Garage",
          "Jardins", "Peinture", "Conseil", "Formation", "Sécurité", "Fournitures", "Bâtiment",
          "Ascenseurs", "Chauffage", "Toitures", "Mobilier", "Laboratoire", "Pharmacie",
          "Maçonnerie", "Carrelage", "Serrurerie", "Architecture", "Restauration"]
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
            "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
            "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
            "Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel",
            "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
            "Fontaine", "Chevalier", "Robin"]
FORMS = ["SARL", "SAS", "SA", "EURL", "SASU", "SCI", "SNC"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# --- The data set --------------------------------------------------------------------------


def communes() -> tuple[list[str], list[str]]:
    """(names, postcodes), one entry per postcode, the big cities first."""
    names, postcodes = [], []
    for city, codes in BIG_CITIES:
        for code in codes:
            names.append(city)
            postcodes.append(code)
    heads = [f"Saint-{s}" for s in SAINTS] + PLACES
    k = 0
    for tail in TAILS:
        for head in heads:
            k += 1
            department = 1 + (k * 7919) % 95
            names.append(head + tail)
            postcodes.append(f"{department:02d}{(k * 37) % 1000:03d}")
    return names, postcodes


def _weighted(column: str, choices: list[tuple[str, float]], cast: str = "") -> str:
    """CASE on a uniform [0, 1) column picking one of the weighted SQL expressions."""
    total = sum(weight for _, weight in choices)
    cumulated, branches = 0.0, []
    for value, weight in choices[:-1]:
        cumulated += weight / total
        branches.append(f"WHEN {column} < {cumulated:.6f} THEN {value}{cast}")
    return f"CASE {' '.join(branches)} ELSE {choices[-1][0]}{cast} END"


def _insert_all(model, derived: dict[str, str], select_from: str, params: dict) -> None:
    """INSERT INTO model's table SELECT ... FROM select_from: columns not in `derived` get the
    model's default (so that a field added later does not break the bench)."""
    from django.db import connection

    columns, expressions = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.column in derived:
            expressions.append(derived[model_field.column])
        else:
            name = f"default_{model_field.column}"
            params[name] = model_field.get_default()
            expressions.append(f"CAST(%({name})s AS {model_field.db_type(connection)})")
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
           f"SELECT {', '.join(expressions)} FROM {select_from}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def load_structures(count: int, public: int) -> None:
    """One INSERT ... SELECT: the random draws of each row in the inner query (OFFSET 0 keeps
    PostgreSQL from inlining it, which would draw again), the columns derived from them."""
    from django.db import connection

    from choeur.core import clock
    from choeur.organisations.models import Structure

    names, postcodes = communes()
    # A public body's name: its pattern with the commune ({c}) and a person ({p}) put in.
    body = _weighted("b.r_body", [
        ("replace(replace('" + pattern.replace("'", "''") + "', '{c}', b.commune), "
         "'{p}', b.person)", weight) for pattern, weight in BODIES])
    private = ("w.trades[1 + floor(b.r_a * cardinality(w.trades))::int] || ' ' || "
               "w.surnames[1 + floor(b.r_b * cardinality(w.surnames))::int] || ' ' || "
               "w.forms[1 + floor(b.r_c * cardinality(w.forms))::int]")
    derived = {
        "identifier_type": "'SIRET'",
        # A bijection of 1..N onto 13 digits (the multiplier is prime to 10), after a first
        # digit 1-2 for public bodies (as their SIRENs are), 3-9 for the others: unique.
        "identifier": ("CASE WHEN b.public THEN (1 + (b.i / 7) %% 2)::text "
                       "ELSE (3 + b.i %% 7)::text END || "
                       "lpad(((b.i::numeric * 48271000003 + 1234567) %% 10000000000000)::text, "
                       "13, '0')"),
        "kind": "CASE WHEN b.public THEN 'PUBLIQUE' ELSE 'PRIVEE' END",
        "company_name": f"CASE WHEN b.public THEN {body} ELSE {private} END",
        "address_line1": ("(1 + floor(b.r_a * 120)::int)::text || ' ' || "
                          "(ARRAY['rue', 'avenue', 'place', 'boulevard', 'chemin'])"
                          "[1 + floor(b.r_b * 5)::int] || ' ' || b.person"),
        "postcode": "b.postcode",
        "city": "b.commune",
        "service_code_required": "b.public AND b.r_c < 0.3",
        "engagement_required": "b.public AND b.r_c > 0.8",
        "is_active": "NOT b.public OR b.r_b < 0.98",
        "public_id": "gen_random_uuid()",
    }
    select_from = """(
        SELECT a.*, l.names[a.c] AS commune, l.postcodes[a.c] AS postcode,
               l.people[1 + floor(a.r_a * cardinality(l.people))::int] AS person
        FROM (
            SELECT g.i, g.i %% %(every)s = 0 AS public,
                   1 + floor(power(random(), 3) * %(communes)s)::int AS c,
                   random() AS r_body, random() AS r_a, random() AS r_b, random() AS r_c
            FROM generate_series(1, %(n)s) AS g(i)
            OFFSET 0
        ) AS a, (SELECT %(names)s::text[] AS names, %(postcodes)s::text[] AS postcodes,
                        %(people)s::text[] AS people) AS l
    ) AS b, (SELECT %(trades)s::text[] AS trades, %(surnames)s::text[] AS surnames,
                    %(forms)s::text[] AS forms) AS w"""
    params = {"n": count, "every": max(1, count // public), "names": names,
              "communes": len(names),
              "postcodes": postcodes, "people": PEOPLE, "trades": TRADES, "surnames": SURNAMES,
              "forms": FORMS, "now": clock.now()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.1414)")
    _insert_all(Structure, derived, select_from, params)


def load_services() -> None:
    """FACTURES_PUBLIQUES for every public structure, and up to five more for some."""
    from choeur.organisations.models import Service

    derived = {
        "structure_id": "s.id",
        "code": ("CASE WHEN k.k = 0 THEN 'FACTURES_PUBLIQUES' "
                 "ELSE 'SERVICE-' || lpad(k.k::text, 2, '0') END"),
        "name": ("CASE WHEN k.k = 0 THEN 'Factures publiques' "
                 "ELSE (ARRAY['Services techniques', 'Ressources humaines', 'Finances', "
                 "'Informatique', 'Achats'])[k.k] END"),
        "engagement_required": "k.k > 0 AND s.id %% 3 = 0",
        "public_id": "gen_random_uuid()",
    }
    select_from = ("organisations_structure AS s "
                   "JOIN LATERAL generate_series(0, (s.id * 7) %% 6) AS k(k) ON true "
                   "WHERE s.kind = 'PUBLIQUE'")
    _insert_all(Service, derived, select_from, {})


def make_party() -> None:
    """A private structure of the data set with a gestionnaire (who has an OAuth2 client and
    a technical account, made by the use cases); the data set's marker."""
    from django.db import transaction

    from choeur.accounts.models import User
    from choeur.core import clock
    from choeur.organisations.models import OpenEspace, Rattachement, Structure
    from choeur.organisations.services import DEFAULT_ESPACES

    structure = (Structure.objects.filter(kind=Structure.Kind.PRIVEE, is_active=True)
                 .order_by("pk").first())
    with transaction.atomic():
        user = User.objects.create_user(email=f"gestionnaire@{BENCH_DOMAIN}")  # no password
        Rattachement.objects.create(user=user, structure=structure,
                                    role=Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
                                    status=Rattachement.Status.VALIDEE)
        OpenEspace.objects.bulk_create(
            [OpenEspace(structure=structure, espace=e, opened_at=clock.now())
             for e in DEFAULT_ESPACES[structure.kind]], ignore_conflicts=True)


def credentials() -> tuple[str, str, str, str]:
    """(client id, secret, login, password): a new OAuth2 client and technical account of the
    bench's structure (secrets are shown once: each run makes its own)."""
    from django.db import transaction

    from choeur.accounts.models import User
    from choeur.organisations import raccordements

    user = User.objects.get(email=f"gestionnaire@{BENCH_DOMAIN}")
    structure = user.rattachements.get().structure
    with transaction.atomic():
        client, secret = raccordements.create_api_client(user, structure, "Bench annuaire")
        account, password = raccordements.create_technical_account(user, structure)
    return client.client_id, secret, account.login, password


def load(count: int, public: int) -> dict[str, float]:
    from django.db import connection

    timings = {}
    started = time.perf_counter()
    load_structures(count, public)
    timings[f"{count:,} structures (INSERT ... SELECT)"] = time.perf_counter() - started
    started = time.perf_counter()
    load_services()
    timings["services of the public structures"] = time.perf_counter() - started
    make_party()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.perf_counter() - started
    return timings


def database_state() -> str:
    """"empty", "bench" (this bench's data set, reused) or "other" (refused)."""
    from choeur.accounts.models import User
    from choeur.organisations.models import Structure

    if User.objects.filter(email=f"gestionnaire@{BENCH_DOMAIN}").exists():
        return "bench"
    if Structure.objects.exists() or User.objects.exists():
        return "other"
    return "empty"


# --- The searches ----------------------------------------------------------------------------


@dataclass
class Search:
    label: str
    channel: str  # "portal", "structures", "organisations", "siren"
    query: dict = field(default_factory=dict)


def searches() -> list[Search]:
    """Typical searches, their values taken from the data set."""
    from django.db.models import Count

    from choeur.organisations.models import Structure

    public = Structure.objects.filter(kind=Structure.Kind.PUBLIQUE, is_active=True)
    colleges = public.filter(company_name__startswith="Collège").order_by("pk")
    one = colleges[min(500, colleges.count() // 2)]
    # A commune with a few public bodies: a rare name.
    rare = (public.filter(company_name__startswith="Commune de ").values("city")
            .annotate(n=Count("id")).filter(n__gte=3).order_by("n", "city")[0]["city"])
    siret, siren, department = one.identifier, one.identifier[:9], one.postcode[:2]
    full_name = one.company_name
    portal = [
        Search(f"SIRET exact {siret}", "portal", {"siret": siret}),
        Search(f"SIRET début (SIREN) {siren}", "portal", {"siret": siren}),
        Search("SIRET début 21 (fréquent)", "portal", {"siret": "21"}),
        Search("nom « commune » (fréquent)", "portal", {"name": "commune"}),
        Search("nom « commune », page 3", "portal", {"name": "commune", "page": "3"}),
        Search("nom « martin » (fréquent en privé)", "portal", {"name": "martin"}),
        Search(f"nom « {rare} » (rare)", "portal", {"name": rare}),
        Search(f"nom complet « {full_name[:30]} »", "portal", {"name": full_name}),
        Search("nom absent « zzxq »", "portal", {"name": "zzxq"}),
        Search("ville « lyon »", "portal", {"city": "lyon"}),
        Search("ville « saint » (fréquent)", "portal", {"city": "saint"}),
        Search(f"code postal début {department}", "portal", {"postcode": department}),
        Search("code postal 75011", "portal", {"postcode": "75011"}),
        Search("nom « collège » + ville « lyon »", "portal", {"name": "collège", "city": "lyon"}),
        Search(f"nom « commune » + CP {department}", "portal",
               {"name": "commune", "postcode": department}),
        Search(f"SIREN {siren} + nom « collège »", "portal",
               {"siret": siren, "name": "collège"}),
    ]
    structures = [
        Search(f"identifiant {siret}", "structures",
               {"identifiantStructure": siret, "typeIdentifiantStructure": "SIRET"}),
        Search("raison sociale « commune »", "structures",
               {"raisonSocialeStructure": "commune", "typeStructure": "PUBLIQUE"}),
        Search(f"raison sociale « {rare} »", "structures", {"raisonSocialeStructure": rare}),
        Search("raison sociale « martin »", "structures", {"raisonSocialeStructure": "martin"}),
        Search("ville « lyon »", "structures", {"adresseVille": "lyon"}),
        Search(f"code postal {department}", "structures", {"adresseCodePostal": department}),
        Search("« collège » + CP 69", "structures",
               {"raisonSocialeStructure": "collège", "adresseCodePostal": "69"}),
    ]
    organisations = [
        Search(f"identifiant = {siret}", "organisations",
               {"identifiant": {"op": "=", "val": siret}}),
        Search("raisonSociale CONTAINS commune", "organisations",
               {"raisonSociale": {"op": "CONTAINS", "val": "commune"}}),
        Search(f"raisonSociale CONTAINS {rare}", "organisations",
               {"raisonSociale": {"op": "CONTAINS", "val": rare}}),
        Search("ville CONTAINS lyon", "organisations",
               {"ville": {"op": "CONTAINS", "val": "lyon"}}),
        Search("ville = Lyon", "organisations", {"ville": {"op": "=", "val": "Lyon"}}),
        Search("codePostal = 75011", "organisations",
               {"codePostal": {"op": "=", "val": "75011"}}),
        Search("public + CONTAINS lycée + CP 69001", "organisations",
               {"typeOrganisation": {"op": "=", "val": "public"},
                "raisonSociale": {"op": "CONTAINS", "val": "lycée"},
                "codePostal": {"op": "=", "val": "69001"}}),
        Search(f"siren = {siren}", "siren", {"siren": {"op": "=", "val": siren}}),
    ]
    return portal + structures + organisations


class Wire:
    """Django's test client speaking as a Chorus Pro client (token, then both headers)."""

    def __init__(self) -> None:
        from django.test import Client

        client_id, secret, login, password = credentials()
        self.client = Client(SERVER_NAME="localhost")
        response = self.client.post(
            "/api/oauth/token", content_type="application/x-www-form-urlencoded",
            data=f"grant_type=client_credentials&client_id={client_id}"
                 f"&client_secret={secret}&scope=openid")
        if response.status_code != 200:
            sys.exit(f"token: HTTP {response.status_code} {response.content[:300]!r}")
        account = base64.b64encode(f"{login}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}",
                        "cpro-account": account, "Accept": JSON}

    def post(self, path: str, body: dict):
        return self.client.post(f"/cpro/{path}", data=json.dumps(body), content_type=JSON,
                                headers=self.headers)


PATHS = {"structures": "structures/v1/rechercher",
         "organisations": "organisations/v1/structures/recherche",
         "siren": "organisations/v1/siren/recherche"}


def ask(search: Search, portal, wire: Wire):
    """One request; (response, rows found)."""
    if search.channel == "portal":
        response = portal.get("/annuaire/", search.query)
        return response, None
    body = search.query
    if search.channel == "structures":
        body = {"structure": search.query,
                "parametres": {"nbResultatsParPage": 50, "pageResultatDemandee": 1}}
    return wire.post(PATHS[search.channel], body), None


def found(search: Search, response) -> str:
    """How many structures the answer says it found."""
    import re

    if search.channel == "portal":
        match = re.search(r'<h2 id="results">(\d[\d\u202f\xa0 ,.]*)',
                          response.content.decode())
        return re.sub(r"\D", "", match[1]) if match else "?"
    if search.channel == "structures":
        return str(response.json()["parametresRetour"]["total"])
    return response.headers.get("X-Total-Count", "?")


@dataclass
class Result:
    search: Search
    times: list[float]
    found: str
    queries: int
    slowest_sql: str
    slowest_ms: float


def measure(search: Search, portal, wire: Wire, rounds: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        response, _rows = ask(search, portal, wire)
        if response.status_code != 200:
            sys.exit(f"{search.label}: HTTP {response.status_code} "
                     f"{response.content[:500]!r}")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        ask(search, portal, wire)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response, _rows = ask(search, portal, wire)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    return Result(search, times, found(search, response), len(captured.captured_queries),
                  slowest["sql"], float(slowest["time"]) * 1000)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--structures", type=int, default=1_000_000)
    parser.add_argument("--public", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per search")
    parser.add_argument("--target", type=float, default=50.0, help="ms, p95 of a search")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the slowest query of each search")
    args = parser.parse_args()

    _cluster.run_in_django(run_bench, args)


def structure_indexes() -> list[tuple[str, str, str]]:
    """(name, size, definition) of the structure table's indexes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)),
                   pg_get_indexdef(c.oid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'organisations_structure'::regclass ORDER BY 1""")
        return cursor.fetchall()


def run_bench(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from choeur.organisations.models import Service, Structure

    if connection.vendor != "postgresql":
        sys.exit("bench/annuaire.py measures PostgreSQL: CHOEUR_DATABASE_URL must be "
                 "postgresql://")
    call_command("migrate", verbosity=0)
    state = database_state()
    if state == "other":
        sys.exit("The database of CHOEUR_DATABASE_URL holds other data: give an empty one.")
    if state == "empty":
        print(f"\nLoading {args.structures:,} structures:")
        started = time.perf_counter()
        for step, seconds in load(args.structures, args.public).items():
            print(f"  {step:<40} {seconds:8.1f} s")
        print(f"  {'total':<40} {time.perf_counter() - started:8.1f} s")
    else:
        print(f"\nReusing this bench's data set ({Structure.objects.count():,} structures).")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics of the indexes a migration may have added
    public = Structure.objects.filter(kind=Structure.Kind.PUBLIQUE)
    print(f"  {public.count():,} public structures ({public.filter(is_active=True).count():,}"
          f" active), {Service.objects.count():,} services")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_table_size('organisations_structure')), "
                       "pg_size_pretty(pg_indexes_size('organisations_structure'))")
        table, indexes = cursor.fetchone()
    print(f"  organisations_structure: {table} of rows, {indexes} of indexes:")
    for name, size, definition in structure_indexes():
        print(f"    {name:<44} {size:>8}  {definition.split(' USING ', 1)[-1][:90]}")

    portal = Client(SERVER_NAME="localhost")
    wire = Wire()
    print(f"\nServer time per search (ms), {args.rounds} requests after a warm-up; target p95 "
          f"< {args.target:.0f} ms. found: structures the answer counts; SQL: queries per "
          f"request (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"  {'channel':<13} {'search':<44} {'found':>7} {'SQL':>4} {'p50':>7} {'p95':>7} "
          f"{'slowest SQL':>11}")
    results = []
    for search in searches():
        result = measure(search, portal, wire, args.rounds)
        results.append(result)
        flag = "" if p95(result.times) < args.target else "  ✗"
        print(f"  {search.channel:<13} {search.label[:44]:<44} {result.found:>7} "
              f"{result.queries:>4} {statistics.median(result.times):>7.1f} "
              f"{p95(result.times):>7.1f} {result.slowest_ms:>11.1f}{flag}", flush=True)
    slow = [r for r in results if p95(r.times) >= args.target]
    everything = [t for r in results for t in r.times]
    print(f"\n  all searches: median {statistics.median(everything):.1f} ms, "
          f"p95 {p95(everything):.1f} ms, worst search p95 "
          f"{max(p95(r.times) for r in results):.1f} ms; "
          f"{len(slow)} search(es) over {args.target:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.explain:
        for result in results:
            print(f"\n== {result.search.channel}: {result.search.label}: slowest query "
                  f"({result.slowest_ms:.1f} ms)\n{result.slowest_sql}\n\n"
                  f"{_cluster.explain(result.slowest_sql)}")


if __name__ == "__main__":
    main()
