"""Configuration: defaults that need nothing, and a one-line message naming a bad variable."""

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from choeur import config

README = Path(__file__).resolve().parents[1] / "README.md"


def env(tmp_path, **values):
    return {"CHOEUR_DATA_DIR": str(tmp_path / "data"), **values}


def test_defaults_need_nothing(tmp_path):
    cfg = config.load(env(tmp_path))
    assert cfg.database_url == f"sqlite:///{tmp_path / 'data' / 'choeur.sqlite3'}"
    assert cfg.environment == "production"
    assert (cfg.host, cfg.port) == ("127.0.0.1", 8000)
    assert cfg.base_url == "http://127.0.0.1:8000"
    assert "localhost" in cfg.allowed_hosts and "127.0.0.1" in cfg.allowed_hosts
    assert cfg.storage is None and cfg.email is None
    assert cfg.debug is False


def test_one_variable_gives_a_qualification_instance_beside_production(tmp_path, monkeypatch):
    """CHOEUR_ENVIRONMENT=qualification alone: another data directory and another port, so
    that it runs beside a production instance started with the defaults."""
    monkeypatch.chdir(tmp_path)
    production = config.load({})
    qualification = config.load({"CHOEUR_ENVIRONMENT": "qualification"})
    assert production.data_dir == tmp_path / "var" and production.port == 8000
    assert qualification.data_dir == tmp_path / "var-qualification"
    assert qualification.port == 8001 and qualification.is_qualification
    assert qualification.base_url == "http://127.0.0.1:8001"
    pinned = config.load({"CHOEUR_ENVIRONMENT": "qualification", "CHOEUR_PORT": "9000",
                          "CHOEUR_DATA_DIR": str(tmp_path / "q")})
    assert (pinned.port, pinned.data_dir) == (9000, tmp_path / "q")
    with pytest.raises(config.ConfigError, match="CHOEUR_ENVIRONMENT"):
        config.load({"CHOEUR_ENVIRONMENT": "staging"})


def test_the_makefile_gives_qualification_its_own_data_directory():
    makefile = (README.parent / "Makefile").read_text()
    result = subprocess.run(["make", "-s", "-f", "-", "show"], input=makefile + (
        "\nshow:\n\t@echo $(CHOEUR_DATA_DIR)\n"), capture_output=True, text=True,
        cwd=README.parent, env={k: v for k, v in os.environ.items()
                                if k not in ("CHOEUR_DATA_DIR", "CHOEUR_ENVIRONMENT")}
        | {"CHOEUR_ENVIRONMENT": "qualification"}, timeout=30)
    assert result.stdout.strip().endswith("/var-qualification"), result.stderr


def test_secret_key_generated_once_and_kept(tmp_path):
    first = config.load(env(tmp_path)).secret_key
    second = config.load(env(tmp_path)).secret_key
    assert first == second and len(first) >= 50
    key_file = tmp_path / "data" / config.SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_processes_starting_together_share_one_key(tmp_path):
    script = (
        "import sys; from choeur import config; "
        f"print(config.load({{'CHOEUR_DATA_DIR': {str(tmp_path / 'data')!r}}}).secret_key)"
    )
    starts = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
              for _ in range(6)]
    keys = {p.communicate(timeout=60)[0].strip() for p in starts}
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert sorted(os.listdir(tmp_path / "data")) == [config.SECRET_KEY_FILE]  # no temp file left


def test_an_empty_key_file_is_reported(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / config.SECRET_KEY_FILE).write_text("")
    with pytest.raises(config.ConfigError, match="too short: remove the file"):
        config.load(env(tmp_path))


def test_data_dir_is_private(tmp_path):
    config.load(env(tmp_path))
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


def test_ipv6_host(tmp_path):
    cfg = config.load(env(tmp_path, CHOEUR_HOST="::1"))
    assert cfg.base_url == "http://[::1]:8000"
    assert cfg.allowed_hosts.count("[::1]") == 1


