"""A throwaway PostgreSQL 15 cluster for the benches, as scripts/test.sh starts one.

`database()` is a context manager yielding a database URL: CHOEUR_DATABASE_URL when it is
set, otherwise a new cluster (initdb as the `postgres` user when run as root, a free port on
127.0.0.1, fsync off, the memory settings of a modest production server) in a temporary folder,
stopped and removed on exit — or, with `keep=DIR`, in DIR: made there the first time, started
again from there the next ones, stopped on exit and left in place (a big data set loaded once).
Debian's postgresql-15 is installed first when it is missing.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# A throwaway cluster needs no durability; the memory settings are a modest production
# server's (shared_buffers), the rest only speeds the load up (index builds, WAL).
PG_SETTINGS = {
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    "shared_buffers": "512MB", "maintenance_work_mem": "512MB", "max_wal_size": "4GB",
    "checkpoint_timeout": "30min", "wal_level": "minimal", "max_wal_senders": "0",
}


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, **kwargs)  # noqa: S603 (our own commands)


def ensure_postgresql() -> None:
    """Install Debian's postgresql-15 when it is missing, as scripts/test.sh does."""
    if (PG_BIN / "initdb").exists():
        return
    print("== Installing Debian packages: postgresql-15", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    _run([*sudo, "apt-get", "update", "-qq"])
    _run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
          "postgresql-15"], stdout=subprocess.DEVNULL)


def ensure_postgres_user() -> None:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
              "postgres"])


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free port, removed by stop()."""

    def __init__(self, settings: dict[str, str] | None = None,
                 keep: Path | None = None) -> None:
        self.keep = keep
        if keep is None:
            self.work = Path(tempfile.mkdtemp(prefix="choeur-bench-"))
        else:
            self.work = keep.resolve()
            self.work.mkdir(parents=True, exist_ok=True)
        self.work.chmod(0o755)
        self.data = self.work / "pg"
        self.settings = dict(PG_SETTINGS if settings is None else settings)
        self.as_pg: list[str] = []
        self.started = False

    def describe(self) -> str:
        return (f"PostgreSQL 15 cluster in {self.data} "
                f"({', '.join(f'{k}={v}' for k, v in self.settings.items())})")

    def start(self) -> str:
        existing = (self.data / "PG_VERSION").exists()
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres system user.
            ensure_postgres_user()
            self.data.mkdir(exist_ok=True)
            shutil.chown(self.data, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not existing:
            _run([*self.as_pg, str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "choeur",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], stdout=subprocess.DEVNULL)
        options = " ".join([f"-p {port}", f"-k {self.data}", "-c listen_addresses=127.0.0.1",
                            *(f"-c {name}={value}" for name, value in self.settings.items())])
        _run([*self.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
              str(self.data / "server.log"), "-w", "-o", options, "start"],
             stdout=subprocess.DEVNULL)
        self.started = True
        if not existing:
            _run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "choeur",
                  "choeur"])
        return f"postgresql://choeur@127.0.0.1:{port}/choeur"

    def stop(self) -> None:
        if self.started:
            # A kept cluster is shut down cleanly (no recovery at its next start).
            mode = "immediate" if self.keep is None else "fast"
            subprocess.run([*self.as_pg, str(PG_BIN / "pg_ctl"), "-D", str(self.data),  # noqa: S603
                            "-m", mode, "stop"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        if self.keep is None:
            shutil.rmtree(self.work, ignore_errors=True)


@contextlib.contextmanager
def database(settings: dict[str, str] | None = None,
             keep: Path | None = None) -> Iterator[str]:
    """CHOEUR_DATABASE_URL when set, else a throwaway cluster's URL (printed, removed after;
    with `keep`, the cluster in that folder, made or reused, left there)."""
    url = os.environ.get("CHOEUR_DATABASE_URL", "")
    if url:
        yield url
        return
    ensure_postgresql()
    cluster = Cluster(settings, keep)
    try:
        url = cluster.start()
        print(cluster.describe())
        yield url
    finally:
        close_django_connections()
        cluster.stop()


def run_on_sqlite(bench, args, prefix: str) -> None:
    """Run `bench(args)` in this process on a throwaway SQLite data directory."""
    import tempfile
    from pathlib import Path

    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.environ.update({"CHOEUR_DATA_DIR": str(work), "CHOEUR_DATABASE_URL": "",
                           "CHOEUR_DEBUG": "false", "DJANGO_SETTINGS_MODULE": "choeur.settings"})
        bench(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_child(argv: list[str], work: Path, db: str) -> dict:
    """Run a bench's child process (`argv`) on `db` ("sqlite", or a throwaway PostgreSQL
    database) with `work / "data"` as its data folder, and read the JSON it wrote to
    `work / "result.json"` ({} when it wrote none)."""
    import json

    env = {**os.environ, "CHOEUR_DATA_DIR": str(work / "data"), "CHOEUR_DEBUG": "false",
           "DJANGO_SETTINGS_MODULE": "choeur.settings"}
    if db == "sqlite":
        env["CHOEUR_DATABASE_URL"] = ""
        subprocess.run(argv, env=env, check=True)  # noqa: S603
    else:
        with database() as url:
            env["CHOEUR_DATABASE_URL"] = url
            subprocess.run(argv, env=env, check=True)  # noqa: S603
    result = work / "result.json"
    return json.loads(result.read_text()) if result.exists() else {}


def close_django_connections() -> None:
    """Close Django's connections (if Django was set up) before a cluster goes away."""
    import sys

    if "choeur.settings" in sys.modules:
        from django.db import connections

        connections.close_all()


def run_in_django(bench, args, keep: Path | None = None) -> None:
    """Run `bench(args)` with Django set up on a throwaway cluster (or CHOEUR_DATABASE_URL,
    or the cluster kept in `keep`) and a temporary data directory, removed afterwards."""
    import tempfile
    from pathlib import Path

    work = Path(tempfile.mkdtemp(prefix="choeur-bench-data-"))
    try:
        with database(keep=keep) as url:
            os.environ.update({"CHOEUR_DATABASE_URL": url, "CHOEUR_DATA_DIR": str(work),
                               "CHOEUR_DEBUG": "false",
                               "DJANGO_SETTINGS_MODULE": "choeur.settings"})
            try:
                bench(args)
            finally:
                close_django_connections()
    finally:
        shutil.rmtree(work, ignore_errors=True)


_backend: dict[int, int] = {}


def backend_cpu() -> float:
    """CPU seconds so far of the PostgreSQL backend serving Django's connection (read from
    /proc: the cluster runs on this machine; nanoseconds from schedstat, else clock ticks;
    NaN where neither can be read). The database's share of a request, which the load of a
    shared machine disturbs far less than wall time."""
    from django.db import connection

    connection.ensure_connection()
    key = id(connection.connection)
    if key not in _backend:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend.clear()
            _backend[key] = cursor.fetchone()[0]
    pid = _backend[key]
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a query the bench captured."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())
