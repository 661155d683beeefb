import re

import pytest

from choeur.cli import build_parser, main


@pytest.mark.django_db
def test_check_prints_configuration_without_secrets(capsys, settings):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "CHOEUR_DATA_DIR" in out and "CHOEUR_DATABASE_URL" in out
    assert settings.SECRET_KEY not in out
    assert "database" in out and "migrations" in out
    assert re.search(r"^  worker +FAIL", out, re.MULTILINE)  # no worker runs during the tests


def test_the_commands_the_issue_asks_for(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    usage = capsys.readouterr().out
    for command in ("serve", "worker", "migrate", "createadmin", "check"):
        assert re.search(rf"^    {command}\b", usage, re.MULTILINE), command


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "choeur", "--version"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("choeur ")
