"""« Tester un fichier » (qualification): the service, the portal page and the API operation.
Real files: what Choeur writes (formats.writers, through the invoicing tests' `written`), the
public corpus (shared/corpus) and hostile input. Every test checks that nothing is written.

The invoicing tests' small world (a supplier with bank details, a public recipient with
services) is imported as fixtures, which the test functions then name as arguments."""
# ruff: noqa: F811

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from choeur.core.errors import ChoeurError, FileTooLarge, NotFound, PermissionRefused
from choeur.core.models import AuditEvent, Blob
from choeur.flux.models import Flux
from choeur.invoicing import errors, services, structured
from choeur.invoicing.models import Cadre, Engagement, Invoice, ModeDepot, UploadedFile
from choeur.organisations import services as org
from choeur.organisations.models import Espace
from choeur.qualification import file_test
from choeur.qualification.errors import QualificationOnly
from tests.api.conftest import Wire, technical_party
from tests.invoicing.conftest import (  # noqa: F401 - fixtures
    RECIPIENT_SIRET,
    SUPPLIER_SIRET,
    bank_account,
    invoice_data,
    other_recipient,
    pdf_bytes,
    platform_admin,
    recipient,
    recipient_user,
    run,
    supplier,
    supplier_user,
    unreadable_pdfs,
)
from tests.invoicing.test_deposit_pages import INVALID_FACTURX, written
from tests.organisations.conftest import make_user

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PLAIN_PDF = CORPUS / "zugferd/unstructured/RE-E-974-Hetzner_2016-01-19_R0005532486.pdf"
URL = "/qualification/tester-un-fichier/"
API = "qualification/v1/tester/fichier"

XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<r>&x;</r>")
BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode()
                   for i in range(1, 10))
        + b"]><lolz>&lol9;</lolz>")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("facture.xml", "<a/>")
    return buffer.getvalue()


HOSTILE = {
    "empty": (b"", "INPUT_EMPTY"),
    "garbage": (b"\x00\x01\x02 not an invoice \xff", "INPUT_UNKNOWN_FORMAT"),
    "xxe": (XXE, "XML_FORBIDDEN_DTD"),
    "entity bomb": (BOMB, "XML_FORBIDDEN_DTD"),
    "zip": (_zip(), "INPUT_BATCH"),
    "not an invoice": (b'<?xml version="1.0"?><commande/>', "INPUT_NOT_AN_INVOICE"),
}


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def footprint() -> dict:
    """Everything a deposit (or a careless test) would leave behind."""
    return {"invoices": Invoice.objects.count(), "uploads": UploadedFile.objects.count(),
            "blobs": Blob.objects.count(), "audit": AuditEvent.objects.count(),
            "flux": Flux.objects.count(), "tasks": DBTaskResult.objects.count()}


def report_of(actor, structure, content, name="facture.xml", **keyed):
    return run(file_test.check, actor, structure, content, name, **keyed)


def deposit_refusal(actor, supplier, content: bytes) -> str:
    """The code a real deposit of `content` is refused with (rolled back)."""
    try:
        with transaction.atomic():
            structured.deposit_file(actor, supplier, content, "facture.xml", cadre=Cadre.A1)
    except ChoeurError as exc:
        return exc.code
    raise AssertionError("the deposit was accepted")


def by_key(result) -> dict:
    return {check.key: check for check in result.checks}


def failed_codes(result) -> list[str]:
    return [check.code for check in result.failed]


# --- The service --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["facturx", "ubl", "cii"])
def test_a_good_file_would_be_accepted_every_check_passed(
        qualification, supplier_user, supplier, bank_account, recipient, kind):
    content = written(supplier_user, supplier, bank_account, kind)
    before = footprint()
    result = report_of(supplier_user, supplier, content, f"facture.{kind}")
    assert footprint() == before
    assert result.kind == file_test.STRUCTURED and result.report.valid
    assert result.accepted and result.refusal is None and result.failed == []
    checks = by_key(result)
    for key in ("format", "seller", "recipient", "number", "date", "service",
                "service_required", "engagement_required", "engagement_known", "amounts",
                "bank", "duplicate"):
        assert checks[key].status == file_test.PASSED, key
    assert ("pdf_readable" in checks) == (kind == "facturx")
    assert result.verdict("fr") == "Un dépôt serait accepté."
    assert result.data.number == "FA-2026-0117"


