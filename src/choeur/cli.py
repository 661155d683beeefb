"""The `choeur` command: serve, worker, migrate, createadmin, check, manage.

The configuration is checked before Django starts, so a bad value stops the command with one
line naming the variable (exit status 2) rather than a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from choeur import __version__, config


def _fail(message: str, status: int = 2) -> int:
    print(f"choeur: {message}", file=sys.stderr)
    return status


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choeur.settings")
    import django

    django.setup()


def _database_error(exc: Exception) -> str:
    # The driver's first line says what is wrong (refused, unknown database, bad password)
    # without echoing the URL and its password.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"CHOEUR_DATABASE_URL: cannot use the database ({first})"


# --- serve ----------------------------------------------------------------------------------


class Child:
    """One child process of `choeur serve`, started from this same program.

    Each child gets `--parent-pid` and stops by itself if `serve` dies (core.lifecycle).
    """

    def __init__(self, name: str, args: list[str], restart: bool):
        self.name = name
        self.args = args
        self.restart = restart
        self.process: subprocess.Popen | None = None
        self.delay = 1.0
        self.started = 0.0
        self.restart_at: float | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "choeur", *self.args, "--parent-pid", str(os.getpid())]
        # Own session: a Ctrl-C in the terminal reaches `serve` alone, which then stops its
        # children in order instead of racing them.
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        self.started = time.monotonic()
        self.restart_at = None

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> None:
        if not self.process:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def supervise(children: list[Child]) -> int:
    """Run the children until a signal or the death of one that must not be restarted."""
    stopping: list[int] = []

    def on_signal(signum, frame):
        stopping.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    for child in children:
        child.start()
    status = 0
    while not stopping:
        time.sleep(0.2)
        for child in children:
            code = child.process.poll() if child.process else None
            if child.restart_at is not None:
                if time.monotonic() >= child.restart_at:
                    child.start()
                continue
            if code is None:
                continue
            if not child.restart:
                print(f"choeur: {child.name} exited with status {code}; stopping", file=sys.stderr)
                status = code or 1
                stopping.append(signal.SIGTERM)
                break
            if time.monotonic() - child.started > 60:
                child.delay = 1.0
            print(f"choeur: {child.name} exited with status {code}; restarting in "
                  f"{child.delay:.0f} s", file=sys.stderr)
            child.restart_at = time.monotonic() + child.delay
            child.delay = min(child.delay * 2, 30.0)
    for child in children:
        child.signal(signal.SIGTERM)
    for child in children:
        child.wait(timeout=25)
    return status


def _gunicorn_app(cfg: config.Config):
    from gunicorn.app.base import BaseApplication

    class ChoeurGunicorn(BaseApplication):
        def load_config(self):
            host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
            options = {
                "bind": f"{host}:{cfg.port}",
                "workers": cfg.web_workers,
                "threads": cfg.web_threads,
                "worker_class": "gthread",
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": cfg.log_level.lower(),
                "timeout": 60,
                "graceful_timeout": 20,
                "proc_name": "choeur",
                # The scheme (X-Forwarded-Proto) is believed from the same proxies as the
                # client address (the throttles'): CHOEUR_TRUSTED_PROXIES, the loopback by
                # default, none when it says `none`.
                "forwarded_allow_ips": ",".join(cfg.trusted_proxies),
                # The control socket lives in $HOME: two instances side by side would fight
                # over it, and `choeur serve` is what controls the server anyway.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from choeur.wsgi import application

            return application

    return ChoeurGunicorn()


def cmd_serve(args, cfg: config.Config) -> int:
    from django.db import connections

    from choeur.core.health import pending_migrations

    pending = pending_migrations()
    if pending and not _schema_exists():
        # A new data directory (or an empty database): set it up as `make run` does, so that
        # a newcomer's first `choeur serve` gives a working portal and its administrator.
        print("New database: creating the schema, then the first administrator.", flush=True)
        status = cmd_migrate(argparse.Namespace(verbose=False), cfg)
        if status == 0:
            status = cmd_createadmin(argparse.Namespace(email=None, if_none=True), cfg)
        if status != 0:
            return status
        pending = pending_migrations()
    connections.close_all()  # the supervisor needs no connection for the rest of its life
    if pending:
        # An existing database of an older version: upgrading it is the operator's decision,
        # taken once, not by each of several web servers starting at the same time.
        return _fail(f"{len(pending)} migration(s) not applied: run `choeur migrate` first", 1)
    children = [Child("web server", ["web"], restart=False)]
    if not args.no_worker:
        children.append(Child("worker", ["worker"], restart=True))
    print(f"Choeur {__version__} ({cfg.environment}) on {cfg.base_url}/ — data: {cfg.data_dir}",
          flush=True)
    return supervise(children)


def _schema_exists() -> bool:
    """Whether any migration was ever applied to the database."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and bool(recorder.applied_migrations())