def test_base_url_host_is_allowed_and_trailing_slash_dropped(tmp_path):
    cfg = config.load(env(tmp_path, CHOEUR_BASE_URL="https://factures.example.org/"))
    assert cfg.base_url == "https://factures.example.org"
    assert "factures.example.org" in cfg.allowed_hosts


def test_secret_key_from_environment_wins(tmp_path):
    key = "k" * 40
    assert config.load(env(tmp_path, CHOEUR_SECRET_KEY=key)).secret_key == key
    assert not (tmp_path / "data" / config.SECRET_KEY_FILE).exists()


def test_nodes_compare_their_secret_key_by_its_id(tmp_path):
    """Several nodes (one database) must share the key: `choeur check` shows an id of it to
    compare; each data directory's own generated key would differ."""
    shared = "n" * 40
    node_a = config.load(env(tmp_path / "a", CHOEUR_SECRET_KEY=shared))
    node_b = config.load(env(tmp_path / "b", CHOEUR_SECRET_KEY=shared))
    assert node_a.secret_key_id == node_b.secret_key_id
    assert node_a.secret_key_id in node_a.summary()["CHOEUR_SECRET_KEY"]
    own_a, own_b = config.load(env(tmp_path / "a")), config.load(env(tmp_path / "b"))
    assert own_a.secret_key_id != own_b.secret_key_id != node_a.secret_key_id
    assert re.fullmatch(r"[0-9a-f]{12}", node_a.secret_key_id)
    assert shared not in repr(node_a.summary())


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("CHOEUR_PORT", "abc", "integer"),
        ("CHOEUR_PORT", "70000", "integer"),
        ("CHOEUR_ENVIRONMENT", "staging", "production, qualification"),
        ("CHOEUR_DATABASE_URL", "mysql://x@h/db", "unsupported scheme"),
        ("CHOEUR_DATABASE_URL", "postgresql://u@host/", "no database name"),
        ("CHOEUR_SECRET_KEY", "short", "32 characters"),
        ("CHOEUR_BASE_URL", "ftp://example.org", "http(s) URL"),
        ("CHOEUR_BASE_URL", "https://example.org/choeur", "scheme://host[:port] only"),
        ("CHOEUR_BASE_URL", "https://example.org:port", "invalid port"),
        ("CHOEUR_ALLOWED_HOSTS", "a.example, b/c", "not a host name"),
        ("CHOEUR_STORAGE", "gcs://bucket", "s3://"),
        ("CHOEUR_EMAIL_URL", "imap://mail.example.org", "smtp://"),
        ("CHOEUR_EMAIL_URL", "smtp://mail.example.org:notaport", "invalid port"),
        ("CHOEUR_EMAIL_FROM", "nobody", "not an e-mail address"),
        ("CHOEUR_WEB_WORKERS", "0", "integer"),
        ("CHOEUR_DEBUG", "maybe", "true or false"),
        ("CHOEUR_LOG_LEVEL", "LOUD", "DEBUG, INFO"),
    ],
)
def test_bad_value_names_the_variable(tmp_path, variable, value, fragment):
    with pytest.raises(config.ConfigError) as excinfo:
        config.load(env(tmp_path, **{variable: value}))
    assert excinfo.value.variable == variable
    assert str(excinfo.value).startswith(f"{variable}: ")
    assert fragment in str(excinfo.value)


def test_unwritable_data_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(config.ConfigError) as excinfo:
        config.load({"CHOEUR_DATA_DIR": str(blocker / "sub")})
    assert excinfo.value.variable == "CHOEUR_DATA_DIR"


def test_s3_storage_needs_the_extra_or_parses(tmp_path):
    try:
        import boto3  # noqa: F401
        import storages  # noqa: F401
    except ImportError:
        with pytest.raises(config.ConfigError, match="choeur\\[s3\\]"):
            config.load(env(tmp_path, CHOEUR_STORAGE="s3://bucket/prefix"))
    else:
        cfg = config.load(env(tmp_path, CHOEUR_STORAGE="s3://k:s@bucket/pre?region=eu-west-3"))
        assert (cfg.storage.bucket, cfg.storage.prefix, cfg.storage.region) == (
            "bucket", "pre", "eu-west-3")