def test_every_failing_platform_check_is_reported_not_just_the_first(
        qualification, supplier_user, supplier, bank_account, recipient):
    """The recipient requires a service code and an engagement the file lacks, the number
    is already used this year, the file's IBAN is not registered: all four at once."""
    run(services.deposit, supplier_user, supplier,
        invoice_data(bank_account_id=bank_account.pk), mode_depot=ModeDepot.SAISIE_PORTAIL)
    content = written(supplier_user, supplier, bank_account, "ubl",
                      recipient_service_code="", engagement_number="")
    recipient.service_code_required = recipient.engagement_required = True
    recipient.save()
    bank_account.is_active = False
    bank_account.save()
    before = footprint()
    result = report_of(supplier_user, supplier, content)
    assert footprint() == before
    assert failed_codes(result) == ["INV_BANK_ACCOUNT_REQUIRED", "INV_SERVICE_REQUIRED",
                                    "INV_ENGAGEMENT_REQUIRED", "INV_NUMBER_ALREADY_USED"]
    assert result.report.valid and not result.accepted
    # The deposit stops at the first, in its own order: the refusal is the deposit's own.
    assert result.refusal.code == deposit_refusal(supplier_user, supplier, content)
    bank_account.is_active = True
    bank_account.save()
    again = report_of(supplier_user, supplier, content)
    assert again.refusal.code == "INV_SERVICE_REQUIRED" == deposit_refusal(
        supplier_user, supplier, content)
    checks = by_key(result)
    assert checks["service_required"].bt == "BT-10"
    assert "exige un code service" in checks["service_required"].message_fr
    assert checks["service_required"].hint("fr").startswith("Ajoutez le code service")
    assert "FR14 2004" in checks["bank"].message_fr  # the file's IBAN, grouped
    assert checks["duplicate"].bt == "BT-1" and "FA-2026-0117" in checks["duplicate"].message_fr
    assert checks["duplicate"].message_en.startswith("You already deposited")
    assert "INV_BANK_ACCOUNT_REQUIRED" in result.verdict("fr")
    assert "3 autre(s) contrôle(s) en échec" in result.verdict("fr")
    assert "3 other check(s) fail" in result.verdict("en")


def test_an_engagement_the_recipient_does_not_know_and_an_unknown_service(
        qualification, supplier_user, supplier, bank_account, recipient):
    Engagement.objects.create(structure=recipient, number="EJ-AUTRE", label="Autre")
    content = written(supplier_user, supplier, bank_account, "cii",
                      recipient_service_code="COMPTA", engagement_number="EJ-2026-0042")
    recipient.services.filter(code="COMPTA").update(is_active=False)
    result = report_of(supplier_user, supplier, content)
    checks = by_key(result)
    assert checks["service"].code == "INV_SERVICE_UNKNOWN"
    assert checks["engagement_known"].code == "INV_ENGAGEMENT_UNKNOWN"
    # A rule that needs a known service is not run on an unknown one (no double report).
    assert checks["service_required"].status == file_test.SKIPPED
    assert result.refusal.code == "INV_SERVICE_UNKNOWN" == deposit_refusal(
        supplier_user, supplier, content)


def test_keyed_data_complete_the_file_or_must_agree_with_it(
        qualification, supplier_user, supplier, bank_account, recipient):
    recipient.service_code_required = True
    recipient.save()
    content = written(supplier_user, supplier, bank_account, "cii",
                      recipient_service_code="", engagement_number="EJ-2026-0042")
    result = report_of(supplier_user, supplier, content, recipient_service_code="ACHATS")
    assert result.accepted and result.data.recipient_service_code == "ACHATS"
    result = report_of(supplier_user, supplier, content, engagement_number="EJ-TAPE")
    keyed = by_key(result)["keyed"]
    assert keyed.code == "INV_DATA_MISMATCH" and "EJ-TAPE" in keyed.message_fr
    assert "numéro d'engagement" in keyed.label("fr")
    assert "INV_SERVICE_REQUIRED" in failed_codes(result)


def test_the_file_of_another_seller(qualification, supplier_user, supplier, bank_account,
                                    recipient, platform_admin):
    other = run(org.create_private_structure, supplier_user, "SIRET", "78912345200011", {
        "company_name": "Autre SARL", "postcode": "75001", "city": "Paris"})
    content = written(supplier_user, supplier, bank_account, "ubl")
    result = report_of(supplier_user, other, content)
    assert by_key(result)["seller"].code == "INV_DATA_MISMATCH"
    assert SUPPLIER_SIRET in by_key(result)["seller"].message_fr


