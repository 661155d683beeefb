"""The « Tableau de bord » pages and their CSV tables, as a logged-in user reaches them: the
figures of the generated world, the scope (a forged structure id discloses nothing), bad
filters shown with their code, CSV content, escaped labels in the charts."""

import pytest

from choeur.invoicing.models import StatusChange
from choeur.invoicing.statuses import Status
from choeur.reporting import charts, queries, tables

pytestmark = pytest.mark.django_db

Q1 = "du=2026-01-01&au=2026-03-31"


def test_recipient_dashboard(client, world, recipient_user):
    client.force_login(recipient_user)
    response = client.get(f"/tableau-de-bord/destinataire/?{Q1}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tableau de bord — factures reçues" in page
    assert page.count('role="img"') == 3  # volumes, delays, rates
    assert "<title id=" in page and "Factures reçues par mois" in page
    assert "Numéro d&#x27;engagement absent" in page or "Numéro d'engagement absent" in page
    assert "Motif secret" not in page and "7777" not in page
    assert "40,0 %" in page  # the rejection rate, written on its bar


def test_lists_link_to_the_dashboards(client, world, recipient_user, supplier_user):
    client.force_login(recipient_user)
    page = client.get("/factures/recues/").content.decode()
    assert 'href="/tableau-de-bord/destinataire/"' in page
    client.force_login(supplier_user)
    page = client.get("/factures/emises/").content.decode()
    assert 'href="/tableau-de-bord/fournisseur/"' in page


def test_supplier_dashboard(client, world, supplier_user):
    client.force_login(supplier_user)
    page = client.get("/tableau-de-bord/fournisseur/?du=2026-01-01&au=2026-04-30")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Délai moyen de paiement par destinataire" in text
    assert world.recipient.company_name in text
    assert world.supplier2.company_name not in text


@pytest.mark.parametrize(("query", "status", "code"), [
    ("du=2026-04-01&au=2026-03-01", 400, "REPORT_PERIOD_INVERTED"),
    ("du=hier", 400, "REPORT_DATE_INVALID"),
    ("du=2019-01-01&au=2026-01-01", 400, "REPORT_PERIOD_TOO_LONG"),
    ("service=999999", 404, "REPORT_FILTER_NOT_FOUND"),
    ("partenaire=00000000000000", 404, "REPORT_FILTER_NOT_FOUND"),
])
def test_bad_filters_show_their_code_and_no_figure(client, world, recipient_user, query,
                                                   status, code):
    client.force_login(recipient_user)
    response = client.get(f"/tableau-de-bord/destinataire/?{query}")
    assert response.status_code == status
    text = response.content.decode()
    assert code in text and 'role="alert"' in text
    assert 'role="img"' not in text


def test_a_forged_structure_id_is_not_found_and_discloses_nothing(client, world,
                                                                  recipient_user):
    client.force_login(recipient_user)
    theirs = client.get(f"/tableau-de-bord/destinataire/?structure={world.other_recipient.pk}")
    missing = client.get("/tableau-de-bord/destinataire/?structure=987654")
    assert theirs.status_code == missing.status_code == 404
    assert world.other_recipient.company_name not in theirs.content.decode()
    csv = client.get(f"/tableau-de-bord/destinataire/motifs.csv?structure="
                     f"{world.other_recipient.pk}&{Q1}")
    assert csv.status_code == 404 and b"Motif secret" not in csv.content


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/tableau-de-bord/destinataire/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_unknown_side_and_table(client, world, recipient_user):
    client.force_login(recipient_user)
    assert client.get("/tableau-de-bord/valideur/").status_code == 404
    response = client.get(f"/tableau-de-bord/destinataire/statuts.csv?{Q1}")
    assert response.status_code == 404 and b"REPORT_TABLE_UNKNOWN" in response.content


def test_csv_tables(client, world, recipient_user):
    client.force_login(recipient_user)
    response = client.get(f"/tableau-de-bord/destinataire/volumes.csv?{Q1}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.content.decode("utf-8-sig").split("\r\n") == [
        "Mois;Factures reçues;Montant TTC (EUR)",
        "2026-01;2;300,00", "2026-02;1;300,00", "2026-03;2;900,00", ""]
    delays = client.get(f"/tableau-de-bord/destinataire/delais.csv?{Q1}")
    assert delays.content.decode("utf-8-sig").split("\r\n")[1:4] == [
        "Dépôt → mise à disposition;5;1,0",
        "Dépôt → première action du destinataire;4;2,5",
        "Dépôt → mise en paiement;2;15,0"]
    motifs = client.get(f"/tableau-de-bord/destinataire/motifs.csv?{Q1}")
    assert motifs.content.decode("utf-8-sig").split("\r\n")[:3] == [
        "Statut;Motif;Factures;Part des factures reçues (%)",
        "Rejetée;(tous motifs);2;40,0",
        "Rejetée;Numéro d'engagement absent;2;40,0"]


def test_csv_cells_cannot_be_formulas(client, world, recipient_user):
    StatusChange.objects.filter(invoice=world.invoices[2], status=Status.REJETEE).update(
        comment="=HYPERLINK(\"http://evil\")")
    client.force_login(recipient_user)
    text = client.get(f"/tableau-de-bord/destinataire/motifs.csv?{Q1}").content.decode(
        "utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text


def test_supplier_csv(client, world, supplier_user):
    client.force_login(supplier_user)
    text = client.get("/tableau-de-bord/fournisseur/paiements.csv?du=2026-01-01&au=2026-04-30"
                      ).content.decode("utf-8-sig")
    assert text.split("\r\n")[:2] == [
        "Destinataire;Identifiant;Factures payées;Délai moyen (jours)",
        f"{world.recipient.company_name};{world.recipient.identifier};1;10,0"]


def test_a_long_table_shows_its_first_rows_and_leaves_the_rest_to_its_csv(
        client, world, supplier_user, monkeypatch):
    monkeypatch.setattr(tables, "PAGE_ROWS", 1)
    client.force_login(supplier_user)
    page = client.get("/tableau-de-bord/fournisseur/?du=2026-01-01&au=2026-04-30"
                      ).content.decode()
    assert 'data-testid="dashboard-more-statuts"' in page  # more than one status
    rows = len(queries.by_status(supplier_user, queries.filters(
        supplier_user, queries.SUPPLIER, start="2026-01-01", end="2026-04-30")))
    assert f"Et {rows - 1} autre" in page
    text = client.get("/tableau-de-bord/fournisseur/statuts.csv?du=2026-01-01&au=2026-04-30"
                      ).content.decode("utf-8-sig")
    assert len(text.strip().split("\r\n")) == rows + 1  # every row in the CSV, and its head


def test_chart_labels_are_escaped_and_accessible():
    svg = charts.rows([charts.Bar("<script>alert(1)</script>", 50, "50 %")], maximum=100,
                      title="Taux & motifs", desc="Barres")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and "<title id=" in svg and "Taux &amp; motifs" in svg
    assert "aria-labelledby=" in svg and "<desc id=" in svg
    columns = charts.columns([charts.Bar("01/26", 3, "3"), charts.Bar("02/26", 0, "0")],
                             title="Volumes", desc="Barres")
    assert columns.count("<rect") == 2 and ">3</text>" in columns and ">0</text>" in columns
