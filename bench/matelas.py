"""The matelas de données in qualification: "in a few seconds" (issue 15: under 5 s).

    make bench     (or: .venv/bin/python bench/matelas.py [--rounds N] [--db postgresql])

On a throwaway data directory of a qualification instance (SQLite by default; with
`--db postgresql`, a throwaway PostgreSQL 15 cluster as bench/portal.py makes):

- `choeur matelas --email ... --csv FILE`, the real command in its own process, as a user runs
  it: wall time from start to exit (Django's start included), first on a fresh instance (with
  the annuaire of 300 recipients its first `migrate` makes), then with --rounds data sets there;
- the service alone (`matelas.generate` for a new user, one transaction, committed), --rounds
  times: median and max;
- the sample invoices of one data set (`samples.build`: 25 files written by Choeur's writers).

The target is the command's wall time under 5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _cluster

TARGET_S = 5.0
CHOEUR = str(Path(sys.executable).with_name("choeur"))


def _command(env: dict, email: str, csv: Path) -> float:
    started = time.perf_counter()
    subprocess.run([CHOEUR, "matelas", "--email", email, "--csv", str(csv)],  # noqa: S603
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _in_process(rounds: int) -> tuple[list[float], float, int]:
    import django

    django.setup()
    from django.db import transaction

    from choeur.accounts.models import User
    from choeur.formats.engine import default_engine
    from choeur.qualification import matelas, samples
    from choeur.qualification.models import GeneratedMatelas

    default_engine().warm_up()  # a worker that has seen every kind of file: nothing compiles
    times, works = [], []
    for n in range(rounds):
        user = User.objects.create_user(f"bench{n}@matelas.bench.test", None)
        started = time.perf_counter()
        with transaction.atomic():
            result = matelas.generate(user)
        times.append(time.perf_counter() - started)
        # The works set, as the worker builds it just after the commit.
        record = GeneratedMatelas.objects.filter(user=user).first()
        started = time.perf_counter()
        with transaction.atomic():
            matelas.add_travaux(record.pk)
        works.append(time.perf_counter() - started)
    started = time.perf_counter()
    with transaction.atomic():
        built = samples.build(result)
    return times, works, time.perf_counter() - started, len(built)


def run(args) -> None:
    env = {**os.environ, "CHOEUR_ENVIRONMENT": "qualification"}
    os.environ["CHOEUR_ENVIRONMENT"] = "qualification"
    subprocess.run([CHOEUR, "migrate"], env=env, check=True,  # noqa: S603
                   capture_output=True)
    out = Path(tempfile.mkdtemp(prefix="choeur-bench-matelas-"))
    try:
        first = _command(env, "first@matelas.bench.test", out / "first.csv")
        times, works, samples_s, count = _in_process(args.rounds)
        later = _command(env, "later@matelas.bench.test", out / "later.csv")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"database: {args.db}")
    print(f"choeur matelas (own process, Django start included): fresh instance {first:.2f} s, "
          f"with {args.rounds + 1} data sets there {later:.2f} s  (target < {TARGET_S:.0f} s)")
    print(f"matelas.generate alone, {args.rounds} rounds: median "
          f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    print(f"works set by the worker (20 pieces, rules compiled), {args.rounds} rounds: median "
          f"{statistics.median(works) * 1000:.0f} ms, max {max(works) * 1000:.0f} ms  "
          f"(data set and works set both within the target: "
          f"{max(first, later) + max(works):.2f} s)")
    print(f"samples.build: {count} files in {samples_s:.2f} s")
    worst = max(first, later) + max(works)
    print("OK" if worst < TARGET_S else f"OVER TARGET: {worst:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    if args.db == "postgresql":
        _cluster.run_in_django(run, args)
        return
    work = Path(tempfile.mkdtemp(prefix="choeur-bench-data-"))
    try:
        os.environ.update({"CHOEUR_DATA_DIR": str(work), "CHOEUR_DEBUG": "false",
                           "DJANGO_SETTINGS_MODULE": "choeur.settings"})
        os.environ.pop("CHOEUR_DATABASE_URL", None)
        run(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