def test_a_validator_is_checked_for_the_cadres_that_need_one(
        qualification, supplier_user, supplier, bank_account, recipient):
    content = written(supplier_user, supplier, bank_account, "cii")
    result = report_of(supplier_user, supplier, content, cadre=Cadre.A9)
    assert by_key(result)["validator"].code == "INV_VALIDATOR_REQUIRED"
    assert "validator" not in by_key(report_of(supplier_user, supplier, content))


def test_an_invalid_file_is_refused_for_its_format_and_still_checked(
        qualification, supplier_user, supplier):
    result = report_of(supplier_user, supplier, INVALID_FACTURX.read_bytes(), INVALID_FACTURX.name)
    assert result.kind == file_test.STRUCTURED and not result.report.valid
    assert result.refusal.code == "INV_FILE_INVALID" and result.refusal.key == "format"
    # The corpus's expected verdict (shared/corpus/expected.tsv).
    assert {"BR-FR-10_BT-30", "BR-FR-12_BT-49"} <= {f.rule for f in result.report.findings
                                                  if f.blocking}
    # The platform checks ran on what the file says all the same: its buyer is unknown here.
    checks = by_key(result)
    assert checks["recipient"].status == file_test.FAILED
    assert checks["amounts"].status == file_test.PASSED


def test_a_plain_pdf_is_checked_as_a_pdf_deposit(qualification, supplier_user, supplier,
                                                 recipient):
    before = footprint()
    result = report_of(supplier_user, supplier, PLAIN_PDF.read_bytes(), PLAIN_PDF.name,
                  recipient_identifier=RECIPIENT_SIRET, recipient_service_code="COMPTA")
    assert footprint() == before
    assert result.kind == file_test.PDF and result.accepted
    assert [f.rule for f in result.report.findings if f.blocking] == ["PDF_NO_INVOICE_XML"]
    checks = by_key(result)
    assert checks["pdf_readable"].status == checks["recipient"].status == file_test.PASSED
    for key in ("number", "date", "amounts", "bank", "duplicate"):
        assert checks[key].status == file_test.SKIPPED
        assert "dépôt PDF" in checks[key].message_fr
    assert result.verdict("fr").startswith("Un dépôt structuré (flux, Factur-X) refuserait ce "
                                           "PDF simple (INV_FILE_INVALID)")
    assert result.verdict("fr").endswith("un dépôt serait accepté.")
    # Without a recipient, it cannot go anywhere.
    result = report_of(supplier_user, supplier, pdf_bytes("Facture"), "facture.pdf")
    assert result.refusal.code == "INV_RECIPIENT_IDENTIFIER_MISSING"


@pytest.mark.parametrize("case", sorted(unreadable_pdfs()))
def test_an_unreadable_pdf(qualification, supplier_user, supplier, recipient, case):
    content, rule = unreadable_pdfs()[case]
    result = report_of(supplier_user, supplier, content, "facture.pdf",
                  recipient_identifier=RECIPIENT_SIRET)
    readable = by_key(result)["pdf_readable"]
    assert readable.code == "INV_DOCUMENT_UNREADABLE" and rule in readable.message_fr


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_input_gets_a_clear_report(qualification, supplier_user, supplier, case):
    content, rule = HOSTILE[case]
    before = footprint()
    result = report_of(supplier_user, supplier, content, "x.xml")
    assert footprint() == before
    assert rule in [f.rule for f in result.report.findings]
    assert result.refusal.code == "INV_FILE_INVALID"
    assert all(c.status == file_test.SKIPPED for c in result.checks if c.key != "format")
    assert b"root:" not in repr(result).encode()  # no file of this machine was read


def test_bad_input_is_a_coded_error(qualification, supplier_user, supplier, recipient,
                                    monkeypatch):
    with pytest.raises(errors.RecipientUnknown):
        report_of(supplier_user, supplier, b"<a/>", recipient_identifier="12345678900011")
    monkeypatch.setattr(file_test, "MAX_FILE", 100)
    with pytest.raises(FileTooLarge):
        report_of(supplier_user, supplier, b"x" * 101)


def test_only_who_may_deposit_for_the_structure(qualification, supplier_user, supplier):
    stranger = make_user("intrus@example.fr")
    with pytest.raises(NotFound):
        report_of(stranger, supplier, b"<a/>")
    # The structure's own gestionnaire, once « Factures émises » is closed: no deposit there.
    run(org.set_espace_open, supplier_user, supplier, Espace.FACTURES_EMISES, False)
    with pytest.raises(PermissionRefused):
        report_of(supplier_user, supplier, b"<a/>")


