import pytest

from choeur.cli import build_parser, main


@pytest.mark.django_db
def test_check_prints_configuration_without_secrets(capsys, settings):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "CHOEUR_DATA_DIR" in out and "CHOEUR_DATABASE_URL" in out
    assert settings.SECRET_KEY not in out
    assert "database" in out and "migrations" in out
    assert "worker                 FAIL" in out  # no worker runs during the tests


def test_every_command_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"serve", "web", "worker", "migrate", "createadmin", "check", "manage"} <= set(commands)
    for name, sub in commands.items():
        assert sub.format_help(), name


def test_python_dash_m_works():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "choeur", "--version"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("choeur ")
