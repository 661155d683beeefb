"""Issue 15, `choeur matelas`: the account made when the address has none, the CSV and the
samples written; bad input (unknown seed value, a CSV path that cannot be written, a seed used
here already, an inactive account) gets a clear message and changes nothing."""

from __future__ import annotations

import csv

import pytest

from choeur.accounts.models import User
from choeur.cli import main
from choeur.organisations.models import Structure
from choeur.qualification.models import GeneratedMatelas

pytestmark = pytest.mark.django_db


def _nothing_created() -> bool:
    return not Structure.objects.exists() and not GeneratedMatelas.objects.exists()


def test_the_command_makes_the_account_the_data_set_and_its_files(qualification, tmp_path,
                                                                   capsys):
    assert main(["matelas", "--email", "Integratrice@Exemple.fr", "--seed", "12",
                 "--csv", str(tmp_path / "m.csv"), "--samples", str(tmp_path / "ech"),
                 "--base-url", "https://qualif.exemple.fr"]) == 0
    out = capsys.readouterr().out
    user = User.objects.get(email="integratrice@exemple.fr")
    assert user.is_active and "Password (shown once" in out
    with open(tmp_path / "m.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["token_url"] == "https://qualif.exemple.fr/api/oauth/token"
    assert rows[0]["client_secret"] not in out  # in the file, not on the terminal
    assert (tmp_path / "ech" / "index.csv").is_file()
    # Again for the same person, without a seed: a second data set, no second account.
    assert main(["matelas", "--email", "integratrice@exemple.fr"]) == 0
    out = capsys.readouterr().out
    assert "Password" not in out and "client_secret" in out  # no CSV: secrets shown once
    assert GeneratedMatelas.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("seed", ["douze", "-3", "99999999999"])
def test_an_unknown_seed_value(qualification, seed, capsys):
    assert main(["matelas", "--email", "a@exemple.fr", "--seed", seed]) == 1
    assert "QUAL_MATELAS_SEED_INVALID" in capsys.readouterr().err
    assert _nothing_created() and not User.objects.exists()


def test_a_csv_path_that_cannot_be_written(qualification, tmp_path, capsys):
    for path in (tmp_path / "absent" / "m.csv", tmp_path):
        assert main(["matelas", "--email", "a@exemple.fr", "--csv", str(path)]) == 1
        assert "QUAL_MATELAS_OUTPUT_UNWRITABLE" in capsys.readouterr().err
    (tmp_path / "fichier").write_text("x")
    assert main(["matelas", "--email", "a@exemple.fr",
                 "--samples", str(tmp_path / "fichier")]) == 1
    assert _nothing_created() and not User.objects.exists()


def test_a_write_that_fails_late_undoes_the_data_set(qualification, tmp_path, capsys,
                                                     monkeypatch):
    from choeur.qualification import samples

    def disk_full(built, directory):
        raise OSError(28, "No space left on device", str(directory))

    monkeypatch.setattr(samples, "write", disk_full)
    assert main(["matelas", "--email", "a@exemple.fr", "--csv", str(tmp_path / "m.csv"),
                 "--samples", str(tmp_path / "e")]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert _nothing_created() and not User.objects.exists()
    # No CSV of secrets for a data set that is not (the works pieces' PDFs stay as blobs in
    # the storage, tmp_path/files here, content-addressed: as any rolled-back deposit's).
    assert [p.name for p in tmp_path.iterdir()] in ([], ["files"])


def test_the_csv_is_the_owners_only_even_over_a_readable_file(qualification, tmp_path):
    target = tmp_path / "m.csv"
    target.write_text("old")
    target.chmod(0o644)
    assert main(["matelas", "--email", "a@exemple.fr", "--csv", str(target)]) == 0
    assert target.stat().st_mode & 0o077 == 0 and "client_secret" in target.read_text()


def test_a_seed_used_here_already_and_an_inactive_account(qualification, capsys,
                                                          django_user_model):
    assert main(["matelas", "--email", "a@exemple.fr", "--seed", "5"]) == 0
    count = Structure.objects.count()
    assert main(["matelas", "--email", "b@exemple.fr", "--seed", "5"]) == 1
    assert "QUAL_MATELAS_EXISTS" in capsys.readouterr().err
    django_user_model.objects.create_user("dormant@exemple.fr", "x" * 16, is_active=False)
    assert main(["matelas", "--email", "dormant@exemple.fr"]) == 1
    assert "QUAL_MATELAS_USER_INACTIVE" in capsys.readouterr().err
    assert Structure.objects.count() == count
    assert not User.objects.filter(email="b@exemple.fr").exists()
