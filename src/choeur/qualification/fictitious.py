"""Fictitious but realistic data for the qualification environment: identifiers with valid
check digits, names of French public bodies and companies, addresses, service codes, IBANs.

Everything is drawn from a `random.Random` the caller seeds, so that a seed gives the same data
set every time (`choeur matelas --seed N`). Numbers are random and names generic (real towns,
made-up bodies and companies): a number may happen to exist in the real SIRENE register, which
is harmless on an instance that exchanges nothing with the outside world.

Chorus Pro's qualification hands out SIRETs whose check digit is wrong; `siret(rng,
valid=False)` reproduces them for clients that must cope with such numbers (accepted only in
qualification, see organisations.identifiers).
"""

from __future__ import annotations

import random
import re

from stdnum import luhn
from stdnum.iban import calc_check_digits

# Towns with their postcode: real places make the annuaire believable; numbers stay fictitious.
TOWNS = [
    ("Albi", "81000"), ("Amiens", "80000"), ("Angers", "49000"), ("Annecy", "74000"),
    ("Arras", "62000"), ("Auxerre", "89000"), ("Avignon", "84000"), ("Bayonne", "64100"),
    ("Beauvais", "60000"), ("Belfort", "90000"), ("Besançon", "25000"), ("Blois", "41000"),
    ("Bordeaux", "33000"), ("Bourges", "18000"), ("Brest", "29200"), ("Caen", "14000"),
    ("Cahors", "46000"), ("Chambéry", "73000"), ("Chartres", "28000"), ("Colmar", "68000"),
    ("Dijon", "21000"), ("Épinal", "88000"), ("Évreux", "27000"), ("Gap", "05000"),
    ("Grenoble", "38000"), ("La Rochelle", "17000"), ("Laval", "53000"), ("Le Mans", "72000"),
    ("Lille", "59000"), ("Limoges", "87000"), ("Lorient", "56100"), ("Lyon", "69001"),
    ("Mâcon", "71000"), ("Marseille", "13001"), ("Metz", "57000"), ("Montauban", "82000"),
    ("Montpellier", "34000"), ("Mulhouse", "68100"), ("Nancy", "54000"), ("Nantes", "44000"),
    ("Nevers", "58000"), ("Nîmes", "30000"), ("Niort", "79000"), ("Orléans", "45000"),
    ("Pau", "64000"), ("Périgueux", "24000"), ("Perpignan", "66000"), ("Poitiers", "86000"),
    ("Quimper", "29000"), ("Reims", "51100"), ("Rennes", "35000"), ("Rodez", "12000"),
    ("Rouen", "76000"), ("Saint-Brieuc", "22000"), ("Strasbourg", "67000"), ("Tarbes", "65000"),
    ("Toulon", "83000"), ("Toulouse", "31000"), ("Tours", "37000"), ("Troyes", "10000"),
    ("Valence", "26000"), ("Vannes", "56000"), ("Vesoul", "70000"), ("Vienne", "38200"),
]

STREETS = [
    "place de l'Hôtel de Ville", "rue de la République", "avenue du Général de Gaulle",
    "boulevard Victor Hugo", "rue Jean Jaurès", "place de la Préfecture", "rue Pasteur",
    "avenue de la Libération", "rue du Maréchal Foch", "quai des Arts", "rue des Écoles",
]

# (kind of public body, name pattern, its usual services as (code, name)).
PUBLIC_BODIES = [
    ("commune", "Commune de {town}", [("SERV_FIN", "Service des finances"),
                                      ("SERV_TECH", "Services techniques"),
                                      ("ECOLES", "Affaires scolaires")]),
    ("hopital", "Centre hospitalier de {town}", [("ACHATS", "Direction des achats"),
                                                 ("PHARMA", "Pharmacie"),
                                                 ("TRAVAUX", "Direction des travaux")]),
    ("lycee", "Lycée Victor Hugo de {town}", [("INTENDANCE", "Intendance")]),
    ("college", "Collège Jules Ferry de {town}", [("GESTION", "Service de gestion")]),
    ("agglo", "Communauté d'agglomération de {town}", [("DECHETS", "Collecte des déchets"),
                                                      ("TRANSPORTS", "Transports urbains"),
                                                      ("FINANCES", "Direction des finances")]),
    ("ccas", "Centre communal d'action sociale de {town}", [("SOLIDARITE", "Solidarité")]),
    ("sdis", "Service départemental d'incendie et de secours de {town}",
     [("MATERIEL", "Matériel roulant"), ("BATIMENTS", "Bâtiments")]),
    ("office", "Office public de l'habitat de {town}", [("ENTRETIEN", "Entretien du parc"),
                                                        ("MARCHES", "Marchés publics")]),
    ("universite", "Université de {town}", [("DAF", "Direction des affaires financières"),
                                            ("LABOS", "Laboratoires")]),
    ("prefecture", "Préfecture de {town}", [("SGAR", "Moyens mutualisés")]),
]

