"""From qualification to production (issue 15): a structure's configuration exported from one
instance and imported into another — services, espaces, engagements, bank details, technical
accounts and OAuth2 clients as settings — never a secret; refusals change nothing; importing
twice changes nothing the second time; only the structure's gestionnaires export or import."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from choeur.cli import main
from choeur.core.errors import NotFound, PermissionRefused
from choeur.core.models import AuditEvent, OutgoingEmail
from choeur.invoicing import engagements as eng
from choeur.invoicing.models import Engagement
from choeur.messaging.models import Notification
from choeur.organisations import config_transfer, errors, raccordements, services
from choeur.organisations.models import (
    ApiClient,
    BankAccount,
    Espace,
    Rattachement,
    Service,
    Structure,
    TechnicalAccount,
)

from .conftest import make_user, run

pytestmark = pytest.mark.django_db

BUYER_SIRET = "11000201100044"
SUPPLIER_SIRET = "78912345200011"
IBAN = "FR1420041010050500013M02606"
BIC = "PSSTFRPP"


def attach_principal(structure, user):
    with transaction.atomic():
        services._attach(None, structure, user, Rattachement.Role.GESTIONNAIRE_PRINCIPAL,
                         services=())


@pytest.fixture
def platform_admin(db):
    return make_user("admin@choeur.test", is_superuser=True, is_staff=True)


@pytest.fixture
def supplier(db):
    """A supplier known to both instances (a real company)."""
    user = make_user("compta@lumiere.fr")
    return run(services.create_private_structure, user, "SIRET", SUPPLIER_SIRET,
               {"company_name": "Papeterie Lumière"})


@pytest.fixture
def buyer_user(db):
    return make_user("factures@drfip.gouv.fr")


@pytest.fixture
def qualified(settings, platform_admin, buyer_user, supplier):
    """The public buyer as its gestionnaire set it up in qualification: parameters, services
    (one inactive), espace Engagements, engagements (one accepted by the supplier, one
    withdrawn), bank details, a technical account tolerating calls without a token, an OAuth2
    client. Returns (structure, secrets made)."""
    settings.CHOEUR_ENVIRONMENT = "qualification"
    structure = run(services.create_public_structure, platform_admin, BUYER_SIRET,
                    {"company_name": "DRFIP Qualif", "city": "Bordeaux"})
    attach_principal(structure, buyer_user)
    run(services.update_structure, buyer_user, structure,
        {"service_code_required": True, "payment_status_not_reported": True})
    run(services.create_service, buyer_user, structure, "COMPTA",
        {"name": "Comptabilité", "description": "Pôle comptable", "engagement_required": True})
    achats = run(services.create_service, buyer_user, structure, "ACHATS", {"name": "Achats"})
    old = run(services.create_service, buyer_user, structure, "ANCIEN", {"name": "Ancien"})
    run(services.set_service_active, buyer_user, old, False)
    run(services.set_espace_open, buyer_user, structure, Espace.ENGAGEMENTS, True)
    data = eng.EngagementData(number="EJ-2026-0042", supplier_identifier=SUPPLIER_SIRET,
                              service_code="ACHATS", label="Fournitures", amount_ht=D("1000"),
                              amount_ttc=D("1200.50"))
    accepted = run(eng.create_engagement, buyer_user, structure, data)
    Engagement.objects.filter(pk=accepted.pk).update(state=Engagement.State.PRIS_EN_COMPTE)
    data.number, data.label = "EJ-2026-0099", "Retiré"
    withdrawn = run(eng.create_engagement, buyer_user, structure, data)
    run(eng.inactivate_engagement, buyer_user, withdrawn, "Erreur de saisie")
    run(services.add_bank_account, buyer_user, structure, "Compte Trésor", "DRFIP", IBAN, BIC)
    account, password = run(raccordements.create_technical_account, buyer_user, structure)
    run(raccordements.set_lenient_bearer, buyer_user, structure, account.pk, True)
    client, secret = run(raccordements.create_api_client, buyer_user, structure, "ERP Finances")
    assert achats.is_active
    return structure, {"password": password, "secret": secret,
                       "password_hash": TechnicalAccount.objects.get(pk=account.pk).password,
                       "secret_hash": ApiClient.objects.get(pk=client.pk).secret}


def export(user, structure) -> dict:
    return run(config_transfer.export_config, user, structure)


def move_to_production(settings, structure, platform_admin):
    """The qualification instance's structure steps aside (one test database holds both
    instances: two structures cannot share an identifier), and production has its own
    record of the same public body, with its own gestionnaire."""
    Structure.objects.filter(pk=structure.pk).update(identifier="11000201100051")
    settings.CHOEUR_ENVIRONMENT = "production"
    target = run(services.create_public_structure, platform_admin, BUYER_SIRET,
                 {"company_name": "DRFIP (production)"})
    owner = make_user("gestion@drfip.gouv.fr")
    attach_principal(target, owner)
    return target, owner


def state_of(structure) -> tuple:
    """Everything an import may touch, to prove a refusal touched nothing."""
    structure.refresh_from_db()
    return (
        [getattr(structure, name) for name in services.STRUCTURE_PARAMETERS],
        sorted(structure.espaces.values_list("espace", flat=True)),
        sorted(Service.objects.filter(structure=structure).values_list(
            "code", "name", "description", "is_active", "engagement_required")),
        sorted(Engagement.objects.filter(structure=structure).values_list("number", "state")),
        sorted(BankAccount.objects.filter(structure=structure).values_list("iban", "is_active")),
        structure.technical_accounts.count(), structure.api_clients.count(),
        OutgoingEmail.objects.count(), Notification.objects.count(), DBTaskResult.objects.count(),
        AuditEvent.objects.count(),
    )


# --- The round trip --------------------------------------------------------------------------


def test_qualification_to_production_round_trip(settings, qualified, platform_admin,
                                                buyer_user, supplier):
    source, _secrets = qualified
    document = export(buyer_user, source)
    assert document["format"] == "choeur-configuration" and document["version"] == 1
    assert document["source"]["environment"] == "qualification"
    assert document["structure"]["identifier"] == BUYER_SIRET
    # Through the file, as between two machines.
    document = json.loads(config_transfer.dumps(document))

    target, owner = move_to_production(settings, source, platform_admin)
    before = state_of(target)
    preview = run(config_transfer.import_config, owner, target, document, dry_run=True)
    assert preview.dry_run and preview.count("created") >= 6 and preview.secrets == []
    assert state_of(target) == before  # a dry run writes nothing, sends nothing

    report = run(config_transfer.import_config, owner, target, document)
    assert [line.outcome for line in report.lines] == [line.outcome for line in preview.lines]
    # The supplier hears of its order, the gestionnaires of the new bank details.
    assert Notification.objects.count() > before[-3]
    assert OutgoingEmail.objects.count() > before[-4]
    target.refresh_from_db()
    assert target.service_code_required and target.payment_status_not_reported
    assert target.company_name == "DRFIP (production)"  # its identity is its own
    assert Espace.ENGAGEMENTS in set(target.espaces.values_list("espace", flat=True))
    assert sorted(target.services.values_list("code", "name", "is_active")) == [
        ("ACHATS", "Achats", True), ("ANCIEN", "Ancien", False),
        ("COMPTA", "Comptabilité", True),
        ("FACTURES_PUBLIQUES", "Service des factures publiques", True)]
    compta = target.services.get(code="COMPTA")
    assert compta.engagement_required and compta.description == "Pôle comptable"
    # The accepted engagement is an order again (the supplier answers here); the withdrawn
    # one is not configuration.
    engagement = Engagement.objects.get(structure=target)
    assert (engagement.number, engagement.state, engagement.supplier, engagement.service.code,
            engagement.amount_ttc) == ("EJ-2026-0042", Engagement.State.COMMANDE, supplier,
                                       "ACHATS", D("1200.50"))
    skipped = [line for line in report.lines if line.outcome == "skipped"]
    assert [(line.section, line.key) for line in skipped] == [("engagements", "EJ-2026-0099")]
    assert target.bank_accounts.get().iban == IBAN
    # New technical account, new password that works; the qualification tolerance stays there.
    account = target.technical_accounts.get()
    assert not account.lenient_bearer
    revealed = {secret.kind: secret for secret in report.secrets}
    assert revealed["technical_account"].identifier == account.login
    assert raccordements.authenticate_technical_account(
        account.login, revealed["technical_account"].secret) == account
    client = target.api_clients.get()
    assert client.label == "ERP Finances"
    assert raccordements.authenticate_api_client(
        client.client_id, revealed["api_client"].secret) == client
    assert AuditEvent.objects.filter(action="organisations.config_imported",
                                     object_id=str(target.pk)).count() == 1

    # What production now holds is what qualification held (but for what is the instance's).
    again = export(owner, target)
    for key in ("espaces", "bank_accounts", "api_clients"):
        assert again[key] == document[key], key
    assert again["services"] == [s for s in document["services"]]
    assert again["structure"]["parameters"] == document["structure"]["parameters"]


def test_importing_twice_changes_nothing_the_second_time(settings, qualified, platform_admin,
                                                        buyer_user):
    source, _secrets = qualified
    document = export(buyer_user, source)
    target, owner = move_to_production(settings, source, platform_admin)
    run(config_transfer.import_config, owner, target, document)
    before = state_of(target)
    second = run(config_transfer.import_config, owner, target, document)
    assert second.count("created") == 0 and second.count("updated") == 0
    assert second.secrets == [] and not second.changes_anything
    after = state_of(target)
    assert after[:-1] == before[:-1]
    assert after[-1] == before[-1] + 1  # the import's own audit line, nothing else


def test_production_exports_too_and_a_lenient_account_is_kept_in_qualification(
        settings, qualified, platform_admin, buyer_user):
    source, _secrets = qualified
    document = export(buyer_user, source)
    target, owner = move_to_production(settings, source, platform_admin)
    settings.CHOEUR_ENVIRONMENT = "qualification"  # qualification to qualification
    run(config_transfer.import_config, owner, target, document)
    assert target.technical_accounts.get().lenient_bearer
    settings.CHOEUR_ENVIRONMENT = "production"
    assert export(owner, target)["source"]["environment"] == "production"


# --- Never a secret --------------------------------------------------------------------------


def test_no_secret_leaves_the_instance(qualified, buyer_user):
    source, secrets = qualified
    text = config_transfer.dumps(export(buyer_user, source)).decode()
    for value in secrets.values():
        assert value not in text
    for salt_or_hash in (secrets["password_hash"].split("$") + secrets["secret_hash"].split("$")):
        if len(salt_or_hash) >= 8:
            assert salt_or_hash not in text
    keys = set()

    def walk(value):
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(text))
    assert not {k for k in keys if any(w in k for w in ("password", "secret", "hash", "salt"))}
    assert IBAN in text  # bank details travel, on purpose (the page says so)


# --- Who may -----------------------------------------------------------------------------------


def test_only_the_structures_gestionnaires(qualified, buyer_user, structure, gp, outsider):
    source, _secrets = qualified
    document = export(buyer_user, source)
    with pytest.raises(NotFound):
        export(outsider, source)
    with pytest.raises(NotFound):
        run(config_transfer.import_config, outsider, source, document)
    member = make_user("agent@drfip.gouv.fr")
    run(services.attach_user, buyer_user, source, member.email)
    with pytest.raises(PermissionRefused):
        export(member, source)
    before = state_of(source)
    with pytest.raises(PermissionRefused):
        run(config_transfer.import_config, member, source, document)
    assert state_of(source) == before


def test_a_plain_gestionnaire_cannot_impose_the_second_factor(qualified, buyer_user):
    """A rule over the gestionnaires is the principal's (update_structure): the import that
    carries it is refused whole for a plain gestionnaire."""
    source, _secrets = qualified
    document = export(buyer_user, source)
    document["structure"]["parameters"]["second_factor_for_gestionnaires"] = True
    document["services"].append({"code": "NOUVEAU", "name": "Nouveau"})
    other = make_user("adjoint@drfip.gouv.fr")
    rattachement = run(services.attach_user, buyer_user, source, other.email)
    run(services.set_gestionnaire, buyer_user, source, rattachement.pk, True)
    before = state_of(source)
    with pytest.raises(errors.ConfigImportRefused) as refused:
        run(config_transfer.import_config, other, source, document)
    assert "CORE_PERMISSION_REFUSED" in refused.value.message("en")
    assert state_of(source) == before


# --- Refusals change nothing ---------------------------------------------------------------


def _broken(document: dict, how: str):
    doc = json.loads(config_transfer.dumps(document))
    if how == "not json":
        return b"{\"format\": "
    if how == "not utf-8":
        return b"\xff\xfe{}"
    if how == "not a configuration":
        return json.dumps({"hello": "world"})
    if how == "a list":
        return "[1, 2]"
    if how == "version 2":
        doc["version"] = 2
    elif how == "too large":
        return b" " * (config_transfer.MAX_BYTES + 1)
    elif how == "too many services":
        doc["services"] = [{"code": f"S{i}", "name": "x"}
                           for i in range(config_transfer.LIMITS["services"] + 1)]
    elif how == "unknown key":
        doc["services"][0]["colour"] = "blue"
    elif how == "bad service code":
        doc["services"].append({"code": "PAS UN CODE", "name": "x"})
    elif how == "twice the same service":
        doc["services"].append({"code": "compta", "name": "x"})
    elif how == "bad iban":
        doc["bank_accounts"][0]["iban"] = "FR0000000000000000000000000"
    elif how == "float amount":
        doc["engagements"][0]["amount_ht"] = 10.5
    elif how == "ttc below ht":
        doc["engagements"][0]["amount_ttc"] = "1"
    elif how == "bad date":
        doc["services"][0]["valid_from"] = "31/12/2026"
    elif how == "unknown espace":
        doc["espaces"].append("SALLE_DES_COFFRES")
    elif how == "a list for a value":
        doc["espaces"].append(["FACTURES_RECUES"])
        doc["services"][0]["name"] = {"fr": "x"}
    elif how == "deeply nested":
        return '{"format": "choeur-configuration", "version": 1, "source": ' + "[" * 100000
    elif how == "engagements of a private structure":
        doc["structure"]["kind"] = "PRIVEE"
    elif how == "missing structure":
        del doc["structure"]
    elif how == "flag as text":
        doc["structure"]["parameters"]["moa"] = "oui"
    return doc


BROKEN = {
    "not json": "ORG_CONFIG_INVALID", "not utf-8": "ORG_CONFIG_INVALID",
    "not a configuration": "ORG_CONFIG_INVALID", "a list": "ORG_CONFIG_INVALID",
    "version 2": "ORG_CONFIG_VERSION_UNSUPPORTED", "too large": "ORG_CONFIG_TOO_LARGE",
    "too many services": "ORG_CONFIG_TOO_LARGE", "unknown key": "ORG_CONFIG_INVALID",
    "bad service code": "ORG_CONFIG_INVALID", "twice the same service": "ORG_CONFIG_INVALID",
    "bad iban": "ORG_CONFIG_INVALID", "float amount": "ORG_CONFIG_INVALID",
    "ttc below ht": "ORG_CONFIG_INVALID", "bad date": "ORG_CONFIG_INVALID",
    "unknown espace": "ORG_CONFIG_INVALID", "missing structure": "ORG_CONFIG_INVALID",
    "flag as text": "ORG_CONFIG_INVALID", "a list for a value": "ORG_CONFIG_INVALID",
    "deeply nested": "ORG_CONFIG_INVALID",
    "engagements of a private structure": "ORG_CONFIG_INVALID",
}


def test_a_bad_document_is_refused_whole(settings, qualified, platform_admin, buyer_user):
    source, _secrets = qualified
    document = export(buyer_user, source)
    target, owner = move_to_production(settings, source, platform_admin)
    before = state_of(target)
    for how, code in BROKEN.items():  # one world for all the cases: it is slow to build
        with pytest.raises(errors.ChoeurError) as refused:
            run(config_transfer.import_config, owner, target, _broken(document, how))
        assert refused.value.code == code, how
        assert "nothing was imported" in refused.value.message("en"), how
        assert state_of(target) == before, how


def test_every_problem_is_named_at_its_place(qualified, buyer_user):
    source, _secrets = qualified
    document = json.loads(config_transfer.dumps(export(buyer_user, source)))
    document["services"][1]["code"] = "A B"
    document["bank_accounts"][0]["bic"] = "?"
    with pytest.raises(errors.ConfigInvalid) as refused:
        config_transfer.read_document(document)
    message = refused.value.message("en")
    assert "2 error(s)" in message
    assert "services[1].code" in message and "bank_accounts[0].bic" in message


def test_another_structures_configuration_only_when_asked(settings, qualified, platform_admin,
                                                         buyer_user):
    source, _secrets = qualified
    document = export(buyer_user, source)
    settings.CHOEUR_ENVIRONMENT = "production"
    other = run(services.create_public_structure, platform_admin, "21330063500017",
                {"company_name": "Mairie"})
    owner = make_user("gestion@mairie.fr")
    attach_principal(other, owner)
    before = state_of(other)
    with pytest.raises(errors.ConfigOtherStructure):
        run(config_transfer.import_config, owner, other, document)
    assert state_of(other) == before
    report = run(config_transfer.import_config, owner, other, document,
                 allow_other_identifier=True)
    assert other.services.filter(code="COMPTA").exists() and report.count("created") > 0


def test_a_private_structures_configuration_never_lands_on_a_public_one(
        qualified, structure, gp, buyer_user):
    source, _secrets = qualified
    document = export(gp, structure)
    before = state_of(source)
    with pytest.raises(errors.ConfigKindMismatch):
        run(config_transfer.import_config, buyer_user, source, document,
            allow_other_identifier=True)
    assert state_of(source) == before


def test_a_use_case_refusing_one_item_refuses_all(settings, qualified, platform_admin,
                                                  buyer_user):
    """The default public service cannot be deactivated: listed last, it undoes the services,
    espaces and bank details applied before it."""
    source, _secrets = qualified
    document = export(buyer_user, source)
    target, owner = move_to_production(settings, source, platform_admin)
    for item in document["services"]:
        if item["code"] == Service.DEFAULT_PUBLIC_CODE:
            item["is_active"] = False
    before = state_of(target)
    with pytest.raises(errors.ConfigImportRefused) as refused:
        run(config_transfer.import_config, owner, target, document)
    assert "ORG_DEFAULT_SERVICE_LOCKED" in refused.value.message("en")
    assert "FACTURES_PUBLIQUES" in refused.value.message("fr")
    assert state_of(target) == before


def test_an_engagement_whose_supplier_is_unknown_here_is_not_carried(
        settings, qualified, platform_admin, buyer_user):
    source, _secrets = qualified
    document = export(buyer_user, source)
    document["engagements"][0]["supplier_identifier"] = "55208131766522"
    target, owner = move_to_production(settings, source, platform_admin)
    report = run(config_transfer.import_config, owner, target, document)
    assert not Engagement.objects.filter(structure=target).exists()
    line = next(line for line in report.lines if line.key == "EJ-2026-0042")
    assert line.outcome == "skipped" and "55208131766522" in line.note("fr")


def test_the_audit_lines_read_as_sentences(settings, qualified, platform_admin, buyer_user):
    from choeur.organisations import activity

    source, _secrets = qualified
    document = export(buyer_user, source)
    target, owner = move_to_production(settings, source, platform_admin)
    run(config_transfer.import_config, owner, target, document)
    exported = AuditEvent.objects.get(action="organisations.config_exported")
    imported = AuditEvent.objects.get(action="organisations.config_imported")
    assert "a exporté la configuration" in activity.sentence(exported)
    assert f"qualification {BUYER_SIRET}" in activity.sentence(imported)


# --- The command line ----------------------------------------------------------------------


def test_the_commands(settings, qualified, platform_admin, buyer_user, tmp_path, capsys):
    source, secrets = qualified
    path = tmp_path / "config.json"
    assert main(["export-config", "--structure", BUYER_SIRET, "--email", buyer_user.email,
                 "--output", str(path)]) == 0
    assert "written to" in capsys.readouterr().out
    text = path.read_text()
    assert json.loads(text)["structure"]["identifier"] == BUYER_SIRET
    assert secrets["password"] not in text and secrets["secret"] not in text
    assert path.stat().st_mode & 0o077 == 0  # private: it holds bank details

    target, owner = move_to_production(settings, source, platform_admin)
    before = state_of(target)
    assert main(["import-config", str(path), "--structure", BUYER_SIRET, "--email",
                 owner.email, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing written" in out and "services            created   COMPTA" in out
    assert state_of(target) == before
    assert main(["import-config", str(path), "--structure", BUYER_SIRET, "--email",
                 owner.email]) == 0
    out = capsys.readouterr().out
    account = target.technical_accounts.get()
    assert f"technical account {account.login} password: " in out
    assert "shown once" in out
    assert target.services.filter(code="COMPTA").exists()
    assert main(["import-config", str(path), "--structure", BUYER_SIRET, "--email",
                 owner.email]) == 0
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_the_commands_refuse_clearly_and_change_nothing(settings, qualified, platform_admin,
                                                        buyer_user, tmp_path, capsys):
    source, _secrets = qualified
    audit_lines = AuditEvent.objects.count()
    unwritable = tmp_path / "absent" / "config.json"
    assert main(["export-config", "--structure", BUYER_SIRET, "--email", buyer_user.email,
                 "--output", str(unwritable)]) == 1
    assert "No such file or directory" in capsys.readouterr().err
    assert not unwritable.parent.exists() and AuditEvent.objects.count() == audit_lines
    assert main(["export-config", "--structure", BUYER_SIRET, "--email",
                 "nobody@example.fr"]) == 1
    assert "ORG_USER_NOT_FOUND" in capsys.readouterr().err
    assert main(["export-config", "--structure", "99999999999999", "--email",
                 buyer_user.email]) == 1
    assert "CORE_NOT_FOUND" in capsys.readouterr().err

    good = tmp_path / "config.json"
    assert main(["export-config", "--structure", BUYER_SIRET, "--email", buyer_user.email,
                 "--output", str(good)]) == 0
    document = json.loads(good.read_text())
    target, owner = move_to_production(settings, source, platform_admin)
    before = state_of(target)
    cases = {
        "bad.json": (b"{not json", "ORG_CONFIG_INVALID"),
        "v2.json": (json.dumps({**document, "version": 2}).encode(), "ORG_CONFIG_VERSION"),
        "big.json": (b" " * (config_transfer.MAX_BYTES + 10), "ORG_CONFIG_TOO_LARGE"),
    }
    for name, (content, code) in cases.items():
        (tmp_path / name).write_bytes(content)
        assert main(["import-config", str(tmp_path / name), "--structure", BUYER_SIRET,
                     "--email", owner.email]) == 1, name
        assert code in capsys.readouterr().err, name
    assert main(["import-config", str(tmp_path / "absent.json"), "--structure", BUYER_SIRET,
                 "--email", owner.email]) == 1
    assert "No such file" in capsys.readouterr().err
    # Someone who is not its gestionnaire: as if the structure did not exist.
    assert main(["import-config", str(good), "--structure", BUYER_SIRET, "--email",
                 buyer_user.email]) == 1
    assert "CORE_NOT_FOUND" in capsys.readouterr().err
    assert state_of(target) == before


def test_export_to_standard_output(qualified, buyer_user, capsys):
    assert main(["export-config", "--structure", BUYER_SIRET, "--email",
                 buyer_user.email]) == 0
    assert json.loads(capsys.readouterr().out)["services"]


# --- The portal ------------------------------------------------------------------------------


def test_portal_round_trip(settings, client, qualified, platform_admin, buyer_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    source, secrets = qualified
    client.force_login(buyer_user)
    page = client.get(f"/structures/{source.pk}/").content.decode()
    assert "Exporter la configuration" in page and "Importer une configuration" in page
    response = client.post(f"/structures/{source.pk}/configuration/", {"action": "export"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/json")
    assert f"configuration-{BUYER_SIRET}-" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = response.content
    assert secrets["password"].encode() not in data and secrets["secret"].encode() not in data

    target, owner = move_to_production(settings, source, platform_admin)
    client.force_login(owner)
    url = f"/structures/{target.pk}/configuration/"
    assert client.get(url).status_code == 200
    before = state_of(target)
    preview = client.post(url, {"action": "preview", "document": SimpleUploadedFile(
        "config.json", data, content_type="application/json")})
    body = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="config-report"' in body
    assert "Prévisualisation" in body and "COMPTA" in body and "EJ-2026-0099" in body
    assert state_of(target) == before
    # The confirmation applies the document previewed, and nothing else.
    forged = client.post(url, {"action": "import", "sha256": "0" * 64})
    assert forged.status_code == 302 and state_of(target) == before
    pending = client.session["choeur_config_import"]
    sha = pending["sha256"]
    # The session keeps a token, not the document (its bank details, up to 2 MB).
    assert "document" not in pending and "FR76" not in json.dumps(pending)
    done = client.post(url, {"action": "import", "sha256": sha})
    body = done.content.decode()
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    account = target.technical_accounts.get()
    assert 'data-testid="config-secrets"' in body and account.login in body
    assert target.services.filter(code="COMPTA").exists()
    assert "choeur_config_import" not in client.session
    # Shown once: the page asked again shows no secret.
    assert account.login not in client.get(url).content.decode()
    again = client.post(url, {"action": "import", "sha256": sha})
    assert again.status_code == 302  # nothing pending any more


def test_portal_refusals(settings, client, qualified, platform_admin, buyer_user, outsider):
    from django.core.files.uploadedfile import SimpleUploadedFile

    source, _secrets = qualified
    url = f"/structures/{source.pk}/configuration/"
    client.force_login(outsider)  # another structure's gestionnaire, the victim's real id
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "export"}).status_code == 404
    member = make_user("agent@drfip.gouv.fr")
    run(services.attach_user, buyer_user, source, member.email)
    client.force_login(member)
    assert client.post(url, {"action": "export"}).status_code == 403
    client.force_login(buyer_user)
    before = state_of(source)
    bad = client.post(url, {"action": "preview", "document": SimpleUploadedFile(
        "config.json", b"{\"format\": \"choeur-configuration\", \"version\": 7}")})
    assert bad.status_code == 200 and "ORG_CONFIG_VERSION_UNSUPPORTED" in bad.content.decode()
    assert "choeur_config_import" not in client.session
    assert state_of(source) == before
    big = client.post(url, {"action": "preview", "document": SimpleUploadedFile(
        "big.json", b" " * (config_transfer.MAX_BYTES + 1))})
    assert "ORG_CONFIG_TOO_LARGE" in big.content.decode()
    assert state_of(source) == before
    assert client.post(url, {"action": "nonsense"}).status_code == 404