def test_production_refuses(supplier_user, supplier):
    with pytest.raises(QualificationOnly):
        report_of(supplier_user, supplier, b"<a/>")


# --- The page -----------------------------------------------------------------------------


def post(client, structure, content, name="facture.xml", **fields):
    return client.post(URL, {"structure": structure.pk, "cadre": Cadre.A1,
                             "document": SimpleUploadedFile(name, content), **fields})


def test_the_page_shows_the_whole_report(qualification, client, supplier_user, supplier,
                                         bank_account, recipient):
    recipient.engagement_required = True
    recipient.save()
    content = written(supplier_user, supplier, bank_account, "cii", engagement_number="")
    client.force_login(supplier_user)
    page = client.get(URL)
    assert page.status_code == 200 and "Papeterie Lumière" in page.content.decode()
    before = footprint()
    response = post(client, supplier, content, "FA-2026-0117.xml")
    assert footprint() == before
    text = response.content.decode()
    assert response.status_code == 200
    assert "Dépôt refusé" in text and "INV_ENGAGEMENT_REQUIRED" in text
    assert "Numéro d&#x27;engagement, si le destinataire ou le service l&#x27;exige" in text
    assert "À faire :" in text and "Rapport de validation" in text
    assert "À corriger :" in text and 'href="#check-engagement_required-' in text
    assert "Fichier conforme" in text and "Données lues dans le fichier" in text
    assert "rien n'a été déposé ni enregistré" in text
    response = post(client, supplier, content, engagement_number="EJ-2026-0042")
    assert "Dépôt accepté" in response.content.decode()


def test_the_page_in_english(qualification, client, supplier_user, supplier):
    client.force_login(supplier_user)
    client.post("/langue/", {"language": "en", "next": URL})
    response = post(client, supplier, XXE)
    text = response.content.decode()
    assert response.status_code == 200 and "XML_FORBIDDEN_DTD" in text
    assert "A deposit would be refused with code INV_FILE_INVALID" in text


def test_the_page_offers_only_the_users_structures(qualification, client, supplier_user,
                                                   supplier, recipient):
    stranger = make_user("intrus@example.fr")
    client.force_login(stranger)
    page = client.get(URL).content.decode()
    assert "Papeterie Lumière" not in page and "Aucune de vos structures" in page
    client.force_login(supplier_user)
    page = client.get(URL).content.decode()
    assert "Papeterie Lumière" in page and "Direction régionale" not in page
    before = footprint()
    response = post(client, recipient, b"<a/>")  # another structure's id
    assert response.status_code == 400 and "Rapport de validation" not in \
        response.content.decode()
    assert footprint() == before


def test_the_page_bounds_the_file_and_names_bad_input(qualification, client, supplier_user,
                                                      supplier, monkeypatch):
    client.force_login(supplier_user)
    monkeypatch.setattr(file_test, "MAX_FILE", 10)
    response = post(client, supplier, b"x" * 11)
    assert response.status_code == 400 and "un dépôt le refuserait aussi" in \
        response.content.decode()
    monkeypatch.setattr(file_test, "MAX_FILE", 10 * 1024 * 1024)
    response = post(client, supplier, b"<a/>", recipient_identifier="12345678900011")
    assert response.status_code == 400 and "INV_RECIPIENT_UNKNOWN" in response.content.decode()


def test_the_page_does_not_exist_in_production(client, supplier_user, supplier):
    client.force_login(supplier_user)
    assert client.get(URL).status_code == 404
    assert post(client, supplier, b"<a/>").status_code == 404
    assert reverse("qualification:file_test") == URL