def cmd_web(args, cfg: config.Config) -> int:
    from django.db import connections

    from choeur.core.lifecycle import exit_with_parent

    exit_with_parent(args.parent_pid)
    connections.close_all()  # never hand an open connection to forked gunicorn workers
    _gunicorn_app(cfg).run()
    return 0


# --- other commands ---------------------------------------------------------------------------


def cmd_worker(args, cfg: config.Config) -> int:
    from choeur.core import worker
    from choeur.core.lifecycle import exit_with_parent

    exit_with_parent(args.parent_pid)
    worker.run(queues=args.queues, interval=args.interval, batch=args.batch)
    return 0


def cmd_migrate(args, cfg: config.Config) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from choeur.core.health import pending_migrations

    fresh = not _schema_exists()
    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    pending = pending_migrations()
    if pending:
        return _fail(f"{len(pending)} migration(s) still pending after migrate", 1)
    print("Database up to date.")
    # The help articles follow the code: a new error code or article file is loaded here.
    from django.db import transaction

    from choeur.aide import services as aide_services

    with transaction.atomic():
        aide_services.reload_articles()
    if fresh and settings.CHOEUR_ENVIRONMENT == "qualification":
        # A new qualification instance: its annuaire has public recipients to invoice at once
        # (`make run` and a first `choeur serve` both come through here).
        return cmd_annuaire_qualification(
            argparse.Namespace(count=None, seed=None, invalid_sirets=False), cfg)
    return 0