COMPANY_WORDS = [
    ("Bâtiment", "BTP"), ("Informatique", "Services"), ("Bureautique", "Fournitures"),
    ("Nettoyage", "Propreté"), ("Restauration", "Collective"), ("Électricité", "Réseaux"),
    ("Conseil", "Formation"), ("Paysage", "Espaces verts"), ("Transport", "Logistique"),
    ("Imprimerie", "Édition"), ("Menuiserie", "Agencement"), ("Plomberie", "Chauffage"),
]
COMPANY_FORMS = ["SARL", "SAS", "SA", "EURL", "SCOP"]
FAMILY_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
                "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia",
                "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard"]


def _with_check_digit(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def siren(rng: random.Random) -> str:
    """Nine digits with a valid Luhn key; never starting with 0 (reads oddly) nor 356000000
    (La Poste, whose SIRETs follow another rule)."""
    while True:
        value = _with_check_digit(str(rng.randint(10_000_000, 99_999_999)))
        if not value.startswith("356000000"):
            return value


def siret(rng: random.Random, valid: bool = True, of_siren: str | None = None) -> str:
    """Fourteen digits. `valid=False`: Chorus Pro's kind of fictitious SIRET, wrong key."""
    head = (of_siren or siren(rng)) + f"{rng.randint(1, 9999):04d}"
    good = _with_check_digit(head)
    if valid:
        return good
    return head + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def vat_number(siren_: str) -> str:
    key = (12 + 3 * (int(siren_) % 97)) % 97
    return f"FR{key:02d}{siren_}"


def iban(rng: random.Random) -> tuple[str, str]:
    """A French IBAN with valid keys (RIB key and IBAN check digits) and a BIC."""
    bank, branch = f"{rng.randint(10000, 39999):05d}", f"{rng.randint(1, 99999):05d}"
    account = f"{rng.randint(0, 10**11 - 1):011d}"
    rib_key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    return f"FR{calc_check_digits('FR00' + bban)}{bban}", rng.choice(
        ["BNPAFRPPXXX", "CCBPFRPPXXX", "AGRIFRPPXXX", "SOGEFRPPXXX", "CMCIFRPPXXX"])


def town(rng: random.Random) -> tuple[str, str]:
    return rng.choice(TOWNS)


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 120)} {rng.choice(STREETS)}"


def company_name(rng: random.Random) -> str:
    trade, second = rng.choice(COMPANY_WORDS)
    return f"{rng.choice(FAMILY_NAMES)} {trade} {second} {rng.choice(COMPANY_FORMS)}"


def public_body_name(pattern: str, town_name: str) -> str:
    """A PUBLIC_BODIES pattern in a town, as French writes it: « Commune d'Albi », « Lycée
    Victor Hugo du Mans », « Université de La Rochelle »."""
    name = pattern.format(town=town_name)
    name = re.sub(r"\bde Le ", "du ", name)
    name = re.sub(r"\bde Les ", "des ", name)
    return re.sub(r"\bde (?=[AEIOUYÂÉÈÊÎÔ])", "d'", name)


def public_body(rng: random.Random, town_name: str | None = None) -> tuple[str, str, list]:
    """(kind, name, services) of a public body, in `town_name` or a random town."""
    kind, pattern, services = rng.choice(PUBLIC_BODIES)
    return kind, public_body_name(pattern, town_name or town(rng)[0]), list(services)


def engagement_number(rng: random.Random, prefix: str = "EJ") -> str:
    return f"{prefix}{rng.randint(10**9, 10**10 - 1)}"
