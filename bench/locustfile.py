"""Locust scenarios of the wire API load test (bench/load.py runs them; see its docstring).

A user is one Chorus Pro client program (an ERP connector, a dematerialisation platform): it
takes an OAuth2 token once, then calls with `Authorization: Bearer` + `cpro-account` on every
request (reference §2, §7.3), JSON bodies in `application/json;charset=utf-8`, at a constant
throughput (LOAD_RATE_PER_USER calls a second). Its calls, by weight out of 100:

    40  rechercher/fournisseur   by flux number after a deposit, by invoice number, first
                                 page, by status, by deposit dates, statuses changed lately
    25  consulter/fournisseur    one invoice in full
    15  consulter/historique     an invoice's statuses (what clients poll to follow it)
    15  consulterCRDetaille      a flux's state: its own last deposits first (OCA, Pastell)
     5  deposer/flux             one CII invoice of ~5 kB (a new number each time)

The data set (ids, numbers, flux numbers, credentials, the CII template) is the JSON file
named by LOAD_DATA, written by bench/load.py. Every request is also appended to LOAD_LOG
(`start time, name, ms, ok`) so that load.py computes exact percentiles over the measured
window (locust's own CSV rounds them and counts the warm-up).
"""
# ruff: noqa: S311 (pseudo-random choices of a load test)

from __future__ import annotations

import base64
import itertools
import json
import os
import random
from datetime import date, timedelta

from locust import FastHttpUser, constant_throughput, events, task

JSON = "application/json;charset=utf-8"
DATA = json.loads(open(os.environ["LOAD_DATA"], encoding="utf-8").read())  # noqa: SIM115
RATE = float(os.environ.get("LOAD_RATE_PER_USER", "4"))
TEMPLATE = base64.b64decode(DATA["template"])
PLACEHOLDER = DATA["placeholder"].encode()
NUMBERS = itertools.count(1)
_log = open(os.environ["LOAD_LOG"], "w", encoding="utf-8", buffering=1 << 16)  # noqa: SIM115


@events.request.add_listener
def _record(request_type, name, response_time, exception=None, start_time=None, **_kw):
    _log.write(f"{start_time or 0:.3f},{name},{response_time:.2f},{int(exception is None)}\n")


@events.quitting.add_listener
def _close(**_kw):
    _log.close()


def _search_body(rng: random.Random, own_flux: list[str]) -> tuple[str, dict]:
    """One rechercher/fournisseur call as clients send them (bench/api.py's searches)."""
    supplier = DATA["supplier_id"]
    page = {"rechercheFactureParFournisseur": {"pageResultatDemandee": 1,
                                               "nbResultatsParPage": 50,
                                               "triSens": "Descendant"}}
    kind = rng.choices(("flux", "number", "page", "status", "dates", "changed"),
                       weights=(30, 20, 15, 10, 15, 10))[0]
    if kind == "flux":  # OCA, Pastell, chorus-api after a deposit
        return kind, {"numeroFluxDepot": rng.choice(own_flux or DATA["flux"])}
    if kind == "number":
        return kind, {"idFournisseur": supplier, "numeroFacture": rng.choice(DATA["numbers"]),
                      **page}
    if kind == "page":
        return kind, {"idFournisseur": supplier, **page}
    if kind == "status":
        return kind, {"idFournisseur": supplier, "statutCourant": ["MISE_A_DISPOSITION"],
                      **page}
    today = date.fromisoformat(DATA["today"])
    if kind == "dates":
        start = today - timedelta(days=rng.randrange(0, 30))
        return kind, {"idFournisseur": supplier, "periodeDateDepotDu": start.isoformat(),
                      "periodeDateDepotAu": (start + timedelta(days=7)).isoformat(), **page}
    return kind, {"idFournisseur": supplier,
                  "periodeDateHeureEtatCourantDu": (today - timedelta(days=7)).isoformat(),
                  **page}


class ChorusProClient(FastHttpUser):
    wait_time = constant_throughput(RATE)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.own_flux: list[str] = []
        body = (f"grant_type=client_credentials&client_id={DATA['client_id']}"
                f"&client_secret={DATA['client_secret']}&scope=openid")
        with self.client.post("/api/oauth/token", data=body, name="oauth token",
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                raise RuntimeError(f"no token: HTTP {response.status_code}")
            token = response.json()["access_token"]
        account = base64.b64encode(f"{DATA['login']}:{DATA['password']}".encode()).decode()
        self.headers = {"Authorization": f"Bearer {token}", "cpro-account": account,
                        "Accept": JSON, "Content-Type": JSON}

    def call(self, path: str, body: dict, name: str) -> dict | None:
        with self.client.post(f"/cpro/{path}", data=json.dumps(body), headers=self.headers,
                              name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
                return None
            answer = response.json()
            if answer.get("codeRetour") not in (0, 20000):  # 20000: an empty search
                response.failure(f"codeRetour {answer.get('codeRetour')}")
                return None
            return answer

    @task(40)
    def rechercher(self) -> None:
        _kind, body = _search_body(self.rng, self.own_flux)
        self.call("factures/v1/rechercher/fournisseur", body, "rechercher/fournisseur")

    @task(25)
    def consulter(self) -> None:
        self.call("factures/v1/consulter/fournisseur",
                  {"identifiantFactureCPP": self.rng.choice(DATA["invoice_ids"]),
                   "codeLangue": "fr"}, "consulter/fournisseur")

    @task(15)
    def historique(self) -> None:
        self.call("factures/v1/consulter/historique",
                  {"idFacture": self.rng.choice(DATA["invoice_ids"])}, "consulter/historique")

    @task(15)
    def compte_rendu(self) -> None:
        flux = self.rng.choice(self.own_flux[-5:] or DATA["flux"])
        self.call("transverses/v1/consulterCRDetaille",
                  {"numeroFluxDepot": flux, "syntaxeFlux": "IN_DP_E1_CII_16B"},
                  "consulterCRDetaille")

    @task(5)
    def deposer(self) -> None:
        number = f"{DATA['tag']}-{next(NUMBERS):06d}"
        content = TEMPLATE.replace(PLACEHOLDER, number.encode())
        answer = self.call("factures/v1/deposer/flux", {
            "idUtilisateurCourant": 0, "fichierFlux": base64.b64encode(content).decode(),
            "nomFichier": f"{number}.xml", "syntaxeFlux": "IN_DP_E1_CII_16B",
            "avecSignature": False}, "deposer/flux")
        if answer:
            self.own_flux.append(answer["numeroFluxDepot"])
