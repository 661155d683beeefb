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


@pytest.mark.parametrize(("proxies", "believed"), [
    (None, {"127.0.0.1/32", "::1/128"}),
    ("10.0.0.0/8, 192.168.1.7", {"10.0.0.0/8", "192.168.1.7/32"}),
    ("none", set()),
])
def test_gunicorn_believes_the_scheme_from_the_trusted_proxies_only(tmp_path, proxies, believed):
    """X-Forwarded-Proto (https behind a load balancer) is believed from the proxies whose
    X-Forwarded-For the throttles believe, and from no one else."""
    from choeur import config
    from choeur.cli import _gunicorn_app

    environ = {"CHOEUR_DATA_DIR": str(tmp_path)}
    if proxies is not None:
        environ["CHOEUR_TRUSTED_PROXIES"] = proxies
    app = _gunicorn_app(config.load(environ))
    assert {str(n) for n in app.cfg.forwarded_allow_networks()} == believed
    assert "*" not in app.cfg.forwarded_allow_ips