def test_anonymous_visitors_log_in_first(qualification, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/connexion/" in response["Location"]


# --- The API ------------------------------------------------------------------------------


@pytest.fixture
def wire(client, supplier):
    return Wire(client, technical_party(supplier, "lumiere"))


def call(wire, content=None, *, headers=None, **fields):
    body = {"nomFichier": "facture.xml", **fields}
    if content is not None:
        body["fichier"] = base64.b64encode(content).decode()
    return wire.post(API, body, headers=headers)


def test_the_api_answers_the_report(qualification, wire, supplier_user, supplier, bank_account,
                                    recipient):
    content = written(supplier_user, supplier, bank_account, "ubl")
    before = footprint()
    response = call(wire, content)
    assert footprint() == before
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["codeRetour"] == 0 and body["libelle"] == "TRA_MSG_00.000"
    assert body["depotAccepte"] is True and "codeRefus" not in body
    assert body["typeFichier"] == "STRUCTURE" and body["syntaxe"] == "UBL"
    assert body["fichierConforme"] is True
    assert {c["statut"] for c in body["listeControlesPlateforme"]} == {"OK"}
    assert body["donneesLues"]["numeroFacture"] == "FA-2026-0117"
    assert body["donneesLues"]["codeDestinataire"] == RECIPIENT_SIRET


def test_the_api_lists_every_failure_in_the_callers_language(
        qualification, wire, supplier_user, supplier, bank_account, recipient):
    content = written(supplier_user, supplier, bank_account, "cii",
                      recipient_service_code="", engagement_number="")
    recipient.service_code_required = recipient.engagement_required = True
    recipient.save()
    body = call(wire, content, headers={"Accept-Language": "en"}).json()
    assert body["codeRetour"] == 0 and body["depotAccepte"] is False
    assert body["codeRefus"] == "INV_SERVICE_REQUIRED"
    failed = {c["codeErreur"]: c for c in body["listeControlesPlateforme"]
              if c["statut"] == "ECHEC"}
    assert set(failed) == {"INV_SERVICE_REQUIRED", "INV_ENGAGEMENT_REQUIRED"}
    assert failed["INV_ENGAGEMENT_REQUIRED"]["bt"] == "BT-13"
    assert failed["INV_ENGAGEMENT_REQUIRED"]["libelleErreur"].startswith(
        "The engagement number")
    assert failed["INV_ENGAGEMENT_REQUIRED"]["correction"].startswith("Add the purchase order")
    # The routing keyed beside the file (identifiantDestinataire also read).
    body = call(wire, content, identifiantDestinataire=RECIPIENT_SIRET,
                codeServiceExecutant="COMPTA", numeroBonCommande="EJ-1").json()
    assert body["depotAccepte"] is True


def test_the_api_reports_hostile_and_plain_files(qualification, wire, recipient):
    body = call(wire, XXE).json()
    assert body["codeRetour"] == 0 and body["typeFichier"] == "ILLISIBLE"
    assert body["codeRefus"] == "INV_FILE_INVALID"
    assert body["listeAnomaliesFormat"][0]["regle"] == "XML_FORBIDDEN_DTD"
    assert body["listeAnomaliesFormat"][0]["correction"]
    body = call(wire, PLAIN_PDF.read_bytes(), nomFichier="facture.pdf",
                codeDestinataire=RECIPIENT_SIRET).json()
    assert body["typeFichier"] == "PDF" and body["depotAccepte"] is True
    assert "INV_FILE_INVALID" in body["verdict"]


def test_the_api_refuses_bad_input_with_coded_errors(qualification, wire, other_recipient,
                                                     monkeypatch):
    before = footprint()
    response = wire.post(API, {"fichier": "%%% pas du base64 %%%"})
    assert response.status_code == 400
    assert response.json()["libelle"].startswith("API_INVALID_FIELD")
    response = wire.post(API, {"nomFichier": "facture.xml"})
    assert response.status_code == 400 and "fichier" in response.json()["libelle"]
    response = call(wire, b"<a/>", codeDestinataire="12345678900011")
    assert response.status_code == 400
    assert response.json()["libelle"].startswith("INV_RECIPIENT_UNKNOWN")
    response = call(wire, b"<a/>", idStructure=other_recipient.pk)
    assert response.status_code == 404 and response.json()["codeRetour"] == 20001
    monkeypatch.setattr(file_test, "MAX_FILE", 10)
    response = call(wire, b"x" * 11)
    assert response.status_code == 413 and response.json()["codeRetour"] == 20003
    assert response.json()["libelle"].startswith("CORE_FILE_TOO_LARGE")
    assert footprint() == before


def test_the_api_needs_the_callers_credentials(qualification, client, wire):
    response = client.post(f"/cpro/{API}", data="{}", content_type="application/json")
    assert response.status_code == 401


def test_the_api_operation_does_not_exist_in_production(wire):
    for response in (call(wire, b"not even read"),
                     wire.post(API, {"idStructure": "pas un nombre", "fichier": "%%%"}),
                     wire.post(API, raw=b"[not json")):
        assert response.status_code == 404
        body = response.json()
        assert body["codeRetour"] == 20001
        assert body["libelle"].startswith("QUAL_QUALIFICATION_ONLY")


def test_the_operation_is_in_the_openapi(client):
    document = client.get("/cpro/openapi.json").json()
    operation = document["paths"][f"/cpro/{API}"]["post"]
    assert operation["operationId"] == "testerFichier"
    assert "404" in operation["responses"] and "413" in operation["responses"]
