"""Issue 15, done when: "An API test that reads only the CSV deposits a flux and follows it to
`IN_INTEGRE`, then to the simulator's final status after the clock moves."

The data set comes from the real command (`choeur matelas --csv --samples`) against a live
server; from then on the test knows only what the two CSV files say, and talks to the server
as a Chorus Pro client does (OAuth2 client credentials at `token_url`, then `Authorization:
Bearer` + `cpro-account` on `api_url` + `/cpro/...`). The worker's part is run in the test's
thread (`run_ready`), the clock moved by `choeur clock`.
"""

from __future__ import annotations

import base64
import csv
import json

import pytest
import requests

from choeur.cli import main
from choeur.core.worker import enqueue_timers, run_ready

pytestmark = pytest.mark.django_db(transaction=True)
JSON = "application/json;charset=utf-8"


def _rows(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Client:
    """A supplier's software configured from the matelas CSV's `fournisseur` row only."""

    def __init__(self, row: dict):
        answer = requests.post(row["token_url"], data={
            "grant_type": "client_credentials", "client_id": row["client_id"],
            "client_secret": row["client_secret"], "scope": "openid"}, timeout=30)
        assert answer.status_code == 200, answer.text
        account = f"{row['login_technique']}:{row['mot_de_passe_technique']}"
        self.base = row["api_url"].rstrip("/")
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}",
                        "cpro-account": base64.b64encode(account.encode()).decode(),
                        "Content-Type": JSON}

    def post(self, path: str, body: dict) -> dict:
        answer = requests.post(f"{self.base}/cpro/{path}", data=json.dumps(body),
                               headers=self.headers, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _work() -> None:
    for _ in range(5):  # integration, routing, then whatever they queued
        if not run_ready():
            return


def test_a_script_that_reads_only_the_csv_deposits_and_follows_its_invoice(
        qualification, live_server, tmp_path):
    assert main(["matelas", "--email", "integrateur@exemple.fr", "--seed", "2026",
                 "--csv", str(tmp_path / "matelas.csv"), "--samples", str(tmp_path / "ech"),
                 "--base-url", live_server.url]) == 0
    supplier = next(r for r in _rows(tmp_path / "matelas.csv") if r["role"] == "fournisseur")
    sample = next(r for r in _rows(tmp_path / "ech" / "index.csv")
                  if r["format"] == "cii" and r["variante"] == "code_service"
                  and r["attendu"] == "IN_INTEGRE")
    erp = Client(supplier)

    content = (tmp_path / "ech" / sample["fichier"]).read_bytes()
    deposit = erp.post("factures/v1/deposer/flux", {
        "idUtilisateurCourant": 0, "fichierFlux": base64.b64encode(content).decode(),
        "nomFichier": sample["fichier"], "syntaxeFlux": "IN_DP_E1_CII_16B",
        "avecSignature": False})
    assert deposit["codeRetour"] == 0
    _work()
    report = erp.post("transverses/v1/consulterCR",
                      {"numeroFluxDepot": deposit["numeroFluxDepot"]})
    assert report["etatCourantFlux"] == "IN_INTEGRE"

    def status() -> str:
        found = erp.post("factures/v1/rechercher/fournisseur",
                         {"numeroFluxDepot": deposit["numeroFluxDepot"]})
        (invoice,) = found["listeFactures"]
        return invoice["statut"]

    assert status() == "MISE_A_DISPOSITION"
    # The recipient is simulated: as days pass, its default scenario processes the invoice.
    assert main(["clock", "--advance", "30"]) == 0
    enqueue_timers()
    _work()
    assert status() == "MISE_EN_PAIEMENT"