def test_smtp_url(tmp_path):
    cfg = config.load(env(tmp_path, CHOEUR_EMAIL_URL="smtp+tls://me%40x.fr:p%2Fw@mail.x.fr"))
    assert cfg.email.host == "mail.x.fr" and cfg.email.port == 587
    assert cfg.email.username == "me@x.fr" and cfg.email.password == "p/w"
    assert cfg.email.use_tls and not cfg.email.use_ssl
    assert "p/w" not in repr(cfg.email)


def test_summary_masks_secrets(tmp_path):
    cfg = config.load(env(tmp_path, CHOEUR_DATABASE_URL="postgresql://u:hunter2@db.local/choeur",
                          CHOEUR_SECRET_KEY="s" * 40))
    text = repr(cfg.summary())
    assert "hunter2" not in text and "s" * 40 not in text
    assert "***" in text


def test_toml_file_and_environment_precedence(tmp_path):
    toml = tmp_path / "choeur.toml"
    toml.write_text('port = 9001\nenvironment = "qualification"\n')
    cfg = config.load(env(tmp_path, CHOEUR_CONFIG_FILE=str(toml), CHOEUR_PORT="9002"))
    assert cfg.environment == "qualification" and cfg.port == 9002


def test_toml_file_unknown_key(tmp_path):
    toml = tmp_path / "choeur.toml"
    toml.write_text('prot = 9001\n')
    with pytest.raises(config.ConfigError, match="unknown setting 'prot'") as excinfo:
        config.load(env(tmp_path, CHOEUR_CONFIG_FILE=str(toml)))
    assert excinfo.value.variable == "CHOEUR_CONFIG_FILE"


def test_toml_lists_and_booleans(tmp_path):
    toml = tmp_path / "choeur.toml"
    toml.write_text('allowed_hosts = ["a.example.org", "b.example.org"]\ndebug = true\n')
    cfg = config.load(env(tmp_path, CHOEUR_CONFIG_FILE=str(toml)))
    assert cfg.allowed_hosts[:2] == ("a.example.org", "b.example.org") and cfg.debug


@pytest.mark.parametrize("line", ['admin_password = "x"', "port = [1, 2]", "[database]"])
def test_toml_refuses_secrets_and_odd_values(tmp_path, line):
    toml = tmp_path / "choeur.toml"
    toml.write_text(line + "\n")
    with pytest.raises(config.ConfigError) as excinfo:
        config.load(env(tmp_path, CHOEUR_CONFIG_FILE=str(toml)))
    assert excinfo.value.variable == "CHOEUR_CONFIG_FILE"


def test_readme_documents_every_variable():
    documented = set(re.findall(r"^\| `(CHOEUR_[A-Z_]+)`", README.read_text(), re.MULTILINE))
    assert documented == set(config.VARIABLES)


def test_cli_stops_with_one_line_naming_the_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "choeur", "check"],
        env={**os.environ, "CHOEUR_DATA_DIR": str(tmp_path), "CHOEUR_PORT": "eighty"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "choeur: configuration error: CHOEUR_PORT: must be an integer between 1 and 65535 "
        "(got 'eighty')"
    ]


def test_sqlite_is_durable_by_default(tmp_path):
    base = {"CHOEUR_DATA_DIR": str(tmp_path)}
    assert config.load(base).sqlite_synchronous == "FULL"
    assert config.load({**base, "CHOEUR_SQLITE_SYNCHRONOUS": "normal"}).sqlite_synchronous \
        == "NORMAL"
    with pytest.raises(config.ConfigError, match="CHOEUR_SQLITE_SYNCHRONOUS"):
        config.load({**base, "CHOEUR_SQLITE_SYNCHRONOUS": "OFF"})


@pytest.mark.django_db
def test_the_sqlite_connection_syncs_every_commit():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's setting")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
