import pytest

from choeur.cli import main
from choeur.organisations import annuaire
from choeur.organisations.models import Service, Structure

pytestmark = pytest.mark.django_db

HEADER = ("identifiant;raison_sociale;adresse;code_postal;ville;"
          "code_service_doit_etre_renseigne;numero_ej_doit_etre_renseigne;"
          "code_service;nom_service;service_engagement_obligatoire;service_fin_validite\n")
GOOD = HEADER + (
    "11000201100044;Ministère des Essais;1 rue de l'État;75007;Paris;OUI;NON;"
    "DAF;Direction financière;OUI;2050-12-31\n"
    "11000201100044;Ministère des Essais;1 rue de l'État;75007;Paris;OUI;NON;"
    "RH;Ressources humaines;NON;\n"
    "21690123100011;Commune de Lyon-Essai;Place de la Mairie;69001;Lyon;NON;OUI;;;;\n"
)


@pytest.fixture
def csv_file(tmp_path):
    def write(text, encoding="utf-8"):
        path = tmp_path / "structures.csv"
        path.write_bytes(text.encode(encoding))
        return str(path)
    return write


def test_import_creates_public_structures_with_their_services(csv_file, capsys):
    assert main(["import-structures", csv_file(GOOD)]) == 0
    assert "2 structure(s) created, 0 updated; 2 service(s) created" in capsys.readouterr().out
    ministry = Structure.objects.get(identifier="11000201100044")
    assert ministry.kind == "PUBLIQUE" and ministry.service_code_required
    assert sorted(ministry.services.values_list("code", flat=True)) == [
        "DAF", "FACTURES_PUBLIQUES", "RH"]
    assert ministry.services.get(code="DAF").engagement_required
    town = Structure.objects.get(identifier="21690123100011")
    assert town.engagement_required and town.city == "Lyon"
    # the same file again changes nothing
    assert main(["import-structures", csv_file(GOOD)]) == 0
    assert "0 structure(s) created, 0 updated; 0 service(s) created, 0 updated" in (
        capsys.readouterr().out)


def test_updates(csv_file, capsys):
    main(["import-structures", csv_file(GOOD)])
    capsys.readouterr()
    changed = GOOD.replace("Direction financière;OUI", "Direction des finances;NON")
    changed = changed.replace("Lyon-Essai;Place de la Mairie", "Lyon-Essai;Hôtel de Ville")
    assert main(["import-structures", csv_file(changed)]) == 0
    assert "0 structure(s) created, 1 updated; 0 service(s) created, 1 updated" in (
        capsys.readouterr().out)
    daf = Service.objects.get(code="DAF")
    assert daf.name == "Direction des finances" and not daf.engagement_required


def test_any_bad_line_refuses_the_whole_file(csv_file, capsys):
    bad = GOOD + ("11000201100045;Clé fausse;;;;NON;NON;;;;\n"
                  "13002526500013;Drapeau faux;;;;PEUT-ETRE;NON;;;;\n"
                  "13002526500013;Date fausse;;;;NON;NON;X;X;NON;31/12/2050\n")
    assert main(["import-structures", csv_file(bad)]) == 1
    err = capsys.readouterr().err
    assert "ORG_IMPORT_INVALID" in err and "line 5" in err and "line 6" in err
    assert "line 7: the data of structure 13002526500013 differs from line 6" in err
    assert "4 error(s)" in err
    assert not Structure.objects.exists()


def test_wrong_encoding_and_missing_columns(csv_file, capsys):
    assert main(["import-structures", csv_file(GOOD, "latin-1")]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["import-structures", csv_file("siret;nom\n1;2\n")]) == 1
    assert "missing column(s): identifiant, raison_sociale" in capsys.readouterr().err
    assert main(["import-structures", "/nonexistent.csv"]) == 1
    assert not Structure.objects.exists()


def test_dry_run_writes_nothing(csv_file, capsys):
    assert main(["import-structures", "--dry-run", csv_file(GOOD)]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert not Structure.objects.exists()


def test_annuaire_export_reimports_identically(csv_file, client, capsys):
    main(["import-structures", csv_file(GOOD)])
    exported = b"".join(
        chunk if isinstance(chunk, bytes) else chunk.encode()
        for chunk in client.get("/annuaire.csv").streaming_content
    )
    text = exported.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("identifiant;type_identifiant;raison_sociale")
    assert "11000201100044;SIRET;Ministère des Essais" in text
    capsys.readouterr()
    assert main(["import-structures", csv_file(text)]) == 0
    assert "0 structure(s) created, 0 updated; 0 service(s) created, 0 updated" in (
        capsys.readouterr().out)
    assert annuaire.search(name="essais").count() == 1


def test_annuaire_pages(csv_file, client):
    main(["import-structures", csv_file(GOOD)])
    empty = client.get("/annuaire/", {"siret": ""})
    assert "Renseignez au moins un critère" in empty.content.decode()
    found = client.get("/annuaire/", {"city": "paris"}).content.decode()
    assert "Ministère des Essais" in found and "Lyon" not in found
    ministry = Structure.objects.get(identifier="11000201100044")
    detail = client.get(f"/annuaire/{ministry.pk}/").content.decode()
    assert "DAF" in detail and "Direction financière" in detail
    assert client.get("/annuaire/", {"postcode": "690"}).content.decode().count(
        "Commune de Lyon-Essai") == 1


def test_private_structures_are_not_in_the_annuaire(client, structure):
    assert client.get(f"/annuaire/{structure.pk}/").status_code == 404
    assert "ACME Fournitures" not in client.get("/annuaire/", {"name": "ACME"}).content.decode()
    assert "ACME" not in b"".join(client.get("/annuaire.csv").streaming_content).decode()