def cmd_createadmin(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.accounts import services
    from choeur.core.errors import ChoeurError

    email = args.email or os.environ.get("CHOEUR_ADMIN_EMAIL") or "admin@localhost"
    password = os.environ.get("CHOEUR_ADMIN_PASSWORD") or None
    create = services.create_first_admin if args.if_none else services.create_admin
    try:
        with transaction.atomic():
            result = create("cli", email, password)
    except ChoeurError as exc:
        variable = "CHOEUR_ADMIN_PASSWORD" if exc.code == "ACCOUNTS_WEAK_PASSWORD" else (
            "CHOEUR_ADMIN_EMAIL")
        return _fail(f"{variable}: {exc.message('en')}", 1)
    if not result.created:
        print("An administrator already exists; nothing to do.")
        return 0
    print(f"Administrator created: {result.user.email}")
    if result.generated_password:
        print(f"Password (shown once, change it after logging in): {result.generated_password}")
    else:
        print("Password: the one given in CHOEUR_ADMIN_PASSWORD.")
    return 0


def cmd_clock(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.core.errors import ChoeurError
    from choeur.qualification import clock_control

    try:
        clock_control.require_qualification()
        if args.advance is not None or args.to is not None:
            with transaction.atomic():
                if args.advance is not None:
                    clock_control.advance("cli", args.advance)
                else:
                    clock_control.move_to("cli", args.to)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    status = clock_control.status()
    simulated = status["simulated_now"].astimezone(clock_control.clock.PARIS)
    print(f"Simulated date: {simulated:%Y-%m-%d %H:%M} (Paris), {status['offset_days']} day(s) "
          "ahead of real time.")
    return 0


def _writable_file(path: str) -> str | None:
    """Why `path` cannot be written as a file, or None: checked before anything is created."""
    target = Path(path).expanduser()
    if target.is_dir():
        return "it is a directory"
    parent = target.parent
    if not parent.is_dir():
        return f"the directory {parent} does not exist"
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "permission denied"
    return None


def _writable_dir(path: str) -> str | None:
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        return "it is not a directory"
    existing = next((p for p in [target, *target.parents] if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK | os.X_OK):
        return "permission denied"
    return None


def cmd_matelas(args, cfg: config.Config) -> int:
    from django.conf import settings
    from django.db import transaction

    from choeur.accounts import services as accounts
    from choeur.accounts.models import User
    from choeur.core.errors import ChoeurError
    from choeur.qualification import clock_control, errors, matelas, samples

    try:
        clock_control.require_qualification()
        seed = None if args.seed is None else matelas.parse_seed(args.seed)
        for path, why in ((args.csv, args.csv and _writable_file(args.csv)),
                          (args.samples, args.samples and _writable_dir(args.samples))):
            if why:
                raise errors.MatelasOutputUnwritable(path=path, reason=why)
        created = None
        with transaction.atomic():
            user = User.objects.filter(email__iexact=args.email.strip()).first()
            if user is None:
                created = accounts.create_active_user("cli", args.email)
                user = created.user
            elif not user.is_active:
                raise errors.MatelasUserInactive(email=user.email)
            result = matelas.generate(user, seed=seed, valid_sirets=not args.invalid_sirets)
            base_url = args.base_url or settings.CHOEUR_BASE_URL
            pending = None
            try:  # inside the transaction: a file that cannot be written undoes the data set
                if args.csv:
                    # A new file (umask 077: the owner's only, even over an older file that
                    # others could read), put in place last: a failure leaves no secrets.
                    target = Path(args.csv).expanduser()
                    pending = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                    pending.write_text(matelas.to_csv(result, base_url), encoding="utf-8")
                if args.samples:
                    samples.write(samples.build(result), Path(args.samples).expanduser())
                if pending is not None:
                    os.replace(pending, target)
                    pending = None
            except OSError as exc:
                raise errors.MatelasOutputUnwritable(
                    path=exc.filename or args.csv or args.samples,
                    reason=exc.strerror or str(exc)) from None
            finally:
                if pending is not None:
                    pending.unlink(missing_ok=True)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    if created is not None:
        print(f"Account created: {user.email}")
        print(f"Password (shown once, change it after logging in): {created.generated_password}")
    print(f"Matelas de données generated for {user.email} (seed {result.seed}):")
    for row in matelas.rows(result, base_url, with_secrets=False):
        print(f"  {row['role']:<14} {row['variante']:<27} {row['identifiant']}  "
              f"{row['raison_sociale']}")
    if args.csv:
        print(f"CSV written to {args.csv} (it holds the secrets: keep it private).")
    else:
        print(f"OAuth2: token URL {base_url.rstrip('/')}/api/oauth/token, "
              f"client_id {result.client_id}, client_secret {result.client_secret}")
        print(f"Technical account: {result.technical_login} / {result.technical_password}")
        print("Secrets are shown once: they are stored only hashed.")
    if args.samples:
        print(f"Sample invoices and index.csv written to {args.samples}.")
    print("Works dossiers (one at each stage of the circuit): built by the worker of the "
          "running instance (choeur serve) within seconds; see « Mon matelas de données ».")
    return 0


def cmd_annuaire_qualification(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.core.errors import ChoeurError
    from choeur.qualification import annuaire_seed

    count = annuaire_seed.DEFAULT_COUNT if args.count is None else args.count
    seed = annuaire_seed.DEFAULT_SEED if args.seed is None else args.seed
    try:
        with transaction.atomic():
            created = annuaire_seed.populate(count, seed, valid_sirets=not args.invalid_sirets,
                                             actor="cli")
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    there = int(count) - created
    print(f"Annuaire: {created} fictitious public recipient(s) added (seed {seed})"
          + (f"; {there} already there." if there else "."))
    return 0


def cmd_aide_charger(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.aide import services
    from choeur.core.errors import ChoeurError

    try:
        with transaction.atomic():
            outcome = services.reload_articles()
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    print(f"Help articles: {outcome.created} created, {outcome.updated} updated, "
          f"{outcome.removed} removed, {outcome.unchanged} unchanged.")
    return 0


def cmd_unlock(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.accounts import services

    with transaction.atomic():
        unlocked = services.unlock_address("cli", args.email)
    print(f"{args.email}: lock-out lifted." if unlocked else
          f"{args.email}: neither locked nor counted; nothing to do.")
    return 0


def cmd_formateur(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.formation import sessions

    with transaction.atomic():
        user = sessions.set_trainer("cli", args.email, not args.retirer)
    if user is None:
        return _fail(f"{args.email}: no account has this login address.", 1)
    print(f"{user.email}: {'trainer' if user.is_trainer else 'no longer a trainer'}.")
    return 0


def cmd_check(args, cfg: config.Config) -> int:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from choeur.core import health

    print("Configuration:")
    for name, value in cfg.summary().items():
        print(f"  {name:<22} {value}")
    try:
        call_command("check", fail_level="ERROR")
    except SystemCheckError as exc:
        print(str(exc).strip(), file=sys.stderr)
        return _fail("Django's system checks found errors (listed above)", 1)
    report = health.report()
    print("Health:")
    for name in ("database", "migrations", "worker"):
        check = report[name]
        details = ", ".join(f"{k}={v}" for k, v in check.items() if k != "ok")
        state = "ok" if check["ok"] else "FAIL"
        print(f"  {name:<22} {state}  ({details})" if details else f"  {name:<22} {state}")
    # A worker that is not running is normal on a machine that only runs `choeur check`.
    return 0 if report["database"]["ok"] and report["migrations"]["ok"] else 1


def cmd_import_structures(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.core.errors import ChoeurError
    from choeur.organisations.imports import import_structures

    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return _fail(f"{args.file}: {exc.strerror}", 1)
    try:
        with transaction.atomic():
            report = import_structures("import", data)
            if args.dry_run:
                transaction.set_rollback(True)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    print(("Dry run, nothing written: " if args.dry_run else "") + report.summary())
    return 0


def _config_target(args):
    """The acting user (`--email`: an active account) and the structure (`--structure`, by
    its identifier) of `export-config` / `import-config`. The rights are the services'."""
    import re

    from choeur.accounts.models import User, normalise_email
    from choeur.core.errors import NotFound
    from choeur.organisations import errors
    from choeur.organisations.models import Structure

    user = User.objects.filter(email=normalise_email(args.email), is_active=True).first()
    if user is None:
        raise errors.UserNotFound(email=args.email)
    found = Structure.objects.filter(identifier=re.sub(r"\s", "", args.structure))
    if args.identifier_type:
        found = found.filter(identifier_type=args.identifier_type.upper())
    found = list(found[:2])
    if len(found) != 1:  # two structures share it under two identifier types: say which
        raise NotFound(object_label=f"Structure {args.structure}" + (
            " (--identifier-type ?)" if found else ""))
    return user, found[0]


def _write_new_file(path: str, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file beside it, renamed)."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".choeur-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def cmd_export_config(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.core.errors import ChoeurError
    from choeur.organisations import config_transfer

    try:
        # The file is written inside the transaction: a path that cannot be written undoes
        # the export's audit line too.
        with transaction.atomic():
            user, structure = _config_target(args)
            document = config_transfer.export_config(user, structure)
            data = config_transfer.dumps(document)
            if args.output:
                _write_new_file(args.output, data)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    except OSError as exc:
        return _fail(f"{args.output}: {exc.strerror or exc}", 1)
    if not args.output:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    print(f"Configuration of {structure.identifier} written to {args.output}: "
          f"{len(document['services'])} service(s), {len(document['engagements'])} "
          f"engagement(s), {len(document['bank_accounts'])} bank account(s), "
          f"{len(document['technical_accounts'])} technical account(s), "
          f"{len(document['api_clients'])} OAuth2 client(s). No secret is in it; the bank "
          "details are: keep the file accordingly.")
    return 0


def cmd_import_config(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.core.errors import ChoeurError
    from choeur.organisations import config_transfer

    try:
        with open(args.file, "rb") as fh:
            data = fh.read(config_transfer.MAX_BYTES + 1)  # one byte more says "too large"
    except OSError as exc:
        return _fail(f"{args.file}: {exc.strerror or exc}", 1)
    try:
        with transaction.atomic():
            user, structure = _config_target(args)
            report = config_transfer.import_config(
                user, structure, data, dry_run=args.dry_run,
                allow_other_identifier=args.allow_other_identifier)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    source = report.source
    print(f"Configuration of {source.get('environment') or '?'} instance "
          f"{source.get('instance') or '?'} ({source.get('exported_at') or '?'}) "
          f"into {structure.identifier}:")
    for line in report.lines:
        note = line.note("en")
        print(f"  {line.section:<19} {line.outcome:<9} {line.key}" + (f"  ({note})" if note
                                                                       else ""))
    if report.secrets:
        print("New secrets, shown once (they are stored only hashed): keep them now.")
        for secret in report.secrets:
            what = ("technical account " + secret.identifier + " password"
                    if secret.kind == "technical_account" else
                    f"OAuth2 client {secret.label} client_id {secret.identifier} secret")
            print(f"  {what}: {secret.secret}")
    print(report.summary())
    return 0


# --- archive (conservation: docs/CONSERVATION.md) ----------------------------------------------


def _date(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def cmd_archive_verify(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.archives import verify
    from choeur.core.errors import ChoeurError

    try:
        with transaction.atomic():
            verify.snapshot()
            report = verify.run(structure=args.structure, files=args.files, since=args.since)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 2)
    print(f"Archives verified ({report.scope}):")
    print(f"  ledger entries   {report.entries:>12,} in {report.objects:,} chains "
          f"({report.purged:,} purged, {report.unsealed:,} not sealed yet)")
    seals = f"{report.seals:,}" if report.seals_checked else "not checked (--structure)"
    print(f"  seals            {seals:>12}")
    print(f"  invoices         {report.invoices:>12,}")
    print(f"  rate             {report.records_per_second:>12,.0f} records/s")
    if args.files:
        print(f"  files            {report.blobs:>12,} ({report.blob_bytes / 1e6:,.1f} MB, "
              f"{report.mb_per_second:,.1f} MB/s)")
    print(f"  head seal        {report.head_seal or '(none yet)'}")
    if report.ok:
        print("No problem found.")
        return 0
    print(f"{report.problem_count} problem(s):")
    for problem in report.problems:
        print(f"  {problem}")
    if report.problem_count > len(report.problems):
        print(f"  … and {report.problem_count - len(report.problems)} more")
    return 1


def cmd_archive_backfill(args, cfg: config.Config) -> int:
    from django.db import transaction

    from choeur.archives import backfill

    with transaction.atomic():
        outcome = backfill.run()
    print(outcome.summary())
    return 0


def _archive_verify_parsers(commands) -> None:
    """`choeur archive verify` and `choeur archive backfill`, into `archive`'s sub-commands."""
    p = commands.add_parser("verify", help="check every ledger chain and seal, the invoices "
                                           "against them (and the stored files); exit 1 on "
                                           "any problem")
    p.add_argument("--structure", metavar="SIRET",
                   help="only this structure's invoices (the seals are then not checked)")
    p.add_argument("--files", action="store_true", help="re-hash every stored file too")
    p.add_argument("--since", metavar="YYYY-MM-DD", type=_date,
                   help="only what was written since that day (00:00 UTC)")
    p.set_defaults(handler=cmd_archive_verify)
    p = commands.add_parser("backfill", help="write the archive records of invoices that have "
                                             "none (from their rows); idempotent")
    p.set_defaults(handler=cmd_archive_backfill)


def cmd_manage(args, cfg: config.Config) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["choeur manage", *args.rest])
    return 0


# --- archives: export, purge; backup, restore (docs/CONSERVATION.md) -------------------------


def cmd_archive_export(args, cfg: config.Config) -> int:
    from choeur.archives import export
    from choeur.core.errors import ChoeurError

    try:
        scope = export.operator_scope(invoice_id=args.invoice,
                                      structure_identifier=args.structure,
                                      start=args.date_from, end=args.date_to)
        manifest = export.export_to_path(scope, args.output, actor="cli",
                                         by=f"cli ({os.environ.get('USER') or 'operator'})")
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    except OSError as exc:
        return _fail(f"{args.output}: {exc.strerror or exc}", 1)
    counts = manifest["counts"]
    print(f"Archive export written to {args.output}: {counts['invoices']} invoice(s), "
          f"{counts['records']} ledger record(s), {counts['files']} file(s) "
          f"({counts['file_bytes']} bytes). Check it without Choeur: see VERIFY.md inside.")
    return 0


def cmd_archive_purge(args, cfg: config.Config) -> int:
    from choeur.archives import retention
    from choeur.core.errors import ChoeurError

    try:
        report = retention.purge("cli", args.before, confirm=args.confirm)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    print("\n".join(report.lines()))
    return 0


def cmd_backup(args, cfg: config.Config) -> int:
    from choeur.archives import backup
    from choeur.core.errors import ChoeurError

    try:
        manifest = backup.backup(args.output)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    except OSError as exc:
        return _fail(f"{args.output}: {exc.strerror or exc}", 1)
    files = manifest["files"]
    for warning in manifest.get("warnings", []):
        print(f"Warning: {warning}", file=sys.stderr)
    print(f"Backup written to {args.output}: {manifest['database']['vendor']} database "
          f"({manifest['database']['size']} bytes), {files['count']} file(s) "
          f"({files['bytes']} bytes), each checked. Check it later with: "
          f"cd {args.output} && sha256sum -c --quiet SHA256SUMS")
    if files["missing"] or files["corrupted"]:
        return _fail(f"{len(files['missing'])} file(s) missing from the store and "
                     f"{len(files['corrupted'])} damaged, not backed up: listed in "
                     "manifest.json; run `choeur archive verify --files`", 1)
    return 0


def cmd_restore(args, cfg: config.Config) -> int:
    from choeur.archives import backup
    from choeur.core.errors import ChoeurError

    try:
        done = backup.restore(args.directory, trust_unsigned=args.trust_unsigned)
    except ChoeurError as exc:
        return _fail(f"{exc.code}: {exc.message('en')}", 1)
    if done["signature"] != "verified":
        print(f"Warning: signature not checked ({done['signature']}): restored on "
              "--trust-unsigned.", file=sys.stderr)
    print(f"Restored {done['manifest']['database']['vendor']} database and {done['files']} "
          f"file(s) ({done['bytes']} bytes) from {args.directory}. Next: `choeur migrate`, "
          "then `choeur archive verify --files`.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="choeur", description="Choeur: a self-hostable Chorus Pro."
    )
    parser.add_argument("--version", action="version", version=f"choeur {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="serve the portal with gunicorn, with one background worker")
    p.add_argument("--no-worker", action="store_true", help="do not start the background worker")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("web", help="run the gunicorn web server alone (`serve` runs it)")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_web)

    p = sub.add_parser("worker", help="run a background worker (tasks, e-mails)")
    p.add_argument("--queues", default="*", help="comma-separated queue names (default: all)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    p.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("migrate", help="create or update the database schema")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("createadmin", help="create a platform administrator")
    p.add_argument("--email", help="login e-mail (default: CHOEUR_ADMIN_EMAIL or admin@localhost)")
    p.add_argument("--if-none", action="store_true",
                   help="do nothing when an administrator exists already")
    p.set_defaults(handler=cmd_createadmin)

    p = sub.add_parser("clock", help="qualification: show or move the instance's date forward")
    moves = p.add_mutually_exclusive_group()
    moves.add_argument("--advance", metavar="DAYS", help="move forward by DAYS whole days")
    moves.add_argument("--to", metavar="YYYY-MM-DD", help="move forward to this date (Paris)")
    p.set_defaults(handler=cmd_clock)

    p = sub.add_parser("matelas", help="qualification: generate a user's test data set")
    p.add_argument("--email", required=True,
                   help="the user's login (an active account is created if none exists)")
    p.add_argument("--seed", metavar="N", help="draw the same data set again (0 to 2147483647)")
    p.add_argument("--csv", metavar="FILE",
                   help="write one row per structure (with the API secrets) to FILE")
    p.add_argument("--samples", metavar="DIR",
                   help="write sample invoices and DIR/index.csv (what a deposit of each gets)")
    p.add_argument("--invalid-sirets", action="store_true",
                   help="SIRETs with a wrong check digit, as Chorus Pro's qualification gives")
    p.add_argument("--base-url", help="URL written in the CSV (default: CHOEUR_BASE_URL)")
    p.set_defaults(handler=cmd_matelas)

    p = sub.add_parser("annuaire-qualification",
                       help="qualification: add fictitious public recipients to the annuaire")
    p.add_argument("--count", metavar="N",
                   help="how many (default 300; a first qualification `migrate` adds them)")
    p.add_argument("--seed", metavar="N",
                   help="the same seed gives the same recipients (0 to 2147483647; default 0)")
    p.add_argument("--invalid-sirets", action="store_true",
                   help="SIRETs with a wrong check digit, as Chorus Pro's qualification gives")
    p.set_defaults(handler=cmd_annuaire_qualification)

    p = sub.add_parser("aide-charger",
                       help="reload the help articles (files and error codes); idempotent")
    p.set_defaults(handler=cmd_aide_charger)

    p = sub.add_parser("unlock", help="lift the login lock-out of an e-mail address")
    p.add_argument("email", help="login e-mail address")
    p.set_defaults(handler=cmd_unlock)

    p = sub.add_parser("formateur", help="let an account open training sessions (the "
                       "trainer's view of « Formation »), or take that right back")
    p.add_argument("email", help="login e-mail address of the account")
    p.add_argument("--retirer", action="store_true", help="take the trainer's right back")
    p.set_defaults(handler=cmd_formateur)

    p = sub.add_parser("check", help="show the configuration and check database and worker")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("import-structures",
                       help="import public structures and their services from a CSV file")
    p.add_argument("file", help="CSV file (the columns of the annuaire's CSV export)")
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p.set_defaults(handler=cmd_import_structures)

    p = sub.add_parser("export-config",
                       help="write a structure's configuration (services, engagements, bank "
                            "details, API settings; never a secret) as a JSON file")
    p.add_argument("--structure", required=True, metavar="IDENTIFIER",
                   help="the structure's identifier (SIRET...)")
    p.add_argument("--identifier-type", help="its identifier type, if two structures share it")
    p.add_argument("--email", required=True,
                   help="login e-mail of the acting user, a gestionnaire of the structure")
    p.add_argument("--output", metavar="FILE", help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export_config)

    p = sub.add_parser("import-config",
                       help="apply a configuration written by export-config to a structure "
                            "(adds and updates, never deletes)")
    p.add_argument("file", help="JSON file written by export-config")
    p.add_argument("--structure", required=True, metavar="IDENTIFIER",
                   help="the target structure's identifier (SIRET...)")
    p.add_argument("--identifier-type", help="its identifier type, if two structures share it")
    p.add_argument("--email", required=True,
                   help="login e-mail of the acting user, a gestionnaire of the structure")
    p.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    p.add_argument("--allow-other-identifier", action="store_true",
                   help="accept a configuration exported from a structure with another "
                        "identifier (e.g. a fictitious qualification SIRET)")
    p.set_defaults(handler=cmd_import_config)

    p = sub.add_parser("validate", help="validate invoice files (Factur-X, UBL, CII, batches)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per file, per line")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of messages")
    p.set_defaults(handler=None)

    p = sub.add_parser("archive", help="conservation: verify, backfill, export, purge "
                       "(docs/CONSERVATION.md)")
    archive = p.add_subparsers(dest="archive_command", required=True, metavar="ACTION")
    _archive_verify_parsers(archive)
    a = archive.add_parser("export", help="a self-contained, checkable zip of an invoice's "
                           "or a structure's archive records")
    what = a.add_mutually_exclusive_group(required=True)
    what.add_argument("--invoice", metavar="ID", help="one invoice (its id)")
    what.add_argument("--structure", metavar="SIRET",
                      help="a structure's invoices (deposited and received)")
    a.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="with --structure: deposited on or after this day")
    a.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD",
                   help="with --structure: deposited on or before this day")
    a.add_argument("--output", required=True, metavar="FILE", help="the zip file to write")
    a.set_defaults(handler=cmd_archive_export)
    a = archive.add_parser("purge", help="remove the invoices whose retention "
                           "(CHOEUR_RETENTION_YEARS) expired; a dry run without --confirm")
    a.add_argument("--before", required=True, metavar="YYYY-MM-DD",
                   help="invoices whose retention expired before this day (not in the future)")
    a.add_argument("--confirm", action="store_true", help="really remove them")
    a.set_defaults(handler=cmd_archive_purge)

    p = sub.add_parser("backup", help="back up the database and the stored files into a "
                       "new directory")
    p.add_argument("--output", required=True, metavar="DIR", help="a new or empty directory")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into an empty instance")
    p.add_argument("directory", metavar="DIR", help="a directory written by `choeur backup`")
    p.add_argument("--trust-unsigned", action="store_true",
                   help="restore even though SHA256SUMS.hmac is missing or was made with "
                   "another secret key (a new machine): only for a backup whose origin you "
                   "are sure of")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("manage", help="run a Django management command (developers)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_manage)
    return parser


def cmd_validate(args) -> int:
    from choeur.formats import cli as formats_cli

    return formats_cli.run(args.files, as_json=args.json, lang=args.lang)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":  # a pure library command: no configuration, no database
        return cmd_validate(args)
    # Files Choeur creates (database, outbox, blobs) are private to the account running it.
    os.umask(0o077)
    try:
        cfg = config.load()
    except config.ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    _setup_django()
    from django.db import DatabaseError

    try:
        return args.handler(args, cfg)
    except DatabaseError as exc:
        return _fail(_database_error(exc))
    except KeyboardInterrupt:
        return 130
