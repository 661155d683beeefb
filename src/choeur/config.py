"""Configuration read from the environment (and an optional TOML file).

This module imports nothing from Django: the command line validates the
configuration before Django starts, so a bad value stops start-up with one line
naming the variable instead of a traceback from deep inside Django.

Precedence: environment variable > TOML file (``CHOEUR_CONFIG_FILE``) > default.
In the TOML file, keys are the variable names without the ``CHOEUR_`` prefix,
in lower case (``database_url = "postgres://..."``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

ENVIRONMENTS = ("production", "qualification")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: SQLite's `synchronous` (WAL): FULL syncs the log at every commit — a commit the client was
#: told of survives a power cut —; NORMAL syncs at checkpoints only: faster, and the last
#: commits before a power cut (not a crash of Choeur) may be lost.
SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
#: Seconds to reach the object store (S3), and to wait for each of its answers' bytes.
S3_CONNECT_TIMEOUT = 5
S3_READ_TIMEOUT = 20

#: Every variable Choeur reads, with its documentation (the README table is checked
#: against this list by a test).
VARIABLES = {
    "CHOEUR_CONFIG_FILE": "Optional TOML file with the same settings (keys in lower case, "
    "without the prefix).",
    "CHOEUR_DATA_DIR": "Data directory: SQLite database, secret key, files, e-mail outbox.",
    "CHOEUR_DATABASE_URL": "Database URL; SQLite in the data directory when empty.",
    "CHOEUR_SECRET_KEY": "Django secret key; generated once and kept in the data directory.",
    "CHOEUR_ENVIRONMENT": "`production` or `qualification`.",
    "CHOEUR_HOST": "Address `choeur serve` listens on.",
    "CHOEUR_PORT": "Port `choeur serve` listens on.",
    "CHOEUR_BASE_URL": "Public URL of the portal, used in e-mails and for CSRF.",
    "CHOEUR_ALLOWED_HOSTS": "Comma-separated host names the portal answers to.",
    "CHOEUR_TRUSTED_PROXIES": "Comma-separated addresses of the reverse proxies whose "
    "X-Forwarded-For names the client and X-Forwarded-Proto the scheme (loopback by "
    "default).",
    "CHOEUR_STORAGE": "Where files go: local data directory when empty, or `s3://...`.",
    "CHOEUR_EMAIL_URL": "Outgoing mail: outbox in the data directory when empty, or `smtp://...`.",
    "CHOEUR_EMAIL_FROM": "Sender address of e-mails.",
    "CHOEUR_WEB_WORKERS": "Number of gunicorn worker processes.",
    "CHOEUR_WEB_THREADS": "Threads per gunicorn worker process.",
    "CHOEUR_DEBUG": "Django debug mode (never in production).",
    "CHOEUR_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR.",
    "CHOEUR_SQLITE_SYNCHRONOUS": "SQLite only: FULL (durable, the default) or NORMAL (faster; "
    "a power cut may lose the last commits).",
    "CHOEUR_ADMIN_EMAIL": "E-mail of the first administrator (`choeur createadmin`).",
    "CHOEUR_ADMIN_PASSWORD": "Password of the first administrator (`choeur createadmin`).",
    "CHOEUR_RETENTION_YEARS": "Years an invoice is kept after its last status change, once "
    "final (6 to 50); `choeur archive purge` removes it after that.",
}


#: Read from the environment only: a password has no place in a file kept beside the data.
ENVIRONMENT_ONLY = {"CHOEUR_CONFIG_FILE", "CHOEUR_ADMIN_EMAIL", "CHOEUR_ADMIN_PASSWORD"}


class ConfigError(Exception):
    """A configuration value is wrong; the message names the variable."""

    def __init__(self, variable: str, problem: str):
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


@dataclass(frozen=True)
class S3Storage:
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    access_key: str | None
    secret_key: str | None = field(repr=False)

    def django_storage(self) -> dict:
        """The Django STORAGES entry (django-storages' S3 backend)."""
        from botocore.config import Config as BotoConfig

        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "location": self.prefix,
                "endpoint_url": self.endpoint_url,
                "region_name": self.region,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                # A name is the sha256 of its bytes: writing it again writes the same bytes.
                # Not overwriting would make two nodes storing the same file at once leave a
                # copy under a made-up name (`<sha256>_AbC12xy`), after one more request each.
                "file_overwrite": True,
                "default_acl": None,
                # An unreachable store fails a request in seconds, not botocore's minutes
                # (60 s to connect, 60 s per read, 5 tries): a web thread or /healthz is not
                # held while a node has lost the store.
                "client_config": BotoConfig(connect_timeout=S3_CONNECT_TIMEOUT,
                                            read_timeout=S3_READ_TIMEOUT,
                                            retries={"max_attempts": 3, "mode": "standard"}),
            },
        }


