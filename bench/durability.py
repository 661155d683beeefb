"""The cost of SQLite's durability (CHOEUR_SQLITE_SYNCHRONOUS, issue 19): commits per second
with `synchronous=FULL` (the default: the write-ahead log is synced at every commit, so a
deposit the client was told of survives a power cut) and `NORMAL` (synced at checkpoints
only), in WAL mode as Choeur runs, on the disk of the data directory.

    make bench     (or: .venv/bin/python bench/durability.py [--commits N] [--dir DIR])

Each commit is one small insert in its own IMMEDIATE transaction, as a deposit's steps are;
modes alternate over several rounds and the median is printed. A flux deposit commits a few
times per batch and an invoice's routing once or twice, so the per-commit cost below, times
those commits, is what FULL adds to a deposit (bench/api.py --db sqlite gives the whole
rate: run it with CHOEUR_SQLITE_SYNCHRONOUS=NORMAL and FULL on a quiet machine)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time


def commits_per_second(path: str, mode: str, commits: int) -> float:
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.remove(name)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={mode}")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        started = time.perf_counter()
        for _n in range(commits):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
            connection.execute("COMMIT")
        return commits / (time.perf_counter() - started)
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=os.environ.get("CHOEUR_DATA_DIR", "var"),
                        help="where to write (the data directory's disk by default)")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    rates: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-durability-") as work:
        path = os.path.join(work, "durability.sqlite3")
        for _round in range(args.rounds):
            for mode in rates:
                rates[mode].append(commits_per_second(path, mode, args.commits))
    normal, full = (statistics.median(rates[m]) for m in ("NORMAL", "FULL"))
    print(f"SQLite WAL, {args.commits} commits x {args.rounds} rounds in {args.dir}:")
    print(f"  synchronous=NORMAL  {normal:10,.0f} commits/s  ({1000 / normal:.3f} ms a commit)")
    print(f"  synchronous=FULL    {full:10,.0f} commits/s  ({1000 / full:.3f} ms a commit)")
    print(f"  FULL adds {1000 / full - 1000 / normal:.3f} ms to each commit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