@dataclass(frozen=True)
class SmtpEmail:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    use_tls: bool = False  # STARTTLS
    use_ssl: bool = False  # implicit TLS


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    secret_key: str = field(repr=False)
    environment: str
    host: str
    port: int
    base_url: str
    allowed_hosts: tuple[str, ...]
    trusted_proxies: tuple[str, ...]
    storage: S3Storage | None
    email: SmtpEmail | None
    email_from: str
    web_workers: int
    web_threads: int
    debug: bool
    log_level: str
    retention_years: int = 10
    sqlite_synchronous: str = "FULL"

    @property
    def is_qualification(self) -> bool:
        return self.environment == "qualification"

    @property
    def secret_key_id(self) -> str:
        """Names the secret key without revealing it (an HMAC of a fixed text): nodes sharing
        a database must show the same id, or a token or session from one is refused by the
        other (`choeur check` prints it)."""
        return hmac.new(self.secret_key.encode(), b"choeur secret key id",
                        hashlib.sha256).hexdigest()[:12]

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def summary(self) -> dict[str, str]:
        """What `choeur check` prints: every setting, secrets masked."""
        return {
            "CHOEUR_DATA_DIR": str(self.data_dir),
            "CHOEUR_DATABASE_URL": _mask_url(self.database_url),
            "CHOEUR_SECRET_KEY": f"(set; id {self.secret_key_id}, the same on every node)",
            "CHOEUR_ENVIRONMENT": self.environment,
            "CHOEUR_HOST": self.host,
            "CHOEUR_PORT": str(self.port),
            "CHOEUR_BASE_URL": self.base_url,
            "CHOEUR_ALLOWED_HOSTS": ",".join(self.allowed_hosts),
            "CHOEUR_TRUSTED_PROXIES": ",".join(self.trusted_proxies) or "(none)",
            "CHOEUR_STORAGE": (
                f"s3://{self.storage.bucket}/{self.storage.prefix}"
                if self.storage
                else f"local ({self.files_dir})"
            ),
            "CHOEUR_EMAIL_URL": (
                f"smtp://{self.email.host}:{self.email.port}"
                if self.email
                else f"outbox ({self.outbox_dir})"
            ),
            "CHOEUR_EMAIL_FROM": self.email_from,
            "CHOEUR_WEB_WORKERS": str(self.web_workers),
            "CHOEUR_WEB_THREADS": str(self.web_threads),
            "CHOEUR_DEBUG": str(self.debug).lower(),
            "CHOEUR_LOG_LEVEL": self.log_level,
            "CHOEUR_RETENTION_YEARS": str(self.retention_years),
            "CHOEUR_SQLITE_SYNCHRONOUS": self.sqlite_synchronous,
        }


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


class _Source:
    """Reads raw values: environment first, then the TOML file."""

    def __init__(self, environ: dict[str, str]):
        self.environ = environ
        self.file_values: dict[str, object] = {}
        path = environ.get("CHOEUR_CONFIG_FILE", "").strip()
        if path:
            try:
                with open(path, "rb") as fh:
                    raw = tomllib.load(fh)
            except OSError as exc:
                problem = f"cannot read {path}: {exc.strerror}"
                raise ConfigError("CHOEUR_CONFIG_FILE", problem) from exc
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError("CHOEUR_CONFIG_FILE", f"{path} is not valid TOML: {exc}") from exc
            for key, value in raw.items():
                name = "CHOEUR_" + key.upper()
                if name not in VARIABLES or name in ENVIRONMENT_ONLY:
                    raise ConfigError("CHOEUR_CONFIG_FILE", f"{path}: unknown setting {key!r}")
                if isinstance(value, list) and all(isinstance(v, str) for v in value):
                    value = ",".join(value)  # allowed_hosts = ["a", "b"]
                elif not isinstance(value, str | int | bool):
                    raise ConfigError(
                        "CHOEUR_CONFIG_FILE", f"{path}: {key} must be a string, number or boolean"
                    )
                if isinstance(value, bool):
                    value = "true" if value else "false"
                self.file_values[name] = value

    def get(self, name: str, default: str = "") -> str:
        if name in self.environ:
            return self.environ[name].strip()
        if name in self.file_values:
            return str(self.file_values[name]).strip()
        return default


def _integer(src: _Source, name: str, default: int, low: int, high: int) -> int:
    raw = src.get(name, str(default))
    problem = f"must be an integer between {low} and {high} (got {raw!r})"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, problem) from None
    if not low <= value <= high:
        raise ConfigError(name, problem)
    return value


def _boolean(src: _Source, name: str, default: bool) -> bool:
    raw = src.get(name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(name, f"must be true or false (got {raw!r})")


def _environment(src: _Source) -> str:
    environment = src.get("CHOEUR_ENVIRONMENT", "production").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError("CHOEUR_ENVIRONMENT", f"must be one of {', '.join(ENVIRONMENTS)}")
    return environment


def _data_dir(src: _Source) -> Path:
    # A qualification instance keeps its own data by default, so that it runs beside a
    # production one with a single variable (CHOEUR_ENVIRONMENT).
    default = "var-qualification" if _environment(src) == "qualification" else "var"
    raw = src.get("CHOEUR_DATA_DIR", default)
    path = Path(raw).expanduser().resolve()
    try:
        # Private: the database, the secret key and the outbox (with its links) live here.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("CHOEUR_DATA_DIR", f"cannot create {path}: {exc.strerror}") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError("CHOEUR_DATA_DIR", f"{path} is not writable")
    return path


def _database_url(src: _Source, data_dir: Path) -> str:
    url = src.get("CHOEUR_DATABASE_URL")
    if not url:
        return f"sqlite:///{data_dir / 'choeur.sqlite3'}"
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return url
    if scheme in ("postgres", "postgresql", "pgsql"):
        parts = urlsplit(url)
        if not parts.hostname and "host" not in parse_qs(parts.query):
            raise ConfigError("CHOEUR_DATABASE_URL", "PostgreSQL URL has no host")
        if not parts.path.strip("/"):
            raise ConfigError("CHOEUR_DATABASE_URL", "PostgreSQL URL has no database name")
        return url
    raise ConfigError(
        "CHOEUR_DATABASE_URL",
        f"unsupported scheme {scheme!r}: use sqlite:///path or postgresql://user:pass@host/db",
    )


def _secret_key(src: _Source, data_dir: Path) -> str:
    key = src.get("CHOEUR_SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("CHOEUR_SECRET_KEY", "must be at least 32 characters long")
        return key
    path = data_dir / SECRET_KEY_FILE
    try:
        if not path.exists():
            # Written whole to a temporary file, then published with link(), which fails if
            # another process published its key first: every process ends up with the same key
            # and nobody ever reads a half-written file.
            tmp = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = path.read_text().strip()
    except OSError as exc:
        raise ConfigError("CHOEUR_DATA_DIR", f"cannot use {path}: {exc.strerror}") from exc
    if len(key) < 32:
        raise ConfigError(
            "CHOEUR_SECRET_KEY", f"the key kept in {path} is too short: remove the file"
        )
    return key


def _base_url(src: _Source, host: str, port: int) -> str:
    default_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in default_host:
        default_host = f"[{default_host}]"  # an IPv6 address
    raw = src.get("CHOEUR_BASE_URL", f"http://{default_host}:{port}")
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ConfigError("CHOEUR_BASE_URL", f"has an invalid port (got {raw!r})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("CHOEUR_BASE_URL", f"must be an http(s) URL (got {raw!r})")
    if parts.path.strip("/") or parts.query or parts.fragment:
        # Choeur is served at the root of its host; a path prefix would break CSRF origins
        # and every absolute link.
        raise ConfigError("CHOEUR_BASE_URL", f"must be scheme://host[:port] only (got {raw!r})")
    return f"{parts.scheme}://{parts.netloc}"


def _allowed_hosts(src: _Source, base_url: str) -> tuple[str, ...]:
    raw = src.get("CHOEUR_ALLOWED_HOSTS")
    hosts = [h.strip() for h in raw.split(",") if h.strip()] if raw else []
    if not raw:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    base_host = urlsplit(base_url).hostname or ""
    if ":" in base_host:
        base_host = f"[{base_host}]"  # Django spells IPv6 hosts with brackets
    if base_host and base_host not in hosts and "*" not in hosts:
        hosts.append(base_host)
    for h in hosts:
        if " " in h or "/" in h:
            raise ConfigError("CHOEUR_ALLOWED_HOSTS", f"{h!r} is not a host name")
    return tuple(hosts)


def _trusted_proxies(src: _Source) -> tuple[str, ...]:
    """The proxies whose X-Forwarded-For is believed (the throttle's client address): the
    loopback by default (a proxy on the same machine), `none` for no proxy at all."""
    raw = src.get("CHOEUR_TRUSTED_PROXIES")
    if raw is None or not raw.strip():
        return ("127.0.0.1", "::1")
    if raw.strip().lower() == "none":
        return ()
    proxies = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError("CHOEUR_TRUSTED_PROXIES",
                              f"{item!r} is not an IP address or network") from None
    return tuple(proxies)


def _storage(src: _Source) -> S3Storage | None:
    raw = src.get("CHOEUR_STORAGE")
    if not raw or raw == "local":
        return None
    parts = urlsplit(raw)
    if parts.scheme != "s3":
        raise ConfigError("CHOEUR_STORAGE", "must be empty (local files) or s3://bucket/prefix?...")
    if not parts.hostname:
        raise ConfigError("CHOEUR_STORAGE", "s3:// URL has no bucket")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint_url", "region"}
    if unknown:
        raise ConfigError("CHOEUR_STORAGE", f"unknown option(s): {', '.join(sorted(unknown))}")
    try:
        import boto3  # noqa: F401
        import storages  # noqa: F401
    except ImportError:
        raise ConfigError(
            "CHOEUR_STORAGE", "S3 needs the s3 extra: pip install 'choeur[s3]'"
        ) from None
    return S3Storage(
        bucket=parts.hostname,
        prefix=parts.path.strip("/"),
        endpoint_url=query.get("endpoint_url"),
        region=query.get("region"),
        access_key=unquote(parts.username) if parts.username else None,
        secret_key=unquote(parts.password) if parts.password else None,
    )


def _email(src: _Source) -> SmtpEmail | None:
    raw = src.get("CHOEUR_EMAIL_URL")
    if not raw or raw == "outbox":
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtp+tls", "smtps"):
        raise ConfigError(
            "CHOEUR_EMAIL_URL", "must be empty (outbox), smtp://, smtp+tls:// or smtps:// URL"
        )
    if not parts.hostname:
        raise ConfigError("CHOEUR_EMAIL_URL", "SMTP URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("CHOEUR_EMAIL_URL", "SMTP URL has an invalid port") from None
    use_ssl = parts.scheme == "smtps"
    return SmtpEmail(
        host=parts.hostname,
        port=port or (465 if use_ssl else 587 if parts.scheme == "smtp+tls" else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=parts.scheme == "smtp+tls",
        use_ssl=use_ssl,
    )


def load(environ: dict[str, str] | None = None) -> Config:
    """Read and check the whole configuration; raise ConfigError on the first bad value."""
    src = _Source(dict(os.environ) if environ is None else environ)
    environment = _environment(src)
    data_dir = _data_dir(src)
    host = src.get("CHOEUR_HOST", "127.0.0.1")
    port = _integer(src, "CHOEUR_PORT", 8001 if environment == "qualification" else 8000,
                    1, 65535)
    base_url = _base_url(src, host, port)
    email_from = src.get("CHOEUR_EMAIL_FROM", "Choeur <noreply@localhost>")
    if "@" not in email_from:
        raise ConfigError("CHOEUR_EMAIL_FROM", f"is not an e-mail address (got {email_from!r})")
    log_level = src.get("CHOEUR_LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError("CHOEUR_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
    sqlite_synchronous = src.get("CHOEUR_SQLITE_SYNCHRONOUS", "FULL").upper()
    if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
        raise ConfigError("CHOEUR_SQLITE_SYNCHRONOUS",
                          f"must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
    return Config(
        data_dir=data_dir,
        database_url=_database_url(src, data_dir),
        secret_key=_secret_key(src, data_dir),
        environment=environment,
        host=host,
        port=port,
        base_url=base_url,
        allowed_hosts=_allowed_hosts(src, base_url),
        trusted_proxies=_trusted_proxies(src),
        storage=_storage(src),
        email=_email(src),
        email_from=email_from,
        web_workers=_integer(src, "CHOEUR_WEB_WORKERS", 2, 1, 64),
        web_threads=_integer(src, "CHOEUR_WEB_THREADS", 4, 1, 64),
        debug=_boolean(src, "CHOEUR_DEBUG", False),
        log_level=log_level,
        retention_years=_integer(src, "CHOEUR_RETENTION_YEARS", 10, 6, 50),
        sqlite_synchronous=sqlite_synchronous,
    )
